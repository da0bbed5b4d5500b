package mapper

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// stopMaskByBytes is stopMask written the slow, obvious way.
func stopMaskByBytes(w [8]byte, prevSpace, escape bool) uint64 {
	var m uint64
	pairedOnly := true // every non-ASCII byte is in a C3..D7 + continuation pair inside w
	for k := 0; k < 8; k++ {
		switch b := w[k]; {
		case b < 0x80:
		case b >= 0xc3 && b <= 0xd7 && k < 7 && w[k+1]&0xc0 == 0x80:
			k++
		default:
			pairedOnly = false
		}
	}
	for k, b := range w {
		prev := prevSpace
		if k > 0 {
			prev = w[k-1] == ' '
		}
		if b < 0x20 || b == 0x7f || (b >= 0x80 && !pairedOnly) || (b == ' ' && prev) || (escape && (b == '"' || b == '\\')) {
			m |= 0x80 << (8 * k)
		}
	}
	return m
}

func TestStopMaskAgreesWithAByteByByteCheck(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	alphabet := []byte{' ', ' ', 'a', 'Z', '"', '\\', 0x1f, 0x20, 0x21, 0x7e, 0x7f, 0x80, 0xff, '\n', 0, 0xc3, 0xa9, 0xd7, 0xbf, 0xc2, 0xd8, 0xe2}
	for range 200_000 {
		var w [8]byte
		for k := range w {
			if r.IntN(2) == 0 {
				w[k] = alphabet[r.IntN(len(alphabet))]
			} else {
				w[k] = byte(r.IntN(256))
			}
		}
		prev, esc := r.IntN(2) == 0, r.IntN(2) == 0
		x := binary.LittleEndian.Uint64(w[:])
		got := stopMask(x, prev)
		if esc {
			got |= escapeMask(x)
		}
		if want := stopMaskByBytes(w, prev, esc); got != want {
			t.Fatalf("stopMask(%q, prevSpace %v, escape %v) = %#x, want %#x", w, prev, esc, got, want)
		}
	}
}

func TestTwoByteLeadsOnTheFastPathStartOnlyVisibleCharacters(t *testing.T) {
	for r := rune(0xc0); r <= 0x5ff; r++ {
		if !visibleRune(r) {
			t.Errorf("%U has a lead byte in 0xC3-0xD7 but is not visible", r)
		}
	}
}
