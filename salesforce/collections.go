package salesforce

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
)

// MaxCollectionIDs is how many records one sObject Collections retrieve
// returns (reference §5.3); Retrieve splits larger requests.
const MaxCollectionIDs = 2000

// apiNamePattern matches object and field API names, so a name never
// changes the resource path.
var apiNamePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)

// Retrieve fetches records of one object by ID with sObject Collections
// (POST composite/sobjects/{object}), up to 2,000 IDs per call, in as many
// calls as needed. The result is positional: out[i] is the record of
// ids[i], nil when Salesforce returned null (deleted, missing, unreadable).
func (c *Client) Retrieve(ctx context.Context, object string, ids, fields []string) ([]Record, error) {
	if !apiNamePattern.MatchString(object) {
		return nil, fmt.Errorf("retrieve records: %q is not an object API name", object)
	}
	if len(fields) == 0 {
		return nil, fmt.Errorf("retrieve %s records: name at least one field", object)
	}
	out := make([]Record, 0, len(ids))
	for start := 0; start < len(ids); start += MaxCollectionIDs {
		chunk := ids[start:min(start+MaxCollectionIDs, len(ids))]
		got, err := c.retrieveChunk(ctx, object, chunk, fields)
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
	}
	return out, nil
}

func (c *Client) retrieveChunk(ctx context.Context, object string, ids, fields []string) ([]Record, error) {
	body, err := jsonBody(map[string][]string{"ids": ids, "fields": fields})
	if err != nil {
		return nil, fmt.Errorf("retrieve %s records: %w", object, err)
	}
	req := request{method: http.MethodPost, path: c.dataPath("composite/sobjects/" + object), body: body}
	var records []Record
	err = c.do(ctx, req, func(r io.Reader) error {
		var raw []map[string]any
		if err := decodeJSON(r, &raw); err != nil {
			return err
		}
		if len(raw) != len(ids) {
			return fmt.Errorf("decode answer: %d records for %d IDs", len(raw), len(ids))
		}
		records = decodeRecords(raw)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("retrieve %d %s records: %w", len(ids), object, err)
	}
	return records, nil
}

// changeEventName is the change event entity of an object:
// CaseChangeEvent, Invoice__ChangeEvent for Invoice__c.
func changeEventName(object string) string {
	if base, ok := strings.CutSuffix(object, "__c"); ok {
		return base + "__ChangeEvent"
	}
	return object + "ChangeEvent"
}
