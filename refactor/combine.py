"""Several candidates as one change: `suggest --combine`.

Savings do not add: two guards that each drop a caller of net/http save little apiece and much
together, and two cuts that take the same package count it once. The combined candidate's estimate
prices, per target, the union of the parts' cuts (each candidate's estimated bytes remember their
cuts: refactor.estimate.Saving); its plan is the parts' plans merged, built with every part's tags,
so `--measure` verifies and measures the set as it would be committed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from refactor.candidate import CONFIDENCE, Candidate, Details, candidate_id
from refactor.config import Target
from refactor.errors import EditError
from refactor.estimate import Cut, Saving, estimate
from refactor.plan import merge_plans
from refactor.project import Project

NAME = "combined"


@dataclass(frozen=True)
class CombinedDetails(Details):
    """combined's facts (JSON: docs/report-schema.md, `combined` details)."""

    parts: tuple[str, ...]  # the ids of the candidates combined
    separate_bytes: int  # the sum of their own estimates
    exact: bool  # every part remembered its cuts (else the parts without them are added as they are)

    def for_json(self) -> dict[str, object]:
        return {"parts": list(self.parts), "separate_bytes": self.separate_bytes, "exact": self.exact}


def combined(project: Project, candidates: Sequence[Candidate]) -> Candidate | str:
    """The candidates as one candidate, or why they cannot be combined. In rank order, a candidate whose
    plan changes the same lines as those already taken is left out (named in the explanation): two
    directions of the same split, a guard and a split of the same file."""
    if len(candidates) < 2:
        return "--combine needs at least two candidates shown"
    taken: list[Candidate] = []
    left: list[str] = []
    for c in candidates:
        try:
            merge_plans([*(x.plan for x in taken), c.plan], title="")
        except EditError as exc:
            left.append(f"{c.id} ({exc})")
            continue
        taken.append(c)
    if len(taken) < 2:
        return "the candidates cannot be combined: " + "; ".join(left)
    candidates = taken
    plan = merge_plans([c.plan for c in candidates], title=f"{len(candidates)} candidates together")
    cuts: dict[Target, Cut] = {}
    rest = 0
    exact = True
    for c in candidates:
        if isinstance(c.estimated_bytes, Saving):
            for t, cut in c.estimated_bytes.cuts.items():
                cuts[t] = cuts[t].union(cut) if t in cuts else cut
        else:
            exact = False
            rest += c.estimated_bytes
    together = sum((estimate(project, t, cut) for t, cut in cuts.items()), Saving(0, {}))
    total = together + rest
    targets = tuple(sorted({t for c in candidates for t in c.targets}, key=lambda t: t.label))
    ids = tuple(c.id for c in candidates)
    separate = sum(int(c.estimated_bytes) for c in candidates)
    tags = tuple(dict.fromkeys(t for c in candidates for t in c.variant_tags))
    confidence = max((c.confidence for c in candidates), key=lambda x: CONFIDENCE.index(x)
                     if x in CONFIDENCE else len(CONFIDENCE))
    lines = [f"{c.id} {c.strategy}: {c.summary} (estimated {int(c.estimated_bytes):,} B alone)" for c in candidates]
    lines.append(f"Together: estimated {int(total):,} B for the union of their cuts in each target, against "
                 f"{separate:,} B added up (a package two of them remove counts once; code that only two of "
                 "them together stop reaching counts too).")
    if left:
        lines.append("Left out, their changes overlap those above: " + "; ".join(left) + ".")
    if not exact:
        lines.append("Some parts carry no cut (estimated without a reachability model): their estimates are "
                     "added as they are.")
    return Candidate(
        id=candidate_id(NAME, ",".join(sorted(ids))), strategy=NAME, targets=targets,
        summary=f"{len(candidates)} candidates together: {', '.join(ids)}", explanation="\n".join(lines),
        estimated_bytes=total, confidence=confidence, plan=plan,
        removes=tuple(sorted({p for c in candidates for p in c.removes})), variant_tags=tags,
        details=CombinedDetails(parts=ids, separate_bytes=separate, exact=exact))
