package pubsub_test

import (
	"errors"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/sfcdc/sfcdc/pubsub"
	"github.com/sfcdc/sfcdc/salesforce"
	sfsim "github.com/sfcdc/sfcdc/sim/salesforce"
)

func TestTopicInfoTellsWhetherTheUserCanSubscribeAndTheSchema(t *testing.T) {
	t.Parallel()
	h := startSim(t, sfsim.Config{Seed: 12}, time.Minute)
	info, err := h.client(t, nil, nil).TopicInfo(t.Context(), "/data/CaseChangeEvent")
	if err != nil {
		t.Fatalf("TopicInfo: %v", err)
	}
	if info.Name != "/data/CaseChangeEvent" || !info.CanSubscribe || info.SchemaID == "" {
		t.Fatalf("got %+v; want the topic's name, CanSubscribe and a schema ID", info)
	}
}

func TestTopicInfoOfAnUnknownTopicIsTopicNotFound(t *testing.T) {
	t.Parallel()
	h := startSim(t, sfsim.Config{Seed: 12}, time.Minute)
	_, err := h.client(t, nil, nil).TopicInfo(t.Context(), "/data/NoSuchObjectChangeEvent")
	var te *pubsub.TopicError
	if !errors.Is(err, pubsub.ErrTopicNotFound) || !errors.As(err, &te) || te.Code != codes.NotFound {
		t.Fatalf("got %v; want a *TopicError matching ErrTopicNotFound with NOT_FOUND", err)
	}
}

func TestTopicInfoWithARejectedSessionIsUnauthenticatedWithoutTheToken(t *testing.T) {
	t.Parallel()
	h := startSim(t, sfsim.Config{Seed: 12}, time.Minute)
	creds := salesforce.StaticSession{AccessToken: "00D000000000001!forged", InstanceURL: h.sim.InstanceURL, TenantID: h.sim.Org.ID()}
	_, err := h.client(t, creds, nil).TopicInfo(t.Context(), "/data/CaseChangeEvent")
	if !errors.Is(err, pubsub.ErrUnauthenticated) || errors.Is(err, pubsub.ErrTopicNotFound) {
		t.Fatalf("got %v; want ErrUnauthenticated only", err)
	}
	if contains(err.Error(), "forged") {
		t.Fatalf("the error shows the access token: %v", err)
	}
}

func TestTopicInfoAgainstAnUntrustedCertificateSaysSo(t *testing.T) {
	t.Parallel()
	h := startSim(t, sfsim.Config{Seed: 12}, time.Minute)
	_, err := h.client(t, nil, func(c *pubsub.Config) { c.CAFile = "" }).TopicInfo(t.Context(), "/data/CaseChangeEvent")
	if !errors.Is(err, pubsub.ErrUntrustedCertificate) {
		t.Fatalf("got %v; want ErrUntrustedCertificate", err)
	}
}
