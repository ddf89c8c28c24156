"""Constant-name dispatch (issue 17 §5) on fixture_repos/namedispatch: example.com/hooks, a module from a
proxy on disk (tests/goproxy.py), runs a record's hooks by name as gorm v1 does: (*Record).CallMethod
passes its name to callMethod, which calls reflect.Value.MethodByName(name), so method DCE is off in
cmd/app; every caller passes a constant. The candidate is a dependency patch (no build tag) whose switch
over those names switches method DCE back on. The module's own internal/events (cmd/own) gets the same
rewrite as a direct edit; a caller with a computed name is refused, named by file:line."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from refactor.candidate import Candidate, Refusal
from refactor.config import Settings, TargetSpec
from refactor.edit import format_plan, gofmt_path
from refactor.load import load
from refactor.project import Needs, Project
from refactor.toolchain import find_go
from strategies.dce_blockers import DceDetails, Fix
from strategies.dce_blockers import propose as dce_propose
from tests.conftest import FIXTURES
from tests.goproxy import environment, go_sum
from tests.test_guard_shapes import build, run

FIXTURE = "namedispatch"
MODULE = "example.com/hooks"


def test_the_fixtures_go_sum_is_its_modules() -> None:
    assert (FIXTURES / FIXTURE / "go.sum").read_text() == go_sum(FIXTURES / FIXTURE)


@pytest.fixture
def repo(fixture_repo: Callable[[str], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = fixture_repo(FIXTURE)
    for k, v in environment(FIXTURES / FIXTURE, tmp_path / "goenv").items():
        monkeypatch.setenv(k, v)
    proc = subprocess.run(["go", "mod", "download"], cwd=root, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return root


def project_of(root: Path, main: str) -> Project:
    return load(find_go(), Settings(root=root), [TargetSpec(mains=(main,))], Needs.SUGGEST)


def dispatches(project: Project) -> tuple[list[Candidate], list[Refusal]]:
    found = list(dce_propose(project, project.settings))
    cands = [c for c in found if isinstance(c, Candidate) and isinstance(c.details, DceDetails)
             and c.details.fix is Fix.NAME_DISPATCH]
    return cands, [r for r in found if isinstance(r, Refusal)]


def tree_state(root: Path) -> tuple[str, str, dict[str, str]]:
    """HEAD, the status and every file's hash (outside .git): what must not change."""
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True).stdout
    status = subprocess.run(["git", "status", "--porcelain", "--ignored"], cwd=root, capture_output=True,
                            text=True).stdout
    files = {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*"))
             if p.is_file() and ".git" not in p.relative_to(root).parts}
    return head, status, files


