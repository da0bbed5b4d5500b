package checkpoint_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/sfcdc/sfcdc/checkpoint"
)

func TestPickTopicChecksTheFlagAgainstTheConfiguredTopics(t *testing.T) {
	topics := []string{"/data/CaseChangeEvent", "/data/TaskChangeEvent"}
	if got, err := checkpoint.PickTopic(topics, "", false); err != nil || len(got) != 2 {
		t.Fatalf("no --topic: %v (%v), want every topic", got, err)
	}
	if got, err := checkpoint.PickTopic(topics, topics[1], true); err != nil || len(got) != 1 || got[0] != topics[1] {
		t.Fatalf("--topic %s: %v (%v)", topics[1], got, err)
	}
	for _, tc := range []struct{ topic, want string }{
		{"", "--topic is required; configured topics: /data/CaseChangeEvent, /data/TaskChangeEvent"},
		{"/data/LeadChangeEvent", `--topic "/data/LeadChangeEvent" is not configured`},
	} {
		if _, err := checkpoint.PickTopic(topics, tc.topic, true); !errors.Is(err, checkpoint.ErrArgument) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("--topic %q: %v, want an ErrArgument saying %q", tc.topic, err, tc.want)
		}
	}
}

func TestParseReplayIDReadsHexWithOrWithout0x(t *testing.T) {
	for in, want := range map[string]string{"002a": "\x00\x2a", "0x002A": "\x00\x2a", "0Xff": "\xff"} {
		if got, err := checkpoint.ParseReplayID(in); err != nil || string(got) != want {
			t.Errorf("%q: %x (%v), want %x", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "0x", "zz", "abc"} {
		if _, err := checkpoint.ParseReplayID(bad); !errors.Is(err, checkpoint.ErrArgument) || !strings.Contains(err.Error(), "--replay-id") {
			t.Errorf("%q: %v, want an ErrArgument naming --replay-id", bad, err)
		}
	}
}
