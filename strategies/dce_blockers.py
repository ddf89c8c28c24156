"""Remove what switches off the linker's method dead-code elimination (DCE) in a binary.

Before: cmd/report -> render.Items -> text/template.(*Template).Execute -> evalField <ReflectMethod>
After:  render.Items writes with fmt.Fprintf; no reflect method lookup is reachable, so the linker
        drops every exported method nothing calls (go-toolchain.md §3.2).

Per blocker, in order of preference:
- a known upstream build tag (refactor.catalogue) added to the target's build configuration
  (refactor.buildconfig);
- in the main module, a text/template or html/template whose templates only substitute fields,
  rewritten to plain fmt calls (refactor.fieldtemplate);
- the main module's import of `plugin` guarded by `//go:build !no_dynamic_plugins`, with a stub
  (refactor.guard, the engine guard-with-tag uses);
- otherwise a Refusal naming the exact call site and the options.
The true gain appears only once the last blocker is gone; combined_plan joins a target's candidates
(plan.merge_plans) so the combined effect can be measured as a ceiling.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from refactor import buildconfig
from refactor.buildconfig import tag_config_changes
from refactor.candidate import Candidate, Details, Proposal, Refusal, Strategy, candidate_id
from refactor.catalogue import Switch, catalogue
from refactor.config import Settings, Target
from refactor.dce import first_match
from refactor.errors import EditError, SourceError
from refactor.estimate import Cut, estimate, has_model, switch_cut
from refactor.fieldtemplate import TEMPLATE_PACKAGES, rewrite_templates
from refactor.graph import BuildGraph
from refactor.guard import Unguardable, guard_import
from refactor.linker import DceReport, SymbolIndex
from refactor.plan import Plan, merge_plans
from refactor.project import Needs, Project

NAME = "dce-blockers"
PLUGIN_TAG = "no_dynamic_plugins"
# Share of the binary that method DCE typically saves (go-toolchain.md §3.2: 16-25 %, 21 % measured;
# dynamic linking keeps even unexported methods: about half of a small binary, §3.3).
REFLECT_SHARE = 0.15
DYNLINK_SHARE = 0.30


class Fix(enum.Enum):
    """How a candidate removes its blocker."""

    UPSTREAM_TAG = "upstream-tag"  # build with a tag the blocker's module provides
    TEMPLATE_REWRITE = "template-rewrite"  # the module's field-only templates written with fmt
    PLUGIN_GUARD = "plugin-guard"  # the module's import of plugin behind a build tag


@dataclass(frozen=True)
class DceDetails(Details):
    """dce-blockers' facts of a candidate (JSON: docs/report-schema.md, `dce-blockers` details)."""

    fix: Fix
    blocker: str | None = None  # the blocking symbol (a <ReflectMethod> function) or "plugin"
    package: str | None = None  # the module's package changed (template rewrite, plugin guard)
    module: str | None = None  # the module providing the tag (upstream tag)
    version: str | None = None  # its version in the build
    tag: str | None = None  # the tag the target is built with after the change
    source: str | None = None  # where the upstream tag is documented
    templates: tuple[str, ...] = ()  # the template variables rewritten

    def for_json(self) -> dict[str, object]:
        return {"kind": self.fix.value, "blocker": self.blocker, "package": self.package, "module": self.module,
                "version": self.version, "tag": self.tag, "source": self.source, "templates": list(self.templates)}


# ---------------------------------------------------------------------------------------------
# Propose


def propose(project: Project, settings: Settings) -> Iterator[Proposal]:
    """Candidates for every blocker of every target whose DCE report was loaded (never builds)."""
    del settings
    for target in project.targets:
        report = project.dce[target]
        if report.method_dce:
            continue
        graph = project.graphs[target]
        blockers = _blocker_count(report)
        if report.reflect_blocker is not None:
            yield from _reflect_blocker(project, target, graph, report, blockers)
        if report.dynlink.active:
            yield from _plugin_blocker(project, target, graph, report, blockers)


def _blocker_count(report: DceReport) -> int:
    """Known blockers: the certain root cause, unsure further roots, and dynamic linking."""
    n = 1 if report.reflect_blocker else 0
    n += sum(1 for b in report.dumpdep.possible if not b.retained)
    return n + (1 if report.dynlink.active else 0)


