package sealed_test

import (
	"testing"

	"github.com/sfcdc/sfcdc/sealed"
)

// FuzzOpenNeverPanicsAndOpensOnlyWhatItSealed: whatever bytes a store hands
// back, Open returns an error or, only for an untouched value of its own, the
// plaintext.
func FuzzOpenNeverPanicsAndOpensOnlyWhatItSealed(f *testing.F) {
	r, err := sealed.ParseKeys("a:" + fixedKey(1) + ",b:" + fixedKey(2))
	if err != nil {
		f.Fatal(err)
	}
	good, _ := r.SealString("secret", "ctx")
	f.Add(good, "ctx")
	f.Add("sfcdc:v1:a:", "ctx")
	f.Add("sfcdc:v1:b:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "")
	f.Add("garbage", "ctx")
	f.Fuzz(func(t *testing.T, value, context string) {
		plain, err := r.OpenString(value, context)
		// Only values sealed under "ctx" exist (the seed, sealed anew in
		// every fuzzing process): nothing else may open.
		if err == nil && (context != "ctx" || plain != "secret") {
			t.Fatalf("opened %q under %q to %q: only the value sealed here opens", value, context, plain)
		}
	})
}

// FuzzParseKeysNeverPanics: any key text is a keyring or a named error.
func FuzzParseKeysNeverPanics(f *testing.F) {
	f.Add("a:" + fixedKey(1))
	f.Add(fixedKey(1) + "," + fixedKey(2))
	f.Add("#\n\n:")
	f.Fuzz(func(t *testing.T, text string) {
		r, err := sealed.ParseKeys(text)
		if err == nil && r.PrimaryID() == "" {
			t.Fatal("a keyring without a primary key")
		}
	})
}
