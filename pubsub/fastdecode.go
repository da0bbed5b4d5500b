package pubsub

import (
	"encoding/binary"
	"errors"
	"math"
	"time"
	"unsafe"
)

// The direct decoder: goavro decodes an event into generic maps, one more
// map per union value (every nullable field), and decodeRecord then
// unwraps them again; for a multi-KB change event that was the largest
// cost of the subscriber. fastType reads the Avro binary straight into
// the normalised form decodeRecord returns. It covers what Salesforce
// schemas use; a schema with anything else (logical types, unions of
// several non-null types) has no fastType and keeps the goavro path, and
// a payload the fast path cannot read goes to goavro too, so errors and
// poison reasons are goavro's as before. TestFastDecodeMatchesGoavro holds
// the two paths equal.

type fastKind uint8

const (
	fastNull fastKind = iota
	fastBoolean
	fastInt
	fastLong
	fastMillis // a date-time long: time.Time UTC, as normalise makes it
	fastFloat
	fastDouble
	fastString
	fastBytes
	fastEnum
	fastFixed
	fastArray
	fastMap
	fastRecord
	fastUnion
)

type fastType struct {
	kind    fastKind
	symbols []string    // enum
	size    int         // fixed
	elem    *fastType   // array, map
	fields  []fastField // record
	// union: branch index → type (nil for null); at most one non-null branch
	branches []*fastType
}

type fastField struct {
	name string
	t    *fastType
}

// errFast means only "the fast path cannot read this"; the caller retries
// with goavro, whose error is the one reported.
var errFast = errors.New("fast decode: not readable")

// fastCompiler builds fastTypes from the schema JSON, resolving names as
// schemaCompiler does.
type fastCompiler struct {
	named map[string]*fastType
}

// compileFast returns the direct decoder of a parsed schema, or nil when
// the schema uses something it does not cover.
func compileFast(parsed any) *fastType {
	c := fastCompiler{named: map[string]*fastType{}}
	t, ok := c.compile(parsed, "", false)
	if !ok || t.kind != fastRecord {
		return nil
	}
	return t
}

func (c *fastCompiler) compile(schema any, namespace string, dateTime bool) (*fastType, bool) {
	switch s := schema.(type) {
	case string:
		return c.compileName(s, namespace, dateTime)
	case []any:
		u := &fastType{kind: fastUnion}
		nonNull := 0
		for _, member := range s {
			if member == "null" {
				u.branches = append(u.branches, nil)
				continue
			}
			t, ok := c.compile(member, namespace, dateTime)
			if !ok {
				return nil, false
			}
			nonNull++
			u.branches = append(u.branches, t)
		}
		return u, nonNull <= 1 && len(u.branches) > 0
	case map[string]any:
		if _, logical := s["logicalType"]; logical {
			return nil, false
		}
		typeName, ok := s["type"].(string)
		if !ok {
			return c.compile(s["type"], namespace, dateTime)
		}
		switch typeName {
		case "record", "error":
			full, ns := fullName(s, namespace)
			t := &fastType{kind: fastRecord}
			c.named[full] = t // first: a field may refer to its own record
			fields, _ := s["fields"].([]any)
			for _, raw := range fields {
				field, _ := raw.(map[string]any)
				name, _ := field["name"].(string)
				doc, _ := field["doc"].(string)
				ft, ok := c.compile(field["type"], ns, isDateTimeField(name, doc))
				if !ok || name == "" {
					return nil, false
				}
				t.fields = append(t.fields, fastField{name: name, t: ft})
			}
			return t, true
		case "enum":
			full, _ := fullName(s, namespace)
			raw, _ := s["symbols"].([]any)
			t := &fastType{kind: fastEnum}
			for _, sym := range raw {
				str, ok := sym.(string)
				if !ok {
					return nil, false
				}
				t.symbols = append(t.symbols, str)
			}
			c.named[full] = t
			return t, true
		case "fixed":
			full, _ := fullName(s, namespace)
			size, ok := s["size"].(float64)
			if !ok || size < 0 || size != math.Trunc(size) {
				return nil, false
			}
			t := &fastType{kind: fastFixed, size: int(size)}
			c.named[full] = t
			return t, true
		case "array", "map":
			key := "items"
			kind := fastArray
			if typeName == "map" {
				key, kind = "values", fastMap
			}
			elem, ok := c.compile(s[key], namespace, false)
			if !ok {
				return nil, false
			}
			return &fastType{kind: kind, elem: elem}, true
		}
		return c.compileName(typeName, namespace, dateTime)
	}
	return nil, false
}

