"""suggest: run the strategies on a loaded Project, merge and rank their candidates, cache the results."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shlex
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar, overload

from refactor.candidate import Ahead, Candidate, Refusal, Strategy, Warm, rank
from refactor.errors import UsageError
from refactor.gitstate import head_commit
from refactor.load import cache_dir
from refactor.plan import Plan
from refactor.project import Needs, Project

Progress = Callable[[str], None]
CACHE_VERSION = 2
T = TypeVar("T")


@dataclass(frozen=True)
class Suggestions:
    """What suggest found for one HEAD and configuration."""

    candidates: tuple[Candidate, ...]
    refusals: tuple[Refusal, ...]
    head: str | None
    looped: bool = False  # the DCE loop's candidates are in (refactor.dceloop.with_loops)


def needs_of(strategies: Sequence[Strategy]) -> Needs:
    """What the strategies read, together (what suggest loads)."""
    out = Needs.GRAPHS
    for s in strategies:
        out |= s.needs
    return out


class Later(Sequence[T]):
    """A sequence made on first use, once (thread-safe): suggest's strategies, imported (~45 ms) once
    the targets' links have started rather than before."""

    def __init__(self, make: Callable[[], Iterable[T]]) -> None:
        self._make: Callable[[], Iterable[T]] | None = make
        self._items: list[T] = []
        self._lock = threading.Lock()

    def _get(self) -> list[T]:
        with self._lock:
            if self._make is not None:
                self._items = list(self._make())
                self._make = None
        return self._items

    @overload
    def __getitem__(self, i: int) -> T: ...

    @overload
    def __getitem__(self, i: slice) -> Sequence[T]: ...

    def __getitem__(self, i: int | slice) -> T | Sequence[T]:
        return self._get()[i]

    def __len__(self) -> int:
        return len(self._get())


def strategies_later(names: Sequence[str]) -> tuple[Sequence[Strategy], Needs, Sequence[Warm], Sequence[Ahead]]:
    """The strategies suggest runs, what they read, their warm-ups and their ahead work. Every strategy
    (no names) is imported only when first used: the loader starts the links before it reads warm-ups
    (what every strategy reads is Needs.SUGGEST); names are checked at once (UsageError)."""
    if names:
        chosen = strategies_named(names)
        return (chosen, Needs.SUGGEST | needs_of(chosen), [s.warm for s in chosen if s.warm is not None],
                [s.ahead for s in chosen if s.ahead is not None])
    every: Later[Strategy] = Later(lambda: strategies_named(()))
    return (every, Needs.SUGGEST, Later(lambda: [s.warm for s in every if s.warm is not None]),
            Later(lambda: [s.ahead for s in every if s.ahead is not None]))


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


def propose_all(project: Project, strategies: Sequence[Strategy]) -> Suggestions:
    """Run each strategy, merge the same change proposed for several targets, rank by bytes."""
    from refactor.edit import format_plans, gofmt_path

    candidates: list[Candidate] = []
    refusals: list[Refusal] = []
    for s in strategies:
        project.require(s.needs, f"strategy {s.name}")
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
    return Suggestions(tuple(rank(merge(candidates))), tuple(refusals), head_commit(project.root))


def merge(candidates: Sequence[Candidate]) -> list[Candidate]:
    """One candidate per (strategy, plan): targets joined, estimates summed over distinct targets."""
    merged: dict[tuple[str, object, tuple[str, ...]], Candidate] = {}
    for c in candidates:
        key = (c.strategy, c.plan.same_as(), c.variant_tags)
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


def with_loop_candidates(s: Suggestions, extra: Sequence[Candidate]) -> Suggestions:
    """s with the DCE loop's combined candidates (refactor.dceloop.with_loops), ranked; s itself when
    they add nothing. A loop of one step is that step's candidate, now measured: it takes its place."""
    new = [c for c in extra if c not in s.candidates]
    if not new:
        return s
    cands = list(s.candidates)
    for c in new:
        cands = [x for x in cands if x.id != c.id and not (
            x.strategy == c.strategy and x.targets == c.targets and x.plan.same_as() == c.plan.same_as())]
        cands.append(c)
    return replace(s, candidates=tuple(rank(cands)))


def filtered(s: Suggestions, min_bytes: int = 0, top: int | None = None) -> list[Candidate]:
    out = [c for c in s.candidates if c.estimated_bytes >= min_bytes]
    return out[:top] if top else out


# ---------------------------------------------------------------------------------------------
# The results cache: what the strategies proposed for the loaded facts (Project.run_key), the
# strategies run and the names overridden. The facts themselves are the loader's cache.


