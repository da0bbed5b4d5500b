package integration

import (
	"fmt"
	"strings"

	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/quote"
	"github.com/sfcdc/sfcdc/replay"
)

// Problems is the one check of the spec's values. Each problem is one
// line that names the key (section.key) and the fix; Load puts the key's
// line in and reports them all at once.
func (s Spec) Problems() []string {
	var problems []string
	if s.Name != "" {
		if p := nameProblem(s.Name); p != "" {
			problems = append(problems, p)
		}
	}
	problems = append(problems, s.Salesforce.problems()...)
	if s.Salesforce.Watchdog < 0 {
		problems = append(problems, watchdogProblem(s.Salesforce.Watchdog))
	}
	problems = append(problems, Keyed("commsmining.", s.CommsMining.Validate())...)
	problems = append(problems, Keyed("backfill.", s.Backfill.Validate())...)
	if len(s.Objects) == 0 {
		problems = append(problems, "objects: none listed; list the objects to bring into CM, e.g. objects: [{object: EmailMessage}]")
	} else {
		problems = append(problems, Keyed("", mapper.Config{Objects: s.Objects}.Validate())...)
		problems = append(problems, objectKeyProblems(s.Objects)...)
	}
	return append(problems, s.Run.problems()...)
}

// problems lists what is wrong with the salesforce section, each naming
// its salesforce.<key>.
func (s Salesforce) problems() []string {
	var out []string
	if s.Auth.Configured() {
		if err := s.Auth.validate(s.CAFile); err != nil {
			out = append(out, strings.Split(err.Error(), "\n  ")...)
		}
		out = append(out, s.Auth.fileProblems(s.Insecure)...)
	} else {
		out = append(out, s.staticSessionProblems()...)
	}
	if s.Insecure && s.PubSubEndpoint != "" && !isLoopback(s.PubSubEndpoint) {
		out = append(out, fmt.Sprintf("salesforce.insecure is only allowed for a loopback pubsub_endpoint, not %s: remove it to use TLS", quote.Value(s.PubSubEndpoint)))
	}
	return out
}

// Keyed flattens a package's Validate error (possibly an errors.Join of
// several) into lines, each prefixed with its section ("store.").
func Keyed(section string, err error) []string {
	if err == nil {
		return nil
	}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		var out []string
		for _, e := range joined.Unwrap() {
			out = append(out, Keyed(section, e)...)
		}
		return out
	}
	return []string{section + err.Error()}
}

// objectKeyProblems applies the store's rule for names (replay.CheckName)
// to each configured topic, which keys the topic's lease and checkpoint: a
// topic the store would refuse at the first lease is refused here, when
// the file is read. Default topics need no check: mapper bounds object
// names well below the store's limit.
func objectKeyProblems(objects []mapper.ObjectMapping) []string {
	var out []string
	for i, om := range objects {
		if om.Topic == "" {
			continue
		}
		if err := replay.CheckName(om.Topic); err != nil {
			out = append(out, fmt.Sprintf("objects[%d].topic: %v; the topic names its stored lease and checkpoint: give a channel of at most %d bytes, or leave it empty for the default", i, err, replay.MaxNameBytes))
		}
	}
	return out
}
