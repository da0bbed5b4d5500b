package salesforce

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Defaults of the documented limits (reference §3.6, §3.7).
const (
	// DefaultMaxEventBytes: a change event larger than this becomes a gap event.
	DefaultMaxEventBytes = 1 << 20
	// DefaultMaxTransactionChanges: changes of one transaction beyond this
	// become one GAP_OVERFLOW event per entity.
	DefaultMaxTransactionChanges = 100_000
	// DefaultChangeOrigin is the changeOrigin of DML that names no origin.
	DefaultChangeOrigin = "com/salesforce/api/rest/62.0"
)

// Config declares the simulated org. The zero value is a valid org with the
// standard objects, CDC on for all of them except CaseComment, real limits,
// random IDs and diffs off.
type Config struct {
	// OrgID is the 18-character organisation ID (00D…). Empty: derived from Seed.
	OrgID string
	// UserID is the user running DML (commitUser, CreatedById…). Empty: derived from Seed.
	UserID string
	// Seed makes generated IDs, UUIDs and commit numbers reproducible.
	// Zero: a random seed.
	Seed uint64

	// CaseCommentChangeEvents gives CaseComment a change event. Off by
	// default: the reference could not confirm one exists, so sfcdc polls it.
	CaseCommentChangeEvents bool
	// NoChangeEvents lists standard objects not selected for CDC.
	NoChangeEvents []string

	CustomObjects  []CustomObject
	CustomFields   []CustomField
	CustomChannels []CustomChannel
	PlatformEvents []PlatformEvent

	// MaxEventBytes: larger events become GAP_* events. Zero: DefaultMaxEventBytes.
	MaxEventBytes int
	// MaxTransactionChanges: the overflow threshold. Zero: DefaultMaxTransactionChanges.
	MaxTransactionChanges int
	// SendDataDifferences sends unified diffs for large text fields on
	// UPDATE (the org setting of reference §3.5). Off by default, as in Salesforce.
	SendDataDifferences bool
	// ChangeOrigin of transactions that name none. Empty: DefaultChangeOrigin.
	ChangeOrigin string
	// FirstCommitNumber is the commitNumber of the first transaction. Zero: a
	// value above 2^53 so consumers must decode it as int64, not float64.
	FirstCommitNumber int64
}

// FieldSpec declares a custom field. Compound types are not allowed.
type FieldSpec struct {
	Name        string // ends in __c
	Type        FieldType
	ReferenceTo []string // reference fields: target objects (optional)
}

// CustomObject declares an object Name__c.
type CustomObject struct {
	Name      string // ends in __c
	KeyPrefix string // three characters, e.g. "a0X"; empty: the next free a0… prefix
	Fields    []FieldSpec
	// NoChangeEvents leaves the object unselected for CDC.
	NoChangeEvents bool
}

// CustomField adds a custom field to a standard or custom object.
type CustomField struct {
	Object string
	FieldSpec
}

// CustomChannel declares /data/<Name> (Name ends in __chn) carrying the
// change events of the listed entities.
type CustomChannel struct {
	Name     string
	Entities []string
}

// PlatformEvent declares a platform event Name__e and its custom fields.
type PlatformEvent struct {
	Name   string // ends in __e
	Fields []FieldSpec
}

// ErrInvalidConfig wraps every configuration error.
var ErrInvalidConfig = errors.New("invalid sim config")

// Validate checks the configuration; errors name the key and the fix.
func (c Config) Validate() error {
	_, err := buildCatalog(c)
	return err
}

func (c Config) maxEventBytes() int {
	if c.MaxEventBytes > 0 {
		return c.MaxEventBytes
	}
	return DefaultMaxEventBytes
}

func (c Config) maxTransactionChanges() int {
	if c.MaxTransactionChanges > 0 {
		return c.MaxTransactionChanges
	}
	return DefaultMaxTransactionChanges
}

func (c Config) changeOrigin() string {
	if c.ChangeOrigin != "" {
		return c.ChangeOrigin
	}
	return DefaultChangeOrigin
}

func configError(key, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalidConfig, key, fmt.Sprintf(format, args...))
}

func (s FieldSpec) validate() error {
	if !strings.HasSuffix(s.Name, "__c") || !isAPIName(strings.TrimSuffix(s.Name, "__c")) {
		return fmt.Errorf("field name %q must be letters, digits and underscores ending in __c", s.Name)
	}
	if !s.Type.valid() || s.Type.IsCompound() || s.Type == TypeID {
		return fmt.Errorf("field %s: type %q is not one of string, textarea, email, picklist, reference, boolean, int, double, date, datetime", s.Name, s.Type)
	}
	return nil
}

// isAPIName reports whether s is a letter followed by letters, digits and
// single underscores, as Salesforce requires of API names.
func isAPIName(s string) bool {
	if s == "" || !isLetter(s[0]) || strings.Contains(s, "__") || strings.HasSuffix(s, "_") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isLetter(s[i]) && !(s[i] >= '0' && s[i] <= '9') && s[i] != '_' {
			return false
		}
	}
	return true
}

func isLetter(b byte) bool { return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') }

// clone copies the slices of c so later changes by the caller do not leak in.
func (c Config) clone() Config {
	c.NoChangeEvents = slices.Clone(c.NoChangeEvents)
	c.CustomFields = slices.Clone(c.CustomFields)
	c.CustomObjects = slices.Clone(c.CustomObjects)
	for i := range c.CustomObjects {
		c.CustomObjects[i].Fields = slices.Clone(c.CustomObjects[i].Fields)
	}
	c.CustomChannels = slices.Clone(c.CustomChannels)
	for i := range c.CustomChannels {
		c.CustomChannels[i].Entities = slices.Clone(c.CustomChannels[i].Entities)
	}
	c.PlatformEvents = slices.Clone(c.PlatformEvents)
	for i := range c.PlatformEvents {
		c.PlatformEvents[i].Fields = slices.Clone(c.PlatformEvents[i].Fields)
	}
	return c
}