def _estimate(project: Project, graph: BuildGraph, report: DceReport, blockers: int, share: float,
              removes: Sequence[str] = (), switch: Switch | None = None) -> tuple[int, str]:
    """Bytes and confidence. The packages the change removes (and what only they import) go in
    any case, by the size table; the method-DCE gain, a share of the rest, comes only when this
    was the last blocker. With the target's reachability model (refactor.estimate) both are what
    the linker would stop keeping, the DCE gain measured on the model instead of a share."""
    size = project.sizes[report.target]
    removed = graph.removed_by(cut_packages=[p for p in removes if p in graph.packages]) if removes else frozenset()
    if has_model(project, report.target):
        cut_ = switch_cut(graph, switch, removed) if switch else Cut.of(removed)
        return estimate(project, report.target, cut_), "medium" if blockers <= 1 else "low"
    cut = 0
    if removes:
        cut = size.removal_estimate(removed)
    if blockers <= 1:
        return cut + int((report.binary_bytes - cut) * share), "medium"
    return cut, "low"


def _chain_packages(graph: BuildGraph, chain: Sequence[str]) -> list[str]:
    """The packages of a symbol chain, in order, without repeats."""
    index = SymbolIndex.from_graph(graph)
    out: list[str] = []
    for sym in chain:
        p = index.package(sym)
        if p and p not in out and p != "runtime":
            out.append(p)
    return out


def _reflect_blocker(project: Project, target: Target, graph: BuildGraph, report: DceReport,
                     blockers: int) -> Iterator[Proposal]:
    root = report.reflect_blocker
    assert root is not None
    chain_pkgs = _chain_packages(graph, root.chain)
    found = False
    for sw in _matching_switches(graph, report, root.chain, chain_pkgs):
        found = True
        yield _switch_proposal(project, target, report, sw, blockers, root.symbol)
    if found:
        return
    main_pkgs = [p for p in chain_pkgs if graph.packages[p].main_module]
    if any(p in TEMPLATE_PACKAGES for p in chain_pkgs) and main_pkgs:
        yield from _template_rewrite(project, target, graph, report, main_pkgs, blockers)
        return
    yield _explain(project, target, graph, report, chain_pkgs)


def _matching_switches(graph: BuildGraph, report: DceReport, chain: Sequence[str],
                       chain_pkgs: Sequence[str]) -> Iterator[Switch]:
    """Catalogue switches whose module is linked and whose removal takes the chain apart."""
    for sw in catalogue():
        if sw.module not in report.modules and not any(
                (graph.packages[p].module or "") == sw.module for p in chain_pkgs):
            continue
        if any(sym.startswith(prefix) for sym in chain for prefix in sw.symbols):
            yield sw
            continue
        cuts = [c for c in sw.cuts if c[0] in graph.packages and c[1] in graph.packages]
        if cuts:
            gone = graph.removed_by(cuts)
            if any(p in gone for p in chain_pkgs):
                yield sw


def _switch_proposal(project: Project, target: Target, report: DceReport, sw: Switch, blockers: int,
                     what: str) -> Proposal:
    version = report.modules.get(sw.module, "")
    summary = f"build {target.name} with -tags {sw.tag} ({sw.module})"
    if not sw.released:
        return Refusal(NAME, (target,), summary,
                       f"{what} comes from {sw.module}; the tag {sw.tag} that removes it is not released "
                       f"({sw.source}). Options: vendor a patched copy, or avoid the call path.")
    if version and not sw.version_ok(version):
        rng = f">= {sw.min_version}" + (f", < {sw.max_version}" if sw.max_version else "")
        return Refusal(NAME, (target,), summary,
                       f"{sw.module} is {version}; the tag {sw.tag} exists in {rng} ({sw.source})")
    changes = tag_config_changes(project, (target,), sw.tag)
    est, confidence = _estimate(project, project.graphs[target], report, blockers,
                                DYNLINK_SHARE if "plugin" in sw.removes else REFLECT_SHARE, switch=sw)
    explanation = (f"{what} is reached through {sw.module} {version}. The build tag {sw.tag} removes "
                   f"{sw.removes}.\nSource: {sw.source}\nChecked: {sw.verified}\n"
                   + _last_blocker_note(blockers))
    return Candidate(
        id=candidate_id(NAME, f"{target}|tag|{sw.module}|{sw.tag}"), strategy=NAME, targets=(target,),
        summary=summary, explanation=explanation, estimated_bytes=est, confidence=confidence,
        plan=Plan(title=f"Build {target.name} with the {sw.tag} tag", changes=tuple(changes)),
        variant_tags=(sw.tag,),
        details=DceDetails(Fix.UPSTREAM_TAG, blocker=what, module=sw.module, version=version or None, tag=sw.tag,
                           source=sw.source),
    )


