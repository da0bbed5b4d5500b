package replay

import (
	"reflect"
	"testing"
	"time"
)

// Fuzz targets for every decoder of stored bytes: what Redis or the bbolt
// file hands back may have been written by another version, another tool or
// an operator. Each decoder must return an error rather than panic, and
// whatever it accepts must survive an encode/decode round trip unchanged.

func FuzzDecodeFields(f *testing.F) {
	f.Add(encodeFields(Checkpoint{ReplayID: []byte{0, 0xFF}, Token: 3, CommitTime: time.Unix(5, 6)}.fields()))
	f.Add(encodeFields(statusFields(Status{State: StateStreaming, LastError: "x", Lag: time.Second})))
	f.Add(encodeFields(DeadLetter{Topic: "t", RecordID: "r", Reason: "x", Attempts: 2}.fields()))
	f.Add([]byte{fieldsVersion, 0x80, 0x80, 0x80})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := decodeFields(data)
		if err != nil {
			return
		}
		again, err := decodeFields(encodeFields(got))
		if err != nil || !reflect.DeepEqual(again, got) {
			t.Fatalf("round trip: %v, %q != %q", err, again, got)
		}
		// The record decoders must cope with any field set.
		checkpointFromFields(got)
		watermarkFromFields(got)
		statusFromFields("t", got)
		deadLetterFromFields("1", got)
	})
}

func FuzzCheckpointFields(f *testing.F) {
	f.Add("\x00\xff", "2026-01-02T03:04:05.123456789Z", "2026-01-02T03:04:05Z", "7")
	f.Add("", "", "", "")
	f.Add("x", "not a time", "", "18446744073709551616")
	f.Fuzz(func(t *testing.T, replayID, commit, written, token string) {
		in := fields{fieldReplayID: replayID, fieldCommitTime: commit, fieldWrittenAt: written, fieldToken: token}
		cp, err := checkpointFromFields(in)
		if err != nil {
			return
		}
		again, err := checkpointFromFields(cp.fields())
		if err != nil || !again.Equal(cp) {
			t.Fatalf("round trip: %v, %+v != %+v", err, again, cp)
		}
	})
}

func FuzzWatermarkFields(f *testing.F) {
	f.Add("2026-01-02T03:04:05.000000006Z", "02s000000000001")
	f.Add("", "")
	f.Add("2026-13-45T99:00:00Z", "x")
	f.Fuzz(func(t *testing.T, modstamp, recordID string) {
		w, err := watermarkFromFields(fields{fieldModstamp: modstamp, fieldRecordID: recordID})
		if err != nil {
			return
		}
		again, err := watermarkFromFields(w.fields())
		if err != nil || !again.Modstamp.Equal(w.Modstamp) || again.RecordID != w.RecordID {
			t.Fatalf("round trip: %v, %+v != %+v", err, again, w)
		}
	})
}

func FuzzStatusFields(f *testing.F) {
	f.Add("streaming", "2026-01-02T03:04:05Z", "1500", "42", "boom")
	f.Add("", "", "", "", "")
	f.Add("x", "yesterday", "9223372036854775807", "-1", "\x00")
	f.Fuzz(func(t *testing.T, state, at, millis, count, lastError string) {
		in := fields{
			fieldState: state, fieldLastEventAt: at, fieldUpdatedAt: at, fieldReplayAgeMillis: millis,
			fieldLagMillis: millis, fieldReceived: count, fieldDeadLettered: count, fieldLastError: lastError,
		}
		s, err := statusFromFields("t", in)
		if err != nil {
			return
		}
		again, err := statusFromFields("t", statusFields(s))
		if err != nil || !statusEqual(again, s) {
			t.Fatalf("round trip: %v, %+v != %+v", err, again, s)
		}
	})
}

// statusEqual compares statuses with time.Time.Equal; LastError is compared
// after the redaction and cut the store applies.
func statusEqual(a, b Status) bool {
	b.LastError = storedErrorText(b.LastError, maxStatusErrorBytes)
	at, bt := statusTimes(&a), statusTimes(&b)
	for i := range at {
		if !at[i].dst.Equal(*bt[i].dst) {
			return false
		}
		*at[i].dst, *bt[i].dst = time.Time{}, time.Time{}
	}
	return reflect.DeepEqual(a, b)
}

func FuzzDeadLetterFields(f *testing.F) {
	f.Add("t", "\x00\xff", "r", "reason", "3", "2026-01-02T03:04:05Z", "body", "2026-01-02T04:04:05+01:00", "")
	f.Add("", "", "", "", "", "", "", "", "")
	f.Add("t", "", "", "x", "99999999999", "", "", "", "1")
	f.Add("t", "", "r", "x", "2", "", "", "", "yes")
	f.Fuzz(func(t *testing.T, topic, replayID, recordID, reason, attempts, at, body, nextAt, parked string) {
		in := fields{
			fieldTopic: topic, fieldReplayID: replayID, fieldRecordID: recordID, fieldReason: reason,
			fieldAttempts: attempts, fieldAt: at, fieldBody: body, fieldNextAt: nextAt, fieldParked: parked,
		}
		d, err := deadLetterFromFields("1", in)
		if err != nil {
			return
		}
		again, err := deadLetterFromFields("1", d.fields())
		if err != nil || !again.At.Equal(d.At) || !again.NextAttemptAt.Equal(d.NextAttemptAt) {
			t.Fatalf("round trip: %v, %+v != %+v", err, again, d)
		}
		again.At, d.At = time.Time{}, time.Time{}
		again.NextAttemptAt, d.NextAttemptAt = time.Time{}, time.Time{}
		if !reflect.DeepEqual(again, d) {
			t.Fatalf("round trip: %+v != %+v", again, d)
		}
	})
}

func FuzzDecodeHashes(f *testing.F) {
	f.Add(encodeHashes(Hashes{Content: "\x00\xff", Metadata: "m"}))
	f.Add(encodeHashes(Hashes{}))
	f.Add([]byte{hashesVersion, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01})
	f.Add([]byte{2, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := decodeHashes(data)
		if err != nil {
			return
		}
		again, err := decodeHashes(encodeHashes(h))
		if err != nil || again != h {
			t.Fatalf("round trip: %v, %q != %q", err, again, h)
		}
	})
}

func FuzzParseLeaseValue(f *testing.F) {
	f.Add("7:instance-a")
	f.Add("7:host:1234:abc")
	f.Add("0:x")
	f.Add("07:x")
	f.Add(":x")
	f.Add("18446744073709551616:x")
	f.Fuzz(func(t *testing.T, v string) {
		token, holder, err := parseLeaseValue(v)
		if err != nil {
			return
		}
		if got := leaseValue(token, holder); got != v {
			t.Fatalf("parse(%q) = %d, %q, which encodes as %q", v, token, holder, got)
		}
	})
}

func FuzzParseDeadLetterID(f *testing.F) {
	for _, s := range []string{"1", "42", "0", "007", "-1", "+1", "", "18446744073709551615", "18446744073709551616"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		n, err := parseDeadLetterID(id)
		if err != nil {
			return
		}
		if uintString(n) != id {
			t.Fatalf("parse(%q) = %d", id, n)
		}
	})
}
