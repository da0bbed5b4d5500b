package salesforce

import (
	"bytes"
	"compress/flate"
	"fmt"
	"io"
)

// SetCompressed makes the bus keep the payloads of events appended from
// now on deflated, and inflate them as subscribers read them. Generated
// emails compress about four to one, so a long-running simulator retains
// four times the events in the same memory; each append and each delivery
// then costs some tens of microseconds, which the default rates of `sfcdc
// sim` do not notice and the throughput benchmarks (which leave it off)
// would. The standard library's flate is enough: the payloads never leave
// the process compressed.
func (b *Bus) SetCompressed(on bool) { b.compress.Store(on) }

// Idle flate writers and readers, reused: a writer costs some 600 KB and
// its tables to build. A bounded free list rather than a sync.Pool, which
// under the race detector drops a quarter of what is put back, so that
// the tests (all built with -race) do not build a writer every few events.
var (
	flateWriters = make(chan *flate.Writer, 8)
	flateReaders = make(chan io.ReadCloser, 8)
)

func getFlateWriter() *flate.Writer {
	select {
	case w := <-flateWriters:
		return w
	default:
		w, _ := flate.NewWriter(nil, flate.BestSpeed) // only an invalid level fails
		return w
	}
}

func putFlateWriter(w *flate.Writer) {
	select {
	case flateWriters <- w:
	default:
	}
}

func getFlateReader() io.ReadCloser {
	select {
	case r := <-flateReaders:
		return r
	default:
		return flate.NewReader(nil)
	}
}

func putFlateReader(r io.ReadCloser) {
	select {
	case flateReaders <- r:
	default:
	}
}

// deflatePayload compresses p into a new slice of exactly its size.
func deflatePayload(p []byte) []byte {
	var buf bytes.Buffer
	w := getFlateWriter()
	defer putFlateWriter(w)
	w.Reset(&buf)
	_, _ = w.Write(p) // writes to a bytes.Buffer do not fail
	_ = w.Close()
	return bytes.Clone(buf.Bytes())
}

// inflatePayload reverses deflatePayload. The bus compressed the bytes
// itself, so a failure is a bug of the simulator and panics.
func inflatePayload(p []byte) []byte {
	r := getFlateReader()
	defer putFlateReader(r)
	if err := r.(flate.Resetter).Reset(bytes.NewReader(p), nil); err != nil {
		panic(fmt.Sprintf("inflate a stored event: %v", err))
	}
	out, err := io.ReadAll(r)
	if err != nil {
		panic(fmt.Sprintf("inflate a stored event: %v", err))
	}
	return out
}
