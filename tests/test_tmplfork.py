"""The method-free fork of text/template and html/template (refactor/tmplfork.py)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from refactor.edit import FileChange, Plan, gofmt_check
from refactor.tmplfork import (
    DEFAULT_DEST,
    METHOD_NOTE,
    ForkError,
    fork_plan,
    import_site_changes,
    template_imports,
)
from refactor.toolchain import Go, find_go, select_toolchain

MODULE = "example.com/templates"
CMDS = ("usage", "page", "report")


def _go() -> Go:
    # the toolchain the go command selects (GOTOOLCHAIN honoured), pinned, as gotrim builds with it
    return select_toolchain(find_go(), Path(__file__).resolve().parent).go


def _write(root: Path, rel: str, text: str) -> None:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)


def test_import_sites_keep_names_and_join_the_module_group(tmp_path: Path) -> None:
    _write(tmp_path, "a/a.go", 'package a\n\nimport (\n\t"io"\n\t"text/template"\n)\n\n'
           'var T = template.New("x")\n\nvar _ io.Writer\n')
    _write(tmp_path, "b/b.go", 'package b\n\nimport (\n\t"fmt"\n\ttt "text/template"\n\n\t"example.com/m/a"\n)\n\n'
           'var _ = tt.New\nvar _ = a.T\nvar _ = fmt.Sprint\n')
    _write(tmp_path, "c/c.go", 'package c\n\nimport "text/template/parse"\n\nvar _ parse.Node\n')
    _write(tmp_path, "d/d.go", 'package d\n\nimport "strings"\n\nvar _ = strings.ToUpper\n')
    _write(tmp_path, "nested/go.mod", "module example.com/nested\n")
    _write(tmp_path, "nested/n.go", 'package n\n\nimport "text/template"\n\nvar _ = template.New\n')
    changes = {c.path: c for c in import_site_changes(tmp_path, "example.com/m")}
    assert set(changes) == {"a/a.go", "b/b.go", "c/c.go"}  # not d (no template), not the nested module
    fork = "example.com/m/internal/third_party/template"
    after = {p: (c.after or b"").decode() for p, c in changes.items()}
    assert after["a/a.go"] == ('package a\n\nimport (\n\t"io"\n\n\t"' + fork + '/text/template"\n)\n\n'
                               'var T = template.New("x")\n\nvar _ io.Writer\n')
    assert f'\ttt "{fork}/text/template"\n' in after["b/b.go"] and '"text/template"' not in after["b/b.go"]
    assert after["c/c.go"] == f'package c\n\nimport "{fork}/text/template/parse"\n\nvar _ parse.Node\n'
    assert not gofmt_check({p: c.after or b"" for p, c in changes.items()})
    assert template_imports(tmp_path) == {"text/template", "text/template/parse"}


def test_html_template_without_html_fork_is_refused(tmp_path: Path) -> None:
    _write(tmp_path, "h.go", 'package h\n\nimport "html/template"\n\nvar _ = template.New\n')
    with pytest.raises(ForkError, match="html/template"):
        import_site_changes(tmp_path, "example.com/m")
    (c,) = import_site_changes(tmp_path, "example.com/m", html=True)
    assert b"example.com/m/internal/third_party/template/html/template" in (c.after or b"")


# ---------------------------------------------------------------------------------------------------------
# building the fixture with the fork


def _run(go: Go, args: list[str], cwd: Path, env: dict[str, str] | None = None,
         check: bool = True) -> subprocess.CompletedProcess[str]:
    full_env = {**go.environ(), "GOFLAGS": "", "GOWORK": "off", **(env or {})}
    proc = subprocess.run([go.path, *args], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=900)
    if check:
        assert proc.returncode == 0, f"go {' '.join(args)}: {proc.stdout}{proc.stderr}"
    return proc


def _build(go: Go, root: Path, cmd: str, out: Path, env: dict[str, str] | None = None) -> tuple[int, bool, str]:
    """Build cmd (size, reflect-method root seen by the linker) and run it (output)."""
    exe = out / cmd
    proc = _run(go, ["build", "-ldflags=-dumpdep", "-o", str(exe), f"./cmd/{cmd}"], root, env)
    reflect_method = "<ReflectMethod>" in proc.stdout + proc.stderr
    _run(go, ["build", "-o", str(exe), f"./cmd/{cmd}"], root, env)
    ran = subprocess.run([str(exe)], capture_output=True, text=True, timeout=60)
    return exe.stat().st_size, reflect_method, ran.stdout + ran.stderr


def _apply_fork(go: Go, root: Path) -> list[FileChange]:
    html = "html/template" in template_imports(root)
    changes = fork_plan(go, root, MODULE, html=html) + import_site_changes(root, MODULE, html=html)
    Plan("fork", tuple(changes)).write_to(root)
    return changes


@pytest.mark.go
def test_fork_switches_method_dce_on(fixture_repo: Callable[[str], Path], tmp_path: Path) -> None:
    go = _go()
    root = fixture_repo("templates")
    before = {c: _build(go, root, c, tmp_path / "before") for c in CMDS + ("methods",)}
    assert all(b[1] for b in before.values()), "each program keeps method DCE off before the fork"
    changes = _apply_fork(go, root)
    paths = {c.path for c in changes}
    assert f"{DEFAULT_DEST}/LICENSE" in paths and f"{DEFAULT_DEST}/html/template/escape.go" in paths
    assert "cmd/page/main.go" in paths and "internal/render/render.go" in paths
    exec_go = (root / DEFAULT_DEST / "text/template/exec.go").read_text()
    assert exec_go.startswith("// Copyright") and "MethodByName(" not in exec_go.replace("// ", "")
    for f in (root / DEFAULT_DEST).rglob("*.go"):
        text = f.read_text()
        assert "The Go Authors" in text and "//go:linkname" not in text, f
        assert '"internal/' not in text, f
    # a FuncMap another package built (sprig's TxtFuncMap, a text/template.FuncMap, in caddy) is taken
    _write(root, "internal/render/sprig.go", f"""package render

