package salesforce

import (
	"errors"
	"testing"
)

func TestChecksumSuffixMatchesRealIDs(t *testing.T) {
	t.Parallel()
	tests := []struct{ id15, id18 string }{
		{"0014H00002LbR7Q", "0014H00002LbR7QQAV"}, // Account in the real event of reference §3.9
		{"00558000000yFyD", "00558000000yFyDAAU"}, // its commitUser
		{"000000000000000", OverflowRecordID},
	}
	for _, tt := range tests {
		got, err := To18(tt.id15)
		if err != nil || got != tt.id18 {
			t.Errorf("To18(%s) = %s, %v; want %s", tt.id15, got, err, tt.id18)
		}
		if err := ValidateRecordID(tt.id18); err != nil {
			t.Errorf("ValidateRecordID(%s): %v", tt.id18, err)
		}
	}
}

func TestMalformedIDsAreRejected(t *testing.T) {
	t.Parallel()
	for _, id := range []string{"", "001", "0014H00002LbR7QQA", "0014H00002LbR7QXXX", "0014H00002LbR7-QAV", "0014H00002LbR7Q"} {
		if err := ValidateRecordID(id); !errors.Is(err, ErrInvalidRecordID) {
			t.Errorf("ValidateRecordID(%q) = %v, want ErrInvalidRecordID", id, err)
		}
	}
	if got, err := To18("0014h00002lbr7qqav"); err == nil {
		t.Errorf("To18 accepted an ID whose case was lost: %s", got)
	}
}

func TestNewRecordsGetTheirObjectsKeyPrefix(t *testing.T) {
	t.Parallel()
	org, _ := newOrgForTest(t, Config{CaseCommentChangeEvents: true})
	caseID := createForTest(t, org, "Case", nil)
	tests := []struct {
		object string
		values Values
		prefix string
	}{
		{"Case", nil, "500"},
		{"EmailMessage", Values{"ParentId": caseID}, "02s"},
		{"CaseComment", Values{"ParentId": caseID}, "00a"},
		{"Task", nil, "00T"},
		{"Account", Values{"Name": "Acme"}, "001"},
		{"Contact", Values{"LastName": "Doe"}, "003"},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		id := createForTest(t, org, tt.object, tt.values)
		if KeyPrefix(id) != tt.prefix || ValidateRecordID(id) != nil || seen[id] {
			t.Errorf("%s got ID %s; want a new valid ID with prefix %s", tt.object, id, tt.prefix)
		}
		seen[id] = true
		if obj, ok := org.ObjectOfID(id); !ok || obj.Name != tt.object {
			t.Errorf("ObjectOfID(%s) = %s", id, obj.Name)
		}
	}
}

func TestGeneratedCustomPrefixesDoNotCollide(t *testing.T) {
	t.Parallel()
	org, _ := newOrgForTest(t, Config{CustomObjects: []CustomObject{{Name: "A__c", KeyPrefix: "a0X"}, {Name: "B__c"}, {Name: "C__c"}}})
	seen := map[string]string{}
	for _, o := range org.Objects() {
		if other, dup := seen[o.KeyPrefix]; dup {
			t.Errorf("%s and %s share prefix %s", o.Name, other, o.KeyPrefix)
		}
		seen[o.KeyPrefix] = o.Name
	}
}
