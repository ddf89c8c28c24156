"""Candidate, Refusal and Strategy: what strategies return, how candidates are ranked and named."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from refactor.config import Settings, Target
from refactor.project import Needs

if TYPE_CHECKING:
    from refactor.estimate import Cut, ReachModel
    from refactor.measure import Measurement
    from refactor.plan import FileChange, Plan
    from refactor.project import Project


@dataclass(frozen=True)
class Details:
    """Facts of a candidate that reports show besides its summary and explanation. Each strategy has
    one subclass, so one JSON shape (docs/report-schema.md); this base, for a candidate without any,
    has none."""

    def for_json(self) -> dict[str, object]:
        """The facts as JSON-ready data (every key always present, null when not known)."""
        return {}

    def import_chains(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """Import chains worth a commit message: (label, chain) pairs, e.g. ("before", (main, ..., q))."""
        return ()

    def after_measurement(self, plan: Plan, measurement: Measurement) -> tuple[FileChange, ...]:
        """Changes to the plan's files once it is measured, before apply commits it (a dependency
        patch's file then states the measured bytes); none by default."""
        del plan, measurement
        return ()


@dataclass(frozen=True)
class Candidate:
    """One independent change against the current HEAD, with its estimate and its reason."""

    id: str
    strategy: str
    targets: tuple[Target, ...]
    summary: str  # one line: what is cut and how
    explanation: str  # several lines: import chains, declarations, what is lost
    estimated_bytes: int  # summed over targets
    confidence: str  # "high" | "medium" | "low"
    plan: Plan
    # Packages expected to leave each target's graph (import paths), for checks after measuring.
    removes: tuple[str, ...] = ()
    # Build tags the slimmed targets are built with after the change (guard / upstream switch).
    variant_tags: tuple[str, ...] = ()
    # The strategy's own facts for reports and JSON (edges cut, chains, moved declarations, tag...).
    details: Details = field(default_factory=Details, compare=False, hash=False)
    # What the change costs besides bytes (TRADE_OFFS); "" means "feature" when the slim build needs a
    # tag (variant_tags), else "none".
    trade_off: str = ""
    # Why the change may remove what the binary exists for (a guard of code it calls on every run):
    # such a candidate is ranked last, with this line.
    warning: str = ""

    @property
    def cost(self) -> str:
        """The trade-off: "none" (nothing lost: a split, a rewrite), "feature" (the slim build, built with
        a tag, lacks a feature) or "patch" (a patched copy of a dependency module joins the repository)."""
        return self.trade_off or ("feature" if self.variant_tags else "none")

    def for_json(self) -> dict[str, object]:
        """The candidate as JSON-ready data (without file contents)."""
        return {
            "id": self.id,
            "strategy": self.strategy,
            "targets": [t.label for t in self.targets],
            "summary": self.summary,
            "explanation": self.explanation,
            "estimated_bytes": self.estimated_bytes,
            "confidence": self.confidence,
            "removes": list(self.removes),
            "variant_tags": list(self.variant_tags),
            "trade_off": self.cost,
            "warning": self.warning or None,
            "files": self.plan.files(),
            "details": self.details.for_json(),
        }


@dataclass(frozen=True)
class Refusal:
    """A place a strategy looked at and will not change, with the reason (shown with -v)."""

    strategy: str
    targets: tuple[Target, ...]
    summary: str
    reason: str
    estimated_bytes: int = 0


Proposal = Candidate | Refusal
Propose = Callable[["Project", Settings], Iterator[Proposal]]
# The cuts a strategy's propose will price in a target, known from the graphs, the sources and the
# target's reachability model: the loader walks them in the model while the link ends (ReachModel.mode).
Priced = Callable[[Target, "ReachModel"], Iterable["Cut"]]
Warm = Callable[["Project"], "Priced | None"]
Ahead = Callable[["Project", Mapping[Target, "ReachModel"]], None]


@dataclass(frozen=True)
class Strategy:
    """A refactoring strategy: a name, a one-line summary, what it reads, and a pure propose function.

    needs: what propose reads of the Project (suggest loads it before; propose never finds it missing).
    warm, if any, does the part of propose's work that needs only the build graphs and sources
    (not the built binaries), into caches propose reads; the loader runs it while the targets link.
    It may return the cuts propose will price (Priced), which the loader walks before the sizes exist.
    ahead, if any, runs after warm once the typed views are made, still before the sizes: the part of
    propose's work that needs the typed views too (its results remembered for propose, like warm's);
    then again once the targets' reachability models are made, with them.
    """

    name: str
    summary: str
    propose: Propose
    needs: Needs = Needs.GRAPHS | Needs.SOURCES | Needs.SIZES
    warm: Warm | None = None
    ahead: Ahead | None = None


def candidate_id(strategy: str, key: str) -> str:
    """A short id that is the same for the same strategy and change key on every run."""
    return hashlib.sha1(f"{strategy}\0{key}".encode()).hexdigest()[:7]


# At similar bytes, a change that loses nothing ranks before a guard, and a guard before a patched
# copy of a dependency: an estimate counts for this share of its bytes when ranking.
TRADE_OFFS = {"none": 1.0, "feature": 0.8, "patch": 0.7}


def rank(candidates: Iterable[Candidate]) -> list[Candidate]:
    """Candidates with a warning last; otherwise the biggest estimate first, weighed by what the change
    costs (TRADE_OFFS: a split beats a guard of up to 25 % more bytes); then the smaller change; then
    by id for a stable order."""
    def size_of_change(c: Candidate) -> int:
        return sum(len(ch.after or b"") + len(ch.before or b"") for ch in c.plan.changes)

    return sorted(candidates, key=lambda c: (bool(c.warning), -c.estimated_bytes * TRADE_OFFS.get(c.cost, 1.0),
                                             size_of_change(c), c.id))


CONFIDENCE = ("high", "medium", "low")
