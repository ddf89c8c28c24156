"""suggest -> apply end to end on a copy of a fixture: the user's checkout is never changed."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from refactor.cli import main
from tests.conftest import git

pytestmark = pytest.mark.go

LITE = ["-t", "./cmd/lite", "-s", "split-package"]


def snapshot(repo: Path) -> str:
    """A hash of everything a user could lose: files, index, HEAD, branches, stash, worktrees."""
    h = hashlib.sha256()
    for p in sorted(repo.rglob("*")):
        rel = p.relative_to(repo).as_posix()
        if rel == ".git" or rel.startswith(".git/"):
            continue
        h.update(rel.encode())
        if p.is_file():
            h.update(p.read_bytes())
    for args in (["rev-parse", "HEAD"], ["rev-parse", "--symbolic-full-name", "HEAD"], ["ls-files", "-s"],
                 ["stash", "list"], ["worktree", "list", "--porcelain"], ["status", "--porcelain"]):
        h.update(git(repo, *args).encode())
    return h.hexdigest()


def gotrim(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    cap = capsys.readouterr()
    return code, cap.out, cap.err


@pytest.fixture
def split_repo(fixture_repo: Callable[[str], Path]) -> Path:
    repo = fixture_repo("split")
    (repo / "scratch.txt").write_text("uncommitted work the user cares about\n")  # untracked, must survive
    return repo


def top_id(capsys: pytest.CaptureFixture[str], repo: Path) -> dict[str, object]:
    code, out, err = gotrim(capsys, "suggest", str(repo), *LITE, "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["schema"].startswith("gotrim.suggest/")
    cands = doc["candidates"]
    assert cands, "no split candidate for lite"
    return dict(cands[0])


def test_suggest_dry_run_apply(capsys: pytest.CaptureFixture[str], split_repo: Path, tmp_path: Path) -> None:
    before = snapshot(split_repo)
    cand = top_id(capsys, split_repo)
    cid = str(cand["id"])
    assert cand["strategy"] == "split-package"

    # The id is stable: a second run (cache bypassed) gives the same one.
    code, out, _ = gotrim(capsys, "suggest", str(split_repo), *LITE, "--json", "--no-cache")
    assert json.loads(out)["candidates"][0]["id"] == cid

    code, diff, _ = gotrim(capsys, "apply", cid, str(split_repo), *LITE, "--dry-run")
    assert code == 0 and diff.startswith("diff --git a/") and "+++ b/cmd/lite/main.go" in diff
    assert snapshot(split_repo) == before

    code, out, err = gotrim(capsys, "apply", cid, str(split_repo), *LITE)
    assert code == 0, err
    branch = f"gotrim/split-package/{cid}"
    assert branch in out and "saved (measured)" in out
    assert snapshot(split_repo) == before, "apply changed the user's checkout"
    assert git(split_repo, "rev-list", "--count", f"main..{branch}").strip() == "1"
    message = git(split_repo, "log", "-1", "--format=%B", branch)
    assert "Generated-by: gotrim" in message and "bytes" in message

    # The branch builds on its own, and an independent rebuild agrees with the measurement.
    check = tmp_path / "check"
    git(split_repo, "worktree", "add", "-q", str(check), branch)
    try:
        exe_after = tmp_path / "lite-after"
        exe_before = tmp_path / "lite-before"
        subprocess.run(["go", "build", "./..."], cwd=check, check=True)
        subprocess.run(["go", "build", "-trimpath", "-o", str(exe_after), "./cmd/lite"], cwd=check, check=True)
        subprocess.run(["go", "build", "-trimpath", "-o", str(exe_before), "./cmd/lite"], cwd=split_repo,
                       check=True)
        deps = subprocess.run(["go", "list", "-deps", "./cmd/lite"], cwd=check, check=True, capture_output=True,
                              text=True).stdout.split()
        assert "net/http" not in deps and "go/types" not in deps
        assert exe_after.stat().st_size < 0.5 * exe_before.stat().st_size
        m = re.search(r"([\d,]+) -> ([\d,]+) bytes", message)
        assert m, message
        measured_after = int(m.group(2).replace(",", ""))
        assert abs(measured_after - exe_after.stat().st_size) <= 0.01 * exe_after.stat().st_size
        gofmt = subprocess.run(["gofmt", "-l", "."], cwd=check, capture_output=True, text=True).stdout
        assert gofmt == ""
    finally:
        git(split_repo, "worktree", "remove", "--force", str(check))

    # Applying again refuses: the branch exists. Nothing changes.
    code, _, err = gotrim(capsys, "apply", cid, str(split_repo), *LITE)
    assert code == 2 and "already exists" in err
    assert snapshot(split_repo) == before


def test_apply_refusals(capsys: pytest.CaptureFixture[str], split_repo: Path) -> None:
    cid = str(top_id(capsys, split_repo)["id"])
    before = snapshot(split_repo)

    code, _, err = gotrim(capsys, "apply", "fffffff", str(split_repo), *LITE)
    assert code == 2 and "no candidate fffffff" in err

    code, _, err = gotrim(capsys, "apply", cid, str(split_repo), *LITE, "--branch", "bad..name")
    assert code == 2 and "not a valid branch name" in err
    assert snapshot(split_repo) == before

    # Uncommitted changes to a file of the plan: refuse and name it.
    main_go = split_repo / "cmd" / "lite" / "main.go"
    main_go.write_bytes(main_go.read_bytes() + b"\n// local edit\n")
    code, _, err = gotrim(capsys, "apply", cid, str(split_repo), *LITE)
    assert code == 2 and "cmd/lite/main.go" in err


def test_failed_verification_leaves_nothing(capsys: pytest.CaptureFixture[str], split_repo: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    cid = str(top_id(capsys, split_repo)["id"])
    before = snapshot(split_repo)
    # A go whose `go build ./...` fails once the plan is written (not at HEAD): verification fails half-way.
    fake = split_repo.parent / "fakego"
    real = subprocess.run(["which", "go"], capture_output=True, text=True).stdout.strip()
    fake.write_text(f'#!/bin/sh\ncase "$1 $*" in "build "*./...*) [ -n "$(git status --porcelain)" ] && '
                    f'{{ echo "boom" >&2; exit 1; }};; esac\nexec {real} "$@"\n')
    fake.chmod(0o755)
    monkeypatch.setenv("GOTRIM_GO", str(fake))
    code, _, err = gotrim(capsys, "apply", cid, str(split_repo), *LITE)
    assert code == 1 and "verification failed" in err
    assert snapshot(split_repo) == before
    assert "gotrim/" not in git(split_repo, "branch", "--list")
    assert git(split_repo, "worktree", "list").count("\n") == 1


def test_not_a_git_repository(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    import shutil

    from tests.conftest import FIXTURES

    repo = tmp_path / "nogit"
    shutil.copytree(FIXTURES / "split", repo)
    code, out, err = gotrim(capsys, "suggest", str(repo), *LITE, "--json")
    assert code == 0, err
    cid = json.loads(out)["candidates"][0]["id"]
    code, _, err = gotrim(capsys, "apply", cid, str(repo), *LITE)
    assert code == 2 and "not in a git repository" in err
    assert os.listdir(repo) == os.listdir(FIXTURES / "split")


def test_ctrl_c_during_measure_leaves_nothing(capsys: pytest.CaptureFixture[str], split_repo: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from refactor.toolchain import Go

    cid = str(top_id(capsys, split_repo)["id"])
    before = snapshot(split_repo)
    original = Go.run

    def run(self: Go, args: list[str], **kw: object) -> object:
        if args[:1] == ["build"] and "./..." in args:  # Ctrl-C while verification builds
            raise KeyboardInterrupt
        return original(self, args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(Go, "run", run)
    code, _, err = gotrim(capsys, "apply", cid, str(split_repo), *LITE)
    assert code == 130, err
    assert snapshot(split_repo) == before
    assert "gotrim/" not in git(split_repo, "branch", "--list")
    assert git(split_repo, "worktree", "list").count("\n") == 1


def test_stale_worktree_from_a_killed_run_is_pruned(split_repo: Path, tmp_path: Path) -> None:
    from refactor.workspace import prune_stale

    dead = subprocess.Popen(["true"])
    dead.wait()  # a pid that no longer runs
    stale = tmp_path / "gotrim-wt-stale" / "wt"
    git(split_repo, "worktree", "add", "--detach", "--lock", "--reason", f"gotrim pid {dead.pid}", str(stale))
    other = tmp_path / "users-own"
    git(split_repo, "worktree", "add", "--detach", "--lock", "--reason", "mine", str(other))
    removed = prune_stale(split_repo)
    assert removed == [stale]
    listing = git(split_repo, "worktree", "list")
    assert str(stale) not in listing and str(other) in listing and not stale.exists()


def test_apply_from_detached_head(capsys: pytest.CaptureFixture[str], split_repo: Path) -> None:
    git(split_repo, "checkout", "-q", "--detach")
    cid = str(top_id(capsys, split_repo)["id"])
    before = snapshot(split_repo)
    code, out, err = gotrim(capsys, "apply", cid, str(split_repo), *LITE, "--no-verify")
    assert code == 0, err
    assert snapshot(split_repo) == before
    assert git(split_repo, "rev-parse", "--abbrev-ref", "HEAD").strip() == "HEAD"  # still detached
    assert "Not measured" in git(split_repo, "log", "-1", "--format=%B", f"gotrim/split-package/{cid}")


def test_submodules_are_checked_out_in_the_worktree(capsys: pytest.CaptureFixture[str], split_repo: Path,
                                                    tmp_path: Path) -> None:
    sub = tmp_path / "subsrc"
    sub.mkdir()
    (sub / "README").write_text("vendored docs\n")
    git(sub, "init", "-q", "-b", "main")
    git(sub, "add", "-A")
    git(sub, "commit", "-q", "-m", "sub")
    git(split_repo, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(sub), "third_party/docs")
    git(split_repo, "commit", "-q", "-m", "add submodule")
    cid = str(top_id(capsys, split_repo)["id"])
    before = snapshot(split_repo)
    monkeypatch_env = {"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "protocol.file.allow",
                       "GIT_CONFIG_VALUE_0": "always"}
    old = {k: os.environ.get(k) for k in monkeypatch_env}
    os.environ.update(monkeypatch_env)
    try:
        code, _, err = gotrim(capsys, "apply", cid, str(split_repo), *LITE, "--no-verify")
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    assert code == 0, err
    assert snapshot(split_repo) == before

    # An unreachable submodule is a one-line error, and nothing is left behind.
    git(split_repo, "config", "-f", ".gitmodules", "submodule.third_party/docs.url", str(tmp_path / "gone"))
    git(split_repo, "commit", "-q", "-am", "break the submodule url")
    code, _, err = gotrim(capsys, "apply", cid, str(split_repo), *LITE, "--no-verify", "--branch", "x/y")
    assert code == 2 and "submodules" in err
    assert git(split_repo, "worktree", "list").count("\n") == 1


BROKEN_AT_HEAD = 'package util\n\nimport "testing"\n\nfunc TestBrokenAtHead(t *testing.T) { t.Fatal("broken") }\n'
NO_SUBDIRS = """package util