@pytest.mark.go
def test_a_dependency_lookup_by_constant_names_is_patched_and_method_dce_comes_back(repo: Path,
                                                                                   tmp_path: Path) -> None:
    from refactor.cli import main

    root = repo
    cands, refusals = dispatches(project_of(root, "./cmd/app"))
    assert len(cands) == 1, [r.reason for r in refusals]
    (c,) = cands
    assert isinstance(c.details, DceDetails) and c.details.module == MODULE and c.details.version == "v1.0.0"
    assert c.details.names == ("AfterFind", "AfterSave", "BeforeSave")  # a literal, a raw literal, a const
    assert c.cost == "patch" and c.variant_tags == ()  # no build tag: every feature stays
    dest = f"third_party/{MODULE}"
    assert {f"{dest}/LICENSE", f"{dest}/hooks.go", f"{dest}/hooks_test.go", f"{dest}.patch", "go.mod"} \
        <= set(c.plan.files())
    assert "gotrim.toml" not in c.plan.files()
    head = build(root, "./cmd/app", tmp_path / "head")
    inputs: list[list[str]] = [[], ["gh-4"], [""]]
    before = tree_state(root)
    assert main(["apply", c.id, str(root), "-t", "./cmd/app", "--branch", "nd"]) == 0
    assert tree_state(root) == before  # the user's checkout is untouched
    assert main(["dce", str(root), "-t", "./cmd/app", "--fail"]) == 1
    after = tmp_path / "after"
    subprocess.run(["git", "worktree", "add", "-q", str(after), "nd"], cwd=root, check=True)
    assert f"replace {MODULE} => ./{dest}" in (after / "go.mod").read_text()
    # gofmt: what gotrim wrote is clean; the copy keeps the module's own formatting (its test file is not
    # gofmt-clean upstream), and apply's check, through the DCE loop's plan, does not hold that against it
    unformatted = subprocess.run(["gofmt", "-l", "cmd", "third_party"], cwd=after, capture_output=True,
                                 text=True).stdout.split()
    assert unformatted == [f"{dest}/hooks_test.go"]
    assert main(["dce", str(after), "-t", "./cmd/app", "--fail"]) == 0
    slim = build(after, "./cmd/app", tmp_path / "slim")
    assert slim.stat().st_size < head.stat().st_size * 0.9
    for args in inputs:
        assert run(slim, args) == run(head, args)
    assert "after save AB-1\nafter save CD-2\nloaded\nfound AB-1" in run(slim, []).out  # every hook ran
    # the upstream patch, with the measured bytes, applies to the module's own tree
    patch = (after / f"{dest}.patch").read_text()
    assert "Measured on app linux/amd64: " in patch and "bytes saved" in patch
    upstream = tmp_path / "upstream"
    shutil.copytree(FIXTURES / FIXTURE / "_modules" / f"{MODULE}@v1.0.0", upstream)
    subprocess.run(["git", "init", "-q"], cwd=upstream, check=True)
    proc = subprocess.run(["git", "apply", str(after / f"{dest}.patch")], cwd=upstream, capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr
    assert (upstream / "hooks.go").read_text() == (after / dest / "hooks.go").read_text()


@pytest.mark.go
def test_the_modules_own_lookup_is_edited_and_a_computed_name_is_refused(repo: Path, tmp_path: Path) -> None:
    """cmd/own: internal/events' call(v, name) is reached through Bus.fire from Start, Stop (constants)
    and Tick (a literal): the file is edited in place. Then a tool passing a computed name to the
    dependency's CallMethod makes cmd/app's patch a refusal naming the call."""
    from refactor.cli import main

    root = repo
    cands, refusals = dispatches(project_of(root, "./cmd/own"))
    assert len(cands) == 1, [r.reason for r in refusals]
    (c,) = cands
    assert c.plan.files() == ["internal/events/events.go"] and c.cost == "none"
    assert isinstance(c.details, DceDetails) and c.details.names == ("OnStart", "OnStop", "OnTick")
    head = build(root, "./cmd/own", tmp_path / "head")
    format_plan(c.plan, gofmt_path()).write_to(root)
    assert subprocess.run(["gofmt", "-l", "cmd", "internal"], cwd=root, capture_output=True, text=True).stdout == ""
    assert main(["dce", str(root), "-t", "./cmd/own", "--fail"]) == 0
    slim = build(root, "./cmd/own", tmp_path / "slim")
    assert run(slim, []) == run(head, []) and slim.stat().st_size < head.stat().st_size
    assert run(slim, []).out == "1 [svc started]\n0 []\n1 [svc stopped]\n"
    subprocess.run(["git", "checkout", "-q", "--", "."], cwd=root, check=True)

    tool = root / "cmd" / "tool" / "main.go"
    tool.parent.mkdir(parents=True)
    tool.write_text('package main\n\nimport (\n\t"os"\n\n\t"example.com/hooks"\n)\n\nfunc main() {\n'
                    '\tr := &hooks.Record{Value: os.Args}\n\tr.CallMethod("After" + os.Args[1])\n}\n')
    cands, refusals = dispatches(project_of(root, "./cmd/app"))
    assert cands == []
    (r,) = [r for r in refusals if "callMethod" in r.summary]
    assert "cmd/tool/main.go:11: (*Record).CallMethod is called with a computed name" in r.reason
