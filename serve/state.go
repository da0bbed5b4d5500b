package serve

import (
	"errors"
	"time"
)

// States of an integration on an instance.
const (
	StateStarting    = "starting"
	StateBackfilling = "backfilling"
	StateStreaming   = "streaming"
	StateError       = "error"
	// StatePendingAuth: the integration signs in with the hosted web-server
	// flow and was never authorised; its authenticate link gives it a grant.
	StatePendingAuth = "pending_auth"
	// StateNeedsReauth: Salesforce refused its grant for good; only a new
	// authorisation through its authenticate link helps.
	StateNeedsReauth = "needs_reauth"
)

// WaitingError is a runner's answer for an integration that waits for a
// person (StatePendingAuth, StateNeedsReauth): not a failure (no streak,
// never disabled for it), the scheduler shows the state with the reason
// and looks again every AuthRecheck.
type WaitingError struct {
	State  string
	Reason string
	// Link is the integration's authenticate link.
	Link string
}

func (e *WaitingError) Error() string { return e.State + ": " + e.Reason }

// State is what a run says of itself.
type State struct {
	Name string `json:"state"`
	// Reason says what went wrong, in StateError.
	Reason string `json:"reason,omitempty"`
	// Since is when this state began.
	Since time.Time `json:"since"`
}

// ErrQuota marks a runner's error as CM's quota reached: persisting, it
// disables the integration with reason quota rather than sync_error.
var ErrQuota = errors.New("the CM quota is reached")

// Report is what an instance stores of one integration it runs, under the
// key "<integration>@<instance>".
type Report struct {
	Integration string `json:"integration"`
	Instance    string `json:"instance"`
	State
	Units []Unit `json:"units"`
	// Version is the registry version of the integration being run.
	Version int64 `json:"version"`
	// FailingSince is when the current run of failures began (zero when
	// the last run did not fail).
	FailingSince time.Time `json:"failing_since,omitzero"`
}

// reportKey names an instance's report of an integration.
func reportKey(integration, instance string) string { return integration + "@" + instance }
