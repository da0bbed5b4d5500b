package salesforce

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinels of record operations; every DMLError wraps one of them.
var (
	ErrRecordNotFound   = errors.New("record not found")
	ErrRecordDeleted    = errors.New("record is deleted")
	ErrRecordNotDeleted = errors.New("record is not in the recycle bin")
	ErrInvalidValue     = errors.New("invalid field value")
	ErrReadOnlyField    = errors.New("field is read-only")
)

// DMLError is a failed record operation, shaped like the REST API's error
// body so the REST endpoints can return it unchanged.
type DMLError struct {
	StatusCode string   // Salesforce errorCode, e.g. INVALID_FIELD, ENTITY_IS_DELETED
	Message    string   // Salesforce-style message
	Fields     []string // offending fields, if any
	Err        error    // sentinel for errors.Is
}

func (e *DMLError) Error() string {
	if len(e.Fields) == 0 {
		return e.StatusCode + ": " + e.Message
	}
	return fmt.Sprintf("%s: %s (fields %s)", e.StatusCode, e.Message, strings.Join(e.Fields, ", "))
}

func (e *DMLError) Unwrap() error { return e.Err }

func errNotFound(id string) error {
	return &DMLError{StatusCode: "NOT_FOUND", Message: "no record with ID " + id, Err: ErrRecordNotFound}
}

func errDeleted(id string) error {
	return &DMLError{StatusCode: "ENTITY_IS_DELETED", Message: "entity is deleted: " + id, Err: ErrRecordDeleted}
}

func errNotDeleted(id string) error {
	return &DMLError{StatusCode: "UNDELETE_FAILED", Message: "entity is not in the recycle bin: " + id, Err: ErrRecordNotDeleted}
}

func errMalformedID(err error) error {
	return &DMLError{StatusCode: "MALFORMED_ID", Message: err.Error(), Err: err}
}

func errUnknownObject(err error) error {
	return &DMLError{StatusCode: "NOT_FOUND", Message: err.Error(), Err: err}
}

func errUnknownField(object, field string) error {
	return &DMLError{StatusCode: "INVALID_FIELD", Message: fmt.Sprintf("No such column '%s' on sobject of type %s", field, object), Fields: []string{field}, Err: ErrUnknownField}
}

func errReadOnly(object, field string) error {
	return &DMLError{StatusCode: "INVALID_FIELD_FOR_INSERT_UPDATE", Message: fmt.Sprintf("Unable to create/update fields: %s on %s", field, object), Fields: []string{field}, Err: ErrReadOnlyField}
}

func errBadValue(object, field, problem string) error {
	return &DMLError{StatusCode: "INVALID_TYPE_ON_FIELD_IN_RECORD", Message: fmt.Sprintf("%s.%s: %s", object, field, problem), Fields: []string{field}, Err: ErrInvalidValue}
}
