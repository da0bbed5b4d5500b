package salesforce

import (
	"context"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// BulkPage is one results page of a job, its body still on the wire:
// Records parses it as it arrives, one record at a time.
type BulkPage struct {
	// Locator fetched this page ("" for the first). Fetching it again
	// gives the same page for as long as the job exists.
	Locator string
	// Next is the locator of the following page, "" after the last.
	// Store it as the resume point once this page's records are safe.
	Next string
	// NumberOfRecords is Sforce-NumberOfRecords, -1 when absent.
	NumberOfRecords int

	ctx  context.Context
	job  *BulkJob
	body io.ReadCloser
	read bool
	err  error
}

// Results yields the job's pages from locator ("" for the first) to the
// last, fetching each when the previous one has been handed back. A page
// is complete only when its Records ended without an error; after such
// an error, Results stops. Results does not wait: call Wait first.
func (j *BulkJob) Results(ctx context.Context, locator string) iter.Seq2[*BulkPage, error] {
	return func(yield func(*BulkPage, error) bool) {
		for {
			page, err := j.Page(ctx, locator)
			if err != nil {
				yield(nil, err)
				return
			}
			more := yield(page, nil)
			page.Close()
			if !more || page.err != nil || page.Next == "" {
				return
			}
			locator = page.Next
		}
	}
}

// Page fetches one results page; the caller reads its Records and
// closes it.
func (j *BulkJob) Page(ctx context.Context, locator string) (*BulkPage, error) {
	q := url.Values{}
	if locator != "" {
		q.Set("locator", locator)
	}
	if j.opts.MaxRecords > 0 {
		q.Set("maxRecords", strconv.Itoa(j.opts.MaxRecords))
	}
	req := request{method: http.MethodGet, path: j.jobPath("/results"), query: q}
	resp, err := j.c.openStream(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("read Bulk query job %s results: %w", j.ID(), classifyBulkJobCall(err))
	}
	p := &BulkPage{Locator: locator, NumberOfRecords: -1, ctx: ctx, job: j, body: resp.Body}
	if next := resp.Header.Get("Sforce-Locator"); next != "null" {
		p.Next = next
	}
	if n := resp.Header.Get("Sforce-NumberOfRecords"); n != "" {
		count, err := strconv.Atoi(n)
		if err != nil || count < 0 {
			p.Close()
			return nil, fmt.Errorf("read Bulk query job %s results: Sforce-NumberOfRecords %q is not a count", j.ID(), n)
		}
		p.NumberOfRecords = count
	}
	return p, nil
}

// Close releases the page's connection; reading no further is fine.
func (p *BulkPage) Close() error { return p.body.Close() }

// Records yields the page's records in order, typed as the REST path
// types them. It can be ranged over once. The last yield may be an error:
// malformed CSV (ErrBulkMalformedCSV), a record over the size cap
// (ErrBulkRecordTooLarge), a count that differs from
// Sforce-NumberOfRecords (ErrBulkResultsIncomplete), or a cut connection.
func (p *BulkPage) Records() iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		if p.read {
			yield(nil, fmt.Errorf("read Bulk results page: its records were already read"))
			return
		}
		p.read = true
		if err := p.records(yield); err != nil {
			p.err = fmt.Errorf("read Bulk query job %s results page: %w", p.job.ID(), err)
			yield(nil, p.err)
		}
	}
}

func (p *BulkPage) records(yield func(Record, error) bool) error {
	rd := newBulkPageReader(p.body, p.job.delimiter(), p.job.opts.MaxRecordBytes)
	header, err := rd.readHeader()
	if err == io.EOF {
		return p.checkCount(0)
	}
	if err != nil {
		return err
	}
	schema, err := p.job.schema(p.ctx, header)
	if err != nil {
		return err
	}
	for {
		fields, err := rd.next()
		if err == io.EOF {
			return p.checkCount(rd.row)
		}
		if err != nil {
			return err
		}
		rec, err := schema.record(fields)
		if err != nil {
			return err
		}
		if !yield(rec, nil) {
			return nil
		}
	}
}

func (p *BulkPage) checkCount(got int) error {
	if p.NumberOfRecords >= 0 && got != p.NumberOfRecords {
		return fmt.Errorf("%w: Sforce-NumberOfRecords said %d, the page held %d", ErrBulkResultsIncomplete, p.NumberOfRecords, got)
	}
	return nil
}

// delimiter is the job's columnDelimiter as a rune (comma by default).
func (j *BulkJob) delimiter() rune {
	switch strings.ToUpper(j.Info().ColumnDelimiter) {
	case "BACKQUOTE":
		return '`'
	case "CARET":
		return '^'
	case "PIPE":
		return '|'
	case "SEMICOLON":
		return ';'
	case "TAB":
		return '\t'
	}
	return ','
}

// schema types a header's columns, once per distinct header.
func (j *BulkJob) schema(ctx context.Context, header []string) (*bulkSchema, error) {
	info := j.Info()
	object := info.Object
	if object == "" {
		return nil, fmt.Errorf("type result columns: the job does not name its object")
	}
	version := info.Version()
	if version == "" {
		version = j.c.version
	}
	return newBulkSchema(ctx, object, version, header, j.cachedDescribe)
}
