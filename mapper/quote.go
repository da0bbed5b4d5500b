package mapper

import (
	"strconv"
	"unicode/utf8"
)

// quoteValue is quote.Value, copied because mapper imports no other sfcdc
// package: v quoted as %q would when it has at most 64 bytes, otherwise its
// first 64 bytes (cut at a character boundary) quoted and followed by
// "… (N bytes)", so a huge configured value is never repeated whole in an
// error. TestQuotedValuesAreCutLikeQuoteValue pins the same cases as the
// quote package's tests.
func quoteValue(v string) string {
	const maxBytes = 64
	if len(v) <= maxBytes {
		return strconv.Quote(v)
	}
	n := maxBytes
	for i := maxBytes; i > maxBytes-utf8.UTFMax && i > 0; i-- {
		if utf8.RuneStart(v[i]) {
			n = i
			break
		}
	}
	return strconv.Quote(v[:n]) + "… (" + strconv.Itoa(len(v)) + " bytes)"
}
