// Package pagelib renders text pages with a template embedded in the package, like
// github.com/prometheus/exporter-toolkit's landing page: a constant text, a static data type.
package pagelib

import (
	"bytes"
	_ "embed"
	"fmt"
	"strings"
	"text/template"
)

// Section is a part of a page.
type Section struct {
	Heading string
	Lines   []string
}

// Page is what Render writes.
type Page struct {
	Title    string
	Sections []Section
	Footer   string
}

// Summary counts the page's lines (a method the template calls).
func (p Page) Summary() string {
	n := 0
	for _, s := range p.Sections {
		n += len(s.Lines)
	}
	return fmt.Sprintf("%d section(s), %d line(s)", len(p.Sections), n)
}

//go:embed page.tmpl
var pageText string

// Render returns the page as text.
func Render(p Page) (string, error) {
	t := template.Must(template.New("page").Funcs(template.FuncMap{"upper": strings.ToUpper}).Parse(pageText))
	var b bytes.Buffer
	if err := t.Execute(&b, p); err != nil {
		return "", err
	}
	return b.String(), nil
}
