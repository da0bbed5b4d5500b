package mapper

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Config lists the Salesforce objects whose records become comments.
// The zero value maps nothing.
type Config struct {
	// Objects holds one mapping per Salesforce object; an object appears at
	// most once.
	Objects []ObjectMapping `yaml:"objects" json:"objects"`
}

// ObjectMapping says how records of one object become comments.
type ObjectMapping struct {
	// Object is the Salesforce API name, e.g. EmailMessage or Ticket__c.
	// Required.
	Object string `yaml:"object" json:"object"`
	// Topic is the Pub/Sub channel carrying the object's change events.
	// Zero: /data/<Object>ChangeEvent (custom Ticket__c: /data/Ticket__ChangeEvent).
	// Any /data/ or /event/ channel is allowed, e.g. a custom channel /data/Mail__chn.
	Topic string `yaml:"topic" json:"topic,omitempty"`
	// Fields lists extra fields to fetch over REST. The fields the comment
	// mapping uses are always fetched. Zero: only those.
	Fields []string `yaml:"fields" json:"fields,omitempty"`
	// Comment maps fields to comment parts. Keys left empty take the
	// built-in default of the object, or the generic default.
	Comment CommentMapping `yaml:"comment" json:"comment"`
	// OnDelete says what a deleted record does to its comment.
	// Zero: delete.
	OnDelete DeletePolicy `yaml:"on_delete" json:"on_delete,omitempty"`
}

// CommentMapping names the record fields that fill each part of a comment.
// A field is an API name (Subject), a relationship path (Parent.CaseNumber)
// or a compound component (BillingAddress.City).
type CommentMapping struct {
	// ID is the field whose value identifies the record. Zero: Id.
	ID string `yaml:"id" json:"id,omitempty"`
	// ThreadID groups comments into a conversation. Zero: no thread, except
	// for built-in objects (ParentId, or Id for Case).
	ThreadID string `yaml:"thread_id" json:"thread_id,omitempty"`
	// Timestamp lists fields holding the comment time; the first non-empty
	// wins. Zero: CreatedDate (EmailMessage: MessageDate, then CreatedDate).
	Timestamp FieldList `yaml:"timestamp" json:"timestamp,omitempty"`
	// Subject is the field holding the subject line. Zero: none, except for
	// built-in objects.
	Subject string `yaml:"subject" json:"subject,omitempty"`
	// Body lists fields holding the text; the first non-empty wins.
	// Required for objects without a built-in mapping.
	Body FieldList `yaml:"body" json:"body,omitempty"`
	// HTML lists fields whose values are HTML and are converted to text.
	// Zero: none (EmailMessage: HtmlBody).
	HTML FieldList `yaml:"html" json:"html,omitempty"`
	// From, To and Cc hold addresses; lists are split on ";" and ",".
	From string `yaml:"from" json:"from,omitempty"`
	To   string `yaml:"to" json:"to,omitempty"`
	Cc   string `yaml:"cc" json:"cc,omitempty"`
	// SentAt is the field holding the message's send time. Zero: none.
	SentAt string `yaml:"sent_at" json:"sent_at,omitempty"`
	// Properties maps a user-property name to a field. The property is typed
	// by the value (numbers become "number:", everything else "string:");
	// prefix the field with "number:" or "string:" to force a type.
	// Empty values are omitted.
	Properties map[string]string `yaml:"properties" json:"properties,omitempty"`
}

// FieldList is a list of field names. In YAML it may also be written as a
// single name.
type FieldList []string

// UnmarshalYAML accepts a scalar or a sequence. It uses the decoder-callback
// form that YAML libraries support, so mapper needs no YAML import.
func (l *FieldList) UnmarshalYAML(unmarshal func(any) error) error {
	var one string
	if err := unmarshal(&one); err == nil {
		*l = FieldList{one}
		return nil
	}
	var many []string
	if err := unmarshal(&many); err != nil {
		return fmt.Errorf("decode field list: want a field name or a list of names: %w", err)
	}
	*l = many
	return nil
}

