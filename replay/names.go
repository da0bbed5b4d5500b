package replay

import (
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/sfcdc/sfcdc/quote"
)

// MaxNameBytes bounds topic, object, holder and comment ID names.
const MaxNameBytes = 1024

// maxOrgBytes bounds the org ID: a Salesforce org ID has 15 or 18.
const maxOrgBytes = 64

// CheckOrgID says why org cannot be the org of a stored item, or nil: it
// needs 1 to 64 letters, digits, '-' or '_'. The org becomes the Redis
// Cluster hash tag, so braces would split the tag and the org's keys would
// scatter over slots. Every store applies this rule to its arguments;
// configuration readers apply it too, so a bad value is refused when the
// file is read rather than at the first store call.
func CheckOrgID(org string) error {
	if org == "" || len(org) > maxOrgBytes {
		return fmt.Errorf("want 1 to %d characters, got %d", maxOrgBytes, len(org))
	}
	for _, r := range org {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return fmt.Errorf("%s holds %q; want letters, digits, '-' or '_'", quote.Value(org), r)
		}
	}
	return nil
}

// CheckName says why name cannot be a topic, object or lease holder in the
// store, or nil: it needs 1 to MaxNameBytes bytes of valid UTF-8 without
// control characters (they would garble status output and logs). Every
// store applies this rule to its arguments; configuration readers apply
// it too (run.holder, each object and its topic), so a bad value is refused
// when the file is read rather than when the first lease is taken.
func CheckName(name string) error {
	if name == "" || len(name) > MaxNameBytes {
		return fmt.Errorf("want 1 to %d bytes, got %d", MaxNameBytes, len(name))
	}
	if !utf8.ValidString(name) {
		return fmt.Errorf("%s is not valid UTF-8", quote.Value(name))
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("%s holds the control character %U", quote.Value(name), r)
		}
	}
	return nil
}

// checkOrg is CheckOrgID as a store's ErrInvalid.
func checkOrg(org string) error {
	if err := CheckOrgID(org); err != nil {
		return invalidf("org ID: %v", err)
	}
	return nil
}

// checkName is CheckName as a store's ErrInvalid naming the argument.
func checkName(kind, name string) error {
	if err := CheckName(name); err != nil {
		return invalidf("%s: %v", kind, err)
	}
	return nil
}

func checkOrgName(org, kind, name string) error {
	if err := checkOrg(org); err != nil {
		return err
	}
	return checkName(kind, name)
}

func checkTTL(ttl time.Duration) error {
	if ttl < time.Millisecond {
		return invalidf("lease TTL %s: want at least 1ms", ttl)
	}
	return nil
}

func uintString(n uint64) string { return strconv.FormatUint(n, 10) }

// ref names an org's item in a wrapped error: as they are when both pass
// the store's rules (so at most 64 and MaxNameBytes printable bytes),
// otherwise quoted and cut, since an argument the store refuses may be of
// any size and hold anything.
func ref(org, name string) string {
	if CheckOrgID(org) == nil && CheckName(name) == nil {
		return org + " " + name
	}
	return quote.Value(org) + " " + quote.Value(name)
}

// orgRef is ref for an org alone.
func orgRef(org string) string {
	if CheckOrgID(org) == nil {
		return org
	}
	return quote.Value(org)
}
