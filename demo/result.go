package demo

import (
	"github.com/sfcdc/sfcdc/figures"
	"github.com/sfcdc/sfcdc/sim/commsmining"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
)

// Result is the JSON object of --json and what the summary prints.
// Every event lands in exactly one of the "what became of it" figures
// (CommentsNew … EventsInFlight), so they add up to Events; the Traffic
// figures depend only on --seed and --events, the others also on timing
// (see demoOutcome).
type Result struct {
	Events      int    `json:"events"`
	EventsDone  int64  `json:"events_done"`
	Interrupted bool   `json:"interrupted"`
	Seed        uint64 `json:"seed"`

	Traffic

	// What became of the events. The comment figures are CM's own
	// answers (one per comment sent); text and metadata-only updates are
	// told apart by CM's meter, which bills only the former.
	CommentsNew             int64 `json:"comments_new"`
	CommentsUpdated         int64 `json:"comments_updated"` // text + metadata only
	CommentsUpdatedText     int64 `json:"comments_updated_text"`
	CommentsUpdatedMetadata int64 `json:"comments_updated_metadata"`
	CommentsSentUnchanged   int64 `json:"comments_sent_unchanged"`
	EventsMerged            int64 `json:"events_merged"`
	CommentsUnchanged       int64 `json:"comments_unchanged"` // not sent: equal to the last upload
	EventsDeleted           int64 `json:"events_deleted"`
	EventsNoMappedChange    int64 `json:"events_no_mapped_change"`
	EventsGoneBeforeFetch   int64 `json:"events_gone_before_fetch"`
	EventsUnmapped          int64 `json:"events_unmapped"`
	EventsCovered           int64 `json:"events_covered_by_backfill"`
	EventsDeadLettered      int64 `json:"events_dead_lettered"`
	EventsInFlight          int64 `json:"events_in_flight"`

	BillableUnits int64    `json:"billable_units"`
	RESTCalls     int64    `json:"rest_calls"`
	FetchEvents   int64    `json:"events_needing_fetch"`
	CMRequests    int64    `json:"cm_requests"`
	Seconds       float64  `json:"seconds"`
	EventsPerSec  float64  `json:"events_per_sec"`
	P50LatencyMS  *float64 `json:"p50_latency_ms"` // null: no comment reached CM
	P99LatencyMS  *float64 `json:"p99_latency_ms"`
	PeakRSSMB     float64  `json:"peak_rss_mb"`
	Replay        bool     `json:"replay"`
	Store         string   `json:"store"`

	org string
}

// Traffic counts the generated change events by kind, as the
// simulated org committed them: fixed by --seed and --events.
type Traffic struct {
	Creates   int64 `json:"traffic_creates"`
	Updates   int64 `json:"traffic_updates"`
	Undeletes int64 `json:"traffic_undeletes"`
	Deletes   int64 `json:"traffic_deletes"`
	// Unmapped are events of objects the demo maps to no comment
	// (accounts and contacts); Other are gap and overflow events.
	Unmapped int64 `json:"traffic_unmapped"`
	Other    int64 `json:"traffic_other"`
}

// count adds one committed event, mapped or not.
func (t *Traffic) count(h sfsim.ChangeEventHeader, mapped bool) {
	if !mapped {
		t.Unmapped++
		return
	}
	switch h.ChangeType {
	case sfsim.ChangeCreate:
		t.Creates++
	case sfsim.ChangeUpdate:
		t.Updates++
	case sfsim.ChangeUndelete:
		t.Undeletes++
	case sfsim.ChangeDelete:
		t.Deletes++
	default:
		t.Other++
	}
}

// demoOutcome fills in what became of the events from the pipeline's
// per-event counts and CM's per-comment answers since the pass began.
//
// The pipeline counts an outcome per event (per record it names; every
// event of the demo names one): when several versions of a comment wait
// in one batch, CM receives the newest once (or only its delete) and
// every one of those events reports that outcome. The events whose own
// version CM never received are the merged ones. How many merge, and whether an update's REST fetch
// already reads a later version (which then goes unsent as unchanged),
// depends on timing: so do the new, updated, unchanged, merged and
// deleted figures and the billable units, by a few per thousand between
// runs of one seed. Every sum, the traffic and the events without a
// comment do not vary.
func (r *Result) demoOutcome(snaps []figures.Topic, cm, cmBefore commsmining.Stats) {
	p := figures.Total(snaps)
	r.CommentsNew = cm.New - cmBefore.New
	r.CommentsUpdated = cm.Updated - cmBefore.Updated
	r.CommentsSentUnchanged = cm.Unchanged - cmBefore.Unchanged
	r.BillableUnits = cm.BillableUnits - cmBefore.BillableUnits
	// CM bills a created comment and an update whose text changed.
	r.CommentsUpdatedText = r.BillableUnits - r.CommentsNew
	r.CommentsUpdatedMetadata = r.CommentsUpdated - r.CommentsUpdatedText
	// A version replaced by a delete before it was sent reports the
	// delete: the delete events are the traffic's, the rest merged.
	r.EventsDeleted = min(r.Deletes, p.CommentsDeleted)
	sent := p.CommentsNew + p.CommentsUpdated + p.CommentsMetadataUpdated + p.CommentsDeleted - r.EventsDeleted
	received := r.CommentsNew + r.CommentsUpdated + r.CommentsSentUnchanged
	// Negative only while CM has answered a batch whose outcomes the
	// pipeline has not counted yet (an interrupted pass).
	r.EventsMerged = max(0, sent-received)
	r.CommentsUnchanged = p.CommentsUnchanged
	r.EventsNoMappedChange = p.EventsSkipped
	r.EventsGoneBeforeFetch = p.GoneBeforeFetch
	r.EventsUnmapped = p.EventsUnmapped
	r.EventsCovered = p.CoveredByBackfill
	r.EventsDeadLettered = p.DeadLetters
	r.EventsInFlight = max(0, int64(r.Events)-r.accounted())
	// Every skipped event of the demo is an update of fields no comment
	// shows (a deleted record's comment is never kept here).
	r.FetchEvents = r.Updates + r.Undeletes - r.EventsNoMappedChange
}

// accounted is the sum of the "what became of it" figures but the
// events in flight.
func (r *Result) accounted() int64 {
	return r.CommentsNew + r.CommentsUpdatedText + r.CommentsUpdatedMetadata + r.CommentsSentUnchanged +
		r.EventsMerged + r.CommentsUnchanged + r.EventsDeleted + r.EventsNoMappedChange + r.EventsGoneBeforeFetch + r.EventsUnmapped +
		r.EventsCovered + r.EventsDeadLettered
}
