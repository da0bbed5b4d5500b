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
	const low7 = 0x7f7f7f7f7f7f7f7f
	return ^((y&low7 + low7) | y | low7)
}

// lessMask returns 0x80 in exactly the bytes of x below n (n <= 128).
func lessMask(x uint64, n byte) uint64 {
	const low7 = 0x7f7f7f7f7f7f7f7f
	return ^((x&low7 + lsbs*uint64(128-n)) | x) & msbs
}

// stopMask marks (with 0x80) the bytes of the word x at which a run of
// visible text must stop or look closer: controls, DEL, bytes outside
// ASCII, and the second of two spaces (prevSpace says whether the byte
// before x is a space). A zero mask means the eight bytes are plain text.
// It is written to stay within the inliner's budget: it runs once per
// eight bytes of every text.
func stopMask(x uint64, prevSpace bool) uint64 {
	const low7 = 0x7f7f7f7f7f7f7f7f
	y := x & low7
	// High bit of y+0x60 set: byte >= 0x20 (low 7 bits); of y+1: byte is
	// 0x7f (or 0xff); of x: outside ASCII.
	stop := (^(y + lsbs*0x60) | (y + lsbs) | x) & msbs
	spaces := zeroMask(x ^ (lsbs * ' '))
	stop |= spaces & (spaces << 8)
	if prevSpace {
		stop |= spaces & 0x80
	}
	return stop
}

// escapeMask marks the bytes of x that JSON escapes besides controls:
// '"' and '\\'.
func escapeMask(x uint64) uint64 {
	return zeroMask(x^(lsbs*'"')) | zeroMask(x^(lsbs*'\\'))
}
