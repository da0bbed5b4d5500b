package salesforce

import (
	"errors"
	"html/template"
	"net/http"
)

// The callback's pages tell the person what happened and what to do next.
var (
	pageLayout = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>sfcdc — Salesforce login</title>
<style>body{font-family:sans-serif;max-width:38em;margin:3em auto;line-height:1.4}code{background:#eee;padding:0 .2em}</style></head>
<body>{{template "body" .}}</body></html>`

	pageSuccess = page(`<h1>sfcdc is connected to Salesforce</h1>
<p>Signed in as <strong>{{.Username}}</strong> in org <code>{{.OrgID}}</code> ({{.InstanceURL}}).</p>
<p>The refresh token is stored in {{.Store}}. You can close this tab and return to the terminal;
<code>sfcdc auth status</code> shows the connection.</p>`)

	pageDenied = page(`<h1>Salesforce did not grant access</h1>
<p>{{.Reason}}</p>
<p>Nothing was stored. Return to the terminal and run <code>sfcdc auth login</code> again; choose <em>Allow</em> on the Salesforce page.</p>`)

	pageFailed = page(`<h1>The login could not be completed</h1>
<p>{{.Reason}}</p>
<p>Nothing was stored. Check the connected app's consumer key, secret and callback URL in the sfcdc configuration,
then run <code>sfcdc auth login</code> again. The terminal shows the same message.</p>`)

	pageWrongState = page(`<h1>This sign-in link is not the one sfcdc is waiting for</h1>
<p>The callback's <code>state</code> does not match the login sfcdc started, so it was refused (this protects you from
forged logins). Use the link the running <code>sfcdc auth login</code> printed, or start it again.</p>`)

	pageAlreadyDone = page(`<h1>This login has already finished</h1>
<p>Return to the terminal. Run <code>sfcdc auth login</code> again to log in anew.</p>`)
)

func page(body string) *template.Template {
	t := template.Must(template.New("layout").Parse(pageLayout))
	return template.Must(t.New("body").Parse(body))
}

func writePage(w http.ResponseWriter, status int, t *template.Template, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = t.ExecuteTemplate(w, "layout", data)
}

// writeOutcomePage shows the login's result. Error texts carry no secret
// (see errors.go), so they are shown as they are.
func writeOutcomePage(w http.ResponseWriter, id Identity, err error, store TokenStore) {
	var oe *OAuthError
	switch {
	case err == nil:
		writePage(w, http.StatusOK, pageSuccess, map[string]string{"Username": id.Username, "OrgID": id.OrgID, "InstanceURL": id.InstanceURL, "Store": store.String()})
	case errors.As(err, &oe) && oe.Code == "access_denied":
		writePage(w, http.StatusForbidden, pageDenied, map[string]string{"Reason": "You (or Salesforce) declined the request: " + oe.Description + "."})
	default:
		writePage(w, http.StatusBadGateway, pageFailed, map[string]string{"Reason": err.Error()})
	}
}
