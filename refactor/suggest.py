"""suggest and apply: run the strategies, merge and rank candidates, cache them, verify and commit."""

from __future__ import annotations

import hashlib
import pickle
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from refactor import __version__, code_digest
from refactor.candidate import Candidate, Refusal, Strategy, rank
from refactor.config import Target
from refactor.errors import UsageError
from refactor.gitstate import RepoState, repo_state
from refactor.plan import Plan
from refactor.project import Project

Progress = Callable[[str], None]
CACHE_VERSION = 1


@dataclass(frozen=True)
class Suggestions:
    """What suggest found for one HEAD and configuration."""

    candidates: tuple[Candidate, ...]
    refusals: tuple[Refusal, ...]
    head: str | None


def strategies_named(names: Sequence[str]) -> list[Strategy]:
    """The registered strategies, or those named (by name), in registration order."""
    from strategies import ALL

    if not names:
        return list(ALL)
    known = {s.name: s for s in ALL}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UsageError(f"unknown strategy {', '.join(unknown)}: choose from {', '.join(known)}")
    return [known[n] for n in names]


def prepare(project: Project, progress: Progress | None = None, strategies: Sequence[Strategy] = ()) -> None:
    """Everything the strategies read, loaded up front so propose is pure: one -dumpdep build per
    target gives both the linker's report and the binary whose bytes are attributed.

    Several targets at a time (two on a small machine, builds.link_slots): while one links (mostly
    a single core) another is built or attributed, so many binaries cost little more than their builds.
    Meanwhile this thread runs the strategies' graph-only warm-up (dominators and the like),
    which would otherwise wait for the builds.
    """
    from concurrent.futures import ThreadPoolExecutor

    from refactor import attribcore
    from refactor.builds import link_slots
    from refactor.linker import project_dce

    attribcore.prepare(project.go)  # a first run ever builds the attribution core beside the links

    def load_one(t: Target) -> None:
        project_dce(project, t, progress, attribute=True)

    with ThreadPoolExecutor(max_workers=link_slots()) as pool:
        builds = [pool.submit(load_one, t) for t in project.targets]
        for s in strategies:
            if s.warm is not None:
                s.warm(project)
        for f in builds:
            f.result()


def propose_all(project: Project, strategies: Sequence[Strategy]) -> Suggestions:
    """Run each strategy, merge the same change proposed for several targets, rank by bytes."""
    from refactor.edit import format_plans, gofmt_path

    candidates: list[Candidate] = []
    refusals: list[Refusal] = []
    for s in strategies:
        for item in s.propose(project, project.settings):
            if isinstance(item, Candidate):
                candidates.append(item)
            else:
                refusals.append(item)
    # gotrim writes gofmt-clean Go (edit.format_changes); a plan whose Go does not parse is a refusal
    formatted = format_plans([c.plan for c in candidates], gofmt_path(project.go.path)) if candidates else []
    kept: list[Candidate] = []
    for c, plan in zip(candidates, formatted, strict=True):
        if isinstance(plan, Plan):
            kept.append(c if plan is c.plan else replace(c, plan=plan))
        else:
            refusals.append(Refusal(c.strategy, c.targets, c.summary, str(plan), c.estimated_bytes))
    candidates = kept
    state = repo_state(project.root)
    return Suggestions(tuple(rank(merge(candidates))), tuple(refusals), state.head if state else None)


def merge(candidates: Sequence[Candidate]) -> list[Candidate]:
    """One candidate per (strategy, plan): targets joined, estimates summed over distinct targets."""
    merged: dict[tuple[str, str, tuple[str, ...]], Candidate] = {}
    for c in candidates:
        key = (c.strategy, c.plan.diff(), c.variant_tags)
        prev = merged.get(key)
        if prev is None:
            merged[key] = c
            continue
        targets = tuple(dict.fromkeys(prev.targets + c.targets))
        # The same change found twice for the same target (two edges of one file) saves its bytes once.
        same = set(c.targets) <= set(prev.targets)
        estimate = max(prev.estimated_bytes, c.estimated_bytes) if same else prev.estimated_bytes + c.estimated_bytes
        merged[key] = replace(prev, targets=targets, estimated_bytes=estimate,
                              removes=tuple(dict.fromkeys(prev.removes + c.removes)))
    return list(merged.values())


def filtered(s: Suggestions, min_bytes: int = 0, top: int | None = None) -> list[Candidate]:
    out = [c for c in s.candidates if c.estimated_bytes >= min_bytes]
    return out[:top] if top else out


# ---------------------------------------------------------------------------------------------
# Cache: keyed by HEAD, the working-tree state and the configuration, under the repo's .git.


def cache_path(project: Project, strategies: Sequence[Strategy]) -> Path | None:
    """Where this run's suggestions are cached, or None outside git."""
    state = repo_state(project.root)
    if state is None:
        return None
    common = subprocess.run(["git", "rev-parse", "--path-format=absolute", "--git-common-dir"],
                            cwd=state.top, capture_output=True, text=True).stdout.strip()
    if not common:
        return None
    h = hashlib.sha256()
    for part in (__version__, code_digest(), str(CACHE_VERSION), state.head, project.go.version_text,
                 repr(sorted(t.label + t.main + t.ldflags for t in project.targets)),
                 repr([s.name for s in strategies]), _dirty_digest(state),
                 repr(sorted(project.settings.new_package_names.items())),
                 repr(sorted(project.settings.guard_tags.items()))):
        h.update(part.encode() + b"\0")
    return Path(common) / "gotrim" / f"{h.hexdigest()[:24]}.pickle"


def _dirty_digest(state: RepoState) -> str:
    h = hashlib.sha256()
    for rel in sorted(state.dirty_files):
        p = state.top / state.module_rel / rel
        h.update(rel.encode() + b"\0")
        if p.is_file():
            h.update(p.read_bytes())
    return h.hexdigest()


def save(project: Project, strategies: Sequence[Strategy], s: Suggestions) -> None:
    """Cache suggestions and the baseline sizes so `apply` does not redo the analysis."""
    path = cache_path(project, strategies)
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    sizes = project.loaded_sizes()
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(pickle.dumps({"suggestions": s, "sizes": sizes}))
    tmp.replace(path)


def load_cached(project: Project, strategies: Sequence[Strategy]) -> Suggestions | None:
    """Cached suggestions for exactly this HEAD, tree state and configuration, if any."""
    path = cache_path(project, strategies)
    if path is None or not path.is_file():
        return None
    try:
        data = pickle.loads(path.read_bytes())
    except Exception:  # a cache from another version or a torn write: recompute
        return None
    project.restore_sizes(data.get("sizes", {}))
    s: Suggestions = data["suggestions"]
    return s


def suggestions(project: Project, strategies: Sequence[Strategy], progress: Progress | None = None,
                use_cache: bool = True) -> Suggestions:
    """Cached suggestions, or load, propose and cache them."""
    if use_cache:
        cached = load_cached(project, strategies)
        if cached is not None:
            return cached
    prepare(project, progress, strategies)
    if progress:
        progress("proposing")
    s = propose_all(project, strategies)
    save(project, strategies, s)
    return s


def find(s: Suggestions, cid: str) -> Candidate:
    """The candidate with this id (or unique id prefix); a clear error for unknown or stale ids."""
    matches = [c for c in s.candidates if c.id.startswith(cid.lower())]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise UsageError(f"id {cid} is ambiguous ({', '.join(c.id for c in matches)}): give more characters")
    raise UsageError(f"no candidate {cid} for this HEAD and configuration: it is unknown, from another "
                     "repository, or stale (HEAD moved); run `gotrim suggest` and use an id it lists")
