"""Guard an optional feature's files with a build tag, and stub what the rest of the build uses.

Before: cmd/agent -> internal/export -> net/http   (only http.go imports it; its init registers an exporter)
After:  http.go gets `//go:build !guard_omit_http`, and http_stub.go (`//go:build guard_omit_http`) declares
        what the rest of the package uses; `go build -tags guard_omit_http ./cmd/agent` links no net/http.

The shapes of real code (issue 18), in the order a candidate is built:
- decouple first: files that use the heavy package only for an enum type, its constants and value maps
  (a flag mapped to generated RPC code's enum, an options struct's field of that type) get a verbatim
  mirror of those declarations in the feature's package, and the guarded files convert back;
- registrations of the feature's declarations (a slice element, a map entry, an init call) move into
  the guarded files, so the slim build lacks the entries instead of holding a stub's nil;
- an existing stub for other platforms (`feature_other.go` for `feature_linux.go`, package main too)
  gets the tag OR-ed in and its drifted signatures repaired; otherwise a stub is written; every stub
  is checked against what the rest of the build needs (the typed view's facts where there is one:
  methods reached through interface conversions included) and against the files it builds with;
- the feature may be an import of the module's own package that brings in others' code, or a heavy
  edge inside a dependency module: then the candidate is a dependency patch (refactor.deppatch).
Refuses when a stub would need the heavy import (a used signature names its types), when stubbed code
runs at startup (an init function or a package variable's initializer calls it; a command table's
closures do not), when every file of a package imports it (guard its importers instead), and when the
target uses none of the module's files (split-package cuts that without a tag). A binary whose main
calls a stub on every run is not built with the tag. At similar bytes a guard ranks after a change
that loses nothing; its summary says what the slim build loses, its confidence whether the slim build
only lacks what registers itself (high), calls stubs (medium), or calls them from many places (low,
ranked last with a warning).
"""

from __future__ import annotations

import contextlib
import functools
import os
import posixpath
import re
import textwrap
import weakref
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from refactor.buildconfig import tag_config_changes
from refactor.candidate import Candidate, Details, Priced, Proposal, Refusal, Strategy, candidate_id
from refactor.config import Settings, Target, parse_tags
from refactor.deppatch import DependencyPatch, NotPatchable, measured_figures, module_version, patch_plan, tag_for
from refactor.edit import add_import, remove_import, rename_qualifier, unqualify
from refactor.errors import SourceError
from refactor.estimate import Cut, ReachModel, decl_keys, estimate, files_cut
from refactor.gosource import (
    BuildExpr,
    GoFile,
    Import,
    SourcePackage,
    decl_label,
    decl_syntax,
    format_build_expr,
    guess_package_name,
    parse_file,
    refs_after_calls,
)
from refactor.graph import BuildGraph, Edge, Package
from refactor.guard import (
    Carve,
    Demand,
    Elsewhere,
    EveryRun,
    Mirrored,
    StubBlock,
    StubWriter,
    Unguardable,
    and_term,
    carve,
    carve_split,
    check_stub,
    convert_fields,
    decouplable,
    demand,
    every_run_calls,
    existing_stub,
    expr_tags,
    has_conjunct,
    has_disjunct,
    init_registrations,
    mirror_closure,
    mirror_file,
    mirror_table,
    move_registrations,
    name_suffix,
    package_names_used,
    repair_stub,
    stub_panics,
)
from refactor.plan import FileChange, Plan, apply_edits
from refactor.project import Needs, Project
from refactor.sources import PLATFORM_TAGS, QualifiedRefs, SourceIndex, build_expr, norm_dir, qualified_refs_of
from refactor.table import count
from refactor.typed import TypedView

if TYPE_CHECKING:
    from refactor.binary import SizeTable
    from refactor.measure import Measurement
    from refactor.repository import Module

NAME = "guard-with-tag"
# An import of one of the module's own packages is a feature worth a tag when that package brings in at
# least this many packages from outside the module.
OWN_EDGE_MIN_PACKAGES = 10
# A guard whose failing stubs this many declarations of the build call is likely core code: warned about.
CORE_CALLERS = 4
# ... and this many: the guarded code is used throughout the program, not a feature a build can leave
# out (nats-server's file store, 479 callers; its JWT directory store, 127, to drop 48 KB; caddy's admin.go
# to drop pprof, 126): refused. On the real programs tried, the guards left listed have at most 97 (low).
REFUSE_CALLERS = 100
# A heavy edge inside a dependency module is worth a patched copy of the module when cutting it saves this
# much (or, without sizes, removes this many packages).
DEP_MIN_BYTES = 256 << 10
DEP_MIN_PACKAGES = 5
DEP_MAX_FILES = 4  # ... and guards at most this many files of a package, never half of its files
_Refuse = Unguardable  # this feature cannot be guarded safely; the message says why


@dataclass(frozen=True)
class GuardDetails(Details):
    """guard-with-tag's facts of a candidate (JSON: docs/report-schema.md, `guard-with-tag` details)."""

    tag: str  # the build tag the slim build is built with
    feature: str  # the feature's name (from the heavy package)
    heavy: str  # the heavy package the guard cuts
    files: tuple[str, ...]  # the guarded files, relative to the module root
    existing_tag: bool = False  # the files are already behind the tag: only the build configuration changes
    loses: tuple[str, ...] = ()  # what the slim build loses: the declarations the targets reach, init...
    registrations: tuple[str, ...] = ()  # registrations moved into the guarded files
    dependency: str | None = None  # module@version of a patched dependency (deppatch), else None
    patch: DependencyPatch | None = None  # the upstream side of a dependency patch

    def after_measurement(self, plan: Plan, measurement: Measurement) -> tuple[FileChange, ...]:
        """A dependency patch's file, now stating the measured bytes of each target."""
        if self.patch is None or not measurement.targets:
            return ()
        current = next((c.after for c in plan.changes if c.path == self.patch.patch_path), None)
        text = self.patch.text(measured_figures([(t.target, t.before_bytes, t.after_bytes)
                                                 for t in measurement.targets], self.tag), plan)
        return () if text == current else (FileChange(self.patch.patch_path, current, text),)

    def for_json(self) -> dict[str, object]:
        return {"tag": self.tag, "feature": self.feature, "heavy": self.heavy, "files": list(self.files),
                "existing_tag": self.existing_tag, "loses": list(self.loses),
                "registrations": list(self.registrations), "dependency": self.dependency}


def propose(project: Project, settings: Settings) -> Iterator[Proposal]:
    """Guard candidates for every heavy import that only optional feature files of the module bring in."""
    index = _Index(project)
    warmed = _WARMED.get(project.sources, {})

    def found(target: Target) -> Found:
        hit = warmed.get(target)
        return hit if hit is not None else _found(index, project.graphs[target],
                                                  functools.partial(_worth_patching, project.sizes[target]))

    def price(target: Target, removed: frozenset[str], sites: Sequence[_Site], module: _DepModule | None
              ) -> int | None:
        if module is not None and not _worth_patching(project.sizes[target], removed):
            return None  # a patched copy of a module is worth it for a heavy edge only
        return estimate(project, target, _files_cut(project, removed, sites))

    features = _features(project, found, price)
    yield from _proposals(index, settings, features, made=_AHEAD.get(project.sources, {})).values()


def ahead(project: Project, models: Mapping[Target, ReachModel]) -> None:
    """Make the proposals while the targets link, once their typed views are at hand: what they are does
    not depend on the sizes, only their estimates do, which propose puts in. Whether a dependency edge is
    worth a patch needs the sizes: with the targets' reachability models, the edges their bytes say may
    be (as _priced), else none."""
    warmed = _WARMED.get(project.sources)
    if not warmed:
        return

    def price(target: Target, removed: frozenset[str], sites: Sequence[_Site], module: _DepModule | None
              ) -> int | None:
        model = models.get(target)
        return 0 if module is None or (model is not None and _may_be_worth(model, removed)) else None

    features = _features(project, lambda t: warmed.get(t, []), price)
    made = _AHEAD.setdefault(project.sources, {})
    _proposals(_Index(project), project.settings, features, made=made, record=made)


def _features(project: Project, found: Callable[[Target], Found],
              price: Callable[[Target, frozenset[str], Sequence[_Site], _DepModule | None], int | None]
              ) -> dict[FeatureKey, _Feature]:
    """The features the targets' file sites make, each target's hit priced by price (None: not taken)."""
    features: dict[FeatureKey, _Feature] = {}
    for target in project.targets:
        graph = project.graphs[target]
        for q, sites, cut, module in found(target):
            removed = graph.removed_by(cut)
            if q not in removed:
                continue
            removed_bytes = price(target, removed, sites, module)
            if removed_bytes is None:
                continue
            key = _feature_key(sites)
            feat = features.get(key)
            if feat is None:
                feat = features[key] = _Feature(q=q, sites=tuple(sorted(sites, key=lambda s: s.import_path)),
                                                module=module)
            elif q != feat.q:
                feat.also.add(q)
            prev = next((h for h in feat.hits if h.target == target), None)
            if prev is not None:
                if len(prev.removed) >= len(removed):
                    continue
                feat.hits.remove(prev)
            feat.hits.append(_Hit(target, removed, removed_bytes, _chain(graph, feat.q)))
    _prune_supersets(features)
    return features


Made = dict[tuple[object, ...], Proposal]


def _repriced(made: Proposal, feat: _Feature) -> Proposal:
    """A proposal made ahead, with the estimate of the feature's hits on its targets (a target that would
    lose what it runs for is left out of a candidate); a dependency patch's file states it too."""
    kept = _Feature(q=feat.q, sites=feat.sites, hits=[h for h in feat.hits if h.target in made.targets],
                    module=feat.module, also=feat.also)
    out = replace(made, estimated_bytes=kept.bytes)
    if isinstance(out, Candidate) and isinstance(out.details, GuardDetails) and out.details.patch is not None:
        patch, plan = out.details.patch, out.plan
        text = patch.text(_estimated(kept), plan)
        out = replace(out, plan=replace(plan, changes=tuple(replace(c, after=text) if c.path == patch.patch_path
                                                            else c for c in plan.changes)))
    return out


def _estimated(feat: _Feature) -> list[str]:
    """A dependency patch's figures before it is measured."""
    return [f"Estimated by gotrim: {feat.bytes:,} bytes saved over {', '.join(h.target.label for h in feat.hits)}."]


def _proposals(index: _Index, settings: Settings, features: Mapping[FeatureKey, _Feature], *,
               made: Made | None = None, record: Made | None = None) -> dict[FeatureKey, Proposal]:
    """Each feature's proposal, the heaviest first. made: proposals made ahead (by everything but their
    estimate, which is the feature's here); record: where to remember the ones made here."""
    def one(key: FeatureKey, tag: tuple[str, str, bool, str]) -> Proposal:
        feat = features[key]
        memo = (key, feat.module, tuple((h.target, h.removed, h.chain) for h in feat.hits), tag)
        if made is not None and (ready := made.get(memo)) is not None:
            return _cut_short(index.project, _repriced(ready, feat), feat)
        try:
            out = _proposal(index, feat, *tag)
        except SourceError as exc:  # a file gotrim would edit does not parse (e.g. syntax newer than its parser)
            where = ", ".join(_shown(index, feat, s, f) for s in feat.sites for f in s.files)
            out = Refusal(strategy=NAME, targets=tuple(h.target for h in feat.hits),
                          summary=_summary(where, tag[0], feat, []), reason=str(exc), estimated_bytes=feat.bytes)
        if record is not None:
            record[memo] = out
        return _cut_short(index.project, out, feat)

    tags = _choose_tags(index, settings, list(features.values()))
    items = {key: one(key, tags[key]) for key in sorted(features, key=lambda k: (-features[k].bytes, k))}
    refused = {key for key, item in items.items() if isinstance(item, Refusal)}
    if refused:  # a refused feature takes no tag name: the others are named again without it (b2, not b2_2)
        again = _choose_tags(index, settings, [f for k, f in features.items() if k not in refused])
        for key, tag in again.items():
            if tag != tags[key]:
                items[key] = one(key, tag)
    return items


# worth_mirroring's look at a file's text: a function's line, and a line declaring a name over a basic type.
# Lines are found by their newline, in "\n" + text + "\n": a pattern that starts with a literal is searched
# for, where `^` under re.M is tried at every byte (2-4x slower on k8s.io/api's 1.7 MB generated.pb.go).
_FUNC_LINE = re.compile(rb"\nfunc (\w+)\b")
_BASIC_TYPE_LINE = re.compile(rb"\n(?:type[ \t]+)?[ \t]*(\w+)[ \t]+(?:u?int(?:8|16|32|64)?|string|bool|byte|rune|"
                              rb"float(?:32|64))[ \t]*(?://[^\n]*)?(?=\n)")

