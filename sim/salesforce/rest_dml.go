package salesforce

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
)

// The sObject resource's writes (REST API "Create a Record", "Update a
// Record", "Delete a Record"): POST …/sobjects/{object}/ answers 201
// {"id","success":true,"errors":[]}, PATCH and DELETE …/sobjects/{object}/{id}
// answer 204 with no body. Each runs as one org transaction, exactly as the
// generator's changes do, so it produces the same change events, and each
// call counts toward the daily API allocation (the api wrapper).
//
// Where Salesforce's exact answer is not in the reference the simulator
// chooses, and says so here:
//
//   - An unknown object, an unknown or mistyped ID, or a record of another
//     object answers 404 NOT_FOUND; a record in the recycle bin 404
//     ENTITY_IS_DELETED; an ID that is not 15 or 18 characters 400
//     MALFORMED_ID.
//   - An unknown field answers 400 INVALID_FIELD naming it, a read-only one
//     400 INVALID_FIELD_FOR_INSERT_UPDATE, a value of the wrong type 400
//     INVALID_TYPE_ON_FIELD_IN_RECORD, a body that is not a JSON object 400
//     JSON_PARSER_ERROR. Nothing is written when any field fails.
//   - The change events carry changeOrigin com/salesforce/api/rest/<version>.
//
// Undelete has no REST route: Salesforce offers it through SOAP and Apex
// only, so PATCH cannot restore a deleted record here either.

// maxRecordBody caps a create or update body (Salesforce's limit is far
// above any record this simulator holds).
const maxRecordBody = 4 << 20

// createResult is the body of a 201 answer to a create.
type createResult struct {
	ID      string      `json:"id"`
	Success bool        `json:"success"`
	Errors  []restError `json:"errors"`
}

// createRecord serves POST …/sobjects/{object}/.
func (s *restService) createRecord(w http.ResponseWriter, r *http.Request, version string) {
	obj, ok := s.org.objectFold(r.PathValue("object"))
	if !ok {
		writeRESTError(w, http.StatusNotFound, "NOT_FOUND", msgNotFound)
		return
	}
	values, err := readRecordBody(r)
	if err != nil {
		writeRESTError(w, http.StatusBadRequest, "JSON_PARSER_ERROR", err.Error())
		return
	}
	var id string
	_, err = s.org.TransactionWith(restTxOptions(version), func(tx *Tx) error {
		var err error
		id, err = tx.Create(obj.Name, values)
		return err
	})
	if err != nil {
		writeDMLError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, createResult{ID: id, Success: true, Errors: []restError{}})
}

// updateRecord serves PATCH …/sobjects/{object}/{id}.
func (s *restService) updateRecord(w http.ResponseWriter, r *http.Request, version string) {
	obj, ok := s.org.objectFold(r.PathValue("object"))
	if !ok {
		writeRESTError(w, http.StatusNotFound, "NOT_FOUND", msgNotFound)
		return
	}
	values, err := readRecordBody(r)
	if err != nil {
		writeRESTError(w, http.StatusBadRequest, "JSON_PARSER_ERROR", err.Error())
		return
	}
	id := r.PathValue("id")
	_, err = s.org.TransactionWith(restTxOptions(version), func(tx *Tx) error {
		if err := checkRecordOf(tx, obj, id); err != nil {
			return err
		}
		return tx.Update(id, values)
	})
	if err != nil {
		writeDMLError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// deleteRecord serves DELETE …/sobjects/{object}/{id}: the record moves to
// the recycle bin (a DELETE change event).
func (s *restService) deleteRecord(w http.ResponseWriter, r *http.Request, version string) {
	obj, ok := s.org.objectFold(r.PathValue("object"))
	if !ok {
		writeRESTError(w, http.StatusNotFound, "NOT_FOUND", msgNotFound)
		return
	}
	id := r.PathValue("id")
	_, err := s.org.TransactionWith(restTxOptions(version), func(tx *Tx) error {
		if err := checkRecordOf(tx, obj, id); err != nil {
			return err
		}
		return tx.Delete(id)
	})
	if err != nil {
		writeDMLError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// restTxOptions mark a REST write's change events as Salesforce does: the
// API and version it came through.
func restTxOptions(version string) TxOptions {
	return TxOptions{ChangeOrigin: "com/salesforce/api/rest/" + strings.TrimPrefix(version, "v")}
}

// checkRecordOf refuses an ID that names no record of obj: the URL's object
// must be the record's, as in Salesforce.
func checkRecordOf(tx *Tx, obj Object, id string) error {
	id18, err := To18(id)
	if err != nil {
		return errMalformedID(err)
	}
	rec, ok := tx.Get(id18)
	if !ok || rec.Object != obj.Name {
		return errNotFound(id)
	}
	return nil
}

// readRecordBody decodes a JSON object of field values. The "attributes"
// member Salesforce's own clients send ({"type": "Case"}) is dropped.
func readRecordBody(r *http.Request) (Values, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRecordBody+1))
	if err != nil {
		return nil, err
	}
	if len(body) > maxRecordBody {
		return nil, errors.New("request body is larger than 4 MiB")
	}
	var fields map[string]any
	if err := json.Unmarshal(bytes.TrimSpace(body), &fields); err != nil || fields == nil {
		return nil, errors.New("the body must be a JSON object of field names and values")
	}
	delete(fields, "attributes")
	return Values(fields), nil
}

// writeDMLError answers a refused write with Salesforce's status and error
// body: 404 for a missing or deleted record, 400 for the request's faults.
func writeDMLError(w http.ResponseWriter, err error) {
	var dml *DMLError
	if !errors.As(err, &dml) {
		writeRESTError(w, http.StatusInternalServerError, "UNKNOWN_EXCEPTION", err.Error())
		return
	}
	switch dml.StatusCode {
	case "NOT_FOUND":
		writeRESTError(w, http.StatusNotFound, dml.StatusCode, msgNotFound)
	case "ENTITY_IS_DELETED":
		writeRESTError(w, http.StatusNotFound, dml.StatusCode, "entity is deleted")
	default:
		writeRESTError(w, http.StatusBadRequest, dml.StatusCode, dml.Message, dml.Fields...)
	}
}
