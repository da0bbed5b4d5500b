package replay

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sfcdc/sfcdc/quote"
)

// ErrVersionConflict means a registry write expected another version of the
// document than the stored one: someone else changed it in between. The
// caller re-reads and decides again.
var ErrVersionConflict = errors.New("version conflict")

// RegistryStore keeps the integrations of a deployment: one document per
// integration name, each with a version, and a registry version that grows
// with every change, so an instance notices any change with one cheap read.
// Documents are opaque to the store (the registry encodes them and seals
// their secrets before they get here).
type RegistryStore interface {
	// PutIntegration stores doc under name if the stored document's version
	// is expect (0: no document may exist under name), and returns the new
	// version, which is the registry version after this change. Otherwise it
	// returns a *VersionConflictError matching ErrVersionConflict.
	PutIntegration(ctx context.Context, name string, doc []byte, expect int64) (int64, error)
	// Integration returns one document, or ErrNotFound.
	Integration(ctx context.Context, name string) (IntegrationDoc, error)
	// Integrations returns every document, ordered by name.
	Integrations(ctx context.Context) ([]IntegrationDoc, error)
	// DeleteIntegration removes the document if its version is expect (a
	// *VersionConflictError otherwise) and bumps the registry version;
	// deleting a missing document returns ErrNotFound.
	DeleteIntegration(ctx context.Context, name string, expect int64) error
	// RegistryVersion is the version of the last change (0: never changed).
	RegistryVersion(ctx context.Context) (int64, error)
}

// IntegrationDoc is one stored integration.
type IntegrationDoc struct {
	Name    string
	Version int64
	Doc     []byte
	// Updated is the store's clock at the last write.
	Updated time.Time
}

// VersionConflictError says which version is stored now (0: none).
type VersionConflictError struct {
	Name             string
	Expected, Stored int64
}

func (e *VersionConflictError) Error() string {
	return fmt.Sprintf("%s: integration %s is at version %d, not %d (changed meanwhile: read it again)", ErrVersionConflict, quote.Value(e.Name), e.Stored, e.Expected)
}

// Is makes errors.Is(err, ErrVersionConflict) true.
func (e *VersionConflictError) Is(target error) bool { return target == ErrVersionConflict }

// MemberStore keeps the live instances of a deployment: each announces
// itself with a heartbeat that lives for a TTL. The set of live members is
// what work is spread over; leases, not membership, decide who may write.
type MemberStore interface {
	// Heartbeat marks instance live until ttl from now on the store's clock,
	// keeping the Joined time of an instance that is still live.
	Heartbeat(ctx context.Context, instance string, ttl time.Duration) (Member, error)
	// Members returns the live instances, ordered by name; expired ones are
	// gone.
	Members(ctx context.Context) ([]Member, error)
	// Leave removes instance at once (a graceful stop); leaving twice is
	// harmless.
	Leave(ctx context.Context, instance string) error
}

// Member is one live instance.
type Member struct {
	Name string
	// Joined is when this run of the instance first announced itself.
	Joined time.Time
	// Expires is when it stops counting as live without another heartbeat.
	Expires time.Time
}

// checkDoc bounds a registry document: integrations are a few KiB.
func checkDoc(doc []byte) error {
	if len(doc) == 0 || len(doc) > maxRegistryDoc {
		return invalidf("integration document of %d bytes; want 1 to %d", len(doc), maxRegistryDoc)
	}
	return nil
}

// maxRegistryDoc bounds one stored integration document.
const maxRegistryDoc = 1 << 20

func sortDocs(docs []IntegrationDoc) {
	slices.SortFunc(docs, func(a, b IntegrationDoc) int { return strings.Compare(a.Name, b.Name) })
}

func sortMembers(ms []Member) {
	slices.SortFunc(ms, func(a, b Member) int { return strings.Compare(a.Name, b.Name) })
}

// formatTime is the stored spelling of a time (as fields.setTime).
func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// ReportStore keeps what each instance reports of the work it runs (the
// state of each integration's units there), each report living for a TTL
// so a dead instance's reports disappear with it. Reports are opaque to the
// store; `sfcdc integrations list`, /readyz and the operator pages read
// them all.
type ReportStore interface {
	// SaveReport stores doc under key until ttl from now (store's clock),
	// replacing an earlier report under key.
	SaveReport(ctx context.Context, key string, doc []byte, ttl time.Duration) error
	// SaveReports stores every report of docs (by key) as SaveReport does,
	// in one round trip: an instance writes the reports of a thousand
	// integrations every few seconds. A report refused (a bad key, an
	// oversized document) is skipped and named in the error; the others
	// are stored.
	SaveReports(ctx context.Context, docs map[string][]byte, ttl time.Duration) error
	// Reports returns every live report by key; expired ones are gone.
	Reports(ctx context.Context) (map[string][]byte, error)
	// DeleteReport removes one report at once; a missing one is no error.
	DeleteReport(ctx context.Context, key string) error
}

// checkReports returns the keys of docs that SaveReport would accept,
// sorted, and an error naming each refused one (nil when none).
func checkReports(docs map[string][]byte) ([]string, error) {
	keys := make([]string, 0, len(docs))
	var errs []error
	for key, doc := range docs {
		switch {
		case checkName("report", key) != nil:
			errs = append(errs, fmt.Errorf("save report: %w", checkName("report", key)))
		case len(doc) > maxRegistryDoc:
			errs = append(errs, fmt.Errorf("save report %s: %w", key, invalidf("report of %d bytes; want at most %d", len(doc), maxRegistryDoc)))
		default:
			keys = append(keys, key)
		}
	}
	slices.Sort(keys)
	return keys, errors.Join(errs...)
}