FeatureKey = tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]
Found = list[tuple[str, list["_Site"], list[Edge], "_DepModule | None"]]
# What warm found per target, for the propose of the same load (its source index): the file sites of
# every feature, found while the targets link (graphs and sources only).
_WARMED: weakref.WeakKeyDictionary[SourceIndex, dict[Target, Found]] = weakref.WeakKeyDictionary()
# The proposals ahead made for the propose of the same load, by feature, hits and tags (their estimate aside).
_AHEAD: weakref.WeakKeyDictionary[SourceIndex, Made] = weakref.WeakKeyDictionary()


def warm(project: Project) -> Priced:
    """Find every feature's file sites while the targets link: the parses and the text scans, which
    are most of propose's time. Without sizes, every dependency edge is taken (propose prices them).
    The cuts propose will price in the module's own features are known then (the loader walks them)."""
    index = _Index(project)
    found = {t: _found(index, project.graphs[t], lambda _removed: True) for t in project.targets}
    _WARMED[project.sources] = found
    return functools.partial(_priced, project, found)


def _priced(project: Project, found: Mapping[Target, Found], target: Target, model: ReachModel) -> Iterator[Cut]:
    """The cuts propose will price for the target's features, as propose makes them: the module's (in
    the order found), then the dependencies' that the model's bytes say may be worth a patch (propose
    asks the sizes), the heaviest first."""
    graph = project.graphs[target]
    cuts: list[tuple[bool, int, Cut]] = []
    for q, sites, cut, module in found.get(target, ()):
        removed = graph.removed_by(cut)
        if q not in removed:
            continue
        weight = _model_weight(model, removed)
        if module is None or _may_be_worth(model, removed):
            cuts.append((module is not None, -weight if module is not None else 0, _files_cut(project, removed, sites)))
    return (c for *_, c in sorted(cuts, key=lambda bwc: bwc[:2]))


def _model_weight(model: ReachModel, removed: frozenset[str]) -> int:
    """The code and data bytes the model gives the removed packages (less than their attributed bytes)."""
    return sum(model.owner_bytes.get(p, 0) for p in removed)


def _may_be_worth(model: ReachModel, removed: frozenset[str]) -> bool:
    """Whether a dependency edge may be worth a patch before the sizes say (_worth_patching): the model's
    bytes, which leave out DWARF, symbol tables and pclntab, reach a third of the threshold (the sizes
    were 2.0-3.8 times the model's bytes on the heavy edges of seed, restic and distribution; a few 7x)."""
    return _model_weight(model, removed) * 3 >= DEP_MIN_BYTES


def _found(index: _Index, graph: BuildGraph, worth: Callable[[frozenset[str]], bool]) -> Found:
    """The module's features and the dependency edges worth a patch, as file sites and the edges they cut."""
    found: Found = [(q, sites, cut, None) for q, sites, cut in _site_sets(index, graph)]
    found += list(_dependency_site_sets(index, graph, worth))
    return found


def _files_cut(project: Project, removed: frozenset[str], sites: Sequence[_Site]) -> Cut:
    """What guarding the sites drops: their files' declarations, the carved ones of carved files, and
    the code after calls to the stubs that panic."""
    # (a file that brings the feature in by blank imports only, beside code of its own, stays whole: the
    # imports move to a guarded file of their own, as nats-server's server.go's _ "net/http/pprof")
    stubbed = [replace(s, files=tuple(b for b in s.files if not _moves_blank_imports(project, s, b, removed)))
               for s in sites]
    cut = files_cut(project, removed, {s.import_path: s.files for s in stubbed})
    carved = {s.import_path: decl_keys(project, s.import_path, [b for b, _ in s.carved], types=False,
                                       only=dict(s.carved)) for s in sites if s.carved}
    if carved:
        cut = replace(cut, drop={**cut.drop, **{p: cut.drop.get(p, frozenset()) | keys for p, keys in carved.items()}})
    sever = frozenset().union(*(_severed(project, s) for s in stubbed))
    return replace(cut, sever=sever) if sever else cut


_SEVERED: weakref.WeakKeyDictionary[SourceIndex, dict[_Site, frozenset[tuple[str, str]]]] = \
    weakref.WeakKeyDictionary()


def _severed(project: Project, site: _Site) -> frozenset[tuple[str, str]]:
    """Cut.sever of guarding one site: a stub with results but no error panics, and where the module
    calls it, the compiler drops what follows the call (distribution's proxyingRegistry.Repository
    after storage.SkipLayerVerification()). A small caller that calls it on every path is inlined and
    never returns either, so its own callers lose what follows: followed a few levels. (A stub without
    results does nothing: its calls return.) (caller, callee) units, as the reach model names them."""
    if not any(v is not None for v in project.typed.values()):
        # the loader prices cuts while the targets link, before the typed views that find method calls:
        # those cuts go without (a guess the final pricing replaces)
        return frozenset()
    memo = _SEVERED.setdefault(project.sources, {})  # (the ahead work's views are the loaded project's)
    if site in memo:
        return memo[site]
    pkg = project.package(site.import_path)
    if pkg is None or not pkg.main_module:
        return frozenset()
    carved = dict(site.carved)
    funcs: set[tuple[str, str]] = set()  # (package, name): functions that never return
    methods: set[tuple[str, str, str]] = set()  # (package, receiver type, name)
    for base in (*site.files, *carved):
        try:
            f = project.sources.file(project.rel(pkg, base))
        except (OSError, ValueError):
            continue
        for d in f.decls:
            if d.kind not in ("func", "method") or d.name in ("init", "main", "_") or \
                    (base in carved and d.key not in carved[base]):
                continue
            try:
                if not stub_panics(f, d):
                    continue
            except SourceError:  # no syntax for it: StubWriter refuses that stub
                continue
            if d.kind == "func":
                funcs.add((site.import_path, d.name))
            else:
                methods.add((site.import_path, _receiver_type(d.receiver), d.name))
    guarded = {project.rel(pkg, b) for b in site.files}
    out: set[tuple[str, str]] = set()
    done_f: set[tuple[str, str]] = set()
    done_m: set[tuple[str, str, str]] = set()
    for _ in range(4):  # stubs, then callers that never return, their callers...
        new_f, new_m = funcs - done_f, methods - done_m
        if not new_f and not new_m:
            break
        done_f |= new_f
        done_m |= new_m
        for f, path, calls, by_decl in _calling(project, new_f, new_m, guarded):
            found = refs_after_calls(f, calls, by_decl)
            if not found:
                continue
            imports = f.import_paths()
            for d, after in found.items():
                recv = _receiver_type(d.receiver) if d.kind == "method" else ""
                caller = f"{path}\t{recv}.{d.name}" if recv else f"{path}\t{d.name}"
                for r in after.refs:
                    if r.qualifier == "":  # x.M of a value: any method M the caller leads to (ReachModel.severed)
                        out.add((caller, f"*\t*.{r.name}"))
                        continue
                    target = path if r.qualifier is None else imports.get(r.qualifier)
                    if target is not None:
                        out.add((caller, f"{target}\t{r.name}"))
                if after.never_returns:
                    if recv:
                        methods.add((path, recv, d.name))
                    else:
                        funcs.add((path, d.name))
    memo[site] = frozenset(out)
    return memo[site]


def _cut_short(project: Project, made: Proposal, feat: _Feature) -> Proposal:
    """A candidate whose estimate drops code after calls of its stubs that panic, saying so: those
    functions (of the targets' builds) cannot get past the calls in the slim build; in a target's main
    package that is a warning (applied to the final proposal, whether made ahead or not)."""
    if not isinstance(made, Candidate):
        return made
    short_units: set[str] = set()
    for t, cut in getattr(feat.bytes, "cuts", {}).items():
        model = project.reach.get(t) if t in made.targets else None
        if model is not None and cut.sever:
            short_units |= {model.units[model.unit[v]] for v in model.severed(cut.for_main(t.main))
                            if model.unit[v] >= 0}
    short = sorted(short_units)
    if not short:
        return made
    names = ", ".join(u.replace("\t", ".") for u in short[:4]) + (", …" if len(short) > 4 else "")
    note = (f"The compiler drops what follows the calls of stubs that panic in {names}: the slim build cannot "
            "get past them (the estimate counts the code dropped).")
    out = replace(made, explanation=f"{made.explanation}\n{note}")
    mains = [u.partition("\t")[2] for u in short if u.startswith("main\t")]
    if out.warning:
        return out
    if mains:
        return replace(out, confidence="low", warning=f"the program's main package calls stubs that panic "
                                                      f"({', '.join(mains[:3])}): the slim build would panic there")
    # a stub that panics, not one that says the feature is not built in: whether that code runs is for a
    # human to tell (syncthing's global discovery panicked at startup in CommitConfiguration; caddy's
    # ListenQUIC, which every HTTPS site starts, failed every one)
    return replace(out, confidence="low", warning=f"{names} call stubs that panic: the slim build panics "
                                                  "there instead of saying the feature is not built in")


def _moves_blank_imports(project: Project, site: _Site, base: str, removed: frozenset[str]) -> bool:
    """Whether guarding the site moves the blank imports of base rather than stubbing it (_blank_feature)."""
    pkg = project.package(site.import_path)
    try:
        if pkg is None:
            return False
        files = [project.sources.file(project.rel(pkg, n)) for n in (*pkg.go_files, *pkg.cgo_files)]
        return _blank_feature(project.sources.file(project.rel(pkg, base)), removed, files)
    except (OSError, ValueError):
        return False


def _receiver_type(receiver: str | None) -> str:
    return (receiver or "").lstrip("*").split("[")[0]


def _calling(project: Project, funcs: Iterable[tuple[str, str]], methods: Iterable[tuple[str, str, str]],
             skip: Collection[str]) -> list[tuple[GoFile, str, dict[str | None, set[str]], dict[str, set[str]]]]:
    """The module's files (not skip) that may call funcs or methods: (file, its package, the funcs it may
    call by qualifier (None: its own package's), per declaration the methods it calls on values)."""
    dirs = _module_package_dirs(project)
    found: dict[str, tuple[GoFile, str, dict[str | None, set[str]], dict[str, set[str]]]] = {}

    def entry(f: GoFile, path: str) -> tuple[GoFile, str, dict[str | None, set[str]], dict[str, set[str]]]:
        return found.setdefault(f.path, (f, path, {}, {}))

    by_pkg: dict[str, set[str]] = {}
    for path, name in funcs:
        by_pkg.setdefault(path, set()).add(name)
    for path, names in by_pkg.items():
        pkg = project.package(path)
        if pkg is None:
            continue
        for base in pkg.go_files:
            with contextlib.suppress(OSError, ValueError):
                f = project.sources.file(project.rel(pkg, base))
                if f.path not in skip:
                    entry(f, path)[2].setdefault(None, set()).update(names)
        exported = {n for n in names if n[:1].isupper()}
        if exported:
            for f in project.sources.importers(path, tests=False):
                importer = dirs.get(os.path.dirname(f.path))
                imp = next((i for i in f.imports if i.path == path), None)
                if importer is not None and imp is not None and imp.name not in ("_", ".") and f.path not in skip:
                    entry(f, importer)[2].setdefault(imp.local_name(pkg.name), set()).update(exported)
    by_type: dict[str, dict[str, set[str]]] = {}
    for path, typ, name in methods:
        by_type.setdefault(path, {}).setdefault(typ, set()).add(name)
    for path, types in by_type.items():
        for caller, key, file, names in _method_calls(project, path, types):
            rel = project.sources.rel(file)
            if rel in skip or caller not in dirs.values():
                continue
            with contextlib.suppress(OSError, ValueError):
                entry(project.sources.file(rel), caller)[3].setdefault(key, set()).update(names)
    return list(found.values())


def _method_calls(project: Project, import_path: str, methods: Mapping[str, set[str]]
                  ) -> Iterator[tuple[str, str, str, set[str]]]:
    """(package, declaration key, its file, method names) of the module's declarations that, by the
    targets' typed views, call methods of import_path's types named in methods on values (not through
    an interface), and select nothing else by those names."""
    for caller, key, file, called, other in _method_index(project).get(import_path, ()):
        names = {m for t, m in called if m in methods.get(t, ())}
        names -= other | {m for t, m in called if m not in methods.get(t, ())}  # the same name on another type
        if names:
            yield caller, key, file, names


_VALUE_CALLS: weakref.WeakKeyDictionary[SourceIndex, dict[tuple[str, str], dict[str, tuple[str, str]]]] = \
    weakref.WeakKeyDictionary()


