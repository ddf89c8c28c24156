"""apply: one candidate on a new branch, verified and measured in a scratch worktree.

The checks come first and cost nothing: the plan's files must have no uncommitted changes (unless
allow_dirty), and the branch name must be one git can create, before any build. The plan is then
written into a detached worktree of HEAD, verified (refactor.measure), and committed there with a
message that carries every target's sizes, as `git commit` would (the user's identity, the
repository's commit hooks unless skipped); only then is the branch created. The user's working
tree, index and current branch are never touched (refactor.workspace).

With allow_dirty, the change is computed on HEAD (the CLI analyses a scratch worktree of HEAD when
the plan's files have uncommitted changes): the user's edits stay in the working tree, and are not
part of the commit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from refactor.candidate import Candidate
from refactor.errors import UsageError
from refactor.measure import Measurement, verify_and_measure
from refactor.project import Project

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Applied:
    """What apply did: the branch and its commit, or why there is none (verification failed)."""

    branch: str
    sha: str | None  # None: verification failed, no branch created
    measurement: Measurement | None  # None: applied without verification
    worktree: Path | None = None  # kept for inspection when asked

    @property
    def ok(self) -> bool:
        return self.sha is not None


def branch_name(candidate: Candidate, branch: str | None) -> str:
    """The branch apply creates: the given one, else gotrim/<strategy>/<id>."""
    return branch or f"gotrim/{candidate.strategy}/{candidate.id}"


def check_branch(root: Path, name: str) -> None:
    """WorkspaceError unless git can create branch `name` in root's repository (checked before builds)."""
    from refactor.workspace import check_branch_name, require_repo

    check_branch_name(require_repo(root).top, name)


def check_default_branches(root: Path, cid: str, strategies: Sequence[str]) -> None:
    """WorkspaceError unless gotrim/<strategy>/<cid> can be created for each strategy (a branch `gotrim`
    or `gotrim/<strategy>` blocks them all): checked before any build, when no --branch is given."""
    from refactor.workspace import check_branch_name, require_repo

    top = require_repo(root).top
    for name in strategies:
        check_branch_name(top, f"gotrim/{name}/{cid.lower()}")


def dirty_plan_files(project: Project, candidate: Candidate) -> list[str]:
    """The plan's files that have uncommitted changes in the user's working tree."""
    from refactor.workspace import require_repo

    return sorted(set(candidate.plan.files()) & require_repo(project.root).dirty_files)


def apply(project: Project, candidate: Candidate, *, branch: str | None = None, verify: bool = True,
          allow_dirty: bool = False, worktree: Path | None = None, test: bool = False,
          progress: Progress | None = None, hooks: bool = True) -> Applied:
    """Apply candidate on a new branch (verified and measured unless verify is off), committed as
    `git commit` would: the user's identity, the repository's hooks (unless hooks is off)."""
    from refactor import report
    from refactor.workspace import check_branch_name, open_workspace, require_repo

    state = require_repo(project.root)
    touched = sorted(set(candidate.plan.files()) & state.dirty_files)
    if touched and not allow_dirty:
        raise UsageError(f"uncommitted changes touch {', '.join(touched)}: commit or stash them, "
                         "or pass --allow-dirty to apply on HEAD anyway")
    name = branch_name(candidate, branch)
    check_branch_name(state.top, name)
    with open_workspace(state, keep_at=worktree) as ws:
        measurement = None
        if verify:  # writes the plan after what it needs of HEAD (refactor.baseline), and leaves it written
            measurement = verify_and_measure(project, ws, candidate, test=test, progress=progress)
            if not measurement.verified:
                return Applied(name, None, measurement, worktree)
            extra = candidate.details.after_measurement(candidate.plan, measurement)
            if extra:  # e.g. a dependency patch's file, now stating the measured bytes
                from refactor.plan import Plan

                ws.write(Plan(candidate.plan.title, extra))
        else:
            ws.write(candidate.plan)
        message = report.commit_message(
            candidate, measurement, module=project.module.path,
            target_packages={t.label: project.sizes[t].packages for t in candidate.targets if t in project.sizes},
            target_bytes={t.label: project.sizes[t].file_bytes for t in candidate.targets if t in project.sizes},
            built_with={t.label: project.go_of(t).version_text for t in candidate.targets},
            module_dirs={t.label: (project.sources.rel(project.module_of(t).dir), project.module_of(t).path)
                         for t in candidate.targets if project.module_of(t).dir != project.root})
        sha = ws.commit(message, name, hooks=hooks)
    return Applied(name, sha, measurement, worktree)
