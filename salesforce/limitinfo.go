package salesforce

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// APIUsage is the org's daily API consumption as the last response's
// Sforce-Limit-Info reported it, and the calls this client made.
type APIUsage struct {
	// Used and Limit are api-usage=<Used>/<Limit>: requests in the last 24
	// hours across the org, and the allocation. Known is false until a
	// response carried the header.
	Used, Limit int
	Known       bool
	// Calls counts every HTTP call this client sent to the REST API,
	// retries included.
	Calls int64
	// Reports counts the answers that carried the header: Used and Limit
	// are current once it grew (a call that does not count against the
	// allocation, such as the versions resource, does not carry it).
	Reports int64
}

// Remaining is the allocation left (0 when unknown or spent).
func (u APIUsage) Remaining() int {
	if !u.Known || u.Used >= u.Limit {
		return 0
	}
	return u.Limit - u.Used
}

var errNoAPIUsage = errors.New("no api-usage entry")

// ParseLimitInfo reads the api-usage entry of a Sforce-Limit-Info header,
// e.g. "api-usage=25/15000" or "api-usage=2/15000; api-bursts=1/750".
func ParseLimitInfo(header string) (used, limit int, err error) {
	for _, part := range strings.FieldsFunc(header, func(r rune) bool { return r == ';' || r == ',' }) {
		key, value, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(key), "api-usage") {
			continue
		}
		u, l, ok := strings.Cut(strings.TrimSpace(value), "/")
		used, uerr := strconv.Atoi(u)
		limit, lerr := strconv.Atoi(l)
		if !ok || uerr != nil || lerr != nil || used < 0 || limit < 0 {
			return 0, 0, fmt.Errorf("parse Sforce-Limit-Info %q: want api-usage=<used>/<limit>", printable(header, 100))
		}
		return used, limit, nil
	}
	return 0, 0, errNoAPIUsage
}
