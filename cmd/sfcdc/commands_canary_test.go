package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/sfcdc/sfcdc/sim/commsmining"
)

// Credential-shaped secrets a faulty server repeats in its error message:
// no command may print or store them.
const (
	echoedBearer  = "CANARY-echoed-bearer-5c21"
	echoedRefresh = "CANARY-echoed-refresh-8d34"
	echoedSession = "00D5e0000001ABC!CANARYechoedsession"
)

// TestBackfillAndDeadLettersRetryNeverShowASecretAServerRepeats has CM
// refuse every comment with a message that repeats a bearer token, a
// refresh token and a session ID (a faulty proxy): `sfcdc backfill`
// dead-letters the records and `sfcdc deadletters retry` fails them again,
// both logging every step, and neither their output nor the store holds a
// secret, the configured CM token included.
func TestBackfillAndDeadLettersRetryNeverShowASecretAServerRepeats(t *testing.T) {
	t.Parallel()
	const cmToken = "CANARY-configured-cm-token-77fa"
	b := startSim(t, "--rate", "0", "--seed-records", "4")
	cm, err := commsmining.Start(commsmining.Options{Token: cmToken, Sources: []string{"support/salesforce"}})
	if err != nil {
		t.Fatal(err)
	}
	defer cm.Close()
	refusal := fmt.Sprintf("comment refused: Authorization: Bearer %s; refresh_token=%s; session %s; token %s",
		echoedBearer, echoedRefresh, echoedSession, cmToken)
	cm.InjectFault(commsmining.Fault{Endpoint: commsmining.EndpointSync, Status: http.StatusUnprocessableEntity,
		Message: refusal, Times: 1000})

	prefix := redisKeyPrefix(t)
	config := writeFile(t, "sfcdc.yaml", fmt.Sprintf(`commsmining:
  base_url: %s
  token: ${TEST_CM_TOKEN}
  project: support
  source: salesforce
  initial_backoff: 10ms
store:
  redis_url: redis://%s/0
  key_prefix: %q
objects:
  - object: EmailMessage
`, cm.URL(), testRedisAddr(), prefix))
	env := append(simEnv(b), "TEST_CM_TOKEN="+cmToken)
	secrets := []string{echoedBearer, echoedRefresh, echoedSession, cmToken, b.AccessToken}

	backfilled := runCanaryChecked(t, env, secrets, "backfill", "--config", config, "--verbose")
	if !strings.Contains(backfilled.output(), "dead-lettered") {
		t.Fatalf("backfill exited %d without dead-lettering a record, so CM's refusal was not reported:\n%s",
			backfilled.code, backfilled.output())
	}
	retried := runCanaryChecked(t, env, secrets, "deadletters", "retry", "--config", config, "--all", "--verbose")
	if retried.code != exitFailure || !strings.Contains(retried.output(), "failed again") {
		t.Fatalf("deadletters retry exited %d without failing again:\n%s", retried.code, retried.output())
	}
	if !strings.Contains(retried.output(), "[redacted]") {
		t.Errorf("the retry's report shows no redacted refusal, so CM's message was not printed:\n%s", retried.output())
	}
	stored := redisValues(t, prefix)
	if !strings.Contains(stored, "comment refused") {
		t.Fatalf("Redis under %s holds no refusal, so the dead letters were not looked at:\n%s", prefix, stored)
	}
	for _, secret := range secrets {
		if strings.Contains(stored, secret) {
			t.Errorf("Redis holds a secret:\n%s", lineWith(stored, secret))
		}
	}
}
