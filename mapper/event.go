package mapper

import (
	"fmt"
	"slices"
	"strings"
)

// ChangeEvent is the part of a CDC change event that decides how to map it.
// The pipeline fills it from the decoded event header.
type ChangeEvent struct {
	// Object is the entity name, e.g. EmailMessage.
	Object string
	// ChangeType is CREATE, UPDATE, DELETE, UNDELETE, GAP_CREATE,
	// GAP_UPDATE, GAP_DELETE, GAP_UNDELETE or GAP_OVERFLOW.
	ChangeType string
	// ChangedFields, NulledFields and DiffFields are the expanded header
	// bitmaps (compound components as "BillingAddress.City").
	ChangedFields []string
	NulledFields  []string
	DiffFields    []string
	// PresentFields are the fields the event carries (those of its schema
	// that field-level security lets through).
	PresentFields []string
}

// Step is what the pipeline does with a change event.
type Step uint8

const (
	// StepSkip: nothing to upload (no mapped field changed, or a delete
	// whose comment is kept).
	StepSkip Step = iota
	// StepMapEvent: the event carries every field the comment needs; map a
	// Record built from it.
	StepMapEvent
	// StepFetch: fetch the record(s) over REST, then map.
	StepFetch
	// StepDelete: delete the comment(s) of the event's records.
	StepDelete
	// StepBackfill: the event names no records (GAP_OVERFLOW); resynchronise
	// the object with a REST backfill around the event's commit time.
	StepBackfill
)

var stepNames = [...]string{"skip", "map-event", "fetch", "delete", "backfill"}

func (s Step) String() string {
	if int(s) < len(stepNames) {
		return stepNames[s]
	}
	return "unknown"
}

// Plan is a Step with the reason for it, for logs and metrics.
type Plan struct {
	Step   Step
	Reason string
}

// PlanEvent decides whether a change event can be mapped on its own or
// needs a REST fetch: UPDATE events carry only changed fields, diff-encoded
// fields carry a patch instead of the value, gap events carry no fields,
// and relationship fields (Parent.CaseNumber) never appear in events.
func (m *Mapper) PlanEvent(ev ChangeEvent) (Plan, error) {
	p, ok := m.objects[ev.Object]
	if !ok {
		return Plan{}, fmt.Errorf("plan %s event: %w", ev.Object, ErrUnknownObject)
	}
	switch ev.ChangeType {
	case "DELETE":
		if p.mapping.OnDelete == KeepComment {
			return Plan{StepSkip, "record deleted; on_delete is keep"}, nil
		}
		return Plan{StepDelete, "record deleted"}, nil
	case "GAP_OVERFLOW":
		return Plan{StepBackfill, "overflow event names no records"}, nil
	case "GAP_CREATE", "GAP_UPDATE", "GAP_DELETE", "GAP_UNDELETE":
		return Plan{StepFetch, "gap event carries no fields"}, nil
	case "CREATE", "UNDELETE":
		return p.planFull(ev), nil
	case "UPDATE":
		return p.planUpdate(ev), nil
	}
	return Plan{StepFetch, "unknown change type " + ev.ChangeType}, nil
}

// planFull handles events that carry every field of the record.
func (p *objectPlan) planFull(ev ChangeEvent) Plan {
	if why := p.missingFromEvent(ev, ev.PresentFields); why != "" {
		return Plan{StepFetch, why}
	}
	return Plan{StepMapEvent, "event carries every mapped field"}
}

// planUpdate handles UPDATE events, whose unchanged fields are null.
func (p *objectPlan) planUpdate(ev ChangeEvent) Plan {
	touched := slices.Concat(ev.ChangedFields, ev.NulledFields, ev.DiffFields)
	if !slices.ContainsFunc(p.used, func(f string) bool { return covers(touched, f) }) {
		return Plan{StepSkip, "no mapped field changed"}
	}
	known := slices.Concat(ev.ChangedFields, ev.NulledFields)
	if why := p.missingFromEvent(ev, known); why != "" {
		return Plan{StepFetch, why}
	}
	return Plan{StepMapEvent, "every mapped field changed"}
}

// missingFromEvent names the first reason the event's values are not
// enough, or returns "".
func (p *objectPlan) missingFromEvent(ev ChangeEvent, have []string) string {
	for _, f := range p.used {
		switch {
		case f == "Id":
			continue // the record ID comes from the event header
		case covers(ev.DiffFields, f):
			return "field " + f + " is sent as a diff"
		case strings.Contains(f, ".") && !covers(ev.PresentFields, rootOf(f)):
			return "relationship field " + f + " is not in events"
		case !covers(have, f):
			return "field " + f + " is not in the event"
		}
	}
	return ""
}

// covers reports whether list names field f, or the compound field that
// contains it.
func covers(list []string, f string) bool {
	return slices.Contains(list, f) || (strings.Contains(f, ".") && slices.Contains(list, rootOf(f)))
}

func rootOf(f string) string {
	root, _, _ := strings.Cut(f, ".")
	return root
}
