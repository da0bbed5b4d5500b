package main

import (
	"fmt"
	"strings"

	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/quote"
	"github.com/sfcdc/sfcdc/replay"
)

// problems is the one check of the whole file's values. Each problem is
// one line that names the key (section.key) and the fix; loadConfig puts
// the key's line in and reports them all at once.
func (c fileConfig) problems() []string {
	problems := c.Salesforce.problems()
	if c.Salesforce.Watchdog < 0 {
		problems = append(problems, watchdogProblem(c.Salesforce.Watchdog))
	}
	problems = append(problems, keyed("commsmining.", c.CommsMining.Validate())...)
	problems = append(problems, keyed("store.", c.Store.Validate())...)
	problems = append(problems, keyed("backfill.", c.Backfill.Validate())...)
	if len(c.Objects) == 0 {
		problems = append(problems, "objects: none listed; list the objects to bring into CM, e.g. objects: [{object: EmailMessage}]")
	} else {
		problems = append(problems, keyed("", mapper.Config{Objects: c.Objects}.Validate())...)
		problems = append(problems, objectKeyProblems(c.Objects)...)
	}
	problems = append(problems, c.Run.problems()...)
	return append(problems, c.Monitoring.problems()...)
}

// problems lists what is wrong with the salesforce section, each naming
// its salesforce.<key>.
func (s salesforceSection) problems() []string {
	var out []string
	if s.Auth.configured() {
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

// keyed flattens a package's Validate error (possibly an errors.Join of
// several) into lines, each prefixed with its section.
func keyed(section string, err error) []string {
	if err == nil {
		return nil
	}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		var out []string
		for _, e := range joined.Unwrap() {
			out = append(out, keyed(section, e)...)
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
