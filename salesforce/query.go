package salesforce

import (
	"context"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strconv"
)

// Query batch sizes Salesforce honours (reference §5.2); it may send
// smaller batches for wide rows.
const (
	MinQueryBatchSize = 200
	MaxQueryBatchSize = 2000
)

// QueryOptions tune a query.
type QueryOptions struct {
	// BatchSize asks for this many rows per page (Sforce-Query-Options:
	// batchSize=N), 200–2,000; 0 leaves Salesforce's default of 2,000.
	BatchSize int
	// IncludeDeleted uses queryAll: soft-deleted (and merged, archived)
	// rows come too, with IsDeleted true.
	IncludeDeleted bool
}

// QueryPage is one answer of query, queryAll or a next-page call.
type QueryPage struct {
	TotalSize      int
	Done           bool
	NextRecordsURL string // the next page's path while Done is false
	Records        []Record
}

// queryAnswer is the wire form of a QueryPage.
type queryAnswer struct {
	TotalSize      int              `json:"totalSize"`
	Done           bool             `json:"done"`
	NextRecordsURL string           `json:"nextRecordsUrl"`
	Records        []map[string]any `json:"records"`
}

// decodeQueryPage reads a query answer; a nextRecordsUrl leaving the REST
// API is refused (the session would be sent there).
func decodeQueryPage(r io.Reader) (QueryPage, error) {
	var a queryAnswer
	if err := decodeJSON(r, &a); err != nil {
		return QueryPage{}, err
	}
	if !a.Done {
		if a.NextRecordsURL == "" {
			return QueryPage{}, fmt.Errorf("decode query answer: not done, yet no nextRecordsUrl")
		}
		if err := checkResourcePath(a.NextRecordsURL); err != nil {
			return QueryPage{}, fmt.Errorf("decode query answer: %w", err)
		}
	}
	if a.TotalSize < 0 {
		return QueryPage{}, fmt.Errorf("decode query answer: negative totalSize")
	}
	return QueryPage{TotalSize: a.TotalSize, Done: a.Done, NextRecordsURL: a.NextRecordsURL, Records: decodeRecords(a.Records)}, nil
}

func (o QueryOptions) header() (http.Header, error) {
	if o.BatchSize == 0 {
		return nil, nil
	}
	if o.BatchSize < MinQueryBatchSize || o.BatchSize > MaxQueryBatchSize {
		return nil, fmt.Errorf("query batch size %d: want %d–%d, or 0 for the default", o.BatchSize, MinQueryBatchSize, MaxQueryBatchSize)
	}
	return http.Header{"Sforce-Query-Options": {"batchSize=" + strconv.Itoa(o.BatchSize)}}, nil
}

// FirstPage runs a SOQL query and returns its first page.
func (c *Client) FirstPage(ctx context.Context, soql string, opts QueryOptions) (QueryPage, error) {
	hdr, err := opts.header()
	if err != nil {
		return QueryPage{}, err
	}
	resource := "query"
	if opts.IncludeDeleted {
		resource = "queryAll"
	}
	req := request{method: http.MethodGet, path: c.dataPath(resource), query: url.Values{"q": {soql}}, header: hdr}
	return c.page(ctx, req)
}

// NextPage follows a page's nextRecordsUrl.
func (c *Client) NextPage(ctx context.Context, prev QueryPage, opts QueryOptions) (QueryPage, error) {
	if prev.Done {
		return QueryPage{}, fmt.Errorf("next query page: the query is done")
	}
	hdr, err := opts.header()
	if err != nil {
		return QueryPage{}, err
	}
	return c.page(ctx, request{method: http.MethodGet, path: prev.NextRecordsURL, header: hdr})
}

func (c *Client) page(ctx context.Context, req request) (QueryPage, error) {
	var p QueryPage
	err := c.do(ctx, req, func(r io.Reader) error {
		var derr error
		p, derr = decodeQueryPage(r)
		return derr
	})
	return p, err
}

// QueryPages yields every page of a query in order, following
// nextRecordsUrl until done. It stops at the first error, which it yields.
func (c *Client) QueryPages(ctx context.Context, soql string, opts QueryOptions) iter.Seq2[QueryPage, error] {
	return func(yield func(QueryPage, error) bool) {
		p, err := c.FirstPage(ctx, soql, opts)
		for {
			if err != nil {
				yield(QueryPage{}, err)
				return
			}
			if !yield(p, nil) || p.Done {
				return
			}
			p, err = c.NextPage(ctx, p, opts)
		}
	}
}

// Query yields every record of a SOQL query (query, or queryAll with
// opts.IncludeDeleted), page after page.
func (c *Client) Query(ctx context.Context, soql string, opts QueryOptions) iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		for p, err := range c.QueryPages(ctx, soql, opts) {
			if err != nil {
				yield(nil, err)
				return
			}
			for _, r := range p.Records {
				if !yield(r, nil) {
					return
				}
			}
		}
	}
}

// QueryAll is Query over queryAll: soft-deleted rows included.
func (c *Client) QueryAll(ctx context.Context, soql string, opts QueryOptions) iter.Seq2[Record, error] {
	opts.IncludeDeleted = true
	return c.Query(ctx, soql, opts)
}

// Count runs a SELECT COUNT() query and returns its totalSize.
func (c *Client) Count(ctx context.Context, soql string) (int, error) {
	p, err := c.FirstPage(ctx, soql, QueryOptions{})
	if err != nil {
		return 0, err
	}
	return p.TotalSize, nil
}
