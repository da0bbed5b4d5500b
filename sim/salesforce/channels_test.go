package salesforce

import (
	"slices"
	"testing"
)

func channelTopics(org *Org) []string {
	var out []string
	for _, ch := range org.Channels() {
		out = append(out, ch.Topic)
	}
	return out
}

func TestDefaultOrgServesAChannelPerCDCObjectAndTheAllChannel(t *testing.T) {
	t.Parallel()
	org, _ := newOrgForTest(t, Config{})
	want := []string{
		"/data/AccountChangeEvent", "/data/ContactChangeEvent", "/data/CaseChangeEvent",
		"/data/TaskChangeEvent", "/data/EmailMessageChangeEvent", "/data/ChangeEvents",
	}
	if got := channelTopics(org); !slices.Equal(got, want) {
		t.Errorf("channels\n got %v\nwant %v", got, want)
	}
	if _, ok := org.ChannelEntities("/data/CaseCommentChangeEvent"); ok {
		t.Error("CaseComment has a channel although it has no change event by default")
	}
	all, _ := org.ChannelEntities(AllChangeEventsChannel)
	if !slices.Equal(all, []string{"Account", "Contact", "Case", "Task", "EmailMessage"}) {
		t.Errorf("/data/ChangeEvents carries %v", all)
	}
}

func TestTopicLookupsFollowTheConfiguration(t *testing.T) {
	t.Parallel()
	org, _ := newOrgForTest(t, Config{
		CaseCommentChangeEvents: true,
		NoChangeEvents:          []string{"Account"},
		CustomObjects:           []CustomObject{{Name: "Invoice__c"}},
		CustomChannels:          []CustomChannel{{Name: "Support__chn", Entities: []string{"Case", "EmailMessage", "CaseComment", "Account"}}},
		PlatformEvents:          []PlatformEvent{{Name: "Alert__e", Fields: []FieldSpec{{Name: "Message__c", Type: TypeString}}}},
	})
	caseSchema, _ := org.CurrentSchema("Case")
	alertSchema, _ := org.CurrentSchema("Alert__e")
	tests := []struct {
		topic    string
		entities []string
		schemaID string
		ok       bool
	}{
		{"/data/CaseChangeEvent", []string{"Case"}, caseSchema.ID, true},
		{"/data/CaseCommentChangeEvent", []string{"CaseComment"}, "", true},
		{"/data/Invoice__ChangeEvent", []string{"Invoice__c"}, "", true},
		{"/data/Support__chn", []string{"Case", "EmailMessage", "CaseComment", "Account"}, "", true},
		{"/event/Alert__e", []string{"Alert__e"}, alertSchema.ID, true},
		{"/data/AccountChangeEvent", nil, "", false},
		{"/data/casechangeevent", nil, "", false},
		{"/event/Missing__e", nil, "", false},
		{"/topic/Whatever", nil, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.topic, func(t *testing.T) {
			entities, ok := org.ChannelEntities(tt.topic)
			if ok != tt.ok || !slices.Equal(entities, tt.entities) {
				t.Errorf("ChannelEntities = %v, %v; want %v, %v", entities, ok, tt.entities, tt.ok)
			}
			if id := org.TopicSchemaID(tt.topic); tt.schemaID != "" && id != tt.schemaID {
				t.Errorf("TopicSchemaID = %q, want %q", id, tt.schemaID)
			}
			if id := org.TopicSchemaID(tt.topic); len(tt.entities) != 1 && id != "" {
				t.Errorf("TopicSchemaID of a multi-entity channel = %q, want blank", id)
			}
		})
	}
	all, _ := org.ChannelEntities(AllChangeEventsChannel)
	if slices.Contains(all, "Account") {
		t.Error("an unselected object is on /data/ChangeEvents")
	}
}

func TestObjectOnlyInACustomChannelStillProducesEvents(t *testing.T) {
	t.Parallel()
	org, _ := newOrgForTest(t, Config{
		NoChangeEvents: []string{"Account", "Case"},
		CustomChannels: []CustomChannel{{Name: "Accounts__chn", Entities: []string{"Account"}}},
	})
	cm := commitForTest(t, org, func(tx *Tx) error {
		if _, err := tx.Create("Account", Values{"Name": "Acme"}); err != nil {
			return err
		}
		_, err := tx.Create("Case", nil)
		return err
	})
	if ev := onlyEvent(t, cm); ev.Entity != "Account" {
		t.Errorf("event for %s, want only Account's", ev.Entity)
	}
}

func TestUnselectingAnObjectRemovesItsChannel(t *testing.T) {
	t.Parallel()
	org, _ := newOrgForTest(t, Config{})
	if err := org.SelectForCDC("Task", false); err != nil {
		t.Fatal(err)
	}
	if _, ok := org.ChannelEntities("/data/TaskChangeEvent"); ok {
		t.Error("unselected Task still has a channel")
	}
	if cm := commitForTest(t, org, func(tx *Tx) error { _, err := tx.Create("Task", nil); return err }); len(cm.Events) != 0 {
		t.Errorf("unselected Task produced %d events", len(cm.Events))
	}
	if err := org.SelectForCDC("CaseComment", true); err == nil {
		t.Error("selected CaseComment although it has no change event")
	}
}
