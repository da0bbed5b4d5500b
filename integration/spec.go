package integration

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/sfcdc/sfcdc/backfill"
	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/quote"
	"github.com/sfcdc/sfcdc/uploader"
)

// Spec is the configuration of one integration: one Salesforce org's
// objects brought into one CM source. Every zero value takes the default
// its section documents; Validate says what is missing or wrong. A Spec
// holds secrets (tokens, client secrets) as values: never log or print
// one whole.
type Spec struct {
	// Name is "<project>/<name>", naming the integration among others.
	// Optional for now; when set it must have that shape.
	Name        string                 `yaml:"name"`
	Salesforce  Salesforce             `yaml:"salesforce"`
	CommsMining uploader.Config        `yaml:"commsmining"`
	Backfill    backfill.Config        `yaml:"backfill"`
	Objects     []mapper.ObjectMapping `yaml:"objects"`
	Run         Run                    `yaml:"run"`
}

// Integration is the spec itself: a Spec is a Document on its own.
func (s *Spec) Integration() *Spec { return s }

// Validate checks the whole spec and reports every problem at once, one a
// line, each naming its dotted key and the fix (a spec loaded from a file
// gets each key's line too: see Load). The error is ErrInvalid.
func (s Spec) Validate() error {
	name := "the integration"
	if s.Name != "" && nameProblem(s.Name) == "" {
		name = s.Name
	}
	return Decoded[Spec]{name: name, index: newKeyIndex()}.Check(s.Problems())
}

// namePart is one half of a name: what CM allows in a project or source
// name, and what the store allows in a key.
var namePart = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// nameProblem is the problem of name, or "" when it is "<project>/<name>".
func nameProblem(name string) string {
	project, rest, _ := strings.Cut(name, "/")
	if namePart.MatchString(project) && namePart.MatchString(rest) {
		return ""
	}
	return fmt.Sprintf("name: %s is not <project>/<name>: give the CM project and a name for the integration, "+
		"each letters, digits, '.', '_' or '-' (at most 64), e.g. support/salesforce-emails, or remove name", quote.Value(name))
}
