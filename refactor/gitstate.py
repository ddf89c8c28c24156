"""What a module's git repository looks like right now, read with plain git commands (cheap; no writes)."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from refactor.errors import WorkspaceError


@dataclass(frozen=True)
class RepoState:
    """Where a directory (REPO, or a module) sits in its git repository, and the commit it is at."""

    top: Path  # git toplevel of the user's checkout
    module_rel: str  # the directory asked about, relative to top ("" when the same)
    head: str  # HEAD commit sha
    dirty_files: frozenset[str]  # top-relative paths with uncommitted changes (tracked or not), repo-wide


def repo_state(module_dir: Path, *, required: bool = False) -> RepoState | None:
    """The git facts of the directory's repository, or None when it is not in a git repository.
    dirty_files covers the whole repository (Plan paths are relative to its top, across modules).

    A repository git refuses (another user's: "dubious ownership") or without a commit is None too
    (suggest works without its cache there), unless required: then a WorkspaceError says what to do.
    Plain git commands (not GitPython) keep this cheap: suggest calls it on every run for its cache.
    """
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        # --no-optional-locks: `git status` must not refresh (rewrite) the user's index
        return subprocess.run(["git", "--no-optional-locks", *args], cwd=module_dir, capture_output=True, text=True)

    if not module_dir.is_dir():
        return None
    top_proc = run("rev-parse", "--show-toplevel")
    if top_proc.returncode != 0:
        if required:
            refused = unsafe_repository(top_proc.stderr)
            if refused is not None:
                raise WorkspaceError(refused)
        return None
    top = Path(top_proc.stdout.strip()).resolve()
    rel = module_dir.resolve().relative_to(top).as_posix()
    rel = "" if rel == "." else rel
    head_proc = run("rev-parse", "--verify", "-q", "HEAD^{commit}")
    if head_proc.returncode != 0:
        if not required:
            return None
        raise WorkspaceError(f"{top} has no commits yet: apply and --measure start from HEAD; commit your "
                             "code first")
    status = subprocess.run(["git", "--no-optional-locks", "status", "--porcelain=v1", "-z", "--untracked-files=all"],
                            cwd=top, capture_output=True, text=True).stdout
    dirty = set()
    fields = status.split("\0")
    i = 0
    while i < len(fields):
        entry = fields[i]
        i += 1
        if len(entry) < 4:
            continue
        if entry[0] in "RC":
            i += 1  # the rename's source path follows as its own field
        dirty.add(entry[3:])
    return RepoState(top=top, module_rel=rel, head=head_proc.stdout.strip(), dirty_files=frozenset(dirty))


def head_commit(module_dir: Path) -> str | None:
    """HEAD's commit, or None where repo_state would be None (not in git, refused, no commit yet); one
    git command, no status."""
    if not module_dir.is_dir():
        return None
    proc = subprocess.run(["git", "--no-optional-locks", "rev-parse", "--verify", "-q", "HEAD^{commit}"],
                          cwd=module_dir, capture_output=True, text=True)
    return (proc.stdout.strip() or None) if proc.returncode == 0 else None


_DUBIOUS = re.compile(r"dubious ownership in repository at '([^']*)'")


def unsafe_repository(stderr: str) -> str | None:
    """The message for git's refusal of a repository another user owns ("dubious ownership", usual in
    CI containers and mounted checkouts), naming git's own remedy; None for other failures."""
    m = _DUBIOUS.search(stderr)
    if m is None:
        return None
    path = m.group(1)
    return (f"git refuses to work in {path}: the repository belongs to another user (git's \"dubious "
            f"ownership\" check); if you trust it, run `git config --global --add safe.directory {path}`")


def cache_folder(module_dir: Path) -> Path | None:
    """Where gotrim remembers runs of the repository: .git/gotrim; when .git cannot be written (a
    read-only checkout), a folder named after the repository under gotrim's cache directory; None
    outside git."""
    from refactor.config import default_cache_dir

    common = git_common_dir(module_dir)
    if common is None:
        return None
    own = common / "gotrim"
    if os.access(own if own.is_dir() else common, os.W_OK):
        return own
    return default_cache_dir() / "repos" / hashlib.sha256(str(common).encode()).hexdigest()[:16]


def git_common_dir(module_dir: Path) -> Path | None:
    """The repository's common .git directory (shared by its worktrees), or None outside git."""
    proc = subprocess.run(["git", "rev-parse", "--path-format=absolute", "--git-common-dir"], cwd=module_dir,
                          capture_output=True, text=True)
    out = proc.stdout.strip()
    return Path(out) if proc.returncode == 0 and out else None


def dirty_digest(state: RepoState) -> str:
    """A digest of the uncommitted files' names and contents (what HEAD alone does not say)."""
    h = hashlib.sha256()
    for rel in sorted(state.dirty_files):
        p = state.top / rel
        h.update(rel.encode() + b"\0")
        if p.is_file():
            h.update(p.read_bytes())
    return h.hexdigest()
