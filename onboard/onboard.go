package onboard

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/sfcdc/sfcdc/custody"
	"github.com/sfcdc/sfcdc/integration"
	"github.com/sfcdc/sfcdc/redact"
	"github.com/sfcdc/sfcdc/registry"
	"github.com/sfcdc/sfcdc/replay"
	"github.com/sfcdc/sfcdc/salesforce"
	"github.com/sfcdc/sfcdc/sealed"
)

// CallbackPath is the one callback of every integration: the URL to
// register in each connected app is PublicURL + CallbackPath.
const CallbackPath = "/external/salesforce/oauth2/callback"

// StateTTL is how long an authenticate link's login may take.
const StateTTL = 10 * time.Minute

// Config is what the pages need.
type Config struct {
	// PublicURL is the service's address as browsers reach it
	// (https://host, no trailing slash): the callback is built from it.
	PublicURL string
	Registry  *registry.Registry
	Vault     *custody.Vault
	States    replay.OAuthStateStore
	// Keys seal the state records (the deployment's keyring).
	Keys *sealed.Keyring
	// Authorised, if set, is told each integration that got a new grant
	// (to start it).
	Authorised func(ctx context.Context, name string)
	// Refresher builds the token client of an integration's connected app;
	// nil: salesforce.NewRefresher over its auth settings.
	Refresher func(spec integration.Spec) (*salesforce.Refresher, error)
	Logger    *slog.Logger
	Now       func() time.Time
}