// UnmarshalJSON accepts a string or an array of strings, like UnmarshalYAML.
func (l *FieldList) UnmarshalJSON(data []byte) error {
	var one string
	if err := json.Unmarshal(data, &one); err == nil {
		*l = FieldList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(data, &many); err != nil {
		return fmt.Errorf("decode field list: want a field name or a list of names: %w", err)
	}
	*l = many
	return nil
}

// DeletePolicy says what happens to a comment when its record is deleted.
type DeletePolicy string

const (
	// DeleteComment removes the comment from CM (the zero value).
	DeleteComment DeletePolicy = "delete"
	// KeepComment leaves the comment in CM.
	KeepComment DeletePolicy = "keep"
)

var (
	objectNamePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)
	fieldNamePattern  = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$`)
	topicPattern      = regexp.MustCompile(`^/(data|event)/[A-Za-z][A-Za-z0-9_]*$`)
)

// Salesforce API names are short (40 characters, plus a namespace prefix
// and suffix); these bounds are generous and keep a runaway value from
// travelling into queries, store keys and messages.
const (
	// maxObjectBytes bounds an object's API name.
	maxObjectBytes = 255
	// maxFieldBytes bounds a field name or relationship path.
	maxFieldBytes = 1024
)

// reservedProperties are set by the mapper itself; user mappings may not
// reuse them. CM's legacy API also reserved "conversation", "title" and
// "Source", so those are refused as well.
var reservedProperties = []string{
	propertyObject, propertyRecordID, propertyTruncated, "conversation", "title", "Source",
}

// Validate reports every configuration error at once. Each message names the
// key and how to fix it.
func (c Config) Validate() error {
	var errs []error
	seen := map[string]int{}
	for i, om := range c.Objects {
		key := objectKey(i, om.Object)
		if validObject(om.Object) {
			if prev, dup := seen[om.Object]; dup {
				errs = append(errs, fmt.Errorf("%s.object: %s is already mapped by objects[%d]; merge the two entries", key, om.Object, prev))
			}
			seen[om.Object] = i
		}
		errs = append(errs, om.validate(key)...)
	}
	return errors.Join(errs...)
}

func (om ObjectMapping) validate(key string) []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(key+"."+format, args...)) }
	switch {
	case om.Object == "":
		bad("object: required; give the Salesforce API name, e.g. object: EmailMessage")
	case len(om.Object) > maxObjectBytes:
		bad("object: %s is longer than a Salesforce API name (at most %d bytes); give the object's API name, e.g. Ticket__c", quoteValue(om.Object), maxObjectBytes)
	case !objectNamePattern.MatchString(om.Object):
		bad("object: %s is not a Salesforce API name; use letters, digits and underscores, e.g. Ticket__c", quoteValue(om.Object))
	}
	if om.Topic != "" && !topicPattern.MatchString(om.Topic) {
		bad("topic: %s is not a channel; use /data/<Object>ChangeEvent or a custom channel like /data/Mail__chn, or leave it empty", quoteValue(om.Topic))
	}
	if om.OnDelete != "" && om.OnDelete != DeleteComment && om.OnDelete != KeepComment {
		bad("on_delete: %s is not a policy; use delete or keep", quoteValue(string(om.OnDelete)))
	}
	for j, f := range om.Fields {
		if !validField(f) {
			bad("fields[%d]: %s is not a field name; use an API name like Subject or a path like Parent.CaseNumber", j, quoteValue(f))
		}
	}
	errs = append(errs, om.Comment.validate(key+".comment", om.Object)...)
	return errs
}

func (cm CommentMapping) validate(key, object string) []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(key+"."+format, args...)) }
	checkField := func(name, f string) {
		if f != "" && !validField(f) {
			bad("%s: %s is not a field name; use an API name like Subject or a path like Parent.CaseNumber", name, quoteValue(f))
		}
	}
	for name, f := range map[string]string{"id": cm.ID, "thread_id": cm.ThreadID, "subject": cm.Subject,
		"from": cm.From, "to": cm.To, "cc": cm.Cc, "sent_at": cm.SentAt} {
		checkField(name, f)
	}
	for name, list := range map[string]FieldList{"timestamp": cm.Timestamp, "body": cm.Body, "html": cm.HTML} {
		for j, f := range list {
			if f == "" {
				bad("%s[%d]: empty field name; remove it or name a field", name, j)
			}
			checkField(fmt.Sprintf("%s[%d]", name, j), f)
		}
	}
	if _, builtin := builtinMappings[object]; !builtin && validObject(object) && len(cm.Body) == 0 {
		bad("body: required for %s, which has no built-in mapping; list its text fields, e.g. body: [Description__c]", object)
	}
	for _, name := range sortedKeys(cm.Properties) {
		errs = append(errs, validateProperty(key+".properties", name, cm.Properties[name])...)
	}
	return errs
}

func validateProperty(key, name, spec string) []error {
	var errs []error
	switch {
	case strings.TrimSpace(name) == "":
		errs = append(errs, fmt.Errorf("%s: empty property name; give each property a name", key))
	case strings.HasPrefix(name, stringPrefix) || strings.HasPrefix(name, numberPrefix):
		errs = append(errs, fmt.Errorf("%s[%s]: drop the type prefix from the name; put it on the field instead, e.g. %s: number:%s", key, quoteValue(name), quoteValue(strings.SplitN(name, ":", 2)[1]), "Field"))
	case slices.Contains(reservedProperties, name):
		errs = append(errs, fmt.Errorf("%s[%s]: the name is reserved; choose another name", key, quoteValue(name)))
	}
	_, field := splitPropertySpec(spec)
	if !validField(field) {
		errs = append(errs, fmt.Errorf("%s[%s]: %s is not a field; use a name like Status, Parent.CaseNumber or number:Amount", key, quoteValue(name), quoteValue(spec)))
	}
	return errs
}

// validObject reports whether object can be an object's API name.
func validObject(object string) bool {
	return len(object) <= maxObjectBytes && objectNamePattern.MatchString(object)
}

// validField reports whether f can be a field name or relationship path.
func validField(f string) bool {
	return len(f) <= maxFieldBytes && fieldNamePattern.MatchString(f)
}

// objectKey names objects[i] in messages with its object: as written when
// it is an API name, quoted and cut otherwise (it may be of any size).
func objectKey(i int, object string) string {
	switch {
	case object == "":
		return fmt.Sprintf("objects[%d]", i)
	case validObject(object):
		return fmt.Sprintf("objects[%d] (%s)", i, object)
	}
	return fmt.Sprintf("objects[%d] (%s)", i, quoteValue(object))
}
