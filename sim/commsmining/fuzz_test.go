package commsmining

import "testing"

func FuzzDecodeSyncRequest(f *testing.F) {
	for _, seed := range []string{
		`{"comments":[{"id":"a","timestamp":"2024-05-01T10:00:00Z","messages":[{"body":{"text":"x"}}]}]}`,
		`{"comments":[{"id":"a","timestamp":"x","messages":[{"body":{"text":null},"to":[""]}],"user_properties":{"string:":1}}]}`,
		`{"comments":null}`, `{"comments":[{}]}`, `[]`, `{"comments":[{"attachments":[{"size":-1}]}]}`, ``,
	} {
		f.Add([]byte(seed), true)
		f.Add([]byte(seed), false)
	}
	f.Fuzz(func(t *testing.T, body []byte, strict bool) {
		wire, err := decodeSyncRequest(body, strict)
		if err != nil {
			return
		}
		batch, err := validateBatch(wire, 16384)
		if err != nil {
			return
		}
		for _, c := range batch {
			if !validCommentID(c.ID) || c.Timestamp.IsZero() || len(c.Messages) == 0 {
				t.Fatalf("accepted an invalid comment: %+v", c)
			}
		}
		src := newSource("p", "s", batch[0].Timestamp)
		if r := src.upsert(batch, batch[0].Timestamp, nil); r.New != len(batch) {
			t.Fatalf("upsert counted %+v for %d comments", r, len(batch))
		}
	})
}

func FuzzDecodeContinuation(f *testing.F) {
	f.Add(encodeContinuation("2024-01-01T00:00:00Z", "a"))
	f.Add("%%%")
	f.Fuzz(func(t *testing.T, raw string) {
		_, _ = decodeContinuation(raw)
	})
}
