package mapper

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json from the current output")

// goldenCase is one testdata/*.json file.
type goldenCase struct {
	Config Config `json:"config"`
	Record struct {
		Object  string         `json:"object"`
		ID      string         `json:"id"`
		Deleted bool           `json:"deleted"`
		Fields  map[string]any `json:"fields"`
	} `json:"record"`
}

// goldenOutput is what a *.golden.json file holds.
type goldenOutput struct {
	Kind      string          `json:"kind"`
	CommentID string          `json:"comment_id"`
	Comment   json.RawMessage `json:"comment,omitempty"`
	Content   string          `json:"content_hash,omitempty"`
	Metadata  string          `json:"metadata_hash,omitempty"`
}

func TestEveryDefaultMappingMatchesItsGoldenFile(t *testing.T) {
	inputs, err := filepath.Glob("testdata/*.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range inputs {
		if strings.HasSuffix(in, ".golden.json") {
			continue
		}
		name := strings.TrimSuffix(filepath.Base(in), ".json")
		t.Run(name, func(t *testing.T) {
			got := mapGoldenInput(t, in)
			golden := strings.TrimSuffix(in, ".json") + ".golden.json"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("read golden file (run go test ./mapper -run Golden -update to create it): %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("output differs from %s (rerun with -update if the change is intended; it re-bills comments)\ngot:\n%s\nwant:\n%s", golden, got, want)
			}
		})
	}
}

func mapGoldenInput(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var gc goldenCase
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&gc); err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	m, err := New(gc.Config)
	if err != nil {
		t.Fatal(err)
	}
	rec := Record{Object: gc.Record.Object, ID: gc.Record.ID, Deleted: gc.Record.Deleted,
		Fields: normaliseNumbers(gc.Record.Fields).(map[string]any)}
	res, err := m.Map(rec)
	if err != nil {
		t.Fatal(err)
	}
	out := goldenOutput{Kind: res.Kind.String(), CommentID: res.CommentID}
	if res.Kind == ResultUpsert {
		out.Comment = res.JSON
		out.Content, out.Metadata = res.Hashes.Content.String(), res.Hashes.Metadata.String()
	}
	var pretty bytes.Buffer
	enc := json.NewEncoder(&pretty)
	enc.SetEscapeHTML(false) // keep "&" and "<" readable in the golden files
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		t.Fatal(err)
	}
	return pretty.Bytes()
}

// normaliseNumbers turns JSON numbers into the Go types change events and
// REST decoding produce: int64 for integers, float64 otherwise.
func normaliseNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = normaliseNumbers(e)
		}
		return x
	}
	return v
}
