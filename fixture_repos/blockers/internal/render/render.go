// Package render prints items with a text/template. The template only
// substitutes fields, but executing any template reaches
// reflect.Value.MethodByName with a non-constant name inside
// text/template, which disables method dead-code elimination for the
// whole binary.
package render

import (
	"io"
	"text/template"

	"example.com/blockers/internal/model"
)

var lineTmpl = template.Must(template.New("line").Parse("{{.Name}}: {{.Count}}\n"))

// Items writes one line per item to w.
func Items(w io.Writer, items []model.Item) error {
	for _, it := range items {
		if err := lineTmpl.Execute(w, it); err != nil {
			return err
		}
	}
	return nil
}