def _value_call_index(project: Project) -> dict[tuple[str, str], dict[str, tuple[str, str]]]:
    """(package, declaration key) -> the methods it calls on values by name -> (package, type) declaring
    them, for the names the typed views pin to one type (no interface's method, no other type's). Made
    once per loaded project; empty without typed views."""
    hit = _VALUE_CALLS.get(project.sources)
    if hit is not None:
        return hit
    out: dict[tuple[str, str], dict[str, tuple[str, str]]] = {}
    for view in project.typed.values() if Needs.TYPED in project.needs else ():
        for tp in view or ():
            for td in tp.decls:
                if not td.method_selections or (tp.import_path, td.key) in out:
                    continue
                types: dict[str, set[tuple[str, str]]] = {}
                unpinned: set[str] = set()  # an interface's method, or one of an unnamed interface
                for m in td.method_selections:
                    if m.interface or m.type is None:
                        unpinned.add(m.method)
                    else:
                        types.setdefault(m.method, set()).add((m.type.package, m.type.name))
                out[(tp.import_path, td.key)] = {name: next(iter(ts)) for name, ts in types.items()
                                                 if len(ts) == 1 and name not in unpinned}
    _VALUE_CALLS[project.sources] = out
    return out


_Calls = list[tuple[str, str, str, frozenset[tuple[str, str]], frozenset[str]]]
_METHOD_INDEX: weakref.WeakKeyDictionary[SourceIndex, dict[str, _Calls]] = weakref.WeakKeyDictionary()


def _method_index(project: Project) -> dict[str, _Calls]:
    """By package: the declarations that call methods of its types on values (typed views), as (caller
    package, key, file, (type, method) called, names selected otherwise: other types' methods, fields,
    interface methods). Made once, with the typed views (_severed asks only then)."""
    hit = _METHOD_INDEX.get(project.sources)
    if hit is not None:
        return hit
    out: dict[str, _Calls] = {}
    seen: set[tuple[str, str]] = set()
    for view in project.typed.values():
        for tp in view or ():
            for td in tp.decls:
                if not td.method_selections or (tp.import_path, td.key) in seen:
                    continue
                seen.add((tp.import_path, td.key))
                by_pkg: dict[str, set[tuple[str, str]]] = {}
                for m in td.method_selections:
                    if m.mode == "call" and not m.interface and m.type is not None:
                        by_pkg.setdefault(m.type.package, set()).add((m.type.name, m.method))
                for path, called in by_pkg.items():
                    other = frozenset(m.method for m in td.method_selections if m.type is None or m.interface
                                      or m.type.package != path or (m.type.name, m.method) not in called) | \
                        frozenset(s.field for s in td.field_selections)
                    out.setdefault(path, []).append((tp.import_path, td.key, td.file, frozenset(called), other))
    _METHOD_INDEX[project.sources] = out
    return out


_DIRS: weakref.WeakKeyDictionary[SourceIndex, dict[str, str]] = weakref.WeakKeyDictionary()


def _module_package_dirs(project: Project) -> dict[str, str]:
    """The module packages of every target's build, by directory (relative, as the source index names files)."""
    hit = _DIRS.get(project.sources)
    if hit is None:
        hit = _DIRS[project.sources] = {}
        for graph in project.graphs.values():
            for p in graph.packages.values():
                if p.main_module and p.go_files:
                    hit.setdefault(os.path.dirname(project.rel(p, p.go_files[0])), p.import_path)
    return hit


def _feature_key(sites: Sequence[_Site]) -> FeatureKey:
    """What identifies a feature: per package, the guarded files and the decoupled ones."""
    return tuple(sorted((s.import_path, s.files, tuple(b for b, _ in s.decoupled)
                         + tuple(f"init of {b}: {' '.join(w)}" for b, w in s.extracted)
                         + tuple(f"blank import of {q}" for q in s.blank)
                         + tuple(f"carved from {b}: {' '.join(keys)}" for b, keys in s.carved)) for s in sites))


def _prune_supersets(features: dict[FeatureKey, _Feature]) -> None:
    """Drop a feature that guards more files than a smaller one for barely more packages (< 10 %)."""
    def files(k: FeatureKey) -> frozenset[tuple[str, str]]:
        return frozenset((p, f) for p, fs, ds in k for f in (*fs, *ds))

    for big in list(features):
        for small in list(features):
            if big == small or small not in features or not files(small) < files(big):
                continue
            extra = features[big].removed - features[small].removed
            if len(extra) * 10 < len(features[small].removed):
                del features[big]
                break


# ---------------------------------------------------------------------------------------------------------
# Finding features


@dataclass(frozen=True)
class _Site:
    """The files of one package that form (part of) the feature: they alone import the cut packages."""

    import_path: str
    name: str
    dir: str
    files: tuple[str, ...]  # base names, sorted (none: the package's files are only decoupled)
    # files whose uses of the heavy packages a mirror takes over: (base name, ((import path, names), ...))
    decoupled: tuple[tuple[str, tuple[tuple[str, tuple[str, ...]], ...]], ...] = ()
    # files whose only uses of the cut packages are registration statements of an init (restic's
    # global.go): those statements move to a new guarded file; (base name, import paths as written)
    extracted: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # the imports (as written) a site of blank imports only cuts: two such features of one file differ
    blank: tuple[str, ...] = ()
    # files whose declarations that need the cut packages move to a new guarded file while the rest stays
    # (refactor.guard.carve): (base name, the declarations' keys)
    carved: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class _Hit:
    """What guarding a feature removes from one target."""

    target: Target
    removed: frozenset[str]
    bytes: int
    chain: tuple[str, ...]


@dataclass
class _Feature:
    """Sites guarded together under one tag, and what that removes per target."""

    q: str  # the heavy package that names the feature
    sites: tuple[_Site, ...]
    hits: list[_Hit] = field(default_factory=list)
    module: _DepModule | None = None  # the dependency module the sites are in (a dependency patch)
    also: set[str] = field(default_factory=set)  # other heavy packages the same files alone import

    @property
    def bytes(self) -> int:
        return sum(h.bytes for h in self.hits)

    @property
    def removed(self) -> frozenset[str]:
        return frozenset().union(*(h.removed for h in self.hits))


@dataclass(frozen=True)
class _DepModule:
    """A module from the module cache whose files a dependency patch changes."""

    path: str
    dir: str


def _worth_patching(sizes: SizeTable, removed: frozenset[str]) -> bool:
    """A patched copy of a module is worth it for a heavy edge only."""
    return sizes.removal_estimate(removed) >= DEP_MIN_BYTES if sizes.file_bytes else len(removed) >= DEP_MIN_PACKAGES


def _dependency_site_sets(index: _Index, graph: BuildGraph, worth: Callable[[frozenset[str]], bool]
                          ) -> Iterator[tuple[str, list[_Site], list[Edge], _DepModule]]:
    """Heavy edges inside dependency modules (issue 18 §4): for each module read from the module cache,
    each package that only that module's packages import, as file sites in those packages.

    worth(removed) says whether cutting these packages would be worth a patch. It is asked before any
    file is parsed, of the widest cut a patch could make (every file importing the edge guarded): the
    cut _sites finds keeps at least what that one keeps, so an edge it rejects is never a candidate,
    and only the few heavy edges are parsed (the scan used to parse some 650 dependency files)."""
    by_module: dict[str, list[str]] = {}
    dirs: dict[str, str] = {}
    for p, pkg in graph.packages.items():
        if pkg.standard or pkg.editable or not pkg.module or not pkg.module_dir \
                or module_version(pkg.module_dir) is None:
            continue
        by_module.setdefault(pkg.module, []).append(p)
        dirs[pkg.module] = pkg.module_dir
    for module, pkgs in sorted(by_module.items()):
        inside = set(pkgs)
        for r in sorted({r for p in pkgs for r in graph.imports(p)}):
            importers = graph.importers(r)
            if not importers or any(i not in inside for i in importers):
                continue  # something outside the module needs r too: a patch of it alone cannot cut r
            if not graph.imports_at_least(r, DEP_MIN_PACKAGES):
                continue
            by_pkg: dict[str, list[str]] = {}
            for i in importers:
                by_pkg.setdefault(i, []).append(r)
            try:
                if any(_too_many(index, graph.packages[i], r) for i in by_pkg):
                    continue  # most of a package, or many files of it: the dependency's core, not an option
                widest = graph.removed_by(_widest_cut(index, graph, by_pkg))
                if r not in widest or not worth(widest):
                    continue
                found = _sites(index, graph, by_pkg)
            except OSError:  # the module's sources are not at hand (a recorded project)
                break
            if found is None or any(len(s.files) > DEP_MAX_FILES or len(s.files) * 2 > len(
                    graph.packages[s.import_path].files) for s in found[0]):
                continue  # not an optional file or two of the dependency: its core
            yield r, found[0], found[1], _DepModule(module, dirs[module])


def _site_sets(index: _Index, graph: BuildGraph) -> Iterator[tuple[str, list[_Site], list[Edge]]]:
    """For each package the repository's code imports: every import of its code that leads to it, as file sites.

    A heavy package is often reached through several imports of the module (export -> net/http,
    notify -> net/http, main -> net/http/pprof); it leaves the build only when all of them are guarded.
    """
    entries: dict[Edge, frozenset[str]] = {}
    for p in sorted(graph.editable_packages()):
        for r in graph.imports(p):
            if not graph.packages[r].editable:
                entries[(p, r)] = graph.closure(r)
    groups: dict[tuple[Edge, ...], str] = {}
    reach_of = {r: reach for (_, r), reach in entries.items()}
    for q in sorted(reach_of, key=lambda r: (-len(reach_of[r]), r)):
        edges = tuple(e for e, reach in entries.items() if q in reach)
        groups.setdefault(edges, q)  # the feature is named after its widest direct import
    # The module's own packages that bring in others' code (a command package importing the module's
    # deploy package, which pulls cloud SDKs): guarding every import of one cuts that subtree when
    # split-package cannot (issue 18 §5). Main packages are never the feature.
    own: dict[str, list[Edge]] = {}
    for p in sorted(graph.editable_packages()):
        for r in graph.imports(p):
            if graph.packages[r].editable and graph.packages[r].name != "main":
                own.setdefault(r, []).append((p, r))
    for r, into in sorted(own.items()):
        outside = [x for x in graph.closure(r) if not graph.packages[x].editable]
        if len(outside) >= OWN_EDGE_MIN_PACKAGES:
            groups.setdefault(tuple(into), r)
    for edges, q in groups.items():
        by_pkg: dict[str, list[str]] = {}
        for p, r in edges:
            by_pkg.setdefault(p, []).append(r)
        found = _sites(index, graph, by_pkg)
        if found is not None:
            yield q, found[0], found[1]


def _sites(index: _Index, graph: BuildGraph, by_pkg: Mapping[str, Sequence[str]]
           ) -> tuple[list[_Site], list[Edge]] | None:
    """The file sites of a feature (per importing package, the files importing the cut packages) and
    the edges guarding them cuts; None when one package cannot be guarded (every file of it needs them,
    or the file holding func main does), or nothing is left to guard once decoupled."""
    sites: list[_Site] = []
    cut: list[Edge] = []
    for p, rs in by_pkg.items():
        pkg = graph.packages[p]
        paths = {pkg.source_path(r) for r in rs}
        imported = {name: index.imports_of(pkg.dir, name) for name in pkg.files}
        hits = [index.file(pkg.dir, name) for name in pkg.files if imported[name] & paths]
        # files that use the heavy package only for value types a mirror can copy are decoupled,
        # not guarded (issue 18 §1): an options struct's enum field, a flag mapped to its constants
        loose = {os.path.basename(f.path): used for f in hits
                 if (used := index.decoupled_uses(graph, pkg, f, rs))}
        hits = [f for f in hits if os.path.basename(f.path) not in loose]
        # a file that uses them only in registration statements of an init, among other code: the
        # statements move to a file of their own, which is guarded; the file itself stays
        written = tuple(sorted(paths))
        extracted = {os.path.basename(f.path): written for f in hits if pkg.editable  # (not in a patched copy)
                     and not name_suffix(os.path.basename(f.path))
                     and init_registrations(f, paths, index.sources.package_names) is not None}
        hits = [f for f in hits if os.path.basename(f.path) not in extracted]
        # a file holding code the rest uses beside the code that needs them: that code is carved out into a
        # file of its own, which is guarded, so the rest keeps working in the slim build (lego's
        # setupChallenges, which every run calls, beside setupDNS)
        carves = {}
        # (only where the files could be guarded whole: a package whose every file needs them, or the
        # file of func main, is no optional feature carved finer either)
        main_file = pkg.name == "main" and any(d.name == "main" and d.kind == "func" for f in hits for d in f.decls)
        if pkg.editable and hits and not main_file and len(hits) < len(pkg.files):
            for f in hits:
                c = index.carve(pkg, f, frozenset(paths))
                if c is not None:
                    carves[os.path.basename(f.path)] = c
        hits = [f for f in hits if os.path.basename(f.path) not in carves]
        feature = tuple(sorted(os.path.basename(f.path) for f in hits))
        blank_only = bool(hits) and all(i.name == "_" for f in hits for i in f.imports if i.path in paths)
        if len(feature) == len(pkg.files) and not blank_only:
            return None  # a package whose every file needs q: guard its importers instead
        if main_file and not blank_only:  # (then nothing was carved: hits are as they were)
            return None  # the file holding func main is the program itself, never an optional feature
        sites.append(_Site(p, pkg.name, pkg.dir, feature, tuple(sorted(loose.items())),
                           tuple(sorted(extracted.items())), tuple(sorted(paths)) if blank_only else (),
                           tuple((b, c.keys) for b, c in sorted(carves.items()))))
        if blank_only:
            cut.extend((p, r) for r in rs)
            continue
        kept = {pkg.resolve(i) for name in pkg.files if name not in feature
                for i in (carves[name].kept_imports if name in carves else imported[name])
                if (name not in loose and name not in extracted) or i not in paths}
        cut.extend((p, r) for r in graph.imports(p) if r not in kept)
    return (sites, cut) if any(s.files or s.extracted or s.carved for s in sites) else None


