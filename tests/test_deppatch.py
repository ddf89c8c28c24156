"""Dependency patches (issue 18 §4) on fixture_repos/deppatch: the module example.com/fetchlib comes
from a module proxy on disk (tests/goproxy.py) into a private module cache, as a module from the proxy
does on a real repository. Its remote.go registers an http loader that the program's default use does
not need: the candidate copies the module into third_party/ with remote.go guarded, replaces it in
go.mod, and writes the upstream patch."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from refactor.candidate import Candidate
from refactor.deppatch import module_version, tag_for
from refactor.edit import format_plan, gofmt_path
from strategies.guard_with_tag import GuardDetails
from tests.conftest import FIXTURES
from tests.goproxy import environment, go_sum
from tests.test_guard_shapes import PLATFORMS, build, go, project_for, proposals, run

MODULE = "example.com/fetchlib"


def test_module_version_and_tag() -> None:
    assert module_version("/root/go/pkg/mod/github.com/!burnt!sushi/toml@v1.3.2") == "v1.3.2"
    assert module_version("/root/go/pkg/mod/example.com/x@v0.0.0-20230101000000-abcdefabcdef") is not None
    assert module_version("/work/repo/lib") is None
    assert tag_for("github.com/hashicorp/go-getter/v2", "s3") == "getter_omit_s3"
    assert tag_for("example.com/fetchlib", "http") == "fetchlib_omit_http"


def test_the_fixtures_go_sum_is_its_modules() -> None:
    assert (FIXTURES / "deppatch" / "go.sum").read_text() == go_sum(FIXTURES / "deppatch")


@pytest.fixture
def deppatch_repo(fixture_repo: Callable[[str], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = fixture_repo("deppatch")
    for k, v in environment(FIXTURES / "deppatch", tmp_path / "goenv").items():
        monkeypatch.setenv(k, v)
    proc = subprocess.run(["go", "mod", "download"], cwd=root, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return root


def the_patch(root: Path) -> Candidate:
    cands, refusals = proposals(project_for(root, ("./cmd/app",)))
    found = [c for c in cands if isinstance(c.details, GuardDetails) and c.details.dependency]
    assert len(found) == 1, ([c.summary for c in cands], [r.reason for r in refusals])
    return found[0]


@pytest.mark.go
def test_a_dependency_patch_copies_guards_and_replaces(deppatch_repo: Path, tmp_path: Path) -> None:
    root = deppatch_repo
    c = the_patch(root)
    assert isinstance(c.details, GuardDetails) and c.details.patch is not None
    assert c.cost == "patch" and c.variant_tags == ("fetchlib_omit_http",)
    assert c.details.dependency == f"{MODULE}@v1.0.0" and c.details.files == (f"{MODULE}/remote.go",)
    assert c.confidence == "high"  # remote.go registers itself: nothing of the rest calls a stub
    dest = f"third_party/{MODULE}"
    files = c.plan.files()
    for name in ("LICENSE", "go.mod", "fetch.go", "remote.go"):
        assert f"{dest}/{name}" in files
    copied = {ch.path: ch for ch in c.plan.changes}
    assert copied[f"{dest}/LICENSE"].verbatim and not copied[f"{dest}/remote.go"].verbatim
    head = build(root, "./cmd/app", tmp_path / "head")
    format_plan(c.plan, gofmt_path()).write_to(root)
    assert f"replace {MODULE} => ./{dest}" in (root / "go.mod").read_text()
    assert (root / dest / "remote.go").read_text().startswith("//go:build !fetchlib_omit_http\n")
    assert subprocess.run(["gofmt", "-l", "."], cwd=root, capture_output=True, text=True).stdout == ""
    tag = c.variant_tags[0]
    for goos, goarch in PLATFORMS:
        for tags in ("", tag):
            build(root, "./cmd/app", tmp_path / f"x-{goos}-{tags}", tags, goos, goarch)
    full = build(root, "./cmd/app", tmp_path / "full")
    slim = build(root, "./cmd/app", tmp_path / "slim", tag)
    doc = tmp_path / "doc.txt"
    doc.write_text("hello\n")
    for args in ([], [doc.as_uri()], ["http://127.0.0.1:1/x"]):
        assert run(full, args) == run(head, args)
    assert run(slim, []).out == "schemes: [file]\n"
    assert run(slim, [doc.as_uri()]).out == f"{doc.as_uri()}: 6 bytes\n"
    lacking = run(slim, ["http://127.0.0.1:1/x"])
    assert lacking.code == 1 and 'no loader for scheme "http"' in lacking.err and "panic" not in lacking.err
    deps = set(go(root, "list", "-deps", "-tags", tag, "./cmd/app").stdout.split())
    assert "net/http" not in deps and "net/http" in go(root, "list", "-deps", "./cmd/app").stdout.split()
    assert slim.stat().st_size < full.stat().st_size * 0.8
    # the upstream patch applies to the module's own tree
    upstream = tmp_path / "upstream"
    shutil.copytree(FIXTURES / "deppatch" / "_modules" / f"{MODULE}@v1.0.0", upstream)
    subprocess.run(["git", "init", "-q"], cwd=upstream, check=True)
    patch = root / f"{dest}.patch"
    text = patch.read_text()
    assert text.startswith(f"Build tag {tag}: leave out the http feature") and "bytes saved" in text
    # a file a commit adds: no line of it ends in whitespace (`git diff --check`), blank context included
    assert [ln for ln in text.splitlines() if ln != ln.rstrip()] == []
    proc = subprocess.run(["git", "apply", str(patch)], cwd=upstream, capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    assert (upstream / "remote.go").read_text() == (root / dest / "remote.go").read_text()


@pytest.mark.go
def test_apply_writes_the_measured_bytes_into_the_patch(deppatch_repo: Path) -> None:
    from refactor.measure import Measurement, Step, TargetResult

    c = the_patch(deppatch_repo)
    assert isinstance(c.details, GuardDetails)
    plan = format_plan(c.plan, gofmt_path())
    m = Measurement(c.id, (Step("build", True, 1.0),), (TargetResult(
        "app linux/amd64", ("fetchlib_omit_http",), 9_000_000, 3_000_000, 200, 80, (), ()),))
    (change,) = c.details.after_measurement(plan, m)
    assert change.before == next(ch.after for ch in plan.changes if ch.path == change.path)
    assert change.after is not None
    assert b"Measured on app linux/amd64 built with -tags fetchlib_omit_http: 9,000,000 -> 3,000,000 bytes " \
           b"(6,000,000 bytes saved, 66.7 %)." in change.after


def test_copied_packages_are_named_by_import_path() -> None:
    from refactor.measure import copied_packages
    from refactor.plan import FileChange

    dest = "third_party/example.com/lib"
    changes = [FileChange(f"{dest}/go.mod", None, b"module example.com/lib\n\ngo 1.21\n"),
               FileChange(f"{dest}/a.go", None, b"package lib\n", verbatim=True),
               FileChange(f"{dest}/b.go", None, b"package lib\n"),
               FileChange(f"{dest}/sub/c.go", None, b"package sub\n"),
               FileChange(f"{dest}/gen/d.go", None, b"package gen\n"),
               FileChange("go.mod", b"module m\n", b"module m\nreplace example.com/lib => ./" + dest.encode() + b"\n")]
    touched = [f"{dest}/b.go", f"{dest}/sub/c.go", f"{dest}/gen/d.go"]
    # sub/c.go is the patch's change of a file the module has; gen/d.go is new: no gen package at HEAD
    assert copied_packages(changes, touched, {f"{dest}/b.go", f"{dest}/sub/c.go"}) == [
        (dest, ["example.com/lib", "example.com/lib/gen", "example.com/lib/sub"],
         ["example.com/lib", "example.com/lib/sub"])]
    assert copied_packages(changes, [], set()) == []


@pytest.mark.go
def test_the_patched_copy_is_vetted_by_import_path(deppatch_repo: Path) -> None:
    """A dependency patch's changed files are vetted (from the module that replaces the dependency), and
    a finding the change brings fails verification, as in the repository's own packages."""
    import dataclasses

    from refactor.measure import verify_and_measure
    from refactor.plan import Plan
    from refactor.workspace import open_workspace, require_repo

    project = project_for(deppatch_repo, ("./cmd/app",))
    c = the_patch(deppatch_repo)
    dest = f"third_party/{MODULE}"
    with open_workspace(require_repo(deppatch_repo)) as ws:
        m = verify_and_measure(project, ws, c)
        assert m.verified, m.steps
        vets = [s for s in m.steps if s.name.startswith("go vet") and s.name.endswith(f"in {dest}")]
        assert len(vets) == 2 and all(s.ok for s in vets), m.steps  # the default and the slim build
        remote = f"{dest}/remote.go"
        bad = [dataclasses.replace(ch, after=ch.after + b'\nfunc probe() string { return fmt.Sprintf("%d", "x") }\n')
               if ch.path == remote and ch.after is not None else ch for ch in c.plan.changes]
        ws.reset()
        m = verify_and_measure(project, ws, dataclasses.replace(c, plan=Plan(c.plan.title, tuple(bad))))
    assert not m.verified
    failed = next(s for s in m.steps if not s.ok)
    assert failed.name.startswith("go vet") and failed.name.endswith(f"in {dest}") and "%d" in failed.detail, failed


