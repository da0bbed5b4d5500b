// Package backfill reads Salesforce records (REST query pages, or a Bulk
// API 2.0 query job for large loads) by SystemModstamp
// and delivers them as Communications Mining comments. Its guarantee: an
// object's watermark never passes a record whose comment CM has not
// accepted (or that is not durably dead-lettered), so a backfill that is
// killed at any point and run again loses nothing and re-sends at most the
// upload batches that were in flight (one, by default); records sharing a
// SystemModstamp are never skipped, wherever a page or a stop falls; and a
// load ends, however busy the org: it reads up to the instant it began
// (or Request.UpTo), and a record changed after that instant is left to
// whatever covers what follows — the stream that takes over, the next
// poll, the next run — which brings it in its newest version.
//
// # How it reads
//
// Each pass is one SOQL query over queryAll (deleted rows included):
//
//	SELECT Id, SystemModstamp, IsDeleted, <the mapping's fields> FROM <Object>
//	WHERE SystemModstamp >= <watermark − overlap>
//	  AND SystemModstamp <= <the catch-up's end> ORDER BY SystemModstamp, Id
//
// paged by nextRecordsUrl. Relationship fields of the mapping (e.g.
// Parent.CaseNumber) are selected as such. The overlap (5 minutes by
// default) re-reads records that committed late, since Salesforce stamps
// a row when it is written, not when its transaction commits; re-read
// records whose comment is unchanged cost no upload, because the content
// hashes (shared with the stream through the replay store) say CM already
// holds them.
//
// A catch-up is one pass, bounded above by the instant it began on
// Salesforce's clock (read from a fresh answer's Date header, rounded up
// past its second), or by Request.UpTo: the daemon's initial load reads
// up to the topic's start instant, after which the stream delivers every
// change. Records changed while the pass reads are stamped after its end
// and are not chased: an earlier design started another pass whenever one
// found changes, and under steady traffic (200 events/s) a first load
// never ended and spent the org's API allocation re-reading the overlap.
// Only an expired query locator makes a second query, from the watermark.
// With Follow, Run then polls every PollInterval, each poll a catch-up
// bounded the same way: this is the polling mode for objects without
// change events, and deletions seen through queryAll follow the object's
// on_delete (delete the comment, or keep it).
//
// The watermark is a (SystemModstamp, Id) position, saved after every page
// for the longest prefix of records whose outcome is settled: delivered,
// skipped as unchanged, deleted, kept, or dead-lettered (dead letters are
// stored first). The Id breaks ties, so a stop between two records stamped
// in the same millisecond resumes between them even without an overlap.
// Upload concurrency is one request by default: a kill can then leave at
// most one batch accepted by CM but not yet recorded in the hash store,
// and only that batch is sent again.
//
// # Bulk API 2.0
//
// A catch-up whose COUNT() reaches Config.BulkThreshold (API auto), or
// every catch-up with API bulk, runs the same SELECT (same bounds, same
// ORDER BY, queryAll) as a Bulk API 2.0 query job: one job and a results
// page per maxRecords rows instead of a REST call per 2,000 rows. Auto
// keeps REST when a selected field of the object is a compound address or
// location field, which Bulk refuses (relationship fields are fine). The
// job's rows go to the same sink as REST rows, so the settled-prefix
// watermark is unchanged; after each results page is settled, the
// watermark is saved with the job's ID and the next page's locator, and
// after the last page without them. A stopped run therefore reopens the
// same job at the next run and re-sends at most the page it was in; when
// the job's results expired (seven days), a new job starts from the
// watermark. A resumed job covered an earlier catch-up's range, so the
// catch-up then reads on from the watermark. A job Salesforce refuses
// (unsupported, daily Bulk allocation spent) or that ends Failed or
// Aborted is logged in one line and the object read over REST instead.
//
// # Budget, estimates, windows
//
// Before every REST call the org's API usage (Sforce-Limit-Info, as the
// salesforce client last saw it) is compared with APIBudgetPercent of the
// daily allocation; at the budget, or when Salesforce answers
// REQUEST_LIMIT_EXCEEDED (salesforce.Classify: Limit), the run stops
// cleanly, without retrying the refused call, with a *BudgetError that
// names the limit and says when the rolling 24-hour window frees the calls
// counted now; the watermark is saved, so the next run resumes there.
// Transient failures (salesforce.Classify: Transient; 5xx, network) are
// retried here, and only here, with the retry package's policy: 1 s
// doubling to 1 min with jitter, six attempts in all.
//
// Estimate reads the same records and decides each comment with
// mapper.Decide against the stored hashes, without uploading or saving:
// its BillableUnits are what the Run that follows is billed, if nothing
// changes in between.
//
// A Request with Until is a window (recovery after a stream gap): it
// reads [Since, Until] and keeps its progress under a watermark of its
// own, leaving the object's incremental watermark alone. Since alone only
// moves the start later than the watermark.
//
// # Limits worth knowing
//
// Every catch-up (once per run, once per poll) re-reads the overlap. A
// record this process already handed on at the same SystemModstamp is
// skipped without mapping, but the rows still cost REST calls. After a restart, a record dead-lettered inside the
// overlap is dead-lettered again. Follow mode stops, like a one-shot run,
// at the budget or when retries of a failing call are exhausted; the
// caller decides whether to start it again.
package backfill
