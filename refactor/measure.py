"""Verify and measure a candidate's plan in a scratch worktree: gofmt, build, vet, rebuild, size."""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from refactor.candidate import Candidate
from refactor.config import Target
from refactor.edit import gofmt_path
from refactor.errors import GotrimError
from refactor.graph import load_packages
from refactor.project import Project
from refactor.repository import Module
from refactor.toolchain import Go

if TYPE_CHECKING:
    from refactor.workspace import Workspace

Progress = Callable[[str], None]
# A change for one binary may add a forwarding package to the others; more than this is a failure.
MAX_OTHER_GROWTH = 0.01


@dataclass(frozen=True)
class Step:
    """One verification step and how it went."""

    name: str
    ok: bool
    seconds: float
    detail: str = ""  # the first error line when it failed


@dataclass(frozen=True)
class TargetResult:
    """One target before and after the change (after built with the candidate's variant tags)."""

    target: str
    variant_tags: tuple[str, ...]
    before_bytes: int
    after_bytes: int
    packages_before: int
    packages_after: int
    removed: tuple[str, ...]
    added: tuple[str, ...]

    @property
    def saved_bytes(self) -> int:
        return self.before_bytes - self.after_bytes


@dataclass(frozen=True)
class Measurement:
    """The outcome of verifying one candidate: every step, and the sizes when the builds passed."""

    candidate_id: str
    steps: tuple[Step, ...]
    targets: tuple[TargetResult, ...] = ()
    seconds: float = 0.0
    notes: tuple[str, ...] = field(default=())
    others: tuple[TargetResult, ...] = ()  # the configuration's other binaries, rebuilt as they are

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.steps) and bool(self.targets) and self.saved_bytes > 0

    @property
    def verified(self) -> bool:
        """Every step passed (the size may or may not have gone down)."""
        return all(s.ok for s in self.steps)

    @property
    def saved_bytes(self) -> int:
        return sum(t.saved_bytes for t in self.targets)

    @property
    def first_error(self) -> str:
        for s in self.steps:
            if not s.ok:
                return f"{s.name}: {s.detail}"
        if self.targets and self.saved_bytes <= 0:
            return "the binary did not shrink"
        return ""

    def for_json(self) -> dict[str, object]:
        return {
            "candidate": self.candidate_id,
            "ok": self.ok,
            "saved_bytes": self.saved_bytes,
            "seconds": round(self.seconds, 2),
            "steps": [{"name": s.name, "ok": s.ok, "seconds": round(s.seconds, 2), "detail": s.detail}
                      for s in self.steps],
            "targets": [{"target": t.target, "variant_tags": list(t.variant_tags),
                         "before_bytes": t.before_bytes, "after_bytes": t.after_bytes,
                         "saved_bytes": t.saved_bytes, "packages_before": t.packages_before,
                         "packages_after": t.packages_after, "removed": list(t.removed),
                         "added": list(t.added)} for t in self.targets],
            "others": [{"target": t.target, "before_bytes": t.before_bytes, "after_bytes": t.after_bytes,
                        "grew_bytes": -t.saved_bytes} for t in self.others],
        }


class _Failed(Exception):
    pass


def configurations(targets: Sequence[Target], variant_tags: Sequence[str] = ()) -> list[Target]:
    """The distinct build configurations of the targets, and each again with the variant tags."""
    configs: dict[Target, None] = {}
    for t in targets:
        base = Target(main="", goos=t.goos, goarch=t.goarch, tags=t.tags, cgo=t.cgo)
        configs[base] = None
        if variant_tags:
            configs[base.with_tags(*variant_tags)] = None
    return list(configs)


