package commsmining

import (
	"strings"
	"testing"
)

func TestSyncCountsNewUpdatedUnchangedAndBillsOnlyTextChanges(t *testing.T) {
	s := startSim(t, Options{})
	c := newClient(t, s)

	wantOK(t, c.sync(comment("a", "hello"), comment("b", "world")), 2, 0, 0)
	wantOK(t, c.sync(comment("a", "hello"), comment("b", "world")), 0, 0, 2)
	metadataOnly := comment("a", "hello", map[string]any{"user_properties": map[string]any{"string:Status": "Closed"}})
	wantOK(t, c.sync(metadataOnly), 0, 1, 0)
	wantOK(t, c.sync(comment("b", "world, again")), 0, 1, 0)

	st := s.Stats()
	if st.BillableUnits != 3 {
		t.Errorf("billable units = %d, want 3 (two creates and one text change)", st.BillableUnits)
	}
	if st.New != 2 || st.Updated != 2 || st.Unchanged != 2 || st.CommentsReceived != 6 || st.Requests[EndpointSync] != 4 {
		t.Errorf("stats = %+v", st)
	}
	stored, ok := s.Comment(project, source, "a")
	if !ok || stored.UserProperties["string:Status"] != "Closed" || stored.Messages[0].Body != "hello" {
		t.Errorf("stored comment a = %+v", stored)
	}
}

func TestTheSameInstantInAnotherFormatIsUnchanged(t *testing.T) {
	s := startSim(t, Options{})
	c := newClient(t, s)
	wantOK(t, c.sync(comment("a", "x")), 1, 0, 0)
	wantOK(t, c.sync(comment("a", "x", map[string]any{"timestamp": "2024-05-01T12:00:00+02:00"})), 0, 0, 1)
}

func TestSyncRejectsInvalidBatchesAsCMDoesAndStoresNothing(t *testing.T) {
	long := strings.Repeat("x", maxTextChars+1)
	msg := func(m map[string]any) map[string]any {
		base := map[string]any{"body": map[string]any{"text": "b"}}
		for k, v := range m {
			base[k] = v
		}
		return map[string]any{"messages": []any{base}}
	}
	tests := []struct {
		name     string
		body     any
		status   int
		contains string
	}{
		{"malformed JSON", `{"comments":[`, 400, "decode"},
		{"a missing comments field", `{}`, 400, "comments"},
		{"an unknown field", map[string]any{"comments": []any{comment("a", "x", map[string]any{"colour": "red"})}}, 400, "colour"},
		{"an empty batch", map[string]any{"comments": []any{}}, 422, "at least one"},
		{"a missing id", map[string]any{"comments": []any{comment("a", "x", map[string]any{"id": nil})}}, 422, "id: required"},
		{"an id with a space", map[string]any{"comments": []any{comment("a b", "x")}}, 422, "without whitespace"},
		{"an id with a slash", map[string]any{"comments": []any{comment("a/b", "x")}}, 422, "'/'"},
		{"an id over 1,024 characters", map[string]any{"comments": []any{comment(strings.Repeat("a", 1025), "x")}}, 422, "1-1024"},
		{"a missing timestamp", map[string]any{"comments": []any{comment("a", "x", map[string]any{"timestamp": nil})}}, 422, "timestamp: required"},
		{"a timestamp without offset", map[string]any{"comments": []any{comment("a", "x", map[string]any{"timestamp": "2024-05-01 10:00"})}}, 422, "RFC 3339"},
		{"no messages", map[string]any{"comments": []any{comment("a", "x", map[string]any{"messages": []any{}})}}, 422, "at least one message"},
		{"a message without body", map[string]any{"comments": []any{comment("a", "x", map[string]any{"messages": []any{map[string]any{"from": "a@x"}}})}}, 422, "body.text: required"},
		{"a body over 65,536 characters", map[string]any{"comments": []any{comment("a", long)}}, 422, "body.text: longer"},
		{"a subject over 65,536 characters", map[string]any{"comments": []any{comment("a", "x", msg(map[string]any{"subject": map[string]any{"text": long}}))}}, 422, "subject.text"},
		{"an empty from", map[string]any{"comments": []any{comment("a", "x", msg(map[string]any{"from": ""}))}}, 422, "from"},
		{"an over-long recipient", map[string]any{"comments": []any{comment("a", "x", msg(map[string]any{"to": []any{strings.Repeat("r", 513)}}))}}, 422, "to[0]"},
		{"a bad sent_at", map[string]any{"comments": []any{comment("a", "x", msg(map[string]any{"sent_at": "yesterday"}))}}, 422, "sent_at"},
		{"a long language", map[string]any{"comments": []any{comment("a", "x", msg(map[string]any{"language": "klingonese"}))}}, 422, "language"},
		{"a property without prefix", map[string]any{"comments": []any{comment("a", "x", map[string]any{"user_properties": map[string]any{"Status": "x"}})}}, 422, "invalid type prefix"},
		{"a string property holding a number", map[string]any{"comments": []any{comment("a", "x", map[string]any{"user_properties": map[string]any{"string:n": 1}})}}, 422, "holds a number"},
		{"a number property holding a string", map[string]any{"comments": []any{comment("a", "x", map[string]any{"user_properties": map[string]any{"number:n": "1"}})}}, 422, "holds a string"},
		{"an empty string property", map[string]any{"comments": []any{comment("a", "x", map[string]any{"user_properties": map[string]any{"string:n": " "}})}}, 422, "empty"},
		{"duplicate ids", map[string]any{"comments": []any{comment("a", "x"), comment("a", "y")}}, 422, "duplicate id"},
		{"too many attachments", map[string]any{"comments": []any{comment("a", "x", map[string]any{"attachments": make([]any, 129)})}}, 422, "attachments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startSim(t, Options{RejectUnknownFields: true})
			c := newClient(t, s)
			r := c.do("POST", "/api/v1/sources/"+project+"/"+source+"/sync", tt.body)
			wantError(t, r, tt.status, tt.contains)
			if n := len(s.Comments(project, source)); n != 0 {
				t.Errorf("%d comments stored from a rejected batch", n)
			}
			if s.Stats().Rejected != 1 {
				t.Errorf("rejections counted: %d", s.Stats().Rejected)
			}
		})
	}
}

