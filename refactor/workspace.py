"""The only module that touches git or writes into a repository: a scratch worktree per run.

The user's checkout is never written: plans are written into a detached worktree of HEAD, and a
branch is created only after the commit exists, so a failure at any step leaves no stray branch.
Worktrees are locked with the owning pid; one whose process is gone is removed on the next run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import git

from refactor import scratch
from refactor.errors import UsageError, WorkspaceError
from refactor.gitstate import RepoState, repo_state
from refactor.plan import Plan

PREFIX = scratch.WORKTREE_PREFIX
ACTOR = git.Actor("gotrim", "gotrim@example.invalid")


def require_repo(module_dir: Path) -> RepoState:
    """Like repo_state, but a missing repository is an error that says what to do."""
    state = repo_state(module_dir)
    if state is None:
        raise WorkspaceError(f"{module_dir} is not in a git repository: apply and --measure work on "
                             "a scratch git worktree; run `git init && git add -A && git commit`")
    return state


def check_branch_name(top: Path, name: str) -> None:
    """Refuse branch names git rejects and branches that already exist."""
    proc = subprocess.run(["git", "check-ref-format", "--branch", name], cwd=top, capture_output=True,
                          text=True)
    if proc.returncode != 0:
        raise WorkspaceError(f"{name!r} is not a valid branch name: choose another with --branch")
    repo = git.Repo(top)
    names = [h.name for h in repo.branches]
    if name in names:
        raise WorkspaceError(f"branch {name} already exists: delete it or choose another with --branch")
    clash = [b for b in names if b.startswith(name + "/") or name.startswith(b + "/")]
    if clash:  # refs are files: refs/heads/x and refs/heads/x/y cannot both exist
        raise WorkspaceError(f"branch {clash[0]} exists, so branch {name} cannot be created: choose another "
                             "with --branch")


class Workspace:
    """A detached scratch worktree of HEAD where plans are written, built and committed."""

    def __init__(self, state: RepoState, path: Path, keep: bool, commit: str | None = None) -> None:
        self.state = state
        self.commit_sha = commit or state.head  # the commit the worktree was opened at
        self.path = path
        self.keep = keep
        self.repo = git.Repo(path)

    @property
    def module_dir(self) -> Path:
        return self.path / self.state.module_rel if self.state.module_rel else self.path

    def write(self, plan: Plan) -> None:
        """Write the plan's files; refuse when a file's current content is not what the plan expects."""
        for change in plan.changes:
            dst = self.module_dir / change.path
            current = dst.read_bytes() if dst.exists() else None
            if current != change.before:
                what = "exists" if change.before is None else "changed since the analysis"
                raise WorkspaceError(f"{change.path} {what} at HEAD: run `gotrim suggest` again "
                                     "(or commit your changes first)")
        plan.write_to(self.module_dir)

    def reset(self) -> None:
        """Back to HEAD: tracked files restored, new files removed."""
        self.repo.git.reset("--hard", "-q", self.commit_sha)
        self.repo.git.clean("-fdq")

    def commit(self, message: str, branch: str) -> str:
        """Commit everything in the worktree, then create `branch` at that commit; returns its sha."""
        self.repo.git.add("-A")
        if not self.repo.index.diff(self.state.head):
            raise WorkspaceError("the plan changes nothing: nothing to commit")
        c = self.repo.index.commit(message, author=ACTOR, committer=ACTOR, skip_hooks=True)
        check_branch_name(self.state.top, branch)
        git.Repo(self.state.top).git.branch(branch, c.hexsha)
        return c.hexsha

    def diff(self) -> str:
        """The worktree's change against HEAD, as git prints it."""
        self.repo.git.add("-A")
        return str(self.repo.git.diff("--cached", "--no-color", "--no-ext-diff", "--src-prefix=a/",
                                      "--dst-prefix=b/", self.state.head))


@contextmanager
def open_workspace(state: RepoState, keep_at: Path | None = None, at: str | None = None) -> Iterator[Workspace]:
    """A detached worktree of HEAD (or of commit `at`), removed on exit (also on Ctrl-C) unless
    keep_at is given."""
    top = state.top
    prune_stale(top)
    if keep_at is not None:
        path = keep_at.resolve()
        if path.exists() and any(path.iterdir()):
            raise WorkspaceError(f"{path} exists and is not empty: choose another --worktree path")
    else:
        path = Path(tempfile.mkdtemp(prefix=PREFIX)) / "wt"
    try:
        git.Repo(top).git.worktree("add", "--detach", "--lock", "--reason", scratch.lock_reason(),
                                   str(path), at or state.head)
    except git.GitCommandError as exc:
        _rmtree(path.parent if keep_at is None else path)
        raise WorkspaceError(f"git worktree add failed: {exc.stderr.strip()}") from exc
    ws = Workspace(state, path, keep=keep_at is not None, commit=at)
    try:
        _init_submodules(ws)
        yield ws
    finally:
        if keep_at is None:
            remove(top, path)
        else:
            git.Repo(top).git.worktree("unlock", str(path))


