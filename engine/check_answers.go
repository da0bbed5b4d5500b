package engine

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"

	"github.com/sfcdc/sfcdc/integration"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/salesforce"
	"github.com/sfcdc/sfcdc/uploader"
)

// salesforceProblem explains why Salesforce could not be checked: a
// refusal names its cause and the fix (in the README troubleshooting
// table's words); only a failure to get any answer is "unreachable".
func salesforceProblem(s integration.Salesforce, err error) string {
	switch {
	case errors.Is(err, salesforce.ErrUntrustedCertificate):
		return fmt.Sprintf("salesforce: %v", err) // names salesforce.ca_file
	case errors.Is(err, salesforce.ErrInvalidClient):
		return fmt.Sprintf("salesforce: Salesforce refused the app's credentials (%v): a wrong consumer key or secret: fix salesforce.auth.client_id / SFCDC_CLIENT_SECRET", err)
	case errors.Is(err, salesforce.ErrInvalidGrant):
		return fmt.Sprintf("salesforce: Salesforce refused the grant (%v): %s", err, invalidGrantFix(s.Auth.Flow))
	case errors.Is(err, salesforce.ErrNotLoggedIn):
		return fmt.Sprintf("salesforce: %v (web_server flow: the login stores it)", err) // says: run `sfcdc auth login`
	case s.Auth.Flow == string(salesforce.FlowJWTBearer) && errors.Is(err, fs.ErrNotExist):
		return fmt.Sprintf("salesforce.auth.private_key_file: %v: put the RSA private key whose certificate the connected app holds there (chmod 600), or fix the path", err)
	case errors.Is(err, salesforce.ErrInvalidSession):
		return fmt.Sprintf("salesforce: %v: Salesforce does not accept the session: check the salesforce session settings (access_token, or the auth flow's credentials) and that the user is API Enabled", err)
	case salesforce.Classify(err) == salesforce.Limit:
		return fmt.Sprintf("salesforce: %v: the org's daily API allocation is spent: wait for it to free, or raise the org's limits", err)
	case isTransientSalesforce(err):
		return fmt.Sprintf("salesforce: Salesforce answered but could not serve the request (%v): run validate again later", err)
	case isNoAnswer(err):
		return fmt.Sprintf("salesforce: Salesforce is unreachable (%v): check %s, the network and any proxy", err, salesforceAddressKeys(s))
	}
	return fmt.Sprintf("salesforce: %v: check the salesforce section", err)
}

// invalidGrantFix is the README's fix for invalid_grant in each flow.
func invalidGrantFix(flow string) string {
	switch salesforce.Flow(flow) {
	case salesforce.FlowWebServer:
		return "the refresh token was revoked or expired: run `sfcdc auth login` again"
	case salesforce.FlowJWTBearer:
		return "pre-authorize the integration user for the app (admin-approved users), and check salesforce.auth.username, salesforce.auth.login_url (production or sandbox) and the machine's clock"
	case salesforce.FlowClientCredentials:
		return "enable the client credentials flow on the app and pick its Run-As user; salesforce.auth.login_url must be the My Domain URL"
	}
	return "check the salesforce.auth settings"
}

// salesforceAddressKeys names the settings that say where Salesforce is.
func salesforceAddressKeys(s integration.Salesforce) string {
	if s.Auth.Configured() {
		return "salesforce.auth.login_url, salesforce.pubsub_endpoint"
	}
	return "salesforce.instance_url, salesforce.pubsub_endpoint"
}

// isTransientSalesforce reports a server-side failure (5xx, OAuth
// temporarily_unavailable; salesforce.Classify's Transient with an
// answer): an answer, but no verdict on the settings.
func isTransientSalesforce(err error) bool {
	return salesforce.Classify(err) == salesforce.Transient && !isNoAnswer(err)
}

// isNoAnswer reports a failure to get any answer: no connection, a reset,
// a timeout (certificate failures are sorted out before).
func isNoAnswer(err error) bool {
	var netErr net.Error
	return errors.Is(err, errUnreachable) || errors.Is(err, context.DeadlineExceeded) || errors.As(err, &netErr)
}

// CheckCommsMining asks CM, reading only, whether the token is accepted
// and the project and source exist. It returns the problem, or "".
func CheckCommsMining(ctx context.Context, cfg uploader.Config) string {
	ctx, cancel := context.WithTimeout(ctx, checkCallTimeout)
	defer cancel()
	return cmProblem(cfg, uploader.CheckTarget(ctx, cfg, nil))
}

// cmProblem explains the answer of CheckTarget in the README's words.
func cmProblem(cfg uploader.Config, err error) string {
	var fatal *uploader.FatalError
	switch {
	case err == nil:
		return ""
	case errors.Is(err, uploader.ErrUnauthorized):
		return "commsmining: CM refused the API token (401): it is wrong or expired: set a valid SFCDC_CM_TOKEN (commsmining.token)"
	case errors.Is(err, uploader.ErrForbidden):
		return fmt.Sprintf("commsmining: the token's user lacks a permission (403): grant it \"Edit messages\" on the source %s/%s", cfg.Project, cfg.Source)
	case errors.Is(err, uploader.ErrSourceNotFound):
		return fmt.Sprintf("commsmining: the source %s/%s does not exist (404): fix commsmining.project / commsmining.source, or create the source in CM", cfg.Project, cfg.Source)
	case errors.As(err, &fatal):
		return fmt.Sprintf("commsmining: %v (%s): %s", fatal.Err, cmDetail(fatal), fatal.Fix())
	case errors.Is(err, uploader.ErrUnavailable):
		return fmt.Sprintf("commsmining: %v: check commsmining.base_url, the network and any proxy", err)
	}
	return fmt.Sprintf("commsmining: %v", err)
}

// cmDetail is the status and what was wrong with the answer.
func cmDetail(e *uploader.FatalError) string {
	switch {
	case e.Status == 0:
		return e.Message
	case e.Message == "":
		return fmt.Sprint(e.Status)
	}
	return fmt.Sprintf("%d: %s", e.Status, e.Message)
}

// CheckStore probes the store: reachable and writable, and for Redis its
// persistence setting, which a note reports.
func CheckStore(ctx context.Context, cfg replay.Config, r *Report) {
	report, err := replay.Probe(ctx, cfg)
	if err != nil {
		r.AddProblem("store." + err.Error())
		return
	}
	r.Store = report.Where
	if note := persistenceNote(cfg, report); note != "" {
		r.Notes = append(r.Notes, note)
	}
}

// persistenceNote says what a restart of the store would keep.
func persistenceNote(cfg replay.Config, p replay.ProbeReport) string {
	switch {
	case p.InUse:
		return fmt.Sprintf("store: %s is open in another process (a running sfcdc?): only that it exists was checked; `sfcdc run` needs it to itself", p.Where)
	case cfg.FilePath != "":
		return ""
	case p.Persistence == "":
		return fmt.Sprintf("store: %s does not show its persistence setting (CONFIG is refused): make sure it keeps data on disk (appendonly yes), or a restart loses the checkpoints", p.Where)
	case !p.Persists:
		return fmt.Sprintf("store: %s keeps nothing on disk (%s): a restart loses every checkpoint and the topics are recovered by backfill; set appendonly yes (appendfsync always for checkpoints)", p.Where, p.Persistence)
	}
	return fmt.Sprintf("store: %s persistence: %s", p.Where, p.Persistence)
}
