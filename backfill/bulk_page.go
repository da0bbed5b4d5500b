package backfill

import (
	"context"
	"sync"

	"github.com/sfcdc/sfcdc/salesforce"
)

// bulkParseChunk is the records the parsing goroutine hands over at once:
// small enough that the few chunks in the hand-over hold little memory
// with 10 KB bodies, large enough that the hand-over costs nothing.
const bulkParseChunk = 500

// bulkChunk is a run of parsed records, or the error that ended parsing.
type bulkChunk struct {
	records []salesforce.Record
	err     error
}

// bulkPage hands one results page on and returns the next page's
// locator. The CSV is parsed and typed on a goroutine of its own while
// this one maps and submits the records parsed before, so the two halves
// of the work use both cores; the hand-over holds at most a few chunks.
// bulkPage owns that goroutine and waits for it before returning.
func (j *job) bulkPage(ctx context.Context, run *objectRun, s sink, bj *salesforce.BulkJob, locator string, start Position) (string, error) {
	var page *salesforce.BulkPage
	err := j.rd.do(ctx, "read Bulk query results", func(ctx context.Context) error {
		var err error
		page, err = bj.Page(ctx, locator)
		return err
	})
	if err != nil {
		return "", err
	}
	parseCtx, stopParsing := context.WithCancel(ctx)
	chunks := make(chan bulkChunk, 2)
	var parser sync.WaitGroup
	parser.Go(func() { parseBulkPage(parseCtx, page, chunks) })
	defer func() {
		stopParsing()
		page.Close() // unblocks a parser waiting on the connection
		parser.Wait()
	}()
	for c := range chunks {
		if c.err != nil {
			return "", c.err
		}
		rows, err := j.rowsOf(run, salesforce.QueryPage{Records: c.records}, start)
		if err != nil {
			return "", err
		}
		if err := s.take(ctx, run, rows); err != nil {
			return "", err
		}
	}
	return page.Next, nil
}

// parseBulkPage sends the page's records in chunks, then closes chunks;
// it stops early, without sending more, when ctx ends.
func parseBulkPage(ctx context.Context, page *salesforce.BulkPage, chunks chan<- bulkChunk) {
	defer close(chunks)
	send := func(c bulkChunk) bool {
		select {
		case chunks <- c:
			return true
		case <-ctx.Done():
			return false
		}
	}
	chunk := make([]salesforce.Record, 0, bulkParseChunk)
	for rec, err := range page.Records() {
		if err != nil {
			send(bulkChunk{err: err})
			return
		}
		if chunk = append(chunk, rec); len(chunk) == bulkParseChunk {
			if !send(bulkChunk{records: chunk}) {
				return
			}
			chunk = make([]salesforce.Record, 0, bulkParseChunk)
		}
	}
	if len(chunk) > 0 {
		send(bulkChunk{records: chunk})
	}
}
