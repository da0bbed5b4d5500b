package pubsub

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func shippingAddressComponents() []string {
	return []string{
		"ShippingAddress.Street", "ShippingAddress.City", "ShippingAddress.State",
		"ShippingAddress.PostalCode", "ShippingAddress.Country", "ShippingAddress.StateCode",
		"ShippingAddress.CountryCode", "ShippingAddress.Latitude", "ShippingAddress.Longitude",
		"ShippingAddress.Xyz", "ShippingAddress.GeocodeAccuracy",
	}
}

// The worked examples of salesforce.md §3.9 against the Account fixture.
func TestExpandBitmapNamesTheFieldsOfTheAccountExamples(t *testing.T) {
	t.Parallel()
	schema := compileFile(t, "account", accountSchemaPath)
	tests := []struct {
		name    string
		entries []string
		want    []string
	}{
		{"a top-level bitmap names Fax and LastModifiedDate", []string{"0x400080"}, []string{"Fax", "LastModifiedDate"}},
		{"a compound entry names address components after top-level fields", []string{"0x400000", "4-0x06"}, []string{"LastModifiedDate", "BillingAddress.City", "BillingAddress.State"}},
		{"a nulled-fields bitmap names Phone and Website", []string{"0x0240"}, []string{"Phone", "Website"}},
		{"a full compound bitmap lists all eleven components", []string{"0x400040", "5-0x07FF"}, append([]string{"Phone", "LastModifiedDate"}, shippingAddressComponents()...)},
		{"a lone compound entry is expanded", []string{"4-0x02"}, []string{"BillingAddress.City"}},
		{"lower-case hex digits are read", []string{"0x400000", "4-0x0a"}, []string{"LastModifiedDate", "BillingAddress.City", "BillingAddress.PostalCode"}},
		{"an upper-case X prefix is read", []string{"0X400080"}, []string{"Fax", "LastModifiedDate"}},
		{"an odd number of hex digits is read", []string{"0x240"}, []string{"Phone", "Website"}},
		{"leading zeros change nothing", []string{"0x0000000080"}, []string{"Fax"}},
		{"an empty list expands to nil", []string{}, nil},
		{"a nil list expands to nil", nil, nil},
		{"a zero bitmap expands to nil", []string{"0x0"}, nil},
		{"compound entries before the top-level entry give the same result", []string{"4-0x06", "0x400000"}, []string{"LastModifiedDate", "BillingAddress.City", "BillingAddress.State"}},
		{"compound entries are ordered by position whatever their order", []string{"5-0x01", "4-0x01"}, []string{"BillingAddress.Street", "ShippingAddress.Street"}},
		{"a parent whose components are listed is not named again", []string{"0x400010", "4-0x02"}, []string{"LastModifiedDate", "BillingAddress.City"}},
		{"a parent without a compound entry is named as itself", []string{"0x400010"}, []string{"BillingAddress", "LastModifiedDate"}},
		{"two entries for one compound field are merged", []string{"4-0x02", "4-0x04"}, []string{"BillingAddress.City", "BillingAddress.State"}},
		{"two top-level entries are merged", []string{"0x80", "0x400000"}, []string{"Fax", "LastModifiedDate"}},
		{"the header bit is ignored", []string{"0x400001"}, []string{"LastModifiedDate"}},
		{"the highest field (position 34) can be named", []string{"0x400000000"}, []string{"DandbCompanyId"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := schema.ExpandBitmap(tt.entries)
			if err != nil {
				t.Fatalf("ExpandBitmap(%q) error: %v", tt.entries, err)
			}
			if !slices.Equal(got, tt.want) || (got == nil) != (tt.want == nil) {
				t.Errorf("ExpandBitmap(%q)\n got %q\nwant %q", tt.entries, got, tt.want)
			}
		})
	}
}

