// Command usage prints its usage text with a template built inside a function: the shape that
// keeps method dead-code elimination off in many command-line tools.
package main

import (
	"fmt"
	"os"
	"text/template"
)

type flagInfo struct {
	Name, Default, Help string
}

type usageData struct {
	Program  string
	Version  string
	Flags    []flagInfo
	Env      map[string]string
	Examples []string
	Debug    bool
}

func usage(w *os.File, d usageData) error {
	t, err := template.New("usage").Parse(`Usage: {{.Program}} [flags] FILE...
{{- if .Version}} (version {{.Version}}){{end}}

Flags:
{{- range .Flags}}
  -{{.Name}}{{if .Default}} (default {{printf "%q" .Default}}){{end}}
        {{.Help}}
{{- end}}
{{if .Env}}
Environment:
{{- range $k, $v := .Env}}
  {{$k}}={{$v}}
{{- end}}
{{end}}
{{- with .Examples}}
Examples:{{range $i, $e := .}}
  {{$i}}: {{$e}}{{end}}
{{end}}
{{- if and .Debug (gt (len .Flags) 2)}}debug: {{len .Flags}} flags{{end}}
`)
	if err != nil {
		return err
	}
	return t.Execute(w, d)
}

func main() {
	d := usageData{
		Program: "usage",
		Version: "1.2.3",
		Flags: []flagInfo{
			{Name: "o", Default: "out.txt", Help: "write the result to `file` & <stdout>"},
			{Name: "v", Help: "verbose"},
			{Name: "n", Default: "10", Help: "number of lines"},
		},
		Env:      map[string]string{"USAGE_HOME": "~/.usage", "TMPDIR": "/tmp"},
		Examples: []string{"usage -v a.txt", "usage -o x.txt b.txt"},
		Debug:    len(os.Args) > 1 && os.Args[1] == "-debug",
	}
	if err := usage(os.Stdout, d); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
