package onboard_test

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sfcdc/sfcdc/custody"
	"github.com/sfcdc/sfcdc/onboard"
	"github.com/sfcdc/sfcdc/registry"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/sealed"
)

// FuzzCallbackAndAuthenticateRequests: any query on the callback and any
// path under /integrations answers a page without panicking, and a
// callback with no state issued stores nothing.
func FuzzCallbackAndAuthenticateRequests(f *testing.F) {
	for _, seed := range []string{"code=x&state=y", "error=access_denied&error_description=denied&state=%00", "state=" + strings.Repeat("a", 500),
		"code=&state=&error=", "%zz", "state=sfcdc:v1:k1:AAAA"} {
		f.Add(seed, "acme/support")
	}
	store, err := replay.OpenFileStore(filepath.Join(f.TempDir(), "state.db"), replay.FileOptions{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { store.Close() })
	keys, err := sealed.ParseKeys("k1:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{5}, sealed.KeySize)))
	if err != nil {
		f.Fatal(err)
	}
	vault := custody.NewVault(store, keys)
	h := onboard.Handler(onboard.Config{PublicURL: "https://sfcdc.example", Registry: registry.New(store, keys), Vault: vault, States: store, Keys: keys})
	f.Fuzz(func(t *testing.T, query, name string) {
		for _, target := range []string{onboard.CallbackPath + "?" + query, "/integrations/" + name + "/oauth2/authenticate?" + query} {
			req, err := http.NewRequest(http.MethodGet, "https://sfcdc.example/", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.URL.Path, req.URL.RawQuery, _ = strings.Cut(target, "?")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code == http.StatusOK && strings.HasPrefix(target, onboard.CallbackPath) {
				t.Fatalf("callback ?%q answered 200", query)
			}
		}
		if _, err := vault.Load(t.Context(), "acme/support"); err == nil {
			t.Fatal("a fuzzed request stored a grant")
		}
	})
}