def _widest_cut(index: _Index, graph: BuildGraph, by_pkg: Mapping[str, Sequence[str]]) -> list[Edge]:
    """The edges cut if every file of each package that spells an import of the cut packages were
    guarded (from the files' text): a superset of the cut of any site set _sites returns, since its
    decoupled and extracted files keep their other imports and the rest keep all of theirs."""
    cut: list[Edge] = []
    for p, rs in by_pkg.items():
        pkg = graph.packages[p]
        paths = {pkg.source_path(r) for r in rs}
        kept = {pkg.resolve(i) for name in pkg.files if not (imported := index.imports_of(pkg.dir, name)) & paths
                for i in imported}
        cut.extend((p, r) for r in graph.imports(p) if r not in kept)
    return cut


def _too_many(index: _Index, pkg: Package, r: str) -> bool:
    """More of pkg's files import r than a dependency patch guards (from their text, before a parse)."""
    path = pkg.source_path(r)
    n = sum(path in index.imports_of(pkg.dir, name) for name in pkg.files)
    return n > DEP_MAX_FILES or n * 2 > len(pkg.files)


_COMMENTS = re.compile(rb"//[^\n]*|/\*.*?\*/", re.S)
_IMPORT_DECL = re.compile(rb"^[ \t]*import\s*(\((.*?)\)|[^\n]*)", re.M | re.S)
_QUOTED_PATH = re.compile(rb'"([^"\n]+)"|`([^`\n]+)`')


_FIRST_DECL = re.compile(rb"^[ \t]*(?:func|type|var|const)\b", re.M)


def _import_paths(src: bytes) -> frozenset[str]:
    """The import paths of a Go file, from its text: the import declarations between the package
    clause and the first other declaration (comments removed), without a parse."""
    # only the part before the first line that looks like a declaration loses its comments (not the
    # whole file: this runs on every file of every package a heavy edge leaves), unless that line is
    # inside a block comment (one is left open then); the cut is made again without the comments
    m = _FIRST_DECL.search(src)
    text = _COMMENTS.sub(b"", src[:m.start()] if m else src)
    if m and b"/*" in text:
        text = _COMMENTS.sub(b"", src)
    head = _FIRST_DECL.split(text, maxsplit=1)[0]
    out = set()
    for m in _IMPORT_DECL.finditer(head):
        for q in _QUOTED_PATH.finditer(m.group(2) if m.group(2) is not None else m.group(1)):
            out.add((q.group(1) or q.group(2)).decode("utf-8", "replace"))
    return frozenset(out)


def _chain(graph: BuildGraph, q: str) -> tuple[str, ...]:
    chains = graph.why(q, limit=1)
    return tuple(chains[0]) if chains else ()


# ---------------------------------------------------------------------------------------------------------
# Reading the module


class _Index:
    """The project's source index, as this strategy addresses files (a package directory and a name),
    optionally seen through an overlay of changed and new files (a decoupling done before the guard)."""

    def __init__(self, project: Project, overlay: Mapping[str, bytes] | None = None) -> None:
        self.project = project
        self.sources = project.sources
        self.root = project.root
        self.overlay = {path: parse_file(path, src) for path, src in (overlay or {}).items()}
        self._mirrors: dict[str, dict[str, Mirrored]] = {}
        self._at: dict[str, Package] | None = None
        self._imports: dict[tuple[str, str], frozenset[str]] = {}
        self.uses: dict[object, dict[str, list[str]]] = {}  # _target_uses' answers (this overlay's)
        self._worth: dict[tuple[str, frozenset[str]], bool] = {}
        self._names_in: dict[str, tuple[frozenset[str], frozenset[str]]] = {}
        self._carves: dict[tuple[str, frozenset[str]], Carve | None] = {}  # carve's, per file and imports
        self._used: dict[str, Elsewhere] = {}  # what each package's files name (per directory)
        self._every_run: dict[str, EveryRun] = {}  # every_run's, per main (the base's: shared by overlays)
        self.built: dict[tuple[Target, ...], frozenset[str]] = {}  # _built_dirs', per targets (shared too)

    def carve(self, pkg: Package, f: GoFile, paths: frozenset[str]) -> Carve | None:
        """refactor.guard.carve of a file of pkg for the imports paths (remembered: a file is asked again
        for each feature whose imports it spells)."""
        key = (f.path, paths)
        if key not in self._carves:
            # (tests are not parsed for this: one that uses a carved declaration is guarded with it, as
            # _feature_tests finds)
            files = [o for o in self.dir_files(pkg.dir) if o.package == pkg.name and not o.path.endswith("_test.go")]
            used = self._used.get(pkg.dir)
            if used is None:
                used = self._used[pkg.dir] = package_names_used(files)
            self._carves[key] = carve(f, paths, [o for o in files if o.path != f.path], self.sources.package_names,
                                      used)
        return self._carves[key]

    def with_overlay(self, overlay: Mapping[str, bytes]) -> _Index:
        """This index with files changed or added (module-relative path -> source)."""
        out = _Index(self.project, overlay)
        out._mirrors = self._mirrors
        out._every_run = self._every_run
        out.built = self.built
        return out

    def original(self, path: str) -> bytes | None:
        """A file's bytes as they are in the repository (None for a file that does not exist)."""
        rel = self.sources.rel(path)
        if os.path.isabs(rel):  # a dependency's file (a stub gotrim writes is not there yet)
            return self.sources.source(rel) if os.path.isfile(rel) else None
        return self.sources.file(rel).src if rel in self.sources.files else None

    def file(self, directory: str, name: str) -> GoFile:
        """The parsed file dir/name (its path relative to the module root)."""
        rel = self.sources.rel(os.path.join(directory, name))
        return self.overlay.get(rel) or self.sources.file(rel)

    def rel(self, path: str) -> str:
        """Module-root-relative posix path."""
        return self.sources.rel(path)

    def _package_at(self, directory: str) -> Package | None:
        if self._at is None:
            self._at = {pkg.dir: pkg for g in self.project.graphs.values() for pkg in g.packages.values()}
        return self._at.get(str(directory))

    def dir_files(self, directory: str) -> list[GoFile]:
        """Every Go file of a package directory, tests and other platforms included (for a package outside
        the module, as go list listed them)."""
        rel_dir = self.sources.rel(directory)
        if os.path.isabs(rel_dir):
            pkg = self._package_at(directory)
            listed = () if pkg is None else (*pkg.go_files, *pkg.cgo_files, *pkg.ignored_go_files,
                                             *pkg.test_go_files, *pkg.xtest_go_files)
            return [self.file(directory, n) for n in sorted(set(listed)) if n.endswith(".go")]
        names = list(self.sources.dir_files(rel_dir))
        here = norm_dir(rel_dir)  # (the root is ".", its files' dirname "")
        names += sorted(p for p in self.overlay if posixpath.dirname(p) == here and p not in names)
        return [self.overlay.get(rel) or self.sources.file(rel) for rel in names]

    def importing(self, import_path: str) -> list[GoFile]:
        """Every file of the module that imports import_path; for a package outside the module, every
        file of the targets' packages that imports it."""
        if self.sources.dir_of(import_path) is None:
            out: dict[str, GoFile] = {}
            for g in self.project.graphs.values():
                for imp in g.importers(import_path):
                    pkg = g.packages[imp]
                    spelled = pkg.source_path(import_path)
                    for name in pkg.files:
                        if spelled not in self.imports_of(pkg.dir, name):
                            continue  # (its text says so: not parsed)
                        f = self.file(pkg.dir, name)
                        if any(pkg.resolve(i.path) == import_path for i in f.imports):
                            out[f.path] = f
            return list(out.values())
        found = [self.overlay.get(f.path, f) for f in self.sources.importers(import_path)]
        found += [f for p, f in sorted(self.overlay.items()) if p not in self.sources.files
                  and any(i.path == import_path for i in f.imports)]
        return [f for f in found if any(i.path == import_path for i in f.imports)]

    def qualified_refs(self, directory: str, name: str) -> QualifiedRefs:
        """A file's imports and the names it selects per qualifier (SourceIndex.qualified_refs; an
        overlay's file where there is one)."""
        rel = self.sources.rel(os.path.join(directory, name))
        f = self.overlay.get(rel)
        return qualified_refs_of(f) if f is not None else self.sources.qualified_refs(rel)

    def imports_of(self, directory: str, name: str) -> frozenset[str]:
        """The import paths a file spells, read from its text without a parse (its parse, when there is
        one already, or an overlay's)."""
        hit = self._imports.get((directory, name))
        if hit is None:
            rel = self.sources.rel(os.path.join(directory, name))
            f = self.overlay.get(rel)
            hit = frozenset(i.path for i in f.imports) if f is not None else _import_paths(self.sources.source(rel))
            self._imports[(directory, name)] = hit
        return hit

    def package_files(self, pkg: Package) -> list[GoFile]:
        """The compiled files of a package of a build graph, the module's or another's (read where go list
        found them: the module cache, GOROOT)."""
        return [self.file(pkg.dir, f) for f in pkg.files]

    def mirrors(self, graph: BuildGraph, import_path: str) -> dict[str, Mirrored]:
        """What a mirror can copy of a package (refactor.guard.mirror_table), once per package."""
        if import_path not in self._mirrors:
            pkg = graph.packages[import_path]
            try:
                self._mirrors[import_path] = mirror_table(self.package_files(pkg)) if pkg.files else {}
            except (OSError, SourceError):  # sources not at hand (a recorded project): nothing to mirror
                self._mirrors[import_path] = {}
        return self._mirrors[import_path]

    def worth_mirroring(self, pkg: Package, names: set[str]) -> bool:
        """A quick look at pkg's files' text before any parse: none of names is a function, and one is a
        type over a basic type (an enum)."""
        key = (pkg.import_path, frozenset(names))
        hit = self._worth.get(key)
        if hit is None:
            hit = self._worth[key] = self._worth_mirroring(pkg, names)
        return hit

    def _worth_mirroring(self, pkg: Package, names: set[str]) -> bool:
        funcs: set[str] = set()
        enums: set[str] = set()
        spelled = [n.encode() for n in names]
        for name in pkg.files:
            path = os.path.join(pkg.dir, name)
            try:
                text = self.sources.source(path)
            except OSError:
                return False  # sources not at hand: nothing to mirror
            if any(n in text for n in spelled):  # (a substring test first: it is cheap)
                f, e = self._top_names(path, text)
                funcs |= f
                enums |= e
        return not funcs & names and bool(enums & names)

    def _top_names(self, path: str, text: bytes) -> tuple[frozenset[str], frozenset[str]]:
        """A file's functions, and the names its lines declare over a basic type (`type E int`, `E
        string` in a group), read from its text: once a file, whatever names are asked of it."""
        hit = self._names_in.get(path)
        if hit is None:
            lines = b"\n" + text + b"\n"
            hit = self._names_in[path] = (frozenset(m.decode() for m in _FUNC_LINE.findall(lines)),
                                          frozenset(m.decode() for m in _BASIC_TYPE_LINE.findall(lines)))
        return hit

    def decoupled_uses(self, graph: BuildGraph, pkg: Package, f: GoFile, imported: Sequence[str]
                       ) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """For a file of pkg that imports some of `imported` only for what a mirror can copy: (import path,
        names used) per such import; () when any import of them is used for more."""
        if not pkg.editable:
            return ()  # a dependency's files are guarded as they are (the module's own code is decoupled)
        view = self.project.typed.get(graph.target) if Needs.TYPED in self.project.needs else None
        typed = view.package(pkg.import_path) if view is not None else None
        out = []
        for r in imported:
            src_path = pkg.source_path(r)
            imp = next((i for i in f.imports if i.path == src_path), None)
            if imp is None:
                continue
            if imp.name in ("_", "."):
                return ()
            local = imp.local_name(graph.packages[r].name)
            decls = [d for d in (typed.decls if typed is not None and typed.ok else ()) if d.file == f.path]
            if any(o.package == r and o.kind == "func" for d in decls for o in d.uses_objects):
                return ()  # it calls the package: no need to read the package's sources to know
            used = {ref.name for d in f.decls for ref in d.refs if ref.qualifier == local}
            if not used or any(not n[:1].isupper() for n in used) or not self.worth_mirroring(graph.packages[r], used):
                return ()
            converted = {c.concrete.name for d in decls for c in d.iface_conversions if c.concrete.package == r}
            table = self.mirrors(graph, r)
            if not decouplable(f, local, table, converted):
                return ()
            out.append((r, tuple(sorted({ref.name for d in f.decls for ref in d.refs if ref.qualifier == local}))))
        return tuple(out)

    def tags_in_use(self) -> dict[str, list[str]]:
        """Build tags of the module's constraints -> files whose constraint names them."""
        return self.sources.tags_in_use()

    def views(self, feat: _Feature) -> list[TypedView | None]:
        """The typed views of the feature's targets (none when the project has no typed view)."""
        if Needs.TYPED not in self.project.needs:
            return []
        return [self.project.typed.get(h.target) for h in feat.hits]

    def mains(self, feat: _Feature) -> list[tuple[str, list[GoFile]]]:
        """Each target's main package: import path and files."""
        out: dict[str, list[GoFile]] = {}
        for h in feat.hits:
            main = self.project.graphs[h.target].main
            out.setdefault(main.import_path, [self.file(main.dir, f) for f in main.files])
        return list(out.items())

    def every_run(self, feat: _Feature) -> dict[str, EveryRun]:
        """Each target's main package -> what its main calls on every run, in the module's own packages
        too (refactor.guard.every_run_calls): once per main, shared with the overlays that change none of
        the files it read (tailscaled: 22 overlays made it again, 0.39 s)."""
        out: dict[str, EveryRun] = {}
        for path, files in self.mains(feat):
            hit = self._every_run.get(path)
            new = [f for p, f in self.overlay.items() if p not in self.sources.files]
            if hit is None or hit.sees(self.overlay, new):
                hit = every_run_calls(path, files, self._own_package_files, value_calls=self._value_calls)
                if not hit.sees(self.overlay, new):  # what the repository's files make it
                    self._every_run[path] = hit
            out[path] = hit
        return out

    def _value_calls(self, import_path: str, key: str) -> Mapping[str, tuple[str, str]]:
        """The methods declaration key of import_path calls on values, by name -> (package, type), where
        the targets' typed views pin one type for the name (not an interface's method)."""
        return _value_call_index(self.project).get((import_path, key), {})

    def _own_package_files(self, import_path: str) -> list[GoFile] | None:
        """The files of a package of the module (those the targets build), None for any other package."""
        pkg = self.project.package(import_path)
        if pkg is None or not pkg.editable:
            return None
        try:
            return [self.file(pkg.dir, f) for f in pkg.files]
        except (OSError, SourceError):
            return None


