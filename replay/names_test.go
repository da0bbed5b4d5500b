package replay_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sfcdc/sfcdc/replay"
)

// The rules the stores apply to names are exported so that a configuration
// reader refuses the same values up front; these cases pin the rules.
func TestNamesThatCannotBeStoreKeysAreRefusedWithTheReason(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, value, want string
	}{
		{"an empty name", "", "want 1 to 1024 bytes, got 0"},
		{"a 2,000-byte name", strings.Repeat("h", 2000), "want 1 to 1024 bytes, got 2000"},
		{"a control character", "host\n1", `"host\n1" holds the control character U+000A`},
		{"DEL", "host\x7f", "control character U+007F"},
		{"invalid UTF-8", "host\xff", "not valid UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := replay.CheckName(tc.value)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("CheckName: %v, want %q", err, tc.want)
			}
		})
	}
	for _, ok := range []string{"worker-1", "/data/CaseChangeEvent", "hôte-1:42", strings.Repeat("h", replay.MaxNameBytes)} {
		if err := replay.CheckName(ok); err != nil {
			t.Errorf("CheckName(%.30q): %v", ok, err)
		}
	}
}

func TestOrgIDsThatCannotBeHashTagsAreRefused(t *testing.T) {
	t.Parallel()
	for value, want := range map[string]string{
		"":                      "want 1 to 64 characters, got 0",
		strings.Repeat("0", 65): "got 65",
		"00D{x}":                `holds '{'`,
	} {
		if err := replay.CheckOrgID(value); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CheckOrgID(%.20q): %v, want %q", value, err, want)
		}
	}
	if err := replay.CheckOrgID("00D5Y0000000001UAA"); err != nil {
		t.Errorf("a Salesforce org ID was refused: %v", err)
	}
}

// A huge argument is refused without being repeated: the error quotes a
// short prefix of it at most.
func TestAStoreRefusesAHugeNameWithAShortError(t *testing.T) {
	t.Parallel()
	store, err := replay.OpenFileStore(filepath.Join(t.TempDir(), "state.db"), replay.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	huge := strings.Repeat("x", 10<<20)
	for name, call := range map[string]func() error{
		"org": func() error {
			_, err := store.AcquireLease(context.Background(), huge+"{", "/data/T", "h", time.Second)
			return err
		},
		"topic": func() error {
			_, err := store.AcquireLease(context.Background(), "org", huge+"\n", "h", time.Second)
			return err
		},
		"holder": func() error {
			_, err := store.AcquireLease(context.Background(), "org", "/data/T", "\n"+huge[:1000], time.Second)
			return err
		},
	} {
		err := call()
		if !errors.Is(err, replay.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
			continue
		}
		if len(err.Error()) > 200 {
			t.Errorf("%s: the error has %d bytes: %.300s", name, len(err.Error()), err)
		}
	}
}
