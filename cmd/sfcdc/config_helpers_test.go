package main

import (
	"github.com/sfcdc/sfcdc/clitest"
	"testing"
)

// validConfig is a complete configuration the cases below break one key
// of at a time.
const validConfig = `
salesforce:
  access_token: ${TEST_SF_TOKEN}
  instance_url: https://example.my.salesforce.com
  tenant_id: 00D5Y0000000001UAA
commsmining:
  base_url: https://example.reinfer.io
  token: ${TEST_CM_TOKEN}
  project: support
  source: salesforce
store:
  redis_url: redis://127.0.0.1:6379/0
backfill:
  overlap: 2m
objects:
  - object: EmailMessage
`

// writeFile writes a file into the test's directory and returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	return clitest.WriteFile(t, name, content)
}
