"""A template blocker inside a dependency (issue 17 §5) on fixture_repos/tmpldep: example.com/helpcli,
a stand-in for urfave/cli v1 served from a module proxy on disk (tests/goproxy.py), renders its help
with text/template on a text and a value passed as interface{} (templates calling methods, a FuncMap
with strings.Join and a function of the library). The dependency patch compiles its default texts to
Go in a copy of the module; text/template stays only for other texts, behind a tag."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from refactor.errors import GotrimError
from refactor.tmpldep import ENV, libraries, library_for
from tests.conftest import FIXTURES
from tests.goproxy import environment, go_sum
from tests.test_guard_shapes import build, go, run

MODULE = "example.com/helpcli"
TAG = "helpcli_omit_templates"
# help of the application, of commands (by name, alias, `help CMD`, `CMD -h`), a command with a category,
# an unknown topic, and runs that print no help
RUNS = ([], ["--help"], ["-h"], ["help"], ["help", "add"], ["a", "-h"], ["export", "--help"], ["help", "list"],
        ["help", "import"], ["import", "-h"], ["help", "nosuch"], ["--version"], ["add", "x", "y"], ["list"],
        ["show", "abc"], ["show"], ["page"], ["page", "a", "b"])


def test_the_profiles_load(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(ENV, raising=False)
    cli = library_for("github.com/urfave/cli")
    assert cli is not None and cli.function == "executeHelpTemplate" and cli.funcs == {"join": "strings.Join"}
    assert [(t.var, t.data) for t in cli.texts] == [("AppHelpTemplate", "*App"), ("SubcommandHelpTemplate", "*App"),
                                                     ("CommandHelpTemplate", "Command")]
    assert all(old.count("\n") >= 1 and old != new for old, new in cli.edits)
    assert library_for(MODULE) is None
    monkeypatch.setenv(ENV, str(FIXTURES / "tmpldep" / "template_deps.toml"))
    assert [lib.module for lib in libraries()] == ["github.com/urfave/cli", "github.com/alecthomas/kingpin/v2", MODULE]
    kingpin = library_for("github.com/alecthomas/kingpin/v2")
    assert kingpin is not None and kingpin.parse_errors == "return" and kingpin.closures["Char"] == "func(rune) string"
    monkeypatch.setenv(ENV, str(tmp_path / "missing.toml"))
    with pytest.raises(GotrimError, match="GOTRIM_TEMPLATE_DEPS"):
        libraries()
    bad = tmp_path / "bad.toml"
    bad.write_text("[[library]\n")
    monkeypatch.setenv(ENV, str(bad))
    with pytest.raises(GotrimError, match="fix the TOML"):
        libraries()
    bad.write_text('[[library]]\nmodule = "example.com/x"\nsymbol = "example.com/x.f"\n')
    with pytest.raises(GotrimError, match=r"profile 1 \(example.com/x\) lacks file, template, function, text"):
        libraries()


@pytest.mark.parametrize(("module", "line", "custom"), [
    pytest.param("github.com/urfave/cli", 'cli.AppHelpTemplate = "x"', True, id="urfave-var"),
    pytest.param("github.com/urfave/cli", "app.CustomAppHelpTemplate = t", True, id="urfave-field"),
    pytest.param("github.com/urfave/cli", "cli.HelpPrinter = myPrinter", True, id="urfave-printer"),
    pytest.param("github.com/urfave/cli", "cli.VersionPrinter = printVersion", False, id="urfave-version"),
    pytest.param("github.com/alecthomas/kingpin/v2", "app.UsageTemplate(kingpin.CompactUsageTemplate)", False,
                 id="kingpin-own-text"),
    pytest.param("github.com/alecthomas/kingpin/v2", "app.UsageTemplate(myUsage)", True, id="kingpin-other-text"),
    pytest.param("github.com/alecthomas/kingpin/v2", "kingpin.DefaultUsageTemplate = x", True, id="kingpin-var"),
    pytest.param("github.com/alecthomas/kingpin/v2", "if kingpin.DefaultUsageTemplate == x {", False,
                 id="kingpin-compare"),
    pytest.param("github.com/alecthomas/kingpin/v2", "app.UsageFuncs(template.FuncMap{})", True, id="kingpin-funcs"),
])
def test_what_gives_a_template_of_its_own(monkeypatch: pytest.MonkeyPatch, module: str, line: str,
                                          custom: bool) -> None:
    from refactor.tmpldep import customization_pattern

    monkeypatch.delenv(ENV, raising=False)
    lib = library_for(module)
    assert lib is not None
    assert bool(customization_pattern(lib).search(line)) is custom


def _compiled(var: str, data: str, refusal: str = "") -> object:
    from refactor.tmpldep import CompiledText

    return CompiledText(MODULE, var, data, "text", "template.go", 1, "" if refusal else "func render() {}\n", (),
                        () if refusal else (f"render{var}",), refusal, ())


@pytest.mark.parametrize(("change", "why"), [
    pytest.param("refusal", "AppHelpTemplate with *App: the data's type is not known", id="text-refused"),
    pytest.param("missing", "CommandHelpTemplate was not compiled", id="text-missing"),
    pytest.param("edit", "help.go of example.com/helpcli does not have the code the patch expects once", id="edit"),
    pytest.param("taken", "indent is declared in", id="name-taken"),
])
def test_a_patch_that_cannot_be_made_says_why(monkeypatch: pytest.MonkeyPatch, change: str, why: str) -> None:
    import dataclasses
    from types import SimpleNamespace

    from refactor.tmpldep import NotCompilable, patch_files

    monkeypatch.setenv(ENV, str(FIXTURES / "tmpldep" / "template_deps.toml"))
    lib = library_for(MODULE)
    assert lib is not None
    compiled = [_compiled("AppHelpTemplate", "*App"), _compiled("CommandHelpTemplate", "Command")]
    if change == "refusal":
        compiled[0] = _compiled("AppHelpTemplate", "*App", "the data's type is not known")
    elif change == "missing":
        compiled.pop()
    elif change == "edit":
        lib = dataclasses.replace(lib, edits=(("\tnot in help.go\n", ""),))
    elif change == "taken":
        lib = dataclasses.replace(lib, function="indent")
    from refactor.sources import SourceIndex

    project = SimpleNamespace(sources=SourceIndex(FIXTURES / "tmpldep", "example.com/tmpldep", []))
    with pytest.raises(NotCompilable, match=why.replace("*", r"\*")):
        patch_files(project, lib, str(FIXTURES / "tmpldep" / "_modules" / f"{MODULE}@v1.0.0"),  # type: ignore[arg-type]
                    compiled, TAG)  # type: ignore[arg-type]


def test_the_fixtures_go_sum_is_its_modules() -> None:
    assert (FIXTURES / "tmpldep" / "go.sum").read_text() == go_sum(FIXTURES / "tmpldep")


@pytest.fixture
def tmpldep_repo(fixture_repo: Callable[[str], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = fixture_repo("tmpldep")
    for k, v in environment(FIXTURES / "tmpldep", tmp_path / "goenv").items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv(ENV, str(root / "template_deps.toml"))
    proc = subprocess.run(["go", "mod", "download"], cwd=root, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return root


@pytest.mark.go
def test_a_dependency_template_is_compiled_in_a_patch(tmpldep_repo: Path, tmp_path: Path) -> None:
    """cmd/tool shows only helpcli's default help, prints records with a template of its own and pages with
    pagelib (a template embedded in that dependency, constant text, static data): the DCE loop patches
    helpcli (its default texts compiled to Go, text/template behind a tag), patches pagelib (its template
    compiled to Go: no tag, nothing is left out) and compiles the program's template, in the order the
    linker names them. Built with the tag, method DCE is on, the binary shrinks and every help and page
    prints HEAD's bytes.
    cmd/custom sets its own AppHelpTemplate: that is named as the blocker, and without the tag the copy
    still runs it."""
    from refactor.candidate import Candidate, Refusal
    from refactor.cli import main
    from refactor.config import Settings, TargetSpec
    from refactor.dceloop import with_loops
    from refactor.load import load
    from refactor.project import Needs
    from refactor.toolchain import find_go
    from strategies.dce_blockers import DceDetails, Fix, blocker_fixes
    from strategies.dce_blockers import propose as dce_propose

    root = tmpldep_repo
    project = load(find_go(), Settings(root=root), [TargetSpec(mains=("./cmd/tool", "./cmd/custom"))], Needs.SUGGEST)
    by_name = {t.name: t for t in project.targets}
    (fix,) = blocker_fixes(project, by_name["custom"])
    assert isinstance(fix.proposal, Refusal)
    assert "cmd/custom/main.go:12: AppHelpTemplate" in fix.proposal.reason
    cands = [c for c in dce_propose(project, project.settings) if isinstance(c, Candidate)]
    combined, loops = with_loops(project, cands)
    (loop,) = [r for r in loops if r.target == by_name["tool"]]
    assert loop.method_dce and not loop.remaining and len(loop.steps) == 3, loop
    assert {s.fix for s in loop.steps} == {Fix.TEMPLATE_REWRITE.value}
    (c,) = [c for c in combined if c.targets == (by_name["tool"],)]
    assert isinstance(c.details, DceDetails) and c.details.fix is Fix.ALL_BLOCKERS
    assert c.variant_tags == (TAG,) and c.cost == "patch"
    dest = f"third_party/{MODULE}"
    pages = "third_party/example.com/pagelib"
    assert {f"{dest}/LICENSE", f"{dest}/help.go", f"{dest}/help_compiled.go", f"{dest}/help_template.go",
            f"{dest}/help_notemplate.go", f"{dest}.patch", "go.mod", "cmd/tool/main.go", f"{pages}/page.go",
            f"{pages}/page_tmpl.go", f"{pages}/page.tmpl", f"{pages}.patch"} <= set(c.plan.files())
    step = next(s for s in loop.steps if "pagelib" in s.summary)
    assert step.summary == (f"patch example.com/pagelib@v1.0.0 (copied to {pages}): example.com/pagelib's 1 "
                            "template compiled to Go") and step.variant_tags == ()
    # the dependency's patch alone, as dce-blockers proposes it for helpcli's blocker
    patch = next(s for s in loop.steps if "helpcli" in s.summary)
    assert patch.summary.startswith(f"patch {MODULE}@v1.0.0 (copied to {dest})") and patch.variant_tags == (TAG,)

    head = build(root, "./cmd/tool", tmp_path / "head" / "tool")
    head_custom = build(root, "./cmd/custom", tmp_path / "head" / "custom")
    assert main(["apply", c.id, str(root), "-t", "./cmd/tool"]) == 0
    branch = subprocess.run(["git", "branch", "--list", "gotrim/*", "--format=%(refname:short)"], cwd=root,
                            capture_output=True, text=True, check=True).stdout.split()
    assert len(branch) == 1
    subprocess.run(["git", "checkout", "-q", branch[0]], cwd=root, check=True)
    assert subprocess.run(["gofmt", "-l", "."], cwd=root, capture_output=True, text=True).stdout == ""
    patched = (root / dest / "help.go").read_text()
    assert '"text/template"' not in patched and "executeHelpTemplate(w, templ, data" in patched
    assert '"text/template"' not in (root / pages / "page.go").read_text()
    assert "replace example.com/pagelib => ./third_party/example.com/pagelib" in (root / "go.mod").read_text()
    full = build(root, "./cmd/tool", tmp_path / "full" / "tool")
    slim = build(root, "./cmd/tool", tmp_path / "slim" / "tool", TAG)
    build(root, "./cmd/tool", tmp_path / "win" / "tool.exe", TAG, "windows", "amd64")
    for args in RUNS:
        want = run(head, args)
        assert run(full, args) == want and run(slim, args) == want, args
    narrow = {"HELPCLI_WIDTH": "20"}  # the library's wrap closure (over the width of this call) reads it
    for args in (["help", "import"], ["add", "--help"]):
        want = run(head, args, narrow)
        assert run(full, args, narrow) == want and run(slim, args, narrow) == want, args
        assert want.out != run(head, args).out or args[-1] == "--help"
    assert run(head, ["--help"]).out.count("\n") > 20  # the help is really printed
    assert "text/template" not in go(root, "list", "-deps", "-tags", TAG, "./cmd/tool").stdout.split()
    assert slim.stat().st_size < full.stat().st_size * 0.8
    assert main(["dce", str(root), "-t", "./cmd/tool", "--tags", TAG, "--fail"]) == 0
    assert main(["dce", str(root), "-t", "./cmd/tool", "--fail"]) == 1
    # the program with its own template: from the copy without the tag, text/template still runs it
    custom = build(root, "./cmd/custom", tmp_path / "full" / "custom")
    for args in (["--help"], ["help"]):
        assert run(custom, args) == run(head_custom, args)
    assert run(custom, ["--help"]).out == "custom: a custom help\n"
    lacking = run(build(root, "./cmd/custom", tmp_path / "slim" / "custom", TAG), ["--help"])
    assert "needs text/template" in lacking.err and TAG in lacking.err and "panic" not in lacking.err
    # the upstream patch applies to the module's own tree
    upstream = tmp_path / "upstream"
    shutil.copytree(FIXTURES / "tmpldep" / "_modules" / f"{MODULE}@v1.0.0", upstream)
    subprocess.run(["git", "init", "-q"], cwd=upstream, check=True)
    patch = (root / f"{dest}.patch").read_text()
    assert patch.startswith(f"Build tag {TAG}: render the default help texts with Go") and "bytes" in patch
    proc = subprocess.run(["git", "apply", str(root / f"{dest}.patch")], cwd=upstream, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    for name in ("help.go", "help_compiled.go", "help_template.go", "help_notemplate.go"):
        assert (upstream / name).read_text() == (root / dest / name).read_text()
    upstream = tmp_path / "upstream-pagelib"
    shutil.copytree(FIXTURES / "tmpldep" / "_modules" / "example.com/pagelib@v1.0.0", upstream)
    subprocess.run(["git", "init", "-q"], cwd=upstream, check=True)
    assert (root / f"{pages}.patch").read_text().startswith("example.com/pagelib: render its templates with Go")
    proc = subprocess.run(["git", "apply", str(root / f"{pages}.patch")], cwd=upstream, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    for name in ("page.go", "page_tmpl.go"):
        assert (upstream / name).read_text() == (root / pages / name).read_text()
