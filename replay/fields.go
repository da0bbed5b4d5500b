package replay

import (
	"encoding/binary"
	"slices"
	"strconv"
	"time"
)

// fields is a stored record as named string values: a Redis hash as it is,
// and the value of a bbolt key through encodeFields. Each record type
// converts to and from fields in one place, so both stores share one
// decoder per type (and one fuzz target). Values are binary-safe.
//
// Times are RFC 3339 with nanoseconds in UTC (readable in redis-cli, exact
// to the nanosecond); the zero time is the empty string. Durations are
// integer milliseconds, counts decimal integers.
type fields map[string]string

func (f fields) setTime(name string, t time.Time) {
	if t.IsZero() {
		f[name] = ""
		return
	}
	f[name] = t.UTC().Format(time.RFC3339Nano)
}

func (f fields) time(name string) (time.Time, error) {
	s := f[name]
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, corruptf("field %s: not an RFC 3339 time", name)
	}
	return t, nil
}

func (f fields) setInt(name string, n int64) { f[name] = strconv.FormatInt(n, 10) }

func (f fields) int(name string) (int64, error) {
	s := f[name]
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, corruptf("field %s: not an integer", name)
	}
	return n, nil
}

func (f fields) uint(name string) (uint64, error) {
	s := f[name]
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, corruptf("field %s: not an unsigned integer", name)
	}
	return n, nil
}

func (f fields) setDuration(name string, d time.Duration) { f.setInt(name, d.Milliseconds()) }

func (f fields) duration(name string) (time.Duration, error) {
	ms, err := f.int(name)
	if err != nil {
		return 0, err
	}
	const maxMillis = int64(1<<63-1) / int64(time.Millisecond)
	if ms > maxMillis || ms < -maxMillis {
		return 0, corruptf("field %s: duration out of range", name)
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// args flattens f into HSET arguments in a stable order.
func (f fields) args() []any {
	names := make([]string, 0, len(f))
	for name := range f {
		names = append(names, name)
	}
	slices.Sort(names)
	out := make([]any, 0, 2*len(f))
	for _, name := range names {
		out = append(out, name, f[name])
	}
	return out
}

// fieldsVersion starts every encodeFields value, so a future layout can be
// told apart from this one.
const fieldsVersion = 1

// encodeFields serialises f for the file store: a version byte, then for
// each field in name order the uvarint length and bytes of name and value.
func encodeFields(f fields) []byte {
	size := 1
	for name, value := range f {
		size += 2*binary.MaxVarintLen32 + len(name) + len(value)
	}
	out := make([]byte, 0, size)
	out = append(out, fieldsVersion)
	names := make([]string, 0, len(f))
	for name := range f {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		out = appendString(out, name)
		out = appendString(out, f[name])
	}
	return out
}

func appendString(out []byte, s string) []byte {
	out = binary.AppendUvarint(out, uint64(len(s)))
	return append(out, s...)
}

// decodeFields reverses encodeFields. It rejects anything encodeFields could
// not have produced: a wrong version, truncation, or a repeated name.
func decodeFields(b []byte) (fields, error) {
	if len(b) == 0 || b[0] != fieldsVersion {
		return nil, corruptf("record: unknown encoding")
	}
	b = b[1:]
	f := fields{}
	for len(b) > 0 {
		name, rest, err := readString(b)
		if err != nil {
			return nil, err
		}
		value, rest, err := readString(rest)
		if err != nil {
			return nil, err
		}
		if _, dup := f[name]; dup {
			return nil, corruptf("record: field %q repeated", name)
		}
		f[name] = value
		b = rest
	}
	return f, nil
}

func readString(b []byte) (string, []byte, error) {
	n, size := binary.Uvarint(b)
	if size <= 0 || n > uint64(len(b)-size) {
		return "", nil, corruptf("record: truncated")
	}
	end := size + int(n)
	return string(b[size:end]), b[end:], nil
}