var fastPrimitives = map[string]fastKind{
	"null": fastNull, "boolean": fastBoolean, "int": fastInt, "long": fastLong,
	"float": fastFloat, "double": fastDouble, "string": fastString, "bytes": fastBytes,
}

func (c *fastCompiler) compileName(name, namespace string, dateTime bool) (*fastType, bool) {
	if kind, ok := fastPrimitives[name]; ok {
		if kind == fastLong && dateTime {
			kind = fastMillis
		}
		return &fastType{kind: kind}, true
	}
	resolved := name
	if namespace != "" && !containsDot(name) {
		resolved = namespace + "." + name
	}
	if t, ok := c.named[resolved]; ok {
		return t, true
	}
	t, ok := c.named[name]
	return t, ok
}

func containsDot(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			return true
		}
	}
	return false
}

// decodeRecord reads a top-level record; rest is what follows it. The
// record keeps no reference to buf.
func (t *fastType) decodeRecord(buf []byte) (record map[string]any, rest []byte, err error) {
	return t.decodeRecordOf(buf, false)
}

// decodeRecordOf is decodeRecord; with owned, buf is never modified again
// and the record's strings may share its bytes instead of one copy.
func (t *fastType) decodeRecordOf(buf []byte, owned bool) (record map[string]any, rest []byte, err error) {
	defer func() {
		if recover() != nil { // never: but a bug here must not take the process down
			record, rest, err = nil, nil, errFast
		}
	}()
	v, rest, err := t.decode(buf, &sharer{payload: buf, owned: owned})
	if err != nil {
		return nil, nil, err
	}
	return v.(map[string]any), rest, nil
}

func (t *fastType) decode(buf []byte, sh *sharer) (any, []byte, error) {
	switch t.kind {
	case fastNull:
		return nil, buf, nil
	case fastBoolean:
		if len(buf) < 1 || buf[0] > 1 {
			return nil, nil, errFast
		}
		return buf[0] == 1, buf[1:], nil
	case fastInt:
		return readInt(buf)
	case fastLong:
		v, rest, err := readLong(buf)
		if err != nil {
			return nil, nil, err
		}
		return v, rest, nil
	case fastMillis:
		v, rest, err := readLong(buf)
		if err != nil {
			return nil, nil, err
		}
		return time.UnixMilli(v).UTC(), rest, nil
	case fastFloat:
		if len(buf) < 4 {
			return nil, nil, errFast
		}
		return math.Float32frombits(binary.LittleEndian.Uint32(buf)), buf[4:], nil
	case fastDouble:
		if len(buf) < 8 {
			return nil, nil, errFast
		}
		return math.Float64frombits(binary.LittleEndian.Uint64(buf)), buf[8:], nil
	case fastString, fastBytes:
		b, rest, err := readBytes(buf)
		if err != nil {
			return nil, nil, err
		}
		if t.kind == fastString {
			return sh.string(b), rest, nil
		}
		return append([]byte(nil), b...), rest, nil
	case fastEnum:
		i, rest, err := readLong(buf)
		if err != nil || i < 0 || i >= int64(len(t.symbols)) {
			return nil, nil, errFast
		}
		return t.symbols[i], rest, nil
	case fastFixed:
		if len(buf) < t.size {
			return nil, nil, errFast
		}
		return append([]byte(nil), buf[:t.size]...), buf[t.size:], nil
	case fastUnion:
		i, rest, err := readLong(buf)
		if err != nil || i < 0 || i >= int64(len(t.branches)) {
			return nil, nil, errFast
		}
		if b := t.branches[i]; b != nil {
			return b.decode(rest, sh)
		}
		return nil, rest, nil
	case fastRecord:
		m := make(map[string]any, len(t.fields))
		for _, f := range t.fields {
			fsh := sh
			if f.name == changeEventHeaderField {
				fsh = nil // header strings (record IDs) may be kept: own copies
			}
			v, rest, err := f.t.decode(buf, fsh)
			if err != nil {
				return nil, nil, err
			}
			m[f.name], buf = v, rest
		}
		return m, buf, nil
	case fastArray:
		return t.decodeArray(buf, sh)
	case fastMap:
		return t.decodeMap(buf, sh)
	}
	return nil, nil, errFast
}