# ---------------------------------------------------------------------------------------------------------
# Tags


def _choose_tags(index: _Index, settings: Settings, features: Sequence[_Feature]
                 ) -> dict[FeatureKey, tuple[str, str, bool, str]]:
    """(tag, default tag, already guards, the feature's name) per feature: the tag that already guards
    its files, else a new <module>_omit_<name> that means nothing else yet (nor another feature of this
    run); the tag is the override when there is one (--guard-tag), the default names the candidate's id.
    A name taken already gives way to the heavy package's, then to its parent's and its own (caddy's
    modules/standard and modules/caddyhttp/standard: modules_standard, caddyhttp_standard), and only
    then is numbered (standard2 would say nothing of how it differs)."""
    in_use = index.tags_in_use()
    overrides: Mapping[str, str] = settings.guard_tags
    out: dict[FeatureKey, tuple[str, str, bool, str]] = {}
    for feat in features:
        key = _feature_key(feat.sites)
        existing = _existing_guard(index, feat)
        # named after the module whose files are guarded (server_omit_leasing in etcd's server module);
        # a patch of a dependency module after that module (getter_omit_s3)
        mod = "" if feat.module is not None else \
            _ident(guess_package_name(_module_of_site(index, feat.sites[0]).path)).lower()

        def tag_named(name: str, feat: _Feature = feat, mod: str = mod) -> str:
            return tag_for(feat.module.path, name) if feat.module is not None else f"{mod}_omit_{name}"

        taken = {d for _, d, _, _ in out.values()}

        def free(tag: str, feat: _Feature = feat, taken: set[str] = taken) -> bool:
            return tag not in taken and _tag_free(index, in_use, tag, feat.q)

        names = list(dict.fromkeys([_name_of(feat), _feature_name(feat.q), *_qualified_name(feat.q)]))
        name, tag = names[0], existing or ""
        if not tag:
            name, tag = next(((n, t) for n in names if free(t := tag_named(n))), (name, ""))
        if not tag:
            first = tag = tag_named(name)
            k = 1
            while not free(tag):
                k += 1
                tag = f"{first}_{k}" if first[-1:].isdigit() else f"{first}{k}"  # b2 -> b2_2, not b22
        override = overrides.get(tag) or overrides.get(feat.q)
        chosen = parse_tags(override)[0] if override else tag
        out[key] = (chosen, tag, chosen == existing, name)
    return out


def _qualified_name(q: str) -> list[str]:
    """A heavy package's name with its parent's (`caddyhttp_standard`), when it has a parent."""
    parent, _, last = q.rpartition("/")
    if re.fullmatch(r"v\d+", last):  # (a major version: envoy's type/matcher/v3 is type_matcher)
        parent = parent.rpartition("/")[0]
    if not parent or "/" not in parent and "." in parent:  # (a module's root under its host: no parent)
        return []
    return [f"{_ident(guess_package_name(parent)).lower()}_{_feature_name(q)}"]


def _module_of_site(index: _Index, site: _Site) -> Module:
    """The repository's module whose directory holds the site's package (the innermost)."""
    d = Path(site.dir).resolve()
    inside = [m for m in index.project.modules if d == m.dir.resolve() or m.dir.resolve() in d.parents]
    return max(inside, key=lambda m: len(m.dir.resolve().parts), default=index.project.module)


def _existing_guard(index: _Index, feat: _Feature) -> str | None:
    """The tag that already leaves every file of the feature out of the build, each with a stub that
    the tag brings in (`//go:build !yq_nojson` / `//go:build yq_nojson`), or None."""
    common: set[str] | None = None
    if any(s.decoupled for s in feat.sites):
        return None  # the files need decoupling first: not the module's switch as it is
    for site in feat.sites:
        if any(build_expr(index.file(site.dir, base)) is None for base in site.files):
            return None  # a file without a constraint of its own is behind no tag
        all_files = index.dir_files(site.dir)
        by_name = {os.path.basename(f.path): f for f in all_files}
        for base in site.files:
            real = by_name[base]
            x = build_expr(real)
            if x is None:
                return None
            tags = {t for t in expr_tags(x) if has_conjunct(x, ("not", ("tag", t)))
                    and t not in PLATFORM_TAGS and not t.startswith("go1.")}
            # a file that declares nothing (its blank imports are the feature: cloud.google.com/go/storage's
            # grpc_dp.go, `//go:build !disable_grpc_modules`) needs no stub for the tag to leave it out
            if not _declares_nothing(real):
                stub = existing_stub(real, all_files, site.files)
                if stub is not None and (y := build_expr(stub)) is not None:
                    tags = {t for t in tags if has_disjunct(y, ("tag", t))}
                else:
                    # the module's switch whose other side registers rather than declares (syncthing's
                    # quic_unsupported.go, `//go:build noquic`: listeners["quic"] = invalidListener{...})
                    tags = {t for t in tags if _other_side(all_files, site.files, real, t) is not None}
            common = tags if common is None else common & tags
            if not common:
                return None
    return min(common) if common else None


def _other_side(files: Sequence[GoFile], guarded: Collection[str], real: GoFile, tag: str) -> GoFile | None:
    """A file of real's package that only builds with tag (a non-test file, not among the guarded ones,
    without a platform suffix): what the module builds instead of its guarded files."""
    for f in files:
        base = os.path.basename(f.path)
        if base in guarded or base.endswith("_test.go") or f.package != real.package or name_suffix(base):
            continue
        y = build_expr(f)
        if y is not None and has_conjunct(y, ("tag", tag)):
            return f
    return None


def _tag_free(index: _Index, in_use: Mapping[str, list[str]], tag: str, q: str) -> bool:
    """A tag is free when unused, or when the files it already excludes import q (the same feature)."""
    for path in in_use.get(tag, []):
        f = index.file(os.path.dirname(path), os.path.basename(path))
        if not any(i.path == q for i in f.imports):
            return False
    return True


def _feature_name(q: str) -> str:
    return _ident(guess_package_name(q)).lower() or "feature"


def _name_of(feat: _Feature) -> str:
    """The feature's name, in its tag: its heavy package's; but when most of the heavy packages only its
    files bring in are one family with it (siblings: mvdan.cc/sh's coreutils.go imports 30 of u-root's
    pkg/core/* commands, and was named after the first, base64), its one file's name, else the family's
    (aws-sdk-go-v2's credentials/*creds). A family that does not hold it (distribution's s3.go: service/s3
    and aws/*) leaves it the name."""
    qs = [feat.q, *sorted(feat.also)]
    parents = Counter(q.rsplit("/", 1)[0] for q in qs if "/" in q)
    if len(qs) >= FAMILY_MIN and parents:
        parent, n = parents.most_common(1)[0]
        if n >= FAMILY_MIN and 3 * n >= 2 * len(qs) and feat.q.rsplit("/", 1)[0] == parent:
            files = [f for s in feat.sites for f in s.files]
            one = files[0] if len(files) == 1 else ".go"
            stem = _ident(one[:len(one) - 3 - len(name_suffix(one))]).lower()
            return stem if stem and stem not in _GENERIC_FILES else _feature_name(parent)
    return _feature_name(feat.q)


FAMILY_MIN = 3  # siblings that make a family
# a file name that says nothing of a feature
_GENERIC_FILES = frozenset({"main", "util", "utils", "helper", "helpers", "common", "init", "types", "doc",
                            "misc", "lib", "imports", "deps", "all"})


def _ident(s: str) -> str:
    s = re.sub(r"[^0-9A-Za-z_]", "_", s)
    return "x" + s if s[:1].isdigit() else s


# ---------------------------------------------------------------------------------------------------------
# The proposal


def _decouple(index: _Index, feat: _Feature, out: _Outcome) -> dict[str, bytes]:
    """The decoupling a feature needs before its guard (issue 18 §1), as an overlay of new sources.

    Files that use the heavy packages only for value types (an enum, its constants, its value maps) get a
    mirror of those declarations, in the package of the feature's first guarded files (a `<pkg>_mirror.go`
    copying them verbatim, so values and String methods are the same); their references point at it and
    their imports of the heavy packages go. A struct field of such a type, declared in the mirror's
    package, becomes the mirror's type; the guarded files read it converted back (`rpcpb.Compression(o.C)`).
    """
    loose = [s for s in feat.sites if s.decoupled]
    if not loose:
        return {}
    graph = index.project.graphs[feat.hits[0].target]
    home = next((s for s in feat.sites if s.files), None)
    if home is None:  # (only carved files: the mirror's users would be files not written yet)
        raise _Refuse(f"{', '.join(b for s in feat.sites for b, _ in s.carved)} would be carved and other files "
                      f"decoupled from {feat.q} in one change: decouple them by hand first")
    for s in loose:
        if s.import_path != home.import_path and home.import_path not in graph.imports(s.import_path) \
                and s.import_path in graph.closure(home.import_path):
            raise _Refuse(f"{s.import_path} would have to import {home.import_path} for the mirrored declarations, "
                          "which imports it: an import cycle")
    wanted: dict[str, set[str]] = {}
    for s in loose:
        for _, uses in s.decoupled:
            for r, names in uses:
                wanted.setdefault(r, set()).update(names)
    overlay: dict[str, bytes] = {}
    home_files = [f for f in index.dir_files(home.dir) if f.package == home.name]
    taken = {d.name for f in home_files for d in f.decls}
    for r, want in sorted(wanted.items()):
        mirrored = mirror_closure(index.mirrors(graph, r), want)
        path = index.rel(os.path.join(home.dir, f"{_ident(guess_package_name(r)).lower()}_mirror.go"))
        if index.original(path) is not None or path in overlay:
            raise _Refuse(f"{path} exists already: decouple {r} by hand")
        text = mirror_file(home.name, r, mirrored, [f for f in home.files])
        declared = {d.name for d in parse_file(path, text).decls}
        clash = sorted(declared & taken)
        if clash:
            raise _Refuse(f"{home.import_path} declares {clash[0]} already: {r}'s {clash[0]} cannot be mirrored there")
        taken |= declared
        overlay[path] = text
        out.notes.append(f"Decoupled first: {path} mirrors {r}'s {', '.join(sorted(want))} (copied as they are), "
                         "for the files that need nothing else of it.")
    fields: dict[str, dict[str, set[str]]] = {}  # heavy package -> mirrored type -> fields of that type
    for s in loose:
        for base, uses in s.decoupled:
            f = index.file(s.dir, base)
            src = f.src
            for r, names in uses:
                f = parse_file(f.path, src)
                imp = next(i for i in f.imports if i.path == graph.packages[s.import_path].source_path(r))
                local = imp.local_name(graph.packages[r].name)
                types = {n for n in names if index.mirrors(graph, r)[n].kind == "type"}
                if s.import_path == home.import_path:
                    for d in f.decls:
                        if d.kind == "type" and d.type_kind == "struct_type":
                            for fld in decl_syntax(f, d).fields:
                                for t in types:
                                    if fld.type.text == f"{local}.{t}" and fld.names:
                                        fields.setdefault(r, {}).setdefault(t, set()).update(fld.names)
                    edits = unqualify(f, local, names)
                else:
                    more, home_local = add_import(f, home.import_path, pkg_name=home.name)
                    edits = [*more, *rename_qualifier(f, local, home_local, names)]
                src = apply_edits(src, edits)
                f = parse_file(f.path, src)
                src = apply_edits(src, remove_import(f, imp.path))
            overlay[f.path] = src
            out.notes.append(f"Decoupled first: {f.path} refers to the mirror instead of importing "
                             f"{', '.join(r for r, _ in uses)}.")
    for base in home.files:
        f = index.file(home.dir, base)
        src = f.src
        for r, by_type in sorted(fields.items()):
            found = next((i for i in f.imports if i.path == graph.packages[home.import_path].source_path(r)), None)
            if found is None:
                continue
            local = found.local_name(graph.packages[r].name)
            for t, read in sorted(by_type.items()):
                src = convert_fields(parse_file(f.path, src), read, f"{local}.{t}")
                out.notes.append(f"Decoupled first: {f.path} converts {', '.join(sorted(read))} back to {local}.{t} "
                                 f"where it reads {'it' if len(read) == 1 else 'them'}.")
        if src != f.src:
            overlay[f.path] = src
    return overlay


