"""Template sites of the typed view (`templates` subcommand) and their rewrite to Go (refactor.tmplrewrite).

One module holds every shape gotrim follows (package-level and local variables, Must or `t, err :=`,
an inline chain, Funcs with module, standard and literal functions, Delims, Option, ParseFS of embedded
files, an embedded text variable, ExecuteTemplate, html/template with an attribute) and the bad inputs
it must refuse with the call site (a text from an argument, a template passed to a function, a template
that does not parse, data whose type is an interface). The rewritten program must build, vet, be
gofmt-clean and print the same bytes.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from refactor.config import Settings, TargetSpec
from refactor.load import load
from refactor.plan import Plan
from refactor.project import Needs, Project
from refactor.tmplrewrite import generated_path, rewrite
from refactor.toolchain import find_go
from refactor.typed import TemplateSite

MAIN = r'''package main

import (
	"embed"
	"fmt"
	htmpl "html/template"
	"io"
	"os"
	"strings"
	"text/template"
)

//go:embed tmpl/*.tmpl
var tmplFS embed.FS

//go:embed banner.txt
var bannerText string

const greeting = "Hello, {{.}}!\n"

var pkgTmpl = template.Must(template.New("pkg").Delims("[[", "]]").Parse("pkg: [[.Name]] [[len .Items]]\n"))

var funcs = template.FuncMap{
	"shout": func(s string) string { return strings.ToUpper(s) + "!" },
	"twice": twice,
	"trim":  strings.TrimSpace,
}

func twice(n int) int { return 2 * n }

type item struct {
	Name  string
	Items []int
	Note  *string
}

func (i item) Label() string { return "<" + i.Name + ">" }

func local(w io.Writer, it item) error {
	t, err := template.New("local").Funcs(funcs).Parse(`{{shout .Name}} {{twice (len .Items)}} {{.Label}} {{trim " x "}}
`)
	if err != nil {
		return err
	}
	return t.Execute(w, it)
}

func reused(w io.Writer, it item) (err error) {
	t, err := template.New("reuse").Option("missingkey=zero").Parse("{{.Name}} {{.Note}}\n")
	if err != nil {
		return err
	}
	err = t.Execute(w, it)
	return err
}

func inline(w io.Writer) error {
	return template.Must(template.New("inline").Parse(greeting)).Execute(w, "world")
}

func fromFS(w io.Writer, it item) error {
	t := template.Must(template.ParseFS(tmplFS, "tmpl/*.tmpl"))
	return t.ExecuteTemplate(w, "b.tmpl", it)
}

func banner(w io.Writer) error {
	t := template.Must(template.New("banner").Parse(bannerText))
	return t.Execute(w, 42)
}

func page(w io.Writer, it item) error {
	t := htmpl.Must(htmpl.New("h").Parse(`<a title="{{.Name}}">{{.Name}}</a>` + "\n"))
	return t.Execute(w, it)
}

type renderer struct{ tmpl *template.Template }

func newRenderer() (renderer, error) {
	tmpl, err := template.New("field").Parse("field: {{.Name}} {{.Label}}\n")
	if err != nil {
		return renderer{}, err
	}
	return renderer{tmpl: tmpl}, nil
}

func (r renderer) render(w io.Writer, it item) error { return r.tmpl.Execute(w, it) }

func fromArg(w io.Writer, text string) error {
	t := template.Must(template.New("arg").Parse(text))
	return t.Execute(w, "arg")
}

func passed(w io.Writer) error {
	t := template.Must(template.New("p").Parse("passed\n"))
	return run(t, w)
}

func run(t *template.Template, w io.Writer) error { return t.Execute(w, nil) }

func broken(w io.Writer) error {
	t, err := template.New("broken").Parse("{{.Name")
	if err != nil {
		return err
	}
	return t.Execute(w, item{})
}

func anyData(w io.Writer, v any) error {
	t := template.Must(template.New("any").Parse("{{.Name}}\n"))
	return t.Execute(w, v)
}

func main() {
	note := "a & b"
	it := item{Name: "Tom <T>", Items: []int{1, 2, 3}, Note: &note}
	w := os.Stdout
	r, _ := newRenderer()
	for _, err := range []error{
		r.render(w, it),
		pkgTmpl.Execute(w, it), local(w, it), reused(w, it), reused(w, item{}), inline(w), fromFS(w, it),
		banner(w), page(w, it), fromArg(w, "{{.}}\n"), passed(w), broken(w), anyData(w, it),
	} {
		if err != nil {
			fmt.Println("error:", err)
		}
	}
}
'''

FILES = {
    "go.mod": "module example.com/shapes\n\ngo 1.22\n",
    "main.go": MAIN,
    "tmpl/a.tmpl": "{{define \"row\"}}[{{.}}]{{end}}",
    "tmpl/b.tmpl": "b: {{.Name}} {{range .Items}}{{template \"row\" .}}{{end}}\n",
    "banner.txt": "== {{.}} ==\n",
}
REWRITABLE = {"pkgTmpl", "local", "reuse", "inline", "b.tmpl", "banner", "h", "tmpl"}


@pytest.fixture(scope="module")
def shapes(tmp_path_factory: pytest.TempPathFactory) -> Project:
    root = tmp_path_factory.mktemp("shapes") / "m"
    for name, text in FILES.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return load(find_go(), Settings(root=root), [TargetSpec()], Needs.GRAPHS | Needs.SOURCES | Needs.TYPED)


def _sites(project: Project) -> list[TemplateSite]:
    view = project.typed[project.targets[0]]
    assert view is not None
    return [s for _, s in view.template_sites()]


def _key(s: TemplateSite) -> str:
    if s.name not in ("", "t"):
        return s.name
    return next((x.entry for x in s.executions if x.entry), s.root or s.kind)  # the New name, else the kind


def _line(text: str, needle: str) -> int:
    return next(i for i, ln in enumerate(text.splitlines(), 1) if needle in ln)


@pytest.mark.go
def test_every_shape_is_found_and_each_bad_input_is_refused_at_its_call_site(shapes: Project) -> None:
    sites = {_key(s): s for s in _sites(shapes)}
    assert {k for k, s in sites.items() if s.rewritable} == REWRITABLE
    assert sites["pkgTmpl"].kind == "package-var" and sites["local"].kind == "local"
    assert sites["inline"].kind == "inline" and sites["b.tmpl"].source == "embed"
    assert sites["tmpl"].kind == "field" and sites["tmpl"].root == "field"  # held in a struct field
    assert sites["b.tmpl"].files == ("tmpl/a.tmpl", "tmpl/b.tmpl") and sites["b.tmpl"].root == "a.tmpl"
    assert [x.entry for x in sites["b.tmpl"].executions] == ["b.tmpl"]
    assert sites["local"].methods and sites["local"].methods[0].name == "Label"  # a method call, compiled
    arg = sites["arg"]
    assert arg.refusal is not None and "not a constant" in arg.refusal.reason
    arg_line = _line(MAIN, 'template.New("arg")')
    assert arg.refusal.where == f"main.go:{arg_line}"
    assert arg.methods_unknown
    param = sites["unknown"]  # run's parameter: built elsewhere (passed executes nothing itself)
    assert param.refusal is not None and "parameter t of run" in param.refusal.reason
    assert param.refusal.where == f"main.go:{_line(MAIN, 'func run(')}"
    assert "does not parse" in str(sites["broken"].refusal)
    anyd = sites["any"]
    assert anyd.refusal is not None and "dynamic type" in anyd.refusal.reason
    assert anyd.refusal.where == f"main.go:{_line(MAIN, 'return t.Execute(w, v)')}"


@pytest.mark.go
def test_rewritten_program_builds_vets_and_prints_the_same_bytes(shapes: Project, tmp_path: Path) -> None:
    go = find_go()
    rewritable = [s for s in _sites(shapes) if s.rewritable]
    rw = rewrite(shapes, rewritable)
    assert rw.generated == ("main_tmpl.go",)
    after = tmp_path / "after"
    shutil.copytree(shapes.root, after)
    Plan("t", rw.changes).write_to(after)
    main = (after / "main.go").read_text()
    assert "var tmplFS" not in main and "var bannerText" not in main and "var pkgTmpl" not in main
    assert '"embed"' not in main  # only the rewritten construction used it
    assert '"text/template"' in main  # the refused sites still use it

    def run(root: Path) -> str:
        go.run(["build", "-o", str(root / "bin"), "."], cwd=root)
        return subprocess.run([str(root / "bin")], capture_output=True, text=True, check=True).stdout

    before_out = run(shapes.root)
    go.run(["vet", "."], cwd=after)
    fmt = subprocess.run([str(Path(go.path).with_name("gofmt")), "-l", "."], cwd=after, capture_output=True, text=True)
    assert fmt.stdout == ""
    assert run(after) == before_out
    assert "pkg: Tom <T> 3" in before_out and "error:" in before_out


def test_generated_file_keeps_the_name_suffix() -> None:
    assert generated_path("cmd/x/main.go", set()) == "cmd/x/main_tmpl.go"
    assert generated_path("p/io_linux.go", set()) == "p/io_tmpl_linux.go"
    assert generated_path("p/io_linux_arm64.go", set()) == "p/io_tmpl_linux_arm64.go"
    assert generated_path("p/x.go", {"p/x_tmpl.go"}) == "p/x_tmpl2.go"
    assert generated_path("main.go", set()) == "main_tmpl.go"
