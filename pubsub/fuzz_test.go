package pubsub

import (
	"errors"
	"runtime"
	"strings"
	"testing"
)

// FuzzExpandBitmap feeds comma-separated entry lists to the Account schema:
// expansion never panics, fails only with a *BitmapError of a known kind,
// and succeeds only with names of the schema, each once, never a parent
// next to its own components.
func FuzzExpandBitmap(f *testing.F) {
	for _, seed := range []string{
		"0x400080", "0x400000,4-0x06", "0x0240", "0x400040,5-0x07FF", "4-0x02", "0x400010,4-0x02",
		"4-0x06,0x400000", "0x650004E0,4-0x10,7-0x06", "0x", "0x-1", "45-0x01", "3-0x01", "0-0x1", "",
		"0x" + strings.Repeat("f", 64), "4-0x02,4-0x04", "00004-0x1", "4-0X7ff",
	} {
		f.Add(seed)
	}
	schema := compileFile(f, "account", accountSchemaPath)
	known := map[string]bool{}
	for _, name := range schema.fields.names[1:] {
		known[name] = true
	}
	for _, components := range schema.fields.components {
		for _, name := range components {
			known[name] = true
		}
	}
	f.Fuzz(func(t *testing.T, list string) {
		entries := strings.Split(list, ",")
		names, err := schema.ExpandBitmap(entries)
		if err != nil {
			var bitmapErr *BitmapError
			if !errors.As(err, &bitmapErr) || !(errors.Is(err, ErrMalformedBitmap) || errors.Is(err, ErrBitmapMismatch)) {
				t.Fatalf("ExpandBitmap(%q) error %v is not a *BitmapError of a known kind", entries, err)
			}
			return
		}
		seen := map[string]bool{}
		for _, name := range names {
			if !known[name] || seen[name] {
				t.Fatalf("ExpandBitmap(%q) = %q: %q unknown or repeated", entries, names, name)
			}
			seen[name] = true
		}
		for _, name := range names {
			if parent, _, isComponent := strings.Cut(name, "."); isComponent && seen[parent] {
				t.Fatalf("ExpandBitmap(%q) = %q names %s and its component %s", entries, names, parent, name)
			}
		}
	})
}

// fuzzAllocationLimit bounds what one decode may allocate: the per-block cap
// (1 MiB) plus room proportional to the input, far below what an uncapped
// forged block count takes (160 MB for 10 million items).
func fuzzAllocationLimit(inputLen int) uint64 {
	return 4<<20 + 1024*uint64(inputLen)
}

// FuzzDecodePayload decodes arbitrary bytes with the EmailMessage and the
// platform-event schema: it never panics, a failure is always a *PoisonError,
// a success has a readable header, and a decode never allocates more than
// fuzzAllocationLimit.
func FuzzDecodePayload(f *testing.F) {
	emailJSON := mustReadFile(f, emailMessageSchemaPath)
	for _, payload := range []map[string]any{
		{"ChangeEventHeader": emailHeader(ChangeUpdate, []string{"0x10000400C", "33-0x06"}, []string{"0x4000"}, []string{"0x4"}),
			"TextBody": "body", "ReturnAddress__c": map[string]any{"City": "Zürich"}, "LastModifiedDate": int64(1)},
		{"ChangeEventHeader": emailHeader(ChangeCreate, nil, nil, nil), "Subject": "s", "Incoming": true, "MessageDate": int64(-1)},
	} {
		f.Add(encodeJSON(f, emailJSON, payload))
	}
	f.Add(forgedBlockCountPayload())
	f.Add([]byte{})
	schemas := []*WriterSchema{
		compileFile(f, "em", emailMessageSchemaPath),
		compileFile(f, "pe", platformEventSchemaPath),
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		for _, schema := range schemas {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			event, poison := schema.decodeEvent(payload)
			runtime.ReadMemStats(&after)
			if allocated := after.TotalAlloc - before.TotalAlloc; allocated > fuzzAllocationLimit(len(payload)) {
				t.Fatalf("decoding %d bytes with %s allocated %d bytes", len(payload), schema.id, allocated)
			}
			if poison != nil {
				if event != nil || poison.Reason == "" {
					t.Fatalf("poison %v came with event %v or without reason", poison, event)
				}
				continue
			}
			if schema.IsChangeEvent() && (event.Header == nil || event.Header.EntityName == "") {
				t.Fatalf("decoded CDC event without a usable header: %+v", event.Header)
			}
			wantFields := len(schema.fields.names)
			if schema.IsChangeEvent() {
				wantFields-- // the header is not among Fields
			}
			if len(event.Fields) != wantFields {
				t.Fatalf("decoded %d fields, want %d", len(event.Fields), wantFields)
			}
		}
	})
}
