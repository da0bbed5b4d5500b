package replaytest

import (
	"strings"
	"testing"

	"github.com/sfcdc/sfcdc/replay"
)

// Credentials a server or a library may repeat in an error: the store must
// keep none of them, whatever its caller did.
const (
	secretBearer  = "CANARYbearer0a1b2c"
	secretSession = "00D5e000000TEST!CANARYsession.3d4e5f"
	secretRefresh = "CANARYrefresh6a7b8c"
)

// errorWithSecrets is an error text that names all three.
const errorWithSecrets = "call https://x/services/oauth2/token?grant_type=refresh_token&refresh_token=" + secretRefresh +
	": 401 Authorization: Bearer " + secretBearer + ` answered {"access_token":"` + secretSession + `"}`

// noSecret fails the test when text holds one of the secrets, and when it
// lost the text around them (redaction marks, it does not drop).
func noSecret(t *testing.T, what, text string) {
	t.Helper()
	for _, secret := range []string{secretBearer, secretSession, secretRefresh, "CANARY"} {
		if strings.Contains(text, secret) {
			t.Errorf("%s holds a secret (%s): %q", what, secret, text)
		}
	}
	if !strings.Contains(text, "answered") {
		t.Errorf("%s = %q, want the error's words kept around the marks", what, text)
	}
}

func runRedaction(t *testing.T, open func(t *testing.T) replay.Store) {
	t.Run("a status's last error is stored without credentials", func(t *testing.T) {
		s := open(t)
		noErr(t, "SaveStatus", s.SaveStatus(t.Context(), org, topic, replay.Status{State: replay.StateFailed, LastError: errorWithSecrets}))
		got, err := s.Status(t.Context(), org, topic)
		noErr(t, "Status", err)
		noSecret(t, "Status.LastError", got.LastError)
		list, err := s.Statuses(t.Context(), org)
		noErr(t, "Statuses", err)
		for _, st := range list {
			noSecret(t, "Statuses[].LastError", st.LastError)
		}
	})

	t.Run("a dead letter's error is stored without credentials, at its first write and at a retry", func(t *testing.T) {
		s := open(t)
		id, err := s.AddDeadLetter(t.Context(), org, replay.DeadLetter{Object: object, RecordID: "500000000000001AAA",
			Reason: "cm rejected comment", Error: errorWithSecrets, Attempts: 1})
		noErr(t, "AddDeadLetter", err)
		got, err := s.DeadLetter(t.Context(), org, id)
		noErr(t, "DeadLetter", err)
		noSecret(t, "DeadLetter.Error", got.Error)
		retried, err := s.RecordDeadLetterRetry(t.Context(), org, id, replay.DeadLetterRetry{Error: "retry: " + errorWithSecrets, ParkAt: 10})
		noErr(t, "RecordDeadLetterRetry", err)
		noSecret(t, "RecordDeadLetterRetry's answer", retried.Error)
		list, err := s.ListDeadLetters(t.Context(), org, "", 10)
		noErr(t, "ListDeadLetters", err)
		if len(list) != 1 {
			t.Fatalf("ListDeadLetters = %d dead letters, want 1", len(list))
		}
		noSecret(t, "ListDeadLetters[0].Error", list[0].Error)
	})
}
