package salesforce

import (
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// authorize serves GET /services/oauth2/authorize, the start of the
// web-server flow: it checks the client and callback, then shows the
// login and approval page (or, with AutoApprove, redirects with a code at
// once). Problems with the client or callback are shown on a page, never
// sent to an unregistered redirect URI.
func (s *restService) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	req := authRequestOf(q)
	switch {
	case req.clientID != s.app.ClientID:
		writeErrorPage(w, "invalid_client_id", "client identifier invalid")
		return
	case !s.app.allowsCallback(req.redirectURI):
		writeErrorPage(w, "redirect_uri_mismatch", "redirect_uri must match configuration")
		return
	case q.Get("response_type") != "code":
		redirectWithError(w, r, req, "unsupported_response_type", "response type not supported")
		return
	case req.challenge != "" && q.Get("code_challenge_method") != "" && q.Get("code_challenge_method") != "S256":
		redirectWithError(w, r, req, "invalid_request", "unsupported code_challenge_method; use S256")
		return
	case req.challenge == "" && s.app.RequirePKCE:
		redirectWithError(w, r, req, "invalid_request", "missing required code challenge")
		return
	}
	if req.username == "" {
		req.username = s.app.Username
	}
	prompt := strings.Fields(q.Get("prompt"))
	asks := slices.Contains(prompt, "login") || slices.Contains(prompt, "consent")
	switch {
	case q.Get("immediate") == "true" && (asks || !s.app.AutoApprove):
		// immediate=true may not show a page: without a prior approval
		// (AutoApprove) it fails at once (hosted-oauth.md §3).
		redirectWithError(w, r, req, "immediate_unsuccessful", "immediate authorization not possible")
		return
	case s.app.AutoApprove && !asks:
		// A user who approved before: the hinted one when known.
		user, ok := s.login.user(req.username)
		if !ok {
			user, req.username = s, s.app.Username
		}
		req.user = user
		redirectWithCode(w, r, req, s.login.newCode(req))
		return
	}
	// prompt=login or consent shows the form even to a user who approved
	// before, as Salesforce asks again.
	s.writeApprovalPage(w, req, s.login.pend(req), "")
}

// authRequestOf reads an authorize request's query. login_hint prefills
// the login form's username.
func authRequestOf(q url.Values) authRequest {
	return authRequest{
		clientID: q.Get("client_id"), redirectURI: q.Get("redirect_uri"), state: q.Get("state"),
		scope: strings.Join(strings.Fields(q.Get("scope")), " "), challenge: q.Get("code_challenge"),
		username: strings.TrimSpace(q.Get("login_hint")),
	}
}

// decision is the approval form's answer.
type decision struct {
	request  string // the pending request's ID
	username string // "": the one the form was shown with
	allow    bool
}

// decisionOf reads the approval form.
func decisionOf(form url.Values) decision {
	return decision{request: form.Get("request"), username: strings.TrimSpace(form.Get("username")), allow: form.Get("decision") == "allow"}
}

// msgLoginFailed is Salesforce's login page's answer to an unknown user.
const msgLoginFailed = "Please check your username and password. If you still can't log in, contact your Salesforce administrator."

// decide serves the approval form's POST: Deny sends access_denied back to
// the client's callback; Allow logs the named user in (a user of any org
// the login host serves: the code, and the tokens, are that user's org's)
// and sends a code. An unknown username shows the form again.
func (s *restService) decide(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeErrorPage(w, "invalid_request", "malformed form")
		return
	}
	d := decisionOf(r.PostForm)
	req, ok := s.login.peekPending(d.request)
	if !ok {
		writeErrorPage(w, "invalid_request", "this approval request expired or was already answered; start the login again")
		return
	}
	if !d.allow {
		if _, ok := s.login.takePending(d.request); !ok {
			writeErrorPage(w, "invalid_request", "this approval request expired or was already answered; start the login again")
			return
		}
		redirectWithError(w, r, req, "access_denied", "end-user denied authorization")
		return
	}
	if d.username == "" {
		d.username = req.username
	}
	user, known := s.login.user(d.username)
	if !known {
		req.username = d.username
		s.writeApprovalPage(w, req, d.request, msgLoginFailed)
		return
	}
	if req, ok = s.login.takePending(d.request); !ok {
		writeErrorPage(w, "invalid_request", "this approval request expired or was already answered; start the login again")
		return
	}
	req.user, req.username = user, user.app.Username
	redirectWithCode(w, r, req, s.login.newCode(req))
}