import (
	"os"
	"testing"
)

func TestNoSubdirs(t *testing.T) {
	entries, _ := os.ReadDir(".")
	for _, e := range entries {
		if e.IsDir() {
			t.Fatal("a sub-package appeared:", e.Name())
		}
	}
}
"""


def test_go_test_failures_at_head_are_not_the_changes(capsys: pytest.CaptureFixture[str], split_repo: Path) -> None:
    (split_repo / "internal/util/broken_test.go").write_text(BROKEN_AT_HEAD)
    git(split_repo, "add", "-A")
    git(split_repo, "commit", "-q", "-m", "a test that fails at HEAD")
    cid = str(top_id(capsys, split_repo)["id"])
    code, out, err = gotrim(capsys, "apply", cid, str(split_repo), *LITE, "--test", "--branch", "t1")
    assert code == 0, err
    # now a test that the split itself breaks (it adds internal/util/greeting)
    (split_repo / "internal/util/subdirs_test.go").write_text(NO_SUBDIRS)
    git(split_repo, "add", "-A")
    git(split_repo, "commit", "-q", "-m", "a test the change breaks")
    cid = str(top_id(capsys, split_repo)["id"])
    code, out, err = gotrim(capsys, "apply", cid, str(split_repo), *LITE, "--test", "--branch", "t2")
    assert code == 1
    flat = " ".join(err.split())
    assert "go test: example.com/split/internal/util.TestNoSubdirs failed" in flat, err
    assert "TestBrokenAtHead fail(s) at HEAD too" in flat, err
    assert "t2" not in git(split_repo, "branch", "--list")


def test_an_id_keeps_naming_its_candidate_under_overrides(capsys: pytest.CaptureFixture[str],
                                                         split_repo: Path) -> None:
    top = top_id(capsys, split_repo)
    assert top["strategy"] == "split-package"
    details = top["details"]
    assert isinstance(details, dict)
    pkg = str(details["edges"][0][0])  # type: ignore[index]
    default = str(details["new_package"])
    code, out, err = gotrim(capsys, "apply", str(top["id"]), str(split_repo), *LITE, "--dry-run",
                            "--package-name", f"{pkg}=renamed")
    assert code == 0, err
    assert f"{pkg}/renamed" in out and "package renamed" in out and default not in out


def test_a_guard_id_keeps_naming_its_candidate_under_a_tag_override(capsys: pytest.CaptureFixture[str],
                                                                   fixture_repo: Callable[[str], Path]) -> None:
    repo = fixture_repo("guard")
    code, out, err = gotrim(capsys, "suggest", str(repo), "--json")
    assert code == 0, err
    (cand,) = [c for c in json.loads(out)["candidates"] if c["strategy"] == "guard-with-tag"]
    tag = cand["details"]["tag"]
    code, out, err = gotrim(capsys, "apply", cand["id"], str(repo), "--dry-run", "--guard-tag", f"{tag}=no_http")
    assert code == 0, err
    assert "&& !no_http" in out and "|| no_http" in out and tag not in out


def test_a_branch_git_cannot_create_is_refused_before_any_build(capsys: pytest.CaptureFixture[str],
                                                                 split_repo: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import refactor.cli

    git(split_repo, "branch", "x")
    before = snapshot(split_repo)

    def no_load(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the branch name must be checked before loading (and building)")

    monkeypatch.setattr(refactor.cli, "load", no_load)
    for name in ("x/sub", "x"):
        code, _, err = gotrim(capsys, "apply", "abcdef0", str(split_repo), *LITE, "--branch", name)
        assert code == 2 and "branch x" in err, err
    assert snapshot(split_repo) == before