// sharer lets the strings of one event share a single copy of its
// payload: one allocation per event instead of one per string (and its
// own GC object), the largest remaining allocation count of the decode.
// The price is that a string kept after its event keeps the whole payload
// (a few KB) alive, so only the record's own fields share it: the change
// event header (record IDs, which the pipeline may hold on to) and map
// keys get their own copies. A nil sharer copies every string.
type sharer struct {
	payload []byte // the whole record; decode only reslices it
	owned   bool   // payload is never modified again: str may alias it
	str     string // string(payload), made on first use
}

func (sh *sharer) string(b []byte) string {
	if sh == nil || len(b) == 0 {
		return string(b)
	}
	// b is payload[off:off+len(b)] with its capacity untouched, as decode
	// slices only with [k:] and [:n]; the pointer check makes sure.
	off := cap(sh.payload) - cap(b)
	if off < 0 || off+len(b) > len(sh.payload) || &sh.payload[off] != &b[0] {
		return string(b)
	}
	if sh.str == "" {
		if sh.owned {
			sh.str = unsafe.String(&sh.payload[0], len(sh.payload))
		} else {
			sh.str = string(sh.payload)
		}
	}
	return sh.str[off : off+len(b)]
}

// blockCount reads an array or map block header as goavro does (a
// negative count is followed by the block's byte size). Counts larger
// than the bytes left are refused here and left to goavro.
func blockCount(buf []byte) (int64, []byte, error) {
	n, buf, err := readLong(buf)
	if err != nil {
		return 0, nil, err
	}
	if n < 0 {
		if n == math.MinInt64 {
			return 0, nil, errFast
		}
		n = -n
		if _, buf, err = readLong(buf); err != nil {
			return 0, nil, err
		}
	}
	if n > int64(len(buf)) {
		return 0, nil, errFast
	}
	return n, buf, nil
}

func (t *fastType) decodeArray(buf []byte, sh *sharer) (any, []byte, error) {
	n, buf, err := blockCount(buf)
	if err != nil {
		return nil, nil, err
	}
	items := make([]any, 0, n) // never nil, as goavro's
	for n != 0 {
		for range n {
			var v any
			if v, buf, err = t.elem.decode(buf, sh); err != nil {
				return nil, nil, err
			}
			items = append(items, v)
		}
		if n, buf, err = blockCount(buf); err != nil {
			return nil, nil, err
		}
	}
	return items, buf, nil
}

func (t *fastType) decodeMap(buf []byte, sh *sharer) (any, []byte, error) {
	n, buf, err := blockCount(buf)
	if err != nil {
		return nil, nil, err
	}
	m := make(map[string]any, n)
	for n != 0 {
		for range n {
			var k []byte
			if k, buf, err = readBytes(buf); err != nil {
				return nil, nil, err
			}
			var v any
			if v, buf, err = t.elem.decode(buf, sh); err != nil {
				return nil, nil, err
			}
			m[string(k)] = v
		}
		if n, buf, err = blockCount(buf); err != nil {
			return nil, nil, err
		}
	}
	return m, buf, nil
}

// readLong and readInt decode zig-zag varints exactly as goavro does
// (including its tolerance of over-long encodings), so both paths agree
// on every value.
func readLong(buf []byte) (int64, []byte, error) {
	var value uint64
	var shift uint
	for i := 0; i < len(buf); i++ {
		b := buf[i]
		value |= uint64(b&0x7f) << shift
		if b&0x80 == 0 {
			return int64(value>>1) ^ -int64(value&1), buf[i+1:], nil
		}
		shift += 7
	}
	return 0, nil, errFast
}

func readInt(buf []byte) (any, []byte, error) {
	var value int
	var shift uint
	for i := 0; i < len(buf); i++ {
		b := buf[i]
		value |= int(b&0x7f) << shift
		if b&0x80 == 0 {
			return int32(value>>1) ^ -int32(value&1), buf[i+1:], nil
		}
		shift += 7
	}
	return nil, nil, errFast
}

func readBytes(buf []byte) ([]byte, []byte, error) {
	n, buf, err := readLong(buf)
	if err != nil || n < 0 || n > int64(len(buf)) {
		return nil, nil, errFast
	}
	return buf[:n], buf[n:], nil
}
