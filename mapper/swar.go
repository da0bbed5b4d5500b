package mapper

// Word-at-a-time byte tests ("SIMD within a register"). Cleaning and JSON
// escaping spend most of their time skipping ordinary ASCII; testing eight
// bytes per step instead of one is what brings mapping within the
// 50,000-comments-per-second-per-core budget. Each test may only report
// "some byte in the word matches"; callers then look at the bytes one by one.

const (
	lsbs = 0x0101010101010101
	msbs = 0x8080808080808080
)

// load64 reads eight bytes of s starting at i, little-endian; the compiler
// turns the pattern into a single load.
func load64(s string, i int) uint64 {
	_ = s[i+7]
	return uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
		uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
}

// hasLess reports whether a byte of x is below n (n <= 128).
func hasLess(x uint64, n byte) bool { return (x-lsbs*uint64(n))&^x&msbs != 0 }

// hasByte reports whether a byte of x equals b.
func hasByte(x uint64, b byte) bool { return hasLess(x^(lsbs*uint64(b)), 1) }

// zeroMask returns 0x80 in exactly the bytes of y that are zero.
func zeroMask(y uint64) uint64 {
	return ^((y&low7 + low7) | y | low7)
}

// stopMask marks (with 0x80) the bytes of the word x at which a run of
// visible text must stop or look closer: controls, DEL, the second of two
// spaces (prevSpace says whether the byte before x is a space), and bytes
// outside ASCII, except whole two-byte characters U+00C0–U+05FF (Latin
// letters with accents, Greek, Cyrillic, Armenian, Hebrew: all visible), so
// that accented text stays on the fast path. A zero mask means the eight
// bytes are plain text. The hot loop calls the three parts itself, since
// each is small enough to be inlined and their sum is not.
func stopMask(x uint64, prevSpace bool) uint64 {
	y := x & low7
	return controlMask(x, y) | doubleSpaceMask(x, prevSpace) | foreignMask(x, y)
}

const low7 = 0x7f7f7f7f7f7f7f7f

// controlMask marks ASCII controls and DEL; y is x & low7. Among ASCII
// bytes (^x), a clear high bit in y+0x60 means below 0x20 and a set one in
// y+1 means 0x7f.
func controlMask(x, y uint64) uint64 {
	return (^(y + lsbs*0x60) | (y + lsbs)) &^ x & msbs
}

// doubleSpaceMask marks the second of two spaces.
func doubleSpaceMask(x uint64, prevSpace bool) uint64 {
	spaces := zeroMask(x ^ (lsbs * ' '))
	stop := spaces & (spaces << 8)
	if prevSpace {
		stop |= spaces & 0x80
	}
	return stop
}

// foreignMask marks the bytes of x outside ASCII unless every such byte
// belongs to a two-byte sequence with a lead in 0xC3–0xD7 wholly inside x.
// Runs start at character boundaries, so a continuation byte can only be
// paired with the lead just before it; anything else, including invalid
// UTF-8, is left to the careful path.
func foreignMask(x, y uint64) uint64 {
	high := x & msbs
	if high == 0 {
		return 0
	}
	lead := (y + lsbs*(0x80-0x43)) &^ (y + lsbs*(0x80-0x58)) & high // 0xC3..0xD7
	cont := x &^ (x << 1) & msbs                                    // 0b10xxxxxx
	if cont != lead<<8 || lead>>56 != 0 || lead|cont != high {
		return high
	}
	return 0
}

// escapeMask marks the bytes of x that JSON escapes besides controls:
// '"' and '\\'.
func escapeMask(x uint64) uint64 {
	return zeroMask(x^(lsbs*'"')) | zeroMask(x^(lsbs*'\\'))
}
