package commsmining

import (
	"reflect"
	"strings"
	"testing"
)

func FuzzDecodeSyncRequest(f *testing.F) {
	for _, seed := range []string{
		`{"comments":[{"id":"a","timestamp":"2024-05-01T10:00:00Z","messages":[{"body":{"text":"x"}}]}]}`,
		`{"comments":[{"id":"a","timestamp":"x","messages":[{"body":{"text":null},"to":[""]}],"user_properties":{"string:":1}}]}`,
		`{"comments":null}`, `{"comments":[{}]}`, `[]`, `{"comments":[{"attachments":[{"size":-1}]}]}`, ``,
	} {
		f.Add([]byte(seed), true)
		f.Add([]byte(seed), false)
	}
	// Without strict, the body goes the lean mode's way (its own decoder
	// and digests); FuzzLeanDecoderMatchesEncodingJSON holds that decoder
	// equal to encoding/json.
	f.Fuzz(func(t *testing.T, body []byte, strict bool) {
		var wire []wireComment
		var err error
		if strict {
			wire, err = decodeSyncRequest(body, true)
		} else {
			wire, err = decodeSyncRequestLean(body, nil)
		}
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
		if !strict {
			src.digests = map[string]commentDigest{}
		}
		if r := src.upsert(batch, batch[0].Timestamp, nil); r.New != len(batch) {
			t.Fatalf("upsert counted %+v for %d comments", r, len(batch))
		}
		if r := src.upsert(batch, batch[0].Timestamp, nil); r.Unchanged != len(batch) {
			t.Fatalf("the same batch again counted %+v for %d comments, want all unchanged", r, len(batch))
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

// leanSeeds are bodies that exercise the lean decoder's edges: escapes,
// invalid UTF-8, nulls, unknown and case-folded names, repeated fields,
// numbers, nesting and syntax errors.
var leanSeeds = []string{
	`{"comments":[{"id":"a","timestamp":"2024-05-01T10:00:00Z","thread_id":"t","messages":[{"body":{"text":"x\n\u00e9\ud83d\ude00","translated_from":"de"},"subject":{"text":"s"},"signature":null,"from":"a@x","to":["b@y",null],"cc":[],"bcc":null,"sent_at":"2024-05-01T10:00:00.5Z","language":"en"}],"user_properties":{"string:S":"v","number:N":-1.5e3,"string:B":true,"number:O":{"a":[1,2]}},"attachments":[{"name":"f","size":3,"content_type":"t/p","attachment_reference":"r","content_hash":null},null]}]}`,
	`{"comments":[{"ID":"a","timestamp":"2024-05-01T10:00:00Z","messages":[{"body":{"text":"x"}}]}]}`,
	`{"comments":[{"id":"a","id":"b","timestamp":"2024-05-01T10:00:00Z","messages":[{"body":{"text":"x"}}]}]}`,
	`{"comments":[{"id":"a","timestamp":"2024-05-01T10:00:00Z","messages":[{"body":{"text":"x"},"body":{"translated_from":"y"}}]}]}`,
	`{"comments":[{"id":"a","timestamp":"2024-05-01T10:00:00Z","messages":[{"body":{"text":"x"}}],"x":{"y":[true,false,null,"\"",0.1e-2]}}],"extra":1}`,
	`{"comments":[{"\u0069d":"a","timestamp":"2024-05-01T10:00:00Z","messages":[{"body":{"text":"\xff"}}]}]}`,
	`{"comments":[{"id":"a","timestamp":"2024-05-01T10:00:00Z","messages":[{"body":{"text":"x"}}],"attachments":[{"size":1.5}]}]}`,
	`{"comments":[{"id":"a","timestamp":"2024-05-01T10:00:00Z","messages":[{"body":{"text":"x"}}],"user_properties":{"number:N":1e999}}]}`,
	`{"comments":[]} x`, `{"comments":[{"id":"a\u0000"}]}`, `{"comments":[{"id":01}]}`, `{"comments":[,]}`, `null`, ` {"comments" : null } `,
	`{"comments":[{"id":"a","timestamp":"2024-05-01T10:00:00Z","messages":[{"body":{"text":"x"}}],"ſd":"k"}]}`,
}

// The lean decoder gives the same comments as encoding/json for every
// body, and refuses exactly the bodies encoding/json refuses.
func FuzzLeanDecoderMatchesEncodingJSON(f *testing.F) {
	for _, seed := range leanSeeds {
		f.Add([]byte(seed))
	}
	// Invalid UTF-8 triples in size when decoded: the arena must grow.
	f.Add([]byte(`{"comments":[{"id":"a","timestamp":"2024-05-01T10:00:00Z","messages":[{"body":{"text":"` +
		strings.Repeat("\xff\\n", 300) + `"},"subject":{"text":"é\xfe"}}]}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		want, wantErr := decodeSyncRequest(body, false)
		got, gotErr := decodeSyncRequestLean(body, nil)
		if (wantErr == nil) != (gotErr == nil) {
			t.Fatalf("encoding/json error %v, lean decoder error %v", wantErr, gotErr)
		}
		if wantErr == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("lean decoder gave\n%#v\nencoding/json gave\n%#v", got, want)
		}
	})
}
