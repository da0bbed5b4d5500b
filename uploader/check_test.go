package uploader

import (
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/sfcdc/sfcdc/sim/commsmining"
)

// checkConfig is a target on the simulator with the given token, project
// and source.
func checkConfig(s *commsmining.Server, token, project, source string) Config {
	return Config{BaseURL: s.URL(), Token: Secret(token), Project: project, Source: source}
}

func TestCheckTargetAcceptsAnExistingSourceWithOneReadAndNoUpload(t *testing.T) {
	t.Parallel()
	s := startSim(t, commsmining.Options{})
	if err := CheckTarget(t.Context(), checkConfig(s, s.Token(), project, source), nil); err != nil {
		t.Fatalf("CheckTarget = %v, want nil", err)
	}
	st := s.Stats()
	if st.Requests[commsmining.EndpointSources] != 1 || st.Requests[commsmining.EndpointSync] != 0 || st.CommentsReceived != 0 {
		t.Errorf("requests %v, comments %d; want one source read and nothing else", st.Requests, st.CommentsReceived)
	}
}

func TestCheckTargetNamesEachRefusalByItsClass(t *testing.T) {
	t.Parallel()
	s := startSim(t, commsmining.Options{})
	for _, tc := range []struct {
		name string
		cfg  Config
		want error
	}{
		{"a wrong token", checkConfig(s, canary, project, source), ErrUnauthorized},
		{"a missing source", checkConfig(s, s.Token(), project, "no-such-source"), ErrSourceNotFound},
		{"a missing project", checkConfig(s, s.Token(), "no-such-project", source), ErrSourceNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckTarget(t.Context(), tc.cfg, nil)
			if !isFatal(err, tc.want) {
				t.Fatalf("CheckTarget = %v, want a FatalError wrapping %v", err, tc.want)
			}
			if strings.Contains(err.Error(), canary) || strings.Contains(err.Error(), s.Token()) {
				t.Errorf("the error holds the token: %v", err)
			}
		})
	}
}

func TestCheckTargetCallsARefusedConnectionUnavailable(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	err = CheckTarget(t.Context(), Config{BaseURL: "http://" + addr, Token: canary, Project: project, Source: source}, nil)
	var fatal *FatalError
	if !errors.Is(err, ErrUnavailable) || errors.As(err, &fatal) {
		t.Fatalf("CheckTarget = %v, want ErrUnavailable", err)
	}
	if strings.Contains(err.Error(), canary) {
		t.Errorf("the error holds the token: %v", err)
	}
}

func TestCheckTargetCallsAWebPageAtBaseURLNotCM(t *testing.T) {
	t.Parallel()
	_, url := startNotCM(t, answerWith(200, "application/json", `{"hello":"world"}`))
	err := CheckTarget(t.Context(), Config{BaseURL: url, Token: canary, Project: project, Source: source}, nil)
	if !isFatal(err, ErrNotCMAPI) {
		t.Fatalf("CheckTarget = %v, want ErrNotCMAPI after one answer", err)
	}
}

func TestCheckTargetCallsAServerErrorUnavailable(t *testing.T) {
	t.Parallel()
	s := startSim(t, commsmining.Options{})
	s.InjectFault(commsmining.Fault{Endpoint: commsmining.EndpointSources, Status: 503, Message: "maintenance"})
	err := CheckTarget(t.Context(), checkConfig(s, s.Token(), project, source), nil)
	var fatal *FatalError
	if !errors.Is(err, ErrUnavailable) || errors.As(err, &fatal) {
		t.Fatalf("CheckTarget = %v, want ErrUnavailable", err)
	}
}
