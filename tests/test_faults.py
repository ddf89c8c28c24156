"""Faults and bad input, as a hostile new user meets them (issue 21): each is a one-line `error: ...` that
says what to do (exit 2) or a clean success, and afterwards the checkout is byte-identical (working tree
files, `.git/index`, HEAD, branches, stash, worktree list, config) and no gotrim temporary directory is
left. gotrim runs as a separate process (`python -m refactor`), as a user runs it, with TMPDIR a fresh
directory of the case, so that what it leaves behind shows.

Most cases need no Go build: they stop before one (a fake `go` that refuses to run proves it) or reuse
the analysis of one prepared copy of fixture_repos/split (its .git/gotrim cache is copied with it: a
copy at the same HEAD reuses the facts and the suggestions, so `apply --no-verify` runs go list and
git only). The cases that build, and the kills, are marked `go`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXTURES, ROOT, git

GO = shutil.which("go") or ""
IDENTITY = ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "EMAIL")


# ---------------------------------------------------------------------------------------------
# Running gotrim, and what a case asserts


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return [ln for ln in self.err.splitlines() if ln.strip()]


def environ(tmp: Path, env: Mapping[str, str | None] | None = None) -> dict[str, str]:
    """The user's environment with TMPDIR the case's own directory and gotrim importable from ROOT;
    a None value removes the variable."""
    out = {**os.environ, "TMPDIR": str(tmp), "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    out.pop("GOTRIM_GO", None)
    for k, v in (env or {}).items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = v
    return out


def command(args: Sequence[str], prefix: Sequence[str] = ()) -> list[str]:
    return [*prefix, sys.executable, "-m", "refactor", *args]


def gotrim(args: Sequence[str], tmp: Path, env: Mapping[str, str | None] | None = None,
           prefix: Sequence[str] = (), timeout: float = 300) -> Result:
    proc = subprocess.run(command(args, prefix), cwd=tmp, env=environ(tmp, env), capture_output=True, text=True,
                          timeout=timeout)
    return Result(proc.returncode, proc.stdout, proc.stderr)


def start(args: Sequence[str], tmp: Path, env: Mapping[str, str | None] | None = None) -> subprocess.Popen[str]:
    """gotrim in a process group of its own (a CI job), output captured."""
    return subprocess.Popen(command(args), cwd=tmp, env=environ(tmp, env), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def assert_error(r: Result, *says: str) -> None:
    """Exit 2 and one `error:` line, the last thing printed, saying each of `says`; no traceback."""
    assert r.code == 2, r.err
    assert "Traceback" not in r.err and "internal error" not in r.err, r.err
    errors = [ln for ln in r.lines if ln.startswith("error:")]
    assert len(errors) == 1 and r.lines[-1] == errors[0], r.err
    for s in says:
        assert s.lower() in errors[0].lower(), (s, errors[0])


def assert_ok(r: Result) -> None:
    assert r.code == 0, r.err
    assert "Traceback" not in r.err and "error:" not in r.err, r.err


def snapshot(repo: Path) -> dict[str, Any]:
    """Everything of the user's checkout that gotrim must leave as it was (its own cache aside)."""
    if not repo.is_dir():
        return {}
    files: dict[str, object] = {}
    for p in sorted(repo.rglob("*")):
        rel = p.relative_to(repo).as_posix()
        if rel == ".git" or rel.startswith(".git/"):
            continue
        files[rel] = ("link", os.readlink(p)) if p.is_symlink() else p.read_bytes() if p.is_file() else "dir"
    dot = repo / ".git"
    out: dict[str, Any] = {"files": files}
    if dot.is_dir():
        def g(*args: str) -> str:
            return subprocess.run(["git", "--no-optional-locks", *args], cwd=repo, capture_output=True,
                                  text=True).stdout

        out.update({
            "index": (dot / "index").read_bytes() if (dot / "index").exists() else None,
            "HEAD": (dot / "HEAD").read_bytes(), "config": (dot / "config").read_bytes(),
            "refs": set(g("for-each-ref", "--format=%(refname) %(objectname)").splitlines()),
            "stash": g("stash", "list", "--format=%H %gs"),
            "worktrees": g("worktree", "list", "--porcelain"),
            "worktree admin": sorted(os.listdir(dot / "worktrees")) if (dot / "worktrees").exists() else [],
        })
    return out


def assert_unchanged(before: Mapping[str, Any], repo: Path, new_branch: str | None = None) -> None:
    """The checkout is as it was, but for new_branch (created, pointing at a commit whose parent is HEAD)."""
    after = snapshot(repo)
    refs = set(after.get("refs", set()))
    if new_branch is not None:
        added = refs - set(before.get("refs", set()))
        assert [r.split()[0] for r in added] == [f"refs/heads/{new_branch}"], added
        sha = next(iter(added)).split()[1]
        parent = git(repo, "rev-parse", f"{sha}^").strip()
        assert parent == git(repo, "rev-parse", "HEAD").strip()
        refs -= added
    assert refs == before.get("refs", set())
    for key in before:
        if key != "refs":
            assert after[key] == before[key], f"{key} changed"


def assert_no_leftovers(tmp: Path) -> None:
    left = sorted(p.name for p in tmp.iterdir())
    assert not left, f"left in TMPDIR: {left}"


# ---------------------------------------------------------------------------------------------
# Repositories and fake toolchains


