package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sfcdc/sfcdc/mapper"
	eventbusv1 "github.com/sfcdc/sfcdc/proto/eventbus/v1"
	"github.com/sfcdc/sfcdc/pubsub"
	"github.com/sfcdc/sfcdc/salesforce"
	"github.com/spf13/cobra"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// validateCallTimeout bounds each Salesforce call of `sfcdc validate`.
const validateCallTimeout = 20 * time.Second

func newValidateCommand() *cobra.Command {
	var configPath string
	var offline bool
	cmd := &cobra.Command{
		Use:   "validate --config FILE [--offline]",
		Short: "Check the configuration file, then Salesforce, CM and the store it names",
		Long: "Checks the file as every command does (exit 2 when it is invalid). Then asks each service the\n" +
			"file names, reading only: Salesforce (a session is obtained; each configured object exists; each\n" +
			"mapped field, relationship paths such as Parent.CaseNumber included, exists and is readable by the\n" +
			"integration user; each object's change event topic exists), CM (the token is accepted; the project\n" +
			"and source exist) and the store (it answers and takes a write: a probe key written and deleted, or\n" +
			"a file created and removed beside the store file; Redis's persistence setting is reported). Every\n" +
			"problem is one line with its cause and fix, all in one run; any problem, a refusal or a service\n" +
			"that cannot be reached, exits 1. Objects without a change event are reported as polled.\n" +
			"--offline checks only the file.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runValidate(cmd, configPath, offline) },
	}
	cmd.Flags().StringVar(&configPath, "config", "", "configuration file (YAML), required")
	cmd.Flags().BoolVar(&offline, "offline", false, "check only the file; ask neither Salesforce, CM nor the store")
	return cmd
}

// checkFileOffline is everything validate checks without Salesforce: the
// file as every command loads it, the mapping, and the run and monitoring
// sections, which `sfcdc run` would otherwise refuse only at start.
func checkFileOffline(path string) (fileConfig, *mapper.Mapper, error) {
	conf, err := loadConfig(path)
	if err != nil {
		return conf, nil, err
	}
	m, err := mapper.New(mapper.Config{Objects: conf.Objects})
	if err != nil {
		return conf, nil, usageError{err}
	}
	if err := conf.Run.validate(); err != nil {
		return conf, nil, err
	}
	if err := conf.Monitoring.validate(); err != nil {
		return conf, nil, err
	}
	return conf, m, nil
}

func runValidate(cmd *cobra.Command, path string, offline bool) error {
	conf, m, err := checkFileOffline(path)
	if err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "file %s: valid (%d objects)\n", path, len(conf.Objects))
	if offline {
		fmt.Fprintln(w, "OK: the file (--offline: Salesforce, CM and the store were not asked)")
		return nil
	}
	// Every failure is reported below, cause included: the libraries'
	// own log lines (go-redis's dial failures) would only repeat them.
	redis.SetLogger(quietRedisLog{})
	useSlogForGRPC(slog.New(slog.DiscardHandler))
	ctx := cmd.Context()
	var report validateReport
	if err := checkSalesforce(ctx, conf, m, &report); err != nil {
		return err
	}
	report.addProblem(checkCommsMining(ctx, conf.CommsMining))
	checkStore(ctx, conf.Store, &report)
	for _, n := range report.notes {
		fmt.Fprintln(w, "note:", n)
	}
	for _, p := range report.problems {
		fmt.Fprintln(w, "problem:", p)
	}
	if len(report.problems) > 0 {
		return exitCodeError{err: fmt.Errorf("%d problem(s); fix each line above and run validate again", len(report.problems)), code: exitFailure}
	}
	fmt.Fprintf(w, "OK: org %s: %d objects, %d fields, %d topics checked; CM source %s/%s found, the token accepted; store %s writable\n",
		report.org, report.objects, report.fields, report.topics, conf.CommsMining.Project, conf.CommsMining.Source, report.store)
	return nil
}

