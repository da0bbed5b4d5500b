package replay

import (
	"strconv"
	"time"

	"github.com/sfcdc/sfcdc/quote"
	"github.com/sfcdc/sfcdc/redact"
)

// DeadLetter records an event or record the pipeline gave up on, so the
// checkpoint can move past it and an operator can retry it later (read it,
// re-run the record, delete the dead letter).
//
// By default it holds no record body: only identifiers, the reason and the
// count of attempts. Body is for deployments that opt in to keeping them.
type DeadLetter struct {
	// ID is assigned by AddDeadLetter: a decimal number that grows with each
	// dead letter of the org, so it orders them by arrival.
	ID string
	// Topic is set for stream events; Object for records (both may be set).
	Topic  string
	Object string
	// ReplayID identifies a stream event; RecordID a Salesforce record (or
	// the comment made from it). At least one is set.
	ReplayID []byte
	RecordID string
	// Reason is a short stable category ("cm rejected comment",
	// "undecodable payload"); Error the cause as text, which the store
	// keeps redacted (redact.Text) whatever the caller passed.
	Reason string
	Error  string
	// Attempts counts the tries before giving up.
	Attempts int
	// At is when the item was dead-lettered; the store sets it when zero.
	At time.Time
	// EventTime is the change's commit time in Salesforce, zero when
	// unknown (an event too broken to read its header). A retry of an event
	// that has only a replay ID re-reads the records changed around it.
	EventTime time.Time
	// RetriedAt is when a retry last failed (see RecordDeadLetterRetry);
	// zero until then. At keeps the original time, so an operator sees both
	// how old the failure is and whether retries are still being tried.
	RetriedAt time.Time
	// NextAttemptAt is when the automatic retrier tries it next, as the
	// last failed retry scheduled it; zero until a retry failed (the
	// retrier then counts from At).
	NextAttemptAt time.Time
	// Parked is set once the dead letter used up its attempts (see
	// DeadLetterRetry.ParkAt): the automatic retrier leaves it alone, only
	// an operator's retry or purge acts on it. It is never cleared.
	Parked bool
	// Body is an optional copy of the payload; empty unless configured.
	Body []byte
}

const (
	fieldTopic    = "topic"
	fieldObject   = "object"
	fieldReason   = "reason"
	fieldError    = "error"
	fieldAttempts = "attempts"
	fieldAt       = "at"
	fieldBody     = "body"
	fieldEventAt  = "event_time"
	fieldRetried  = "retried_at"
	fieldNextAt   = "next_attempt_at"
	fieldParked   = "parked"
)

// parkedValue is the stored value of a set Parked flag ("" when unset).
const parkedValue = "1"

// maxDeadLetterBody bounds an optional body (Salesforce events are ≤ 1 MB).
const maxDeadLetterBody = 1 << 20

func (d DeadLetter) fields() fields {
	f := fields{
		fieldTopic:    d.Topic,
		fieldObject:   d.Object,
		fieldReplayID: string(d.ReplayID),
		fieldRecordID: d.RecordID,
		fieldReason:   d.Reason,
		fieldError:    redact.Text(d.Error),
		fieldBody:     string(d.Body),
	}
	f.setInt(fieldAttempts, int64(d.Attempts))
	f.setTime(fieldAt, d.At)
	f.setTime(fieldEventAt, d.EventTime)
	f.setTime(fieldRetried, d.RetriedAt)
	f.setTime(fieldNextAt, d.NextAttemptAt)
	if d.Parked {
		f[fieldParked] = parkedValue
	}
	return f
}