func redirectWithCode(w http.ResponseWriter, r *http.Request, req authRequest, code string) {
	v := url.Values{"code": {code}}
	if req.state != "" {
		v.Set("state", req.state)
	}
	http.Redirect(w, r, req.redirectURI+"?"+v.Encode(), http.StatusFound)
}

func redirectWithError(w http.ResponseWriter, r *http.Request, req authRequest, code, description string) {
	v := url.Values{"error": {code}, "error_description": {description}}
	if req.state != "" {
		v.Set("state", req.state)
	}
	http.Redirect(w, r, req.redirectURI+"?"+v.Encode(), http.StatusFound)
}

var approvalPage = template.Must(template.New("approve").Parse(`<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Allow Access? | Salesforce (simulated org)</title>
<style>body{font-family:sans-serif;max-width:36em;margin:3em auto}button{font-size:1em;padding:.4em 1.2em;margin-right:1em}</style></head>
<body>
<h1>Allow Access?</h1>
{{if .Error}}<p role="alert"><strong>{{.Error}}</strong></p>{{end}}
<p>The app <strong>{{.ClientID}}</strong> is asking to:</p>
<ul>{{range .Scopes}}<li>{{.}}</li>{{end}}</ul>
<p>Log in as the Salesforce user who grants this access{{if .OrgID}} (shown: a user of org {{.OrgID}}){{end}}. Allow access only if you started this login.</p>
<form method="post" action="/services/oauth2/authorize">
<input type="hidden" name="request" value="{{.Request}}">
<input type="hidden" name="client_id" value="{{.ClientID}}">
<p><label for="username">Username</label>
<input id="username" name="username" type="text" autocomplete="username" value="{{.Username}}"></p>
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form>
</body>
</html>
`))

// scopeDescriptions are the approval page's words for each scope.
var scopeDescriptions = map[string]string{
	"api":            "Manage user data via APIs (api)",
	"refresh_token":  "Perform requests at any time (refresh_token, offline_access)",
	"offline_access": "",
	"id":             "Access the identity URL service (id, profile, email, address, phone)",
	"full":           "Full access (full)",
}

// writeApprovalPage shows the login and approval form for a pending
// request, its username filled in, with a login error when problem is set.
func (s *restService) writeApprovalPage(w http.ResponseWriter, req authRequest, requestID, problem string) {
	scope := req.scope
	if scope == "" {
		scope = defaultScope
	}
	var scopes []string
	for _, sc := range strings.Fields(scope) {
		desc, known := scopeDescriptions[sc]
		if !known {
			desc = sc
		}
		if desc != "" {
			scopes = append(scopes, desc)
		}
	}
	orgID := ""
	if user, ok := s.login.user(req.username); ok {
		orgID = user.org.ID()
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = approvalPage.Execute(w, map[string]any{
		"ClientID": req.clientID, "Scopes": scopes, "Username": req.username, "OrgID": orgID, "Request": requestID, "Error": problem,
	})
}

var errorPage = template.Must(template.New("error").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Error | Salesforce (simulated org)</title></head>
<body><h1>OAuth error</h1><p>error={{.Code}}&amp;error_description={{.Description}}</p></body></html>
`))

func writeErrorPage(w http.ResponseWriter, code, description string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusBadRequest)
	_ = errorPage.Execute(w, map[string]string{"Code": code, "Description": description})
}
