"""Iterate to the last method-DCE blocker: fix, rebuild with -dumpdep, find the next, in a scratch worktree.

The linker prints only the first <ReflectMethod> root with certainty, and the size drops only once no
blocker is left, so one fix at a time measures ~0 while another blocker remains. The loop:

    worktree of HEAD (plus the user's uncommitted files) -> for each step:
        the target's DCE report (the project already loaded, then a fresh load of the worktree:
        go list, one -dumpdep build, the sources, the typed view)
        method DCE on?                          -> done
        dce-blockers' fix for the next blocker   -> write it, rebuild (next step); when the fix is a
                                                    dependency patch, a newer version of the module is
                                                    tried first (as below), the patch applied if it fails
        a blocker in a dependency, no fix       -> `go get module@version` (a version known to fix a
                                                    toolchain problem, else the latest); kept if the
                                                    blocker goes, reverted if not
        otherwise                               -> stop: that blocker remains

The result is one combined candidate (every step's files, HEAD -> the final worktree; the variant tags
of every step) whose effect is measured by the loop's own builds: "method DCE on", each step with its
blocker and bytes before and after. When a blocker remains it is named, with an estimate of what
switching DCE on would be worth. Cost: one go list + one link (+ the typed view) per step; results are
remembered under .git/gotrim by the run's key (HEAD, working tree, toolchain, gotrim, targets).
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from refactor import __version__
from refactor.candidate import Candidate, Refusal, candidate_id
from refactor.catalogue import semver_key
from refactor.config import Settings, Target, TargetSpec
from refactor.errors import GotrimError, SourceError
from refactor.estimate import Saving
from refactor.linker import DceReport
from refactor.plan import FileChange, Plan
from refactor.project import Needs, Project
from refactor.toolchain import Go

Progress = Callable[[str], None]
MAX_STEPS = 8
LOOP_NEEDS = Needs.GRAPHS | Needs.SOURCES | Needs.DCE | Needs.TYPED
CACHE_VERSION = 2  # 2: a dependency copy's files stay verbatim in the loop's plan
MEASURED = "Measured by the DCE loop (a scratch worktree, -dumpdep builds):"
ESTIMATED = "Estimated before these builds:"  # the strategy's own estimate, kept beside the loop's figure


@dataclass(frozen=True)
class LoopStep:
    """One fix the loop applied, and the binary's size before and after it (its -dumpdep builds)."""

    blocker: str  # the <ReflectMethod> symbol, or "plugin"
    kind: str  # plugin or reflect
    fix: str  # dce_blockers.Fix value
    summary: str
    candidate_id: str | None
    bytes_before: int
    bytes_after: int
    variant_tags: tuple[str, ...] = ()
    module: str | None = None  # module-upgrade: the module and its new version
    version: str | None = None
    risk: str | None = None  # what the fix may break that gotrim could not check
    trade_off: str = ""  # the fix's candidate's (Candidate.trade_off): "patch" for a dependency patch

    def for_json(self) -> dict[str, object]:
        return {"blocker": self.blocker, "kind": self.kind, "fix": self.fix, "summary": self.summary,
                "candidate": self.candidate_id, "bytes_before": self.bytes_before, "bytes_after": self.bytes_after,
                "variant_tags": list(self.variant_tags), "module": self.module, "version": self.version,
                "risk": self.risk}


@dataclass(frozen=True)
class Remaining:
    """A blocker the loop could not fix, and why."""

    blocker: str
    kind: str
    reason: str
    module: str | None = None
    version: str | None = None


