"""Repositories of several modules, end to end with Go: a binary in a nested module that uses the root
module through `replace => ../`, and a go.work of two modules. Candidates are proposed for the
repository's own code in another module than the binary's, verified and measured (`suggest --measure`),
and do what they claim when applied (the binary shrank, the cut packages are gone, every module still
builds); their diffs apply with `git apply` at the repository's top."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from refactor.cli import main
from tests.conftest import git
from tests.test_workflow import snapshot

pytestmark = pytest.mark.go


@pytest.fixture(autouse=True)
def _no_gowork(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOWORK", raising=False)


def gotrim(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def suggest_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    code, out, err = gotrim(capsys, "suggest", *argv, "--json")
    assert code == 0, err
    doc: dict[str, Any] = json.loads(out)
    return doc


def go(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(["go", *args], cwd=cwd, capture_output=True, text=True, env={**os.environ, **(env or {})})
    assert proc.returncode == 0, f"go {' '.join(args)} in {cwd}: {proc.stderr}"
    return proc.stdout


def checkout(repo: Path, ref: str, where: Path) -> Path:
    git(repo, "worktree", "add", "-q", "--detach", str(where), ref)
    return where


def built_size(module_dir: Path, pkg: str, out: Path) -> int:
    go(module_dir, "build", "-trimpath", "-o", str(out), pkg)
    return out.stat().st_size


def test_binary_in_a_nested_module_gets_a_split_of_the_root_modules_package(
        capsys: pytest.CaptureFixture[str], fixture_repo: Callable[[str], Path], tmp_path: Path) -> None:
    repo = fixture_repo("nested")
    (repo / "notes.txt").write_text("untracked work\n")
    before = snapshot(repo)

    doc = suggest_json(capsys, str(repo), "-s", "split-package", "--measure")
    mains = {t["main"] for t in doc["targets"]}
    assert mains == {"example.com/nested/cmd/server", "example.com/nested/tools/cmd/lite"}
    assert doc["go_versions"] and all(t["go_version"] == doc["go_versions"][0] for t in doc["targets"])
    lite = [c for c in doc["candidates"] if any(t.startswith("lite ") for t in c["targets"])]
    assert lite, doc["refusals"]
    light = next(c for c in lite if c["details"]["direction"] == "light")
    # the root module's package is edited, and the binary's file in the nested module; paths from the top
    assert "util/greeting.go" in light["files"] and "tools/cmd/lite/main.go" in light["files"]
    m = light["measurement"]
    assert m["ok"] and m["verified"], m["first_error"]
    steps = [s["name"] for s in m["steps"]]
    assert any(s.startswith("go build ./...") and s.endswith(" in tools") for s in steps)
    assert any(s.startswith("go build ./...") and s.endswith(" in .") for s in steps)
    (res,) = m["targets"]
    assert res["saved_bytes"] > 0 and "net/http" in res["removed"] and res["go_version"] == doc["go_versions"][0]
    assert snapshot(repo) == before

    # the dry run applies with git apply at the repository's top
    code, diff, err = gotrim(capsys, "apply", light["id"], str(repo), "-s", "split-package", "--dry-run")
    assert code == 0, err
    proc = subprocess.run(["git", "apply", "--check", "-"], cwd=repo, input=diff, text=True, capture_output=True)
    assert proc.returncode == 0, proc.stderr

    code, out, err = gotrim(capsys, "apply", light["id"], str(repo), "-s", "split-package")
    assert code == 0, err
    assert snapshot(repo) == before, "apply changed the user's checkout"
    branch = f"gotrim/split-package/{light['id']}"
    message = git(repo, "log", "-1", "--format=%B", branch)
    assert doc["go_versions"][0] in message and "cd tools && " in message

    after = checkout(repo, branch, tmp_path / "after")
    for module in (after, after / "tools"):
        go(module, "build", "./...")
        go(module, "vet", "./...")
    assert subprocess.run(["gofmt", "-l", "."], cwd=after, capture_output=True, text=True).stdout == ""
    head = checkout(repo, "main", tmp_path / "head")
    lite_before = built_size(head / "tools", "./cmd/lite", tmp_path / "lite-before")
    lite_after = built_size(after / "tools", "./cmd/lite", tmp_path / "lite-after")
    assert lite_after < lite_before
    deps = go(after / "tools", "list", "-deps", "./cmd/lite").split()
    assert "net/http" not in deps and "example.com/nested/util" in go(after, "list", "./...")


def test_target_in_a_nested_module_by_path_and_from_inside_it(capsys: pytest.CaptureFixture[str],
                                                               fixture_repo: Callable[[str], Path]) -> None:
    repo = fixture_repo("nested")
    doc = suggest_json(capsys, str(repo), "-t", "./tools/cmd/lite", "-s", "split-package")
    assert [t["main"] for t in doc["targets"]] == ["example.com/nested/tools/cmd/lite"]
    ids = {c["id"] for c in doc["candidates"]}
    # run inside the nested module: its binaries are the targets, the root's package is still the
    # user's own code (replace => ../), and plan paths still start at the repository's top
    inner = suggest_json(capsys, str(repo / "tools"), "-s", "split-package")
    assert [t["main"] for t in inner["targets"]] == ["example.com/nested/tools/cmd/lite"]
    assert {c["id"] for c in inner["candidates"]} == ids
    files = [f for c in inner["candidates"] for f in c["files"]]
    assert files and all(not f.startswith(("/", "../")) for f in files)
    assert any(f.startswith("util/") for f in files) and any(f.startswith("tools/") for f in files)
    assert not [r for r in inner["refusals"] if "upstream" in r["summary"]]


def test_go_work_of_two_modules(capsys: pytest.CaptureFixture[str], fixture_repo: Callable[[str], Path],
                                tmp_path: Path) -> None:
    repo = fixture_repo("workspace")
    doc = suggest_json(capsys, str(repo), "-s", "split-package", "--measure")
    assert {t["main"] for t in doc["targets"]} == {"example.com/wsapp/cmd/app", "example.com/wslib/cmd/serve"}
    light = next(c for c in doc["candidates"] if any(t.startswith("app ") for t in c["targets"])
                 and c["details"]["direction"] == "light")
    assert "lib/report/title.go" in light["files"] and "app/cmd/app/main.go" in light["files"]
    m = light["measurement"]
    assert m["ok"], m["first_error"]
    assert any(s["name"].endswith(" in lib") for s in m["steps"])
    assert "net/http" in m["targets"][0]["removed"]

    code, diff, err = gotrim(capsys, "apply", light["id"], str(repo), "-s", "split-package", "--dry-run")
    assert code == 0, err
    after = checkout(repo, "main", tmp_path / "after")
    subprocess.run(["git", "apply", "-"], cwd=after, input=diff, text=True, check=True)
    for module in ("app", "lib"):
        go(after / module, "build", "./...")
    assert "net/http" not in go(after / "app", "list", "-deps", "./cmd/app").split()


def test_go_work_that_git_ignores_is_used_in_the_scratch_worktree(
        capsys: pytest.CaptureFixture[str], fixture_repo: Callable[[str], Path]) -> None:
    repo = fixture_repo("workspace")
    git(repo, "rm", "-q", "--cached", "go.work")
    (repo / ".gitignore").write_text("go.work\ngo.work.sum\n")
    git(repo, "add", ".gitignore")
    git(repo, "commit", "-q", "-m", "go.work is local")
    before = snapshot(repo)
    doc = suggest_json(capsys, str(repo), "-s", "split-package", "-t", "./app/cmd/app", "--measure", "--top", "1")
    (c,) = doc["candidates"]
    assert c["measurement"]["ok"], c["measurement"]["first_error"]
    assert snapshot(repo) == before


@pytest.mark.parametrize(("fixture", "main"), [("nested", "./tools/cmd/lite"), ("workspace", "./app/cmd/app")])
def test_split_golden_across_modules(fixture: str, main: str, fixture_repo: Callable[[str], Path],
                                     golden: Callable[[str, str], None]) -> None:
    from refactor.config import Settings, TargetSpec
    from refactor.load import load
    from refactor.toolchain import find_go
    from strategies.split_package import STRATEGY
    from tests.goldens import proposals, split_text

    project = load(find_go(), Settings(root=fixture_repo(fixture)), [TargetSpec(mains=(main,))], STRATEGY.needs)
    cands, refusals = proposals(STRATEGY, project)
    assert cands and not [r for r in refusals if "upstream" in r.summary]
    golden(f"split_package/{fixture}.diff", split_text(cands, refusals))


def test_a_change_is_built_in_every_module_that_uses_the_edited_one(
        capsys: pytest.CaptureFixture[str], fixture_repo: Callable[[str], Path]) -> None:
    repo = fixture_repo("nested")
    other = repo / "examples"  # a third module, no target of the run, that uses the root through replace
    (other / "hello").mkdir(parents=True)
    (other / "go.mod").write_text("module example.com/nested/examples\n\ngo 1.22\n\n"
                                  "require example.com/nested v0.0.0\n\nreplace example.com/nested => ../\n")
    (other / "hello" / "main.go").write_text('package main\n\nimport "example.com/nested/util"\n\n'
                                             'func main() { println(util.Greeting("")) }\n')
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "examples")
    doc = suggest_json(capsys, str(repo), "-t", "./tools/cmd/lite", "-s", "split-package", "--measure")
    light = next(c for c in doc["candidates"] if c["details"]["direction"] == "light")
    steps = [s["name"] for s in light["measurement"]["steps"]]
    assert any(s.startswith("go build ./...") and s.endswith(" in examples") for s in steps), steps
    assert light["measurement"]["ok"], light["measurement"]["first_error"]
