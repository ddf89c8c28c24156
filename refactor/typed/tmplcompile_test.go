package main

import (
	"strings"
	"testing"
)

const compileLib = `package lib

import (
	"io"
	"strings"
	"text/template"
)

type App struct {
	Name  string
	Items []string
}

func (a *App) Count() int { return len(a.Items) }

var Help = "{{.Name}}: {{join .Items \", \"}} ({{.Count}})\n"

var Shout = "{{shout .Name}}!\n"

var notConst = strings.ToUpper("x")

func shout(s string) string { return strings.ToUpper(s) }

func Run(w io.Writer, text string, data interface{}) error {
	funcs := template.FuncMap{"join": strings.Join, "shout": shout}
	return template.Must(template.New("help").Funcs(funcs).Parse(text)).Execute(w, data)
}
`

func TestCompileNamedTexts(t *testing.T) {
	req := listRequest(t, map[string]string{"lib/lib.go": compileLib})
	const lib = "example.com/m/lib"
	req.Compile = []CompileJob{
		{Package: lib, Var: "Help", Name: "help", Data: "*App", Funcs: map[string]string{"join": "strings.Join"}, FuncName: "renderHelp"},
		{Package: lib, Var: "Shout", Name: "help", Data: "App", Funcs: map[string]string{"shout": "shout"}, FuncName: "renderHelp"},
		{Package: lib, Var: "notConst", Name: "help", Data: "*App", FuncName: "renderX"},
		{Package: lib, Var: "Nope", Name: "help", Data: "*App", FuncName: "renderX"},
		{Package: lib, Var: "Help", Name: "help", Data: "*Nope", FuncName: "renderX"},
		{Package: lib, Var: "Help", Name: "help", Data: "*App", Funcs: map[string]string{"join": "bytes.Join"}, FuncName: "renderX"},
		{Package: lib, Var: "Help", Name: "help", Data: "*App", FuncName: "renderX"},
		{Package: "example.com/m/other", Var: "Help", Name: "help", Data: "*App", FuncName: "renderX"},
	}
	resp := AnalyseCompile(req)
	if len(resp.Results) != len(req.Compile) {
		t.Fatalf("%d results for %d jobs", len(resp.Results), len(req.Compile))
	}
	help := resp.Results[0]
	if help.Refusal != "" || help.Generated == nil {
		t.Fatalf("Help not compiled: %q", help.Refusal)
	}
	if help.Text != "{{.Name}}: {{join .Items \", \"}} ({{.Count}})\n" || help.Line != 16 || !strings.HasSuffix(help.File, "lib/lib.go") {
		t.Errorf("Help's text or place: %q %s:%d", help.Text, help.File, help.Line)
	}
	if help.Generated.Names[0] != "renderHelp" || !strings.Contains(help.Generated.Decls, "strings.Join(") ||
		!strings.Contains(help.Generated.Decls, ".Count()") {
		t.Errorf("Help's code does not call strings.Join and Count directly:\n%s", help.Generated.Decls)
	}
	if len(help.Methods) != 1 || help.Methods[0].Action != ".Count" {
		t.Errorf("Help's methods: %+v", help.Methods)
	}
	shoutRes := resp.Results[1]
	if shoutRes.Generated == nil || shoutRes.Generated.Names[0] != "renderHelp2" || !strings.Contains(shoutRes.Generated.Decls, "shout(") {
		t.Errorf("Shout: the second renderHelp must get a free name and call shout: %+v", shoutRes)
	}
	for i, want := range []string{
		"notConst is not declared with a constant string",
		"has no package-level variable Nope",
		"*Nope is not a type in example.com/m/lib",
		"template function join: example.com/m/lib does not import bytes",
		`function "join" not defined`,
		"package example.com/m/other is not in the request",
	} {
		r := resp.Results[2+i]
		if r.Generated != nil || !strings.Contains(r.Refusal, want) {
			t.Errorf("job %d: refusal %q, want it to contain %q", 2+i, r.Refusal, want)
		}
	}
}
