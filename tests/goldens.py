"""How each strategy's proposals become the text of its golden file (tests/golden/STRATEGY/NAME.diff).

Shared by the tests that load a fixture with Go and the toolchain-free tests that replay a recorded
Project (tests/test_offline.py): both must write the same file.
"""

from __future__ import annotations

from collections.abc import Sequence

from refactor.candidate import Candidate, Refusal, Strategy
from refactor.project import Project


def proposals(strategy: Strategy, project: Project) -> tuple[list[Candidate], list[Refusal]]:
    """The strategy's candidates and refusals, in the order it yields them."""
    cands: list[Candidate] = []
    refusals: list[Refusal] = []
    for p in strategy.propose(project, project.settings):
        (cands if isinstance(p, Candidate) else refusals).append(p)
    return cands, refusals


def split_text(cands: Sequence[Candidate], refusals: Sequence[Refusal]) -> str:
    """split-package: each candidate's summary, confidence, explanation (chains left out) and diff, then
    each refusal with its reason."""
    parts = []
    for c in cands:
        parts.append(f"# candidate: {c.summary}\n# confidence: {c.confidence}\n"
                     + "".join(f"# {line}\n" for line in c.explanation.splitlines() if not line.startswith(
                         ("before:", "after:")))
                     + c.plan.diff())
    for r in refusals:
        parts.append(f"# refused: {r.summary}\n# {r.reason}\n")
    return "\n".join(parts)


def guard_text(cands: Sequence[Candidate]) -> str:
    """guard-with-tag: the diff of its one candidate."""
    (c,) = cands
    return c.plan.diff()


def dce_text(cands: Sequence[Candidate]) -> str:
    """dce-blockers: each candidate's target and summary, then its diff, by target name."""
    return "".join(f"# {c.targets[0].name}: {c.summary}\n{c.plan.diff()}"
                   for c in sorted(cands, key=lambda c: c.targets[0].name))