import (
\thtmpl "{MODULE}/{DEFAULT_DEST}/html/template"
\ttmpl "{MODULE}/{DEFAULT_DEST}/text/template"
)

type sprigFuncMap map[string]any

var (
\t_ = tmpl.New("x").Funcs(sprigFuncMap{{}})
\t_ = htmpl.New("x").Funcs(sprigFuncMap{{}})
)
""")
    assert "type FuncMap = map[string]any" in (root / DEFAULT_DEST / "text/template/funcs.go").read_text()
    _run(go, ["build", "./..."], root)
    _run(go, ["vet", "./..."], root)
    (root / "internal/render/sprig.go").unlink()
    gofmt = str(Path(go.path).with_name("gofmt"))
    listed = subprocess.run([gofmt, "-l", "."], cwd=root, capture_output=True, text=True)
    assert listed.stdout == ""
    after = {c: _build(go, root, c, tmp_path / "after") for c in CMDS + ("methods",)}
    for c in CMDS:
        size0, _, out0 = before[c]
        size1, reflect_method, out1 = after[c]
        assert out1 == out0, c
        assert not reflect_method, f"{c}: the linker still sees a reflect method call"
        assert size1 < size0, c
    out = after["methods"][2]
    assert "Greeting" in out and METHOD_NOTE in out
    assert before["methods"][2].startswith("Hello, Ada Lovelace")


@pytest.mark.go
def test_fork_is_replaced_not_duplicated(fixture_repo: Callable[[str], Path]) -> None:
    go = _go()
    root = fixture_repo("templates")
    _apply_fork(go, root)
    stale = root / DEFAULT_DEST / "text/template/stale.go"
    stale.write_text("package template\n")
    again = fork_plan(go, root, MODULE, html=True)
    assert [c.path for c in again] == [f"{DEFAULT_DEST}/text/template/stale.go"] and again[0].after is None
    other = root / "internal/other"
    other.mkdir(parents=True)
    (other / "x.go").write_text("package other\n")
    with pytest.raises(ForkError, match="not made by gotrim"):
        fork_plan(go, root, MODULE, dest="internal/other")


def _cached_toolchain(version: str) -> bool:
    go = _go()
    proc = subprocess.run([go.path, "version"], env={**os.environ, "GOTOOLCHAIN": version, "GOPROXY": "off"},
                          capture_output=True, text=True, timeout=120)
    return proc.returncode == 0 and version in proc.stdout


@pytest.mark.go
@pytest.mark.parametrize("version", ["go1.23.12"])
def test_fork_comes_from_the_toolchain_that_builds(
    version: str, fixture_repo: Callable[[str], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    if not _cached_toolchain(version):
        pytest.skip(f"{version} is not in the module cache (GOTOOLCHAIN={version} go version downloads it)")
    monkeypatch.setenv("GOTOOLCHAIN", version)
    monkeypatch.setenv("GOPROXY", "off")
    go = _go()
    root = fixture_repo("templates")
    before = {c: _build(go, root, c, tmp_path / "before") for c in CMDS}
    _apply_fork(go, root)
    readme = (root / DEFAULT_DEST / "README.md").read_text()
    assert f"Copied from {version}" in readme
    assert f"of {version} " in (root / DEFAULT_DEST / "text/template/exec.go").read_text()
    _run(go, ["vet", "./..."], root)
    for c in CMDS:
        size1, reflect_method, out1 = _build(go, root, c, tmp_path / "after")
        assert out1 == before[c][2] and not reflect_method and size1 < before[c][0], c
