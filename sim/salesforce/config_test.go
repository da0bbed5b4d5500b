package salesforce

import (
	"errors"
	"strings"
	"testing"
)

func TestConfigErrorsNameTheKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  Config
		key  string
	}{
		{"org ID of the wrong object", Config{OrgID: newRecordID(PrefixCase, 1)}, "OrgID"},
		{"user ID with a bad checksum", Config{UserID: "00558000000yFyDXXX"}, "UserID"},
		{"unknown object to unselect", Config{NoChangeEvents: []string{"Lead"}}, "NoChangeEvents"},
		{"custom object without __c", Config{CustomObjects: []CustomObject{{Name: "Invoice"}}}, "CustomObjects[0].Name"},
		{"custom object with a bad prefix", Config{CustomObjects: []CustomObject{{Name: "Invoice__c", KeyPrefix: "a-"}}}, "CustomObjects[0].KeyPrefix"},
		{"custom object on a standard prefix", Config{CustomObjects: []CustomObject{{Name: "Invoice__c", KeyPrefix: "500"}}}, "CustomObjects[0]"},
		{"custom field without __c", Config{CustomFields: []CustomField{{Object: "Case", FieldSpec: FieldSpec{Name: "Mood", Type: TypeString}}}}, "CustomFields[0]"},
		{"custom field of a compound type", Config{CustomFields: []CustomField{{Object: "Case", FieldSpec: FieldSpec{Name: "Mood__c", Type: TypeName}}}}, "CustomFields[0]"},
		{"channel without __chn", Config{CustomChannels: []CustomChannel{{Name: "Support", Entities: []string{"Case"}}}}, "CustomChannels[0].Name"},
		{"channel of no entities", Config{CustomChannels: []CustomChannel{{Name: "Support__chn"}}}, "CustomChannels[0].Entities"},
		{"channel with CaseComment but no change event", Config{CustomChannels: []CustomChannel{{Name: "S__chn", Entities: []string{"CaseComment"}}}}, "CustomChannels[0].Entities"},
		{"channel listing an object twice", Config{CustomChannels: []CustomChannel{{Name: "S__chn", Entities: []string{"Case", "Case"}}}}, "CustomChannels[0].Entities"},
		{"platform event without __e", Config{PlatformEvents: []PlatformEvent{{Name: "Alert"}}}, "PlatformEvents[0]"},
		{"negative limit", Config{MaxEventBytes: -1}, "MaxEventBytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tt.key+":") {
				t.Errorf("Validate() = %v; want ErrInvalidConfig naming %s", err, tt.key)
			}
		})
	}
}

func TestLaterChangesToTheCallersConfigDoNotReachTheOrg(t *testing.T) {
	t.Parallel()
	cfg := Config{CustomChannels: []CustomChannel{{Name: "S__chn", Entities: []string{"Case"}}}}
	org, _ := newOrgForTest(t, cfg)
	cfg.CustomChannels[0].Entities[0] = "Task"
	if got, _ := org.ChannelEntities("/data/S__chn"); got[0] != "Case" {
		t.Errorf("channel now carries %v", got)
	}
}