@dataclass(frozen=True)
class LoopResult:
    """What the loop did for one target."""

    target: Target
    bytes_before: int
    bytes_after: int
    method_dce: bool
    steps: tuple[LoopStep, ...]
    remaining: tuple[Remaining, ...]
    plan: Plan  # every step's change, from the analysed tree to the final worktree
    variant_tags: tuple[str, ...]
    worth: int = 0  # when a blocker remains: the estimated bytes method DCE would save then
    seconds: float = 0.0
    reports: tuple[DceReport, ...] = field(default=(), compare=False)  # each step's report, first to last

    @property
    def saved_bytes(self) -> int:
        return self.bytes_before - self.bytes_after

    def blockers(self) -> list[tuple[str, str, str]]:
        """Every blocker the loop met, in order: (blocker, kind, fixed by / why not)."""
        out = [(s.blocker, s.kind, s.summary) for s in self.steps]
        out += [(r.blocker, r.kind, "no fix: " + r.reason) for r in self.remaining]
        return out


# ---------------------------------------------------------------------------------------------
# The loop


def run_loop(project: Project, target: Target, *, max_steps: int = MAX_STEPS, progress: Progress | None = None,
             upgrades: bool = True) -> LoopResult:
    """Fix the target's blockers one after the other in a scratch worktree (WorkspaceError outside git)."""
    import time

    from refactor.workspace import copy_working_tree, open_workspace, require_repo

    say = progress or (lambda _msg: None)
    start = time.monotonic()
    state = require_repo(project.root)
    with open_workspace(state) as ws:
        copy_working_tree(state, ws)
        # plans are written at the worktree's top; go.mod and go get are the target's module's
        loop = _Loop(project, target, ws.path, say, upgrades, ws.at(project.module_of(target).dir),
                     ws.go(project.go_of(target)))
        loop.run(max_steps)
        result = loop.result()  # reads the worktree: before it is removed
    return replace(result, seconds=time.monotonic() - start)


