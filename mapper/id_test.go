package mapper

import (
	"regexp"
	"strings"
	"testing"
)

// cmIDChars is the character class of CM's comment-ID pattern
// ^[\w\x21-\x2e\x3a-\x40\x5b-\x60\x7b-\x7e]{1,1024}$ (Go's regexp caps
// repeat counts at 1,000, so the length is checked apart).
var cmIDChars = regexp.MustCompile(`^[\w\x21-\x2e\x3a-\x40\x5b-\x60\x7b-\x7e]+$`)

type idPattern struct{}

func (idPattern) MatchString(s string) bool { return len(s) <= maxIDChars && cmIDChars.MatchString(s) }

var cmIDPattern idPattern

func TestCommentIDsAreValidForCMAndDistinct(t *testing.T) {
	tests := []struct{ object, id, want string }{
		{"EmailMessage", "02s5e000001AbCdEAK", "sf.EmailMessage.02s5e000001AbCdEAK"},
		{"Ticket__c", "a015e00000AbCdEAAZ", "sf.Ticket__c.a015e00000AbCdEAAZ"},
		{"Case", "has space/and slash", "sf.Case.has~20space~2fand~20slash"},
		{"Case", "ünï", "sf.Case.~c3~bcn~c3~af"},
		{"Case", "a.b~c", "sf.Case.a~2eb~7ec"},
	}
	for _, tt := range tests {
		got := CommentID(tt.object, tt.id)
		if got != tt.want {
			t.Errorf("CommentID(%q, %q) = %q, want %q", tt.object, tt.id, got, tt.want)
		}
		if !cmIDPattern.MatchString(got) {
			t.Errorf("CommentID(%q, %q) = %q does not match CM's ID pattern", tt.object, tt.id, got)
		}
	}
	if CommentID("Case", "a b") == CommentID("Case", "a~20b") {
		t.Error("escaping is not injective")
	}
}

func TestOverlongIDsAreHashedToFitCMsLimit(t *testing.T) {
	long := strings.Repeat("x", 2000)
	id := CommentID("Case", long)
	if len(id) > maxIDChars || !cmIDPattern.MatchString(id) {
		t.Errorf("CommentID of a 2,000-character key = %q (%d chars)", id, len(id))
	}
	if id != CommentID("Case", long) || id == CommentID("Case", long+"y") {
		t.Error("hashed IDs must be stable and distinct")
	}
}
