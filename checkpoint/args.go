package checkpoint

import (
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/sfcdc/sfcdc/quote"
)

// ErrArgument: an operator's topic or replay ID was refused; the message
// names the flag and what to give.
var ErrArgument = errors.New("invalid argument")

// PickTopic checks the operator's --topic against the configured topics
// (sorted): empty means all of them, unless required.
func PickTopic(configured []string, topic string, required bool) ([]string, error) {
	list := strings.Join(configured, ", ")
	switch {
	case topic == "" && required:
		return nil, fmt.Errorf("%w: --topic is required; configured topics: %s", ErrArgument, list)
	case topic == "":
		return configured, nil
	case !slices.Contains(configured, topic):
		return nil, fmt.Errorf("%w: --topic %s is not configured; configured topics: %s", ErrArgument, quote.Value(topic), list)
	}
	return []string{topic}, nil
}

// ParseReplayID reads a replay ID as `sfcdc replay show` and `sfcdc
// subscribe` print it: hex, with or without 0x.
func ParseReplayID(s string) ([]byte, error) {
	id, err := hex.DecodeString(strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X"))
	if err != nil || len(id) == 0 {
		return nil, fmt.Errorf("%w: --replay-id %s: want a non-empty replay ID in hex, as `sfcdc replay show` prints it", ErrArgument, quote.Value(s))
	}
	return id, nil
}