// deadLetterFromFields decodes a stored dead letter; id comes from its key.
func deadLetterFromFields(id string, f fields) (DeadLetter, error) {
	d := DeadLetter{
		ID:       id,
		Topic:    f[fieldTopic],
		Object:   f[fieldObject],
		RecordID: f[fieldRecordID],
		Reason:   f[fieldReason],
		Error:    f[fieldError],
	}
	if s := f[fieldReplayID]; s != "" {
		d.ReplayID = []byte(s)
	}
	if s := f[fieldBody]; s != "" {
		d.Body = []byte(s)
	}
	attempts, err := f.int(fieldAttempts)
	if err != nil {
		return d, err
	}
	if attempts < 0 || attempts > 1<<31-1 {
		return d, corruptf("dead letter: attempts out of range")
	}
	d.Attempts = int(attempts)
	if d.At, err = f.time(fieldAt); err != nil {
		return d, err
	}
	if d.EventTime, err = f.time(fieldEventAt); err != nil {
		return d, err
	}
	if d.RetriedAt, err = f.time(fieldRetried); err != nil {
		return d, err
	}
	if d.NextAttemptAt, err = f.time(fieldNextAt); err != nil {
		return d, err
	}
	switch f[fieldParked] {
	case "":
	case parkedValue:
		d.Parked = true
	default:
		return d, corruptf("dead letter: parked flag is neither set nor empty")
	}
	if d.Reason == "" {
		return d, corruptf("dead letter: no reason")
	}
	return d, nil
}

func checkNewDeadLetter(org string, d DeadLetter) error {
	if err := checkOrg(org); err != nil {
		return err
	}
	if d.Topic == "" && d.Object == "" {
		return invalidf("dead letter without topic or object")
	}
	if len(d.ReplayID) == 0 && d.RecordID == "" {
		return invalidf("dead letter without replay ID or record ID")
	}
	if d.Reason == "" {
		return invalidf("dead letter without reason")
	}
	if d.Attempts < 0 {
		return invalidf("dead letter with %d attempts", d.Attempts)
	}
	if d.Parked {
		return invalidf("a new dead letter cannot be parked: only a failed retry parks one")
	}
	if len(d.Body) > maxDeadLetterBody {
		return invalidf("dead letter body of %d bytes exceeds %d", len(d.Body), maxDeadLetterBody)
	}
	return nil
}

// maxDeadLetterError bounds the error text of a failed retry, like the
// status document's LastError: a retry must not fail because its error is
// long.
const maxDeadLetterError = 4096

// DeadLetterRetry is the outcome of one failed retry, as
// RecordDeadLetterRetry stores it.
type DeadLetterRetry struct {
	// Error is the cause, already redacted; cut to 4 KiB.
	Error string
	// NextAttemptAt is when the automatic retrier should try again; zero
	// leaves it unscheduled (the retrier then counts from At).
	NextAttemptAt time.Time
	// ParkAt parks the dead letter once its Attempts, counting this
	// retry, reach it; zero never parks. The store decides, in the same
	// atomic step as the increment, so concurrent retries cannot both miss
	// the limit.
	ParkAt int
}

func checkRetry(org, id string, r DeadLetterRetry) (uint64, error) {
	if err := checkOrg(org); err != nil {
		return 0, err
	}
	if r.ParkAt < 0 {
		return 0, invalidf("park at %d attempts: want 0 (never) or more", r.ParkAt)
	}
	return parseDeadLetterID(id)
}

// parseDeadLetterID reads an ID given back by a caller (possibly typed by an
// operator): a positive decimal without sign or leading zeros.
func parseDeadLetterID(id string) (uint64, error) {
	n, err := strconv.ParseUint(id, 10, 64)
	if err != nil || n == 0 || id[0] == '0' || id[0] == '+' {
		return 0, invalidf("dead letter ID %s: want a positive decimal number", quote.Value(id))
	}
	return n, nil
}

// DefaultDeadLetterPage and MaxDeadLetterPage bound ListDeadLetters.
const (
	DefaultDeadLetterPage = 100
	MaxDeadLetterPage     = 1000
)

// pageLimit applies the defaults to a requested page size.
func pageLimit(limit int) int {
	if limit <= 0 {
		return DefaultDeadLetterPage
	}
	return min(limit, MaxDeadLetterPage)
}

// checkBefore validates a paging cursor; "" means "from the newest".
func checkBefore(before string) (uint64, error) {
	if before == "" {
		return 0, nil
	}
	return parseDeadLetterID(before)
}
