package sealed_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sfcdc/sfcdc/sealed"
)

// fixedKey is a key of n repeated bytes, in base64.
func fixedKey(b byte) string {
	return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{b}, sealed.KeySize))
}

func mustKeys(t *testing.T, text string) *sealed.Keyring {
	t.Helper()
	r, err := sealed.ParseKeys(text)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

const canary = "CANARY-client-secret-5f1e9d"

func TestASealedValueOpensOnlyUnderItsContextAndNeverShowsItsPlaintext(t *testing.T) {
	r := mustKeys(t, "main:"+fixedKey(1))
	ctx := "integration/acme/support/client_secret"
	s, err := r.SealString(canary, ctx)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(s, canary) || !strings.HasPrefix(s, "sfcdc:v1:main:") {
		t.Fatalf("sealed value %q: want the sfcdc:v1:main: prefix and no plaintext", s)
	}
	got, err := r.OpenString(s, ctx)
	if err != nil || got != canary {
		t.Fatalf("open: %q, %v", got, err)
	}
	// Copied into another integration's record, or another field: refused.
	for _, other := range []string{"integration/acme/other/client_secret", "integration/acme/support/cm_token", ""} {
		_, err := r.OpenString(s, other)
		if !errors.Is(err, sealed.ErrTampered) {
			t.Errorf("open under %q: %v; want ErrTampered", other, err)
		}
		if err != nil && strings.Contains(err.Error(), canary) {
			t.Errorf("the error quotes the plaintext: %v", err)
		}
	}
	// Two seals of one value differ (random nonce), both open.
	s2, _ := r.SealString(canary, ctx)
	if s2 == s {
		t.Error("sealing the same value twice gave the same ciphertext; want a fresh nonce each time")
	}
}

func TestAChangedOrRelabelledValueIsRefused(t *testing.T) {
	r := mustKeys(t, "a:"+fixedKey(1)+",b:"+fixedKey(2))
	s, _ := r.SealString(canary, "ctx")
	body := s[strings.LastIndex(s, ":")+1:]
	raw, _ := base64.RawURLEncoding.DecodeString(body)
	raw[len(raw)-1] ^= 1
	flipped := "sfcdc:v1:a:" + base64.RawURLEncoding.EncodeToString(raw)
	if _, err := r.Open(flipped, "ctx"); !errors.Is(err, sealed.ErrTampered) {
		t.Errorf("a flipped bit: %v; want ErrTampered", err)
	}
	// The same body under the other key's ID: the key ID is bound too.
	if _, err := r.Open("sfcdc:v1:b:"+body, "ctx"); !errors.Is(err, sealed.ErrTampered) {
		t.Errorf("relabelled to key b: %v; want ErrTampered", err)
	}
	for _, bad := range []string{"", canary, "sfcdc:v1:", "sfcdc:v1:a", "sfcdc:v1:a:!!", "sfcdc:v1:a:AAAA", "sfcdc:v2:a:" + body} {
		_, err := r.Open(bad, "ctx")
		if !errors.Is(err, sealed.ErrNotSealed) {
			t.Errorf("open %q: %v; want ErrNotSealed", bad, err)
		}
		if bad == canary && strings.Contains(err.Error(), canary) {
			t.Errorf("the error quotes a plaintext stored by mistake: %v", err)
		}
	}
}

func TestKeysRotateTheOldKeyOpensAndResealMovesValuesToTheNewPrimary(t *testing.T) {
	old := mustKeys(t, "2025:"+fixedKey(1))
	s, _ := old.SealString(canary, "ctx")

	// The new key goes first; the old one stays to open what it sealed.
	both := mustKeys(t, "2026:"+fixedKey(2)+"\n2025:"+fixedKey(1))
	if both.PrimaryID() != "2026" {
		t.Fatalf("primary %q; want the first entry", both.PrimaryID())
	}
	if got, err := both.OpenString(s, "ctx"); err != nil || got != canary {
		t.Fatalf("open with the old key still in the ring: %q, %v", got, err)
	}
	moved, changed, err := both.Reseal(s, "ctx")
	if err != nil || !changed {
		t.Fatalf("reseal: changed=%v, %v", changed, err)
	}
	if id, _ := sealed.KeyID(moved); id != "2026" {
		t.Fatalf("resealed under %q; want 2026", id)
	}
	again, changed, err := both.Reseal(moved, "ctx")
	if err != nil || changed || again != moved {
		t.Fatalf("resealing a value already on the primary: changed=%v err=%v", changed, err)
	}
	// Once the old key is dropped, only the moved value opens.
	onlyNew := mustKeys(t, "2026:"+fixedKey(2))
	if got, err := onlyNew.OpenString(moved, "ctx"); err != nil || got != canary {
		t.Fatalf("open the moved value with the new key alone: %q, %v", got, err)
	}
	_, err = onlyNew.OpenString(s, "ctx")
	if !errors.Is(err, sealed.ErrUnknownKey) || !strings.Contains(err.Error(), `"2025"`) || !strings.Contains(err.Error(), sealed.EnvKeys) {
		t.Fatalf("open a value of a dropped key: %v; want ErrUnknownKey naming key 2025 and where to add it", err)
	}
}

func TestBadKeyConfigurationIsNamedWithItsFixAndNeverQuotesTheKey(t *testing.T) {
	short := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef"))
	for _, c := range []struct{ name, text, want string }{
		{"empty", " \n# only a comment\n", "generate-key"},
		{"not base64", "main:" + canary + "!", "not base64"},
		{"16 bytes", "main:" + short, "16 bytes; want 32"},
		{"duplicate id", "a:" + fixedKey(1) + ",a:" + fixedKey(2), `"a" appears twice`},
		{"bad id", "a b:" + fixedKey(1), "letters, digits"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := sealed.ParseKeys(c.text)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("ParseKeys: %v; want an error containing %q", err, c.want)
			}
			if strings.Contains(err.Error(), canary) || strings.Contains(err.Error(), short) || strings.Contains(err.Error(), fixedKey(1)) {
				t.Fatalf("the error quotes key material: %v", err)
			}
		})
	}
	// A key without an ID gets one derived from the key, stable across runs.
	a, b := mustKeys(t, fixedKey(7)), mustKeys(t, fixedKey(7))
	if a.PrimaryID() != b.PrimaryID() || !strings.HasPrefix(a.PrimaryID(), "k") || len(a.PrimaryID()) != 9 {
		t.Fatalf("derived IDs %q, %q; want the same k+8 hex digits", a.PrimaryID(), b.PrimaryID())
	}
	if s := fmt.Sprintf("%v %#v %s", a, a, a); strings.Contains(s, fixedKey(7)) || !strings.Contains(s, a.PrimaryID()) {
		t.Fatalf("a printed keyring %q shows key material or hides its IDs", s)
	}
}

