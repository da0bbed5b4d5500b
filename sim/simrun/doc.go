// Package simrun runs the simulated world of `sfcdc sim` as one unit: a
// simulated Salesforce org (Pub/Sub and REST over loopback sockets) and a
// simulated Communications Mining API, the org seeded with records and fed
// generated support traffic that admin endpoints pause and resume.
// Config.Orgs > 1 runs that many orgs behind the same endpoints (one
// Pub/Sub endpoint, one REST listener, one login host: salesforce.World),
// traffic generated in each; the Banner's keys describe the first org and
// its orgs list every org's credentials.
//
// Guarantee: Start returns only once both simulators serve, with a Banner
// that holds everything a client needs (endpoints, the throwaway org's
// credentials, the CM source); Generate generates exactly Config.Events
// events in every org when that is set; plaintext (Config.Insecure) is served on
// loopback addresses only; Close stops everything and removes the run's
// folder (the CA file unless Config.CAFile, and the banner's state file).
package simrun
