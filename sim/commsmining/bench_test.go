package commsmining

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// syncBody is a 256-comment request shaped like the uploader's: ~2 KB
// email bodies with line breaks (escaped), a subject, addresses and
// properties.
func syncBody(b *testing.B) []byte {
	comments := make([]map[string]any, 256)
	for i := range comments {
		text := strings.Repeat(fmt.Sprintf("Line %d of the customer's email about order #%d.\n", i, i*7), 40)
		comments[i] = comment(fmt.Sprintf("sf.Case.500%015d", i), text)
	}
	body, err := json.Marshal(map[string]any{"comments": comments})
	if err != nil {
		b.Fatal(err)
	}
	return body
}

func BenchmarkDecodeSyncRequest(b *testing.B) {
	body := syncBody(b)
	var arena []byte // reused, as the handler's pool does
	for _, c := range []struct {
		name   string
		decode func([]byte) ([]wireComment, error)
	}{
		{"encoding-json", func(body []byte) ([]wireComment, error) { return decodeSyncRequest(body, false) }},
		{"lean", func(body []byte) ([]wireComment, error) { return decodeSyncRequestLean(body, &arena) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.decode(body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
