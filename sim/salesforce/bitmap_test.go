package salesforce

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// fixturePositions maps field names of the real Account event to their
// top-level index and Address component names to component indexes.
func fixturePositions(t *testing.T) (top map[string]int, address map[string]int) {
	t.Helper()
	var schema map[string]any
	readFixtureJSON(t, "AccountChangeEvent.reconstructed.avsc.json", &schema)
	top, address = map[string]int{}, map[string]int{}
	for i, f := range schemaFields(schema) {
		top[f["name"].(string)] = i
	}
	billing := schemaFields(schema)[top["BillingAddress"]]["type"].([]any)[1].(map[string]any)
	for i, c := range schemaFields(billing) {
		address[c["name"].(string)] = i
	}
	return top, address
}

// fieldSetOf builds a FieldSet from names like "Fax" and "BillingAddress.City".
func fieldSetOf(t *testing.T, names ...string) FieldSet {
	t.Helper()
	top, address := fixturePositions(t)
	var fs FieldSet
	for _, n := range names {
		parent, comp, nested := strings.Cut(n, ".")
		p, ok := top[parent]
		if !ok {
			t.Fatalf("no field %s in the fixture schema", parent)
		}
		if !nested {
			fs.add(p)
			continue
		}
		fs.addComponent(p, address[comp])
	}
	return fs
}

var allShippingComponents = []string{
	"ShippingAddress.Street", "ShippingAddress.City", "ShippingAddress.State", "ShippingAddress.PostalCode",
	"ShippingAddress.Country", "ShippingAddress.StateCode", "ShippingAddress.CountryCode", "ShippingAddress.Latitude",
	"ShippingAddress.Longitude", "ShippingAddress.Xyz", "ShippingAddress.GeocodeAccuracy",
}

func TestBitmapsMatchTheWorkedExamplesOfTheReference(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		fields []string
		want   []string
	}{
		{"Fax and LastModifiedDate changed", []string{"Fax", "LastModifiedDate"}, []string{"0x400080"}},
		{"billing city and state changed", []string{"LastModifiedDate", "BillingAddress.City", "BillingAddress.State"}, []string{"0x400000", "4-0x06"}},
		{"Phone and Website nulled", []string{"Phone", "Website"}, []string{"0x0240"}},
		{"Phone, Website and LastModifiedDate changed", []string{"Phone", "Website", "LastModifiedDate"}, []string{"0x400240"}},
		{"every shipping component changed", append([]string{"Phone", "LastModifiedDate"}, allShippingComponents...), []string{"0x400040", "5-0x07FF"}},
		{"only billing city nulled", []string{"BillingAddress.City"}, []string{"4-0x02"}},
		{"nothing", nil, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fieldSetOf(t, tt.fields...).Encode(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Encode = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestIndexOnlyBitmapOfTheDocExampleRoundTrips(t *testing.T) {
	t.Parallel()
	bits := []int{5, 6, 7, 10, 24, 26, 29, 30}
	if got := EncodeBitmap(bits); got != "0x650004E0" {
		t.Errorf("EncodeBitmap = %s, want 0x650004E0", got)
	}
	got, err := DecodeBitmap("0x650004E0")
	if err != nil || !reflect.DeepEqual(got, bits) {
		t.Errorf("DecodeBitmap = %v, %v; want %v", got, err, bits)
	}
}

func TestDecodeBitmapIsLenientAboutCaseAndLength(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want []int
	}{
		{"0x400080", []int{7, 22}},
		{"0x650004e0", []int{5, 6, 7, 10, 24, 26, 29, 30}},
		{"0x240", []int{6, 9}},
		{"0x0", nil},
	}
	for _, tt := range tests {
		if got, err := DecodeBitmap(tt.in); err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("DecodeBitmap(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestMalformedBitmapsAreRejectedWithAReason(t *testing.T) {
	t.Parallel()
	for _, in := range [][]string{{"400080"}, {"0x"}, {"0xZZ"}, {"0x-1"}, {"x-0x01"}, {"4-0x02", "0x01"}, {"0x" + strings.Repeat("F", 20000)}} {
		if _, err := ParseFieldSet(in); !errors.Is(err, ErrInvalidBitmap) {
			t.Errorf("ParseFieldSet(%q) error = %v, want ErrInvalidBitmap", in, err)
		}
	}
}

func TestEncodedFieldSetsParseBack(t *testing.T) {
	t.Parallel()
	fs := fieldSetOf(t, append([]string{"Name", "DandbCompanyId", "BillingAddress.GeocodeAccuracy"}, allShippingComponents...)...)
	got, err := ParseFieldSet(fs.Encode())
	if err != nil {
		t.Fatalf("ParseFieldSet: %v", err)
	}
	if !sameFieldSet(got, fs) {
		t.Errorf("round trip gave %+v, want %+v", got, fs)
	}
}

// sameFieldSet compares sets regardless of order and duplicates.
func sameFieldSet(a, b FieldSet) bool {
	norm := func(s []int) []int { return slices.Compact(slices.Sorted(slices.Values(s))) }
	if !slices.Equal(norm(a.Top), norm(b.Top)) || len(a.Components) != len(b.Components) {
		return false
	}
	for p, comps := range a.Components {
		if !slices.Equal(norm(comps), norm(b.Components[p])) {
			return false
		}
	}
	return true
}

func FuzzParseFieldSet(f *testing.F) {
	for _, seed := range [][2]string{{"0x400080", ""}, {"0x400000", "4-0x06"}, {"4-0x02", ""}, {"0x650004E0", "7-0x06"}, {"0x", "-"}} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		entries := []string{a}
		if b != "" {
			entries = append(entries, b)
		}
		fs, err := ParseFieldSet(entries)
		if err != nil {
			return
		}
		back, err := ParseFieldSet(fs.Encode())
		if err != nil || !sameFieldSet(back, fs) {
			t.Errorf("%q parsed to %+v, which re-encodes to %q and parses to %+v, %v", entries, fs, fs.Encode(), back, err)
		}
	})
}
