package main

import (
	"strings"
	"testing"
)

func TestTheBackfillCommandNeverPrintsASecret(t *testing.T) {
	t.Parallel()
	const canary = "CANARY-secret-9e71c0"
	b := startSim(t, "--rate", "0", "--seed-records", "300")
	env := backfillEnv(b)
	secrets := []string{canary, b.AccessToken, b.CommsMiningToken}
	for _, tc := range []struct {
		name     string
		env      []string
		wantCode int
	}{
		{name: "a successful run, logging every call", wantCode: 0},
		{name: "CM refusing the token", env: []string{"TEST_CM_TOKEN=" + canary}, wantCode: exitFailure},
		{name: "Salesforce refusing the session", env: []string{"SFCDC_ACCESS_TOKEN=" + canary}, wantCode: exitFailure},
		{name: "Redis unreachable with a password in its URL", env: []string{"SFCDC_TEST_STORE_PASSWORD=" + canary}, wantCode: exitFailure},
	} {
		t.Run(tc.name, func(t *testing.T) {
			config := backfillConfig(t, b, redisKeyPrefix(t), "")
			if strings.Contains(tc.name, "Redis") { // port 1: nothing listens
				config = writeFile(t, "sfcdc.yaml", strings.Replace(readFile(t, config),
					"redis://"+testRedisAddr(), "redis://:${SFCDC_TEST_STORE_PASSWORD}@127.0.0.1:1", 1))
			}
			r := runInProcess(t, append(append([]string{}, env...), tc.env...), "backfill", "--config", config, "--verbose")
			if r.code != tc.wantCode {
				t.Fatalf("exit %d, want %d:\n%s", r.code, tc.wantCode, r.output())
			}
			for _, s := range secrets {
				if strings.Contains(r.output(), s) {
					t.Fatalf("the output shows a secret:\n%s", r.output())
				}
			}
		})
	}
}
