package salesforce

import (
	"net/http"
	"strings"
)

// sobjectDescribe is the body of …/sobjects/{Object}/describe (the members
// sfcdc reads, plus the flags clients commonly check).
type sobjectDescribe struct {
	Name         string            `json:"name"`
	Label        string            `json:"label"`
	KeyPrefix    *string           `json:"keyPrefix"`
	Custom       bool              `json:"custom"`
	Queryable    bool              `json:"queryable"`
	Retrieveable bool              `json:"retrieveable"`
	Fields       []fieldDescribe   `json:"fields,omitempty"`
	URLs         map[string]string `json:"urls"`
}

// fieldDescribe is one element of a describe's fields.
type fieldDescribe struct {
	Name              string   `json:"name"`
	Type              string   `json:"type"`
	Label             string   `json:"label"`
	Custom            bool     `json:"custom"`
	Nillable          bool     `json:"nillable"`
	Filterable        bool     `json:"filterable"`
	Sortable          bool     `json:"sortable"`
	Updateable        bool     `json:"updateable"`
	RelationshipName  *string  `json:"relationshipName"`
	ReferenceTo       []string `json:"referenceTo"`
	CompoundFieldName *string  `json:"compoundFieldName"`
}

// describe serves …/sobjects/{Object}/describe. <Object>ChangeEvent
// describes exist only for objects that have a change event, which is how
// a client learns whether it can subscribe or must poll.
func (s *restService) describe(w http.ResponseWriter, r *http.Request, version string) {
	name := r.PathValue("object")
	if obj, ok := s.org.objectFold(name); ok {
		writeJSON(w, http.StatusOK, describeObject(version, obj))
		return
	}
	if obj, ok := s.changeEventOwner(name); ok {
		writeJSON(w, http.StatusOK, describeChangeEvent(version, obj))
		return
	}
	writeRESTError(w, http.StatusNotFound, "NOT_FOUND", msgNotFound)
}

// changeEventOwner finds the object whose change event is called name.
func (s *restService) changeEventOwner(name string) (Object, bool) {
	for _, obj := range s.org.Objects() {
		if obj.HasChangeEvent && strings.EqualFold(obj.ChangeEventName(), name) {
			return obj, true
		}
	}
	return Object{}, false
}

// describeGlobal serves …/sobjects: every object and change event, fields omitted.
func (s *restService) describeGlobal(w http.ResponseWriter, _ *http.Request, version string) {
	var list []sobjectDescribe
	for _, obj := range s.org.Objects() {
		d := describeObject(version, obj)
		d.Fields = nil
		list = append(list, d)
		if obj.HasChangeEvent {
			ce := describeChangeEvent(version, obj)
			ce.Fields = nil
			list = append(list, ce)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": list})
}

func describeObject(version string, obj Object) sobjectDescribe {
	prefix := obj.KeyPrefix
	d := sobjectDescribe{
		Name: obj.Name, Label: labelOf(obj.Name), KeyPrefix: &prefix, Custom: obj.Custom,
		Queryable: true, Retrieveable: true,
		URLs: map[string]string{
			"sobject":     "/services/data/" + version + "/sobjects/" + obj.Name,
			"describe":    "/services/data/" + version + "/sobjects/" + obj.Name + "/describe",
			"rowTemplate": "/services/data/" + version + "/sobjects/" + obj.Name + "/{ID}",
		},
	}
	for _, col := range recordColumns(obj) {
		d.Fields = append(d.Fields, describeColumn(col))
	}
	return d
}

func describeColumn(col restColumn) fieldDescribe {
	t, f := col.field.Type, col.field
	fd := fieldDescribe{Name: col.name, Label: labelOf(col.name), Custom: f.Custom, ReferenceTo: []string{}}
	if col.comp != nil {
		t = col.comp.Type
		compound := f.Name
		fd.CompoundFieldName = &compound
	} else {
		fd.ReferenceTo = append(fd.ReferenceTo, f.ReferenceTo...)
		if rel := relationshipName(f.Name); t == TypeReference && rel != "" {
			fd.RelationshipName = &rel
		}
	}
	if t == TypeName {
		t = TypeString // Contact.Name describes as a string
	}
	fd.Type = string(t)
	fd.Nillable = t != TypeBoolean && t != TypeID && col.name != FieldCreatedDate && col.name != FieldSystemModstamp
	fd.Filterable = t != TypeTextArea && t != TypeAddress
	fd.Sortable = fd.Filterable
	fd.Updateable = !f.ReadOnly
	return fd
}

// describeChangeEvent describes <Object>ChangeEvent: ReplayId, the header,
// and the fields the object's events carry.
func describeChangeEvent(version string, obj Object) sobjectDescribe {
	name := obj.ChangeEventName()
	d := sobjectDescribe{
		Name: name, Label: labelOf(obj.Name) + " Change Event", Custom: obj.Custom,
		URLs: map[string]string{"describe": "/services/data/" + version + "/sobjects/" + name + "/describe"},
	}
	d.Fields = append(d.Fields,
		fieldDescribe{Name: "ReplayId", Type: "string", Label: "Replay ID", ReferenceTo: []string{}},
		fieldDescribe{Name: "ChangeEventHeader", Type: "complexvalue", Label: "Change Event Header", ReferenceTo: []string{}},
	)
	for _, f := range obj.Fields {
		if f.InChangeEvent() {
			d.Fields = append(d.Fields, describeColumn(restColumn{name: f.Name, field: f}))
		}
	}
	return d
}

// labelOf makes a readable label from an API name: "CaseNumber" → "Case Number".
func labelOf(apiName string) string {
	name := strings.TrimSuffix(apiName, "__c")
	var b strings.Builder
	for i, r := range name {
		if i > 0 && r >= 'A' && r <= 'Z' && name[i-1] >= 'a' && name[i-1] <= 'z' {
			b.WriteByte(' ')
		}
		if r == '_' {
			r = ' '
		}
		b.WriteRune(r)
	}
	return b.String()
}
