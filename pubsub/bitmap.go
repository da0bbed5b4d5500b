package pubsub

import (
	"math/big"
	"math/bits"
	"strconv"
	"strings"
)

// fieldTable holds every name a bitmap can refer to, computed once per writer
// schema so that expanding a bitmap never touches the schema again.
type fieldTable struct {
	names []string // top-level field names by position
	// components[p] lists "Parent.Child" for each component of the compound
	// field at position p, or is nil when that field is not a record.
	components [][]string
	// headerAtZero is set for CDC schemas: bit 0 then names the header
	// itself, which is not a data field, and is ignored.
	headerAtZero bool
}

// compoundBits is the bitmap of one "P-0x…" entry.
type compoundBits struct {
	pos  int
	bits *big.Int
}

// ExpandBitmap turns a changedFields, nulledFields or diffFields list into
// field names of this writer schema (Salesforce "Event Deserialization
// Considerations"):
//
//   - "0x<hex>": bit i (i = 0 is the least significant bit) names top-level
//     field i. Bit 0 of a CDC schema (ChangeEventHeader) is ignored.
//   - "<P>-0x<hex>": bit i names component i of the compound field at
//     position P, reported as "Parent.Child". P must be a record or a union
//     holding one record (["null",R], ["string",R], ["null","string",R]).
//
// Entries may come in any order; hex digits may be of either case and of odd
// count. The result lists top-level names in schema order, then components by
// parent position and component order. When a compound field has a "P-…"
// entry its components are reported and its bare name is dropped, even if
// its top-level bit is set too, so every change is named exactly once. The
// result is nil for an empty list.
//
// An entry that is not of either form returns a *BitmapError wrapping
// ErrMalformedBitmap; a bit or position beyond the schema, or a position that
// is not a compound field, one wrapping ErrBitmapMismatch.
func (s *WriterSchema) ExpandBitmap(entries []string) ([]string, error) {
	return s.fields.expand(entries)
}

func (t *fieldTable) expand(entries []string) ([]string, error) {
	if len(entries) == 0 {
		return nil, nil
	}
	top := new(big.Int)
	var nested []compoundBits
	for _, entry := range entries {
		if digits, ok := cutHexPrefix(entry); ok {
			b, err := t.parseTopLevel(entry, digits)
			if err != nil {
				return nil, err
			}
			top.Or(top, b)
			continue
		}
		c, err := t.parseCompound(entry)
		if err != nil {
			return nil, err
		}
		nested = mergeCompound(nested, c)
	}
	return t.nameBits(top, nested), nil
}

func (t *fieldTable) parseTopLevel(entry, digits string) (*big.Int, error) {
	b, err := parseHexBits(entry, digits)
	if err != nil {
		return nil, err
	}
	if n := b.BitLen(); n > len(t.names) {
		return nil, newBitmapError(entry, ErrBitmapMismatch, "bit %d is set but the schema has %d fields", n-1, len(t.names))
	}
	return b, nil
}

func (t *fieldTable) parseCompound(entry string) (compoundBits, error) {
	posText, rest, found := strings.Cut(entry, "-")
	digits, isHex := cutHexPrefix(rest)
	if !found || !isHex {
		return compoundBits{}, newBitmapError(entry, ErrMalformedBitmap, `want "0x<hex>" or "<position>-0x<hex>"`)
	}
	pos, err := parsePosition(entry, posText)
	if err != nil {
		return compoundBits{}, err
	}
	if pos >= len(t.names) {
		return compoundBits{}, newBitmapError(entry, ErrBitmapMismatch, "position %d is beyond the schema's %d fields", pos, len(t.names))
	}
	components := t.components[pos]
	if components == nil {
		return compoundBits{}, newBitmapError(entry, ErrBitmapMismatch, "field %d (%s) is not a compound field", pos, t.names[pos])
	}
	b, err := parseHexBits(entry, digits)
	if err != nil {
		return compoundBits{}, err
	}
	if n := b.BitLen(); n > len(components) {
		return compoundBits{}, newBitmapError(entry, ErrBitmapMismatch, "bit %d is set but %s has %d components", n-1, t.names[pos], len(components))
	}
	return compoundBits{pos: pos, bits: b}, nil
}

// nameBits lists the set bits as field names (see ExpandBitmap for the order).
func (t *fieldTable) nameBits(top *big.Int, nested []compoundBits) []string {
	capacity := onesCount(top)
	for _, c := range nested {
		capacity += onesCount(c.bits)
	}
	if capacity == 0 {
		return nil
	}
	out := make([]string, 0, capacity)
	forEachSetBit(top, func(i int) {
		if (i == 0 && t.headerAtZero) || hasCompound(nested, i) {
			return
		}
		out = append(out, t.names[i])
	})
	for _, c := range nested {
		components := t.components[c.pos]
		forEachSetBit(c.bits, func(i int) { out = append(out, components[i]) })
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// mergeCompound adds c keeping the list ordered by position; a repeated
// position is OR-ed into the existing entry.
func mergeCompound(nested []compoundBits, c compoundBits) []compoundBits {
	i := 0
	for i < len(nested) && nested[i].pos < c.pos {
		i++
	}
	if i < len(nested) && nested[i].pos == c.pos {
		nested[i].bits.Or(nested[i].bits, c.bits)
		return nested
	}
	nested = append(nested, compoundBits{})
	copy(nested[i+1:], nested[i:])
	nested[i] = c
	return nested
}

func hasCompound(nested []compoundBits, pos int) bool {
	for _, c := range nested {
		if c.pos == pos {
			return true
		}
	}
	return false
}

func cutHexPrefix(s string) (string, bool) {
	if len(s) >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		return s[2:], true
	}
	return "", false
}

// parseHexBits reads digits as one unsigned big-endian number. The digits
// are checked first because big.Int.SetString would also take a sign.
func parseHexBits(entry, digits string) (*big.Int, error) {
	if digits == "" {
		return nil, newBitmapError(entry, ErrMalformedBitmap, "no hex digits")
	}
	for i := 0; i < len(digits); i++ {
		if !isHexDigit(digits[i]) {
			return nil, newBitmapError(entry, ErrMalformedBitmap, "%q is not a hex digit", digits[i])
		}
	}
	b, ok := new(big.Int).SetString(digits, 16)
	if !ok {
		return nil, newBitmapError(entry, ErrMalformedBitmap, "cannot parse hex digits")
	}
	return b, nil
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// maxPositionDigits keeps strconv.Atoi far from overflow; no schema has a
// billion fields.
const maxPositionDigits = 9

func parsePosition(entry, text string) (int, error) {
	if text == "" || len(text) > maxPositionDigits {
		return 0, newBitmapError(entry, ErrMalformedBitmap, "position %q is not a field index", text)
	}
	for i := 0; i < len(text); i++ {
		if text[i] < '0' || text[i] > '9' {
			return 0, newBitmapError(entry, ErrMalformedBitmap, "position %q is not a field index", text)
		}
	}
	return strconv.Atoi(text)
}

func onesCount(b *big.Int) int {
	n := 0
	for _, w := range b.Bits() {
		n += bits.OnesCount(uint(w))
	}
	return n
}

// forEachSetBit calls fn with the index of every set bit, lowest first.
func forEachSetBit(b *big.Int, fn func(i int)) {
	for wi, w := range b.Bits() {
		word := uint(w)
		for word != 0 {
			fn(wi*bits.UintSize + bits.TrailingZeros(word))
			word &= word - 1
		}
	}
}
