package salesforce_test

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// browser is an HTTP client that behaves like a person's browser for the
// login: it trusts the simulator's CA and follows redirects.
func browser(t testing.TB, caFile string) *http.Client {
	t.Helper()
	pem, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// page is a fetched HTML page.
type page struct {
	url    *url.URL
	status int
	body   string
}

func get(t testing.TB, c *http.Client, target string) page {
	t.Helper()
	resp, err := c.Get(target)
	if err != nil {
		t.Fatal(err)
	}
	return readPage(t, resp)
}

func readPage(t testing.TB, resp *http.Response) page {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return page{url: resp.Request.URL, status: resp.StatusCode, body: string(b)}
}

// submit fills the page's form as a person would: hidden inputs as they
// are, and the button whose value is choice; then follows the redirects.
func submit(t testing.TB, c *http.Client, p page, choice string) page {
	t.Helper()
	action, fields, err := parseForm(p.body, choice)
	if err != nil {
		t.Fatalf("%v in page %s", err, p.body)
	}
	resp, err := c.PostForm(p.url.ResolveReference(&url.URL{Path: action}).String(), fields)
	if err != nil {
		t.Fatal(err)
	}
	return readPage(t, resp)
}

func parseForm(body, choice string) (action string, fields url.Values, err error) {
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		return "", nil, err
	}
	fields = url.Values{}
	found := false
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			attrs := map[string]string{}
			for _, a := range n.Attr {
				attrs[a.Key] = a.Val
			}
			switch {
			case n.Data == "form":
				action = attrs["action"]
			case n.Data == "input" && attrs["type"] == "hidden":
				fields.Set(attrs["name"], attrs["value"])
			case n.Data == "button" && attrs["value"] == choice:
				fields.Set(attrs["name"], attrs["value"])
				found = true
			}
		}
		for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
			walk(ch)
		}
	}
	walk(doc)
	if action == "" || !found {
		return "", nil, fmt.Errorf("no form with a %q button", choice)
	}
	return action, fields, nil
}
