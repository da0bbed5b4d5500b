package salesforce

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

// DefaultMaxBulkRecordBytes caps one CSV record of a Bulk results page: ten
// long text fields of 131,072 characters, 4 bytes each with every quote
// doubled, still fit.
const DefaultMaxBulkRecordBytes = 32 << 20

// ErrBulkRecordTooLarge: one CSV record of a results page is longer than
// the configured cap (BulkQueryOptions.MaxRecordBytes). The page is not
// read further, so a hostile or broken answer cannot exhaust memory.
var ErrBulkRecordTooLarge = errors.New("bulk result record too large")

// utf8BOM is the byte order mark some tools put before UTF-8 text;
// encoding/csv would take it as part of the first field and then fail on
// the quote after it.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// crEscape protects carriage returns inside quoted values from
// encoding/csv, which turns every \r\n into \n even inside quotes (so an
// email body written on Windows would lose bytes). The guard replaces such
// a \r with crEscape+'r', and any crEscape byte anywhere with
// crEscape+'s', so that unescapeField restores the exact bytes. None of
// these bytes means anything to the CSV grammar, so the record and field
// boundaries do not move.
const (
	crEscape    = 0x1A
	crEscapedCR = 'r'
	crEscapedSB = 's'
)

// csvGuard sits between a results page body and encoding/csv: it drops a
// leading UTF-8 BOM, escapes carriage returns inside quoted values (see
// crEscape), and fails with ErrBulkRecordTooLarge once one record grows
// past max bytes. It tracks quoting by flipping on every '"', which is
// exact for well-formed CSV (a doubled quote flips twice); on malformed
// CSV encoding/csv reports the error itself.
type csvGuard struct {
	src      *bufio.Reader
	max      int64
	inQuotes bool
	record   int64   // bytes of the current record so far
	pend     [2]byte // escaped bytes not yet handed out
	npend    int
	err      error
}

// newCSVGuard wraps a page body; max ≤ 0 means DefaultMaxBulkRecordBytes.
func newCSVGuard(r io.Reader, max int64) *csvGuard {
	if max <= 0 {
		max = DefaultMaxBulkRecordBytes
	}
	br := bufio.NewReaderSize(r, 64<<10)
	if head, _ := br.Peek(len(utf8BOM)); bytes.Equal(head, utf8BOM) {
		_, _ = br.Discard(len(utf8BOM))
	}
	return &csvGuard{src: br, max: max}
}

// csvPlain marks the bytes the guard passes through untouched: all but
// the quote, the line feed, the carriage return and the escape byte.
var csvPlain = func() (t [256]bool) {
	for i := range t {
		t[i] = true
	}
	t['"'], t['\n'], t['\r'], t[crEscape] = false, false, false, false
	return t
}()

// Read fills p with escaped bytes. It works on the reader's buffered
// window rather than byte by byte through ReadByte: runs of plain bytes
// are copied in a tight loop and only the four bytes that matter go
// through step (a 10 KB email body read three times faster; the per-byte
// guard it replaced is kept in the tests as the reference a fuzz target
// compares it with). What is ready is handed out before the next network
// read, so the CSV parser never waits on bytes already received.
func (g *csvGuard) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if g.npend > 0 {
			p[n] = g.pend[0]
			g.pend[0] = g.pend[1]
			g.npend--
			n++
			continue
		}
		if g.err != nil {
			break
		}
		if g.src.Buffered() == 0 {
			if n > 0 {
				break
			}
			if _, err := g.src.Peek(1); err != nil {
				g.err = err
				continue
			}
		}
		window, _ := g.src.Peek(g.src.Buffered())
		used := 0
		for used < len(window) && n < len(p) && g.npend == 0 {
			b := window[used]
			used++
			if csvPlain[b] {
				p[n] = b
				n++
				g.record++
				continue
			}
			if err := g.step(b); err != nil {
				g.err = err
			}
		}
		if g.err == nil && g.record > g.max {
			g.err = g.tooLarge()
		}
		_, _ = g.src.Discard(used)
	}
	if n > 0 {
		return n, nil
	}
	return 0, g.err
}

// step escapes one byte into pend and keeps count of the record's size.
func (g *csvGuard) step(b byte) error {
	switch {
	case b == crEscape:
		g.pend, g.npend = [2]byte{crEscape, crEscapedSB}, 2
	case b == '\r' && g.inQuotes:
		g.pend, g.npend = [2]byte{crEscape, crEscapedCR}, 2
	default:
		g.pend, g.npend = [2]byte{b}, 1
	}
	if b == '"' {
		g.inQuotes = !g.inQuotes
	}
	g.record += int64(g.npend)
	if g.record > g.max {
		g.npend = 0
		return g.tooLarge()
	}
	if b == '\n' && !g.inQuotes {
		g.record = 0
	}
	return nil
}

func (g *csvGuard) tooLarge() error {
	return fmt.Errorf("%w: a record is longer than %d bytes (raise the cap if such records are expected)", ErrBulkRecordTooLarge, g.max)
}

// unescapeField undoes csvGuard's escaping in one parsed value.
func unescapeField(s string) (string, error) {
	if strings.IndexByte(s, crEscape) < 0 {
		return s, nil
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != crEscape {
			b.WriteByte(c)
			continue
		}
		if i+1 == len(s) {
			return "", errors.New("unescape value: dangling escape")
		}
		i++
		switch s[i] {
		case crEscapedCR:
			b.WriteByte('\r')
		case crEscapedSB:
			b.WriteByte(crEscape)
		default:
			return "", errors.New("unescape value: unknown escape")
		}
	}
	return b.String(), nil
}
