// Package help prints the help of a command set with a template built inside a function: a function
// of the module and two of the standard library installed with Funcs, {{define}} and {{template}},
// ExecuteTemplate.
package help

import (
	"io"
	"strings"
	"text/template"
)

// Command is one subcommand.
type Command struct {
	Name, Summary string
	Aliases       []string
}

type helpData struct {
	Program  string
	Commands []Command
}

func indent(n int, s string) string { return strings.Repeat(" ", n) + s }

// Print writes the help of the commands to w.
func Print(w io.Writer, program string, cmds []Command) error {
	t := template.Must(template.New("help").Funcs(template.FuncMap{
		"indent": indent,
		"upper":  strings.ToUpper,
		"join":   strings.Join,
	}).Parse(`{{define "cmd"}}{{indent 2 .Name}}{{if .Aliases}} ({{join .Aliases ", "}}){{end}}: {{.Summary}}
{{end}}{{define "main"}}{{upper .Program}} commands:
{{range .Commands}}{{template "cmd" .}}{{else}}  (none)
{{end}}{{end}}`))
	return t.ExecuteTemplate(w, "main", helpData{Program: program, Commands: cmds})
}
