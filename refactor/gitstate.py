"""What a module's git repository looks like right now, read with plain git commands (cheap; no writes)."""

from __future__ import annotations

import hashlib
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


def repo_state(module_dir: Path) -> RepoState | None:
    """The git facts of the directory's repository, or None when it is not in a git repository.
    dirty_files covers the whole repository (Plan paths are relative to its top, across modules).

    Plain git commands (not GitPython) keep this cheap: suggest calls it on every run for its cache.
    """
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        # --no-optional-locks: `git status` must not refresh (rewrite) the user's index
        return subprocess.run(["git", "--no-optional-locks", *args], cwd=module_dir, capture_output=True, text=True)

    if not module_dir.is_dir():
        return None
    top_proc = run("rev-parse", "--show-toplevel")
    if top_proc.returncode != 0:
        return None
    top = Path(top_proc.stdout.strip()).resolve()
    rel = module_dir.resolve().relative_to(top).as_posix()
    rel = "" if rel == "." else rel
    head_proc = run("rev-parse", "--verify", "-q", "HEAD^{commit}")
    if head_proc.returncode != 0:
        raise WorkspaceError(f"{top} has no commits yet: commit your code first")
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
