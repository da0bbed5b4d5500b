package salesforce

import (
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"sync"
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

var flateWriters = sync.Pool{New: func() any {
	w, _ := flate.NewWriter(nil, flate.BestSpeed) // only an invalid level fails
	return w
}}

var flateReaders = sync.Pool{New: func() any { return flate.NewReader(nil) }}

// deflatePayload compresses p into a new slice of exactly its size.
func deflatePayload(p []byte) []byte {
	var buf bytes.Buffer
	w := flateWriters.Get().(*flate.Writer)
	defer flateWriters.Put(w)
	w.Reset(&buf)
	_, _ = w.Write(p) // writes to a bytes.Buffer do not fail
	_ = w.Close()
	return bytes.Clone(buf.Bytes())
}

// inflatePayload reverses deflatePayload. The bus compressed the bytes
// itself, so a failure is a bug of the simulator and panics.
func inflatePayload(p []byte) []byte {
	r := flateReaders.Get().(io.ReadCloser)
	defer flateReaders.Put(r)
	if err := r.(flate.Resetter).Reset(bytes.NewReader(p), nil); err != nil {
		panic(fmt.Sprintf("inflate a stored event: %v", err))
	}
	out, err := io.ReadAll(r)
	if err != nil {
		panic(fmt.Sprintf("inflate a stored event: %v", err))
	}
	return out
}
