package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/sfcdc/sfcdc/integration"
	"github.com/sfcdc/sfcdc/mapper"
	"github.com/sfcdc/sfcdc/pubsub"
	"github.com/sfcdc/sfcdc/salesforce"
)

// The pre-flight checks of `sfcdc validate`: each asks a service the
// configuration names, reading only, and turns every refusal into one line
// with its cause and fix (in the README troubleshooting table's words).

// checkCallTimeout bounds each call of the checks.
const checkCallTimeout = 20 * time.Second

// Report is what the services said about an integration's configuration.
type Report struct {
	Problems, Notes         []string
	Org                     string // the org's ID, once a session was obtained
	Store                   string // where the store is, once it answered
	Objects, Fields, Topics int
}

// AddProblem records a problem; "" is none.
func (r *Report) AddProblem(p string) {
	if p != "" {
		r.Problems = append(r.Problems, p)
	}
}

// CheckSalesforce obtains a session, then checks every object of spec,
// its fields and its topic against the org; what it finds goes into r. It
// returns an error only for a client the configuration cannot build
// (ErrInvalid).
func CheckSalesforce(ctx context.Context, spec integration.Spec, r *Report) error {
	m, err := mapper.New(mapper.Config{Objects: spec.Objects})
	if err != nil {
		return integration.Invalid(err)
	}
	// No log: the OAuth "retrying in …" warnings would mislead, as the
	// check retries nothing and reports each failure.
	log := slog.New(slog.DiscardHandler)
	creds := Credentials(spec.Salesforce, log)
	sess, err := sessionWithin(ctx, creds)
	if err != nil {
		r.AddProblem(salesforceProblem(spec.Salesforce, err))
		return nil
	}
	r.Org = sess.TenantID
	sf, err := salesforce.NewClient(spec.Salesforce.RESTConfig(log), creds)
	if err != nil {
		return integration.Invalid(err)
	}
	defer sf.Close()
	psCfg := PubSubConfig(spec.Salesforce)
	psCfg.Logger = log
	ps, err := pubsub.NewClient(psCfg, creds)
	if err != nil {
		return integration.Invalid(err)
	}
	defer ps.Close()
	v := &orgValidator{sf: sf, topics: ps, described: map[string]salesforce.ObjectDescription{}}
	if err := v.check(ctx, m, r); err != nil {
		r.AddProblem(salesforceProblem(spec.Salesforce, err))
	}
	return nil
}

// sessionWithin reads the Salesforce session with a deadline.
func sessionWithin(ctx context.Context, creds salesforce.SessionSource) (salesforce.Session, error) {
	ctx, cancel := context.WithTimeout(ctx, checkCallTimeout)
	defer cancel()
	return creds.Current(ctx)
}

// errUnreachable marks a Pub/Sub call that got no answer from Salesforce.
var errUnreachable = errors.New("no answer")

// orgValidator checks the mapping against one org.
type orgValidator struct {
	sf        *salesforce.Client
	topics    *pubsub.Client
	described map[string]salesforce.ObjectDescription
}

// check describes every object and checks its fields and topic, adding
// what it finds to r. It returns an error, for salesforceProblem to
// explain, when Salesforce refuses the session or the API limit is spent
// (every further call would fail alike) or does not answer.
func (v *orgValidator) check(ctx context.Context, m *mapper.Mapper, r *Report) error {
	for i, om := range m.Objects() {
		key := fmt.Sprintf("objects[%d] (%s)", i, om.Object)
		d, err := v.describe(ctx, om.Object)
		switch {
		case errors.Is(err, salesforce.ErrNotFound):
			r.Problems = append(r.Problems, fmt.Sprintf("%s: the org has no object %s, or the integration user cannot see it: check the API name (custom objects end in __c) and the user's object permissions", key, om.Object))
			continue
		case isObjectAnswer(err):
			r.Problems = append(r.Problems, fmt.Sprintf("%s: describe failed: %v", key, err))
			continue
		case err != nil:
			return err
		}
		r.Objects++
		fields, err := m.FetchFields(om.Object)
		if err != nil {
			return err
		}
		for _, field := range fields {
			problem, err := v.checkField(ctx, d, field)
			if err != nil {
				return err
			}
			if problem != "" {
				r.Problems = append(r.Problems, key+": "+problem)
			} else {
				r.Fields++
			}
		}
		if !d.HasChangeEvent {
			r.Notes = append(r.Notes, fmt.Sprintf("%s: will be polled (no change event); to stream it instead, enable Change Data Capture for it if Salesforce offers it", key))
			continue
		}
		problem, err := v.checkTopic(ctx, om.Topic)
		if err != nil {
			return err
		}
		if problem != "" {
			r.Problems = append(r.Problems, key+": "+problem)
		} else {
			r.Topics++
		}
	}
	return nil
}

