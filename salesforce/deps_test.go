package salesforce_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// The REST package must stay light: a program that only calls REST (or
// only authenticates) must not link the gRPC stack and the Avro decoder
// that the Pub/Sub client needs. The session types live here so that
// pubsub imports salesforce, never the other way round.
func TestTheRESTPackageLinksNeitherPubSubNorGRPCNorAvro(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) == 0 {
		t.Fatal("go list -deps printed no package")
	}
	forbidden := []string{"github.com/sfcdc/sfcdc/pubsub", "google.golang.org/grpc", "github.com/linkedin/goavro/v2"}
	for _, dep := range deps {
		for _, f := range forbidden {
			if dep == f || strings.HasPrefix(dep, f+"/") {
				t.Errorf("salesforce depends on %s; it must not link %s", dep, f)
			}
		}
	}
	if !slices.Contains(deps, "github.com/sfcdc/sfcdc/salesforce") {
		t.Errorf("go list -deps . does not list the salesforce package itself: %v", deps)
	}
}
