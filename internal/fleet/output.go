package fleet

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"text/tabwriter"
	"time"
	"unicode"
)

// WriteJSON writes the report as indented JSON (the shape of Report).
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteTable writes one line per cluster for people: project, cluster,
// verdict, last success and its age, last failure, stored backups, the
// release loop's state, Velero version and configuration generation ("-"
// when unknown), the restore
// drill state ("-" when drills are not judged) and the reason, then the
// summary.
func (r *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PROJECT\tCLUSTER\tVERDICT\tLAST SUCCESS\tAGE\tLAST FAILURE\tSTORED\tRELEASE\tVELERO\tCONFIG\tDRILL\tREASON")
	for _, c := range r.Clusters {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n", cell(c.ProjectID), cell(c.ClusterID), cell(string(c.Verdict)),
			cell(backupName(c.LastSuccess)), c.ageText(), cell(backupName(c.LastFailure)), c.Stored, cell(c.ReleaseState()), cell(c.VeleroVersion()), cell(c.ConfigGeneration()), cell(c.DrillStateText()), cell(c.Reason))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if _, err := fmt.Fprintln(w, r.String()); err != nil {
		return err
	}
	return r.writeDrillLines(w)
}

// cell is s as one table cell: quoted (Go syntax, escapes visible) when it
// holds a tab, a line break or any other character that is not printable,
// so a name read from storage cannot forge a row or a column.
func cell(s string) string {
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}

func backupName(b *Backup) string {
	if b == nil {
		return "-"
	}
	return b.Name
}

// ReleaseState is the release loop's state of the cluster, or "-".
func (s Status) ReleaseState() string {
	if s.Release == nil || s.Release.State == "" {
		return "-"
	}
	return s.Release.State
}

// VeleroVersion is the Velero version the release loop rendered for the
// cluster, or "-".
func (s Status) VeleroVersion() string {
	if s.Release == nil || s.Release.VeleroVersion == "" {
		return "-"
	}
	return s.Release.VeleroVersion
}

// ConfigGeneration is the render configuration generation the release loop
// last applied to the cluster, or "-".
func (s Status) ConfigGeneration() string {
	if s.Release == nil || s.Release.Generation == "" {
		return "-"
	}
	return s.Release.Generation
}

// ageText is the age of the last success, rounded for people.
func (s Status) ageText() string {
	if s.Age == nil {
		return "-"
	}
	return humanDuration(time.Duration(*s.Age))
}

// ageSeconds is the age in seconds, or "" (sorted last) without a success.
func (s Status) ageSeconds() string {
	if s.Age == nil {
		return ""
	}
	return strconv.FormatInt(int64(time.Duration(*s.Age)/time.Second), 10)
}

// humanDuration rounds d to its two largest units: 3d4h, 5h12m, 42s.
func humanDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return d.Truncate(time.Second).String()
	case d < time.Hour:
		return fmt.Sprintf("%dm%ds", d/time.Minute, d%time.Minute/time.Second)
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh%dm", d/time.Hour, d%time.Hour/time.Minute)
	}
	return fmt.Sprintf("%dd%dh", d/(24*time.Hour), d%(24*time.Hour)/time.Hour)
}

//go:embed report.html.tmpl
var reportHTML string

var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"name": backupName,
	"time": func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	},
	"completed": func(b *Backup) *time.Time {
		if b == nil {
			return nil
		}
		if b.Completed != nil {
			return b.Completed
		}
		return b.Started
	},
	"strip": strip,
}).Parse(reportHTML))

// htmlProject is one project's rows.
type htmlProject struct {
	ID       string
	Clusters []Status
	Worst    Verdict
}

// WriteHTML writes a self-contained page (inline CSS and JavaScript, no
// external reference): the summary, then one table body per project with a
// row per cluster coloured by verdict, and sortable columns (click a
// header, or open the page with #sort=<column> or #sort=-<column>; columns
// cluster, verdict, age, stored, release). Rows carry data-project,
// data-cluster, data-verdict, data-age and data-release attributes for
// scripts and tests; the Release column shows the release loop's state and
// Velero version ("-" when unknown).
func (r *Report) WriteHTML(w io.Writer) error {
	var projects []*htmlProject
	for _, c := range r.Clusters {
		if len(projects) == 0 || projects[len(projects)-1].ID != c.ProjectID {
			projects = append(projects, &htmlProject{ID: c.ProjectID, Worst: Protected})
		}
		p := projects[len(projects)-1]
		p.Clusters = append(p.Clusters, c)
		if c.Verdict.rank() < p.Worst.rank() {
			p.Worst = c.Verdict
		}
	}
	return reportTemplate.Execute(w, map[string]any{"Report": r, "Projects": projects, "Verdicts": Verdicts, "Drills": r.DrillSummary() != nil, "From": r.historyFrom()})
}

// Rank is the verdict's position, worst first (for sorting by verdict).
func (v Verdict) Rank() int { return v.rank() }

// AgeText is the age of the last success for people, or "-".
func (s Status) AgeText() string { return s.ageText() }

// AgeSeconds is the age of the last success in whole seconds, or "".
func (s Status) AgeSeconds() string { return s.ageSeconds() }
