package salesforce

import (
	"errors"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"strconv"
	"strings"
)

// FieldSet is a set of field positions of one writer schema, the decoded
// form of a changedFields, nulledFields or diffFields header entry list.
type FieldSet struct {
	Top        []int         // top-level field indexes (0 is the header and never set)
	Components map[int][]int // compound field index → component indexes
}

// add records a top-level field.
func (fs *FieldSet) add(pos int) { fs.Top = append(fs.Top, pos) }

// addComponent records one component of the compound field at parent. The
// parent's own top-level bit is not set: Salesforce's real event for a
// BillingAddress.City change reads ["0x400000","4-0x06"] (reference §3.9).
func (fs *FieldSet) addComponent(parent, component int) {
	if fs.Components == nil {
		fs.Components = map[int][]int{}
	}
	fs.Components[parent] = append(fs.Components[parent], component)
}

// Empty reports whether no field is set.
func (fs FieldSet) Empty() bool { return len(fs.Top) == 0 && len(fs.Components) == 0 }

// Encode renders the set as Salesforce does: an optional "0x…" bitmap of
// top-level fields first, then "P-0x…" per compound field in ascending P.
// Never nil, so it encodes as an empty Avro array.
func (fs FieldSet) Encode() []string {
	out := []string{}
	if len(fs.Top) > 0 {
		out = append(out, EncodeBitmap(fs.Top))
	}
	for _, parent := range slices.Sorted(maps.Keys(fs.Components)) {
		out = append(out, strconv.Itoa(parent)+"-"+EncodeBitmap(fs.Components[parent]))
	}
	return out
}

// EncodeBitmap renders bit positions as "0x" and upper-case hex of whole
// bytes, most significant first: bit i has value 2^i, so {7, 22} is "0x400080".
// Negative positions are ignored.
func EncodeBitmap(positions []int) string {
	positions = slices.DeleteFunc(slices.Clone(positions), func(p int) bool { return p < 0 })
	if len(positions) == 0 {
		return "0x00"
	}
	bytes := make([]byte, slices.Max(positions)/8+1)
	for _, p := range positions {
		bytes[len(bytes)-1-p/8] |= 1 << (p % 8)
	}
	return fmt.Sprintf("0x%X", bytes)
}

// Errors of bitmap parsing.
var ErrInvalidBitmap = errors.New("invalid field bitmap")

// maxBitmapBits bounds parsed bitmaps; no schema has this many fields, and
// it keeps a forged entry from allocating without limit.
const maxBitmapBits = 1 << 16

// DecodeBitmap returns the set bit positions of "0x…" in ascending order.
// It accepts either case and odd lengths, as a lenient reader should.
func DecodeBitmap(s string) ([]int, error) {
	hex, ok := strings.CutPrefix(s, "0x")
	if !ok || hex == "" {
		return nil, fmt.Errorf("%w: %q does not start with 0x and a hex digit", ErrInvalidBitmap, s)
	}
	if len(hex)*4 > maxBitmapBits {
		return nil, fmt.Errorf("%w: %q is longer than %d bits", ErrInvalidBitmap, s, maxBitmapBits)
	}
	n, ok := new(big.Int).SetString(hex, 16)
	if !ok || strings.ContainsAny(hex, "+-_") {
		return nil, fmt.Errorf("%w: %q is not hexadecimal", ErrInvalidBitmap, s)
	}
	var out []int
	for i := range n.BitLen() {
		if n.Bit(i) == 1 {
			out = append(out, i)
		}
	}
	return out, nil
}

// ParseFieldSet decodes a header entry list produced by FieldSet.Encode.
func ParseFieldSet(entries []string) (FieldSet, error) {
	var fs FieldSet
	for i, e := range entries {
		parent, bitmap, nested := strings.Cut(e, "-")
		if !nested {
			if i != 0 {
				return FieldSet{}, fmt.Errorf("%w: top-level entry %q is not first", ErrInvalidBitmap, e)
			}
			bits, err := DecodeBitmap(e)
			if err != nil {
				return FieldSet{}, err
			}
			fs.Top = bits
			continue
		}
		p, err := strconv.Atoi(parent)
		if err != nil || p < 0 || p > maxBitmapBits {
			return FieldSet{}, fmt.Errorf("%w: %q has no field position before '-'", ErrInvalidBitmap, e)
		}
		bits, err := DecodeBitmap(bitmap)
		if err != nil {
			return FieldSet{}, err
		}
		for _, b := range bits {
			fs.addComponent(p, b)
		}
	}
	return fs, nil
}