// Handler serves the authenticate and callback pages.
func Handler(cfg Config) http.Handler {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Refresher == nil {
		cfg.Refresher = func(spec integration.Spec) (*salesforce.Refresher, error) {
			return salesforce.NewRefresher(spec.Salesforce.Auth.SalesforceConfig(spec.Salesforce.CAFile, nil))
		}
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	p := &pages{cfg: cfg}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /integrations/{project}/{name}/oauth2/authenticate", p.authenticate)
	mux.HandleFunc("GET "+CallbackPath, p.callback)
	return mux
}

type pages struct{ cfg Config }

// stateRecord is what the state handle points at; sealed at rest.
type stateRecord struct {
	Integration string    `json:"integration"`
	Verifier    string    `json:"verifier"`
	LoginURL    string    `json:"login_url"`
	ExpectedOrg string    `json:"expected_org,omitempty"`
	Created     time.Time `json:"created"`
}

func (p *pages) callbackURL() string { return p.cfg.PublicURL + CallbackPath }

// authenticate starts a login for one integration.
func (p *pages) authenticate(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("project") + "/" + r.PathValue("name")
	in, err := p.cfg.Registry.Get(r.Context(), name)
	if errors.Is(err, registry.ErrUnknown) || errors.Is(err, replay.ErrInvalid) {
		p.show(w, http.StatusNotFound, page{Title: "Unknown integration", Integration: name,
			Problem: "No integration of this name is configured here.", Fix: "Check the link you were given, or ask the team that set up the integration for a new one."})
		return
	}
	if err != nil {
		p.fail(w, r, name, "read the integration", err)
		return
	}
	auth := in.Spec.Salesforce.Auth
	if auth.Flow != string(salesforce.FlowWebServer) {
		p.show(w, http.StatusConflict, page{Title: "Nothing to authorise", Integration: name,
			Problem: fmt.Sprintf("This integration signs in to Salesforce with the %s flow, which needs no approval in a browser.", flowName(auth.Flow)),
			Fix:     "Nothing to do here. If it should use an approval, set salesforce.auth.flow to web_server in its configuration."})
		return
	}
	ref, err := p.cfg.Refresher(in.Spec)
	if err != nil {
		p.fail(w, r, name, "prepare the login", err)
		return
	}
	defer ref.Close()
	rec := stateRecord{Integration: name, Verifier: oauth2.GenerateVerifier(), LoginURL: ref.LoginURL(), Created: p.cfg.Now().UTC()}
	if g, err := p.cfg.Vault.Load(r.Context(), name); err == nil {
		rec.ExpectedOrg = g.OrgID
	} else if in.Spec.Salesforce.TenantID != "" {
		rec.ExpectedOrg = in.Spec.Salesforce.TenantID
	}
	id, err := randomHandle()
	if err != nil {
		p.fail(w, r, name, "start the login", err)
		return
	}
	raw, _ := json.Marshal(rec)
	sealedRec, err := p.cfg.Keys.Seal(raw, stateContext(id))
	if err != nil {
		p.fail(w, r, name, "start the login", err)
		return
	}
	if err := p.cfg.States.PutOAuthState(r.Context(), id, []byte(sealedRec), StateTTL); err != nil {
		p.fail(w, r, name, "start the login", err)
		return
	}
	p.cfg.Logger.Info("an authorisation of the integration started", "integration", name, "login_host", rec.LoginURL, "remote", r.RemoteAddr)
	http.Redirect(w, r, ref.AuthorizeURL(p.callbackURL(), id, oauth2.S256ChallengeFromVerifier(rec.Verifier), ""), http.StatusFound)
}

func stateContext(id string) string { return "oauth-state/" + id }

func randomHandle() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func flowName(f string) string {
	if f == "" {
		return "fixed session"
	}
	return f
}

// callback finishes a login: Salesforce sent the browser back with a code
// or an error, and the state handle.
func (p *pages) callback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	rec, ok := p.takeState(r.Context(), q.Get("state"))
	if !ok {
		p.cfg.Logger.Warn("a Salesforce callback with an unknown, expired or used state was refused; nothing changed", "remote", r.RemoteAddr,
			"error", oneLine(q.Get("error"), 100))
		p.show(w, http.StatusBadRequest, page{Title: "This sign-in link has expired",
			Problem: "The sign-in this page belongs to is unknown, older than 10 minutes, or was already completed. Nothing was changed.",
			Fix:     "Open the integration's authenticate link again and approve within 10 minutes."})
		return
	}
	name := rec.Integration
	if code := q.Get("error"); code != "" {
		p.refused(w, r, name, code, q.Get("error_description"))
		return
	}
	code := q.Get("code")
	if code == "" {
		p.cfg.Logger.Warn("a Salesforce callback carried neither a code nor an error; nothing changed", "integration", name, "remote", r.RemoteAddr)
		p.show(w, http.StatusBadRequest, page{Title: "Salesforce sent no answer", Integration: name,
			Problem: "The page Salesforce sent you back to carried neither an approval nor an error. Nothing was changed.",
			Fix:     "Open the integration's authenticate link again."})
		return
	}
	in, err := p.cfg.Registry.Get(r.Context(), name)
	if err != nil {
		p.fail(w, r, name, "read the integration", err)
		return
	}
	ref, err := p.cfg.Refresher(in.Spec)
	if err != nil {
		p.fail(w, r, name, "prepare the token exchange", err)
		return
	}
	defer ref.Close()
	got, err := ref.Exchange(r.Context(), code, rec.Verifier, p.callbackURL())
	if err != nil {
		p.cfg.Logger.Warn("the authorization code exchange failed; nothing changed", "integration", name, "err", err.Error())
		p.show(w, http.StatusBadGateway, page{Title: "Salesforce did not accept the approval", Integration: name,
			Problem: "Salesforce refused to turn the approval into a grant: " + redact.Text(err.Error()) + ". Nothing was changed.",
			Fix:     "Open the authenticate link again. If this repeats, check the connected app's consumer key and secret in the integration's configuration."})
		return
	}
	if rec.ExpectedOrg != "" && !sameOrg(rec.ExpectedOrg, got.Session.TenantID) {
		// Approved in another org: the new grant must not stay alive.
		if err := ref.Revoke(r.Context(), got.RefreshToken); err != nil {
			p.cfg.Logger.Error("could not revoke the grant of a refused login to another org", "integration", name, "org", got.Session.TenantID, "err", err.Error())
		}
		p.cfg.Logger.Warn("a login to another org than the integration's was refused; its grant was revoked and the integration's kept",
			"integration", name, "approved_org", got.Session.TenantID, "expected_org", rec.ExpectedOrg)
		p.show(w, http.StatusConflict, page{Title: "Approved in the wrong Salesforce org", Integration: name,
			Problem: fmt.Sprintf("The approval came from org %s, but this integration belongs to org %s. The new approval was revoked; the integration keeps its existing connection.", got.Session.TenantID, rec.ExpectedOrg),
			Fix:     "Log out of Salesforce, open the authenticate link again and log in as a user of org " + rec.ExpectedOrg + "."})
		return
	}
	if err := p.store(r.Context(), name, rec, got, ref); err != nil {
		p.fail(w, r, name, "store the new grant", err)
		return
	}
	p.cfg.Logger.Info("the integration was authorised", "integration", name, "org", got.Session.TenantID, "user", got.UserID)
	if p.cfg.Authorised != nil {
		p.cfg.Authorised(context.WithoutCancel(r.Context()), name)
	}
	p.show(w, http.StatusOK, page{Title: "The integration is set up", Integration: name, OK: true,
		Problem: fmt.Sprintf("Salesforce org %s approved access for this integration. It starts syncing within a few seconds.", got.Session.TenantID),
		Fix:     "You can close this page."})
}