class _Loop:
    def __init__(self, project: Project, target: Target, root: Path, say: Progress, upgrades: bool,
                 module_root: Path | None = None, go: Go | None = None) -> None:
        self.first = project
        self.project = project
        self.target = target
        self.root = root  # the worktree's top: where plans are written
        self.mod = module_root or root  # the target's module in the worktree: go.mod, go get
        self.go = go or project.go_of(target)
        rel = self.mod.relative_to(root).as_posix() if self.mod != root and root in self.mod.parents else ""
        self.gomod, self.gosum = (f"{rel}/go.mod", f"{rel}/go.sum") if rel else ("go.mod", "go.sum")
        self.say = say
        self.upgrades = upgrades
        self.original: dict[str, bytes | None] = {}  # path -> content before the loop touched it
        self.verbatim: dict[str, bytes | None] = {}  # path -> content a plan copied as is (a dependency's file)
        self.steps: list[LoopStep] = []
        self.remaining: list[Remaining] = []
        self.reports: list[DceReport] = [project.dce[target]]
        self.tags: tuple[str, ...] = ()
        self.tried: dict[str, str] = {}  # module -> what trying a newer version gave

    @property
    def report(self) -> DceReport:
        return self.reports[-1]

    def run(self, max_steps: int) -> None:
        from strategies.dce_blockers import blocker_fixes

        for n in range(1, max_steps + 1):
            if self.report.method_dce:
                return
            fixes = blocker_fixes(self.project, self.target)
            if not fixes:
                return
            chosen = next((f for f in fixes if f.candidate is not None), None)
            if chosen is not None and chosen.candidate is not None:
                # a dependency patch comes after a newer version of the module (issue 17 §5's order)
                if (chosen.candidate.trade_off == "patch" and chosen.module and chosen.module not in self.tried
                        and self.upgrades and self._upgrade(n, chosen.kind, chosen.blocker, chosen.module,
                                                            chosen.version, chosen.upgrade_to)):
                    continue
                if not self._apply(n, chosen.kind, chosen.blocker, chosen.candidate):
                    return
                continue
            upgrade = next((f for f in fixes if f.module and f.module not in self.tried), None)
            if upgrade is not None and self.upgrades and self._upgrade(n, upgrade.kind, upgrade.blocker,
                                                                       upgrade.module or "", upgrade.version,
                                                                       upgrade.upgrade_to):
                continue
            for f in fixes:
                reason = f.proposal.reason if isinstance(f.proposal, Refusal) else f.proposal.summary
                if f.module and self.tried.get(f.module):
                    reason += f" ({self.tried[f.module]})"
                self.remaining.append(Remaining(f.blocker, f.kind, reason, f.module, f.version))
            return
        if not self.report.method_dce:
            self.remaining.append(Remaining(_first_blocker(self.report), "reflect" if self.report.reflect_blocker
                                            else "plugin", f"the loop stopped after {max_steps} steps"))

    # -- one fix ---------------------------------------------------------------------------------

    def _apply(self, n: int, kind: str, blocker: str, cand: Candidate) -> bool:
        from refactor.edit import format_plans, gofmt_path
        from strategies.dce_blockers import DceDetails

        self.say(f"{self.target.label}: step {n}: {cand.summary}")
        (plan,) = format_plans([cand.plan], gofmt_path(self.project.go.path))
        if isinstance(plan, SourceError):
            self.remaining.append(Remaining(blocker, kind, f"the fix does not format: {plan}"))
            return False
        before = self.report.binary_bytes
        was = _blocker_key(self.report, kind)
        for c in plan.changes:
            self.original.setdefault(c.path, c.before)
            if c.verbatim:
                self.verbatim[c.path] = c.after
            else:
                self.verbatim.pop(c.path, None)
        plan.write_to(self.root)
        tags = self.tags
        self.tags = tuple(dict.fromkeys(self.tags + cand.variant_tags))
        try:
            self._load()
        except GotrimError as exc:
            self.tags = tags
            self.remaining.append(Remaining(blocker, kind, f"the fix ({cand.summary}) does not build: "
                                            f"{_first_line(exc)}"))
            return False
        fix = cand.details.fix.value if isinstance(cand.details, DceDetails) else ""
        risk = cand.details.risk if isinstance(cand.details, DceDetails) else None
        self.steps.append(LoopStep(blocker, kind, fix, cand.summary, cand.id, before, self.report.binary_bytes,
                                   cand.variant_tags, risk=risk, trade_off=cand.trade_off))
        if _blocker_key(self.report, kind) == was:
            self.remaining.append(Remaining(blocker, kind, f"the fix ({cand.summary}) did not remove it"))
            return False
        return True

    def _upgrade(self, n: int, kind: str, blocker: str, module: str, version: str | None, to: str | None) -> bool:
        """`go get module@to` (or @latest); kept when the blocker goes, reverted otherwise."""
        self.tried[module] = ""
        if version is not None and semver_key(version) is None:
            self.tried[module] = f"{module} is a local replacement: no newer version to try"
            return False
        if (self.mod / "vendor").is_dir():
            self.tried[module] = "the module is vendored: gotrim does not upgrade vendored modules"
            return False
        want = to or "latest"
        self.say(f"{self.target.label}: step {n}: trying {module}@{want}")
        saved = {p: self._read(p) for p in (self.gomod, self.gosum)}
        try:
            self.go.run(["get", f"{module}@{want}"], cwd=self.mod, target=self.target,
                                env={"GOFLAGS": "-mod=mod"}, what=f"go get {module}@{want}")
        except GotrimError as exc:
            self._restore(saved)
            self.tried[module] = f"go get {module}@{want} failed: {_first_line(exc)}"
            return False
        new = self._module_version(module)
        if self._read(self.gomod) == saved[self.gomod]:
            self.tried[module] = f"{module} {version} is the newest version ({want})"
            return False
        before = self.report.binary_bytes
        try:
            self._load()
        except GotrimError as exc:
            self.tried[module] = f"{module} {new} does not build here: {_first_line(exc)}"
            self._undo(saved, loaded=False)
            return False
        if _still_through(self.report, kind, blocker, module):
            self.tried[module] = f"{module} {new} still has it"
            self._undo(saved, loaded=True)
            return False
        for p, data in saved.items():
            self.original.setdefault(p, data)
        self.steps.append(LoopStep(blocker, kind, "module-upgrade", f"upgrade {module} {version or ''} -> {new}",
                                   None, before, self.report.binary_bytes, (), module, new))
        return True

    def _undo(self, saved: dict[str, bytes | None], loaded: bool) -> None:
        """Back to the files before an upgrade, and to their project (loaded: the upgrade's was)."""
        self._restore(saved)
        if loaded:
            self.reports.pop()
        self._load()
        self.reports.pop()  # the same report as before the upgrade

    def _module_version(self, module: str) -> str:
        for line in (self._read(self.gomod) or b"").decode("utf-8", "replace").splitlines():
            parts = line.strip().split()
            if parts[:1] == ["require"]:
                parts = parts[1:]
            if len(parts) >= 2 and parts[0] == module:
                return parts[1]
        return "?"

    # -- files and loads -------------------------------------------------------------------------

    def _read(self, rel: str) -> bytes | None:
        p = self.root / rel
        return p.read_bytes() if p.is_file() else None

    def _restore(self, saved: dict[str, bytes | None]) -> None:
        for rel, data in saved.items():
            p = self.root / rel
            if data is None:
                p.unlink(missing_ok=True)
            else:
                p.write_bytes(data)

    def _load(self) -> None:
        """Load the worktree's target again (go list, -dumpdep build, sources, typed view); GotrimError
        when it does not build."""
        from refactor.load import load

        t = self.target.with_tags(*self.tags)
        spec = TargetSpec(mains=(t.main,), platforms=((t.goos, t.goarch),), tags=t.tags, cgo=t.cgo,
                          ldflags=t.ldflags)
        settings = Settings(root=self.root, cache_dir=self.first.settings.cache_dir,
                            new_package_names=self.first.settings.new_package_names,
                            guard_tags=self.first.settings.guard_tags)
        project = load(self.first.go, settings, [spec], LOOP_NEEDS)
        (target,) = project.targets
        self.project, self.target = project, target
        self.reports.append(project.dce[target])

    # -- the result ------------------------------------------------------------------------------

    def result(self) -> LoopResult:
        changes = []
        for rel, before in sorted(self.original.items()):
            after = self._read(rel)
            if after != before:
                # a dependency's file copied as is stays verbatim: its formatting is the dependency's
                verbatim = rel in self.verbatim and self.verbatim[rel] == after
                changes.append(FileChange(rel, before, after, verbatim=verbatim))
        first = self.reports[0]
        last = self.report
        worth = 0
        if not last.method_dce:
            from strategies.dce_blockers import DYNLINK_SHARE, REFLECT_SHARE

            worth = int(last.binary_bytes * (DYNLINK_SHARE if last.dynlink.active else REFLECT_SHARE))
        title = (f"Method DCE back on in {self.target.name}" if last.method_dce
                 else f"Fix {len(self.steps)} method-DCE blocker(s) of {self.target.name}")
        return LoopResult(target=self.first_target, bytes_before=first.binary_bytes, bytes_after=last.binary_bytes,
                          method_dce=last.method_dce, steps=tuple(self.steps), remaining=tuple(self.remaining),
                          plan=Plan(title, tuple(changes)), variant_tags=self.tags, worth=worth,
                          reports=tuple(self.reports))

    @property
    def first_target(self) -> Target:
        return self.reports[0].target


