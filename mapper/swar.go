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

// hasAbove reports whether a byte of x is above n (n <= 127).
func hasAbove(x uint64, n byte) bool { return ((x+lsbs*uint64(127-n))|x)&msbs != 0 }

// hasByte reports whether a byte of x equals b.
func hasByte(x uint64, b byte) bool { return hasLess(x^(lsbs*uint64(b)), 1) }

// spaceMask returns 0x80 in exactly the bytes of x that are spaces (an
// exact test, unlike hasByte).
func spaceMask(x uint64) uint64 {
	y := x ^ (lsbs * ' ')
	const low7 = 0x7f7f7f7f7f7f7f7f
	return ^((y&low7 + low7) | y | low7)
}
