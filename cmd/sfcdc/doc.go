// Command sfcdc streams Salesforce Change Data Capture into UiPath
// Communications Mining, and runs the simulated org and CM it is tested on.
//
// Guarantee: a command exits 0 on success, 2 on bad usage or configuration
// and 1 on any other failure (backfill: 3 when the API budget stops it), with
// the reason on standard error. `sfcdc sim` prints its endpoints and demo
// credentials as the first line of standard output, generates exactly
// --events events and serves plaintext (--insecure) on loopback only.
package main