// takeState opens the record behind a state handle, once.
func (p *pages) takeState(ctx context.Context, id string) (stateRecord, bool) {
	if id == "" || len(id) > 100 {
		return stateRecord{}, false
	}
	raw, err := p.cfg.States.TakeOAuthState(ctx, id)
	if err != nil {
		return stateRecord{}, false
	}
	plain, err := p.cfg.Keys.Open(string(raw), stateContext(id))
	if err != nil {
		return stateRecord{}, false
	}
	var rec stateRecord
	if json.Unmarshal(plain, &rec) != nil || rec.Integration == "" {
		return stateRecord{}, false
	}
	return rec, true
}

// store keeps the new grant and revokes the one it replaces.
func (p *pages) store(ctx context.Context, name string, rec stateRecord, got salesforce.Refreshed, ref *salesforce.Refresher) error {
	old, err := p.cfg.Vault.Load(ctx, name)
	if err != nil && !errors.Is(err, custody.ErrNoGrant) {
		return err
	}
	g := custody.Grant{RefreshToken: got.RefreshToken, AccessToken: salesforce.Secret(got.Session.AccessToken),
		InstanceURL: got.Session.InstanceURL, OrgID: got.Session.TenantID, UserID: got.UserID, LoginURL: rec.LoginURL,
		IssuedAt: got.IssuedAt, RefreshedAt: p.cfg.Now().UTC(), Version: old.Version}
	if _, err := p.cfg.Vault.Save(ctx, name, g); err != nil {
		return err
	}
	if old.RefreshToken != "" && old.RefreshToken != got.RefreshToken {
		// The replaced grant holds one of the user's five approvals.
		if err := ref.Revoke(ctx, old.RefreshToken); err != nil {
			p.cfg.Logger.Warn("could not revoke the grant this authorisation replaced", "integration", name, "err", err.Error())
		}
	}
	return nil
}

// sameOrg compares org IDs on their 15-character form (18-character IDs
// add a case-safe suffix).
func sameOrg(a, b string) bool {
	if len(a) >= 15 && len(b) >= 15 {
		return a[:15] == b[:15]
	}
	return a == b
}

// refused shows what Salesforce's error on the callback means.
func (p *pages) refused(w http.ResponseWriter, r *http.Request, name, code, description string) {
	p.cfg.Logger.Info("Salesforce sent the login back with an error; nothing changed", "integration", name, "error", oneLine(code, 100),
		"error_description", oneLine(description, 300))
	pg := page{Title: "The integration was not authorised", Integration: name, Code: oneLine(code, 100), Description: oneLine(description, 300)}
	switch code {
	case "access_denied":
		pg.Title = "Access was denied"
		pg.Problem = "Deny was chosen on Salesforce's approval page, so the integration stays waiting for authorisation. Nothing was changed."
		pg.Fix = "To connect it, open the authenticate link again and choose Allow."
	case "invalid_client", "invalid_client_id":
		pg.Problem = "Salesforce does not know this integration's connected app, or the app is not installed in your org."
		pg.Fix = "Install the connected app in your org (or give your user \"Approve Uninstalled Connected Apps\"), and check its consumer key with the team that set up the integration."
	case "redirect_uri_mismatch":
		pg.Problem = "The connected app does not list this service's callback URL."
		pg.Fix = "Add " + p.callbackURL() + " to the connected app's callback URLs, then open the authenticate link again."
	case "immediate_unsuccessful", "login_required", "consent_required":
		pg.Problem = "Salesforce needs you to log in and approve on its page."
		pg.Fix = "Open the authenticate link again and complete the login."
	default:
		pg.Problem = "Salesforce refused the approval."
		pg.Fix = "Open the authenticate link again. If the error repeats, send the error code above to the team that set up the integration."
	}
	p.show(w, http.StatusOK, pg)
}

// fail shows an internal failure without its details (they may name
// stored values) and logs it.
func (p *pages) fail(w http.ResponseWriter, r *http.Request, name, action string, err error) {
	p.cfg.Logger.Error("an onboarding page failed", "integration", name, "action", action, "err", err.Error(), "remote", r.RemoteAddr)
	p.show(w, http.StatusInternalServerError, page{Title: "Something went wrong", Integration: name,
		Problem: "The service could not " + action + ". Nothing was changed.",
		Fix:     "Try again in a minute; if it keeps failing, tell the team that runs this service (the time and the integration's name help)."})
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}