def make_repo(root: Path, fixture: str | None = "split", commit: bool = True, init: bool = True) -> Path:
    if fixture:
        shutil.copytree(FIXTURES / fixture, root)
    else:
        root.mkdir(parents=True)
        (root / "README").write_text("not Go\n")
    if init:
        git(root, "init", "-q", "-b", "main")
        if commit:
            git(root, "add", "-A")
            git(root, "commit", "-q", "-m", "fixture")
    return root


def script(path: Path, body: str) -> str:
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return str(path)


@pytest.fixture(scope="module")
def fakes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Fake `go` binaries: one that only tells its version (the case must stop before running go),
    one that prints nonsense, an old one, and the real go behind a `go list` that fails with go's
    own advice on a second line."""
    d = tmp_path_factory.mktemp("fakego")
    # how gotrim asks a go its identity: `go env -json GOVERSION GOROOT`
    version = 'if [ "$1" = env ]; then echo \'{"GOVERSION": "go1.26.0", "GOROOT": ""}\'; exit 0; fi\n'
    return {
        "refuses": script(d / "refuses", version + 'echo "go $* must not run in this case" >&2\nexit 97\n'),
        "nonsense": script(d / "nonsense", "echo hello\n"),
        "old": script(d / "old", 'echo \'{"GOVERSION": "go1.20.1", "GOROOT": ""}\'\n'),
        "remedy": script(d / "remedy", 'if [ "$1" = list ]; then\n'
                         '  printf "go: updates to go.mod needed; to update it:\\n\\tgo mod tidy\\n" >&2; exit 1\n'
                         f'fi\nexec {GO or "go"} "$@"\n'),
        "dir": str(d),
    }


@dataclass(frozen=True)
class Prepared:
    """fixture_repos/split as a repository, analysed once (its .git/gotrim holds the facts)."""

    repo: Path
    heavy: str  # the id of the split that moves the heavy part out (lite)
    heavy_files: tuple[str, ...]  # the files its plan touches
    guard: str  # the id of the guard (both targets)


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Prepared:
    repo = make_repo(tmp_path_factory.mktemp("prepared") / "split")
    tmp = tmp_path_factory.mktemp("prepared-tmp")
    r = gotrim(["suggest", str(repo), "--json"], tmp)
    assert r.code == 0, r.err
    found = json.loads(r.out)["candidates"]
    heavy = next(c["id"] for c in found if c["strategy"] == "split-package" and "heavy part" in c["summary"])
    guard = next(c["id"] for c in found if c["strategy"] == "guard-with-tag")
    diff = gotrim(["apply", heavy, str(repo), "--dry-run"], tmp)
    assert diff.code == 0, diff.err
    files = tuple(sorted({m for m in re.findall(r"^--- a/(\S+)", diff.out, re.MULTILINE)}))
    return Prepared(repo, heavy, files, guard)


def copy_of(p: Prepared, dst: Path) -> Path:
    shutil.copytree(p.repo, dst, symlinks=True)
    return dst


def can_mount_read_only() -> bool:
    if os.geteuid() != 0:
        return True  # chmod does it
    probe = subprocess.run(["unshare", "-m", "sh", "-c", "mount --bind / /mnt 2>/dev/null || mount -t tmpfs x /mnt"],
                           capture_output=True)
    return shutil.which("unshare") is not None and probe.returncode == 0


def read_only(repo: Path) -> list[str]:
    """A command prefix that runs gotrim with repo read-only (a mount namespace for root, else chmod)."""
    if os.geteuid() != 0:
        subprocess.run(["chmod", "-R", "a-w", str(repo)], check=True)
        return []
    mount = f'mount --bind "{repo}" "{repo}" && mount -o remount,bind,ro "{repo}" && exec "$@"'
    return ["unshare", "-m", "sh", "-c", mount, "sh"]


# ---------------------------------------------------------------------------------------------
# The table


@dataclass(frozen=True)
class Case:
    """One fault: how to set it up, what to run, what must come out."""

    setup: Callable[[Ctx], tuple[Path | None, list[str]]]  # -> (the repository to watch, gotrim's arguments)
    code: int = 2
    says: tuple[str, ...] = ()  # an error's line must say these (or, for a success, its stdout/stderr)
    branch: Callable[[Ctx], str] | None = None  # the branch a success creates
    env: Mapping[str, str | None] = field(default_factory=dict)
    fake_go: str | None = None  # a key of `fakes` for GOTRIM_GO
    check: Callable[[Ctx, Path, Result], None] | None = None
    prefix: Callable[[Path], list[str]] | None = None  # runs gotrim under a command made for the repository


@dataclass
class Ctx:
    tmp: Path  # the case's directory (TMPDIR is tmp/tmp)
    fakes: dict[str, str]
    request: pytest.FixtureRequest
    env: dict[str, str | None] = field(default_factory=dict)
    prefix: list[str] = field(default_factory=list)  # runs gotrim under this command (a read-only mount)

    @property
    def prepared(self) -> Prepared:
        """The analysed copy of fixture_repos/split (made once per module, when a case first needs it)."""
        p = self.request.getfixturevalue("prepared")
        assert isinstance(p, Prepared)
        return p

    def copy(self, name: str = "repo") -> Path:
        return copy_of(self.prepared, self.tmp / name)

    @property
    def heavy(self) -> str:
        return self.prepared.heavy


def fresh(fixture: str | None = "split", commit: bool = True, init: bool = True,
          args: Callable[[Path], list[str]] = lambda r: ["suggest", str(r)]) -> Callable[[Ctx], tuple[Path, list[str]]]:
    def setup(ctx: Ctx) -> tuple[Path, list[str]]:
        repo = make_repo(ctx.tmp / "repo", fixture, commit=commit, init=init)
        return repo, args(repo)
    return setup


def on_copy(args: Callable[[Ctx, Path], list[str]], prepare: Callable[[Ctx, Path], None] = lambda c, r: None,
            name: str = "repo") -> Callable[[Ctx], tuple[Path, list[str]]]:
    def setup(ctx: Ctx) -> tuple[Path, list[str]]:
        repo = ctx.copy(name)
        prepare(ctx, repo)
        return repo, args(ctx, repo)
    return setup


def apply_heavy(*extra: str) -> Callable[[Ctx, Path], list[str]]:
    return lambda ctx, repo: ["apply", ctx.heavy, str(repo), *extra]


def toml(text: str) -> Callable[[Ctx], tuple[Path, list[str]]]:
    def setup(ctx: Ctx) -> tuple[Path, list[str]]:
        repo = make_repo(ctx.tmp / "repo", "split", commit=False)
        (repo / "gotrim.toml").write_text(text)
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "fixture")
        return repo, ["suggest", str(repo)]
    return setup


def hook(name: str, body: str) -> Callable[[Ctx, Path], None]:
    def prepare(ctx: Ctx, repo: Path) -> None:
        script(repo / ".git" / "hooks" / name, body)
    return prepare


def identity(name: str | None) -> Callable[[Ctx, Path], None]:
    """The user's global git configuration: this identity, or none at all (user.useConfigOnly)."""
    def prepare(ctx: Ctx, repo: Path) -> None:
        cfg = ctx.tmp / "gitconfig"
        cfg.write_text(f"[user]\n\tname = {name}\n\temail = ada@example.invalid\n" if name
                       else "[user]\n\tuseConfigOnly = true\n")
        ctx.env.update({"GIT_CONFIG_GLOBAL": str(cfg), "GIT_CONFIG_NOSYSTEM": "1", **dict.fromkeys(IDENTITY)})
    return prepare