def _blocker_of(report: DceReport, kind: str) -> str | None:
    if kind == "plugin":
        return "plugin" if report.dynlink.active else None
    root = report.reflect_blocker
    return root.symbol if root is not None else None


def _blocker_key(report: DceReport, kind: str) -> tuple[str, ...] | None:
    """The blocker and its chain: a fix removed it when another chain (even to the same symbol, e.g.
    text/template's evalField reached from another template) or none is left."""
    root = report.reflect_blocker if kind == "reflect" else None
    if root is not None:
        return (root.symbol, *root.chain)
    blocker = _blocker_of(report, kind)
    return (blocker,) if blocker else None


def _still_through(report: DceReport, kind: str, blocker: str, module: str) -> bool:
    """After an upgrade of module: whether the blocker is still there through module's code. The same
    function reached only through other code (frp after cobra v1.10.2: its own config templates reach
    text/template's evalField) means the upgrade did its part; the next step fixes the rest. Without a
    chain to tell, the same blocker counts as still there."""
    if _blocker_of(report, kind) != blocker:
        return False
    chain = (_blocker_key(report, kind) or ())[1:-1]  # (the key: the symbol, then the chain down to it)
    return not chain or any(module + "." in sym or module + "/" in sym for sym in (*chain, blocker))


def _first_blocker(report: DceReport) -> str:
    return _blocker_of(report, "plugin") or _blocker_of(report, "reflect") or "?"


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    stderr = getattr(exc, "stderr", "") or ""
    lines = [ln for ln in stderr.splitlines() if ln.strip() and not ln.startswith("#")]
    return text.splitlines()[0] + (f" ({lines[0].strip()})" if lines else "") if text else ""


