package salesforce

import (
	"errors"
	"fmt"
	"strings"
)

// Key prefixes of the standard objects and special IDs.
const (
	PrefixAccount      = "001"
	PrefixContact      = "003"
	PrefixUser         = "005"
	PrefixCaseComment  = "00a"
	PrefixOrganization = "00D"
	PrefixTask         = "00T"
	PrefixEmailMessage = "02s"
	PrefixCase         = "500"

	// OverflowRecordID is the placeholder record ID of GAP_OVERFLOW events.
	OverflowRecordID = "000000000000000AAA"
)

// idPod is the instance part of every ID this org issues (characters 4–5
// of a real ID name the pod that created the record).
const idPod = "5Y"

// idBase62 is the digit order Salesforce IDs use.
const idBase62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// checksumAlphabet maps a 5-bit upper-case mask to the suffix character.
const checksumAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"

// ErrInvalidRecordID reports an ID that is not a 15- or 18-character Salesforce ID.
var ErrInvalidRecordID = errors.New("invalid record ID")

// newRecordID builds the 18-character ID of the n-th record with the given
// key prefix: prefix, pod, a zero-padded base-62 counter, checksum suffix.
func newRecordID(prefix string, n uint64) string {
	digits := make([]byte, 10)
	for i := len(digits) - 1; i >= 0; i-- {
		digits[i] = idBase62[n%62]
		n /= 62
	}
	id15 := prefix + idPod + string(digits)
	return id15 + checksumSuffix(id15)
}

// checksumSuffix computes the three characters that make an ID
// case-insensitive: for each 5-character chunk, bit i is set when the
// chunk's i-th character is an upper-case letter.
func checksumSuffix(id15 string) string {
	var suffix [3]byte
	for chunk := range 3 {
		mask := 0
		for i := range 5 {
			c := id15[chunk*5+i]
			if c >= 'A' && c <= 'Z' {
				mask |= 1 << i
			}
		}
		suffix[chunk] = checksumAlphabet[mask]
	}
	return string(suffix[:])
}

// To18 returns the 18-character form of a 15- or 18-character ID,
// verifying the suffix of an 18-character one.
func To18(id string) (string, error) {
	if err := checkIDCharacters(id); err != nil {
		return "", err
	}
	switch len(id) {
	case 15:
		return id + checksumSuffix(id), nil
	case 18:
		want := checksumSuffix(id[:15])
		if !strings.EqualFold(id[15:], want) {
			return "", fmt.Errorf("%w: %q has checksum suffix %q, want %q", ErrInvalidRecordID, id, id[15:], want)
		}
		return id[:15] + want, nil
	}
	return "", fmt.Errorf("%w: %q has %d characters, want 15 or 18", ErrInvalidRecordID, id, len(id))
}

// ValidateRecordID checks that id is a well-formed 18-character ID.
func ValidateRecordID(id string) error {
	if len(id) != 18 {
		return fmt.Errorf("%w: %q has %d characters, want 18", ErrInvalidRecordID, id, len(id))
	}
	_, err := To18(id)
	return err
}

// KeyPrefix returns the first three characters of an ID, which name its object.
func KeyPrefix(id string) string {
	if len(id) < 3 {
		return ""
	}
	return id[:3]
}

func checkIDCharacters(id string) error {
	for i := 0; i < len(id); i++ {
		if strings.IndexByte(idBase62, id[i]) < 0 {
			return fmt.Errorf("%w: %q has %q at position %d", ErrInvalidRecordID, id, id[i], i)
		}
	}
	return nil
}
