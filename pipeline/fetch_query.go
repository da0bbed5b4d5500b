package pipeline

import (
	"context"
	"fmt"
	"iter"
	"regexp"
	"strings"

	"github.com/sfcdc/sfcdc/salesforce"
)

// RecordQuerier runs SOQL. *salesforce.Client implements it. A worker whose
// RecordSource also implements it reads records whose mapping needs parent
// relationship fields (Parent.CaseNumber) with one query per chunk of IDs,
// because sObject Collections retrieve returns only the object's own fields.
type RecordQuerier interface {
	Query(ctx context.Context, soql string, opts salesforce.QueryOptions) iter.Seq2[salesforce.Record, error]
}

// queryChunkIDs keeps a `WHERE Id IN (…)` query well under Salesforce's
// URI and SOQL length limits (200 IDs ≈ 4.2 KB).
const queryChunkIDs = 200

// recordIDPattern admits only Salesforce IDs into a SOQL literal.
var recordIDPattern = regexp.MustCompile(`^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$`)

func hasRelationshipField(fields []string) bool {
	for _, f := range fields {
		if strings.Contains(f, ".") {
			return true
		}
	}
	return false
}

// queryRecords reads ids' records by SOQL, in chunks, positionally like
// Retrieve (nil where a record was not returned).
func queryRecords(ctx context.Context, q RecordQuerier, object string, ids, fields []string) ([]salesforce.Record, error) {
	byID := make(map[string]salesforce.Record, len(ids))
	for start := 0; start < len(ids); start += queryChunkIDs {
		chunk := ids[start:min(start+queryChunkIDs, len(ids))]
		soql, err := idQuery(object, chunk, fields)
		if err != nil {
			return nil, err
		}
		for rec, err := range q.Query(ctx, soql, salesforce.QueryOptions{}) {
			if err != nil {
				return nil, err
			}
			byID[rec.ID()] = rec
		}
	}
	out := make([]salesforce.Record, len(ids))
	for i, id := range ids {
		out[i] = byID[id]
	}
	return out, nil
}

func idQuery(object string, ids, fields []string) (string, error) {
	quoted := make([]string, len(ids))
	for i, id := range ids {
		if !recordIDPattern.MatchString(id) {
			return "", fmt.Errorf("query %s records: %q is not a record ID", object, id)
		}
		quoted[i] = "'" + id + "'"
	}
	cols := []string{"Id"}
	for _, f := range fields {
		if !strings.EqualFold(f, "Id") {
			cols = append(cols, f)
		}
	}
	return fmt.Sprintf("SELECT %s FROM %s WHERE Id IN (%s)", strings.Join(cols, ", "), object, strings.Join(quoted, ", ")), nil
}
