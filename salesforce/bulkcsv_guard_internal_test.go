package salesforce

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// referenceGuard is the guard as first written: one ReadByte and one step
// per byte. The windowed Read must hand out exactly its bytes.
type referenceGuard struct{ g *csvGuard }

func (r referenceGuard) Read(p []byte) (int, error) {
	g, n := r.g, 0
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
		b, err := g.src.ReadByte()
		if err == nil {
			err = g.step(b)
		}
		if err != nil {
			g.err = err
		}
	}
	if n > 0 {
		return n, nil
	}
	return 0, g.err
}

// guarded reads body through a guard whose source hands out at most
// chunk bytes per read, in reads of size bytes.
func guarded(body []byte, max int64, chunk, size int, reference bool) ([]byte, error) {
	src := io.Reader(bytes.NewReader(body))
	if chunk > 0 {
		src = &chunkReader{r: src, n: chunk}
	}
	g := newCSVGuard(src, max)
	var r io.Reader = g
	if reference {
		r = referenceGuard{g}
	}
	var out bytes.Buffer
	buf := make([]byte, size)
	for {
		n, err := r.Read(buf)
		out.Write(buf[:n])
		if err == io.EOF {
			return out.Bytes(), nil
		}
		if err != nil {
			return out.Bytes(), err
		}
	}
}

// chunkReader hands out at most n bytes per Read, like a slow connection.
type chunkReader struct {
	r io.Reader
	n int
}

func (c *chunkReader) Read(p []byte) (int, error) { return c.r.Read(p[:min(len(p), c.n)]) }

// FuzzCSVGuardMatchesTheByteByByteReference holds the windowed guard to
// the per-byte one on any input, any read sizes and any record cap: the
// same bytes when both end well, the same error class otherwise, the one
// that stopped earlier having handed out a prefix of the other's.
func FuzzCSVGuardMatchesTheByteByByteReference(f *testing.F) {
	f.Add([]byte("\"Id\",\"Body\"\r\n\"1\",\"a\r\nb\x1Ac\"\r\n"), uint16(64), uint8(3), uint8(7))
	f.Add([]byte("\xEF\xBB\xBF\"Id\"\n\"\x00\"\n"), uint16(0), uint8(0), uint8(1))
	f.Add([]byte(strings.Repeat("x", 300)+"\n\"y\"\n"), uint16(100), uint8(17), uint8(255))
	f.Fuzz(func(t *testing.T, body []byte, max uint16, chunk, size uint8) {
		fast, fastErr := guarded(body, int64(max), int(chunk), int(size)+1, false)
		ref, refErr := guarded(body, int64(max), int(chunk), int(size)+1, true)
		switch {
		case fastErr == nil && refErr == nil:
			if !bytes.Equal(fast, ref) {
				t.Fatalf("windowed guard gave %q, the reference %q", fast, ref)
			}
		case errors.Is(fastErr, ErrBulkRecordTooLarge) != errors.Is(refErr, ErrBulkRecordTooLarge) || (fastErr == nil) != (refErr == nil):
			t.Fatalf("windowed guard ended with %v, the reference with %v", fastErr, refErr)
		case !bytes.HasPrefix(fast, ref) && !bytes.HasPrefix(ref, fast):
			t.Fatalf("before the error the windowed guard gave %q, the reference %q", fast, ref)
		}
	})
}

func TestTheWindowedGuardHandsOutWhatIsBufferedBeforeWaitingForMore(t *testing.T) {
	t.Parallel()
	pr, pw := io.Pipe()
	go func() { _, _ = pw.Write([]byte("\"a\",\"b\r\n")) }() // the rest has not arrived yet
	g := newCSVGuard(pr, 0)
	buf := make([]byte, 100)
	n, err := g.Read(buf)
	if err != nil || string(buf[:n]) != "\"a\",\"b\x1Ar\n" {
		t.Fatalf("first read gave %q, %v; want the bytes received so far, escaped", buf[:n], err)
	}
	_ = pw.Close()
	if _, err := g.Read(buf); err != io.EOF {
		t.Fatalf("after the writer closed: %v, want io.EOF", err)
	}
}

// BenchmarkCSVGuard reads a page of 100 email bodies of 10 KB with CRLF
// line breaks through the windowed guard and through the byte-by-byte
// reference.
func BenchmarkCSVGuard(b *testing.B) {
	var page bytes.Buffer
	page.WriteString("\"Id\",\"TextBody\"\r\n")
	for range 100 {
		page.WriteString("\"02s000000000001AAA\",\"" + strings.Repeat("Hello, your order shipped.\r\n", 360) + "\"\r\n")
	}
	for _, bc := range []struct {
		name      string
		reference bool
	}{{"windowed", false}, {"bytewise", true}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(page.Len()))
			for b.Loop() {
				g := newCSVGuard(bytes.NewReader(page.Bytes()), 0)
				var r io.Reader = g
				if bc.reference {
					r = referenceGuard{g}
				}
				if _, err := io.Copy(io.Discard, bufio.NewReader(r)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
