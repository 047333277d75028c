package fleettest

import (
	"strings"

	"golang.org/x/net/html"
)

// Row is one cluster row of the HTML report as a browser's DOM has it.
type Row struct {
	// Project, Cluster, Verdict and Age are the row's data-* attributes.
	Project, Cluster, Verdict, Age string
	// Badge is the text of the verdict badge.
	Badge string
	// LastSuccess is the text of the "Last success" cell.
	LastSuccess string
}

// DOM is what the tests read from a report page.
type DOM struct {
	// Rows are the cluster rows in document order.
	Rows []Row
	// Body holds the body element's attributes (data-sorted after a sort).
	Body map[string]string
	// Summary maps each verdict to the count the page shows.
	Summary map[string]string
}

// ParseDOM parses a serialized report page (chromium --dump-dom).
func ParseDOM(dom string) (*DOM, error) {
	doc, err := html.Parse(strings.NewReader(dom))
	if err != nil {
		return nil, err
	}
	d := &DOM{Body: map[string]string{}, Summary: map[string]string{}}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			a := Attrs(n)
			switch {
			case n.Data == "body":
				d.Body = a
			case n.Data == "tr" && a["data-cluster"] != "":
				r := Row{Project: a["data-project"], Cluster: a["data-cluster"], Verdict: a["data-verdict"], Age: a["data-age"], Badge: Text(Find(n, "span"))}
				if tds := cells(n); len(tds) > 2 {
					r.LastSuccess = Text(tds[2])
				}
				d.Rows = append(d.Rows, r)
			case n.Data == "div" && a["data-summary"] != "":
				d.Summary[a["data-summary"]] = Text(Find(n, "b"))
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return d, nil
}

func cells(tr *html.Node) []*html.Node {
	var out []*html.Node
	for c := tr.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && c.Data == "td" {
			out = append(out, c)
		}
	}
	return out
}

// Attrs returns an element's attributes.
func Attrs(n *html.Node) map[string]string {
	m := map[string]string{}
	for _, a := range n.Attr {
		m[a.Key] = a.Val
	}
	return m
}

// Find returns the first element named tag at or below n, or nil.
func Find(n *html.Node, tag string) *html.Node {
	if n.Type == html.ElementNode && n.Data == tag {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if f := Find(c, tag); f != nil {
			return f
		}
	}
	return nil
}

// Text returns the trimmed text below n ("" for nil).
func Text(n *html.Node) string {
	if n == nil {
		return ""
	}
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.TrimSpace(b.String())
}