@dataclass
class _Outcome:
    """What guarding a feature's sites found besides the file changes."""

    notes: list[str] = field(default_factory=list)  # lines for the explanation
    lost: dict[str, str] = field(default_factory=dict)  # main package -> why its binary keeps the feature
    failing: set[str] = field(default_factory=set)  # stubbed functions and methods that fail
    callers: set[str] = field(default_factory=set)  # declarations of the rest that call them (file: key)
    registrations: list[str] = field(default_factory=list)  # registrations moved into the guarded files


def _proposal(index: _Index, feat: _Feature, tag: str, default_tag: str, existing: bool, name: str) -> Proposal:
    if existing:
        return _existing_tag_proposal(index, feat, tag, name)
    shown = [_shown(index, feat, s, f) for s in feat.sites for f in s.files]
    shown += [f"{_shown(index, feat, s, f)}'s registration" for s in feat.sites for f, _ in s.extracted]
    shown += [f"{_shown(index, feat, s, f)}'s {_labels(keys)}" for s in feat.sites for f, keys in s.carved]
    where = ", ".join(shown)
    try:
        uses = _target_uses(index, feat)
        if not any(uses.values()) and feat.module is None:  # (a dependency's package cannot be split)
            raise _Refuse(f"{', '.join(h.target.label for h in feat.hits)} use nothing of {where} and no init "
                          "or blank import registers it: split-package cuts this without a build tag")
        out = _Outcome()
        overlay = _decouple(index, feat, out)  # first: the rest of the build stops needing the heavy package
        gindex = index.with_overlay(overlay) if overlay else index
        carved, sites = _carve(gindex, feat, name, out)  # then: the code that needs it gets a file of its own
        if carved:
            overlay = {**overlay, **carved}
            gindex = index.with_overlay(overlay)
        final: dict[str, bytes | None] = dict(overlay)
        for site in sites:
            if site.files:
                for path, _, after in _guard_site(gindex, site, feat, tag, name, out):
                    final[path] = after
            for base, written in site.extracted:
                final.update(_extract_registrations(gindex, site, base, written, tag, name, out))
        changes = [(path, index.original(path), after) for path, after in final.items()]
        kept = [h for h in feat.hits if index.project.graphs[h.target].main.import_path not in out.lost]
        if not kept:
            raise _Refuse("; ".join(dict.fromkeys(out.lost.values())))
        if out.failing and len(out.callers) >= REFUSE_CALLERS:
            raise _Refuse(f"the slim build stubs {', '.join(sorted(out.failing)[:4])}, which {len(out.callers)} "
                          f"declarations of the build call ({', '.join(sorted(out.callers)[:3])}, …): that code is "
                          "used throughout the program, not a feature a build can leave out; cut "
                          f"{feat.q} from it by hand (a lighter implementation, or a file of its own for the code "
                          "that needs it)")
    except _Refuse as exc:
        return Refusal(strategy=NAME, targets=tuple(h.target for h in feat.hits),
                       summary=_summary(where, tag, feat, []), reason=str(exc), estimated_bytes=feat.bytes)
    for h in feat.hits:
        if h not in kept:
            out.notes.append(f"{h.target.label} is not built with -tags {tag}: "
                             f"{out.lost[index.project.graphs[h.target].main.import_path]}.")
    feat = _Feature(q=feat.q, sites=feat.sites, hits=kept, module=feat.module, also=feat.also)
    uses = _target_uses(index, feat)
    loses = sorted({u for us in uses.values() for u in us})
    # high: the slim build only lacks what registers itself (nothing of the rest calls a failing stub);
    # low, ranked last: the rest calls the stubs from many places, so the feature may be what the binary
    # is for (on real code: a tool's user switching, a runtime's device filter, a program's printer)
    warning = ""
    core = _core_share(index, feat)
    product = _product_share(index, feat)
    if product is not None:
        confidence = "low"
        warning = f"the slim build drops {product}: that import may be what the binary is for"
    elif not out.failing:
        confidence = "high"
    elif core is not None:
        confidence = "low"
        warning = (f"{core} is most of its package, and the rest of the build calls its stubs "
                   f"({', '.join(sorted(out.failing)[:4])}): it may be what the binary is for")
    elif len(out.callers) >= CORE_CALLERS:
        confidence = "low"
        warning = (f"the slim build stubs {', '.join(sorted(out.failing)[:4])}, which {len(out.callers)} "
                   f"declarations of the build call ({', '.join(sorted(out.callers)[:3])}, …): it may be what "
                   "the binary is for")
    else:
        confidence = "medium"
    title = f"Guard the {name} feature with build tag {tag}"
    summary = _summary(where, tag, feat, loses)
    explanation = _explain(index, feat, tag, name, uses, [*out.notes, *([f"Warning: {warning}."] if warning else [])])
    key = "|".join(f"{s.import_path}:{','.join(s.files)}" for s in feat.sites) + f"|{default_tag}"
    patch = None
    if feat.module is not None:
        # a dependency patch: the module copied into the repository with the guard, and upstream-ready
        dep = feat.module
        try:
            files, patch = patch_plan(
                index.project, module=dep.path, module_dir=dep.dir, changes=final, tag=tag,
                targets=[h.target for h in feat.hits],
                subject=f"Build tag {tag}: leave out the {name} feature and {feat.q}",
                body=_patch_body(feat, tag, name, [f.removeprefix(dep.path + '/') for f in shown], out),
                figures=_estimated(feat))
        except NotPatchable as exc:
            return Refusal(strategy=NAME, targets=tuple(h.target for h in feat.hits), summary=summary,
                           reason=str(exc), estimated_bytes=feat.bytes)
        plan = Plan(title=f"Patch {dep.path}@{patch.version}: {title[:1].lower()}{title[1:]}", changes=tuple(files))
        summary = f"patch {dep.path}@{patch.version} (copied to {patch.dest}): {summary}"
        explanation += (f"\nDependency patch: {dep.path}@{patch.version} is copied into {patch.dest} (every file, "
                        f"licence included) with the guard, go.mod replaces the module with the copy, and "
                        f"{patch.patch_path} holds the same change against the module's own tree, with a commit "
                        "message stating the bytes, to send upstream.")
    else:
        plan = Plan(title=title, changes=tuple(FileChange(path=p, before=b, after=a) for p, b, a in changes))
    return Candidate(
        id=candidate_id(NAME, key), strategy=NAME, targets=tuple(h.target for h in feat.hits),
        summary=summary, explanation=explanation, estimated_bytes=feat.bytes,
        confidence=confidence, plan=plan, removes=tuple(sorted(feat.removed)), variant_tags=(tag,),
        trade_off="patch" if patch is not None else "feature", warning=warning,
        details=GuardDetails(tag=tag, feature=name, heavy=feat.q, files=tuple(shown), loses=tuple(loses),
                             registrations=tuple(out.registrations),
                             dependency=f"{patch.module}@{patch.version}" if patch else None, patch=patch),
    )


def _labels(keys: Sequence[str], shown: int = 3) -> str:
    """Declarations as reports name them: the first few, then how many more."""
    labels = [decl_label(k) for k in keys]
    more = len(labels) - shown
    return ", ".join(labels[:shown]) + (f" and {more} more" if more > 0 else "")


def _carve(index: _Index, feat: _Feature, name: str, out: _Outcome) -> tuple[dict[str, bytes], tuple[_Site, ...]]:
    """The carved files of the feature's sites split in two (refactor.guard.carve_split): the file keeps
    what does not need the feature, a new file `<stem>_<feature>.go` of the package takes the rest, and
    the sites to guard name the new file instead (guarded and stubbed like any feature file)."""
    files: dict[str, bytes] = {}
    sites: list[_Site] = []
    for site in feat.sites:
        if not site.carved:
            sites.append(site)
            continue
        taken = {os.path.basename(p) for p in index.sources.dir_files(index.rel(site.dir))}
        added: list[str] = []
        for base, keys in site.carved:
            f = index.file(site.dir, base)
            new, n = f"{base[:-3]}_{name}.go", 2
            while name_suffix(new) or new.endswith("_test.go") or new in taken:
                new, n = f"{base[:-3]}_{name}_part{n}.go", n + 1
            taken.add(new)
            rest, moved = carve_split(f, keys, new, feat.q)
            path, new_path = index.rel(f.path), index.rel(os.path.join(site.dir, new))
            files[path], files[new_path] = rest, moved
            added.append(new)
            stays = [d.key for d in f.decls if d.key not in keys]
            out.notes.append(f"{path} holds code that does not need {feat.q} ({_labels(stays)}): what does "
                             f"({_labels(keys)}) moves to {new_path}, which is guarded, and the rest of {base} "
                             "stays in every build.")
        sites.append(replace(site, files=tuple(sorted((*site.files, *added))), carved=()))
    return files, tuple(sites)


def _extract_registrations(index: _Index, site: _Site, base: str, written: Sequence[str], tag: str, name: str,
                           out: _Outcome) -> dict[str, bytes]:
    """base's registration statements moved to a new file of the site's package behind !tag (runs after
    base's init: files' inits run in name order, and `stem_x.go` sorts after `stem.go`)."""
    f = index.file(site.dir, base)
    reg = init_registrations(f, written, index.sources.package_names)
    if reg is None:
        raise _Refuse(f"{index.rel(f.path)}: its registrations of {name} could not be moved out of its init")
    stem = base[:-3]
    taken = set(index.sources.dir_files(index.rel(site.dir)))
    new = f"{stem}_{name}.go"
    n = 2
    while name_suffix(new) or new.endswith("_test.go") or index.rel(os.path.join(site.dir, new)) in taken:
        new = f"{stem}_{name}_registry{'' if n == 2 else n}.go"
        n += 1
    rest, added = reg.split(new, tag, name)
    path, new_path = index.rel(f.path), index.rel(os.path.join(site.dir, new))
    lines = ", ".join(text for _, _, text in reg.statements)
    out.registrations.append(f"{lines} (from {path}'s init, now in {new_path})")
    out.notes.append(f"{path}'s init registered {name} among other code ({lines}): that registration moves "
                     f"to {new_path}, behind //go:build !{tag}, so the slim build simply lacks it; the rest of "
                     f"{base} stays in every build. It now runs after {base}'s other init statements.")
    return {path: rest, new_path: added}


def _shown(index: _Index, feat: _Feature, site: _Site, name: str) -> str:
    """A guarded file as reports name it: relative to the module root, or module/path for a dependency's."""
    path = os.path.join(site.dir, name)
    if feat.module is not None:
        return f"{feat.module.path}/{os.path.relpath(path, feat.module.dir)}".replace(os.sep, "/")
    return index.rel(path)


