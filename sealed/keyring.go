package sealed

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// KeySize is the length of a key in bytes (AES-256).
const KeySize = 32

// prefix starts every sealed value; the version names the format.
const prefix = "sfcdc:v1:"

// EnvKeys is the environment variable holding the keyring (see ParseKeys).
const EnvKeys = "SFCDC_SECRET_KEY"

var keyIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// Errors a caller can branch on. Every returned error wraps one of them and
// says which value, key or entry it is about.
var (
	// ErrNoKey: no keyring is configured.
	ErrNoKey = errors.New("no secret key configured")
	// ErrBadKey: a configured key or key entry cannot be used.
	ErrBadKey = errors.New("bad secret key")
	// ErrUnknownKey: the value was sealed by a key the keyring does not hold.
	ErrUnknownKey = errors.New("sealed by an unknown key")
	// ErrNotSealed: the text is not a sealed value of this format.
	ErrNotSealed = errors.New("not a sealed value")
	// ErrTampered: the value does not open with its key under this context.
	ErrTampered = errors.New("sealed value does not open")
)

// key is one AES-256-GCM key and its ID.
type key struct {
	id   string
	aead cipher.AEAD
}

// Keyring seals with its primary key and opens with any of its keys. It is
// safe for concurrent use and never exposes the key bytes.
type Keyring struct {
	primary *key
	byID    map[string]*key
	order   []string
}

// ParseKeys reads a keyring from text: entries separated by commas or line
// breaks, each "ID:KEY" or "KEY", where KEY is 32 bytes in base64 (standard
// or URL alphabet, padding optional) and ID is 1–32 letters, digits, '-' or
// '_' (without one the ID is derived from the key: "k" and the first 8 hex
// digits of its SHA-256). Blank lines and lines starting with '#' are
// ignored. The first entry is the primary key, the one that seals; the
// others only open what older keys sealed, until Reseal has moved it.
func ParseKeys(text string) (*Keyring, error) {
	r := &Keyring{byID: map[string]*key{}}
	n := 0
	for _, line := range strings.Split(strings.ReplaceAll(text, ",", "\n"), "\n") {
		entry := strings.TrimSpace(line)
		if entry == "" || strings.HasPrefix(entry, "#") {
			continue
		}
		n++
		k, err := parseEntry(entry)
		if err != nil {
			return nil, fmt.Errorf("%w: entry %d: %v", ErrBadKey, n, err)
		}
		if _, dup := r.byID[k.id]; dup {
			return nil, fmt.Errorf("%w: entry %d: key ID %q appears twice; give each key its own ID", ErrBadKey, n, k.id)
		}
		r.byID[k.id] = k
		r.order = append(r.order, k.id)
		if r.primary == nil {
			r.primary = k
		}
	}
	if r.primary == nil {
		return nil, fmt.Errorf("%w: the key list is empty; generate one with `sfcdc integrations generate-key`", ErrNoKey)
	}
	return r, nil
}

// parseEntry reads one "ID:KEY" or "KEY" entry. Its errors never quote the
// key material.
func parseEntry(entry string) (*key, error) {
	id, material, hasID := strings.Cut(entry, ":")
	if !hasID {
		id, material = "", entry
	}
	raw, err := decodeKey(material)
	if err != nil {
		return nil, err
	}
	if id == "" {
		sum := sha256.Sum256(raw)
		id = "k" + hex.EncodeToString(sum[:4])
	}
	if !keyIDPattern.MatchString(id) {
		return nil, fmt.Errorf("key ID %q: use 1–32 letters, digits, '-' or '_'", id)
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, fmt.Errorf("key %q: %v", id, err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("key %q: %v", id, err)
	}
	return &key{id: id, aead: aead}, nil
}

// decodeKey accepts the four base64 spellings and insists on 32 bytes.
func decodeKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		raw, err := enc.DecodeString(s)
		if err != nil {
			continue
		}
		if len(raw) != KeySize {
			return nil, fmt.Errorf("the key is %d bytes; want %d (base64 of 32 random bytes, e.g. from `sfcdc integrations generate-key` or `openssl rand -base64 32`)", len(raw), KeySize)
		}
		return raw, nil
	}
	return nil, fmt.Errorf("the key is not base64 (%d characters); want base64 of 32 random bytes, e.g. from `sfcdc integrations generate-key` or `openssl rand -base64 32`", len(s))
}

// GenerateKey returns a new random key as a keyring entry "ID:KEY", its ID
// derived from the key.
func GenerateKey() (string, error) {
	raw := make([]byte, KeySize)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("generate a secret key: %w", err)
	}
	sum := sha256.Sum256(raw)
	return "k" + hex.EncodeToString(sum[:4]) + ":" + base64.StdEncoding.EncodeToString(raw), nil
}

