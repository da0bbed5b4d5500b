package registry

import (
	"bytes"
	"encoding/base64"
	"testing"

	"github.com/sfcdc/sfcdc/integration"
	"github.com/sfcdc/sfcdc/sealed"
)

// FuzzDecodeNeverPanicsOnStoredBytes: whatever the store hands back, decode
// returns an integration or an error, and a decoded one carries the name it
// was stored under.
func FuzzDecodeNeverPanicsOnStoredBytes(f *testing.F) {
	keys, err := sealed.ParseKeys("k:" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, sealed.KeySize)))
	if err != nil {
		f.Fatal(err)
	}
	var spec integration.Spec
	spec.Name = "acme/support"
	spec.CommsMining.Token = "t"
	good, err := encode(Integration{Spec: spec, Enabled: true}, keys)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"spec":"name: acme/support\n","enabled":true}`))
	f.Add([]byte(`{"spec":"name: [","secrets":{"x":"y"}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		i, err := decode("acme/support", raw, keys)
		if err == nil && i.Spec.Name != "acme/support" {
			t.Fatalf("decoded a record naming %q under acme/support", i.Spec.Name)
		}
	})
}
