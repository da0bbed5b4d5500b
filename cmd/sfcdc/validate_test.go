package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// validateConfig writes a configuration for the simulator of b (whose
// session comes from simEnv) with the given objects section.
func validateConfig(t *testing.T, b simBanner, objects string) string {
	t.Helper()
	return writeFile(t, "sfcdc.yaml", fmt.Sprintf(`commsmining:
  base_url: %s
  token: ${TEST_CM_TOKEN}
  project: %s
  source: %s
store:
  file_path: %s
objects:
%s`, b.CommsMiningURL, b.CommsMiningProject, b.CommsMiningSource, filepath.Join(t.TempDir(), "state.db"), objects))
}

// wantNoSecrets fails if an output holds the simulator's secrets.
func wantNoSecrets(t *testing.T, b simBanner, out string) {
	t.Helper()
	for name, secret := range map[string]string{"access token": b.AccessToken, "CM token": b.CommsMiningToken, "client secret": b.ClientSecret} {
		if secret != "" && strings.Contains(out, secret) {
			t.Errorf("the output holds the %s:\n%s", name, out)
		}
	}
}

// problemLines returns the lines that report a problem.
func problemLines(out string) []string {
	var lines []string
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "problem: ") {
			lines = append(lines, line)
		}
	}
	return lines
}

func TestValidateAcceptsAGoodConfigurationAndNotesPolledObjects(t *testing.T) {
	t.Parallel()
	b := startSim(t, "--rate", "0")
	conf := validateConfig(t, b, `  - object: EmailMessage
  - object: CaseComment
  - object: Case
    comment:
      properties:
        account: Account.Name
`)
	r := runInProcess(t, backfillEnv(b), "validate", "--config", conf)
	if r.code != 0 {
		t.Fatalf("exit code %d, want 0:\n%s", r.code, r.output())
	}
	if !strings.Contains(r.stdout, "OK: org "+b.TenantID+": 3 objects") {
		t.Errorf("no OK summary:\n%s", r.output())
	}
	if !strings.Contains(r.stdout, "CM source "+b.CommsMiningProject+"/"+b.CommsMiningSource+" found, the token accepted; store file ") {
		t.Errorf("the OK summary does not say CM and the store were checked:\n%s", r.output())
	}
	if !strings.Contains(lineWith(r.stdout, "CaseComment"), "will be polled (no change event)") {
		t.Errorf("CaseComment is not reported as polled:\n%s", r.output())
	}
	if got := problemLines(r.stdout); len(got) > 0 {
		t.Errorf("problems reported for a good configuration: %q", got)
	}
	wantNoSecrets(t, b, r.output())
}

func TestValidateReportsEachSalesforceProblemOnItsOwnLineWithExit1(t *testing.T) {
	t.Parallel()
	b := startSim(t, "--rate", "0")
	conf := validateConfig(t, b, `  - object: EmailMessage
  - object: Ticket__c
    comment:
      body: Body__c
  - object: Case
    fields: [NoSuchField__c]
    comment:
      properties:
        owner: Account.NoSuchField
        nothing: NoRelation.Name
  - object: Task
    topic: /data/Mail__chn
`)
	r := runInProcess(t, backfillEnv(b), "validate", "--config", conf)
	if r.code != 1 {
		t.Fatalf("exit code %d, want 1:\n%s", r.code, r.output())
	}
	problems := problemLines(r.stdout)
	for _, want := range []string{
		"objects[1] (Ticket__c): the org has no object Ticket__c",
		"objects[2] (Case): field Case.NoSuchField__c does not exist or is not readable",
		"objects[2] (Case): via Case.Account: field Account.NoSuchField does not exist",
		"objects[2] (Case): field NoRelation.Name: Case has no relationship NoRelation",
		"objects[3] (Task): topic /data/Mail__chn does not exist",
	} {
		found := 0
		for _, p := range problems {
			if strings.Contains(p, want) {
				found++
			}
		}
		if found != 1 {
			t.Errorf("%d problem lines with %q, want 1:\n%s", found, want, r.output())
		}
	}
	if len(problems) != 5 {
		t.Errorf("%d problem lines, want 5:\n%s", len(problems), r.output())
	}
	if !strings.Contains(r.stderr, "5 problem(s)") {
		t.Errorf("stderr does not count the problems: %q", r.stderr)
	}
	wantNoSecrets(t, b, r.output())
}

