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

// printableEnd returns the end of the run of printable ASCII (0x20–0x7E)
// starting at i.
func printableEnd(s string, i int) int {
	for ; i+8 <= len(s); i += 8 {
		x := load64(s, i)
		if hasLess(x, 0x20) || hasAbove(x, 0x7e) {
			break
		}
	}
	for i < len(s) && s[i] >= 0x20 && s[i] < 0x7f {
		i++
	}
	return i
}

// jsonPlainEnd returns the end of the run starting at i of bytes that a
// JSON string holds unescaped and that need no UTF-8 check: printable
// ASCII other than '"' and '\'.
func jsonPlainEnd(s string, i int) int {
	for ; i+8 <= len(s); i += 8 {
		x := load64(s, i)
		if hasLess(x, 0x20) || x&msbs != 0 || hasByte(x, '"') || hasByte(x, '\\') {
			break
		}
	}
	for i < len(s) && s[i] >= 0x20 && s[i] < 0x80 && s[i] != '"' && s[i] != '\\' {
		i++
	}
	return i
}