def dirty(touch_plan: bool) -> Callable[[Ctx, Path], None]:
    def prepare(ctx: Ctx, repo: Path) -> None:
        if touch_plan:
            f = next(f for f in ctx.prepared.heavy_files if f.endswith(".go"))
        else:
            f = "internal/util/counter.go"
            assert f not in ctx.prepared.heavy_files
        with (repo / f).open("a") as fh:
            fh.write("\n// a local edit\n")
        (repo / "notes.txt").write_text("untracked\n")
    return prepare


def stash(ctx: Ctx, repo: Path) -> None:
    with (repo / "cmd/lite/main.go").open("a") as fh:
        fh.write("\n// stashed\n")
    git(repo, "stash", "push", "-q", "-m", "mine")


def nested(ctx: Ctx) -> tuple[Path, list[str]]:
    repo = ctx.tmp / "repo"
    repo.mkdir()
    shutil.copytree(FIXTURES / "split", repo / "mod")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "fixture")
    return repo, ["suggest", str(repo / "mod"), "--json", "--strategy", "split-package"]


def then_dry_run_applies_at_top(ctx: Ctx, repo: Path, r: Result) -> None:
    cid = json.loads(r.out)["candidates"][0]["id"]
    diff = gotrim(["apply", cid, str(repo / "mod"), "--dry-run"], ctx.tmp / "tmp")
    assert diff.code == 0, diff.err
    (ctx.tmp / "change.diff").write_text(diff.out)
    check = subprocess.run(["git", "apply", "--check", str(ctx.tmp / "change.diff")], cwd=repo, capture_output=True,
                           text=True)
    assert check.returncode == 0, check.stderr


def branch_author(ctx: Ctx, repo: Path, r: Result) -> None:
    assert git(repo, "log", "-1", "--format=%an <%ae>|%cn", f"gotrim/split-package/{ctx.heavy}").strip() == \
        "Ada Lovelace <ada@example.invalid>|Ada Lovelace"
    assert (ctx.tmp / "hook-ran").exists(), "the repository's pre-commit hook did not run"


def edit_kept(ctx: Ctx, repo: Path, r: Result) -> None:
    f = next(f for f in ctx.prepared.heavy_files if f.endswith(".go"))
    assert (repo / f).read_text().endswith("// a local edit\n")  # (the snapshot checks every byte)
    shown = git(repo, "show", f"gotrim/split-package/{ctx.heavy}", "--", f)
    assert "a local edit" not in shown, "the commit carries the user's uncommitted edit"


def not_in_commit(ctx: Ctx, repo: Path, r: Result) -> None:
    files = git(repo, "show", "--name-only", "--format=", f"gotrim/split-package/{ctx.heavy}").split()
    assert "notes.txt" not in files and "internal/util/counter.go" not in files


def stale(ctx: Ctx, repo: Path) -> None:
    git(repo, "rm", "-q", "-r", "cmd/lite")
    git(repo, "commit", "-q", "-m", "lite is gone")


def listed_with_target(ctx: Ctx, repo: Path) -> None:
    r = gotrim(["suggest", str(repo), "--target", "./cmd/lite", "--json"], ctx.tmp / "tmp")
    assert r.code == 0, r.err
    ctx.env["LISTED"] = json.dumps(json.loads(r.out)["candidates"])


def same_change_as_listed(ctx: Ctx, repo: Path, r: Result) -> None:
    listed = {c["id"]: c for c in json.loads(ctx.env["LISTED"] or "[]")}
    assert ctx.heavy in listed
    assert "using the options `gotrim suggest` listed it with: --target ./cmd/lite" in r.err
    assert "diff --git" in r.out