def resolve_commit(top: Path, rev: str) -> str:
    """The full sha of the commit `rev` names (a sha, branch, tag, `origin/main`, `HEAD~2`...);
    UsageError when it names none."""
    if not rev or rev.startswith("-"):
        raise UsageError(f"{rev!r} is not a commit: give a branch, tag or commit id")
    proc = subprocess.run(["git", "rev-parse", "--verify", "-q", "--end-of-options", f"{rev}^{{commit}}"],
                          cwd=top, capture_output=True, text=True)
    if proc.returncode != 0:
        raise UsageError(f"{rev} is not a commit of {top}: give a branch, tag or commit id "
                         "(in CI, fetch the base first: git fetch origin <base>)")
    return proc.stdout.strip()


def merge_base(top: Path, a: str, b: str) -> str:
    """The best common ancestor of two commits; UsageError when they have none (a shallow clone)."""
    proc = subprocess.run(["git", "merge-base", a, b], cwd=top, capture_output=True, text=True)
    if proc.returncode != 0 or not proc.stdout.strip():
        raise UsageError(f"{a[:12]} and {b[:12]} have no common ancestor here: fetch more history "
                         "(actions/checkout with fetch-depth: 0) or drop --merge-base")
    return proc.stdout.strip()


def describe_commit(top: Path, sha: str) -> str:
    """`abc123def456 (subject line)` for messages."""
    proc = subprocess.run(["git", "log", "-1", "--format=%s", sha], cwd=top, capture_output=True, text=True)
    subject = proc.stdout.strip()
    return f"{sha[:12]} ({subject})" if subject else sha[:12]


def copy_working_tree(state: RepoState, ws: Workspace) -> list[str]:
    """Make the worktree (at HEAD) look like the user's working tree: every modified, added,
    deleted and untracked (not ignored) file of the repository is copied or removed. Reads the
    user's checkout only. Returns the repository-relative paths that differ from HEAD."""
    status = subprocess.run(["git", "--no-optional-locks", "status", "--porcelain=v1", "-z", "--untracked-files=all",
                             "--ignore-submodules=all"], cwd=state.top, capture_output=True).stdout
    fields = status.split(b"\0")
    paths: list[str] = []
    i = 0
    while i < len(fields):
        entry = fields[i]
        i += 1
        if len(entry) < 4:
            continue
        if entry[:1] in (b"R", b"C"):
            if entry[:1] == b"R":
                paths.append(os.fsdecode(fields[i]))  # the rename's source: gone from the working tree
            i += 1
        paths.append(os.fsdecode(entry[3:]))
    changed = []
    for rel in dict.fromkeys(paths):
        src, dst = state.top / rel, ws.path / rel
        if src.is_symlink() or src.is_file():
            dst.parent.mkdir(parents=True, exist_ok=True)
            if dst.is_symlink() or dst.exists():
                dst.unlink()
            if src.is_symlink():
                dst.symlink_to(os.readlink(src))
            else:
                shutil.copy(src, dst)  # a new mtime: git in the worktree sees the change too
            changed.append(rel)
        elif not src.exists() and (dst.is_symlink() or dst.is_file()):
            dst.unlink()
            changed.append(rel)
    return changed


def _init_submodules(ws: Workspace) -> None:
    """A new worktree has empty submodule directories: check them out, or say why the builds cannot run."""
    if not (ws.path / ".gitmodules").is_file():
        return
    try:
        ws.repo.git.submodule("update", "--init", "--recursive")
    except git.GitCommandError as exc:
        lines = [ln for ln in str(exc.stderr).strip().splitlines() if ln.strip()]
        raise WorkspaceError("the scratch worktree could not check out the repository's submodules "
                             f"({lines[-1] if lines else exc}): make them reachable from this machine") from exc


def remove(top: Path, path: Path) -> None:
    """Remove a gotrim worktree, its directory and its registration in the repository; never raises."""
    scratch.remove_worktree(top, path)


def prune_stale(top: Path) -> list[Path]:
    """Remove the scratch worktrees of gotrim processes that no longer run (refactor.scratch)."""
    return scratch.sweep_worktrees(top)


def _rmtree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