def _patch_body(feat: _Feature, tag: str, name: str, files: Sequence[str], out: _Outcome) -> str:
    """The upstream commit message's body: what the tag leaves out, what the slim build does instead."""
    one = len(files) == 1
    labels = ", ".join(h.target.label for h in feat.hits)
    lines = [f"{', '.join(files)} bring{'s' if one else ''} in {feat.q} for the {name} feature alone (in "
             f"{labels}, {count(len(feat.removed), 'package')} with it). With -tags {tag} "
             f"{'it is' if one else 'they are'} left out, so programs that do not need the feature can drop "
             "it; without the tag nothing changes."]
    if out.failing:
        stubs = sorted(out.failing)
        lines.append(f"Built with the tag, {', '.join(stubs[:6])}{' and more' if len(stubs) > 6 else ''} "
                     "report that the feature is not built in.")
    else:
        lines.append("Built with the tag, the package simply lacks what the feature registers.")
    if out.registrations:
        lines.append("Registrations move into the guarded files, so that build holds no stub in their place.")
    return "\n".join(textwrap.fill(ln, 72) for ln in lines)


def _product_share(index: _Index, feat: _Feature) -> str | None:
    """When the feature is a main package's blank import of a package of the repository that brings in
    most of a target's packages (caddy's modules/standard: 664 of 963, every module caddy has), how
    many; else None."""
    if not all(s.blank and s.name == "main" for s in feat.sites):
        return None
    for h in feat.hits:
        graph = index.project.graphs[h.target]
        if not all((p := graph.packages.get(q)) is not None and p.editable for s in feat.sites for q in s.blank):
            continue  # (a library's package, as net/http/pprof in a small tool, is a feature of it)
        n = len(graph.packages)
        if n and 2 * len(h.removed) > n:
            return f"{len(h.removed)} of {h.target.label}'s {n} packages"
    return None


def _core_share(index: _Index, feat: _Feature) -> str | None:
    """The guarded files of a site when they hold most of its package's declarations (as
    sigs.k8s.io/yaml's yaml.go does), else None."""
    for s in feat.sites:
        if not s.files and not s.carved:
            continue
        files = [f for f in index.dir_files(s.dir) if f.package == s.name and not f.path.endswith("_test.go")
                 and not _ignored(f)]
        counts = [(os.path.basename(f.path) in s.files, sum(d.kind != "init" for d in f.decls)) for f in files]
        guarded = sum(n for g, n in counts if g) + sum(
            1 for f in files for b, keys in s.carved if os.path.basename(f.path) == b
            for d in f.decls if d.key in keys and d.kind != "init")
        if guarded and guarded * 2 >= sum(n for _, n in counts):
            return ", ".join(_shown(index, feat, s, f) for f in (*s.files, *(b for b, _ in s.carved)))
    return None


def _summary(where: str, tag: str, feat: _Feature, loses: Sequence[str]) -> str:
    """One line: what is guarded, the tag, what leaves the build, and what the slim build loses."""
    line = f"guard {where} with -tags {tag}: drop {feat.q} ({count(len(feat.removed), 'package')})"
    if loses:
        shown = [u for u in loses if u != "init"][:3] or list(loses[:1])
        more = len(loses) - len(shown)
        line += f"; slim build loses {', '.join(shown)}{f' and {more} more' if more > 0 else ''}"
    return line


def _existing_tag_proposal(index: _Index, feat: _Feature, tag: str, name: str) -> Proposal:
    """The feature's files are already behind `tag`: the change is to build with it (the targets'
    build configuration: gotrim.toml, Makefile -tags, .goreleaser tags), not to the source."""
    targets = tuple(dict.fromkeys(h.target for h in feat.hits))
    files = [_shown(index, feat, s, f) for s in feat.sites for f in s.files]
    summary = (f"build with -tags {tag}, which already guards {', '.join(files)}: drop {feat.q} "
               f"({count(len(feat.removed), 'package')})")
    try:
        uses = _target_uses(index, feat)
    except _Refuse:
        uses = {}
    bare = all(_declares_nothing(index.file(s.dir, f)) for s in feat.sites for f in s.files)
    one = len(files) == 1
    instead = ("it declares nothing (its imports are the feature), so no stub is needed" if bare and one else
               "they declare nothing (their imports are the feature), so no stub is needed" if bare else
               "a stub takes its place with it" if one else "a stub takes their place with it")
    lines = [f"{', '.join(files)} already {'starts' if one else 'start'} with a constraint that -tags {tag} turns "
             f"off, and {instead}: the module ships this switch. No source changes; the targets' build "
             f"configuration gets the tag."]
    lines += _explain(index, feat, tag, name, uses, ()).splitlines()[len(feat.sites):]
    plan = Plan(title=f"Build {', '.join(t.name for t in targets)} with the existing {tag} tag",
                changes=tuple(tag_config_changes(index.project, targets, tag)))
    key = "|".join(f"{s.import_path}:{','.join(s.files)}" for s in feat.sites) + f"|{tag}|existing"
    return Candidate(
        id=candidate_id(NAME, key), strategy=NAME, targets=tuple(h.target for h in feat.hits), summary=summary,
        explanation="\n".join(lines), estimated_bytes=feat.bytes, confidence="high", plan=plan,
        removes=tuple(sorted(feat.removed)), variant_tags=(tag,),
        details=GuardDetails(tag=tag, feature=name, heavy=feat.q, files=tuple(files), existing_tag=True),
    )


def _explain(index: _Index, feat: _Feature, tag: str, name: str, uses: Mapping[str, list[str]],
             notes: Sequence[str]) -> str:
    lines = []
    for s in feat.sites:
        if not s.files:
            continue  # only decoupled: said in the notes
        files = ", ".join(s.files)
        verb = "imports" if len(s.files) == 1 else "import"
        lines.append(f"In {s.import_path}, only {files} {verb} what brings in {feat.q}: the {name} feature.")
    for h in feat.hits:
        lines.append(f"{h.target.label}: {' -> '.join(h.chain)}; built with -tags {tag} it drops "
                     f"{count(len(h.removed), 'package')} ({', '.join(sorted(h.removed)[:6])}"
                     f"{', …' if len(h.removed) > 6 else ''}).")
    lost = [f"{p}: {', '.join(u)}" for p, u in uses.items() if u]
    lines.append(f"The slim build loses the {name} feature" + (": " + "; ".join(lost) if lost else "") + ".")
    lines.extend(notes)
    for h in feat.hits:
        # go builds a target in its module's directory (a nested module's binary: cd there first)
        mod_dir = index.project.module_of(h.target).dir
        mod = index.rel(str(mod_dir))
        pkg = "./" + os.path.relpath(index.project.graphs[h.target].main.dir, mod_dir).replace(os.sep, "/")
        pkg = "." if pkg == "./." else pkg
        cd = f"cd {mod} && " if mod not in ("", ".") and not os.path.isabs(mod) else ""
        env = f"{cd}GOOS={h.target.goos} GOARCH={h.target.goarch} "
        tags = ",".join(h.target.tags)
        lines.append(f"Full:  {env}go build {'-tags ' + tags + ' ' if tags else ''}{pkg}")
        lines.append(f"Slim:  {env}go build -tags {','.join((*h.target.tags, tag))} {pkg}")
    return "\n".join(lines)


def _target_uses(index: _Index, feat: _Feature) -> dict[str, list[str]]:
    """Per site: what the targets reach of the feature files (init, blank imports, used declarations)
    (kept: a proposal asks before and after it knows which targets keep the feature)."""
    key = (_feature_key(feat.sites), tuple((h.target, h.removed) for h in feat.hits))
    hit = index.uses.get(key)
    if hit is None:
        hit = index.uses[key] = _target_uses_of(index, feat)
    return {site: list(used) for site, used in hit.items()}


def _target_uses_of(index: _Index, feat: _Feature) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for site in feat.sites:
        used: set[str] = set()
        for h in feat.hits:
            graph = index.project.graphs[h.target]
            pkg = graph.packages.get(site.import_path)
            if pkg is None:
                continue
            files = [index.file(pkg.dir, f) for f in pkg.files]
            view = SourcePackage.from_files(site.import_path, pkg.name, files)
            roots = {d.key for d in view.decls.values() if d.kind == "init" or d.side_effects}
            if pkg.name == "main":
                roots.add("main")
            for imp in graph.importers(site.import_path):
                ipkg = graph.packages[imp]
                for n in ipkg.files:
                    if site.import_path not in index.imports_of(ipkg.dir, n):  # (read those only)
                        continue
                    imports, refs = index.qualified_refs(ipkg.dir, n)
                    local = _local_name(imports, site.import_path, site.name)
                    if local is not None:
                        roots.update(k for name in refs.get(local, ()) for k in _keys(view, name))
            blank = _blank_only(files, site, pkg.resolve, h.removed)
            carved = {(b, k) for b, keys in site.carved for k in keys}
            for k in () if blank else view.closure(roots):
                d = view.decls[k]
                base = os.path.basename(d.file)
                if (base in site.files or (base, d.key) in carved) and d.kind in ("func", "method", "init", "var"):
                    # `var _ I = (*T)(nil)` or `var _ = register()`: named by its file, not its internal key
                    used.add("init" if d.kind == "init" else f"var _ in {os.path.basename(d.file)}"
                             if d.name == "_" else d.key)
            for f in files:
                if os.path.basename(f.path) in site.files:
                    used.update(f"import _ {i.path!r}" for i in f.imports
                                if i.name == "_" and pkg.resolve(i.path) in h.removed)
        used.update(f"the registration in {b}'s init" for b, _ in site.extracted)
        out[site.import_path] = sorted(used)
    return out


def _blank_only(files: Sequence[GoFile], site: _Site, resolve: Callable[[str], str], removed: frozenset[str]
                ) -> bool:
    """The site's files bring the feature in only through blank imports (they are moved, not stubbed)."""
    heavy = [i for f in files if os.path.basename(f.path) in site.files for i in f.imports
             if resolve(i.path) in removed]
    return bool(heavy) and all(i.name == "_" for i in heavy)


def _keys(view: SourcePackage, name: str) -> list[str]:
    return [d.key for d in view.by_name(name) if d.kind not in ("method", "init")]


def _local_name(imports: Iterable[Import | tuple[str, str | None]], import_path: str, pkg_name: str
                ) -> str | None:
    """The name a file's imports give import_path (None: not imported, or imported for effect only);
    the imports as parsed, or as (path, explicit name) pairs (SourceIndex.qualified_refs)."""
    for i in imports:
        path, name = (i.path, i.name) if isinstance(i, Import) else i
        if path == import_path:
            return None if name == "_" else name if name is not None else pkg_name
    return None


# ---------------------------------------------------------------------------------------------------------
# Guarding one site


def _guard_site(index: _Index, site: _Site, feat: _Feature, tag: str, name: str, out: _Outcome
                ) -> list[tuple[str, bytes | None, bytes | None]]:
    """The file changes for one package: guard edits, moved blank imports, new or updated stubs, each
    stub checked against what the rest of the build needs (the typed view's facts where there is one).
    out gets the notes, the main packages that call a stub on every run (not to be built with the tag),
    the failing stubs and their callers.

    When only the package's tests need what a stub cannot declare (a helper whose signature names the
    dropped package), the tests that use the feature's declarations are guarded with it instead."""
    trial = _Outcome()
    try:
        changes = list(_guard_site_once(index, site, feat, tag, name, trial, frozenset()))
    except _Refuse as first:
        tests = sorted(_feature_tests(index, site))
        if not tests:
            raise
        trial = _Outcome()
        changes = list(_guard_site_once(index, site, feat, tag, name, trial, frozenset(tests)))
        trial.notes.append(f"{', '.join(tests)} {'is' if len(tests) == 1 else 'are'} guarded too: "
                           f"{'it tests' if len(tests) == 1 else 'they test'} the feature with what a stub "
                           f"cannot declare ({first}).")
    out.notes.extend(trial.notes)
    out.lost.update({k: v for k, v in trial.lost.items() if k not in out.lost})
    out.failing |= trial.failing
    out.callers |= trial.callers
    out.registrations.extend(trial.registrations)
    return changes


def _feature_tests(index: _Index, site: _Site) -> set[str]:
    """The test files of a site's directory that use the feature's declarations, and those that use what
    they declare (export_test.go's `var GetX = getX`, used by the external tests), as base names."""
    all_files = index.dir_files(site.dir)
    tests = [f for f in all_files if f.path.endswith("_test.go") and f.package in (site.name, site.name + "_test")]
    names = {d.name for f in all_files if os.path.basename(f.path) in site.files for d in f.decls}
    out: set[str] = set()
    grew = True
    while grew:
        grew = False
        for f in tests:
            base = os.path.basename(f.path)
            if base in out:
                continue
            local = _local_name(f.imports, site.import_path, site.name) if f.package != site.name else None
            if any(r.qualifier == local and r.name in names for d in f.decls for r in d.refs):
                out.add(base)
                if f.package == site.name:
                    names |= {d.name for d in f.decls}
                grew = True
    return out