func TestExpandBitmapRejectsEntriesThatDoNotFitTheSchema(t *testing.T) {
	t.Parallel()
	schema := compileFile(t, "account", accountSchemaPath)
	tests := []struct {
		name    string
		entries []string
		want    error
	}{
		{"a bit past the last field", []string{"0x800000000"}, ErrBitmapMismatch},
		{"a huge bitmap", []string{"0x" + "F0000000000000000000000000000000000"}, ErrBitmapMismatch},
		{"a component bit past the compound's components", []string{"4-0x800"}, ErrBitmapMismatch},
		{"a position past the last field", []string{"45-0x01"}, ErrBitmapMismatch},
		{"a position that is not a compound field", []string{"3-0x01"}, ErrBitmapMismatch},
		{"a position naming the header", []string{"0-0x01"}, ErrBitmapMismatch},
		{"a bad hex digit", []string{"0x40G080"}, ErrMalformedBitmap},
		{"a sign inside the hex digits", []string{"0x-1"}, ErrMalformedBitmap},
		{"no hex digits", []string{"0x"}, ErrMalformedBitmap},
		{"no prefix", []string{"400080"}, ErrMalformedBitmap},
		{"an empty entry", []string{""}, ErrMalformedBitmap},
		{"a negative position", []string{"-4-0x02"}, ErrMalformedBitmap},
		{"a position that is not a number", []string{"x-0x02"}, ErrMalformedBitmap},
		{"a position with too many digits", []string{"99999999999999999999-0x01"}, ErrMalformedBitmap},
		{"a compound entry without prefix", []string{"4-06"}, ErrMalformedBitmap},
		{"a field name instead of a bitmap", []string{"LastModifiedDate"}, ErrMalformedBitmap},
		{"one bad entry among good ones", []string{"0x400000", "4-0x06", "5-0xZZ"}, ErrMalformedBitmap},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := schema.ExpandBitmap(tt.entries)
			if !errors.Is(err, tt.want) {
				t.Fatalf("ExpandBitmap(%q) = %q, %v; want error wrapping %v", tt.entries, got, err, tt.want)
			}
			var bitmapErr *BitmapError
			if !errors.As(err, &bitmapErr) {
				t.Fatalf("ExpandBitmap(%q) error %T is not a *BitmapError", tt.entries, err)
			}
			if got != nil {
				t.Errorf("ExpandBitmap(%q) returned names %q with its error", tt.entries, got)
			}
		})
	}
}

func TestBitmapErrorQuotesAtMostAShortPrefixOfTheEntry(t *testing.T) {
	t.Parallel()
	schema := compileFile(t, "account", accountSchemaPath)
	entry := "0x" + strings.Repeat("F", 10_000)
	_, err := schema.ExpandBitmap([]string{entry})
	var bitmapErr *BitmapError
	if !errors.As(err, &bitmapErr) {
		t.Fatalf("error %v is not a *BitmapError", err)
	}
	if len(bitmapErr.Entry) > maxEntryInError+len("…") || len(err.Error()) > 300 {
		t.Errorf("error quotes %d bytes of the entry: %.100q", len(bitmapErr.Entry), err.Error())
	}
}

// A union schema covering each compound shape of salesforce.md §3.9.
const compoundShapesSchema = `{
  "type": "record", "name": "ContactChangeEvent", "namespace": "com.sforce.eventbus",
  "fields": [
    {"name": "ChangeEventHeader", "type": {"type": "record", "name": "ChangeEventHeader", "fields": [
      {"name": "entityName", "type": "string"}]}},
    {"name": "Name", "type": ["null", "string", {"type": "record", "name": "Switchable_PersonName", "fields": [
      {"name": "Salutation", "type": ["null", "string"], "default": null},
      {"name": "FirstName", "type": ["null", "string"], "default": null},
      {"name": "LastName", "type": ["null", "string"], "default": null}]}], "default": null},
    {"name": "RequiredName", "type": ["string", "Switchable_PersonName"]},
    {"name": "MailingAddress", "type": ["null", {"type": "record", "name": "Address", "fields": [
      {"name": "Street", "type": ["null", "string"], "default": null},
      {"name": "City", "type": ["null", "string"], "default": null}]}], "default": null},
    {"name": "OtherAddress", "type": ["null", "com.sforce.eventbus.Address"], "default": null},
    {"name": "Location__c", "type": {"type": "record", "name": "Location", "fields": [
      {"name": "Latitude", "type": ["null", "double"], "default": null},
      {"name": "Longitude", "type": ["null", "double"], "default": null}]}},
    {"name": "Title", "type": ["null", "string"], "default": null}
  ]}`

func TestExpandBitmapFindsTheRecordInsideEachCompoundShape(t *testing.T) {
	t.Parallel()
	schema, err := CompileSchema("contact", compoundShapesSchema)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		entry string
		want  []string
	}{
		{`a ["null","string",R] union`, "1-0x06", []string{"Name.FirstName", "Name.LastName"}},
		{`a ["string",R] union naming R by reference`, "2-0x01", []string{"RequiredName.Salutation"}},
		{`a ["null",R] union`, "3-0x02", []string{"MailingAddress.City"}},
		{"a union naming the record by full name", "4-0x03", []string{"OtherAddress.Street", "OtherAddress.City"}},
		{"a bare record", "5-0x02", []string{"Location__c.Longitude"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := schema.ExpandBitmap([]string{tt.entry})
			if err != nil {
				t.Fatalf("ExpandBitmap(%q): %v", tt.entry, err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("ExpandBitmap(%q) = %q, want %q", tt.entry, got, tt.want)
			}
		})
	}
	if _, err := schema.ExpandBitmap([]string{"6-0x01"}); !errors.Is(err, ErrBitmapMismatch) {
		t.Errorf("a string field as compound position: error %v, want ErrBitmapMismatch", err)
	}
}

func BenchmarkExpandBitmap(b *testing.B) {
	schema := compileFile(b, "account", accountSchemaPath)
	entries := []string{"0x400040", "5-0x07FF"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := schema.ExpandBitmap(entries); err != nil {
			b.Fatal(err)
		}
	}
}
