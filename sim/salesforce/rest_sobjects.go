package salesforce

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
)

// maxCollectionIDs is how many records one sObject Collections retrieve
// may ask for (reference §5.3).
const maxCollectionIDs = 2000

// retrieve serves GET …/sobjects/{object}/{id}[?fields=A,B]: the record
// with all (or the listed) fields, nulls included.
func (s *restService) retrieve(w http.ResponseWriter, r *http.Request, version string) {
	obj, ok := s.org.objectFold(r.PathValue("object"))
	if !ok {
		writeRESTError(w, http.StatusNotFound, "NOT_FOUND", msgNotFound)
		return
	}
	cols, err := fieldColumns(obj, r.URL.Query().Get("fields"))
	if err != nil {
		writeRESTError(w, http.StatusBadRequest, "INVALID_FIELD", err.Error())
		return
	}
	rec, ok := s.org.Get(r.PathValue("id"))
	switch {
	case !ok || rec.Object != obj.Name:
		writeRESTError(w, http.StatusNotFound, "NOT_FOUND", msgNotFound)
	case rec.IsDeleted():
		writeRESTError(w, http.StatusNotFound, "ENTITY_IS_DELETED", "entity is deleted")
	default:
		writeJSON(w, http.StatusOK, renderColumns(version, rec, cols))
	}
}

// collectionsRequest is the POST body of an sObject Collections retrieve.
type collectionsRequest struct {
	IDs    []string `json:"ids"`
	Fields []string `json:"fields"`
}

// collectionsRetrieve serves GET and POST …/composite/sobjects/{object}:
// one array whose i-th element is the record of the i-th ID, or null when
// that ID names no readable record of the object. An unknown field fails
// the whole request.
func (s *restService) collectionsRetrieve(w http.ResponseWriter, r *http.Request, version string) {
	obj, ok := s.org.objectFold(r.PathValue("object"))
	if !ok {
		writeRESTError(w, http.StatusNotFound, "NOT_FOUND", msgNotFound)
		return
	}
	req, err := readCollectionsRequest(r)
	if err != nil {
		writeRESTError(w, http.StatusBadRequest, "JSON_PARSER_ERROR", err.Error())
		return
	}
	switch {
	case len(req.IDs) == 0 || len(req.Fields) == 0:
		writeRESTError(w, http.StatusBadRequest, "MISSING_ARGUMENT", "ids and fields are both required")
		return
	case len(req.IDs) > maxCollectionIDs:
		writeRESTError(w, http.StatusBadRequest, "EXCEEDED_ID_LIMIT", "Maximum number of ids is 2000")
		return
	}
	cols, err := fieldColumns(obj, strings.Join(req.Fields, ","))
	if err != nil {
		writeRESTError(w, http.StatusBadRequest, "INVALID_FIELD", err.Error())
		return
	}
	out := make([]*jsonObject, len(req.IDs))
	for i, id := range req.IDs {
		if rec, ok := s.org.Get(id); ok && rec.Object == obj.Name && !rec.IsDeleted() {
			out[i] = renderColumns(version, rec, cols)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func readCollectionsRequest(r *http.Request) (collectionsRequest, error) {
	if r.Method == http.MethodGet {
		q := r.URL.Query()
		return collectionsRequest{IDs: splitList(q.Get("ids")), Fields: splitList(q.Get("fields"))}, nil
	}
	var req collectionsRequest
	body, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	if err != nil {
		return req, err
	}
	return req, json.Unmarshal(body, &req)
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// fieldColumns resolves a comma-separated field list ("" = every field);
// the error message is Salesforce's for an unknown column.
func fieldColumns(obj Object, list string) ([]restColumn, error) {
	all := recordColumns(obj)
	names := splitList(list)
	if len(names) == 0 {
		return all, nil
	}
	cols := []restColumn{{name: FieldID, field: Field{Name: FieldID, Type: TypeID}}}
	for _, name := range names {
		i := indexColumn(all, name)
		if i < 0 {
			return nil, &unknownColumnError{object: obj.Name, field: name}
		}
		if all[i].name != FieldID {
			cols = append(cols, all[i])
		}
	}
	return cols, nil
}

func indexColumn(cols []restColumn, name string) int {
	for i, c := range cols {
		if strings.EqualFold(c.name, name) {
			return i
		}
	}
	return -1
}

type unknownColumnError struct{ object, field string }

func (e *unknownColumnError) Error() string {
	return "No such column '" + e.field + "' on entity '" + e.object + "'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names."
}