def _last_blocker_note(blockers: int) -> str:
    if blockers <= 1:
        return "This is the only blocker found: method DCE comes back once it is gone."
    return (f"{blockers} blockers are known; the size drops only when the last is gone "
            "(measure the combined candidates for the ceiling).")


def _explain(project: Project, target: Target, graph: BuildGraph, report: DceReport,
             chain_pkgs: Sequence[str]) -> Refusal:
    """No safe rewrite: the call site in the main module and the options."""
    from refactor.dce import frames

    root = report.reflect_blocker
    assert root is not None
    fr = frames(project, graph, root)
    mine = [f for f in fr if f.file]
    site = f" at {mine[-1].site} ({mine[-1].short})" if mine else ""
    culprit_pkg = next((p for p in reversed(chain_pkgs) if p != "reflect"), chain_pkgs[-1] if chain_pkgs else "")
    call = _reflect_call_site(project, graph, culprit_pkg)
    options = [
        "call the methods through a map[string]func or a switch instead of reflect",
        "or pass a constant name to MethodByName (the linker then keeps only methods of that name, Go >= 1.22)",
        "or guard the feature with a build tag when this binary does not need it (guard-with-tag)",
    ]
    if graph.packages.get(culprit_pkg) is not None and not graph.packages[culprit_pkg].main_module:
        options.append(f"or ask {graph.packages[culprit_pkg].module or culprit_pkg} for a build tag "
                       "(as grpc's grpcnotrace)")
    where = f"{call[0]}:{call[1]}" if call else root.symbol
    return Refusal(NAME, (target,), f"{target.name}: {root.symbol} disables method DCE{site}",
                   f"reflect method call at {where}, reached from the entry point through "
                   f"{' -> '.join(chain_pkgs)}. Options: " + "; ".join(options) + ".")


_REFLECT_CALL = re.compile(r"\.(MethodByName|Method)\(")


def _reflect_call_site(project: Project, graph: BuildGraph, pkg_path: str) -> tuple[str, int] | None:
    """The first `.MethodByName(`/`.Method(` call in a main-module package (file, line)."""
    pkg = graph.packages.get(pkg_path)
    if pkg is None or not pkg.main_module:
        return None
    return first_match(project, pkg, _REFLECT_CALL)


# ---------------------------------------------------------------------------------------------
# text/template and html/template with field-only templates -> fmt


def _template_rewrite(project: Project, target: Target, graph: BuildGraph, report: DceReport,
                      main_pkgs: Sequence[str], blockers: int) -> Iterator[Proposal]:
    """Rewrite field-only templates of the chain's main-module packages to fmt calls."""
    done = False
    for pkg_path in reversed(main_pkgs):
        pkg = graph.packages[pkg_path]
        try:
            result = rewrite_templates(project, pkg)
        except (SourceError, EditError) as exc:
            yield Refusal(NAME, (target,), f"{target.name}: templates of {pkg_path} not rewritten", str(exc))
            continue
        if result is None:
            continue
        changes, uses, refusal = result
        if refusal:
            yield Refusal(NAME, (target,), f"{target.name}: templates of {pkg_path} not rewritten", refusal)
            continue
        done = True
        removes = tuple(p for p in TEMPLATE_PACKAGES if p in graph.packages and _only_via(graph, p, pkg_path))
        est, confidence = _estimate(project, graph, report, blockers, REFLECT_SHARE, removes)
        names = ", ".join(f"{u.var} ({u.file})" for u in uses)
        yield Candidate(
            id=candidate_id(NAME, f"{target}|template|{pkg_path}"), strategy=NAME, targets=(target,),
            summary=f"write {pkg_path}'s field-only templates with fmt instead of {uses[0].pkg_import}",
            explanation=(f"{report.reflect_blocker.symbol if report.reflect_blocker else ''} "
                         f"(reflect method lookup in {uses[0].pkg_import}) is reached from {pkg_path}. "
                         f"The templates {names} only substitute fields, so fmt.Fprintf writes the same "
                         "bytes (values print with fmt's %v, as templates do"
                         + ("; html.EscapeString escapes them as html/template does in text context"
                            if uses[0].pkg_import == "html/template" else "")
                         + ").\n" + _last_blocker_note(blockers)),
            estimated_bytes=est, confidence=confidence,
            plan=Plan(title=f"Replace field-only templates in {pkg_path} with fmt", changes=tuple(changes)),
            removes=removes,
            details=DceDetails(Fix.TEMPLATE_REWRITE, package=pkg_path, templates=tuple(u.var for u in uses),
                               blocker=report.reflect_blocker.symbol if report.reflect_blocker else None),
        )
    if not done:
        yield _explain(project, target, graph, report, _chain_packages(graph, report.reflect_blocker.chain)
                       if report.reflect_blocker else [])


