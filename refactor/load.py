"""The one loader: repository -> module -> targets -> a frozen Project. The only phase that runs `go`
during analysis (go list, go env, the target builds); everything after it only reads the Project.

What is loaded is declared up front (Needs). The speed tricks live here:

- `size` (SIZES without DCE) starts linking the likely targets before `go list` has answered, into
  kept build directories (refactor.builds), so a second run on unchanged code does not link again;
- DCE (suggest, `gotrim dce`) builds each target once with -dumpdep, several at a time
  (builds.link_slots), and attributes the same binary when SIZES is wanted too; meanwhile this
  thread parses the targets' packages and runs the strategies' warm-ups (graph-only work);
- attributions are remembered by binary content (binary.attribute_cached);
- with a git repository, the loaded sizes and DCE reports can be remembered under .git/gotrim by
  HEAD, working-tree state, toolchain, gotrim version and targets (remember=True) and reused
  (reuse=True): `apply` after `suggest` builds nothing.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
import threading
import types
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from refactor import __version__, code_digest
from refactor.config import Settings, Target, TargetSpec, load_specs
from refactor.graph import BuildGraph, Module, find_module, graphs_for, likely_targets, resolve_targets
from refactor.project import Needs, Project
from refactor.sources import SourceIndex
from refactor.toolchain import Go

if TYPE_CHECKING:
    from refactor.binary import SizeTable
    from refactor.estimate import ReachModel
    from refactor.linker import DceReport
    from refactor.typed import TypedView

CACHE_VERSION = 2
Warm = Callable[[Project], None]


@dataclass(frozen=True)
class LoadProgress:
    """How load reports: one line per step, and targets loaded so far out of how many."""

    step: Callable[[str], None] = lambda _msg: None
    targets: Callable[[int, int], None] = lambda _done, _total: None


def effective_specs(settings: Settings, flag_spec: TargetSpec | None) -> tuple[TargetSpec, ...]:
    """Flags win over gotrim.toml; with neither, every main package for the host platform."""
    if flag_spec is not None:
        return (flag_spec,)
    return load_specs(settings.root) or (TargetSpec(),)


def load(go: Go, settings: Settings, specs: Sequence[TargetSpec], needs: Needs = Needs.GRAPHS, *,
         warm: Sequence[Warm] = (), progress: LoadProgress | None = None, reuse: bool = False,
         remember: bool = False) -> Project:
    """Resolve the targets and load what needs declares, as one frozen Project.

    warm: graph-only work (a strategy's warm-up) run on the partly loaded project while the targets
    build. reuse: take the sizes and DCE reports a previous run remembered for exactly this HEAD,
    working tree, toolchain and targets; remember: keep these for the next run (both need git).
    """
    say = progress or LoadProgress()
    module = find_module(go, settings.root)
    early = None
    if Needs.SIZES in needs and Needs.DCE not in needs:
        from refactor.builds import BackgroundBuilds

        # start on the likely targets at once; resolve_targets then confirms or corrects them
        early = BackgroundBuilds(go, module.dir, likely_targets(module, specs), cache_dir=settings.cache_dir)
    try:
        targets = tuple(resolve_targets(go, module, specs))
        if early is not None:
            early.retarget(targets)
        graphs = graphs_for(go, module.dir, targets)
        sources = source_index(module, graphs, go.version[1])
        stage = Project(go=go, settings=settings, modules=(module,), targets=targets,
                        graphs=types.MappingProxyType(dict(graphs)), sources=sources,
                        sizes=types.MappingProxyType({}), dce=types.MappingProxyType({}),
                        needs=needs & (Needs.GRAPHS | Needs.SOURCES))
        if not needs & (Needs.SIZES | Needs.DCE):
            # nothing to overlap: sources are parsed as they are read (why reads a few files)
            for w in warm:
                w(stage)
            typed = _typed_views(stage, say) if Needs.TYPED in needs else {}
            return replace(stage, typed=types.MappingProxyType(typed), needs=needs)
        key = _run_key(stage) if reuse or remember else None
        stage = replace(stage, run_key=key)
        reach: dict[Target, ReachModel | None] = {}
        facts = _cached_facts(stage, needs, reach) if reuse and key else None
        if facts is None:
            if early is not None:
                facts = _sizes_from_builds(stage, early, say)
            else:
                facts = _dumpdep_builds(stage, needs, warm, say, reach)
            if remember and key:
                _save_facts(stage, needs, facts, reach)
        elif Needs.SOURCES in needs:
            _parse_targets_packages(stage)
    finally:
        if early is not None:
            early.close()
    sizes, dce = facts
    typed = _typed_views(stage, say) if Needs.TYPED in needs else {}
    return replace(stage, sizes=types.MappingProxyType(sizes), dce=types.MappingProxyType(dce),
                   typed=types.MappingProxyType(typed), reach=types.MappingProxyType(reach), needs=needs)


Facts = tuple[dict[Target, "SizeTable"], dict[Target, "DceReport"]]


def source_index(module: Module, graphs: Mapping[Target, BuildGraph], go_minor: int) -> SourceIndex:
    """The module's source index, with the package names and directories the graphs report."""
    names = {p: pkg.name for g in graphs.values() for p, pkg in g.packages.items()}
    dirs = {p.dir for g in graphs.values() for p in g.packages.values() if p.main_module}
    return SourceIndex.scan(module.dir, module.path, package_names=names, go_minor=go_minor,
                            package_dirs=sorted(Path(os.path.relpath(d, module.dir)).as_posix() for d in dirs))


def _parse_targets_packages(project: Project) -> None:
    """Parse the module's packages the targets build (strategies read them all)."""
    dirs = {project.sources.rel(pkg.dir) for g in project.graphs.values() for pkg in g.packages.values()
            if pkg.main_module}
    project.sources.parse_all(sorted(d for d in dirs if not d.startswith("/")))


def _typed_views(project: Project, say: LoadProgress) -> dict[Target, TypedView | None]:
    """TYPED: the type-checked view of each target's main-module packages. Run after the builds, so
    `go list -export` finds the export data in the build cache. A target whose packages cannot be
    listed with export data gets None (readers fall back to names and say so); a package that does
    not type-check is in the view with its errors."""
    from refactor.errors import GoError
    from refactor.typed import load_typed

    out: dict[Target, TypedView | None] = {}
    for t in project.targets:
        say.step(f"type-checking the packages of {t.label}")
        try:
            out[t] = load_typed(project.go, project.module_of(t).dir, t,
                                project.graphs[t].main_module_packages())
        except GoError:
            out[t] = None
    return out


def _module_of_packages(graph: BuildGraph) -> dict[str, str | None]:
    return {p: pkg.module for p, pkg in graph.packages.items()}


def _sizes_from_builds(project: Project, builds: object, say: LoadProgress) -> Facts:
    """SIZES alone: wait for each early build, in target order, and attribute it."""
    from refactor.binary import attribute_cached
    from refactor.builds import BackgroundBuilds

    assert isinstance(builds, BackgroundBuilds)
    sizes: dict[Target, SizeTable] = {}
    total = len(project.targets)
    say.targets(0, total)
    for n, t in enumerate(project.targets, 1):
        say.step(f"building {t.label}")
        code_digest()  # the size cache keys on it: read gotrim's sources while the link runs
        exe = builds.wait(t)
        try:
            sizes[t] = attribute_cached(exe, _module_of_packages(project.graphs[t]), t.main,
                                        project.settings.cache_dir, go=project.go)
        finally:
            builds.release(t)
        say.targets(n, total)
    return sizes, {}


def _dumpdep_builds(project: Project, needs: Needs, warm: Sequence[Warm], say: LoadProgress,
                    reach: dict[Target, ReachModel | None] | None = None) -> Facts:
    """DCE (and SIZES): one -dumpdep build per target, several at a time, each attributed when sizes
    are wanted; this thread parses sources and runs the warm-ups meanwhile. REACH: the link's objects
    are replayed (refactor.estimate) beside the attribution, into `reach`."""
    from refactor import attribcore
    from refactor.binary import attribute_cached
    from refactor.builds import link_slots
    from refactor.estimate import Replay
    from refactor.linker import build_with_dumpdep, detect_dynlink

    attribcore.prepare(project.go)  # a first run ever builds the attribution core beside the links
    if Needs.REACH in needs:
        from refactor.catalogue import catalogue

        catalogue()  # read here, not on the build threads, which must not wait for an import
    total = len(project.targets)
    done: list[Target] = []
    say.targets(0, total)

    def one(t: Target) -> tuple[DceReport, SizeTable | None]:
        say.step(f"building {t.label} with -dumpdep")
        graph = project.graphs[t]
        with tempfile.TemporaryDirectory(prefix="gotrim-dce-") as tmp:
            exe = Path(tmp) / t.name
            wants_reach = reach is not None and Needs.REACH in needs
            # the replay starts beside the build (on its own thread: the build must not wait for its
            # request) and loads the objects while the linker runs
            replays: list[Replay] = []
            starter = threading.Thread(target=lambda: replays.append(
                Replay(project.go, graph, t, exe, detect_dynlink(project.go, t, graph).active)))
            if wants_reach:
                starter.start()
            try:
                report = build_with_dumpdep(project.go, project.root, t, exe, graph, keep_work=wants_reach)
            except BaseException:
                if wants_reach:
                    starter.join()
                for r in replays:
                    r.abort()
                raise
            if wants_reach:
                starter.join()
            replay = replays[0] if replays else None
            table = None
            if Needs.SIZES in needs:
                table = attribute_cached(exe, _module_of_packages(graph), t.main, project.settings.cache_dir,
                                         go=project.go)
            if replay is not None and reach is not None:
                model = replay.finish()
                reach[t] = model if not isinstance(model, str) else None
                if isinstance(model, str) and table is not None:  # said where sizes are reported
                    note = f"estimates from the removed packages' bytes: the reachability replay failed: {model}"
                    table = replace(table, notes=(*table.notes, note))
        done.append(t)
        say.targets(len(done), total)
        return report, table

    sizes: dict[Target, SizeTable] = {}
    dce: dict[Target, DceReport] = {}
    with ThreadPoolExecutor(max_workers=link_slots()) as pool:
        futures = {t: pool.submit(one, t) for t in project.targets}
        try:
            if Needs.SOURCES in needs:
                _parse_targets_packages(project)
            for w in warm:
                w(project)
            for t, f in futures.items():
                report, table = f.result()
                dce[t] = report
                if table is not None:
                    sizes[t] = table
        except BaseException:
            for f in futures.values():
                f.cancel()
            raise
    return sizes, dce


# ---------------------------------------------------------------------------------------------
# The facts cache: keyed by HEAD, the working-tree state, the toolchain, gotrim and the targets.


def _run_key(project: Project) -> str | None:
    """What identifies the loaded facts of this run; None outside git."""
    from refactor.gitstate import dirty_digest, repo_state

    state = repo_state(project.root)
    if state is None:
        return None
    h = hashlib.sha256()
    for part in (__version__, code_digest(), str(CACHE_VERSION), state.head, project.go.version_text,
                 repr(sorted(t.label + t.main + t.ldflags for t in project.targets)), dirty_digest(state)):
        h.update(part.encode() + b"\0")
    return h.hexdigest()[:24]


def cache_dir(project: Project) -> Path | None:
    """Where gotrim remembers runs of this repository (.git/gotrim), or None outside git."""
    from refactor.gitstate import git_common_dir

    common = git_common_dir(project.root)
    return common / "gotrim" if common is not None else None


def _facts_path(project: Project) -> Path | None:
    folder = cache_dir(project)
    if folder is None or project.run_key is None:
        return None
    return folder / f"facts-{project.run_key}.pickle"


def _cached_facts(project: Project, needs: Needs, reach: dict[Target, ReachModel | None] | None = None
                  ) -> Facts | None:
    path = _facts_path(project)
    if path is None or not path.is_file():
        return None
    try:
        data = pickle.loads(path.read_bytes())
        loaded = Needs(data["needs"])
    except Exception:  # a cache from another version or a torn write: load again
        return None
    wanted = needs & (Needs.SIZES | Needs.DCE)
    if wanted & ~loaded:
        return None
    sizes = data["sizes"] if Needs.SIZES in needs else {}
    dce = data["dce"] if Needs.DCE in needs else {}
    if Needs.REACH in needs and reach is not None:
        reach.update({t: m for t, m in data.get("reach", {}).items() if t in project.targets})
    if any(t not in sizes for t in project.targets if Needs.SIZES in needs) or \
            any(t not in dce for t in project.targets if Needs.DCE in needs):
        return None
    return {t: sizes[t] for t in project.targets if t in sizes}, {t: dce[t] for t in project.targets if t in dce}


def _save_facts(project: Project, needs: Needs, facts: Facts,
                reach: Mapping[Target, ReachModel | None] | None = None) -> None:
    path = _facts_path(project)
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{id(facts)}.tmp")
        sizes, dce = facts
        tmp.write_bytes(pickle.dumps({"needs": (needs & (Needs.SIZES | Needs.DCE)).value, "sizes": sizes,
                                      "dce": dce, "reach": dict(reach or {})}))
        tmp.replace(path)
    except OSError:  # a read-only checkout: no cache
        pass
