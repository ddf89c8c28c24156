// Package render executes a package-level template imported under another name.
package render

import (
	"io"
	tt "text/template"
)

var report = tt.Must(tt.New("report").Parse("{{range .}}{{.Name}}: {{.Value}}\n{{end}}"))

// Row is one line of the report.
type Row struct {
	Name  string
	Value float64
}

// Report writes the rows.
func Report(w io.Writer, rows []Row) error { return report.Execute(w, rows) }