def verify_and_measure(
    project: Project, ws: Workspace, candidate: Candidate, *, test: bool = False,
    progress: Progress | None = None, write: bool = True,
) -> Measurement:
    """Write the plan into the worktree, verify it on every configuration, rebuild and measure."""
    say = progress or (lambda _msg: None)
    steps: list[Step] = []
    start = time.monotonic()
    go = project.go
    touched = [c.path for c in candidate.plan.changes if c.after is not None and c.path.endswith(".go")]
    # paths are relative to the repository's top; go runs in each module the change builds in
    modules = modules_built(project, candidate.targets, touched)
    pkg_dirs = {m.dir: module_pkg_dirs(project, m, touched) for m in modules}

    def step(name: str, fn: Callable[[], str | None]) -> None:
        say(name)
        t0 = time.monotonic()
        try:
            detail = fn()
        except GotrimError as exc:
            steps.append(Step(name, False, time.monotonic() - t0, _first_line(str(exc))))
            raise _Failed from exc
        steps.append(Step(name, True, time.monotonic() - t0, detail or ""))

    def gofmt() -> str | None:
        if not touched:
            return None
        proc = subprocess.run([gofmt_path(go.path), "-l", *touched], cwd=ws.path, capture_output=True, text=True)
        if proc.returncode != 0 or proc.stdout.strip():
            listed = (proc.stdout.strip() or proc.stderr.strip()).replace("\n", " ")
            raise GotrimError("not gofmt-clean: " + listed)
        return None

    results: list[TargetResult] = []
    others: list[TargetResult] = []
    try:
        if write:
            step("write plan", lambda: ws.write(candidate.plan))
        step("gofmt -l", gofmt)
        def go_cmd(verb: str, cfg: Target, m: Module, *args: str) -> Callable[[], None]:
            def run() -> None:
                ws.go(m.toolchain).run([verb, *cfg.build_flags(), *args], cwd=ws.at(m.dir), target=cfg,
                                       what=f"go {verb}")
            return run

        def where(m: Module) -> str:
            return f" in {project.sources.rel(m.dir) or '.'}" if len(modules) > 1 else ""

        configs = configurations(project.targets, candidate.variant_tags)
        for m in modules:
            for cfg in configs:
                # -o /dev/null: a module whose ./... is one main package would get its binary written
                # into the worktree (and fail when a directory has the binary's name)
                step(f"go build ./... ({cfg.label}){where(m)}", go_cmd("build", cfg, m, "-o", os.devnull, "./..."))
        for m in modules:
            if not pkg_dirs[m.dir]:
                continue
            for cfg in configs:
                step(f"go vet ({cfg.label}){where(m)}", go_cmd("vet", cfg, m, *pkg_dirs[m.dir]))
            if test:
                def go_test(m: Module = m, cfg0: Target = configs[0]) -> str | None:
                    return _go_test(project, ws, candidate, cfg0, pkg_dirs[m.dir], m)
                step(f"go test ({configs[0].label}){where(m)}", go_test)
        for t in candidate.targets:
            after_t = t.with_tags(*candidate.variant_tags)

            def measure_one(t: Target = t, after_t: Target = after_t) -> str:
                results.append(_measure_target(project, ws, t, after_t))
                return ""
            step(f"rebuild {after_t.label}", measure_one)
        others_t = [t for t in project.targets if t not in candidate.targets]
        if others_t:
            def measure_others() -> str:
                for t in others_t:
                    others.append(_measure_target(project, ws, t, t))
                grown = [r for r in others if r.after_bytes > r.before_bytes * (1 + MAX_OTHER_GROWTH)]
                if grown:
                    raise GotrimError("other binaries grew: " + ", ".join(
                        f"{r.target} +{-r.saved_bytes:,} bytes" for r in grown))
                return ""
            step(f"rebuild the other {len(others_t)} target(s)", measure_others)
    except _Failed:
        pass
    return Measurement(candidate.id, tuple(steps), tuple(results), time.monotonic() - start,
                       others=tuple(others))


def modules_built(project: Project, targets: Sequence[Target], touched: Sequence[str]) -> list[Module]:
    """The modules a change is built in, each with its toolchain: every target's module, every module
    of the repository whose files the change touches, and every module that builds a touched one from
    the repository (its `replace => ../x`, its workspace: SourceIndex.links), REPO's first."""
    out: dict[Path, Module] = {}
    for t in project.targets:
        out.setdefault(project.module_of(t).dir, project.module_of(t))
    def rel(d: Path) -> str:
        r = project.sources.rel(d)
        return "" if r == "." else r

    hit: set[str] = set()
    for path in touched:
        m = project.module_containing(path)
        if m is not None:
            hit.add(rel(m.dir))
            if m.dir not in out:
                out[m.dir] = project.resolved(m)
    links = project.sources.links or {}
    for m in project.modules:
        if m.dir not in out and links.get(rel(m.dir), frozenset()) & hit:
            out[m.dir] = project.resolved(m)
    return list(out.values())