func TestABatchOverTheLimitIsRejected(t *testing.T) {
	s := startSim(t, Options{MaxBatch: 2})
	r := newClient(t, s).sync(comment("a", "x"), comment("b", "x"), comment("c", "x"))
	wantError(t, r, 422, "exceed the limit of 2")
}

func TestAnOversizedBodyGets413(t *testing.T) {
	s := startSim(t, Options{MaxBodyBytes: 1000})
	r := newClient(t, s).sync(comment("a", strings.Repeat("x", 2000)))
	wantError(t, r, 413, "exceeds 1000 bytes")
}

func TestSyncToAMissingSourceGets404(t *testing.T) {
	s := startSim(t, Options{})
	r := newClient(t, s).do("POST", "/api/v1/sources/"+project+"/nope/sync", map[string]any{"comments": []any{comment("a", "x")}})
	wantError(t, r, 404, "not found")
}

func TestReceiptsRecordWhenEachCommentArrived(t *testing.T) {
	s := startSim(t, Options{RecordReceipts: true})
	c := newClient(t, s)
	wantOK(t, c.sync(comment("a", "x"), comment("b", "y")))
	wantOK(t, c.sync(comment("a", "x")))
	got := s.Receipts()
	if len(got) != 3 || got[0].CommentID != "a" || got[0].Result != "new" || got[2].Result != "unchanged" || got[0].At.IsZero() {
		t.Errorf("receipts = %+v", got)
	}
	if stored, _ := s.Comment(project, source, "a"); stored.CreatedAt.IsZero() || stored.LastSyncedAt.Before(stored.CreatedAt) {
		t.Errorf("stored times = %+v", stored)
	}
}

func TestUnknownFieldsAreIgnoredUnlessRejectionIsAskedFor(t *testing.T) {
	s := startSim(t, Options{})
	wantOK(t, newClient(t, s).sync(comment("a", "x", map[string]any{"colour": "red"})), 1, 0, 0)
}
