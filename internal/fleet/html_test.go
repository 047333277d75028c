package fleet_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/clusterbackup/clusterbackup/internal/fleet"
	"github.com/clusterbackup/clusterbackup/internal/fleet/fleettest"
	"github.com/clusterbackup/clusterbackup/internal/s3check"
	"github.com/clusterbackup/clusterbackup/internal/testenv"
	"github.com/clusterbackup/clusterbackup/internal/testenv/browser"
)

// domRows parses chromium's --dump-dom output with fleettest.ParseDOM.
func domRows(t *testing.T, dom string) ([]fleettest.Row, map[string]string, map[string]string) {
	t.Helper()
	d, err := fleettest.ParseDOM(dom)
	mustNoErr(t, err)
	return d.Rows, d.Body, d.Summary
}

// noExternalReference fails when the page could load anything: an element
// with a src, href, srcset, action, data or poster attribute, a link,
// iframe, object, embed, img or base element, or CSS url()/@import.
func noExternalReference(t *testing.T, page []byte) {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(page))
	mustNoErr(t, err)
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "link", "iframe", "object", "embed", "img", "base", "frame", "audio", "video", "source":
				t.Errorf("the page holds a <%s> element", n.Data)
			case "style":
				if css := fleettest.Text(n); strings.Contains(css, "url(") || strings.Contains(css, "@import") {
					t.Errorf("the page's CSS loads something: %q", css)
				}
			}
			for _, a := range n.Attr {
				switch strings.ToLower(a.Key) {
				case "src", "href", "srcset", "action", "formaction", "data", "poster", "background":
					t.Errorf("<%s> has %s=%q", n.Data, a.Key, a.Val)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if !bytes.Contains(page, []byte(`content="default-src 'none'`)) {
		t.Error("the page has no Content-Security-Policy that forbids loading")
	}
}

// TestHTMLReportInBrowser renders the fixture fleet's report, loads it in
// headless chromium and checks the rows and verdicts in the DOM after the
// scripts ran, sorting through the URL fragment, escaping of texts taken
// from storage, and saves a screenshot into the artifacts directory.
func TestHTMLReportInBrowser(t *testing.T) {
	chromium := browser.Start(t)
	_, clusters, now := fixtureFleet(t)
	rep := fleet.Inventory(context.Background(), clusters, fleet.Options{
		Checker: s3check.New(s3check.Options{Policy: allowLoopback}),
		Now:     func() time.Time { return now },
	})
	var page bytes.Buffer
	mustNoErr(t, rep.WriteHTML(&page))
	noExternalReference(t, page.Bytes())
	dir := testenv.ArtifactsDir(t)
	file := filepath.Join(dir, "fleet.html")
	mustNoErr(t, os.WriteFile(file, page.Bytes(), 0o644))

	rows, body, summary := domRows(t, chromium.DumpDOM(file, ""))
	if len(rows) != len(rep.Clusters) || body["data-clusters"] != strconv.Itoa(len(rep.Clusters)) {
		t.Fatalf("DOM has %d rows (body says %s), report %d clusters", len(rows), body["data-clusters"], len(rep.Clusters))
	}
	for i, c := range rep.Clusters {
		r := rows[i]
		if r.Project != c.ProjectID || r.Cluster != c.ClusterID || r.Verdict != string(c.Verdict) || r.Badge != string(c.Verdict) || r.Age != c.AgeSeconds() {
			t.Errorf("row %d = %+v, want %s/%s %s age %q", i, r, c.ProjectID, c.ClusterID, c.Verdict, c.AgeSeconds())
		}
	}
	for _, v := range fleet.Verdicts {
		if summary[string(v)] != strconv.Itoa(rep.Summary[v]) {
			t.Errorf("summary %s = %q, want %d", v, summary[string(v)], rep.Summary[v])
		}
	}
	if strings.Contains(page.String(), "<img src=x") {
		t.Error("a failure reason from storage reached the page unescaped")
	}

	// #sort=-age: within each project the oldest success first, clusters
	// without any success (no age) before them.
	sorted, body, _ := domRows(t, chromium.DumpDOM(file, "sort=-age"))
	if body["data-sorted"] != "-age" {
		t.Fatalf("body data-sorted = %q after #sort=-age: the script did not run", body["data-sorted"])
	}
	var proj1 []string
	for _, r := range sorted {
		if r.Project == "proj1" {
			proj1 = append(proj1, r.Cluster+"="+r.Age)
		}
	}
	want := []string{"cnever=", "cnosecret=", "clate=", "cfail=", "cprot=", "cmanual="}
	if strings.Join(proj1, " ") != strings.Join(ages(rep, want), " ") {
		t.Fatalf("proj1 sorted by -age: %v, want %v", proj1, ages(rep, want))
	}
	sorted, _, _ = domRows(t, chromium.DumpDOM(file, "sort=verdict"))
	for i := 1; i < len(sorted); i++ {
		if sorted[i].Project == sorted[i-1].Project && rank(sorted[i].Verdict) < rank(sorted[i-1].Verdict) {
			t.Fatalf("sort=verdict: %s (%s) after %s (%s)", sorted[i].Cluster, sorted[i].Verdict, sorted[i-1].Cluster, sorted[i-1].Verdict)
		}
	}

	shot := filepath.Join(dir, "fleet.png")
	chromium.Screenshot(file, shot)
	t.Logf("HTML report and screenshot: %s, %s", file, shot)
}

func ages(rep *fleet.Report, names []string) []string {
	st := byID(rep)
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = strings.TrimSuffix(n, "=") + "=" + st[strings.TrimSuffix(n, "=")].AgeSeconds()
	}
	return out
}

func rank(v string) int {
	for i, x := range fleet.Verdicts {
		if string(x) == v {
			return i
		}
	}
	return len(fleet.Verdicts)
}
