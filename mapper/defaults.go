package mapper

import (
	"maps"
	"slices"
	"strings"
)

// builtinMappings are the mappings used for keys a configuration leaves
// empty. They follow the Salesforce field reference for each object.
var builtinMappings = map[string]CommentMapping{
	"EmailMessage": {
		ThreadID:  "ParentId",
		Timestamp: FieldList{"MessageDate", "CreatedDate"},
		Subject:   "Subject",
		Body:      FieldList{"TextBody", "HtmlBody"},
		HTML:      FieldList{"HtmlBody"},
		From:      "FromAddress",
		To:        "ToAddress",
		Cc:        "CcAddress",
		SentAt:    "MessageDate",
		Properties: map[string]string{
			"Status":   "Status",
			"Incoming": "Incoming",
		},
	},
	"Case": {
		ThreadID:  "Id",
		Subject:   "Subject",
		Body:      FieldList{"Description"},
		Timestamp: FieldList{"CreatedDate"},
		Properties: map[string]string{
			"Case Number": "CaseNumber",
			"Status":      "Status",
			"Origin":      "Origin",
			"Priority":    "Priority",
		},
	},
	"CaseComment": {
		ThreadID:  "ParentId",
		Body:      FieldList{"CommentBody"},
		Timestamp: FieldList{"CreatedDate"},
		Properties: map[string]string{
			"Published": "IsPublished",
		},
	},
	"Task": {
		ThreadID:  "WhatId",
		Subject:   "Subject",
		Body:      FieldList{"Description"},
		Timestamp: FieldList{"CreatedDate"},
		Properties: map[string]string{
			"Status":   "Status",
			"Subtype":  "TaskSubtype",
			"Priority": "Priority",
		},
	},
}

// BuiltinObjects lists the objects that need no comment mapping.
func BuiltinObjects() []string {
	return slices.Sorted(maps.Keys(builtinMappings))
}

// withDefaults fills every empty key of om from the object's built-in
// mapping and then from the generic defaults.
func (om ObjectMapping) withDefaults() ObjectMapping {
	out := om
	out.Comment = mergeComment(om.Comment, builtinMappings[om.Object])
	if out.Comment.ID == "" {
		out.Comment.ID = "Id"
	}
	if len(out.Comment.Timestamp) == 0 {
		out.Comment.Timestamp = FieldList{"CreatedDate"}
	}
	if out.Topic == "" {
		out.Topic = DefaultTopic(om.Object)
	}
	if out.OnDelete == "" {
		out.OnDelete = DeleteComment
	}
	return out
}

func mergeComment(user, builtin CommentMapping) CommentMapping {
	pick := func(u, b string) string {
		if u != "" {
			return u
		}
		return b
	}
	pickList := func(u, b FieldList) FieldList {
		if len(u) > 0 {
			return slices.Clone(u)
		}
		return slices.Clone(b)
	}
	out := CommentMapping{
		ID:         pick(user.ID, builtin.ID),
		ThreadID:   pick(user.ThreadID, builtin.ThreadID),
		Timestamp:  pickList(user.Timestamp, builtin.Timestamp),
		Subject:    pick(user.Subject, builtin.Subject),
		Body:       pickList(user.Body, builtin.Body),
		HTML:       pickList(user.HTML, builtin.HTML),
		From:       pick(user.From, builtin.From),
		To:         pick(user.To, builtin.To),
		Cc:         pick(user.Cc, builtin.Cc),
		SentAt:     pick(user.SentAt, builtin.SentAt),
		Properties: map[string]string{},
	}
	maps.Copy(out.Properties, builtin.Properties)
	maps.Copy(out.Properties, user.Properties)
	return out
}

// DefaultTopic is the per-object CDC channel: /data/CaseChangeEvent for
// Case, /data/Ticket__ChangeEvent for the custom object Ticket__c.
func DefaultTopic(object string) string {
	if base, ok := strings.CutSuffix(object, "__c"); ok {
		return "/data/" + base + "__ChangeEvent"
	}
	return "/data/" + object + "ChangeEvent"
}
