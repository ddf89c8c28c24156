"""Verify and measure a candidate's plan in a scratch worktree, each step judged against HEAD.

Steps, in order (the first failure stops the rest): write the plan; gofmt of the Go files it
writes; `go build ./...` per module and configuration (each platform, and again with the candidate's
variant tags; in every module the change is built in: modules_built); `go vet` of the touched
packages per module and configuration; `go test` of them (with --test); per
target, a rebuild (`go build -trimpath`, the target's flags) measured, then its smoke run; the
configuration's other targets rebuilt and, when the change reaches them, smoke-run.

A candidate fails only for breakage it brings (refactor.baseline keeps HEAD's results):

- gofmt: the lines gotrim wrote must be gofmt-clean (edit.format_changes leaves the file as it
  is) and a CRLF file stays CRLF; a file the user left unformatted is "already failing at HEAD".
- go build / go vet / go test: when the step fails, the same step runs at HEAD; the candidate
  fails only for errors or findings HEAD does not have (compared without positions: the same
  message on another line, or in the package a split moved it to, is the same one).
- smoke: a panic, `fatal error:` or death by a signal fails, unless HEAD's binary dies the same
  way at the same frame; the default build (no variant tag) of every changed target must print
  what HEAD's binary prints (stdout, stderr, exit status); a slim build (with the candidate's
  variant tags) may print something else, but it must not end where HEAD's is still running at the
  timeout (a server that exits at start), nor run on where HEAD's has ended. A program still running
  at the timeout gets SIGTERM: one that stopped on it at HEAD must stop on it in both builds.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from refactor import smoke
from refactor.baseline import HeadResults
from refactor.candidate import Candidate
from refactor.config import SmokeSpec, Target, load_smoke
from refactor.edit import format_changes, gofmt_many, gofmt_path
from refactor.errors import GoError, GotrimError, SourceError, with_remedy
from refactor.gooutput import Finding, clip, compare, message_key, parse_errors, parse_vet_json, relative, summary
from refactor.graph import load_packages
from refactor.plan import FileChange
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
    detail: str = ""  # failed: the first error the change brings (with go's remedy); passed: a remark
    at_head: str = ""  # what this step already reports at HEAD, not caused by the change ("" if nothing)
    output: str = ""  # the whole output (go's, or the binary's) when it failed or HEAD fails too

    def for_json(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "seconds": round(self.seconds, 2), "detail": self.detail,
                "at_head": self.at_head, "output": self.output}


@dataclass(frozen=True)
class SmokeResult:
    """One binary's smoke run after the change, beside HEAD's."""

    target: str  # the label of the build that ran (with the variant tags of a slim build)
    build: str  # "default": must print what HEAD prints; "slim": built with the variant tags, may differ
    ran: bool
    reason: str = ""  # why it did not run, or what was not compared
    args: tuple[str, ...] = ()
    exit_code: int | None = None
    signal: str = ""
    timed_out: bool = False
    crash: str = ""  # "panic: ...", "fatal error: ...", "killed by SIGSEGV", or ""
    frame: str = ""  # the panic's first frame in the user's code
    same_as_head: bool | None = None  # None: not compared
    difference: str = ""  # the first difference from HEAD's output
    head_crash: str = ""  # how HEAD's binary died on the same command, if it did
    seconds: float = 0.0

    def for_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["args"] = list(self.args)
        d["seconds"] = round(self.seconds, 2)
        return d


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
    smoke: tuple[SmokeResult, ...] = ()

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

    @property
    def at_head(self) -> tuple[str, ...]:
        """`step: what` for each step that already fails at HEAD the same way (not the change's doing)."""
        return tuple(f"{s.name}: {s.at_head}" for s in self.steps if s.at_head)

    def for_json(self) -> dict[str, object]:
        return {
            "candidate": self.candidate_id,
            "ok": self.ok,
            "saved_bytes": self.saved_bytes,
            "seconds": round(self.seconds, 2),
            "steps": [s.for_json() for s in self.steps],
            "at_head": list(self.at_head),
            "smoke": [r.for_json() for r in self.smoke],
            "targets": [{"target": t.target, "variant_tags": list(t.variant_tags),
                         "before_bytes": t.before_bytes, "after_bytes": t.after_bytes,
                         "saved_bytes": t.saved_bytes, "packages_before": t.packages_before,
                         "packages_after": t.packages_after, "removed": list(t.removed),
                         "added": list(t.added)} for t in self.targets],
            "others": [{"target": t.target, "before_bytes": t.before_bytes, "after_bytes": t.after_bytes,
                        "grew_bytes": -t.saved_bytes} for t in self.others],
        }


@dataclass(frozen=True)
class _Passed:
    """What a passing step has to say."""

    detail: str = ""
    at_head: str = ""
    output: str = ""


class _StepFailed(GotrimError):
    def __init__(self, detail: str, at_head: str = "", output: str = "") -> None:
        super().__init__(detail)
        self.detail, self.at_head, self.output = detail, at_head, output


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
    """Write the plan into the worktree (unless write is off: it is there already), verify it on every
    configuration against HEAD, rebuild, measure and smoke-run the binaries."""
    v = _Verification(project, ws, candidate, progress or (lambda _msg: None), written=not write)
    try:
        v.run(write=write, test=test)
    except _Failed:
        pass
    finally:
        shutil.rmtree(v.bins, ignore_errors=True)
    return Measurement(candidate.id, tuple(v.steps), tuple(v.results), time.monotonic() - v.start,
                       others=tuple(v.others), smoke=tuple(v.smoke))


class _Verification:
    """The state of one candidate's verification (steps so far, sizes, binaries, HEAD's results)."""

    def __init__(self, project: Project, ws: Workspace, candidate: Candidate, say: Progress, *,
                 written: bool) -> None:
        self.project, self.ws, self.candidate, self.say = project, ws, candidate, say
        self.go = project.go
        self.head = HeadResults(project, ws, candidate.plan, written=written, progress=say)
        self.steps: list[Step] = []
        self.results: list[TargetResult] = []
        self.others: list[TargetResult] = []
        self.smoke: list[SmokeResult] = []
        self.start = time.monotonic()
        self.bins = Path(tempfile.mkdtemp(prefix="gotrim-bins-"))
        changes = candidate.plan.changes
        # verbatim files (a dependency's copy) are the dependency's own formatting and vet findings
        self.touched = [c.path for c in changes if c.after is not None and c.path.endswith(".go")
                        and not c.verbatim]
        # a module the plan adds (a patched copy of a dependency) is built through the targets, not vetted
        # by directory: `go vet ./dir` refuses a directory of another module
        nested = tuple(str(PurePosixPath(c.path).parent) + "/" for c in changes
                       if c.before is None and PurePosixPath(c.path).name == "go.mod" and "/" in c.path)
        # plan paths are relative to the repository's top; go runs in each module the change is built in
        self.modules = modules_built(project, candidate.targets, self.touched)
        vetted = [p for p in self.touched if not p.startswith(nested)]
        self.pkg_dirs = {m.dir: module_pkg_dirs(project, m, vetted) for m in self.modules}
        # ...but by import path, from the module that replaces it (the same packages at HEAD are the
        # module cache's): (the copy's directory, its packages the change touches, those at HEAD)
        patch = getattr(candidate.details, "patch", None)
        changed = {f"{patch.dest}/{rel}" for rel, before in patch.originals if before is not None} if patch else set()
        self.copies = copied_packages(changes, [p for p in self.touched if p.startswith(nested)], changed)
        self.roots = [*(str(ws.at(m.dir)) for m in self.modules if m.dir != project.root), str(ws.path)]
        self.module_paths = [m.path for m in project.modules]

    # -- the step runner

    def step(self, name: str, fn: Callable[[], _Passed | None]) -> None:
        self.say(name)
        t0 = time.monotonic()
        try:
            passed = fn()
        except _StepFailed as exc:
            self.steps.append(Step(name, False, time.monotonic() - t0, exc.detail, exc.at_head, exc.output))
            raise _Failed from exc
        except GoError as exc:
            output = clip(relative(exc.stderr, self.roots))
            self.steps.append(Step(name, False, time.monotonic() - t0, relative(str(exc), self.roots), "", output))
            raise _Failed from exc
        except GotrimError as exc:
            self.steps.append(Step(name, False, time.monotonic() - t0, _first_line(str(exc))))
            raise _Failed from exc
        p = passed or _Passed()
        self.steps.append(Step(name, True, time.monotonic() - t0, p.detail, p.at_head, p.output))

    def run(self, *, write: bool, test: bool) -> None:
        c = self.candidate
        if write:
            self.step("write plan", self.write_plan)
        self.step("gofmt -l", self.gofmt)
        configs = configurations(self.project.targets, c.variant_tags)
        for m in self.modules:
            for cfg in configs:
                self.step(f"go build ./... ({cfg.label}){self.where(m)}", functools.partial(self.build_all, cfg, m))
        for m in self.modules:
            if not self.pkg_dirs[m.dir]:
                continue
            for cfg in configs:
                self.step(f"go vet ({cfg.label}){self.where(m)}", functools.partial(self.vet, cfg, m))
            if test:
                self.step(f"go test ({configs[0].label}){self.where(m)}",
                          functools.partial(self.go_test, configs[0], m))
        if c.targets:
            home = self.project.resolved(self.project.module_of(c.targets[0]))
            for dest, pkgs, at_head in self.copies:
                existing: Callable[[], Sequence[str]] = functools.partial(list, at_head)  # (known already)
                for cfg in configs:
                    self.step(f"go vet ({cfg.label}) in {dest}",
                              functools.partial(self.vet_packages, cfg, home, pkgs, existing))
        for i, t in enumerate(c.targets):
            after_t = t.with_tags(*c.variant_tags)
            exe = self.bins / f"t{i}" / after_t.name
            self.step(f"rebuild {after_t.label}", functools.partial(self.rebuild, t, after_t, exe))
            if c.variant_tags:
                self.step(f"smoke {after_t.label} (slim build)", functools.partial(self.smoke_run, t, after_t, exe))
                default = self.bins / f"d{i}" / t.name
                self.step(f"smoke {t.label} (default build)", functools.partial(self.smoke_run, t, t, default))
            else:
                self.step(f"smoke {t.label}", functools.partial(self.smoke_run, t, t, exe))
        others = [t for t in self.project.targets if t not in c.targets]
        if others:
            exes = {t: self.bins / f"o{i}" / t.name for i, t in enumerate(others)}
            self.step(f"rebuild the other {len(others)} target(s)", functools.partial(self.rebuild_others, exes))
            reached = [t for t in others if self.reaches(t)]
            if reached:
                self.step(f"smoke the other {len(reached)} target(s) the change reaches",
                          functools.partial(self.smoke_others, reached, exes))

    # -- where go runs

    def where(self, m: Module) -> str:
        """` in DIR` after a step's name when the change is built in several modules."""
        return f" in {self.project.sources.rel(m.dir) or '.'}" if len(self.modules) > 1 else ""

    def go_in(self, m: Module) -> tuple[Go, Path]:
        """The module's toolchain and its directory in the worktree (the same at HEAD: one worktree)."""
        return self.ws.go(m.toolchain), self.ws.at(m.dir)

    def target_go(self, t: Target) -> tuple[Go, Path]:
        return self.go_in(self.project.resolved(self.project.module_of(t)))

    # -- the steps

    def write_plan(self) -> None:
        self.ws.write(self.candidate.plan)
        self.head.written = True

    def gofmt(self) -> _Passed | None:
        regressions, unclean = gofmt_check(self.candidate.plan.changes, gofmt_path(self.go.path))
        at_head = _list(unclean, 2) + (" (gotrim formatted only its own lines there)" if unclean else "")
        if regressions:
            raise _StepFailed(_list(regressions, 1), at_head, "\n".join(regressions))
        return _Passed(at_head=at_head)

    def build_all(self, cfg: Target, m: Module) -> _Passed | None:
        go, cwd = self.go_in(m)
        # -o /dev/null: a module whose ./... is one main package would get its binary written into the
        # worktree (and fail when a directory has the binary's name)
        args = ["build", *cfg.build_flags(), "-o", os.devnull, "./..."]
        proc = go.run(args, cwd=cwd, target=cfg, check=False)
        if proc.returncode == 0:
            return None
        text = relative(proc.stderr, self.roots)
        now = parse_errors(text) or [_generic("go build ./... failed", text)]

        def at_head(_repo_dir: Path) -> dict[str, Any]:
            p = go.run(args, cwd=cwd, target=cfg, check=False)  # the worktree is at HEAD meanwhile
            t = relative(p.stderr, self.roots)
            found = parse_errors(t) or ([_generic("go build ./... failed", t)] if p.returncode else [])
            return {"findings": [asdict(f) for f in found], "output": clip(t)}

        head, _ = self.head.get("build", (repr(cfg), _module_key(self.project, m)), at_head,
                                f"go build ./... ({cfg.label}){self.where(m)}")
        return self.judge(now, head, clip(text), broken_note=True)

    def vet(self, cfg: Target, m: Module) -> _Passed | None:
        return self.vet_packages(cfg, m, self.pkg_dirs[m.dir], lambda: self.dirs_at_head(m), self.where(m))

    def vet_packages(self, cfg: Target, m: Module, pkgs: Sequence[str], at_head: Callable[[], Sequence[str]],
                     where: str = "") -> _Passed | None:
        """go vet of pkgs (directories or import paths) in module m; when it finds anything, the
        packages of them that exist at HEAD (at_head()) are vetted there too, and only new findings fail."""
        go, cwd = self.go_in(m)

        def vet(which: Sequence[str]) -> list[Finding]:
            proc = go.run(["vet", "-json", *cfg.build_flags(), *which], cwd=cwd, target=cfg, check=False)
            found = _vet_findings(proc.stdout, proc.stderr, self.roots)
            if proc.returncode != 0 and not found:
                found = [_generic("go vet failed", relative(proc.stderr, self.roots))]
            return found

        now = vet(pkgs)
        if not now:
            return None
        dirs = at_head()
        head = self.head.get("vet", (repr(cfg), _module_key(self.project, m), *dirs),
                             lambda _repo_dir: {"findings": [asdict(f) for f in vet(dirs)]},
                             f"go vet ({cfg.label}){where}")[0] if dirs else {}
        return self.judge(now, head, clip("\n".join(f.text for f in now)))

    def judge(self, now: list[Finding], head: dict[str, Any], output: str, broken_note: bool = False) -> _Passed:
        """Pass when HEAD has every finding now has; else fail naming the first new one."""
        before = [Finding(**f) for f in head.get("findings", [])]
        new, old = compare(now, before)
        at_head = summary(old)
        if broken_note and old:
            at_head += " (what imports it was not compiled, here or at HEAD)"
        if new:
            raise _StepFailed(summary(new), at_head, output)
        return _Passed(at_head=at_head, output=output)

    def dirs_at_head(self, m: Module) -> list[str]:
        """The touched package directories of module m that exist at HEAD (a split's new package does
        not). Plan paths are relative to the repository's top, the directories to the module."""
        created = {c.path for c in self.candidate.plan.changes if c.before is None}
        deleted = {c.path for c in self.candidate.plan.changes if c.after is None and c.path.endswith(".go")}
        cwd = self.ws.at(m.dir)
        out = []
        for d in self.pkg_dirs[m.dir]:
            folder = cwd / (d[2:] if d.startswith("./") else "")
            top_rel = PurePosixPath(os.path.relpath(folder, self.ws.path).replace(os.sep, "/"))
            if any(PurePosixPath(p).parent == top_rel for p in deleted):
                out.append(d)
                continue
            files = [f.relative_to(self.ws.path).as_posix() for f in folder.glob("*.go")] if folder.is_dir() else []
            if any(f not in created for f in files):
                out.append(d)
        return out

    def go_test(self, cfg: Target, m: Module) -> _Passed | None:
        """go test on the touched packages. A test that fails at HEAD too does not fail the candidate (it
        is named in the step's detail); any other failure does, naming the failing tests."""
        go, cwd = self.go_in(m)
        failed, why = _failing_tests(go, cwd, cfg, self.pkg_dirs[m.dir])
        if failed is None:
            return None
        dirs = self.dirs_at_head(m)

        def at_head(_repo_dir: Path) -> dict[str, Any]:
            base = _failing_tests(go, cwd, cfg, dirs)[0] if dirs else None
            return {"failed": sorted(base or ())}

        head, _ = self.head.get("test", (repr(cfg), _module_key(self.project, m), *dirs), at_head,
                                f"go test ({cfg.label}){self.where(m)}")
        base = frozenset(head["failed"])
        new, old = sorted(failed - base), sorted(failed & base)
        also = f"; {_list(old)} fail(s) at HEAD too" if old else ""
        if new:
            raise _StepFailed(f"go test: {_list(new)} failed{also}" + (f" ({why})" if why else ""),
                              f"{_list(old)} fail(s)" if old else "")
        return _Passed(f"{_list(old)} fail(s) at HEAD too, not because of this change", f"{_list(old)} fail(s)")

    def rebuild(self, before: Target, after: Target, exe: Path) -> None:
        self.results.append(_measure_target(self.project, self.ws, before, after, exe))

    def rebuild_others(self, exes: dict[Target, Path]) -> None:
        for t, exe in exes.items():
            self.others.append(_measure_target(self.project, self.ws, t, t, exe))
        grown = [r for r in self.others if r.after_bytes > r.before_bytes * (1 + MAX_OTHER_GROWTH)]
        if grown:
            raise GotrimError("other binaries grew: " + ", ".join(
                f"{r.target} +{-r.saved_bytes:,} bytes" for r in grown))

    def reaches(self, t: Target) -> bool:
        """Whether the change touches a package target t is built from."""
        graph = self.project.graphs.get(t)
        if graph is None:
            return True
        files = self.candidate.plan.files()
        if any(PurePosixPath(p).name in ("go.mod", "go.sum", "go.work", "modules.txt") for p in files):
            return True  # the module's requirements or vendored code: every build
        root = self.project.root.resolve()
        dirs = {(root / PurePosixPath(p).parent).resolve() for p in files if p.endswith((".go", ".s", ".c", ".h"))}
        return any(Path(p.dir).resolve() in dirs for p in graph.packages.values() if p.editable)

    def smoke_others(self, others: Sequence[Target], exes: dict[Target, Path]) -> _Passed:
        said = []
        for t in others:
            said.append(f"{t.name}: {self.smoke_run(t, t, exes[t]).detail or 'ok'}")
        return _Passed(detail="; ".join(said))

    def smoke_run(self, target: Target, build: Target, exe: Path) -> _Passed:
        """Run the binary of `build` (target, or target with the variant tags: a slim build) and judge it
        against HEAD's binary of target."""
        slim = build != target
        label = build.label
        spec = smoke_spec(self.project, target)
        if not spec.enabled:
            self.smoke.append(SmokeResult(label, "slim" if slim else "default", False, "smoke = false in gotrim.toml"))
            return _Passed("not run: smoke = false in gotrim.toml")
        host = host_platform(self.go.path)
        if (target.goos, target.goarch) != host:
            why = f"built, not run: {target.platform} binaries do not run on this {host[0]}/{host[1]} machine"
            self.smoke.append(SmokeResult(label, "slim" if slim else "default", False, why))
            return _Passed(why)
        if not exe.exists():  # the default build of a guard: not built by a rebuild step
            from refactor.binary import build as go_build

            exe.parent.mkdir(parents=True, exist_ok=True)
            go, cwd = self.target_go(target)
            go_build(go, cwd, build, exe)
        head = self.head_smoke(target, spec)
        default = spec.args if spec.args is not None else smoke.DEFAULT_ARGS
        # HEAD's choice when it ran (the default may have fallen back to no arguments)
        args = tuple(head["args"]) if "args" in head else default
        now = smoke.run(exe, build.name, args, module_paths=self.module_paths)
        head_run = smoke.Run.from_json(head["run"]) if head.get("built") else None
        return self.judge_smoke(label, slim, now, head_run, bool(head.get("stable")), str(head.get("error", "")))

    def head_smoke(self, target: Target, spec: SmokeSpec) -> dict[str, Any]:
        def at_head(_repo_dir: Path) -> dict[str, Any]:
            from refactor.binary import build as go_build

            go, cwd = self.target_go(target)
            with tempfile.TemporaryDirectory(prefix="gotrim-bins-") as tmp:
                try:
                    exe = go_build(go, cwd, target, Path(tmp) / target.name)
                except GoError as exc:
                    return {"built": False, "error": relative(str(exc), self.roots)}
                args, first, stable = smoke.baseline(exe, target.name, spec.args, module_paths=self.module_paths)
            return {"built": True, "args": list(args), "run": first.for_json(), "stable": stable}

        parts = (repr(target), repr(spec.args), str(smoke.SMOKE_TIMEOUT))
        return self.head.get("smoke", parts, at_head, f"smoke {target.label}")[0]

    def judge_smoke(self, label: str, slim: bool, now: smoke.Run, head: smoke.Run | None, stable: bool,
                    head_error: str) -> _Passed:
        build = "slim" if slim else "default"
        result = SmokeResult(label, build, True, "", now.args, now.exit_code, now.signal, now.timed_out, now.crash,
                             now.frame, None, "", head.crash if head else "", now.seconds)
        output = clip((now.stderr + ("\n" + now.stdout if now.stdout.strip() else "")).strip())
        command = " ".join([label.split(" ", 1)[0], *now.args]) or label
        if now.crash:
            same = head is not None and head.crash == now.crash and head.frame == now.frame
            where = f" at {now.frame}" if now.frame else ""
            self.smoke.append(result)
            if not same:
                at = f"; at HEAD: {head.crash or head.ending()}" if head is not None else ""
                raise _StepFailed(f"`{command}`: {now.crash}{where}{at}", "", output)
            return _Passed(f"`{command}`: {now.crash}{where}", f"`{command}` dies the same way at HEAD", output)
        if head is None:
            self.smoke.append(_replace(result, reason=f"not compared: HEAD's binary was not built ({head_error})"))
            return _Passed(f"`{command}`: {now.ending()}, no crash; not compared (HEAD's binary did not build)",
                           f"the binary does not build at HEAD ({head_error})")
        diff = smoke.difference(head, now)
        if not stable and not diff.startswith(now.ending()):
            diff = ""  # HEAD's own output varies from run to run: only the exit is compared
        if head.timed_out and now.timed_out:
            diff = ""  # a server: both still running; their output so far is not compared
        result = _replace(result, same_as_head=not diff, difference=diff)
        stops = head.timed_out and now.timed_out and head.stopped and now.stopped is False
        if slim:
            self.smoke.append(result)
            if now.timed_out and not head.timed_out:
                raise _StepFailed(f"`{command}`: {now.ending()} (at HEAD: {head.ending()})", "", output)
            if head.timed_out and not now.timed_out:  # (nats-server's slim build: `[FTL] Can't start JetStream`)
                raise _StepFailed(f"`{command}`: {now.ending()} (at HEAD: {head.ending()}): the slim build stops "
                                  "where HEAD's runs on", "", output)
            if stops:
                raise _StepFailed(f"`{command}`: {now.ending()} (at HEAD: {head.ending()}): the slim build does "
                                  "not shut down", "", output)
            what = "same output as HEAD" if not diff else "output differs from HEAD's (expected of a slim build)"
            return _Passed(f"`{command}`: {now.ending()}, no crash; {what}")
        self.smoke.append(result)
        if diff:
            raise _StepFailed(f"`{command}`: output differs from HEAD's: {diff}", "", output)
        if stops:
            raise _StepFailed(f"`{command}`: {now.ending()} (at HEAD: {head.ending()}): it does not shut down",
                              "", output)
        notes = [] if stable else ["HEAD's output varies between runs: exit status compared"]
        if now.timed_out:
            notes.append(f"still running after {smoke.SMOKE_TIMEOUT:.0f} s, as at HEAD")
        return _Passed(f"`{command}`: same output as HEAD" + (f" ({'; '.join(notes)})" if notes else ""))


def _replace(r: SmokeResult, **kw: Any) -> SmokeResult:
    from dataclasses import replace

    return replace(r, **kw)


def _generic(title: str, text: str) -> Finding:
    first = next((ln.strip() for ln in text.splitlines() if ln.strip()), title)
    return Finding("", text.strip() or title, message_key(first))


def _vet_findings(stdout: str, stderr: str, roots: Sequence[str]) -> list[Finding]:
    """go vet -json: diagnostics on stdout, errors (a package that does not type-check) on stderr."""
    return parse_vet_json(stdout, roots) + parse_errors(relative(stderr, roots))


def gofmt_check(changes: Sequence[FileChange], binary: str | None = None) -> tuple[list[str], list[str]]:
    """(regressions, files unformatted at HEAD) of a plan's Go files.

    A regression is a file that the editor's own rule (edit.format_changes: a new file wholly
    gofmt'd, an edited clean file gofmt'd, in a file the user left unformatted only the lines gotrim
    changed, CRLF kept) would still change: a line gotrim wrote that gofmt would rewrite, or LF lines
    in a CRLF file. Files unformatted at HEAD are named, not failed."""
    go_changes = [c for c in changes if c.after is not None and c.path.endswith(".go") and not c.verbatim]
    regressions: list[str] = []
    unclean: list[str] = []
    if not go_changes:
        return regressions, unclean
    befores = [c.before.replace(b"\r\n", b"\n") for c in go_changes if c.before is not None]
    head_fmt = dict(zip(befores, gofmt_many(befores, binary), strict=True))
    for c in go_changes:
        assert c.after is not None
        before_lf = c.before.replace(b"\r\n", b"\n") if c.before is not None else None
        fb = head_fmt.get(before_lf) if before_lf is not None else None
        try:
            (expected,) = format_changes([c], binary)
        except SourceError as exc:
            if isinstance(fb, SourceError):
                unclean.append(f"{c.path} (does not parse at HEAD either)")
            else:
                regressions.append(f"{c.path}: {exc}")
            continue
        if expected.after != c.after:
            regressions.append(_where_unformatted(c.path, c.after, expected.after or b""))
        if before_lf is not None and fb is not None and fb != before_lf:
            unclean.append(c.path)
    return regressions, unclean


def _where_unformatted(path: str, got: bytes, want: bytes) -> str:
    if got.replace(b"\r\n", b"\n") == want.replace(b"\r\n", b"\n"):
        return f"{path}: CRLF at HEAD, but gotrim wrote LF lines"
    for n, (a, b) in enumerate(zip(got.splitlines(), want.splitlines(), strict=False), 1):
        if a != b:
            return f"{path}:{n}: not gofmt-clean where gotrim wrote it"
    return f"{path}: not gofmt-clean where gotrim wrote it"


def smoke_spec(project: Project, target: Target) -> SmokeSpec:
    """The smoke command gotrim.toml gives the target (matched by import path or ./dir), else the default."""
    for spec in load_smoke(project.settings.root):
        if _names(project, target, spec.main):
            return spec
    return SmokeSpec(target.main)


def _names(project: Project, target: Target, main: str) -> bool:
    if main == target.main:
        return True
    if not main.startswith("."):
        return False
    graph = project.graphs.get(target)
    pkg = graph.packages.get(target.main) if graph is not None else None
    if pkg is not None:
        return Path(pkg.dir).resolve() == (project.settings.root / main).resolve()
    return target.main == project.import_pattern(main)


@functools.lru_cache(maxsize=4)
def host_platform(go_path: str) -> tuple[str, str]:
    """GOHOSTOS/GOHOSTARCH of the toolchain: the binaries this machine runs."""
    import json
    import os
    import subprocess

    out = subprocess.run([go_path, "env", "-json", "GOHOSTOS", "GOHOSTARCH"], capture_output=True, text=True,
                         env={**os.environ, "GOTOOLCHAIN": "local"}, timeout=60).stdout
    try:
        d = json.loads(out)
        return str(d["GOHOSTOS"]), str(d["GOHOSTARCH"])
    except (ValueError, KeyError):
        return "", ""


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


def copied_packages(changes: Sequence[FileChange], touched: Sequence[str], changed: Collection[str] = ()
                    ) -> list[tuple[str, list[str], list[str]]]:
    """The copies of dependencies a plan adds (a dependency patch: a directory with a new go.mod) whose
    Go files it changes: (the copy's directory, the import paths of the touched packages, those of them
    that exist at HEAD in the module cache). A package exists there when its directory holds a Go file
    copied as it is (verbatim) or one the patch changed (changed: their plan paths)."""
    modules = {}
    for c in changes:
        if c.before is None and c.after is not None and PurePosixPath(c.path).name == "go.mod" and "/" in c.path:
            found = re.search(rb"^module\s+\"?([^\s\"]+)", c.after, re.M)
            if found:
                modules[str(PurePosixPath(c.path).parent)] = found.group(1).decode()
    kept = {str(PurePosixPath(c.path).parent) for c in changes if c.verbatim and c.path.endswith(".go")}
    kept |= {str(PurePosixPath(p).parent) for p in changed if p.endswith(".go")}
    out = []
    for dest, module in sorted(modules.items()):
        dirs = sorted({str(PurePosixPath(p).parent) for p in touched if p.startswith(dest + "/")})
        if not dirs:
            continue
        paths = {d: module + d[len(dest):] for d in dirs}
        out.append((dest, list(paths.values()), [paths[d] for d in dirs if d in kept]))
    return out


def _module_key(project: Project, m: Module) -> str:
    """A module in HEAD results' cache keys: its directory in the repository and its toolchain."""
    return f"{project.sources.rel(m.dir)}\0{m.toolchain.path}\0{m.toolchain.version_text}"


def _measure_target(project: Project, ws: Workspace, before: Target, after: Target, exe: Path) -> TargetResult:
    from refactor.binary import build

    before_bytes = project.sizes[before].file_bytes
    exe.parent.mkdir(parents=True, exist_ok=True)
    go, cwd = ws.go(project.go_of(before)), ws.at(project.module_of(before).dir)
    build(go, cwd, after, exe)
    after_bytes = exe.stat().st_size
    pkgs_after = set(load_packages(go, cwd, after, [after.main]))
    pkgs_before = set(project.graphs[before].packages)
    return TargetResult(
        target=before.label, variant_tags=tuple(t for t in after.tags if t not in before.tags),
        before_bytes=before_bytes, after_bytes=after_bytes,
        packages_before=len(pkgs_before), packages_after=len(pkgs_after),
        removed=tuple(sorted(pkgs_before - pkgs_after)), added=tuple(sorted(pkgs_after - pkgs_before)),
    )


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
    return frozenset(failed), with_remedy(lines[0], proc.stderr) if lines else ""


def _list(names: Sequence[str], limit: int = 3) -> str:
    return ", ".join(names[:limit]) + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""
