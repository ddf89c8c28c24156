"""The one loader: repository -> modules -> targets -> a frozen Project. The only phase that runs `go`
during analysis (go env, go list, the target builds); everything after it only reads the Project.

The repository's modules are found without go (refactor.repository); each target's module context
gets the toolchain the go command selects there (one `go env` per context), and every go command of
that target runs it: go list in its module's directory (targets of one context and configuration
share one go list), its build, the attribution core and the typed view.

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

import contextlib
import hashlib
import os
import pickle
import subprocess
import tempfile
import threading
import time
import types
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from refactor import __version__, code_digest
from refactor.candidate import Ahead, Priced, Warm
from refactor.config import Settings, Target, TargetSpec, load_specs
from refactor.errors import GotrimError
from refactor.graph import BuildGraph, graphs_for
from refactor.parsecache import ParseCache
from refactor.project import Needs, Project
from refactor.repository import Module, Repository, discover, likely_targets, local_replacements, resolve_targets
from refactor.sources import SourceIndex
from refactor.toolchain import Go

if TYPE_CHECKING:
    from refactor.binary import SizeTable
    from refactor.estimate import ReachModel, Replay
    from refactor.linkcache import LinkFolder
    from refactor.linker import DceReport, StartedLink
    from refactor.typed import TypedView

CACHE_VERSION = 2
Select = Callable[[tuple[Target, ...]], Sequence[Target]]


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
         warm: Sequence[Warm] = (), ahead: Sequence[Ahead] = (), progress: LoadProgress | None = None,
         reuse: bool = False, remember: bool = False, select: Select | None = None,
         settled: Callable[[Project], bool] | None = None) -> Project:
    """Resolve the targets and load what needs declares, as one frozen Project.

    warm: graph-only work (a strategy's warm-up) run on the partly loaded project while the targets
    build; ahead: work run after it on the project with its typed views, if they are made before a
    build ends, and again with the reachability models (Strategy.ahead). reuse: take the sizes and DCE
    reports a previous run remembered for exactly this HEAD, working tree, toolchain and targets;
    remember: keep these for the next run (both need git).
    select: given every resolved target (in order), the ones to load (a shard's, refactor.shard);
    the Project then holds only those.
    settled: asked, with reuse, once the facts come from the previous run's cache: True when what the
    typed views are read for is settled too (suggest's results cache holds this run's candidates), so
    they are not made and the Project's needs leave out TYPED.
    """
    say = progress or LoadProgress()
    repo = discover(go, settings.root)
    early = None
    links: dict[Target, EarlyLink] = {}
    sizes_only = Needs.SIZES in needs and Needs.DCE not in needs
    if sizes_only and select is None:
        from refactor.builds import BackgroundBuilds

        # start on the likely targets at once; resolve_targets then confirms or corrects them
        early = BackgroundBuilds(_where(likely_targets(repo, specs)), cache_dir=settings.cache_dir,
                                 slots=settings.jobs)
    try:
        resolved = resolve_targets(repo, specs)
        if select is not None:
            chosen = set(select(tuple(t for t, _ in resolved)))
            resolved = [(t, m) for t, m in resolved if t in chosen]
            if sizes_only:  # a shard knows its targets only once all are resolved: start its builds now
                from refactor.builds import BackgroundBuilds

                early = BackgroundBuilds(_where(resolved), cache_dir=settings.cache_dir, slots=settings.jobs)
        targets = tuple(t for t, _ in resolved)
        where = dict(resolved)
        if early is not None:
            early.retarget(_where(resolved))
        run_key = _run_key(repo.top, targets, where) if reuse and needs & (Needs.SIZES | Needs.DCE) else None
        kept = run_key is not None and (path := _facts_path(repo.top, run_key)) is not None and path.is_file()
        if Needs.DCE in needs and Needs.REACH in needs and not kept:
            # these links need no build graph: they start now, and go list runs beside them
            links = _start_links(targets, where, settings.jobs, settings.cache_dir)
        graphs = _graphs(where, repo.top)
        modules = repo.resolved()
        if repo.module_at(repo.root) is None:  # REPO is in no module: the first target's comes first
            lead = where[targets[0]].dir
            modules = tuple(sorted(modules, key=lambda m: m.dir != lead))
        first = where[targets[0]].toolchain
        sources = source_index(repo, modules, graphs, first.version[1],
                               {t: m.toolchain.version[1] for t, m in where.items()})
        if settings.cache_dir is not None:
            sources.parse_cache = ParseCache(settings.cache_dir)
        stage = Project(go=first, settings=settings, modules=modules, targets=targets,
                        graphs=types.MappingProxyType(graphs), sources=sources,
                        sizes=types.MappingProxyType({}), dce=types.MappingProxyType({}),
                        needs=needs & (Needs.GRAPHS | Needs.SOURCES),
                        target_modules=types.MappingProxyType(where), repository=repo)
        if not needs & (Needs.SIZES | Needs.DCE):
            # nothing to overlap: sources are parsed as they are read (why reads a few files)
            for w in warm:
                w(stage)
            typed = _typed_views(stage, say) if Needs.TYPED in needs else {}
            return replace(stage, typed=types.MappingProxyType(typed), needs=needs)
        keying = None
        if reuse:
            stage = replace(stage, run_key=run_key)
        elif remember:  # only written with the facts: found beside the builds' start, which need not wait
            keying = ThreadPoolExecutor(max_workers=1)
            key_soon = keying.submit(_run_key, repo.top, targets, where)
        reach: dict[Target, ReachModel | None] = {}
        facts = _cached_facts(stage, needs, reach) if reuse and stage.run_key else None
        typed_early: dict[Target, Future[TypedView | None]] = {}
        if facts is None:
            try:
                if early is not None:
                    facts = _sizes_from_builds(stage, early, say)
                else:
                    facts = _dumpdep_builds(stage, needs, warm, say, typed_early if Needs.TYPED in needs else None,
                                            reach, links, ahead)
            finally:
                if keying is not None:
                    keying.shutdown()
            if keying is not None:
                stage = replace(stage, run_key=key_soon.result())
            if remember and stage.run_key:
                _save_facts(stage, needs, facts, reach)
        else:
            if Needs.TYPED in needs and settled is not None and settled(stage):
                needs &= ~Needs.TYPED
            if Needs.SOURCES in needs:
                _parse_targets_packages(stage)
    finally:
        if early is not None:
            early.close()
        for link in links.values():  # (load failed before their turn)
            link.abort()
    sizes, dce = facts
    typed = _typed_views(stage, say, typed_early) if Needs.TYPED in needs else {}
    return replace(stage, sizes=types.MappingProxyType(sizes), dce=types.MappingProxyType(dce),
                   typed=types.MappingProxyType(typed), reach=types.MappingProxyType(reach), needs=needs)


Facts = tuple[dict[Target, "SizeTable"], dict[Target, "DceReport"]]


def _where(pairs: Sequence[tuple[Target, Module]]) -> list[tuple[Target, Go, Path]]:
    return [(t, m.toolchain, m.dir) for t, m in pairs]


def _graphs(where: Mapping[Target, Module], top: Path) -> dict[Target, BuildGraph]:
    """The targets' build graphs: one go list per module context and configuration, in target order."""
    contexts: dict[str, tuple[Module, list[Target]]] = {}
    for t, m in where.items():
        contexts.setdefault(m.context_key, (m, []))[1].append(t)
    out: dict[Target, BuildGraph] = {}
    for m, group in contexts.values():
        out.update(graphs_for(m.toolchain, m.dir, group, top))
    return {t: out[t] for t in where}


def source_index(repo: Repository | Module, modules: Sequence[Module], graphs: Mapping[Target, BuildGraph],
                 go_minor: int, target_minors: Mapping[Target, int] | None = None) -> SourceIndex:
    """The source index of the repository's modules (paths relative to its top), with the package names
    and directories the graphs report, and which modules each module builds from the repository."""
    top = repo.top if isinstance(repo, Repository) else repo.dir
    names = {p: pkg.name for g in graphs.values() for p, pkg in g.packages.items()}
    dirs = {p.dir for g in graphs.values() for p in g.packages.values() if p.editable}
    inside = [m for m in modules if m.dir == top or top in m.dir.parents]
    mods = [(_rel(m.dir, top), m.path) for m in inside] or [("", modules[0].path if modules else "")]
    index = SourceIndex.scan(top, mods[0][1], package_names=names, go_minor=go_minor, modules=mods,
                             package_dirs=sorted(_rel(Path(d), top) for d in dirs),
                             links=module_links(inside, top) if len(inside) > 1 else None)
    if target_minors:
        index.target_minors = dict(target_minors)
    return index


def module_links(modules: Sequence[Module], top: Path) -> dict[str, frozenset[str]]:
    """For each module (directory relative to top), the modules whose packages its builds take from the
    repository: itself, the modules of its workspace, and the directories its go.mod (or its go.work)
    replaces modules with."""
    dirs = {m.dir for m in modules}
    out: dict[str, frozenset[str]] = {}
    for m in modules:
        seen = {m.dir}
        if m.workspace is not None:
            seen |= {x.dir for x in modules if x.workspace == m.workspace}
            seen |= set(local_replacements(m.workspace))
            for x in modules:
                if x.workspace == m.workspace:
                    seen |= set(local_replacements(x.dir / "go.mod"))
        else:
            seen |= set(local_replacements(m.dir / "go.mod"))
        out[_rel(m.dir, top)] = frozenset(_rel(d, top) for d in seen if d in dirs)
    return out


def _rel(path: Path, top: Path) -> str:
    rel = os.path.relpath(path, top).replace(os.sep, "/")
    return "" if rel == "." else rel


def _parse_targets_packages(project: Project) -> None:
    """Parse the editable packages the targets build (strategies read them all)."""
    dirs = {project.sources.rel(pkg.dir) for g in project.graphs.values() for pkg in g.packages.values()
            if pkg.editable}
    project.sources.parse_all(sorted(d for d in dirs if not d.startswith("/")))


def _typed_views(project: Project, say: LoadProgress, early: Mapping[Target, Future[TypedView | None]] | None = None
                 ) -> dict[Target, TypedView | None]:
    """TYPED: the type-checked view of each target's editable packages (those started early, beside
    the link, are awaited). Run once the builds have compiled every package (from the link's start, or
    after the builds), so `go list -export` finds the export data in the build cache. A target whose
    packages cannot be listed with export data gets None (readers fall back to names and say so); a
    package that does not type-check is in the view with its errors."""
    return {t: early[t].result() if early and t in early else _typed_view(project, t, say) for t in project.targets}


def _typed_view(project: Project, t: Target, say: LoadProgress,
                listed: Sequence[Mapping[str, Any]] | None = None) -> TypedView | None:
    from refactor.errors import GoError
    from refactor.typed import load_typed

    say.step(f"type-checking the packages of {t.label}")
    try:
        return load_typed(project.go_of(t), project.module_of(t).dir, t, project.graphs[t].editable_packages(),
                          key_root=project.root, listed=listed)
    except GoError:
        return None


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
                                        project.settings.cache_dir, go=project.go_of(t))
        finally:
            builds.release(t)
        say.targets(n, total)
    return sizes, {}


@dataclass
class EarlyLink:
    """A target's link started before its build graph was loaded (_start_links), in its own folder."""

    folder: LinkFolder
    link: StartedLink

    def abort(self) -> None:
        self.link.abort()
        self.folder.cleanup()


def _start_links(targets: Sequence[Target], where: Mapping[Target, Module], jobs: int | None,
                 cache_dir: Path | None) -> dict[Target, EarlyLink]:
    """Start the links _dumpdep_builds runs first (as many as it runs at once), as REACH runs them:
    without -dumpdep, keeping go's work directory for the replay, each in its folder (kept under the
    cache: refactor.linkcache)."""
    from refactor.builds import link_slots
    from refactor.linkcache import LinkFolder
    from refactor.linker import start_link

    out: dict[Target, EarlyLink] = {}
    try:
        for t in targets[:jobs or link_slots()]:
            m = where[t]
            folder = LinkFolder(cache_dir, m.dir, t)
            try:
                out[t] = EarlyLink(folder, start_link(m.toolchain, m.dir, t, folder.exe, keep_work=True,
                                                      dumpdep=False))
            except BaseException:
                folder.cleanup()
                raise
    except BaseException:
        for link in out.values():
            link.abort()
        raise
    return out


def _dumpdep_builds(project: Project, needs: Needs, warm: Sequence[Warm], say: LoadProgress,
                    typed: dict[Target, Future[TypedView | None]] | None = None,
                    reach: dict[Target, ReachModel | None] | None = None,
                    links: dict[Target, EarlyLink] | None = None, ahead: Sequence[Ahead] = ()) -> Facts:
    """DCE (and SIZES): one -dumpdep build per target, several at a time, each attributed when sizes
    are wanted; this thread parses sources and runs the warm-ups meanwhile. With typed, each target's
    typed view starts as its link starts (every package compiled: the export data are cached; seen in the
    `-work` folder, _at_link_start), else once it is built, beside its attribution and the other links.
    REACH: the link's objects are replayed (refactor.estimate) beside the attribution, into `reach`, and
    the links run without -dumpdep (the replay names the blockers). links: the builds started already
    (_start_links), each taken out of it when its turn comes."""
    from refactor import attribcore
    from refactor.binary import attribute_cached
    from refactor.builds import link_slots
    from refactor.estimate import Replay, kept_model
    from refactor.linkcache import LinkFolder, archives_present, save
    from refactor.linker import build_with_dumpdep, detect_dynlink, replay_dumpdep, start_link

    for go in dict.fromkeys(project.go_of(t) for t in project.targets):
        attribcore.prepare(go)  # a first run ever builds the attribution core beside the links
    if Needs.REACH in needs:
        from refactor.catalogue import catalogue

        catalogue()  # read here, not on the build threads, which must not wait for an import
    total = len(project.targets)
    done: list[Target] = []
    say.targets(0, total)

    def one(t: Target) -> tuple[DceReport, SizeTable | None]:
        say.step(f"building {t.label}" if Needs.REACH in needs else f"building {t.label} with -dumpdep")
        graph = project.graphs[t]
        started = links.pop(t, None) if links is not None else None
        wants_reach = reach is not None and Needs.REACH in needs
        folder: LinkFolder | tempfile.TemporaryDirectory[str]
        if started is not None:
            folder = started.folder
        elif wants_reach:
            folder = LinkFolder(project.settings.cache_dir, project.module_of(t).dir, t)
        else:  # (a -dumpdep link: the linker's stream is read, and an up-to-date binary prints none)
            folder = tempfile.TemporaryDirectory(prefix="gotrim-dce-")
        with folder as tmp:
            exe = Path(tmp) / t.name
            go = project.go_of(t)
            # the replay starts beside the build (on its own thread: the build must not wait for its
            # request) and loads the objects while the linker runs
            replays: list[Replay] = []
            starter = threading.Thread(target=lambda: replays.append(
                Replay(go, graph, t, exe, detect_dynlink(go, t, graph).active)))
            built = threading.Event()
            linking[t] = (replays, built)
            if wants_reach:
                starter.start()
            link = started.link if started is not None else None
            if wants_reach and link is None:
                link = start_link(go, project.module_of(t).dir, t, exe, graph, keep_work=True, dumpdep=False)
            early_table: list[Future[SizeTable]] = []
            if link is not None:  # -work names the link's folder: the typed view starts as the link does
                def at_start(cfg: Path, link: StartedLink = link) -> None:
                    if typed is not None:
                        try:
                            start_typed(t, cfg.read_text(encoding="utf-8", errors="replace"))
                        except OSError:
                            start_typed(t)
                    if Needs.SIZES in needs:  # the attribution starts as the linker exits (_linked)
                        linked = _linked(cfg, link.proc, exe, built)
                        with contextlib.suppress(RuntimeError):  # (the load ended meanwhile: its pool is shut)
                            if linked is not None:
                                early_table.append(sizing.submit(attribute_cached, linked,
                                                                 _module_of_packages(graph), t.main,
                                                                 project.settings.cache_dir, go=go))
                threading.Thread(target=_at_link_start, args=(exe, built, at_start), daemon=True).start()
            try:
                # with the replay, the link runs without -dumpdep: the replay names the blockers
                report = build_with_dumpdep(go, project.module_of(t).dir, t, exe, graph, keep_work=wants_reach,
                                            dumpdep=not wants_reach, started=link)
            except BaseException:
                built.set()
                if wants_reach:
                    starter.join()
                for r in replays:
                    r.abort()
                raise
            built.set()
            if wants_reach:
                starter.join()
            replay = replays[0] if replays else None
            # no link ran (go found the kept binary up to date): the model kept for its inputs is its model
            linked_cfg = exe.parent / f"{exe.name}.importcfg"  # (the link's importcfg, kept beside it)
            kept = folder.current_model() if isinstance(folder, LinkFolder) and not linked_cfg.is_file() else None
            # (if the link's start was not seen) the export data are cached now; go list -export names them
            # unless the kept importcfg's archives are all still there (the build cache trims unused ones)
            start_typed(t, kept.importcfg if kept is not None and archives_present(kept.importcfg) else None)
            table = None
            if Needs.SIZES in needs:
                try:
                    table = early_table[0].result() if early_table else None
                except (GotrimError, OSError):
                    table = None  # the final file is attributed instead
                if table is None:
                    table = attribute_cached(exe, _module_of_packages(graph), t.main, project.settings.cache_dir,
                                             go=go)
            model: ReachModel | str = "no replay"
            if replay is not None and reach is not None:
                if kept is not None or not linked_cfg.is_file():  # (the replay waits for a link that did not run)
                    replay.abort()
                    model = kept_model(go, kept.model, kept.path) if kept is not None else \
                        "the build did not link, and no model is kept for its binary"
                else:
                    keep_in = folder.cache_dir if isinstance(folder, LinkFolder) and folder.kept else None
                    try:  # (read before finish(), which removes it)
                        cfg_text = linked_cfg.read_text(encoding="utf-8") if keep_in is not None else None
                    except (OSError, UnicodeDecodeError):
                        cfg_text = None
                    model = replay.finish()
                    if (keep_in is not None and cfg_text is not None and not isinstance(model, str)
                            and replay.answer is not None):
                        save(keep_in, exe, t, replay.answer, cfg_text)
                reach[t] = model if not isinstance(model, str) else None
                if isinstance(model, str) and table is not None:  # said where sizes are reported
                    note = f"estimates from the removed packages' bytes: the reachability replay failed: {model}"
                    table = replace(table, notes=(*table.notes, note))
            if wants_reach:
                if isinstance(model, str):  # no replay to name the blockers: the linker's own stream
                    report = build_with_dumpdep(go, project.module_of(t).dir, t, exe, graph)
                else:
                    report = replace(report, dumpdep=replay_dumpdep(model.blockers, model.blockers_total))
        done.append(t)
        say.targets(len(done), total)
        return report, table

    lock = threading.Lock()

    def start_typed(t: Target, importcfg: str | None = None) -> None:
        """The target's typed view, once every package is compiled (its export data are then cached);
        from the link's importcfg (its text) when it is at hand (no go list -export then)."""
        from refactor.typed import listed_from_link

        listed = None
        if importcfg is not None:
            try:
                listed = listed_from_link(project.graphs[t], importcfg)
            except ValueError:
                listed = None  # go list -export, as after the build
        with lock:
            if typed is not None and t not in typed:
                typed[t] = typed_pool.submit(_typed_view, project, t, say, listed)

    sizes: dict[Target, SizeTable] = {}
    dce: dict[Target, DceReport] = {}
    linking: dict[Target, tuple[list[Replay], threading.Event]] = {}  # the replay of each build, and its end
    typed_pool = ThreadPoolExecutor(max_workers=1)  # idle unless typed: one go list -export at a time
    sizing = ThreadPoolExecutor(max_workers=project.settings.jobs or link_slots())  # attributions of linker outputs
    with typed_pool, sizing, ThreadPoolExecutor(max_workers=project.settings.jobs or link_slots()) as pool:
        futures = {t: pool.submit(one, t) for t in project.targets}
        try:
            if Needs.SOURCES in needs:
                _parse_targets_packages(project)
            priced = [p for w in warm if (p := w(project)) is not None]
            typed_project = _run_ahead(project, ahead, typed, futures) if ahead else None
            walks = priced and reach is not None and Needs.REACH in needs
            if typed_project is not None and reach is not None and Needs.REACH in needs:
                models = _models(project, linking, futures)
                if models:
                    # the cut walks go on beside the ahead work (the replay's core walks, this thread waits
                    # on its pipe), and after the build if need be: propose wants them all
                    def walk() -> None:  # any failure only ends the head start: propose walks the same cuts
                        with contextlib.suppress(Exception):
                            _walk_ahead(project, priced, linking, futures, past_build=True)

                    walker = threading.Thread(target=walk, daemon=True) if walks else None
                    if walker is not None:
                        walker.start()
                    _ahead(typed_project, ahead, models)
                    if walker is not None:
                        walker.join()
                        walks = False
            if walks:
                _walk_ahead(project, priced, linking, futures)
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


def _run_ahead(project: Project, ahead: Sequence[Ahead], typed: Mapping[Target, Future[TypedView | None]] | None,
               futures: Mapping[Target, Future[Any]]) -> Project | None:
    """Run the strategies' ahead work on the project with its typed views, once every target's is made,
    unless a build ends first (propose then does that work itself). The project it ran on, or None."""
    if typed is not None:
        while not all(t in typed and typed[t].done() for t in project.targets):
            if any(f.done() for f in futures.values()):
                return None
            time.sleep(0.01)
        if any(typed[t].exception() is not None for t in project.targets):
            return None  # (said when the views are read)
        views = {t: typed[t].result() for t in project.targets}
        project = replace(project, typed=types.MappingProxyType(views), needs=project.needs | Needs.TYPED)
    _ahead(project, ahead, {})
    return project


def _ahead(project: Project, ahead: Sequence[Ahead], models: Mapping[Target, ReachModel]) -> None:
    for a in ahead:
        try:
            a(project, models)
        except (GotrimError, OSError):  # only a head start: propose does it again, and says why not
            continue


def _models(project: Project, linking: Mapping[Target, tuple[list[Replay], threading.Event]],
            futures: Mapping[Target, Future[Any]]) -> dict[Target, ReachModel]:
    """Each target's reachability model once its replay has answered (the attribution runs meanwhile);
    empty if one has none."""
    out: dict[Target, ReachModel] = {}
    for t in project.targets:
        model = _model_of(t, linking, futures, until_built=False)
        if model is None:
            return {}
        out[t] = model
    return out


def _model_of(t: Target, linking: Mapping[Target, tuple[list[Replay], threading.Event]],
              futures: Mapping[Target, Future[Any]], *, until_built: bool) -> ReachModel | None:
    """The target's reachability model once its replay has answered; None if it has none, or once its
    build is over first (until_built: once its link is)."""
    while t not in linking and not futures[t].done():  # its build waits for a link slot
        time.sleep(0.01)
    replays, built = linking.get(t, ([], threading.Event()))
    while not futures[t].done() and not (until_built and built.is_set()):
        if not replays:  # (the replay is starting)
            time.sleep(0.01)
        elif replays[0].ready.wait(0.02):
            return replays[0].model()
    return replays[0].model() if replays else None


def _walk_ahead(project: Project, priced: Sequence[Priced],
                linking: Mapping[Target, tuple[list[Replay], threading.Event]],
                futures: Mapping[Target, Future[Any]], *, past_build: bool = False) -> None:
    """While each target's link ends: once its replay's model is read, walk the cuts the strategies
    will price (ReachModel.mode needs no sizes, and remembers them), until the build is over (the
    attribution then wants the cores; propose walks what is left), or all of them (past_build: beside
    the ahead work, which ends after the build)."""
    for t in project.targets:
        model = _model_of(t, linking, futures, until_built=not past_build)
        if model is None:
            continue
        built = linking[t][1]
        try:
            for p in priced:
                for cut in p(t, model):
                    if built.is_set() and not past_build:
                        break
                    model.mode(cut)
        except (GotrimError, OSError):  # only a head start: propose prices these cuts again, and says why not
            continue


def _at_link_start(exe: Path, built: threading.Event, then: Callable[[Path], None]) -> None:
    """Call then(importcfg.link) when the `-work` build of exe starts its link (its link folder holds
    importcfg.link: every package is compiled), unless the build ends first. The typed view then runs
    beside the link instead of after it, on the archives the link reads (no go list -export)."""
    stream = exe.parent / f"{exe.name}.dumpdep"
    cfg: Path | None = None
    while not built.wait(0.02):
        if cfg is None:
            try:
                with stream.open("rb") as f:
                    first = f.readline()
            except OSError:
                continue
            if first.startswith(b"WORK=") and first.endswith(b"\n"):
                cfg = Path(first[5:].strip().decode("utf-8", "replace")) / "b001" / "importcfg.link"
        elif cfg.is_file():
            then(cfg)
            return


def _linked(cfg: Path, go_build: subprocess.Popen[bytes], exe: Path, built: threading.Event) -> Path | None:
    """The linker's output, once the link process of go_build (its child reading cfg) has exited: a hard
    link beside exe to `$WORK/b001/exe/a.out`, made before go moves that to exe. go first stamps its
    content digest into the build ID, which takes some 35 ms on a 39 MB binary: the attribution (which
    reads sizes, not the ID's bytes) starts meanwhile. None where this cannot be seen (no pidfd: not
    Linux), or when the build ends first."""
    import select

    if not hasattr(os, "pidfd_open") or not hasattr(select, "poll"):
        return None
    marker = str(cfg).encode()
    pid = None
    while pid is None:
        if built.is_set() or go_build.poll() is not None:
            return None
        pid = _child_with_arg(go_build.pid, marker)
        if pid is None:
            time.sleep(0.005)
    try:
        fd = os.pidfd_open(pid)
    except OSError:  # (it has exited already: the output may be moved)
        return None
    try:
        waiting = select.poll()
        waiting.register(fd, select.POLLIN)
        while not waiting.poll(50):
            if built.is_set():
                return None
    finally:
        os.close(fd)
    out = exe.parent / f"{exe.name}.linked"
    try:
        os.link(cfg.parent / "exe" / "a.out", out)
    except OSError:  # moved already, or another file system
        return None
    return out


def _child_with_arg(parent: int, arg: bytes) -> int | None:
    """The child process of parent whose command line holds arg (Linux /proc), or None."""
    try:
        tasks = os.listdir(f"/proc/{parent}/task")
    except OSError:
        return None
    for tid in tasks:
        try:
            with open(f"/proc/{parent}/task/{tid}/children", "rb") as f:
                kids = f.read().split()
        except OSError:
            continue
        for k in kids:
            try:
                with open(f"/proc/{int(k)}/cmdline", "rb") as f:
                    if arg in f.read().split(b"\0"):
                        return int(k)
            except (OSError, ValueError):
                continue
    return None


# ---------------------------------------------------------------------------------------------
# The facts cache: keyed by HEAD, the working-tree state, the toolchain, gotrim and the targets.


def _run_key(root: Path, targets: Sequence[Target], where: Mapping[Target, Module]) -> str | None:
    """What identifies the loaded facts of this run (targets, each built in where's module, in the git
    repository at root); None outside git."""
    from refactor.gitstate import dirty_digest, repo_state

    state = repo_state(root)
    if state is None:
        return None
    h = hashlib.sha256()
    toolchains = sorted({f"{where[t].toolchain.version_text} {where[t].toolchain.goroot}" for t in targets})
    places = sorted(f"{t.main} {where[t].dir}" for t in targets)
    for part in (__version__, code_digest(), str(CACHE_VERSION), state.head, repr(toolchains), repr(places),
                 repr(sorted(t.label + t.main + t.ldflags for t in targets)), dirty_digest(state)):
        h.update(part.encode() + b"\0")
    return h.hexdigest()[:24]


def cache_dir(project: Project) -> Path | None:
    """Where gotrim remembers runs of this repository (.git/gotrim, or elsewhere when the checkout is
    read-only: gitstate.cache_folder), or None outside git."""
    from refactor.gitstate import cache_folder

    return cache_folder(project.root)


def _facts_path(root: Path, run_key: str | None) -> Path | None:
    from refactor.gitstate import cache_folder

    folder = cache_folder(root)
    if folder is None or run_key is None:
        return None
    return folder / f"facts-{run_key}.pickle"


def _cached_facts(project: Project, needs: Needs, reach: dict[Target, ReachModel | None] | None = None
                  ) -> Facts | None:
    path = _facts_path(project.root, project.run_key)
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
        kept = data.get("reach", {})
        if any(t not in kept for t in project.targets):  # saved by a command that did not replay
            return None
        reach.update({t: kept[t] for t in project.targets})
    if any(t not in sizes for t in project.targets if Needs.SIZES in needs) or \
            any(t not in dce for t in project.targets if Needs.DCE in needs):
        return None
    return {t: sizes[t] for t in project.targets if t in sizes}, {t: dce[t] for t in project.targets if t in dce}


def _save_facts(project: Project, needs: Needs, facts: Facts,
                reach: Mapping[Target, ReachModel | None] | None = None) -> None:
    path = _facts_path(project.root, project.run_key)
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        sizes, dce = facts
        tmp.write_bytes(pickle.dumps({"needs": (needs & (Needs.SIZES | Needs.DCE)).value, "sizes": sizes,
                                      "dce": dce, "reach": dict(reach or {})}))
        tmp.replace(path)
    except OSError:  # a read-only checkout: no cache
        pass
