package console

import (
	"fmt"
	"html/template"
	"time"
)

type listView struct {
	Integrations []Integration
	Now          time.Time
}

type oneView struct {
	Integration Integration
	Now         time.Time
}

// ago says how long before now t was, in one short phrase.
func ago(now time.Time, t any) string {
	var at time.Time
	switch v := t.(type) {
	case time.Time:
		at = v
	case *time.Time:
		if v == nil {
			return "never"
		}
		at = *v
	}
	if at.IsZero() {
		return "never"
	}
	d := now.Sub(at)
	switch {
	case d < 0:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	}
	return fmt.Sprintf("%dd ago", int(d.Hours()/24))
}

// since is ago for a state's start, "-" when unknown (the overview
// knows when a waiting or failing state began, not when streaming did).
func since(now time.Time, t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return ago(now, t)
}

var funcs = template.FuncMap{"ago": ago, "since": since, "lag": func(s float64) string { return fmt.Sprintf("%.1fs", s) }}

const head = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{block "title" .}}{{end}} · sfcdc</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;color:#1a1a1a;background:#fff;margin:0;line-height:1.45}
main{max-width:72rem;margin:0 auto;padding:1rem}
h1{font-size:1.5rem}
table{border-collapse:collapse;width:100%;font-size:.95rem}
th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #d0d0d0;vertical-align:top}
th{background:#f2f2f2}
.state{font-weight:600}
.scroll{overflow-x:auto}
a{color:#0b4fa0}
p,dd{overflow-wrap:break-word}
dd{margin-left:1.25rem}
td.reason{min-width:16rem;overflow-wrap:anywhere}
.visually-hidden{position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
</style>
</head>
<body>
<main>
`

const foot = `</main>
</body>
</html>
`

var listTemplate = template.Must(template.New("list").Funcs(funcs).Parse(head + `{{define "title"}}Integrations{{end}}
<h1>Integrations</h1>
<p>{{len .Integrations}} integrations. Comments and billable units count today (UTC).</p>
<div class="scroll">
<table>
<caption class="visually-hidden">Every integration of the deployment</caption>
<thead><tr><th scope="col">Integration</th><th scope="col">State</th><th scope="col">Reason / action</th><th scope="col">Since</th><th scope="col">Last event</th><th scope="col">Lag</th><th scope="col">Comments today</th><th scope="col">Billable units today</th><th scope="col">Dead letters</th></tr></thead>
<tbody>
{{range .Integrations}}<tr>
<td><a href="/integrations/{{.Name}}">{{.Name}}</a></td>
<td class="state">{{.State}}</td>
<td class="reason">{{.Reason}}{{if .AuthenticateURL}} <a href="{{.AuthenticateURL}}">Authenticate link</a>{{end}}</td>
<td>{{since $.Now .Since}}</td>
<td>{{ago $.Now .LastEventAt}}</td>
<td>{{if .LastEventAt}}{{lag .LagSeconds}}{{else}}-{{end}}</td>
<td>{{.CommentsToday}}</td>
<td>{{.BillableToday}}</td>
<td>{{.DeadLetters}}{{if .ParkedDeadLetters}} ({{.ParkedDeadLetters}} parked){{end}}</td>
</tr>
{{else}}<tr><td colspan="9">No integration yet: <code>sfcdc integrations apply</code> adds them.</td></tr>
{{end}}</tbody>
</table>
</div>
<p><a href="/api/v1/integrations">The same as JSON</a></p>
` + foot))

var oneTemplate = template.Must(template.New("one").Funcs(funcs).Parse(head + `{{define "title"}}{{.Integration.Name}}{{end}}
{{with .Integration}}
<p><a href="/">All integrations</a></p>
<h1>{{.Name}}</h1>
<dl>
<dt>State</dt><dd class="state">{{.State}}{{if not .Since.IsZero}} (since {{ago $.Now .Since}}){{end}}</dd>
{{if .Reason}}<dt>Reason</dt><dd>{{.Reason}}</dd>{{end}}
{{if .AuthenticateURL}}<dt>Authorisation</dt><dd>Send the customer's Salesforce admin this link: <a href="{{.AuthenticateURL}}">{{.AuthenticateURL}}</a></dd>{{end}}
<dt>Comments today (UTC)</dt><dd>{{.CommentsToday}} ({{.BillableToday}} billable)</dd>
<dt>Dead letters</dt><dd>{{.DeadLetters}}{{if .ParkedDeadLetters}} ({{.ParkedDeadLetters}} parked){{end}}</dd>
</dl>
<h2>Units</h2>
<div class="scroll"><table>
<thead><tr><th scope="col">Unit</th><th scope="col">State</th><th scope="col">Instance</th></tr></thead>
<tbody>{{range .Units}}<tr><td>{{.Part}}</td><td>{{.State}}</td><td>{{.Instance}}</td></tr>{{end}}</tbody>
</table></div>
<h2>Topics</h2>
<div class="scroll"><table>
<thead><tr><th scope="col">Topic</th><th scope="col">State</th><th scope="col">Holder</th><th scope="col">Last event</th><th scope="col">Lag</th><th scope="col">Checkpoint</th><th scope="col">Received</th><th scope="col">New</th><th scope="col">Updated</th><th scope="col">Upload failures</th></tr></thead>
<tbody>{{range .Topics}}<tr><td>{{.Topic}}</td><td>{{.State}}{{if .Stale}} (stale){{end}}</td><td>{{.Holder}}</td><td>{{ago $.Now .LastEventAt}}</td><td>{{lag .LagSeconds}}</td><td>{{.Checkpoint}}{{if .ReplayExpired}} (expired){{end}}</td><td>{{.Received}}</td><td>{{.New}}</td><td>{{.Updated}}</td><td>{{.UploadFailures}}</td></tr>
{{else}}<tr><td colspan="10">No topic has reported yet.</td></tr>{{end}}</tbody>
</table></div>
{{end}}
` + foot))
