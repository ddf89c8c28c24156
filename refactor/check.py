"""`gotrim check`: the CI gate. Each binary against gotrim.lock and the budgets of gotrim.toml.

`evaluate(lock, current, budgets)` is pure: it compares each target's facts with its lock entry
(refactor.diff.compare gives the causes) and returns every violation with its cause:

- `max_bytes`: the binary is bigger than the budget;
- `max_growth`: it grew more than the budget since the lock, beyond the tolerance (byte noise
  across machines; a wider one when the lock was built by another Go release);
- `forbid`: a package matching a forbidden pattern is linked (with its import chain);
- `dce`: method dead-code elimination is off (with the blocker's chain);
- `drift`: the packages, DCE state, go.mod `go`/`toolchain` lines or module versions are not what
  gotrim.lock says (unless `drift = "report"`); `gotrim check --update` records the new state.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from refactor import __version__
from refactor.budget import Budget, Budgets, forbidden
from refactor.config import Target
from refactor.diff import DRIFT_KINDS, KIND_TEXT, Cause, TargetChange, compare
from refactor.errors import UsageError
from refactor.facts import BinaryFacts, facts_all
from refactor.lockfile import LOCK_FILE, Lock, lock_path, read_lock, write_lock

if TYPE_CHECKING:
    from refactor.project import Project

UPDATE_HINT = f"if intended, run `gotrim check --update` and commit {LOCK_FILE}"


@dataclass(frozen=True)
class Violation:
    """One budget (or the lock) that a target breaks, with what caused it."""

    target: str  # label
    rule: str  # max_bytes | max_growth | forbid | dce | drift
    message: str
    causes: tuple[Cause, ...] = ()

    def for_json(self) -> dict[str, object]:
        return {"target": self.target, "rule": self.rule, "message": self.message,
                "causes": [c.for_json() for c in self.causes]}


@dataclass(frozen=True)
class CheckResult:
    """Every target compared with the lock, the budgets that applied, what broke and the notes."""

    module: str
    lock: Lock
    changes: tuple[TargetChange, ...]
    budgets: dict[str, Budget] = field(default_factory=dict)
    violations: tuple[Violation, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.violations


def evaluate(module: str, lock: Lock, current: Sequence[BinaryFacts], budgets: Budgets,
             resolve: Callable[[str], str] | None = None) -> CheckResult:
    """Compare each current target with its lock entry and apply its budget."""
    notes: list[str] = []
    if lock.gotrim_version != __version__:
        notes.append(f"{LOCK_FILE} was written by gotrim {lock.gotrim_version}, this is gotrim {__version__}: "
                     "byte attribution may differ slightly between versions; only budgets and structural "
                     "changes (packages, DCE, go.mod) are checked as usual")
    changes: list[TargetChange] = []
    violations: list[Violation] = []
    used: dict[str, Budget] = {}
    _require_entries(lock, [f.target for f in current])
    for f in current:
        locked = lock.find(f.target)
        assert locked is not None
        budget = budgets.for_target(resolve or module, f.target)
        used[f.label] = budget
        other_go = locked.go_version != f.go_version
        if other_go:
            notes.append(f"{f.label}: {LOCK_FILE} was built with {locked.go_version}, this is {f.go_version}: "
                         f"growth is allowed toolchain_tolerance {budget.toolchain_tolerance.text} and "
                         "standard-library packages that came or went are not drift")
        change = compare(locked, f, ignore_std=other_go)
        changes.append(change)
        violations += _violations(f, locked, change, budget, other_go)
    configured = {f.target for f in current}
    stale = [t.label for t in lock.targets if t.target not in configured]
    if stale:
        notes.append(f"{LOCK_FILE} also has {', '.join(stale)}, not checked now (not configured or not asked "
                     "for); `gotrim check --update` drops them")
    if any(v.rule == "drift" for v in violations):
        notes.append(f"drift: the binaries are not what {LOCK_FILE} records; {UPDATE_HINT} "
                     "(or set drift = \"report\" in [budget])")
    return CheckResult(module=module, lock=lock, changes=tuple(changes), budgets=used,
                       violations=tuple(violations), notes=tuple(notes))


def _require_entries(lock: Lock, targets: Sequence[Target]) -> None:
    missing = [t.label for t in targets if lock.find(t) is None]
    if missing:
        raise UsageError(f"{LOCK_FILE} has no entry for {', '.join(missing)} (a new target or other build "
                         f"settings): run `gotrim check --update` and commit {LOCK_FILE}")


def _violations(f: BinaryFacts, locked: BinaryFacts, change: TargetChange, budget: Budget,
                other_go: bool) -> list[Violation]:
    out: list[Violation] = []
    growth_causes = tuple(c for c in change.causes if c.kind != "toolchain" or other_go)
    if budget.max_bytes is not None and f.file_bytes > budget.max_bytes:
        out.append(Violation(f.label, "max_bytes", f"{f.file_bytes:,} bytes, over max_bytes {budget.max_bytes:,} "
                                                   f"by {f.file_bytes - budget.max_bytes:,}", growth_causes))
    if budget.max_growth is not None:
        growth = f.file_bytes - locked.file_bytes
        tolerance = (budget.toolchain_tolerance if other_go else budget.tolerance)
        allowed = budget.max_growth.of(locked.file_bytes) + tolerance.of(locked.file_bytes)
        if growth > allowed:
            pct = 100 * growth / locked.file_bytes if locked.file_bytes else 0.0
            which = "toolchain_tolerance" if other_go else "tolerance"
            out.append(Violation(f.label, "max_growth",
                                 f"grew {growth:+,} bytes ({pct:+.1f} %) since {LOCK_FILE}: over max_growth "
                                 f"{budget.max_growth.text} plus {which} {tolerance.text} "
                                 f"({allowed:,} bytes allowed)", growth_causes))
    by_pattern: dict[str, list[str]] = {}
    for pattern, pkg in forbidden(budget.forbid, sorted(f.packages)):
        by_pattern.setdefault(pattern, []).append(pkg)
    for pattern, pkgs in by_pattern.items():
        causes = tuple(_forbidden_cause(f, p) for p in pkgs[:3])
        more = f" and {len(pkgs) - 3} more" if len(pkgs) > 3 else ""
        out.append(Violation(f.label, "forbid", f"forbidden package {', '.join(pkgs[:3])}{more} is linked "
                                                f"(forbid {pattern!r})", causes))
    if budget.dce == "on" and f.dce.method_dce is False:
        out.append(Violation(f.label, "dce", f"method dead-code elimination is {f.dce.text}; budget dce = \"on\"",
                             (_dce_cause(f),)))
    if budget.drift == "fail":
        for c in change.causes:
            if c.kind in DRIFT_KINDS:
                out.append(Violation(f.label, "drift", f"not in {LOCK_FILE}: {KIND_TEXT[c.kind]}: {c.summary}", (c,)))
    return out


def _forbidden_cause(f: BinaryFacts, pkg: str) -> Cause:
    chain = f.view.chain(pkg) if f.view is not None else ()
    sites = [h.site for h in chain if h.site]
    via = " -> ".join(h.name for h in chain) if chain else pkg
    return Cause("import-added", f"import chain {via}" + (f" (imported at {sites[-1]})" if sites else ""),
                 bytes=f.package_bytes.get(pkg) if f.package_bytes else None, chain=chain, packages=(pkg,),
                 site=sites[-1] if sites else "")


def _dce_cause(f: BinaryFacts) -> Cause:
    d = f.dce
    if d.reflect_blocker:
        return Cause("dce-off", f"first <ReflectMethod>: {d.reflect_blocker}", chain=d.chain,
                     site=next((h.site for h in reversed(d.chain) if h.site), ""))
    return Cause("dce-off", "plugin linked with cgo on (dynamic-linking mode)", chain=d.plugin_chain,
                 site=next((h.site for h in reversed(d.plugin_chain) if h.site), ""))


def run_check(project: Project, root: Path, lock: Lock | None, budgets: Budgets, *, update: bool,
              keep_others: bool = False) -> CheckResult:
    """Check every target of a project loaded with facts.FACTS against the lock (read before, so that bad
    input fails fast) and the budgets. With update, write the lock from this build first (entries
    of targets not built now are kept when keep_others); the budgets that need no lock still apply."""
    if lock is not None:  # before any build: a target the lock does not know is bad input
        _require_entries(lock, project.targets)
    current = facts_all(project)
    if update:
        path = lock_path(root)
        kept: list[BinaryFacts] = []
        if keep_others and path.is_file():
            with contextlib.suppress(UsageError):
                built = {f.target for f in current}
                kept = [f for f in read_lock(path).targets if f.target not in built]
        write_lock(path, [*current, *kept])
        lock = read_lock(path)
    assert lock is not None
    return evaluate(project.module.path, lock, current, budgets, project.import_pattern)