def cache_path(project: Project, strategies: Sequence[Strategy]) -> Path | None:
    """Where this run's suggestions are cached, or None outside git."""
    folder = cache_dir(project)
    if folder is None or project.run_key is None:
        return None
    h = hashlib.sha256()
    for part in (project.run_key, str(CACHE_VERSION), repr([s.name for s in strategies]),
                 repr(sorted(project.settings.new_package_names.items())),
                 repr(sorted(project.settings.guard_tags.items()))):
        h.update(part.encode() + b"\0")
    return folder / f"{h.hexdigest()[:24]}.pickle"


def save(project: Project, strategies: Sequence[Strategy], s: Suggestions) -> None:
    """Cache suggestions so `apply` does not redo the analysis."""
    path = cache_path(project, strategies)
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(pickle.dumps(s))
        tmp.replace(path)
    except OSError:  # a read-only checkout: no cache
        pass


def load_cached(project: Project, strategies: Sequence[Strategy]) -> Suggestions | None:
    """Cached suggestions for exactly this HEAD, tree state and configuration, if any."""
    path = cache_path(project, strategies)
    if path is None or not path.is_file():
        return None
    try:
        s = pickle.loads(path.read_bytes())
    except Exception:  # a cache from another version or a torn write: recompute
        return None
    return s if isinstance(s, Suggestions) else None


def suggestions(project: Project, strategies: Sequence[Strategy], progress: Progress | None = None,
                use_cache: bool = True) -> Suggestions:
    """Cached suggestions, or propose and cache them."""
    if use_cache:
        cached = load_cached(project, strategies)
        if cached is not None:
            return cached
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


# ---------------------------------------------------------------------------------------------
# What suggest listed, and with which options: `apply ID` must mean the change suggest showed.
# An id names a change (a strategy and its key), not its details: the same id found with other
# targets can name the new package differently. apply takes the options suggest listed the id with
# when it is given none, and refuses a different change when it is given others.

LISTED_VERSION = 1
LISTED_KEEP = 64  # HEADs whose listings are kept
OPTION_FLAGS = (("mains", "--target"), ("platforms", "--platform"), ("tags", "--tags"), ("cgo", "--cgo"),
                ("package_names", "--package-name"), ("guard_tags", "--guard-tag"), ("strategy_names", "--strategy"))


def options_text(options: dict[str, Any]) -> str:
    """The command-line flags of recorded options (`--target ./cmd/lite --no-cgo`), or "no options"."""
    words: list[str] = []
    for key, flag in OPTION_FLAGS:
        value = options.get(key)
        if value is None or (isinstance(value, list | tuple | str) and not value):
            continue
        if key == "cgo":
            words.append("--cgo" if value else "--no-cgo")
        elif isinstance(value, list | tuple):
            words.extend(f"{flag} {shlex.quote(str(v))}" for v in value)
        else:
            words.append(f"{flag} {shlex.quote(str(value))}")
    return " ".join(words) or "no options"


def _listed_path(root: Path, head: str) -> Path | None:
    from refactor.gitstate import cache_folder

    folder = cache_folder(root)
    return folder / "listed" / f"{head}.json" if folder is not None else None


def remember_listed(project: Project, s: Suggestions, options: dict[str, Any]) -> None:
    """Record, for this HEAD, the options each candidate id was listed with and the change it named."""
    if s.head is None:
        return
    path = _listed_path(project.root, s.head)
    if path is None:
        return
    entries = _read_listed(path)
    for c in s.candidates:
        entries[c.id] = {"options": options, "strategy": c.strategy, "summary": c.summary,
                         "files": sorted(c.plan.files())}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"version": LISTED_VERSION, "ids": entries}), encoding="utf-8")
        tmp.replace(path)
        for old in sorted(path.parent.glob("*.json"), key=lambda f: f.stat().st_mtime)[:-LISTED_KEEP]:
            old.unlink(missing_ok=True)  # the listings of HEADs long gone
    except OSError:  # nowhere to write: apply cannot tell, and says nothing
        pass


def recall_listed(root: Path, cid: str) -> dict[str, Any] | None:
    """What suggest recorded for the candidate id (or unique id prefix) at the current HEAD, if anything."""
    head = head_commit(root)
    if head is None or not cid:
        return None
    path = _listed_path(root, head)
    if path is None:
        return None
    hits = [v for k, v in _read_listed(path).items() if k.startswith(cid.lower())]
    return hits[0] if len(hits) == 1 and isinstance(hits[0], dict) else None


def _read_listed(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != LISTED_VERSION or not isinstance(data.get("ids"), dict):
        return {}
    return dict(data["ids"])


def same_change(recorded: dict[str, Any], c: Candidate) -> bool:
    """Whether candidate c is the change suggest listed under its id (same summary, same files)."""
    return bool(recorded.get("summary") == c.summary and recorded.get("files") == sorted(c.plan.files()))
