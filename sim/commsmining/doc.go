// Package commsmining simulates the UiPath Communications Mining (CM) API
// endpoints sfcdc uses, over a real loopback socket: it validates requests
// the way the real API documents (required fields, comment-ID pattern,
// RFC 3339 timestamps, "string:"/"number:" property prefixes and value
// types, text and list limits, batch size), answers with CM's envelope
// ({"status":"ok",…} or {"status":"error","message":…}), stores comments by
// upsert with new/updated/unchanged counts, meters billable units (one per
// created comment and per update whose message text changed), and injects
// faults on demand.
//
// Endpoints (paths under an optional prefix, so both the
// https://<tenant>.reinfer.io and the
// https://cloud.uipath.com/<org>/<tenant>/reinfer_ URL forms can be tested):
//
//	GET    /api/v1/sources                                 list sources
//	GET    /api/v1/sources/<project>                       list a project's sources
//	GET    /api/v1/sources/<project>/<source>              get a source
//	PUT    /api/v1/sources/<project>/<source>              create a source
//	POST   /api/v1/sources/<project>/<source>/sync         upsert comments
//	DELETE /api/v1/sources/<project>/<source>/comments?id= delete comments
//	GET    /api/v1/sources/<project>/<source>/comments/<id>  get a comment
//	GET    /api/_private/sources/<project>/<source>/comments  page through comments
//
// Every request needs "Authorization: Bearer <token>". Faults (status codes
// with or without Retry-After, slow answers, accept-then-time-out) are
// queued per endpoint with InjectFault and consumed in order, so each test
// configures its own; Options.SyncTimePerComment makes every sync take time
// in proportion to its comments, as a real CM does (applied first, answered
// after). Stats counts requests, comments, outcomes and units,
// in all and per source (Stats.Sources, SourceStats), so many integrations
// writing each to its own source are told apart; a missing source answers
// 404 with CM's error envelope;
// with Options.RecordReceipts every comment's receive time is logged for
// latency measurements.
//
// Where the public sources leave the real behaviour open, the simulator is
// strict, so sfcdc's client errs on the safe side: duplicate IDs within a
// batch and empty string properties are rejected (422), malformed JSON gets
// 400, an oversized body 413, and deleting IDs that do not exist answers 404
// after deleting those that do. Unknown JSON fields are ignored, as serde
// does by default, unless Options.RejectUnknownFields (sfcdc's own tests set
// it, to catch misspelt fields).
package commsmining