// checkSalesforce obtains a session, then checks every object, field and
// topic against the org; what it finds goes into r. It returns an error
// only for a client the configuration cannot build (exit 2).
func checkSalesforce(ctx context.Context, conf fileConfig, m *mapper.Mapper, r *validateReport) error {
	log := slog.New(slog.DiscardHandler)
	creds := conf.Salesforce.credentials()
	if oauth, ok := creds.(*oauthCredentials); ok {
		oauth.log = log // its "retrying in …" warnings would mislead: validate retries nothing and reports each failure
	}
	sess, err := sessionWithin(ctx, creds)
	if err != nil {
		r.addProblem(salesforceProblem(conf.Salesforce, err))
		return nil
	}
	r.org = sess.TenantID
	sf, err := salesforce.NewClient(salesforce.Config{CAFile: conf.Salesforce.CAFile, APIVersion: conf.Salesforce.Auth.APIVersion, Logger: log}, creds)
	if err != nil {
		return usageError{err}
	}
	defer sf.Close()
	psCfg := conf.Salesforce.pubsubConfig()
	psCfg.Logger = log
	ps, err := pubsub.NewClient(psCfg, creds)
	if err != nil {
		return usageError{err}
	}
	defer ps.Close()
	v := &orgValidator{sf: sf, topics: ps.API(), described: map[string]salesforce.ObjectDescription{}}
	if err := v.check(ctx, m, r); err != nil {
		r.addProblem(salesforceProblem(conf.Salesforce, err))
	}
	return nil
}

// sessionWithin reads the Salesforce session with a deadline.
func sessionWithin(ctx context.Context, creds pubsub.Credentials) (pubsub.Session, error) {
	ctx, cancel := context.WithTimeout(ctx, validateCallTimeout)
	defer cancel()
	return creds.Current(ctx)
}

// errUnreachable marks a Pub/Sub call that got no answer from Salesforce.
var errUnreachable = errors.New("no answer")

// orgValidator checks the mapping against one org.
type orgValidator struct {
	sf        *salesforce.Client
	topics    eventbusv1.PubSubClient
	described map[string]salesforce.ObjectDescription
}

// validateReport is what the services said about the configuration.
type validateReport struct {
	problems, notes         []string
	org                     string // the org's ID, once a session was obtained
	store                   string // where the store is, once it answered
	objects, fields, topics int
}

// addProblem records a problem; "" is none.
func (r *validateReport) addProblem(p string) {
	if p != "" {
		r.problems = append(r.problems, p)
	}
}

// check describes every object and checks its fields and topic, adding
// what it finds to r. It returns an error, for salesforceProblem to
// explain, when Salesforce refuses the session or the API limit is spent
// (every further call would fail alike) or does not answer.
func (v *orgValidator) check(ctx context.Context, m *mapper.Mapper, r *validateReport) error {
	for i, om := range m.Objects() {
		key := fmt.Sprintf("objects[%d] (%s)", i, om.Object)
		d, err := v.describe(ctx, om.Object)
		switch {
		case errors.Is(err, salesforce.ErrNotFound):
			r.problems = append(r.problems, fmt.Sprintf("%s: the org has no object %s, or the integration user cannot see it: check the API name (custom objects end in __c) and the user's object permissions", key, om.Object))
			continue
		case isObjectAnswer(err):
			r.problems = append(r.problems, fmt.Sprintf("%s: describe failed: %v", key, err))
			continue
		case err != nil:
			return err
		}
		r.objects++
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
				r.problems = append(r.problems, key+": "+problem)
			} else {
				r.fields++
			}
		}
		if !d.HasChangeEvent {
			r.notes = append(r.notes, fmt.Sprintf("%s: will be polled (no change event); to stream it instead, enable Change Data Capture for it if Salesforce offers it", key))
			continue
		}
		problem, err := v.checkTopic(ctx, om.Topic)
		if err != nil {
			return err
		}
		if problem != "" {
			r.problems = append(r.problems, key+": "+problem)
		} else {
			r.topics++
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
	ctx, cancel := context.WithTimeout(ctx, validateCallTimeout)
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
	ctx, cancel := context.WithTimeout(ctx, validateCallTimeout)
	defer cancel()
	info, err := v.topics.GetTopic(ctx, &eventbusv1.TopicRequest{TopicName: topic})
	switch status.Code(err) {
	case codes.OK:
		if !info.GetCanSubscribe() {
			return fmt.Sprintf("topic %s exists but the integration user cannot subscribe to it: grant the user the View All Data or the object's Read permission", topic), nil
		}
		return "", nil
	case codes.NotFound, codes.InvalidArgument:
		return fmt.Sprintf("topic %s does not exist: enable Change Data Capture for the object (Setup > Change Data Capture), or fix the object's topic: key", topic), nil
	case codes.PermissionDenied, codes.Unauthenticated:
		return fmt.Sprintf("topic %s: the Pub/Sub API refused the session (%s): check the user's API access and the salesforce settings", topic, status.Code(err)), nil
	}
	return "", fmt.Errorf("%w: get topic %s: %w", errUnreachable, topic, err)
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