def _only_via(graph: BuildGraph, imported: str, importer: str) -> bool:
    return imported in graph.removed_by([(importer, imported)])


# ---------------------------------------------------------------------------------------------
# plugin


def _plugin_blocker(project: Project, target: Target, graph: BuildGraph, report: DceReport,
                    blockers: int) -> Iterator[Proposal]:
    chain = list(report.dynlink.chain)
    found = False
    for sw in _matching_switches(graph, report, (), chain):
        found = True
        yield _switch_proposal(project, target, report, sw, blockers, "the std plugin package")
    if found:
        return
    importer = chain[-2] if len(chain) >= 2 else None
    pkg = graph.packages.get(importer) if importer else None
    if pkg is None or not pkg.main_module:
        yield Refusal(NAME, (target,), f"{target.name}: plugin linked through {importer}",
                      f"{' -> '.join(chain)}: the import of plugin is outside the main module and no known "
                      "build tag removes it. Options: build with CGO_ENABLED=0 (plugin then has no effect); "
                      "guard the main module's import of the first package of the chain with a build tag; "
                      "ask upstream for a tag (as containerd's no_dynamic_plugins).")
        return
    try:
        changes = guard_import(project, pkg, "plugin", PLUGIN_TAG, feature="dynamic plugins",
                               message=f"dynamic plugins are not supported: built with -tags {PLUGIN_TAG}",
                               err_name="errNoDynamicPlugins")
    except (SourceError, EditError, Unguardable) as exc:
        yield Refusal(NAME, (target,), f"{target.name}: plugin import of {pkg.import_path} not guarded",
                      str(exc))
        return
    est, confidence = _estimate(project, graph, report, blockers, DYNLINK_SHARE, ("plugin",))
    files = ", ".join(c.path for c in changes)
    yield Candidate(
        id=candidate_id(NAME, f"{target}|plugin|{pkg.import_path}"), strategy=NAME, targets=(target,),
        summary=f"guard {pkg.import_path}'s import of plugin with !{PLUGIN_TAG}",
        explanation=(f"{' -> '.join(chain)}: with cgo on, linking plugin puts the linker in dynamic-linking "
                     "mode, which keeps every method (even unexported) of every reachable type. Building "
                     f"with -tags {PLUGIN_TAG} drops the import; the stub returns an error from the "
                     f"plugin-loading functions. Files: {files}.\n" + _last_blocker_note(blockers)),
        estimated_bytes=est, confidence=confidence,
        plan=Plan(title=f"Guard the plugin import of {pkg.import_path} with a build tag",
                  changes=tuple([*changes, *tag_config_changes(project, (target,), PLUGIN_TAG)])),
        removes=("plugin",), variant_tags=(PLUGIN_TAG,),
        details=DceDetails(Fix.PLUGIN_GUARD, blocker="plugin", package=pkg.import_path, tag=PLUGIN_TAG),
    )


# ---------------------------------------------------------------------------------------------
# Every fix of one target together


def combined_plan(project: Project, target: Target, candidates: Sequence[Candidate]) -> Plan:
    """Every candidate of one target applied together (the ceiling); config files get every tag once."""
    plans = [Plan(c.plan.title, tuple(ch for ch in c.plan.changes if ch.path not in buildconfig.FILES))
             for c in candidates]
    tags = tuple(dict.fromkeys(t for c in candidates for t in c.variant_tags))
    merged = merge_plans(plans, title=f"All method-DCE fixes for {target.name}")
    extra = tag_config_changes(project, (target,), *tags) if tags else []
    return Plan(merged.title, merged.changes + tuple(extra))


STRATEGY = Strategy(
    name=NAME,
    summary="Remove what disables the linker's method dead-code elimination (upstream tag, rewrite, guard)",
    propose=propose,
    needs=Needs.GRAPHS | Needs.SOURCES | Needs.SIZES | Needs.DCE,
)