def cache_elsewhere(ctx: Ctx, repo: Path, r: Result) -> None:
    assert "split-package" in r.out
    assert list((Path(os.environ["GOTRIM_CACHE_DIR"]) / "repos").glob("*/listed/*.json")), \
        "a read-only checkout's runs are remembered under the cache directory"


def no_go_on_path(ctx: Ctx) -> tuple[Path, list[str]]:
    repo = make_repo(ctx.tmp / "repo")
    keep = [d for d in os.environ.get("PATH", "").split(os.pathsep) if d and not (Path(d) / "go").exists()]
    ctx.env["PATH"] = os.pathsep.join(keep)
    return repo, ["suggest", str(repo)]


def go_is(kind: str) -> Callable[[Ctx], tuple[Path, list[str]]]:
    def setup(ctx: Ctx) -> tuple[Path, list[str]]:
        repo = make_repo(ctx.tmp / "repo")
        ctx.env["GOTRIM_GO"] = ctx.fakes.get(kind, kind)
        return repo, ["suggest", str(repo)]
    return setup


def vendor(ctx: Ctx) -> tuple[Path, list[str]]:
    repo = make_repo(ctx.tmp / "repo", commit=False)
    (repo / "vendor").mkdir()
    (repo / "vendor" / "modules.txt").write_text("# example.com/gone v1.0.0\n## explicit\nexample.com/gone\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "fixture")
    return repo, ["suggest", str(repo)]


def workspace(ctx: Ctx) -> tuple[Path, list[str]]:
    repo = ctx.tmp / "repo"
    repo.mkdir()
    shutil.copytree(FIXTURES / "split", repo / "a")
    shutil.copytree(FIXTURES / "clean", repo / "b")
    (repo / "go.work").write_text("go 1.22\n\nuse (\n\t./a\n\t./b\n)\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "fixture")
    return repo, ["why", "net/http", str(repo / "a")]


def broken(ctx: Ctx) -> tuple[Path, list[str]]:
    repo = make_repo(ctx.tmp / "repo", None, init=False)
    (repo / "go.mod").write_text("module example.com/broken\n\ngo 1.22\n")
    (repo / "main.go").write_text("package main\n\nfunc main() { undefinedFunction() }\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "broken")
    return repo, ["suggest", str(repo)]


def headfail(ctx: Ctx) -> tuple[Path, list[str]]:
    """fixture_repos/headfail: at HEAD, the windows build fails, greet.go is unformatted (CRLF here) and
    has a vet finding; the light split moves Hello (with one of the unformatted lines)."""
    repo = make_repo(ctx.tmp / "repo", "headfail", commit=False)
    greet = repo / "internal" / "greet" / "greet.go"
    greet.write_bytes(greet.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "fixture")
    found = gotrim(["suggest", str(repo), "--json", "--strategy", "split-package"], ctx.tmp / "tmp")
    assert found.code == 0, found.err
    light = next(c["id"] for c in json.loads(found.out)["candidates"] if "light part" in c["summary"])
    ctx.env["BRANCH"] = f"gotrim/split-package/{light}"
    return repo, ["apply", light, str(repo)]


def verified_although_head_fails(ctx: Ctx, repo: Path, r: Result) -> None:
    branch = str(ctx.env["BRANCH"])
    assert f"branch {branch}" in r.out
    for step in ("gofmt", "windows", "vet"):
        assert any(ln.startswith("already failing at HEAD") and step in ln for ln in r.lines), (step, r.err)
    greet = subprocess.run(["git", "show", f"{branch}:internal/greet/greet.go"], cwd=repo, capture_output=True,
                           check=True).stdout
    assert b"\r\n" in greet and b"\n" not in greet.replace(b"\r\n", b"")  # still CRLF
    assert b"http.Get( url )" in greet  # the user's own formatting, untouched


def existing_branch(name: str) -> Callable[[Ctx, Path], None]:
    def prepare(ctx: Ctx, repo: Path) -> None:
        git(repo, "branch", name.replace("{heavy}", ctx.heavy))
    return prepare


def heavy_branch(ctx: Ctx) -> str:
    return f"gotrim/split-package/{ctx.heavy}"


def detach(ctx: Ctx, repo: Path) -> None:
    git(repo, "checkout", "-q", "--detach")


def user_with_hook(ctx: Ctx, repo: Path) -> None:
    identity("Ada Lovelace")(ctx, repo)
    hook("pre-commit", f'touch "{ctx.tmp}/hook-ran"\n')(ctx, repo)


# the case must stop before go runs (fake_go="refuses" answers `go env -json GOVERSION GOROOT` only)
DUBIOUS = {"GIT_TEST_ASSUME_DIFFERENT_OWNER": "1"}  # git's own test switch: the repository is another user's
go = pytest.mark.go

CASES = [
    # -- where gotrim runs
    pytest.param(Case(fresh(init=False, args=lambda r: ["suggest", str(r), "--measure"]),
                      says=("not in a git repository",), fake_go="refuses"), id="not-a-git-repo-measure"),
    pytest.param(Case(fresh(init=False, args=lambda r: ["apply", "abcdef1", str(r)]),
                      says=("not in a git repository",), fake_go="refuses"), id="not-a-git-repo-apply"),
    pytest.param(Case(fresh(None, args=lambda r: ["suggest", str(r)]), says=("not inside a Go module",)),
                 id="no-go-mod"),
    pytest.param(Case(lambda ctx: (ctx.tmp / "nowhere", ["suggest", str(ctx.tmp / "nowhere")]),
                      says=("not a directory",)), id="no-such-directory"),
    pytest.param(Case(fresh(commit=False, args=lambda r: ["suggest", str(r), "--measure"]),
                      says=("no commits yet", "commit"), fake_go="refuses"), id="no-commits-measure"),
    pytest.param(Case(fresh(commit=False, args=lambda r: ["apply", "abcdef1", str(r)]),
                      says=("no commits yet",), fake_go="refuses"), id="no-commits-apply"),
    pytest.param(Case(fresh(args=lambda r: ["apply", "abcdef1", str(r)]), env=DUBIOUS,
                      says=("another user", "git config --global --add safe.directory"), fake_go="refuses"),
                 id="dubious-ownership-apply"),
    pytest.param(Case(fresh(args=lambda r: ["suggest", str(r), "--measure"]), env=DUBIOUS,
                      says=("dubious ownership", "safe.directory"), fake_go="refuses"), id="dubious-ownership-measure"),
    pytest.param(Case(fresh(), env={**DUBIOUS, "GOFLAGS": "-buildvcs=auto"},
                      says=("dubious ownership", "safe.directory", "GOFLAGS=-buildvcs=false")),
                 id="dubious-ownership-go-stamps-vcs", marks=go),
    pytest.param(Case(on_copy(lambda ctx, r: ["suggest", str(r)]), env={**DUBIOUS, "GOFLAGS": "-buildvcs=false"},
                      code=0, says=("split-package",)), id="dubious-ownership-suggest-works", marks=go),
    pytest.param(Case(lambda ctx: (ctx.copy("dir with spaces/re po"),
                                   ["apply", ctx.heavy, str(ctx.tmp / "dir with spaces/re po"), "--no-verify"]),
                      code=0, branch=heavy_branch), id="path-with-spaces", marks=go),
    # -- verification against HEAD (item 5): HEAD's own failures are not the change's
    pytest.param(Case(headfail, code=0, branch=lambda ctx: str(ctx.env["BRANCH"]),
                      check=verified_although_head_fails), id="verified-although-head-fails",
                 marks=go),
    # -- the toolchain
    pytest.param(Case(no_go_on_path, says=("no `go` on PATH", "GOTRIM_GO")), id="no-go"),
    pytest.param(Case(go_is("/nonexistent/go"), says=("/nonexistent/go", "GOTRIM_GO")), id="gotrim-go-missing"),
    pytest.param(Case(go_is("dir"), says=("cannot run", "GOTRIM_GO")), id="gotrim-go-a-directory"),
    pytest.param(Case(go_is("nonsense"), says=("did not report a Go version", "GOTRIM_GO")), id="gotrim-go-nonsense"),
    pytest.param(Case(go_is("old"), says=("go1.20.1", "Go >= 1.22")), id="go-too-old"),
    pytest.param(Case(go_is("remedy"), says=("go mod tidy",)), id="go-remedy-kept"),
    pytest.param(Case(vendor, says=("go mod vendor",)), id="vendor-inconsistent"),
    pytest.param(Case(broken, says=("undefinedFunction",)), id="package-does-not-compile", marks=go),
    pytest.param(Case(workspace, code=0, says=("net/http",)), id="go-work-inside-one-module"),
    # -- targets and configuration
    pytest.param(Case(fresh(args=lambda r: ["suggest", str(r), "--platform", "linux"]),
                      says=("not GOOS/GOARCH",), fake_go="refuses"), id="platform-malformed"),
    pytest.param(Case(fresh(args=lambda r: ["suggest", str(r), "--platform", "linux/nosucharch"]),
                      says=("unknown platform", "go tool dist list")), id="platform-unknown"),
    pytest.param(Case(fresh(args=lambda r: ["suggest", str(r), "--target", "./cmd/nope"]),
                      says=("cmd/nope",)), id="target-missing"),
    pytest.param(Case(fresh(args=lambda r: ["suggest", str(r), "--target", "./internal/util"]),
                      says=("not a main package",)), id="target-not-main"),
    pytest.param(Case(fresh(args=lambda r: ["suggest", str(r), "--tags", "a-b"]), says=("build tag",),
                      fake_go="refuses"), id="tag-invalid"),
    pytest.param(Case(toml("[[target]\nmain = ./cmd/lite\n"), says=("not valid TOML", "gotrim.toml")),
                 id="gotrim-toml-malformed"),
    pytest.param(Case(toml('[[target]]\nmain = "./cmd/lite"\ncolour = "red"\n'), says=("unknown keys",)),
                 id="gotrim-toml-unknown-key"),
    pytest.param(Case(toml('[[target]]\nmain = "./cmd/lite"\nsmoke = "--help"\n'), says=("smoke must be",)),
                 id="gotrim-toml-bad-smoke"),
    # -- output
    pytest.param(Case(fresh(args=lambda r: ["suggest", str(r), "--format", "markdown", "-o",
                                            str(r.parent / "missing" / "r.md")]),
                      says=("does not exist", "-o"), fake_go="refuses"), id="output-into-missing-directory"),
    pytest.param(Case(fresh(args=lambda r: ["suggest", str(r), "--format", "markdown", "-o", str(r)]),
                      says=("is a directory",), fake_go="refuses"), id="output-is-a-directory"),
    # -- ids
    pytest.param(Case(fresh(args=lambda r: ["apply", "", str(r)]), says=("not a candidate id",), fake_go="refuses"),
                 id="id-empty"),
    pytest.param(Case(fresh(args=lambda r: ["apply", "../x", str(r)]), says=("not a candidate id",), fake_go="refuses"),
                 id="id-malformed"),
    pytest.param(Case(on_copy(lambda ctx, r: ["apply", "abcdef1", str(r), "--no-verify"]),
                      says=("no candidate abcdef1", "gotrim suggest")), id="id-unknown", marks=go),
    pytest.param(Case(on_copy(apply_heavy("--no-verify"), stale), says=("no candidate", "HEAD")),
                 id="id-stale", marks=go),
    pytest.param(Case(on_copy(apply_heavy("--dry-run"), listed_with_target), code=0, check=same_change_as_listed),
                 id="id-means-what-suggest-listed", marks=go),
    # -- branches
    pytest.param(Case(on_copy(apply_heavy("--no-verify"), existing_branch("gotrim/split-package/{heavy}")),
                      says=("already exists", "--branch"), fake_go="refuses"), id="branch-exists", marks=go),
    pytest.param(Case(on_copy(apply_heavy("--no-verify"), existing_branch("gotrim")),
                      says=("branch gotrim exists", "--branch"), fake_go="refuses"), id="branch-prefix-exists",
                 marks=go),
    pytest.param(Case(on_copy(apply_heavy("--no-verify", "--branch", "x/sub"), existing_branch("x")),
                      says=("branch x exists",), fake_go="refuses"), id="branch-under-existing", marks=go),
    pytest.param(Case(on_copy(apply_heavy("--no-verify", "--branch", "bad..name")),
                      says=("not a valid branch name",), fake_go="refuses"), id="branch-invalid", marks=go),
    pytest.param(Case(on_copy(apply_heavy("--no-verify", "--worktree", str(FIXTURES))),
                      says=("not empty", "--worktree"), fake_go="refuses"), id="worktree-not-empty", marks=go),
    # -- the user's checkout and history
    pytest.param(Case(on_copy(apply_heavy("--no-verify"), detach),
                      code=0, branch=heavy_branch), id="detached-head", marks=go),
    pytest.param(Case(on_copy(apply_heavy("--no-verify"), stash), code=0, branch=heavy_branch), id="stash-kept",
                 marks=go),
    pytest.param(Case(on_copy(apply_heavy("--no-verify"), dirty(touch_plan=False)), code=0, branch=heavy_branch,
                      check=not_in_commit), id="dirty-and-untracked-elsewhere", marks=go),
    pytest.param(Case(on_copy(apply_heavy("--no-verify"), dirty(touch_plan=True)),
                      says=("uncommitted changes touch", "--allow-dirty")), id="dirty-plan-files", marks=go),
    pytest.param(Case(on_copy(apply_heavy("--no-verify", "--allow-dirty"), dirty(touch_plan=True)), code=0,
                      branch=heavy_branch, check=edit_kept), id="allow-dirty-computes-on-head", marks=go),
    # -- commits as git commit makes them
    pytest.param(Case(on_copy(apply_heavy("--no-verify"), user_with_hook), code=0, branch=heavy_branch,
                      check=branch_author), id="commit-as-the-user-with-hooks", marks=go),
    pytest.param(Case(on_copy(apply_heavy("--no-verify"), identity(None)),
                      says=("no identity", "git config --global user.email")), id="no-git-identity", marks=go),
    pytest.param(Case(on_copy(apply_heavy("--no-verify"), hook("commit-msg", "echo 'needs a ticket' >&2\nexit 1\n")),
                      says=("commit-msg hook refused", "needs a ticket", "--skip-hooks")), id="hook-refuses",
                 marks=go),
    pytest.param(Case(on_copy(apply_heavy("--no-verify", "--skip-hooks"),
                              hook("commit-msg", "echo 'needs a ticket' >&2\nexit 1\n")), code=0, branch=heavy_branch),
                 id="hook-skipped", marks=go),
    # -- a read-only checkout (CI mounts)
    pytest.param(Case(on_copy(lambda ctx, r: ["suggest", str(r)]), code=0, check=cache_elsewhere,
                      prefix=read_only), id="read-only-suggest", marks=go),
    pytest.param(Case(fresh(args=lambda r: ["check", str(r), "--update"]), says=("cannot write gotrim.lock",
                                                                              "read-only"), fake_go="refuses",
                      prefix=read_only), id="read-only-check-update"),
    pytest.param(Case(fresh(args=lambda r: ["apply", "abcdef1", str(r), "--no-verify"]),
                      says=("read-only", "scratch worktree", "writable clone"), fake_go="refuses", prefix=read_only),
                 id="read-only-apply"),
    pytest.param(Case(fresh(args=lambda r: ["suggest", str(r), "--measure"]), says=("read-only",), fake_go="refuses",
                      prefix=read_only), id="read-only-measure"),
    # -- the repository's layout
    pytest.param(Case(nested, code=0, check=then_dry_run_applies_at_top), id="dry-run-applies-at-repository-top",
                 marks=go),
]


@pytest.mark.parametrize("case", CASES)
def test_fault(case: Case, tmp_path: Path, fakes: dict[str, str], request: pytest.FixtureRequest) -> None:
    ctx = Ctx(tmp_path, fakes, request, env=dict(case.env))
    if case.fake_go:
        ctx.env["GOTRIM_GO"] = fakes[case.fake_go]
    if "read-only" in request.node.callspec.id and not can_mount_read_only():
        pytest.skip("no way to make a checkout read-only here")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    repo, args = case.setup(ctx)
    before = snapshot(repo) if repo is not None else {}
    if case.prefix is not None:
        assert repo is not None
        ctx.prefix.extend(case.prefix(repo))
    r = gotrim(args, tmp, ctx.env, prefix=ctx.prefix)
    if case.code == 2:
        assert_error(r, *case.says)
    else:
        assert r.code == case.code, r.err
        assert "Traceback" not in r.err and "internal error" not in r.err, r.err
        for s in case.says:
            assert s in r.out + r.err
    if repo is not None:
        if ctx.prefix and os.geteuid() != 0:
            subprocess.run(["chmod", "-R", "u+w", str(repo)], check=True)
        assert_unchanged(before, repo, case.branch(ctx) if case.branch else None)
    assert_no_leftovers(tmp)
    if case.check is not None:
        assert repo is not None
        case.check(ctx, repo, r)


# ---------------------------------------------------------------------------------------------
# Killed: SIGTERM (timeout, CI cancellation, systemd) cleans up at once; kill -9 of the whole job
# leaves what the next command sweeps, even one that stops early


def wait_for_worktree(repo: Path, proc: subprocess.Popen[str], timeout: float = 120) -> None:
    """Until gotrim's scratch worktree is registered in repo (the middle of a verification)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        listed = git(repo, "worktree", "list", "--porcelain")
        if listed.count("worktree ") > 1:
            time.sleep(0.5)  # into its first go build
            return
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    pytest.fail("gotrim never opened its scratch worktree")


def wait_for_a_go_command(proc: subprocess.Popen[str]) -> None:
    """Until gotrim has a go command (or its compiler or linker) running under it; a fixed sleep raced a
    warm cache, where the whole suggest finished first."""
    from refactor.scratch import descendants

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        for pid in descendants(proc.pid):
            try:
                name = Path(f"/proc/{pid}/comm").read_text().strip()
            except OSError:
                continue
            if name in ("go", "compile", "link", "asm", "cgo"):
                return
        time.sleep(0.01)
    pytest.fail("gotrim never ran a go command")


KILLS = [
    pytest.param(["suggest", "{repo}", "--no-cache"], "load", signal.SIGTERM, None, id="sigterm-while-loading"),
    pytest.param(["suggest", "{repo}", "--measure", "--top", "1"], "worktree", signal.SIGTERM, None,
                 id="sigterm-while-measuring"),
    pytest.param(["apply", "{heavy}", "{repo}"], "worktree", signal.SIGTERM, None, id="sigterm-while-applying"),
    pytest.param(["suggest", "{repo}", "--measure", "--top", "1"], "worktree", signal.SIGKILL,
                 ["suggest", "{repo}"], id="kill-9-while-measuring-then-suggest"),
    pytest.param(["apply", "{heavy}", "{repo}"], "worktree", signal.SIGKILL, ["apply", "", "{repo}"],
                 id="kill-9-while-applying-then-an-apply-that-stops-early"),
]


@pytest.mark.go
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="POSIX signals, /proc")
@pytest.mark.parametrize("args, moment, sig, after", KILLS)
def test_killed(args: list[str], moment: str, sig: signal.Signals, after: list[str] | None, tmp_path: Path,
                prepared: Prepared) -> None:
    repo = copy_of(prepared, tmp_path / "repo")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    before = snapshot(repo)
    def fill(words: list[str]) -> list[str]:
        return [w.replace("{heavy}", prepared.heavy).replace("{repo}", str(repo)) for w in words]

    proc = start(fill(args), tmp)
    if moment == "worktree":
        wait_for_worktree(repo, proc)
    else:
        wait_for_a_go_command(proc)  # go list or a -dumpdep link running: gotrim is loading
        assert proc.poll() is None, proc.communicate()
    if sig == signal.SIGTERM:
        proc.send_signal(sig)  # to gotrim alone, as `kill PID` does: it stops its children itself
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 128 + sig, err
        assert "Traceback" not in err
        assert [ln for ln in err.splitlines() if ln.strip()][-1].startswith("terminated by SIGTERM"), err
    else:
        os.killpg(proc.pid, sig)  # the whole job, as CI kills it
        proc.communicate(timeout=60)
        left = git(repo, "worktree", "list", "--porcelain").count("worktree ") > 1
        assert left and list(tmp.iterdir()), "kill -9 left nothing to sweep: the case proves nothing"
        assert after is not None
        r = gotrim(fill(after), tmp)
        assert r.code in (0, 2), r.err
        if r.code == 2:
            assert_error(r, "not a candidate id")
    assert_unchanged(before, repo)
    assert_no_leftovers(tmp)


# ---------------------------------------------------------------------------------------------
# Concurrent applies of one change: one branch, one clear refusal, nothing else


@pytest.mark.go
@pytest.mark.parametrize("same", [True, False], ids=["same-id", "different-ids"])
def test_concurrent_applies(same: bool, tmp_path: Path, prepared: Prepared) -> None:
    repo = copy_of(prepared, tmp_path / "repo")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    before = snapshot(repo)
    ids = [prepared.heavy, prepared.heavy if same else prepared.guard]
    procs = [start(["apply", cid, str(repo), "--no-verify"], tmp) for cid in ids]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        results.append(Result(p.returncode, out, err))
    ok = [r for r in results if r.code == 0]
    if same:
        assert len(ok) == 1, [r.err for r in results]
        (refused,) = [r for r in results if r.code != 0]
        assert_error(refused, "branch", "--branch")
        assert_unchanged(before, repo, f"gotrim/split-package/{prepared.heavy}")
    else:
        assert len(ok) == 2, [r.err for r in results]
        branches = git(repo, "for-each-ref", "--format=%(refname:short)", "refs/heads/gotrim").split()
        assert sorted(branches) == sorted([f"gotrim/split-package/{prepared.heavy}",
                                           f"gotrim/guard-with-tag/{prepared.guard}"])
    assert_no_leftovers(tmp)


# ---------------------------------------------------------------------------------------------
# After any gotrim command, the user's own go build prints what it printed before (issue 21 item 8)


@pytest.mark.go
def test_the_users_own_build_prints_nothing_new_after_any_gotrim_command(tmp_path: Path) -> None:
    """cmd/go replays a link's output stored under the main package's compile action ID; gotrim's
    -dumpdep links must not leave their stream there for the user's next up-to-date build. The main
    package carries a nonce, so that no other process sharing GOCACHE links the same package."""
    repo = make_repo(tmp_path / "repo", commit=False)
    with (repo / "cmd/lite/main.go").open("a") as f:
        f.write(f"\n// nonce {os.getpid()} {time.time_ns()}\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "fixture")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    exe = tmp_path / "bin" / "lite"

    def user_build() -> str:
        p = subprocess.run([GO, "build", "-trimpath", "-o", str(exe), "./cmd/lite"], cwd=repo, capture_output=True,
                           text=True, env={**os.environ, "GOFLAGS": os.environ.get("GOFLAGS", "")})
        assert p.returncode == 0, p.stderr
        return p.stdout + p.stderr

    user_build()
    assert user_build() == ""  # up to date: nothing to say
    for args in (["size"], ["dce"], ["suggest"], ["suggest", "--measure", "--top", "1"], ["check", "--update"]):
        r = gotrim([args[0], str(repo), "--target", "./cmd/lite", *args[1:]], tmp)
        assert r.code in (0, 1), r.err
        printed = user_build()
        assert printed == "", f"after gotrim {' '.join(args)}, go build printed {len(printed.splitlines())} lines"
    sized = gotrim(["size", str(repo), "--target", "./cmd/lite", "--json"], tmp)
    assert json.loads(sized.out)[0]["size"]["file_bytes"] == exe.stat().st_size  # gotrim's link: same bytes
    assert_no_leftovers(tmp)


# ---------------------------------------------------------------------------------------------
# Item 7's smaller things, without a process


def test_a_status_line_at_least_every_interval_where_stderr_is_not_a_terminal(
        capsys: pytest.CaptureFixture[str]) -> None:
    from refactor.cli import Heartbeat

    beat = Heartbeat(interval=0.2)
    beat.said("building lite linux/amd64 with -dumpdep")
    time.sleep(1.0)
    beat.close()
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert len(lines) >= 3 and all(ln.startswith("still building lite linux/amd64 with -dumpdep (") for ln in lines)
    time.sleep(0.5)
    assert not capsys.readouterr().err  # closed: silent


@pytest.mark.parametrize("width", [100, 80])
def test_table_cells_break_between_words_never_inside_a_path_or_id(width: int, monkeypatch: pytest.MonkeyPatch
                                                                   ) -> None:
    import io

    from rich.console import Console

    from refactor import cli
    from refactor.table import Column, Table

    paths = ["example.com/split/internal/util", "example.com/split/internal/util/greeting", "net/http"]
    rows = [{"id": "6c17209", "strategy": "split-package", "targets": "full linux/amd64\nlite linux/amd64",
             "estimated": 5_767_168, "summary": f"move the light part of {paths[0]} to {paths[1]} (cuts "
                                                f"{paths[0]} -> {paths[2]})"}]
    table = Table("Candidates", [Column("id", "id"), Column("strategy", "strategy"), Column("targets", "targets"),
                                 Column("estimated", "estimated", "right", "bytes"), Column("summary", "summary")],
                  rows)
    buf = io.StringIO()
    fake = cli._LazyConsole(stderr=False)
    fake._console = Console(file=buf, width=width, highlight=False, soft_wrap=True)
    monkeypatch.setattr(cli, "out", fake)
    cli.emit(table, False)
    lines = buf.getvalue().splitlines()
    for word in [*paths, "6c17209", "split-package", "full linux/amd64", "lite linux/amd64"]:
        assert any(word in ln for ln in lines), (word, buf.getvalue())


def test_commit_subjects_are_cut_a_whole_phrase_at_a_time() -> None:
    from refactor.report import subject_line

    m = "example.com/m"
    title = f"split {m}/pkg/x/bootstrap: light part to {m}/pkg/x/bootstrap/bootstraplightweight"
    summary = (f"move the light part of {m}/pkg/x/bootstrap to {m}/pkg/x/bootstrap/bootstraplightweight (cuts "
               f"{m}/pkg/x/bootstrap -> k8s.io/client-go/kubernetes)")
    subject, full = subject_line(title, summary, m)
    assert len(subject) <= 72 and full
    assert subject == "split pkg/x/bootstrap: light part to bootstrap/bootstraplightweight"
    long = f"split {m}/internal/a/much/longer/path/than/usual/for/a/package/bootstrap: heavy part to " \
           f"{m}/internal/a/much/longer/path/than/usual/for/a/package/bootstrap/bootstrapheavy"
    subject, _ = subject_line(long, long, m)
    assert len(subject) <= 72 and not subject.endswith((" to", " of", ":"))
    subject, _ = subject_line(f"Guard the plugin import of {m}/internal/" + "/".join(["deep"] * 12) + " with a tag",
                              "", m)
    assert subject == "Guard the plugin import of .../deep/deep with a tag"