// isObjectAnswer reports whether err is Salesforce's answer about one
// object (e.g. 400 for a describe), as opposed to one about the session,
// the API limit or the server, which every further call would get too.
func isObjectAnswer(err error) bool {
	var api *salesforce.APIError
	return errors.As(err, &api) && salesforce.Classify(err) == salesforce.Fatal && !errors.Is(err, salesforce.ErrInvalidSession)
}

// describe describes an object once.
func (v *orgValidator) describe(ctx context.Context, object string) (salesforce.ObjectDescription, error) {
	if d, ok := v.described[object]; ok {
		return d, nil
	}
	ctx, cancel := context.WithTimeout(ctx, checkCallTimeout)
	defer cancel()
	d, err := v.sf.Describe(ctx, object)
	if err != nil {
		return d, err
	}
	v.described[object] = d
	return d, nil
}

// checkField checks a field, a compound component or a relationship path
// (Parent.CaseNumber, following the relationship to its target object when
// it has one). It returns the problem, or "" if the field is readable.
func (v *orgValidator) checkField(ctx context.Context, d salesforce.ObjectDescription, path string) (string, error) {
	name, rest, isPath := strings.Cut(path, ".")
	if !isPath {
		if _, ok := findField(d, name); !ok {
			return fmt.Sprintf("field %s.%s does not exist or is not readable by the integration user: check the API name (custom fields end in __c) or grant the field Read access (field-level security)", d.Name, name), nil
		}
		return "", nil
	}
	if f, ok := findField(d, name); ok && (f.Type == "address" || f.Type == "location") {
		return "", nil // a compound field's component, e.g. BillingAddress.City
	}
	rel, ok := findRelationship(d, name)
	if !ok {
		return fmt.Sprintf("field %s: %s has no relationship %s (or it is not readable): use the relationship name (Parent, Account, or Xyz__r for a custom lookup Xyz__c)", path, d.Name, name), nil
	}
	if len(rel.ReferenceTo) != 1 {
		return "", nil // polymorphic (e.g. What): the target is only known per record
	}
	target, err := v.describe(ctx, rel.ReferenceTo[0])
	switch {
	case errors.Is(err, salesforce.ErrNotFound), isObjectAnswer(err):
		return "", nil // the relationship exists; its target cannot be described, so trust the rest
	case err != nil:
		return "", err
	}
	problem, err := v.checkField(ctx, target, rest)
	if problem != "" {
		problem = fmt.Sprintf("via %s.%s: %s", d.Name, name, problem)
	}
	return problem, err
}

// checkTopic asks the Pub/Sub API for the topic.
func (v *orgValidator) checkTopic(ctx context.Context, topic string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, checkCallTimeout)
	defer cancel()
	info, err := v.topics.TopicInfo(ctx, topic)
	var refused *pubsub.TopicError
	switch {
	case err == nil:
		if !info.CanSubscribe {
			return fmt.Sprintf("topic %s exists but the integration user cannot subscribe to it: grant the user the View All Data or the object's Read permission", topic), nil
		}
		return "", nil
	case errors.Is(err, pubsub.ErrTopicNotFound):
		return fmt.Sprintf("topic %s does not exist: enable Change Data Capture for the object (Setup > Change Data Capture), or fix the object's topic: key", topic), nil
	case errors.As(err, &refused) && errors.Is(err, pubsub.ErrUnauthenticated):
		return fmt.Sprintf("topic %s: the Pub/Sub API refused the session (%s): check the user's API access and the salesforce settings", topic, refused.Code), nil
	}
	return "", fmt.Errorf("%w: %w", errUnreachable, err)
}

// findField looks a field up by API name (Salesforce names are
// case-insensitive).
func findField(d salesforce.ObjectDescription, name string) (salesforce.FieldDescription, bool) {
	for _, f := range d.Fields {
		if strings.EqualFold(f.Name, name) {
			return f, true
		}
	}
	return salesforce.FieldDescription{}, false
}

// findRelationship looks a lookup field up by its relationship name.
func findRelationship(d salesforce.ObjectDescription, name string) (salesforce.FieldDescription, bool) {
	for _, f := range d.Fields {
		if f.RelationshipName != "" && strings.EqualFold(f.RelationshipName, name) {
			return f, true
		}
	}
	return salesforce.FieldDescription{}, false
}
