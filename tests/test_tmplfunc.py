"""A template returned by a function of the module (rakyll/hey's shape), compiled to Go.

fixture_repos/templates/cmd/stats: newTemplate(output) picks among constant texts (an `if` returning
one chain, a `switch` setting the text of another); the summary calls .Total.Seconds on a
time.Duration. Every path is constant: the function is rewritten to return the compiled renderer
chosen by the same value, method DCE goes back on, the output is the same for each branch.

cmd/loadgen: as hey, any other -o value is parsed as a template itself. The constant texts are
compiled; the path left to a template runs on the method-free fork (the risk named), so the
summary's method call is never given to the fork.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from refactor.candidate import Candidate
from refactor.config import Settings, TargetSpec
from refactor.dceloop import LoopResult
from refactor.load import load
from refactor.project import Needs, Project
from refactor.toolchain import find_go
from refactor.typed import TemplateSite
from strategies.dce_blockers import STRATEGY, DceDetails, Fix
from tests.conftest import git
from tests.test_dce_loop import _run, _target, apply_and_build, loop_over, templates_repo

MAINS = ("./cmd/stats", "./cmd/loadgen")
INPUTS = {
    "stats": [[], ["-o", "csv"], ["-o", "short"], ["-o", "other"]],
    "loadgen": [[], ["-o", "csv"], ["-o", "{{len .Lats}} requests, codes {{.CodeDist}}\n"]],
}


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return templates_repo(tmp_path_factory, "tmplfunc")


@pytest.fixture(scope="module")
def looped(repo: Path, tmp_path_factory: pytest.TempPathFactory
           ) -> tuple[Project, list[Candidate], dict[str, LoopResult]]:
    return loop_over(repo, tmp_path_factory, MAINS)


def _sites(project: Project, name: str) -> list[TemplateSite]:
    view = project.typed[_target(project, name)]
    assert view is not None
    return [s for p, s in view.template_sites() if p.endswith("/cmd/" + name)]


@pytest.mark.go
def test_function_site_is_resolved(looped: tuple[Project, list[Candidate], dict[str, LoopResult]]) -> None:
    project, _, _ = looped
    (stats,) = _sites(project, "stats")
    assert stats.kind == "func" and stats.name == "newTemplate" and stats.complete
    assert [m.action for m in stats.methods] == [".Total.Seconds"]
    (load_,) = _sites(project, "loadgen")
    assert load_.rewritable and not load_.complete
    assert "the parameter output of newTemplate" in load_.fallback


@pytest.mark.go
def test_every_constant_path_is_compiled_and_dce_goes_on(
        looped: tuple[Project, list[Candidate], dict[str, LoopResult]], repo: Path, tmp_path: Path) -> None:
    project, combined, results = looped
    assert results["stats"].method_dce and [s.fix for s in results["stats"].steps] == ["template-rewrite"]
    (cand,) = [c for c in combined if c.targets == (_target(project, "stats"),)]
    assert isinstance(cand.details, DceDetails) and cand.confidence == "high"
    assert cand.details.fix in (Fix.TEMPLATE_REWRITE, Fix.ALL_BLOCKERS)
    wt, before, after = apply_and_build(project, cand, repo, tmp_path, "stats", "fn-stats")
    try:
        main = (wt / "cmd/stats/main.go").read_text()
        assert '"text/template"' not in main and "func newTemplate(output string) newTemplateRenderer" in main
        for args in INPUTS["stats"]:
            assert _run(after, args) == _run(before, args), args
    finally:
        git(repo, "worktree", "remove", "--force", str(wt))
    assert not git(repo, "status", "--porcelain")


@pytest.mark.go
def test_a_path_given_at_run_time_keeps_a_template_on_the_fork(
        looped: tuple[Project, list[Candidate], dict[str, LoopResult]], repo: Path, tmp_path: Path) -> None:
    project, combined, results = looped
    assert results["loadgen"].method_dce and [s.fix for s in results["loadgen"].steps] == ["template-fork"]
    (cand,) = [c for c in combined if c.targets == (_target(project, "loadgen"),)]
    assert cand.confidence == "low"  # a template given with -o may call a method: it now fails
    assert "the parameter output of newTemplate" in cand.explanation
    assert ".Total.Seconds" in cand.explanation  # compiled, not left to the fork
    wt, before, after = apply_and_build(project, cand, repo, tmp_path, "loadgen", "fn-loadgen")
    try:
        for args in INPUTS["loadgen"]:
            assert _run(after, args) == _run(before, args), args
        code, out, err = _run(after, ["-o", "{{.Total.Seconds}}"])  # the named risk
        assert code == 1 and "Seconds" in err
        assert _run(before, ["-o", "{{.Total.Seconds}}"])[1] == "1.5"
    finally:
        git(repo, "worktree", "remove", "--force", str(wt))
    assert not git(repo, "status", "--porcelain")


# A function returning the template that cannot be rewritten (here: another use of it), whose
# constant text calls a method, and which also parses a text given at run time: the fork would run
# the constant text and break it, so it is refused, naming the action (issue 17 §3).
REFUSED = '''package main

import (
	"os"
	"text/template"
	"time"
)

type report struct{ Total time.Duration }

func newTemplate(output string) *template.Template {
	text := output
	switch text {
	case "":
		text = "{{.Total.Seconds}}\\n"
	case "short":
		text = "{{.Total}}\\n"
	}
	return template.Must(template.New("r").Parse(text))
}

func main() {
	_ = newTemplate
	format := ""
	if len(os.Args) > 1 {
		format = os.Args[1]
	}
	_ = newTemplate(format).Execute(os.Stdout, report{Total: time.Second})
}
'''


@pytest.mark.go
def test_fork_is_refused_when_a_constant_text_of_the_function_calls_a_method(tmp_path: Path) -> None:
    root = tmp_path / "m"
    root.mkdir()
    (root / "go.mod").write_text("module example.com/m\n\ngo 1.22\n")
    (root / "main.go").write_text(REFUSED)
    project = load(find_go(), Settings(root=root), [TargetSpec()], Needs.SUGGEST)
    props = list(STRATEGY.propose(project, project.settings))
    assert not [p for p in props if isinstance(p, Candidate)]
    (r,) = props
    reason = getattr(r, "reason", "")
    assert "would break templates that call methods" in reason
    assert ".Total.Seconds at r:1:8" in reason and "time.Duration" in reason
    assert "newTemplate, which returns the template, is used at main.go:23" in reason


# html/template, ExecuteTemplate of a {{define}}d name, texts chosen by an if/else chain ending in
# else (the declared value never read), two call sites of the function.
HTML = '''package main

import (
	"html/template"
	"os"
)

type page struct {
	Title string
	Links []string
}

const plain = `{{define "body"}}<h1>{{.Title}}</h1>{{range .Links}}<a title="{{.}}">{{.}}</a>{{end}}{{end}}`

const fancy = `{{define "body"}}<h1 title="{{.Title}}">*{{.Title}}*</h1>{{len .Links}} links{{end}}`

func newPage(style string) *template.Template {
	text := style
	if style == "fancy" {
		text = fancy
	} else {
		text = plain
	}
	return template.Must(template.New("p").Parse(text))
}

func main() {
	p := page{Title: "a <b> & 'c'", Links: []string{"/x?a=1&b=2", "javascript:alert(1)"}}
	style := ""
	if len(os.Args) > 1 {
		style = os.Args[1]
	}
	_ = newPage(style).ExecuteTemplate(os.Stdout, "body", p)
	os.Stdout.WriteString("\\n")
	_ = newPage("fancy").ExecuteTemplate(os.Stdout, "body", p)
}
'''


@pytest.mark.go
def test_html_function_with_execute_template_is_compiled(tmp_path: Path) -> None:
    from refactor.plan import Plan
    from refactor.tmplrewrite import rewrite

    root = tmp_path / "m"
    root.mkdir()
    (root / "go.mod").write_text("module example.com/m\n\ngo 1.22\n")
    (root / "main.go").write_text(HTML)
    project = load(find_go(), Settings(root=root), [TargetSpec()], Needs.GRAPHS | Needs.SOURCES | Needs.TYPED)
    view = project.typed[project.targets[0]]
    assert view is not None
    (site,) = [s for _, s in view.template_sites()]
    assert site.kind == "func" and site.complete and site.library == "html/template", site.refusal
    assert len(site.executions) == 2
    rw = rewrite(project, [site])
    after = tmp_path / "after"
    shutil.copytree(root, after)
    Plan("t", rw.changes).write_to(after)
    assert '"html/template"' not in (after / "main.go").read_text()
    go = find_go()

    def run(d: Path, *args: str) -> str:
        go.run(["build", "-o", str(d / "bin"), "."], cwd=d)
        return subprocess.run([str(d / "bin"), *args], capture_output=True, text=True, check=True).stdout

    go.run(["vet", "."], cwd=after)
    fmt = subprocess.run([str(Path(go.path).with_name("gofmt")), "-l", "."], cwd=after, capture_output=True, text=True)
    assert fmt.stdout == ""
    for args in ([], ["fancy"], ["other"]):
        assert run(after, *args) == run(root, *args), args
    assert "&lt;b&gt; &amp; &#39;c&#39;" in run(root)  # escaped as html/template does