def _guard_site_once(index: _Index, site: _Site, feat: _Feature, tag: str, name: str, out: _Outcome,
                     guard_tests: frozenset[str]) -> Iterator[tuple[str, bytes | None, bytes | None]]:
    """_guard_site, with the tests named in guard_tests guarded like the feature's files."""
    notes = out.notes
    all_files = index.dir_files(site.dir)
    by_name = {os.path.basename(f.path): f for f in all_files}
    feature = [by_name[n] for n in site.files]
    heavy = feat.removed | {feat.q}
    stubs = {os.path.basename(f.path): existing_stub(f, all_files, site.files) for f in feature}
    skip = set(site.files) | {os.path.basename(s.path) for s in stubs.values() if s is not None} | guard_tests
    for base in sorted(guard_tests):
        test = by_name[base]
        yield test.path, test.src, and_term(test, "!" + tag)
    rest = [f for f in all_files if os.path.basename(f.path) not in skip and f.package in (site.name,)
            and not _ignored(f)]
    importers = [f for f in index.importing(site.import_path) if os.path.dirname(
        os.path.join(index.root, f.path)) != site.dir or f.package != site.name]
    local_importers = [(f, local) for f in importers
                       if (local := _local_name(f.imports, site.import_path, site.name)) is not None]
    taken = {d.name for f in all_files for d in f.decls}
    # Registrations of the feature's declarations in the rest of the package move into the feature's
    # files first (a stub must not leave a nil in a table): the rest is then read as it will be.
    originals = {f.path: f for f in rest}
    moved: dict[str, GoFile] = {}  # feature file path -> with the registrations it received
    fixed: dict[str, dict[str, tuple[str, frozenset[str]]]] = {}
    for real in feature:
        if _blank_feature(real, heavy, all_files):
            continue
        reg = move_registrations(real, [f for f in rest if not f.path.endswith("_test.go")], name, tag, taken)
        if reg.files:
            rest = [parse_file(f.path, reg.files[f.path]) if f.path in reg.files else f for f in rest]
        moved[real.path] = real if reg.real == real.src else parse_file(real.path, reg.real)
        fixed[real.path] = reg.stubs
        notes.extend(reg.moved)
        out.registrations.extend(reg.moved)
    # (a carving's or a decoupling's overlay changed some files too: the typed view knows their old text)
    edited = {f.path for f in rest if f.src != originals[f.path].src or f.path in index.overlay}
    need = demand(site.import_path, rest, local_importers, index.views(feat),
                  skip_files={f.path for f in all_files if os.path.basename(f.path) in skip},
                  edited=edited, every_run=index.every_run(feat))
    if need.typed:
        notes.append(f"What the rest of the build uses of {', '.join(site.files)} was type-checked (go/types).")
    elif index.project.typed:
        notes.append(f"No type-checked view of {site.import_path}: what the rest uses of it is read by name.")
    for path in sorted(edited):
        yield path, originals[path].src, next(f.src for f in rest if f.path == path)
    repaired: dict[str, tuple[GoFile, GoFile]] = {}  # path -> (stub, its repair so far): one stub may
    # stand in for several feature files, repaired in turn
    written: list[tuple[str, bytes]] = []
    for original in feature:
        base = os.path.basename(original.path)
        if _blank_feature(original, heavy, all_files):
            blank = [i for i in original.imports if i.name == "_" and i.path in heavy]
            yield from _move_blank_imports(index, site, original, blank, tag, name)
            continue
        real = moved[original.path]
        guarded = and_term(real, "!" + tag)
        if guarded != original.src:
            yield real.path, original.src, guarded
        gen = StubWriter(real, all_files, heavy, tag, name, taken, package_names=index.sources.package_names,
                         users=[*rest, *importers], need=need, fixed=fixed[real.path])
        blocks = gen.blocks(need.names, need.selectors, need.methods)
        failing = [b for b in blocks if b.kind in ("func", "method") and b.name not in fixed[real.path]]
        _refuse_running(real, failing, need, out.lost)
        out.failing.update(b.key for b in failing)
        # (the targets' builds only: the module's other mains import the package too)
        built = _built_dirs(index, feat)
        out.callers |= _callers(rest, [(f, local) for f, local in local_importers
                                       if norm_dir(posixpath.dirname(f.path)) in built],
                                {b.name for b in failing if b.kind == "func"},
                                {b.name for b in failing if b.kind == "method"})
        stub = stubs[base]
        if stub is not None:
            current = repaired.get(stub.path, (stub, stub))[1]
            repaired[stub.path] = stub, parse_file(stub.path, repair_stub(current, gen, blocks, tag, notes))
        elif blocks:
            taken.add(gen.err_var)
            written.append((_stub_path(index, site, base, tag), gen.render(blocks)))
    # every stub is checked against the files the slim build compiles with it before it is proposed
    new_stubs = [parse_file(path, text) for path, text in written]
    repairs = [f for _, f in repaired.values()]
    for stub_file in [*new_stubs, *repairs]:
        others = [f for f in (*rest, *new_stubs, *repairs) if f is not stub_file]
        src = check_stub(stub_file, others)
        before = next((o for o, f in repaired.values() if f is stub_file), None)
        if before is None:
            yield stub_file.path, None, src
        elif src != before.src:
            yield stub_file.path, before.src, src


def _refuse_running(real: GoFile, blocks: Sequence[StubBlock], need: Demand, lost: dict[str, str]) -> None:
    """Refuse a stub of code that runs whatever the user asks when the program starts (from an init
    function or a package variable's initializer); note in lost each main package that calls a stub on
    every run of main (its binary is not built with the tag)."""
    funcs = [b for b in blocks if b.kind in ("func", "method")]
    keys = {b.key for b in funcs}
    idle = {b.key for b in funcs if b.does_nothing}
    failing = sorted(k for k in keys if k in need.startup)
    if failing:
        where = need.startup[failing[0]]
        does = ("would do nothing there, so the slim build would start without it" if idle.issuperset(failing)
                else "would fail there, so the slim build could not start")
        raise _Refuse(f"{real.path}: {', '.join(failing)} run(s) when the program starts ({where}); its stub "
                      f"{does}. If that is the registration of an "
                      "optional feature (restic's backends.Register(azure.NewFactory()) in an init), move the "
                      "registration into an init of its own file first: gotrim can then guard that file too")
    for main in sorted({*need.main_path, *need.main_either}):
        if main in lost:
            continue
        found: list[tuple[bool, str]] = []  # (a stub of it fails, why)
        calls = need.main_path.get(main, {})
        on_path = sorted(b.key for b in funcs if b.key in calls)  # functions by name, methods as Type.Method
        if on_path:
            chain = " -> ".join((*calls[on_path[0]], on_path[0]))
            one = len(on_path) == 1
            fails = not all(b.does_nothing for b in funcs if b.key in on_path)
            if fails:
                does = f"{'its stub fails' if one else 'a stub of them fails'}, so that binary would lose what it " \
                       "runs for"
            else:
                does = f"{'its stub does' if one else 'their stubs do'} nothing, so that binary would skip " \
                       f"{'it' if one else 'them'} on every run"
            found.append((fails, f"{real.path}: {', '.join(on_path)} {'is' if one else 'are'} called on every run "
                                 f"({chain}); {does}"))
        for chain_of, ways in need.main_either.get(main, ()):
            hit = [sorted(way & keys) for way in ways]
            if not all(hit):
                continue
            names = sorted({k for way in hit for k in way})
            fails = not all(b.does_nothing for b in funcs if b.key in names)
            does = ("a stub of them fails, so that binary would lose what it runs for" if fails
                    else "their stubs do nothing, so that binary would skip them on every run")
            chain = " -> ".join((*chain_of, " or ".join(dict.fromkeys(way[0] for way in hit))))
            found.append((fails, f"{real.path}: {', '.join(names)}: one of them is called on every run ({chain}); "
                                 f"{does}"))
        if found:  # a stub that fails first: the worse of what the slim build would do
            lost[main] = max(found, key=lambda x: x[0])[1]


def _built_dirs(index: _Index, feat: _Feature) -> frozenset[str]:
    """The directories (as the source index names them) of the packages the feature's targets build."""
    key = tuple(h.target for h in feat.hits)
    hit = index.built.get(key)
    if hit is None:
        hit = index.built[key] = frozenset(norm_dir(index.sources.rel(p.dir)) for h in feat.hits
                                           for p in index.project.graphs[h.target].packages.values() if p.dir)
    return hit


def _callers(rest: Sequence[GoFile], importers: Sequence[tuple[GoFile, str]], funcs: set[str], methods: set[str]
             ) -> set[str]:
    """Declarations of the build (tests left out) that name a failing stub: funcs by name, methods by a
    selector of that name."""
    out: set[str] = set()
    for f, local in [*((f, None) for f in rest), *importers]:
        if f.path.endswith("_test.go"):
            continue
        for d in f.decls:
            if any(r.qualifier == local and r.name in funcs for r in d.refs) or (d.selectors & methods):
                out.add(f"{f.path}: {decl_label(d.key)}")
    return out


def _declares_nothing(f: GoFile) -> bool:
    """A file whose imports are all it brings (an init at most): the tag that leaves it out needs no stub."""
    return all(d.kind == "init" or d.name == "_" for d in f.decls)


def _blank_feature(real: GoFile, heavy: frozenset[str], package: Sequence[GoFile]) -> bool:
    """real brings the feature in only through blank imports, beside something that must stay: code of
    its own, other imports (caddy's modules/standard/imports.go, 13 blank imports, one of them the
    feature), or nothing else in its package (package: the package's files, real among them); the
    imports move to a guarded file of their own. Not `_ "embed"` from a file with //go:embed
    directives, which need it there. A file of nothing but the feature's blank imports, in a package
    that keeps another file, is guarded whole."""
    blank = [i for i in real.imports if i.name == "_" and i.path in heavy]
    heavy_named = [i for i in real.imports if i.name != "_" and i.path in heavy]
    if not blank or heavy_named or (any(i.path == "embed" for i in blank) and b"//go:embed" in real.src):
        return False
    if any(d.kind != "init" for d in real.decls) or any(i.path not in heavy for i in real.imports):
        return True
    # another file every build of the package has
    return not any(f.path != real.path and f.package == real.package and not f.path.endswith("_test.go")
                   and f.constraint is None and not name_suffix(os.path.basename(f.path)) for f in package)


def _ignored(f: GoFile) -> bool:
    return f.constraint is not None and f.constraint.expr is not None and f.constraint.expr.strip() == "ignore"


def _stub_path(index: _Index, site: _Site, base: str, tag: str) -> str:
    suffix = name_suffix(base)
    stem = base[:-3][: len(base) - 3 - len(suffix)]
    for cand in (f"{stem}_stub{suffix}.go", f"{stem}_{tag}{suffix}.go"):
        if not os.path.exists(os.path.join(site.dir, cand)):
            return index.rel(os.path.join(site.dir, cand))
    raise _Refuse(f"{stem}_stub{suffix}.go exists and is not a stub for {base}: pass another tag")


# ---------------------------------------------------------------------------------------------------------
# Blank imports


def _move_blank_imports(index: _Index, site: _Site, real: GoFile, blank: Sequence[Import], tag: str,
                        name: str) -> Iterator[tuple[str, bytes | None, bytes | None]]:
    """Move blank imports of the heavy packages out of real into their own guarded file."""
    imps = list(blank)
    out = real
    for imp in imps:
        out = parse_file(real.path, apply_edits(out.src, remove_import(out, imp.path)))
    yield real.path, real.src, out.src
    old = build_expr(real)
    expr: BuildExpr = ("not", ("tag", tag)) if old is None else ("and", old, ("not", ("tag", tag)))
    base = os.path.basename(real.path)
    suffix = name_suffix(base)
    path = index.rel(os.path.join(site.dir, f"import_{name}{suffix}.go"))
    specs = sorted(f'_ "{i.path}"' for i in imps)
    imports = f"import {specs[0]}\n" if len(specs) == 1 else "import (\n" + "".join(
        f"\t{s}\n" for s in specs) + ")\n"
    text = (f"//go:build {format_build_expr(expr)}\n\n"
            f"// Importing {', '.join(i.path for i in imps)} links in the {name} feature; build with\n"
            f"// -tags {tag} to leave it out.\n\n"
            f"package {real.package}\n\n{imports}")
    yield path, None, text.encode()


STRATEGY = Strategy(name=NAME, summary="Guard an optional feature's files with a build tag and stub the rest",
                    propose=propose, needs=Needs.GRAPHS | Needs.SOURCES | Needs.SIZES | Needs.TYPED, warm=warm,
                    ahead=ahead)
