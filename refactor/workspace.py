"""The only module that touches git or writes into a repository: a scratch worktree per run.

The user's checkout is never written: plans are written into a detached worktree of HEAD, and a
branch is created only after the commit exists, so a failure at any step leaves no stray branch.
Worktrees are locked with the owning pid; one whose process is gone is removed on the next run.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import git

from refactor import scratch
from refactor.errors import UsageError, WorkspaceError
from refactor.gitstate import RepoState, git_common_dir, repo_state
from refactor.plan import Plan
from refactor.toolchain import Go

PREFIX = scratch.WORKTREE_PREFIX
COMMIT_HOOKS = ("pre-commit", "prepare-commit-msg", "commit-msg")


def require_repo(module_dir: Path, *, writable: bool = True) -> RepoState:
    """Like repo_state, but a missing, refused or commit-less repository is an error that says what to do;
    so is one whose .git cannot be written (a read-only checkout) when writable is asked: a scratch
    worktree and a branch are written there."""
    state = repo_state(module_dir, required=True)
    if state is None:
        raise WorkspaceError(f"{module_dir} is not in a git repository: apply and --measure work on "
                             "a scratch git worktree; run `git init && git add -A && git commit`")
    common = git_common_dir(module_dir)
    if writable and common is not None and not os.access(common, os.W_OK):
        raise WorkspaceError(f"{common} is read-only: gotrim adds its scratch worktree there (apply, --measure, "
                             "diff), and apply a branch; run them in a writable clone (suggest, size and dce work "
                             "read-only)")
    return state


def git_says(stderr: object) -> str:
    """git's own error in one line: its `fatal:`/`error:` line, else its last line."""
    lines = [ln.strip() for ln in str(stderr or "").strip().strip("'").splitlines() if ln.strip()]
    lines = [ln[len("stderr: "):] if ln.startswith("stderr: ") else ln for ln in lines]
    said = next((ln for ln in lines if ln.startswith(("fatal:", "error:"))), lines[-1] if lines else "")
    return said.removeprefix("fatal: ").removeprefix("error: ").strip(" '")


def check_branch_name(top: Path, name: str) -> None:
    """Refuse branch names git rejects and branches that already exist."""
    proc = subprocess.run(["git", "check-ref-format", "--branch", name], cwd=top, capture_output=True,
                          text=True)
    if proc.returncode != 0:
        raise WorkspaceError(f"{name!r} is not a valid branch name: choose another with --branch")
    listed = subprocess.run(["git", "for-each-ref", "--format=%(refname:short)", "refs/heads/"], cwd=top,
                            capture_output=True, text=True).stdout
    names = listed.split()
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
        self._scratch: list[Path] = []  # files gotrim wrote beside the worktree, removed with it

    @property
    def module_dir(self) -> Path:
        """The worktree's copy of the directory the state was taken of (REPO)."""
        return self.path / self.state.module_rel if self.state.module_rel else self.path

    def at(self, path: Path) -> Path:
        """The worktree's copy of a path of the user's checkout (a module's directory, a file)."""
        try:
            return self.path / Path(path).resolve().relative_to(self.state.top)
        except ValueError:
            return Path(path)  # outside the repository: not copied

    def go(self, go: Go) -> Go:
        """A module's toolchain for its copy in the worktree: a pinned go.work of the checkout points to
        the worktree's. A go.work that git does not track (often ignored) is not in the worktree: a copy
        whose paths point into the worktree is written beside it, never into it."""
        moved = go.relocated(self.state.top, self.path)
        work = moved.gowork
        if not work or work == "off" or work == go.gowork or Path(work).is_file():
            return moved
        original = Path(go.gowork or "")
        copy = self._untracked_gowork(original)
        return moved.with_env(GOWORK=str(copy)) if copy is not None else go

    def _untracked_gowork(self, original: Path) -> Path | None:
        if not original.is_file():
            return None
        out = Path(tempfile.mkdtemp(prefix=PREFIX + "work-")) / "go.work"
        self._scratch.append(out.parent)
        text = relocate_gowork(original.read_text(encoding="utf-8", errors="replace"), original.parent,
                               lambda p: self.at(p) if self.state.top in (p, *p.parents) else p)
        out.write_text(text, encoding="utf-8")
        return out

    def write(self, plan: Plan) -> None:
        """Write the plan's files (paths relative to the repository's top); refuse when a file's
        current content is not what the plan expects."""
        for change in plan.changes:
            dst = self.path / change.path
            current = dst.read_bytes() if dst.exists() else None
            if current != change.before:
                what = "exists" if change.before is None else "changed since the analysis"
                raise WorkspaceError(f"{change.path} {what} at HEAD: run `gotrim suggest` again "
                                     "(or commit your changes first)")
        plan.write_to(self.path)

    def reset(self) -> None:
        """Back to HEAD: tracked files restored, new files removed."""
        self.repo.git.reset("--hard", "-q", self.commit_sha)
        self.repo.git.clean("-fdq")

    def commit(self, message: str, branch: str, *, hooks: bool = True) -> str:
        """Commit everything in the worktree as `git commit` would (the user's identity as author and
        committer, the repository's commit hooks run unless hooks is off), then create `branch` at
        that commit; returns its sha."""
        self.repo.git.add("-A")
        if not self.repo.index.diff(self.state.head):
            raise WorkspaceError("the plan changes nothing: nothing to commit")
        argv = ["git", "commit", "-q", "--file=-"] if hooks else \
            ["git", "-c", f"core.hooksPath={os.devnull}", "commit", "-q", "--no-verify", "--file=-"]
        proc = subprocess.run(argv, cwd=self.path, input=message, capture_output=True, text=True)
        if proc.returncode != 0:
            raise WorkspaceError(_commit_failure(self.path, proc.stdout + proc.stderr, hooks))
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=self.path, capture_output=True,
                             text=True).stdout.strip()
        check_branch_name(self.state.top, branch)
        made = subprocess.run(["git", "branch", branch, sha], cwd=self.state.top, capture_output=True, text=True)
        if made.returncode != 0:  # another gotrim (or the user) made it meanwhile
            raise WorkspaceError(f"could not create branch {branch} ({git_says(made.stderr)}): the commit is "
                                 f"{sha[:12]}; choose another name with --branch")
        return sha

    def diff(self) -> str:
        """The worktree's change against HEAD, as git prints it."""
        self.repo.git.add("-A")
        return str(self.repo.git.diff("--cached", "--no-color", "--no-ext-diff", "--src-prefix=a/",
                                      "--dst-prefix=b/", self.state.head))


