package onboard

import (
	"bytes"
	"html/template"
	"net/http"
)

// page is what every onboarding page shows.
type page struct {
	Title       string
	Integration string
	OK          bool
	Problem     string
	Fix         string
	Code        string // Salesforce's error code, when it sent one
	Description string
}

var pageTemplate = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · sfcdc</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;color:#1a1a1a;background:#fff;margin:0;line-height:1.5}
main{max-width:40rem;margin:0 auto;padding:1.5rem 1rem}
h1{font-size:1.6rem;margin:0 0 1rem}
.ok{border-left:.4rem solid #1b6e2d;padding-left:1rem}
.problem{border-left:.4rem solid #a3001b;padding-left:1rem}
dt{font-weight:600}
code{background:#f0f0f0;padding:0 .2rem;word-break:break-all}
</style>
</head>
<body>
<main>
<section class="{{if .OK}}ok{{else}}problem{{end}}" aria-labelledby="title">
<h1 id="title">{{.Title}}</h1>
{{if .Integration}}<p>Integration: <strong>{{.Integration}}</strong></p>{{end}}
<p>{{.Problem}}</p>
{{if .Code}}<dl><dt>Salesforce's error</dt><dd><code>{{.Code}}</code>{{if .Description}}: {{.Description}}{{end}}</dd></dl>{{end}}
<h2>What to do</h2>
<p>{{.Fix}}</p>
</section>
</main>
</body>
</html>
`))

func (p *pages) show(w http.ResponseWriter, status int, pg page) {
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, pg); err != nil {
		http.Error(w, "page rendering failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
