package replay

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// maxNameBytes bounds topic, object, holder and comment ID names.
const maxNameBytes = 1024

// checkOrg accepts a Salesforce org ID or a similar short identifier. The org
// becomes the Redis Cluster hash tag, so braces would split the tag and the
// org's keys would scatter over slots.
func checkOrg(org string) error {
	if org == "" || len(org) > 64 {
		return invalidf("org ID %q: want 1 to 64 characters", org)
	}
	for _, r := range org {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return invalidf("org ID %q: want letters, digits, '-' or '_'", org)
		}
	}
	return nil
}

// checkName accepts a topic, object, holder or comment ID: non-empty, valid
// UTF-8, no control characters (they would garble status output and logs).
func checkName(kind, name string) error {
	if name == "" || len(name) > maxNameBytes {
		return invalidf("%s: want 1 to %d bytes, got %d", kind, maxNameBytes, len(name))
	}
	if !utf8.ValidString(name) {
		return invalidf("%s %q: not valid UTF-8", kind, name)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return invalidf("%s %q: control character", kind, name)
		}
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
