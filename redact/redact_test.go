package redact_test

import (
	"strings"
	"testing"

	"github.com/sfcdc/sfcdc/redact"
)

func TestCredentialShapedTextIsMarked(t *testing.T) {
	secrets := []string{"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl", "00D5g000004ABCD!AQ0AQH8kxyz.Secret_Token",
		"s3cr3t-refresh", "abc123bearer", "pa55word"}
	texts := []string{
		"call failed: Authorization: Bearer abc123bearer was refused",
		"post https://login.example.com/services/oauth2/token?grant_type=refresh_token&refresh_token=s3cr3t-refresh: 400",
		`decode {"access_token":"00D5g000004ABCD!AQ0AQH8kxyz.Secret_Token","instance_url":"x"}`,
		"jwt eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl rejected",
		"password=pa55word",
	}
	for _, text := range texts {
		got := redact.Text(text)
		for _, s := range secrets {
			if strings.Contains(got, s) {
				t.Errorf("Text(%q) = %q still holds %q", text, got, s)
			}
		}
		if !strings.Contains(got, redact.Marker) {
			t.Errorf("Text(%q) = %q, want the secret marked", text, got)
		}
	}
	plain := "renew lease of /data/CaseChangeEvent: topic lease lost: fenced"
	if got := redact.Text(plain); got != plain {
		t.Errorf("Text changed a message without secrets: %q", got)
	}
}

func FuzzTextNeverKeepsASessionID(f *testing.F) {
	f.Add("x 00D5g000004ABCD!AQ0AQH8kxyz y")
	f.Fuzz(func(t *testing.T, prefix string) {
		const session = "00D5g000004ABCD!AQ0AQH8kxyzSecret"
		if got := redact.Text(prefix + " " + session + " tail"); strings.Contains(got, session) {
			t.Fatalf("session ID kept in %q", got)
		}
	})
}
