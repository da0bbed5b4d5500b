package mapper

import "testing"

func TestDecideComparesBothHashesWithTheLastUpload(t *testing.T) {
	m := mustMapper(t, ObjectMapping{Object: "EmailMessage"})
	base, _ := m.Map(emailRecord())

	textChanged := emailRecord()
	textChanged.Fields["TextBody"] = "Another body"
	text, _ := m.Map(textChanged)

	metaChanged := emailRecord()
	metaChanged.Fields["Status"] = "4"
	meta, _ := m.Map(metaChanged)

	recipientsChanged := emailRecord()
	recipientsChanged.Fields["ToAddress"] = "b@y.com"
	recipients, _ := m.Map(recipientsChanged)

	deleted := emailRecord()
	deleted.Deleted = true
	del, _ := m.Map(deleted)

	tests := []struct {
		name     string
		result   Result
		known    bool
		want     Action
		billable bool
	}{
		{"a comment never uploaded is created", base, false, ActionCreate, true},
		{"an identical comment is unchanged", base, true, ActionUnchanged, false},
		{"changed text is a billable update", text, true, ActionUpdateText, true},
		{"a changed property is a metadata-only update", meta, true, ActionUpdateMetadata, false},
		{"changed recipients are a metadata-only update", recipients, true, ActionUpdateMetadata, false},
		{"a deleted record deletes", del, true, ActionDelete, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Decide(tt.result, base.Hashes, tt.known)
			if got != tt.want || got.Billable() != tt.billable {
				t.Errorf("Decide = %v (billable %v), want %v (billable %v)", got, got.Billable(), tt.want, tt.billable)
			}
		})
	}
}

func TestMovingTextBetweenSubjectAndBodyChangesTheContentHash(t *testing.T) {
	if contentHash([]byte("ab"), []byte("c")) == contentHash([]byte("a"), []byte("bc")) {
		t.Error("content hash ignores the subject/body boundary")
	}
}