def cgo_build(root: Path, out: Path, tags: str = "") -> Path:
    env = {**os.environ, "CGO_ENABLED": "1", "GOTOOLCHAIN": "local"}
    proc = subprocess.run(["go", "build", "-tags", tags, "-o", str(out), "./cmd/plug"], cwd=root, env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.mark.go
def test_plugin_in_a_module_from_the_proxy_gets_a_dependency_patch(deppatch_repo: Path, tmp_path: Path) -> None:
    """example.com/plugload (from the proxy) imports plugin: with cgo on, method DCE is off in cmd/plug and no
    known tag of the module removes the import. The candidate copies the module with its plugin import
    guarded as gotrim guards the module's own code; built with the tag, method DCE is back on, the binary
    shrinks, its output is unchanged, and the upstream patch applies to the module's tree."""
    from refactor.cli import main
    from refactor.config import Settings, TargetSpec
    from refactor.load import load
    from refactor.project import Needs
    from refactor.toolchain import find_go
    from strategies.dce_blockers import PLUGIN_TAG, DceDetails, Fix
    from strategies.dce_blockers import propose as dce_propose

    root = deppatch_repo
    project = load(find_go(), Settings(root=root), [TargetSpec(mains=("./cmd/plug",), cgo=True)], Needs.SUGGEST)
    assert project.dce[project.targets[0]].dynlink.active
    cands = [c for c in dce_propose(project, project.settings) if isinstance(c, Candidate)]
    assert len(cands) == 1, [c.summary for c in cands]
    (c,) = cands
    assert isinstance(c.details, DceDetails) and c.details.fix is Fix.PLUGIN_GUARD
    assert c.details.module == "example.com/plugload" and c.cost == "patch" and c.variant_tags == (PLUGIN_TAG,)
    dest = "third_party/example.com/plugload"
    assert {f"{dest}/LICENSE", f"{dest}/plugload_unix.go", f"{dest}.patch", "go.mod"} <= set(c.plan.files())
    head = cgo_build(root, tmp_path / "head")
    format_plan(c.plan, gofmt_path()).write_to(root)
    assert subprocess.run(["gofmt", "-l", "."], cwd=root, capture_output=True, text=True).stdout == ""
    for goos, goarch in PLATFORMS:
        for tags in ("", PLUGIN_TAG):
            build(root, "./cmd/plug", tmp_path / f"x-{goos}-{tags}", tags, goos, goarch)
    full = cgo_build(root, tmp_path / "full")
    slim = cgo_build(root, tmp_path / "slim", PLUGIN_TAG)
    for args in ([], ["-json"]):
        assert run(full, args) == run(head, args) == run(slim, args)
    lacking = run(slim, [str(tmp_path / "p.so")])
    assert lacking.code == 1 and "plugins are not supported" in lacking.err and "panic" not in lacking.err
    assert "plugin" not in go(root, "list", "-deps", "-tags", PLUGIN_TAG, "./cmd/plug").stdout.split()
    assert slim.stat().st_size < full.stat().st_size * 0.8
    assert main(["dce", str(root), "-t", "./cmd/plug", "--cgo", "--tags", PLUGIN_TAG, "--fail"]) == 0
    assert main(["dce", str(root), "-t", "./cmd/plug", "--cgo", "--fail"]) == 1
    upstream = tmp_path / "upstream"
    shutil.copytree(FIXTURES / "deppatch" / "_modules" / "example.com/plugload@v1.0.0", upstream)
    subprocess.run(["git", "init", "-q"], cwd=upstream, check=True)
    proc = subprocess.run(["git", "apply", str(root / f"{dest}.patch")], cwd=upstream, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    for name in ("plugload_unix.go", "plugload_other.go"):
        assert (upstream / name).read_text() == (root / dest / name).read_text()


def made_ahead_as_propose_makes(root: Path, mains: tuple[str, ...], monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """guard-with-tag makes its proposals while the targets link (ahead), before the sizes: propose then
    puts in the estimates (and the patch file's figures) and must give exactly what it makes itself.
    Returns what propose gave."""
    from refactor.config import Settings, TargetSpec
    from refactor.load import load
    from refactor.project import Needs
    from refactor.toolchain import find_go
    from strategies import guard_with_tag as guard

    project = load(find_go(), Settings(root=root), [TargetSpec(mains=mains)],
                   Needs.SUGGEST | guard.STRATEGY.needs, warm=[guard.warm])  # (no ahead here)
    models = {t: m for t, m in project.reach.items() if m is not None}
    assert len(models) == len(mains) and project.sources not in guard._AHEAD
    itself = list(guard.propose(project, project.settings))
    guard.ahead(project, {})  # the typed views are made: the module's own features
    guard.ahead(project, models)  # the models too: the dependency edges they say may be worth a patch
    made = guard._AHEAD[project.sources]
    assert made and all(p.estimated_bytes == 0 for p in made.values())

    def not_again(*args: object) -> None:
        raise AssertionError("propose made a proposal that was made ahead")
    with monkeypatch.context() as m:
        m.setattr(guard, "_proposal", not_again)
        assert list(guard.propose(project, project.settings)) == itself
    return list(itself)


@pytest.mark.go
def test_proposals_made_ahead_are_the_ones_propose_makes(deppatch_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    itself = made_ahead_as_propose_makes(deppatch_repo, ("./cmd/app",), monkeypatch)
    assert any(isinstance(c, Candidate) and isinstance(c.details, GuardDetails) and c.details.patch for c in itself)


@pytest.mark.go
def test_proposals_made_ahead_keep_the_estimate_of_the_targets_they_keep(
        fixture_repo: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """fixture_repos/split: the guard of typecheck.go hits both targets, but full calls its stub on every
    run and is left out: the candidate's estimate is lite's alone, made ahead or not."""
    itself = made_ahead_as_propose_makes(fixture_repo("split"), ("./cmd/lite", "./cmd/full"), monkeypatch)
    dropped = [c for c in itself if isinstance(c, Candidate) and isinstance(c.details, GuardDetails)
               and "typecheck.go" in c.summary]
    assert dropped and all(len(c.targets) == 1 for c in dropped)
