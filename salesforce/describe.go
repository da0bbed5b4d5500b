package salesforce

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// ObjectDescription is what sfcdc needs from an sObject describe.
type ObjectDescription struct {
	Name      string
	Label     string
	KeyPrefix string
	Custom    bool
	Fields    []FieldDescription
	// HasChangeEvent: <Object>ChangeEvent exists, so the object can be
	// streamed over CDC rather than polled.
	HasChangeEvent bool
}

// FieldDescription is one field of a describe.
type FieldDescription struct {
	Name              string   `json:"name"`
	Type              string   `json:"type"` // id, reference, string, textarea, datetime, …
	Label             string   `json:"label"`
	Custom            bool     `json:"custom"`
	Nillable          bool     `json:"nillable"`
	Filterable        bool     `json:"filterable"`
	RelationshipName  string   `json:"relationshipName"`
	ReferenceTo       []string `json:"referenceTo"`
	CompoundFieldName string   `json:"compoundFieldName"`
}

// Field returns the named field.
func (d ObjectDescription) Field(name string) (FieldDescription, bool) {
	for _, f := range d.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return FieldDescription{}, false
}

// describeAnswer is the wire form of a describe.
type describeAnswer struct {
	Name      string             `json:"name"`
	Label     string             `json:"label"`
	KeyPrefix *string            `json:"keyPrefix"`
	Custom    bool               `json:"custom"`
	Fields    []FieldDescription `json:"fields"`
}

// Describe describes an object and checks whether its change event exists
// (two calls: sobjects/{Object}/describe, then {Object}ChangeEvent/describe,
// whose 404 means no CDC).
func (c *Client) Describe(ctx context.Context, object string) (ObjectDescription, error) {
	if !apiNamePattern.MatchString(object) {
		return ObjectDescription{}, fmt.Errorf("describe: %q is not an object API name", object)
	}
	a, err := c.describe(ctx, object)
	if err != nil {
		return ObjectDescription{}, err
	}
	d := ObjectDescription{Name: a.Name, Label: a.Label, Custom: a.Custom, Fields: a.Fields}
	if a.KeyPrefix != nil {
		d.KeyPrefix = *a.KeyPrefix
	}
	_, err = c.describe(ctx, changeEventName(a.Name))
	switch {
	case err == nil:
		d.HasChangeEvent = true
	case errors.Is(err, ErrNotFound):
	default:
		return ObjectDescription{}, err
	}
	return d, nil
}

func (c *Client) describe(ctx context.Context, object string) (describeAnswer, error) {
	var a describeAnswer
	req := request{method: http.MethodGet, path: c.dataPath("sobjects/" + object + "/describe")}
	err := c.do(ctx, req, func(r io.Reader) error { return decodeJSON(r, &a) })
	if err != nil {
		return describeAnswer{}, fmt.Errorf("describe %s: %w", object, err)
	}
	return a, nil
}