func TestValidateRejectsABadFileWithExit2AndOneLinePerProblem(t *testing.T) {
	t.Parallel()
	b := startSim(t, "--rate", "0")
	conf := writeFile(t, "sfcdc.yaml", `commsmining:
  base_url: `+b.CommsMiningURL+`
  token: ${TEST_CM_TOKEN}
store:
  file_path: /nonexistent-dir/state.db
objects: []
`)
	r := runInProcess(t, backfillEnv(b), "validate", "--config", conf)
	if r.code != 2 {
		t.Fatalf("exit code %d, want 2:\n%s", r.code, r.output())
	}
	if !strings.Contains(r.stderr, "invalid configuration in") {
		t.Errorf("no configuration error:\n%s", r.output())
	}
	for _, key := range []string{"commsmining.", "objects:"} {
		if lineWith(r.stderr, key) == "" {
			t.Errorf("no line names %s:\n%s", key, r.stderr)
		}
	}
	if n := strings.Count(strings.TrimSpace(r.stderr), "\n"); n < 2 {
		t.Errorf("want each problem on its own line, got %d lines:\n%s", n+1, r.stderr)
	}
	if strings.Contains(r.stdout, "OK") {
		t.Errorf("an invalid file printed OK:\n%s", r.stdout)
	}
	wantNoSecrets(t, b, r.output())

	r = runInProcess(t, backfillEnv(b), "validate", "--config", writeFile(t, "typo.yaml", "objectz: []\n"))
	if r.code != 2 {
		t.Errorf("unknown key: exit code %d, want 2:\n%s", r.code, r.output())
	}
}

func TestValidateCallsOnlyANetworkFailureUnreachableAndExits1(t *testing.T) {
	t.Parallel()
	b := startSim(t, "--rate", "0")
	conf := validateConfig(t, b, "  - object: EmailMessage\n")
	env := append(backfillEnv(b), "SFCDC_INSTANCE_URL=https://127.0.0.1:1", "SFCDC_PUBSUB_ADDR=127.0.0.1:1")
	r := runInProcess(t, env, "validate", "--config", conf)
	if r.code != 1 {
		t.Fatalf("exit code %d, want 1:\n%s", r.code, r.output())
	}
	problems := problemLines(r.stdout)
	if len(problems) != 1 || !strings.Contains(problems[0], "Salesforce is unreachable") ||
		!strings.Contains(problems[0], "check salesforce.instance_url, salesforce.pubsub_endpoint, the network and any proxy") {
		t.Errorf("want one problem naming Salesforce unreachable and where it is set, got %q:\n%s", problems, r.output())
	}
	if strings.Contains(r.stdout, "\nOK") {
		t.Errorf("OK printed without checking Salesforce:\n%s", r.stdout)
	}
	wantNoSecrets(t, b, r.output())
}

func TestValidateReportsARefusedSessionOnceWithExit1(t *testing.T) {
	t.Parallel()
	b := startSim(t, "--rate", "0")
	conf := validateConfig(t, b, "  - object: EmailMessage\n  - object: Case\n")
	r := runInProcess(t, append(backfillEnv(b), "SFCDC_ACCESS_TOKEN=00Dwrong!canary-wrong-token"), "validate", "--config", conf)
	if r.code != 1 {
		t.Fatalf("exit code %d, want 1:\n%s", r.code, r.output())
	}
	if got := problemLines(r.stdout); len(got) != 1 || !strings.Contains(got[0], "salesforce:") {
		t.Errorf("want one problem line about the session, got %q:\n%s", got, r.output())
	}
	if strings.Contains(r.output(), "canary-wrong-token") {
		t.Errorf("the output holds the access token:\n%s", r.output())
	}
	wantNoSecrets(t, b, r.output())
}