def module_pkg_dirs(project: Project, m: Module, touched: Sequence[str]) -> list[str]:
    """The package directories (`./x`, relative to m) of the touched files that module m holds."""
    dirs = set()
    for path in touched:
        holder = project.module_containing(path)
        if holder is None or holder.dir != m.dir:
            continue
        rel = PurePosixPath(os.path.relpath(project.root / path, m.dir).replace(os.sep, "/")).parent
        dirs.add("." if str(rel) == "." else f"./{rel}")
    return sorted(dirs)


def _measure_target(project: Project, ws: Workspace, before: Target, after: Target) -> TargetResult:
    from refactor.binary import build

    before_bytes = project.sizes[before].file_bytes
    go, cwd = ws.go(project.go_of(before)), ws.at(project.module_of(before).dir)
    with tempfile.TemporaryDirectory(prefix="gotrim-") as tmp:
        exe = build(go, cwd, after, Path(tmp) / after.name)
        after_bytes = exe.stat().st_size
    pkgs_after = set(load_packages(go, cwd, after, [after.main]))
    pkgs_before = set(project.graphs[before].packages)
    return TargetResult(
        target=before.label, variant_tags=tuple(t for t in after.tags if t not in before.tags),
        before_bytes=before_bytes, after_bytes=after_bytes,
        packages_before=len(pkgs_before), packages_after=len(pkgs_after),
        removed=tuple(sorted(pkgs_before - pkgs_after)), added=tuple(sorted(pkgs_after - pkgs_before)),
    )


# failing tests at HEAD, per (repository, HEAD, packages, configuration): asked once per run
_BASELINES: dict[tuple[str, str, tuple[str, ...], Target], frozenset[str]] = {}


def _go_test(project: Project, ws: Workspace, candidate: Candidate, cfg: Target, pkg_dirs: Sequence[str],
             module: Module) -> str | None:
    """go test on the touched packages. A test that fails at HEAD too does not fail the candidate (it
    is named in the step's detail); any other failure does, naming the failing tests."""
    go, cwd = ws.go(module.toolchain), ws.at(module.dir)
    failed, why = _failing_tests(go, cwd, cfg, pkg_dirs)
    if failed is None:
        return None
    key = (str(module.dir), ws.state.head, tuple(pkg_dirs), cfg)
    base = _BASELINES.get(key)
    if base is None:
        ws.reset()  # the same tests at HEAD tell a failure the change brings from one already there
        try:
            base = _failing_tests(go, cwd, cfg, pkg_dirs)[0] or frozenset()
        finally:
            ws.write(candidate.plan)
        _BASELINES[key] = base
    new, old = sorted(failed - base), sorted(failed & base)
    also = f"; {_list(old)} fail(s) at HEAD too" if old else ""
    if new:
        raise GotrimError(f"go test: {_list(new)} failed{also}" + (f" ({why})" if why else ""))
    return f"{_list(old)} fail(s) at HEAD too, not because of this change"


def _failing_tests(go: Go, cwd: Path, cfg: Target, pkg_dirs: Sequence[str]
                   ) -> tuple[frozenset[str] | None, str]:
    """None when go test passes, else the failing tests (`pkg.TestName`, or `pkg [build failed]`) and
    the first line go printed on stderr."""
    proc = go.run(["test", *cfg.build_flags(), *pkg_dirs], cwd=cwd, target=cfg, check=False)
    if proc.returncode == 0:
        return None, ""
    failed: set[str] = set()
    pending: list[str] = []
    for line in proc.stdout.splitlines():
        m = re.match(r"\s*--- FAIL: (\S+)", line)
        if m:
            pending.append(m.group(1))
            continue
        m = re.match(r"FAIL\s+(\S+)(.*)", line)  # FAIL<tab>pkg<tab>0.1s, or FAIL<tab>pkg [build failed]
        if m:
            pkg, rest = m.group(1), m.group(2)
            if pending:
                failed.update(f"{pkg}.{t}" for t in pending)
            else:
                failed.add(f"{pkg} [{'build failed' if 'build failed' in rest else 'failed'}]")
            pending = []
    if pending or not failed:
        failed.update(pending or ["go test"])
    lines = [ln.strip() for ln in proc.stderr.splitlines() if ln.strip() and not ln.startswith("#")]
    return frozenset(failed), lines[0] if lines else ""


def _list(names: Sequence[str], limit: int = 3) -> str:
    return ", ".join(names[:limit]) + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""