// PrimaryID is the ID of the key that seals.
func (r *Keyring) PrimaryID() string { return r.primary.id }

// IDs are the IDs of every key, the primary first.
func (r *Keyring) IDs() []string { return append([]string(nil), r.order...) }

// String names the keys without their material, so a keyring printed by
// mistake reveals nothing.
func (r *Keyring) String() string { return "sealed.Keyring{" + strings.Join(r.order, ",") + "}" }

// GoString is String, for %#v.
func (r *Keyring) GoString() string { return r.String() }

// Seal encrypts plaintext with the primary key, bound to context (which
// names what the value is and whose it is; Open must be given the same).
func (r *Keyring) Seal(plaintext []byte, context string) (string, error) {
	k := r.primary
	nonce := make([]byte, k.aead.NonceSize(), k.aead.NonceSize()+len(plaintext)+k.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("seal %s: %w", context, err)
	}
	out := k.aead.Seal(nonce, nonce, plaintext, associatedData(k.id, context))
	return prefix + k.id + ":" + base64.RawURLEncoding.EncodeToString(out), nil
}

// SealString is Seal for a string.
func (r *Keyring) SealString(plaintext, context string) (string, error) {
	return r.Seal([]byte(plaintext), context)
}

// Open decrypts a value Seal returned under the same context.
func (r *Keyring) Open(sealed, context string) ([]byte, error) {
	id, body, err := split(sealed)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", context, err)
	}
	k, ok := r.byID[id]
	if !ok {
		return nil, fmt.Errorf("open %s: %w %q (this keyring holds %s): add that key to %s or the key file, after the primary key, until `sfcdc integrations rotate-key` has resealed every value",
			context, ErrUnknownKey, id, strings.Join(r.order, ", "), EnvKeys)
	}
	if len(body) < k.aead.NonceSize()+k.aead.Overhead() {
		return nil, fmt.Errorf("open %s: %w: the value is %d bytes, shorter than a nonce and a tag", context, ErrNotSealed, len(body))
	}
	nonce, ct := body[:k.aead.NonceSize()], body[k.aead.NonceSize():]
	plain, err := k.aead.Open(nil, nonce, ct, associatedData(id, context))
	if err != nil {
		return nil, fmt.Errorf("open %s with key %q: %w: it was changed, or sealed for another integration or field, or key %q is not the key that sealed it", context, id, ErrTampered, id)
	}
	return plain, nil
}

// OpenString is Open for a string.
func (r *Keyring) OpenString(sealed, context string) (string, error) {
	b, err := r.Open(sealed, context)
	return string(b), err
}

// Reseal returns the value sealed by the primary key: the value itself when
// it already is, else opened with its old key and sealed again. changed
// says which.
func (r *Keyring) Reseal(sealed, context string) (resealed string, changed bool, err error) {
	id, _, err := split(sealed)
	if err != nil {
		return "", false, fmt.Errorf("reseal %s: %w", context, err)
	}
	if id == r.primary.id {
		if _, err := r.Open(sealed, context); err != nil {
			return "", false, err
		}
		return sealed, false, nil
	}
	plain, err := r.Open(sealed, context)
	if err != nil {
		return "", false, err
	}
	out, err := r.Seal(plain, context)
	return out, err == nil, err
}

// KeyID is the ID of the key that sealed a value.
func KeyID(sealed string) (string, error) {
	id, _, err := split(sealed)
	return id, err
}

// IsSealed says whether s has the sealed format (it may still not open).
func IsSealed(s string) bool {
	_, _, err := split(s)
	return err == nil
}

// split reads "sfcdc:v1:<id>:<body>". Its errors never quote the value,
// which may be a plaintext secret stored by mistake.
func split(s string) (id string, body []byte, err error) {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok {
		return "", nil, fmt.Errorf("%w: it does not start with %q (%d characters)", ErrNotSealed, prefix, len(s))
	}
	id, encoded, ok := strings.Cut(rest, ":")
	if !ok || !keyIDPattern.MatchString(id) {
		return "", nil, fmt.Errorf("%w: no key ID after %q", ErrNotSealed, prefix)
	}
	body, err = base64.RawURLEncoding.DecodeString(encoded)
	if err != nil {
		return "", nil, fmt.Errorf("%w: the body after the key ID is not unpadded base64url", ErrNotSealed)
	}
	return id, body, nil
}

// associatedData binds the format version, the key ID and the context.
func associatedData(id, context string) []byte {
	return []byte(prefix + id + "\x00" + context)
}