def relocate_gowork(text: str, base: Path, move: Callable[[Path], Path]) -> str:
    """go.work text with each directory it names (`use` entries and local `replace` targets: the only
    tokens that start with `.` or `/`) made absolute and moved."""
    def token(m: re.Match[str]) -> str:
        quote, path = m.group(1), m.group(2)
        target = Path(path) if os.path.isabs(path) else (base / path).resolve()
        return f'"{move(target)}"' if quote or " " in str(move(target)) else str(move(target))
    out = []
    for line in text.splitlines(keepends=True):
        code, sep, comment = line.partition("//")
        code = re.sub(r'(?:(?<=\s)|^)("?)(\.{1,2}(?:/[^\s"()]*)?|/[^\s"()]*)\1(?=[\s)]|$)', token, code)
        out.append(code + sep + comment)
    return "".join(out)


def _commit_failure(worktree: Path, output: str, hooks: bool) -> str:
    """Why `git commit` failed, in one line that says what to do."""
    if re.search(r"tell me who you are|unable to auto-detect email|empty ident name|no email was given", output,
                 re.IGNORECASE):
        return ("git has no identity to write the commit with (gotrim commits as you, as git commit would): "
                "run `git config --global user.name \"Your Name\"` and "
                "`git config --global user.email you@example.com`")
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    if hooks:
        hooks_dir = subprocess.run(["git", "rev-parse", "--git-path", "hooks"], cwd=worktree, capture_output=True,
                                   text=True).stdout.strip()
        ran = [h for h in COMMIT_HOOKS if hooks_dir and os.access(worktree / hooks_dir / h, os.X_OK)]
        if ran:
            said = f": {lines[0]}" if lines else ""
            return (f"the repository's {'/'.join(ran)} hook refused the commit{said}; fix what it reports, "
                    "or pass --skip-hooks to commit without running the hooks")
    return f"git commit failed: {git_says(output) or 'no output'}"


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
        raise WorkspaceError(f"gotrim could not add its scratch worktree to {top} ({git_says(exc.stderr)}); "
                             "apply and --measure need a repository they can write to (.git/worktrees)") from exc
    ws = Workspace(state, path, keep=keep_at is not None, commit=at)
    try:
        _init_submodules(ws)
        yield ws
    finally:
        ws.repo.close()  # its git cat-file processes (the collector, off during a command, would not)
        for extra in ws._scratch:
            _rmtree(extra)
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