func TestLoadTakesTheEnvironmentOrAKeyFileAndSaysWhatToSetWhenNeither(t *testing.T) {
	gen, err := sealed.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if r, err := sealed.Load(gen, ""); err != nil || r.PrimaryID() != strings.SplitN(gen, ":", 2)[0] {
		t.Fatalf("load from the environment: %v", err)
	}
	file := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(file, []byte("# rotated 2026-12\n"+gen+"\nold:"+fixedKey(3)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := sealed.Load("", file)
	if err != nil || len(r.IDs()) != 2 {
		t.Fatalf("load the key file: %v, %v", r, err)
	}
	if _, err := sealed.Load("", ""); !errors.Is(err, sealed.ErrNoKey) || !strings.Contains(err.Error(), sealed.EnvKeys) {
		t.Fatalf("neither: %v; want ErrNoKey naming %s", err, sealed.EnvKeys)
	}
	if _, err := sealed.Load(gen, file); err == nil || !strings.Contains(err.Error(), "keep one") {
		t.Fatalf("both: %v", err)
	}
	if _, err := sealed.Load("", filepath.Join(t.TempDir(), "missing")); !errors.Is(err, sealed.ErrNoKey) || !strings.Contains(err.Error(), "generate-key") {
		t.Fatalf("missing file: %v", err)
	}
}