# ---------------------------------------------------------------------------------------------
# The combined candidate, and suggest


def combined_candidate(project: Project, result: LoopResult) -> Candidate | None:
    """One candidate for every step of the loop (None when it applied nothing)."""
    from strategies.dce_blockers import NAME, DceDetails, Fix

    if not result.steps or not result.plan.changes:
        return None
    t = result.target
    lines = []
    for i, s in enumerate(result.steps, 1):
        delta = s.bytes_before - s.bytes_after
        lines.append(f"{i}. {s.blocker}: {s.summary} ({s.bytes_before:,} -> {s.bytes_after:,} B, "
                     f"{'-' if delta >= 0 else '+'}{abs(delta):,})")
    if result.method_dce:
        head = (f"Method DCE is back on in {t.name}: measured {result.bytes_before:,} -> {result.bytes_after:,} B "
                f"by the loop's -dumpdep builds, after {len(result.steps)} step(s):")
    else:
        head = (f"{len(result.steps)} blocker(s) of {t.name} fixed, {result.saved_bytes:,} B measured, but "
                "method DCE is still off:")
    rest = []
    for r in result.remaining:
        rest.append(f"Remaining: {r.blocker}: {r.reason}")
    if result.remaining:
        rest.append(f"Switching method DCE on would be worth about {result.worth:,} B more (estimate).")
    risks = [s.risk for s in result.steps if s.risk]
    if risks:
        rest.append("Not checked: " + "; ".join(risks) + ".")
    key = "|".join(s.candidate_id or f"{s.module}@{s.version}" for s in result.steps)
    summary = (f"{result.steps[0].summary}: method DCE back on in {t.name}" if result.method_dce
               and len(result.steps) == 1 else
               f"switch method DCE back on in {t.name} ({len(result.steps)} steps)" if result.method_dce
               else f"fix {len(result.steps)} of {len(result.steps) + len(result.remaining)} method-DCE blockers "
                    f"of {t.name}")
    return Candidate(
        id=candidate_id(NAME, f"{t}|all|{key}"), strategy=NAME, targets=(t,), summary=summary,
        explanation="\n".join([head, *lines, *rest]), estimated_bytes=max(result.saved_bytes, 0),
        confidence="low" if risks else "high" if result.method_dce else "medium", plan=result.plan,
        variant_tags=result.variant_tags,
        # a step that patched a dependency makes the whole a patch (ranked and labelled so)
        trade_off="patch" if any(s.trade_off == "patch" for s in result.steps) else "",
        details=DceDetails(Fix.ALL_BLOCKERS, blocker=result.steps[0].blocker,
                           steps=tuple(s.for_json() for s in result.steps),
                           remaining="; ".join(f"{r.blocker}: {r.reason}" for r in result.remaining) or None,
                           method_dce=result.method_dce, risk="; ".join(risks) or None),
    )


def loop_targets(project: Project, candidates: Sequence[Candidate]) -> list[Target]:
    """Targets whose method DCE is off and whose first blocker has a fix: a dce-blockers candidate, or
    a dependency at a released version that a newer one may fix (a known fixing version first)."""
    from strategies.dce_blockers import NAME, blocker_fixes

    out = []
    for t in project.targets:
        report = project.dce.get(t)
        if report is None or report.method_dce:
            continue
        if any(c.strategy == NAME and t in c.targets for c in candidates):
            out.append(t)
            continue
        if any(f.module and f.version and semver_key(f.version) is not None for f in blocker_fixes(project, t)):
            out.append(t)
    return out


def _cache_path(project: Project, target: Target) -> Path | None:
    from refactor.load import cache_dir

    folder = cache_dir(project)
    if folder is None or project.run_key is None:
        return None
    h = hashlib.sha256(f"{project.run_key}\0{CACHE_VERSION}\0{__version__}\0{target}".encode()).hexdigest()[:24]
    return folder / f"dceloop-{h}.pickle"


def cached_loop(project: Project, target: Target, *, progress: Progress | None = None,
                max_steps: int = MAX_STEPS) -> LoopResult:
    """run_loop, remembered for this run's key (HEAD, working tree, toolchain, gotrim, targets)."""
    path = _cache_path(project, target)
    if path is not None and path.is_file():
        try:
            found = pickle.loads(path.read_bytes())
            if isinstance(found, LoopResult):
                return found
        except Exception:  # a cache from another version or a torn write: run again
            pass
    result = run_loop(project, target, progress=progress, max_steps=max_steps)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{id(result)}.tmp")
            tmp.write_bytes(pickle.dumps(replace(result, reports=())))
            tmp.replace(path)
        except OSError:
            pass
    return result


def shard_loops(project: Project, *, progress: Progress | None = None) -> dict[Target, LoopResult]:
    """The loops of the targets a shard loaded (`suggest --shard`): every target with a first fix, as
    with_loops picks them (a superset: merge picks again); none outside git."""
    from refactor.gitstate import repo_state
    from strategies.dce_blockers import propose

    if repo_state(project.root) is None:
        return {}
    candidates = [c for c in propose(project, project.settings) if isinstance(c, Candidate)]
    out = {}
    for t in loop_targets(project, candidates):
        if progress:
            progress(f"{t.label}: fixing method-DCE blockers one after the other in a scratch worktree")
        out[t] = replace(cached_loop(project, t, progress=progress), reports=())
    return out


def with_loops(project: Project, candidates: Sequence[Candidate], *, progress: Progress | None = None,
               max_steps: int = MAX_STEPS, recorded: Mapping[Target, LoopResult] | None = None
               ) -> tuple[list[Candidate], list[LoopResult]]:
    """The combined candidates of the loop for every target that has a first fix (nothing outside git).
    recorded: the loops the shards ran (gotrim merge): taken as they are, nothing is built."""
    from refactor.gitstate import head_commit

    if recorded is None and head_commit(project.root) is None:
        return [], []
    out: list[Candidate] = []
    results = []
    for t in loop_targets(project, candidates):
        if recorded is not None:
            if t not in recorded:
                continue  # the shard ran outside git, as an unsharded run would have found no loop
            result = recorded[t]
        else:
            if progress:
                progress(f"{t.label}: fixing method-DCE blockers one after the other in a scratch worktree")
            result = cached_loop(project, t, progress=progress, max_steps=max_steps)
        results.append(result)
        c = combined_candidate(project, result)
        single = [x for x in candidates if len(result.steps) == 1 and x.id == result.steps[0].candidate_id]
        if c is not None and single:
            # one step: that step's candidate, now measured
            x = single[0]
            own = x.explanation.split("\n" + MEASURED)[0]
            # the loop's bytes, still remembering the strategy's cuts (refactor.combine prices their union)
            cuts = getattr(x.estimated_bytes, "cuts", None)
            measured = Saving(int(c.estimated_bytes), cuts) if cuts is not None else c.estimated_bytes
            c = replace(x, estimated_bytes=measured, confidence=c.confidence,
                        explanation=f"{own}\n{MEASURED}\n{c.explanation}\n{ESTIMATED} {int(x.estimated_bytes):,} B.",
                        plan=c.plan)
        if c is not None:
            out.append(c)
    return out, results
