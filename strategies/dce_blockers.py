"""Remove what switches off the linker's method dead-code elimination (DCE) in a binary.

Before: cmd/report -> render.Items -> text/template.(*Template).Execute -> evalField <ReflectMethod>
After:  render.Items calls renderLine, Go generated from the template (tmplgen); no reflect method
        lookup is reachable, so the linker drops every exported method nothing calls (go-toolchain.md §3.2).

blocker_fixes(project, target) answers, for each blocker the target's -dumpdep build shows (dynamic
linking through `plugin`, and the first <ReflectMethod> root), the fix it can propose, in order:

- the module's own templates (every shape the typed view follows) compiled to plain Go;
- when a template on the chain cannot be compiled: the method-free fork of text/template (and
  html/template), refused when a constant template calls a method (the action is named);
- the module's own reflect.ValueOf(x).MethodByName(name) on a concrete type: a table of its methods;
  else, when every caller passes a constant name, a switch over those names (refactor.namedispatch);
- a dependency's templates (refactor.tmpldep): a profiled library (urfave/cli v1, kingpin v2) gets a
  dependency patch with its default texts compiled to Go and text/template behind a tag (refused,
  naming the use, when the program gives a template of its own); a package whose every template the
  typed view resolves gets a dependency patch with them compiled to Go, without a tag;
- a known upstream build tag (refactor.catalogue), checked against the module's source at the version
  the build uses (another major version of a catalogued module: its source alone decides);
- the module's import of `plugin` guarded by `//go:build !no_dynamic_plugins`, with a stub;
- a MethodByName with a computed name in a dependency whose callers all pass constant names: the
  switch over those names as a dependency patch (refactor.deppatch, no build tag); the DCE loop tries
  a newer version of the module before it applies such a patch;
- otherwise a Refusal naming the call site and the options; for a blocker in a dependency it also
  names the module and version, so that the DCE loop (refactor.dceloop) can try a newer version, and a
  toolchain x dependency problem (refactor.catalogue.ToolchainProblem) names the version that fixes it.

Each fix's own effect is estimated: removing dynamic linking drops unexported methods even while a
reflect blocker remains; a reflect fix saves only what it removes until it is the last blocker. The
loop in refactor.dceloop applies fixes one after the other in a scratch worktree and measures the
combined effect ("method DCE on").
"""

from __future__ import annotations

import dataclasses
import enum
import os
import posixpath
import textwrap
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from refactor import buildconfig
from refactor.buildconfig import tag_config_changes
from refactor.candidate import Candidate, Details, Proposal, Refusal, Strategy, candidate_id
from refactor.catalogue import Switch, ToolchainProblem, switches_for, tag_in_files, toolchain_problems
from refactor.config import Settings, Target
from refactor.dce import Frame, frames
from refactor.deppatch import DependencyPatch, NotPatchable, measured_figures, patch_plan
from refactor.errors import EditError, GotrimError, SourceError
from refactor.estimate import Cut, estimate, has_model, switch_cut, symbol_decl
from refactor.graph import BuildGraph, Package
from refactor.guard import Unguardable, guard_import
from refactor.linker import Blocker, DceReport, SymbolIndex
from refactor.namedispatch import Dispatch, NotDispatchable, dispatch
from refactor.plan import FileChange, Plan, merge_plans
from refactor.project import Needs, Project
from refactor.tmpldep import TemplateLibrary
from refactor.tmplrewrite import TEMPLATE_PACKAGES, Rewrite, rewrite
from refactor.typed import ReflectCall, TemplateSite, TypedView

if TYPE_CHECKING:
    from refactor.measure import Measurement

NAME = "dce-blockers"
PLUGIN_TAG = "no_dynamic_plugins"
# Share of the binary that method DCE typically saves (go-toolchain.md §3.2: 16-25 %, 21 % measured;
# dynamic linking keeps even unexported methods: about half of a small binary, §3.3).
REFLECT_SHARE = 0.15
DYNLINK_SHARE = 0.30


class Fix(enum.Enum):
    """How a candidate removes its blocker."""

    UPSTREAM_TAG = "upstream-tag"  # build with a tag the blocker's module provides
    TEMPLATE_REWRITE = "template-rewrite"  # the module's templates compiled to plain Go (tmplgen)
    TEMPLATE_FORK = "template-fork"  # the method-free copy of text/template in the module
    REFLECT_TABLE = "reflect-table"  # a reflect method lookup on a closed set of methods, as a switch
    NAME_DISPATCH = "name-dispatch"  # a MethodByName whose callers pass constant names: a switch over them
    PLUGIN_GUARD = "plugin-guard"  # the module's import of plugin behind a build tag
    MODULE_UPGRADE = "module-upgrade"  # a newer version of the blocker's module (found by the DCE loop)
    ALL_BLOCKERS = "all-blockers"  # every fix the DCE loop applied, one after the other


@dataclass(frozen=True)
class DceDetails(Details):
    """dce-blockers' facts of a candidate (JSON: docs/report-schema.md, `dce-blockers` details)."""

    fix: Fix
    blocker: str | None = None  # the blocking symbol (a <ReflectMethod> function) or "plugin"
    package: str | None = None  # the module's package changed (template rewrite, plugin guard)
    module: str | None = None  # the module providing the tag (upstream tag), or upgraded
    version: str | None = None  # its version in the build
    tag: str | None = None  # the tag the target is built with after the change
    source: str | None = None  # where the upstream tag is documented
    templates: tuple[str, ...] = ()  # the templates rewritten or forked: `name (file:line)`
    steps: tuple[dict[str, object], ...] = ()  # ALL_BLOCKERS: each step, its blocker and measured bytes
    remaining: str | None = None  # ALL_BLOCKERS: the blocker left without a fix, if any
    method_dce: bool | None = None  # ALL_BLOCKERS: measured state after the steps
    risk: str | None = None  # what the change may break that gotrim could not check (the fork: method calls)
    names: tuple[str, ...] = ()  # NAME_DISPATCH: the method names the switch covers
    patch: DependencyPatch | None = field(default=None, compare=False)  # the upstream side of a dependency patch

    def after_measurement(self, plan: Plan, measurement: Measurement) -> tuple[FileChange, ...]:
        """A dependency patch's file, now stating the measured bytes of each target."""
        if self.patch is None or not measurement.targets:
            return ()
        current = next((c.after for c in plan.changes if c.path == self.patch.patch_path), None)
        text = self.patch.text(measured_figures([(t.target, t.before_bytes, t.after_bytes)
                                                 for t in measurement.targets], self.patch.tag), plan)
        return () if text == current else (FileChange(self.patch.patch_path, current, text),)

    def for_json(self) -> dict[str, object]:
        return {"kind": self.fix.value, "blocker": self.blocker, "package": self.package, "module": self.module,
                "version": self.version, "tag": self.tag, "source": self.source, "templates": list(self.templates),
                "steps": [dict(s) for s in self.steps], "remaining": self.remaining, "method_dce": self.method_dce,
                "risk": self.risk, "names": list(self.names)}


@dataclass(frozen=True)
class BlockerFix:
    """One blocker of a target and what dce-blockers proposes for it (candidate or refusal).

    module/version name the dependency the blocker is in (the DCE loop may try a newer version);
    upgrade_to is a version known to drop it (a toolchain x dependency problem)."""

    kind: str  # "plugin" or "reflect"
    blocker: str
    proposal: Proposal
    module: str | None = None
    version: str | None = None
    upgrade_to: str | None = None

    @property
    def candidate(self) -> Candidate | None:
        return self.proposal if isinstance(self.proposal, Candidate) else None


# ---------------------------------------------------------------------------------------------
# Propose


def propose(project: Project, settings: Settings) -> Iterator[Proposal]:
    """Candidates for every blocker of every target whose DCE report was loaded (never builds)."""
    del settings
    for target in project.targets:
        for fix in blocker_fixes(project, target):
            yield fix.proposal


def blocker_fixes(project: Project, target: Target) -> list[BlockerFix]:
    """The blockers the target's -dumpdep build shows, each with its fix or refusal (pure)."""
    report = project.dce[target]
    if report.method_dce:
        return []
    graph = project.graphs[target]
    out: list[BlockerFix] = []
    if report.dynlink.active:
        out.append(_plugin_blocker(project, target, graph, report))
    if report.reflect_blocker is not None:
        out.append(_reflect_blocker(project, target, graph, report, report.reflect_blocker))
    return out


def _estimate(project: Project, target: Target, report: DceReport, kind: str,
              removes: Sequence[str] = (), cut: Cut | None = None) -> tuple[int, str, str]:
    """Bytes, confidence and a note for one blocker's own fix.

    With the target's reachability model (refactor.estimate), what the linker would stop keeping
    after the change (cut: what it takes out; by default the packages it removes): the model knows
    whether another blocker remains, and measures the method-DCE gain on the binary itself.
    Without one, the packages the change removes go in any case (by the size table). Dynamic linking
    keeps every method, exported or not: removing it saves the unexported ones even while a reflect
    blocker remains. A reflect fix brings the method-DCE share only when nothing else blocks."""
    size = project.sizes.get(target)
    if size is None:
        return 0, "low", ""
    graph = project.graphs[target]
    removed = graph.removed_by(cut_packages=[p for p in removes if p in graph.packages]) if removes else frozenset()
    unsure = sum(1 for b in report.dumpdep.possible if not b.retained)
    if has_model(project, target):
        saving = estimate(project, target, cut if cut is not None else Cut.of(removed))
        others = report.dynlink.active if kind == "reflect" else report.reflect_blocker is not None
        note = ("Estimated on the linker's reachability replayed without what this change removes: "
                + ("another blocker remains, so method DCE stays off unless that one goes too (the combined "
                   "candidate measures both)." if others or unsure else "method DCE comes back."))
        return saving, "medium", note
    cut_bytes = size.removal_estimate(removed) if removes else 0
    rest = max(report.binary_bytes - cut_bytes, 0)
    if kind == "plugin":
        if report.reflect_blocker is not None:
            return (cut_bytes + int(rest * (DYNLINK_SHARE - REFLECT_SHARE)), "medium",
                    "A reflect blocker remains: this saves the unexported methods dynamic linking keeps; "
                    "the exported ones go when the reflect blocker goes too.")
        return (cut_bytes + int(rest * DYNLINK_SHARE), "medium",
                "This is the only blocker found: method DCE comes back.")
    if report.dynlink.active:
        return cut_bytes, "low", ("Dynamic linking (plugin) also blocks: this saves what it removes; method DCE "
                                  "comes back once plugin goes too (the combined candidate measures both).")
    if unsure:
        return cut_bytes, "low", (f"{unsure} more <ReflectMethod> symbol(s) may block after this one: the size "
                                  "drops only when the last is gone (the combined candidate measures it).")
    return cut_bytes + int(rest * REFLECT_SHARE), "medium", "This is the only blocker found: method DCE comes back."


def _chain_packages(graph: BuildGraph, chain: Sequence[str]) -> list[str]:
    """The packages of a symbol chain, in order, without repeats."""
    index = SymbolIndex.from_graph(graph)
    out: list[str] = []
    for sym in chain:
        p = index.package(sym)
        if p and p not in out and p != "runtime":
            out.append(p)
    return out


def _fix(kind: str, blocker: str, proposal: Proposal, graph: BuildGraph, pkg: str | None = None,
         report: DceReport | None = None, upgrade_to: str | None = None) -> BlockerFix:
    module = version = None
    p = graph.packages.get(pkg) if pkg else None
    if p is not None and not p.editable and not p.standard and p.module:
        module = p.module
        version = report.modules.get(module) if report else None
    return BlockerFix(kind, blocker, proposal, module, version, upgrade_to)


# ---------------------------------------------------------------------------------------------
# reflect blockers


def _reflect_blocker(project: Project, target: Target, graph: BuildGraph, report: DceReport,
                     root: Blocker) -> BlockerFix:
    chain_pkgs = _chain_packages(graph, root.chain)
    culprit = _culprit(graph, chain_pkgs)
    # A toolchain x dependency problem is named as such, whatever else applies.
    for tp in toolchain_problems():
        if tp.matches(project.go_of(target).version, dict(report.modules), root.chain):
            return _fix("reflect", root.symbol, _toolchain_refusal(project, target, report, tp, root), graph,
                        _module_package(graph, tp.module), report, upgrade_to=tp.fixed_in)
    refusals: list[str] = []
    for sw, ok, why in _matching_switches(project, graph, report, root.chain, chain_pkgs):
        if ok:
            return _fix("reflect", root.symbol, _switch_proposal(project, target, report, sw, root.symbol), graph,
                        culprit, report)
        refusals.append(why)
    main_pkgs = [p for p in chain_pkgs if graph.packages[p].editable]
    fr = frames(project, graph, root)
    if any(p in TEMPLATE_PACKAGES for p in chain_pkgs) and main_pkgs and _template_user(graph, chain_pkgs):
        return _fix("reflect", root.symbol, _template_fix(project, target, graph, report, root, fr), graph)
    if culprit and graph.packages[culprit].editable:
        return _fix("reflect", root.symbol, _reflect_call_fix(project, target, graph, report, root, fr, culprit),
                    graph)
    dep = _template_library(graph, root)
    if dep is not None:
        return _fix("reflect", root.symbol, _template_dep_patch(project, target, graph, report, root, dep, refusals),
                    graph, dep.package, report)
    caller = _template_caller(graph, chain_pkgs)
    if caller is not None:
        return _fix("reflect", root.symbol, _template_rewrite_patch(project, target, graph, report, root, caller,
                                                                    chain_pkgs, refusals), graph, caller, report)
    pkg = graph.packages.get(culprit) if culprit else None
    patch_refused = None
    if pkg is not None and not pkg.standard and pkg.module and pkg.module_dir:
        found = _dispatch_patch(project, target, report, root, pkg, refusals)
        if isinstance(found, Candidate):
            return _fix("reflect", root.symbol, found, graph, culprit, report)
        patch_refused = found
    return _fix("reflect", root.symbol, _explain(project, target, graph, report, root, chain_pkgs, refusals,
                                                 patch_refused), graph, culprit, report)


def _culprit(graph: BuildGraph, chain_pkgs: Sequence[str]) -> str | None:
    """The last package of the chain that is not reflect itself."""
    for p in reversed(chain_pkgs):
        if p != "reflect":
            return p
    return None


def _template_user(graph: BuildGraph, chain_pkgs: Sequence[str]) -> bool:
    """True when the package calling into text/template or html/template on the chain is the module's."""
    for a, b in zip(chain_pkgs, chain_pkgs[1:], strict=False):
        if b in TEMPLATE_PACKAGES and a not in TEMPLATE_PACKAGES:
            return graph.packages[a].editable
    return False


def _module_package(graph: BuildGraph, module: str) -> str | None:
    for p, pkg in graph.packages.items():
        if pkg.module == module:
            return p
    return None


def _toolchain_refusal(project: Project, target: Target, report: DceReport, tp: ToolchainProblem,
                       root: Blocker) -> Refusal:
    version = report.modules.get(tp.module, "?")
    go = project.go_of(target).version_text
    return Refusal(
        NAME, (target,),
        f"{target.name}: {root.symbol} disables method DCE: Go {go} x {tp.module} {version} (toolchain and "
        "dependency, not your code)",
        f"{tp.explanation}\nFix: upgrade {tp.module} to {tp.fixed_in} or later (`go get {tp.module}@{tp.fixed_in}`; "
        f"the DCE loop of `gotrim suggest` tries it and measures), or build with Go "
        f"{tp.go_min[0]}.{tp.go_min[1] - 1}" + (f" or {tp.go_fixed}+" if tp.go_fixed else "") +
        f".\nSource: {tp.source}")


def _matching_switches(project: Project, graph: BuildGraph, report: DceReport, chain: Sequence[str],
                       chain_pkgs: Sequence[str]) -> Iterator[tuple[Switch, bool, str]]:
    """Catalogue switches whose module is linked and whose removal takes the chain apart, each with
    whether the module's source at the build's version has the tag (and why not)."""
    modules = set(report.modules) | {graph.packages[p].module or "" for p in chain_pkgs} - {""}
    if graph.root in graph.packages and graph.packages[graph.root].module:
        modules.add(graph.packages[graph.root].module or "")
    for sw in switches_for(sorted(modules)):
        hit = any(sym.startswith(prefix) for sym in chain for prefix in sw.symbols)
        if not hit:
            cuts = [c for c in sw.cuts if c[0] in graph.packages and c[1] in graph.packages]
            hit = bool(cuts) and any(p in graph.removed_by(cuts) for p in chain_pkgs)
        if not hit:
            continue
        ok, why = _switch_in_source(project, graph, report, sw)
        yield sw, ok, why


def _switch_in_source(project: Project, graph: BuildGraph, report: DceReport, sw: Switch) -> tuple[bool, str]:
    """Whether the tag exists in the module's source at the version built (released, in range, and a
    file of the packages it concerns names it in its build constraint)."""
    version = report.modules.get(sw.module, "")
    if not sw.released:
        return False, (f"the tag {sw.tag} of {sw.module} is not released ({sw.source}); "
                       "options: vendor a patched copy, or avoid the call path")
    if version and not sw.version_ok(version):
        rng = f">= {sw.min_version}" + (f", < {sw.max_version}" if sw.max_version else "")
        return False, f"{sw.module} is {version}; the tag {sw.tag} exists in {rng} ({sw.source})"
    pkgs = [a for a, _ in sw.cuts if a in graph.packages]
    index = SymbolIndex.from_graph(graph)
    pkgs += [p for s in sw.symbols if (p := index.package(s)) and p in graph.packages]
    if not pkgs:
        pkgs = [p for p, pkg in graph.packages.items() if pkg.module == sw.module]
    for p in dict.fromkeys(pkgs):
        pkg = graph.packages[p]
        try:
            files = project.sources.package_files(pkg.dir, pkg.go_files + pkg.cgo_files + pkg.ignored_go_files)
        except (OSError, SourceError):
            continue
        if tag_in_files(sw.tag, files) is not None:
            return True, ""
    where = f"{sw.module} {version}".strip()
    also = f" (the catalogue knows it for {sw.catalogued_for})" if sw.catalogued_for else ""
    return False, f"no build constraint of {where} names the tag {sw.tag}{also}: this version does not have it"


def _switch_proposal(project: Project, target: Target, report: DceReport, sw: Switch, what: str) -> Proposal:
    version = report.modules.get(sw.module, "")
    summary = f"build {target.name} with -tags {sw.tag} ({sw.module})"
    changes = tag_config_changes(project, (target,), sw.tag)
    kind = "plugin" if "plugin" in sw.removes or what == "plugin" else "reflect"
    graph = project.graphs[target]
    removes = tuple(b for _, b in sw.cuts if b in graph.packages and b in graph.removed_by(
        [c for c in sw.cuts if c[0] in graph.packages and c[1] in graph.packages]))
    est, confidence, note = _estimate(project, target, report, kind, removes,
                                      switch_cut(graph, sw, graph.removed_by(cut_packages=list(removes))))
    also = f" (catalogued for {sw.catalogued_for}; its source at {version} has the tag)" if sw.catalogued_for else ""
    explanation = (f"{what} is reached through {sw.module} {version}{also}. The build tag {sw.tag} removes "
                   f"{sw.removes}.\nSource: {sw.source}\nChecked: {sw.verified or 'the module source names the tag'}"
                   f"\n{note}")
    return Candidate(
        id=candidate_id(NAME, f"{target}|tag|{sw.module}|{sw.tag}"), strategy=NAME, targets=(target,),
        summary=summary, explanation=explanation, estimated_bytes=est, confidence=confidence,
        plan=Plan(title=f"Build {target.name} with the {sw.tag} tag", changes=tuple(changes)),
        variant_tags=(sw.tag,), removes=removes,
        details=DceDetails(Fix.UPSTREAM_TAG, blocker=what, module=sw.module, version=version or None, tag=sw.tag,
                           source=sw.source),
    )


def _explain(project: Project, target: Target, graph: BuildGraph, report: DceReport, root: Blocker,
             chain_pkgs: Sequence[str], refusals: Sequence[str] = (), patch_refused: str | None = None) -> Refusal:
    """No fix: the call site and the options."""
    fr = frames(project, graph, root)
    mine = [f for f in fr if f.file]
    site = f" at {mine[-1].site} ({mine[-1].short})" if mine else ""
    culprit = _culprit(graph, chain_pkgs) or ""
    pkg = graph.packages.get(culprit)
    options = [
        "call the methods through a map[string]func or a switch instead of reflect",
        "or pass a constant name to MethodByName (the linker then keeps only methods of that name, Go >= 1.22)",
        "or guard the feature with a build tag when this binary does not need it (guard-with-tag)",
    ]
    if pkg is not None and not pkg.editable and not pkg.standard:
        version = report.modules.get(pkg.module or "", "")
        options.append(f"or ask {pkg.module} for a build tag (as grpc's grpcnotrace)")
        options.append(f"or a newer version of {pkg.module} than {version} (`gotrim suggest` tries the latest in a "
                       "scratch worktree)")
        options.append(_patch_option(pkg, root, patch_refused))
    reason = (f"{root.symbol} (reflect method lookup) reached from the entry point through "
              f"{' -> '.join(chain_pkgs)}. Options: " + "; ".join(options) + ".")
    if refusals:
        reason += " Catalogue: " + "; ".join(refusals) + "."
    return Refusal(NAME, (target,), f"{target.name}: {root.symbol} disables method DCE{site}", reason)


def _patch_option(pkg: Package, root: Blocker, refused: str | None = None) -> str:
    """A dependency patch, done by hand: gotrim writes one for plugin imports (_plugin_patch) and for a
    MethodByName whose callers pass constant names (_dispatch_patch); refused says why not here."""
    why = f"gotrim's constant-name dispatch does not apply: {refused}; " if refused else ""
    return (f"or a dependency patch ({why}by hand): a local copy of {pkg.module} wired by a replace directive, "
            f"with {root.symbol.rsplit('.', 1)[0]}'s reflect lookup rewritten or behind a build tag, and an "
            "upstream-ready patch")


# ---------------------------------------------------------------------------------------------
# a dependency's template (refactor.tmpldep): its default texts compiled to Go in a dependency patch


def _template_library(graph: BuildGraph, root: Blocker) -> TemplateLibrary | None:
    """The profiled template library whose executing function is on the chain, from the module proxy."""
    from refactor.tmpldep import libraries

    for lib in libraries():
        pkg = graph.packages.get(lib.package)
        if pkg is not None and not pkg.editable and pkg.module_dir and any(
                s == lib.symbol or s.startswith(lib.symbol + ".") for s in root.chain):
            return lib
    return None


def _template_dep_patch(project: Project, target: Target, graph: BuildGraph, report: DceReport, root: Blocker,
                        lib: TemplateLibrary, refusals: Sequence[str]) -> Proposal:
    """The library copied into the repository with its default texts compiled to Go (tmplgen) and
    text/template behind a tag; a refusal naming the program's own template, or why no patch."""
    from refactor.deppatch import NotPatchable, patch_plan, tag_for
    from refactor.tmpldep import NotCompilable, customizations, patch_files

    pkg = graph.packages[lib.package]
    module = pkg.module or lib.module
    version = report.modules.get(module, "")
    summary = f"{target.name}: {root.symbol} disables method DCE through {lib.symbol} ({module} {version})".rstrip()
    why = (f"{lib.symbol} executes its texts with text/template, whose reflect method lookup ({root.symbol}) keeps "
           "every exported method of every type in the binary.")
    custom = customizations(project, target, lib)
    if custom:
        shown = "; ".join(custom[:5]) + (f" and {len(custom) - 5} more" if len(custom) > 5 else "")
        return Refusal(NAME, (target,), summary + ": the program gives a template of its own",
                       f"{why} The program gives {lib.package} a text or template functions of its own ({shown}): "
                       "that template is the program's choice and keeps text/template's evaluator; render that "
                       "help with Go code instead, then gotrim compiles the library's default texts in a "
                       "dependency patch.")
    view = _view(project, target)
    tag = tag_for(module, "templates")
    try:
        if view is None:
            raise NotCompilable("the type-checked view was not loaded: the default texts cannot be compiled")
        changes = patch_files(project, lib, pkg.module_dir or "", view.compiled, tag)
        est, confidence, note = _estimate(project, target, report, "reflect",
                                          cut=Cut.of(unflag=[p for p in TEMPLATE_PACKAGES if p in graph.packages]))
        texts = [t.var for t in lib.texts]
        files, patch = patch_plan(
            project, module=module, module_dir=pkg.module_dir or "", changes=changes, tag=tag, targets=[target],
            subject=f"Build tag {tag}: render the default {lib.template} texts with Go, leave text/template out",
            body=_message(
                f"{lib.symbol} runs every {lib.template} text through text/template. Its evaluator looks methods "
                "up by name (reflect.Value.MethodByName), which switches off the Go linker's method dead-code "
                f"elimination in every program that can print its {lib.template}: every exported method of every "
                f"type stays in the binary. The default texts ({', '.join(texts)}) are now rendered by Go code "
                "generated from them (gotrim's tmplgen: the same bytes, checked against text/template); any other "
                f"text, or custom template functions, still go to text/template. With -tags {tag}, text/template "
                "is left out: a custom template then reports an error. As spf13/cobra did in v1.9.0 "
                "(spf13/cobra#1956)." + (f" See {lib.source}." if lib.source else "")),
            figures=_template_figures(est, target))
    except (NotCompilable, NotPatchable, SourceError, EditError) as exc:
        return Refusal(NAME, (target,), summary,
                       _no_known_tag(why, module, refusals)
                       + f", and the dependency patch that compiles its default texts to Go is not possible: {exc}. "
                         f"Options: a newer version of {module} (`gotrim suggest` tries the latest); ask upstream "
                         f"({lib.source or 'the module'}) to render its default texts without text/template.")
    methods = sorted({m for c in view.compiled if c.package == lib.package for m in c.methods})
    return Candidate(
        id=candidate_id(NAME, f"{target}|tmpldep|{module}"), strategy=NAME, targets=(target,),
        summary=f"patch {module}@{patch.version} (copied to {patch.dest}): its default templates compiled to Go, "
                f"text/template behind !{tag}",
        explanation=(_no_known_tag(why, module, refusals)
                     + f", and the program gives it no template of its own. Dependency patch: {module}@"
                       f"{patch.version} is copied into {patch.dest} (every file, licence included); "
                       f"{', '.join(t.var + ' (' + t.data + ')' for t in lib.texts)} are compiled to Go by tmplgen "
                       f"in {lib.package}"
                     + (f" (method calls made direct: {', '.join(methods)})" if methods else "")
                     + f"; {lib.file} executes any other text with text/template in a file built without -tags "
                       f"{tag}; go.mod replaces the module with the copy, the targets build with the tag, and "
                       f"{patch.patch_path} holds the change against the module's own tree, to send upstream.\n"
                       f"{note}"),
        estimated_bytes=est, confidence=confidence,
        plan=Plan(title=f"Patch {module}@{patch.version}: default templates compiled to Go, build tag {tag}",
                  changes=tuple(files)),
        variant_tags=(tag,), trade_off="patch",
        details=DceDetails(Fix.TEMPLATE_REWRITE, blocker=root.symbol, package=lib.package, module=module,
                           version=patch.version, tag=tag, source=lib.source or None,
                           templates=tuple(f"{t.var} ({t.data})" for t in lib.texts), patch=patch),
    )


def _message(text: str) -> str:
    """A commit message's paragraph, wrapped at 72 columns as git's tools expect."""
    return textwrap.fill(text, 72, break_long_words=False, break_on_hyphens=False)


def _template_figures(est: int, target: Target) -> list[str]:
    """The patch message's figures: the estimate, or why there is none yet (another blocker remains)."""
    if est > 0:
        return [f"Estimated by gotrim: {est:,} bytes saved on {target.label}."]
    return [f"On {target.label}, another method-DCE blocker remains: the bytes drop once it goes too "
            "(gotrim's DCE loop measures every fix together)."]


def _template_caller(graph: BuildGraph, chain_pkgs: Sequence[str]) -> str | None:
    """The dependency's package (from the module cache) that calls into text/template or html/template on
    the chain, or None."""
    for a, b in zip(chain_pkgs, chain_pkgs[1:], strict=False):
        if b in TEMPLATE_PACKAGES and a not in TEMPLATE_PACKAGES:
            pkg = graph.packages[a]
            return a if not pkg.editable and not pkg.standard and pkg.module and pkg.module_dir else None
    return None


def _explained(project: Project, target: Target, graph: BuildGraph, report: DceReport, root: Blocker,
               chain_pkgs: Sequence[str], refusals: Sequence[str], more: str) -> Refusal:
    """_explain's refusal, with one more sentence."""
    r = _explain(project, target, graph, report, root, chain_pkgs, refusals)
    return dataclasses.replace(r, reason=f"{r.reason} {more}")


def _template_rewrite_patch(project: Project, target: Target, graph: BuildGraph, report: DceReport, root: Blocker,
                            caller: str, chain_pkgs: Sequence[str], refusals: Sequence[str]) -> Proposal:
    """A dependency's package whose every template the typed view compiles (constant texts, static data
    types): a dependency patch with the templates compiled to Go, as the module's own are; no build tag,
    since nothing is left out. Otherwise the explanation, with why not."""
    from refactor.deppatch import NotPatchable, patch_plan

    pkg = graph.packages[caller]
    module = pkg.module or ""
    view = _view(project, target)
    sites = list(view.dep_templates[caller].sites) if view is not None and caller in view.dep_templates else []
    why_not = ("the typed view did not read it" if view is None or caller not in view.dep_templates
               else "no template execution found in it" if not sites
               else "; ".join(f"{s.label}: {s.refusal or s.fallback}" for s in sites if not s.complete))
    if why_not:
        return _explained(project, target, graph, report, root, chain_pkgs, refusals,
                          f"{caller}'s templates are not compiled to Go in a dependency patch: {why_not}.")
    try:
        rw = rewrite(project, sites)
        changes: dict[str, bytes | None] = {}
        for c in rw.changes:
            if c.before is None and os.path.exists(c.path):
                raise NotPatchable(f"{c.path} exists in {module}: the generated file's name is taken")
            changes[c.path] = c.after
        est, confidence, note = _estimate(project, target, report, "reflect",
                                          cut=Cut.of(unflag=[p for p in TEMPLATE_PACKAGES if p in graph.packages]))
        names = [s.label.replace(pkg.module_dir or "", module) for s in sites]
        files, patch = patch_plan(
            project, module=module, module_dir=pkg.module_dir or "", changes=changes, tag=None, targets=[target],
            subject=f"{caller}: render its templates with Go code generated from them",
            body=_message(
                f"{caller} executes templates whose texts and data types are known statically "
                f"({', '.join(names)}). text/template's evaluator looks methods up by name "
                "(reflect.Value.MethodByName), which switches off the Go linker's method dead-code elimination "
                "in every program that reaches it: every exported method of every type stays in the binary. "
                "The templates are now Go code generated from them (gotrim's tmplgen: the same bytes, checked "
                "against text/template and html/template), so programs using this package keep method DCE."),
            figures=_template_figures(est, target))
    except (NotPatchable, SourceError, EditError) as exc:
        return _explained(project, target, graph, report, root, chain_pkgs, refusals,
                          f"The dependency patch compiling {caller}'s templates to Go is not possible: {exc}.")
    return Candidate(
        id=candidate_id(NAME, f"{target}|tmplpatch|{caller}"), strategy=NAME, targets=(target,),
        summary=f"patch {module}@{patch.version} (copied to {patch.dest}): {caller}'s "
                f"{len(sites)} template{'s' if len(sites) != 1 else ''} compiled to Go",
        explanation=(f"{root.symbol} (text/template's reflect method lookup) is reached through {caller} "
                     f"({module} {patch.version}), whose templates all have constant texts and static data types. "
                     + (f"No known build tag removes it ({'; '.join(refusals)}). " if refusals else "")
                     + f"Dependency patch: {module}@{patch.version} is copied into {patch.dest} (every file, licence "
                       f"included) with {', '.join(names)} compiled to Go by tmplgen (the same bytes; no build tag: "
                       f"nothing is left out); go.mod replaces the module with the copy, and {patch.patch_path} holds "
                       f"the change against the module's own tree, to send upstream.\n{note}"),
        estimated_bytes=est, confidence=confidence,
        plan=Plan(title=f"Patch {module}@{patch.version}: {caller}'s templates compiled to Go", changes=tuple(files)),
        trade_off="patch",
        details=DceDetails(Fix.TEMPLATE_REWRITE, blocker=root.symbol, package=caller, module=module,
                           version=patch.version, templates=tuple(names), patch=patch),
    )


# ---------------------------------------------------------------------------------------------
# the module's templates: compiled to Go (tmplgen), or the method-free fork


def _view(project: Project, target: Target) -> TypedView | None:
    return project.typed.get(target) if Needs.TYPED in project.needs else None


def _target_sites(project: Project, target: Target, view: TypedView) -> list[TemplateSite]:
    """The template sites of the target's main-module packages."""
    graph = project.graphs[target]
    return [s for p, s in view.template_sites() if p in graph.packages and graph.packages[p].editable
            and not _in_dependency_copy(project, s.file)]


def _in_dependency_copy(project: Project, file: str) -> bool:
    """A file of a dependency that a dependency patch copied (third_party/<module>/ beside its .patch):
    the copy holds the patch's change only, so the module's own template fixes leave it alone."""
    from refactor.deppatch import THIRD_PARTY

    parts = file.split("/")
    for i, part in enumerate(parts[:-1]):
        if part == THIRD_PARTY:
            for j in range(i + 2, len(parts)):
                if (project.root / ("/".join(parts[:j]) + ".patch")).is_file():
                    return True
    return False


def _on_chain(project: Project, fr: Sequence[Frame], sites: Sequence[TemplateSite]) -> list[TemplateSite]:
    """Sites with an execution inside a function of the chain (its frames in the module)."""
    ranges: list[tuple[str, int, int]] = []
    for f in fr:
        if not f.file or f.line is None:
            continue
        try:
            gf = project.sources.file(f.file)
        except (OSError, SourceError):
            continue
        for d in gf.decls:
            if d.line == f.line and d.kind in ("func", "method", "init", "var"):
                ranges.append((f.file, d.start, d.end))
    out = []
    for s in sites:
        if any(x.file == file and a <= x.start < b for x in s.executions for file, a, b in ranges):
            out.append(s)
    return out


def _template_fix(project: Project, target: Target, graph: BuildGraph, report: DceReport, root: Blocker,
                  fr: Sequence[Frame]) -> Proposal:
    view = _view(project, target)
    summary = f"{target.name}: templates of the module keep method DCE off"
    if view is None:
        return Refusal(NAME, (target,), summary, "the type-checked view of the module's packages was not loaded "
                       "(or go list -export failed): templates cannot be compiled to Go without it")
    sites = _target_sites(project, target, view)
    if not sites:
        return Refusal(NAME, (target,), summary, f"{root.symbol} is reached from the module's code, but no template "
                       "execution of its packages was found")
    rewritable = [s for s in sites if s.rewritable]
    chain_sites = _on_chain(project, fr, sites)
    # A site with a fallback (a function that also parses a text given at run time) is compiled for
    # its constant texts, and its template left for the rest needs the fork.
    blocked = [s for s in chain_sites if not s.complete]
    if rewritable and not blocked and not any(s.fallback for s in rewritable):
        return _rewrite_candidate(project, target, graph, report, root, rewritable, sites)
    return _fork_candidate(project, target, graph, report, root, view, sites, rewritable)


def _removed_template_packages(project: Project, graph: BuildGraph, changes: Sequence[FileChange]) -> tuple[str, ...]:
    """The template packages no package of the graph imports once the changes are made (and what only
    they bring)."""
    after = {c.path: c.after for c in changes}
    cuts: list[tuple[str, str]] = []
    for tpl in TEMPLATE_PACKAGES:
        if tpl not in graph.packages:
            continue
        importers = [p for p in graph.packages.values() if tpl in p.imports]
        if not importers or any(not p.editable for p in importers):
            continue
        still = False
        for p in importers:
            for rel in project.files_of(p):
                src = after[rel] if rel in after else project.sources.file(rel).src
                if src is not None and f'"{p.source_path(tpl)}"'.encode() in src:
                    still = True
        if not still:
            cuts.extend((p.import_path, tpl) for p in importers)
    if not cuts:
        return ()
    return tuple(sorted(graph.removed_by(cuts)))


def _rewrite_candidate(project: Project, target: Target, graph: BuildGraph, report: DceReport, root: Blocker,
                       rewritable: Sequence[TemplateSite], sites: Sequence[TemplateSite]) -> Proposal:
    try:
        rw = rewrite(project, rewritable)
    except (EditError, SourceError) as exc:
        return Refusal(NAME, (target,), f"{target.name}: templates not rewritten", str(exc))
    removes = _removed_template_packages(project, graph, rw.changes)
    est, confidence, note = _estimate(project, target, report, "reflect", removes)
    names = [s.label for s in rewritable]
    left = [s for s in sites if not s.rewritable]
    lines = [f"{root.symbol} (text/template's reflect method lookup) is reached from the module's templates. "
             f"Each is compiled to plain Go that writes the same bytes (tmplgen: checked against "
             f"text/template and html/template on generated data): {', '.join(names)}."]
    files = [s for s in rewritable if s.source == "file"]
    if files:
        lines.append("Files read at run time by ParseFiles/ParseGlob are compiled in: " +
                     ", ".join(f for s in files for f in s.files) + " (edit them, then run gotrim again).")
    methods = sorted({m.action for s in rewritable for m in s.methods})
    if methods:
        shown = ", ".join(methods[:12]) + (f" and {len(methods) - 12} more" if len(methods) > 12 else "")
        lines.append(f"Actions that may call methods (compiled to direct calls): {shown}.")
    if left:
        lines.append("Not rewritten (not on the blocker's chain): " +
                     "; ".join(f"{s.label}: {s.refusal}" for s in left) + ".")
    if removes:
        lines.append("Packages no longer linked: " + ", ".join(removes) + ".")
    lines.append(note)
    key = "|".join(sorted(s.where for s in rewritable))
    return Candidate(
        id=candidate_id(NAME, f"{target}|templates|{key}"), strategy=NAME, targets=(target,),
        summary=f"compile {len(rewritable)} template{'s' if len(rewritable) != 1 else ''} of {target.name} to Go "
                f"({', '.join(dict.fromkeys(s.library for s in rewritable))})",
        explanation="\n".join(lines), estimated_bytes=est, confidence=confidence,
        plan=Plan(title=f"Compile the templates of {target.name} to Go: method DCE back on", changes=rw.changes),
        removes=removes,
        details=DceDetails(Fix.TEMPLATE_REWRITE, blocker=root.symbol,
                           package=_package_of(project, graph, rewritable[0].file), templates=tuple(names)),
    )


def _package_of(project: Project, graph: BuildGraph, file: str) -> str | None:
    """The main-module package of the graph that compiles file."""
    for p, pkg in graph.packages.items():
        if pkg.editable and file in project.files_of(pkg):
            return p
    return None


def _fork_candidate(project: Project, target: Target, graph: BuildGraph, report: DceReport, root: Blocker,
                    view: TypedView, sites: Sequence[TemplateSite], rewritable: Sequence[TemplateSite]) -> Proposal:
    """Rewrite what compiles to Go, fork text/template (without method calls) for the rest."""
    from refactor.tmplfork import DEFAULT_DEST, ForkError, fork_plan_at, repoint_file, toolchain_at

    summary = f"{target.name}: method-free copy of text/template for templates that cannot be compiled to Go"
    forked = [s for s in sites if not s.complete]
    # the methods of a fallback site's constant texts are compiled to direct calls: not the fork's
    calling = [(s, m) for s in forked if not s.rewritable for m in s.methods]
    if calling:
        return Refusal(NAME, (target,), summary,
                       "the method-free fork would break templates that call methods: " + "; ".join(
                           f"{m.action} at {m.pos} ({s.label}; a method of {', '.join(m.types)})"
                           for s, m in calling) +
                       ". Not compiled to Go because: " +
                       "; ".join(f"{s.label}: {s.refusal or s.fallback}" for s in forked))
    try:
        rw = rewrite(project, rewritable) if rewritable else Rewrite((), (), (), ())
        module = project.module_of(target)
        after = {c.path: c.after for c in rw.changes}
        html = False
        texts: dict[str, bytes] = {}
        # the target's module only (Plan paths are relative to the repository's top)
        mod_rel = project.sources.module_dir(project.sources.rel(module.dir)) or ""
        prefix = f"{mod_rel}/" if mod_rel else ""
        for rel in dict.fromkeys(posixpath.normpath(f) for f in project.sources.files):
            if (project.sources.module_dir(rel) or "") != mod_rel or rel.startswith(prefix + DEFAULT_DEST + "/"):
                continue
            src = after[rel] if rel in after else project.sources.file(rel).src
            if src is None or (b'"text/template' not in src and b'"html/template"' not in src):
                continue
            texts[rel] = src
            html = html or b'"html/template"' in src
        tc = toolchain_at(view.goroot, view.toolchain)
        fork = [dataclasses.replace(c, path=prefix + c.path)
                for c in fork_plan_at(tc, module.dir, module.path, html=html)]
        repointed: list[FileChange] = []
        for rel, src in sorted(texts.items()):
            new = repoint_file(rel, src, module.path, html=html)
            if new is None:
                continue
            before = project.sources.file(rel).src
            repointed.append(FileChange(rel, before, new))
        done = {c.path for c in repointed}
        changes = tuple(c for c in rw.changes if c.path not in done) + tuple(repointed) + tuple(fork)
    except (ForkError, EditError, SourceError, GotrimError) as exc:
        return Refusal(NAME, (target,), summary, str(exc))
    # the fork replaces the templates' packages: their method lookups go, the rest stays about the same
    est, confidence, note = _estimate(project, target, report, "reflect",
                                      cut=Cut.of(unflag=[p for p in TEMPLATE_PACKAGES if p in graph.packages]))
    unknown = [f"{s.label}: {s.methods_unknown}" for s in forked if s.methods_unknown]
    risk = ("templates not checked for method calls (a call fails at run time with the fork): " +
            "; ".join(s.label for s in forked if s.methods_unknown)) if unknown else None
    lines = [f"{root.symbol} (text/template's reflect method lookup) is reached from templates that cannot be "
             "compiled to Go: " + "; ".join(f"{s.label}: {s.refusal or 'a text given at run time'}" for s in forked)
             + ".",
             f"The fork copies {tc.version}'s text/template" + (" and html/template" if html else "") +
             f" into {DEFAULT_DEST} (Go's licence kept) without the evaluator's method lookup: fields and map keys "
             "work as before; a template that calls a method fails with an error naming it."]
    if unknown:
        lines.append("Not checkable for method calls (the text or the data is not known statically): " +
                     "; ".join(unknown) + ". A template given at run time that calls a method now fails with "
                     "an error naming it.")
    if any(s.complete for s in rewritable):
        lines.append("Compiled to Go as well: " + ", ".join(s.label for s in rewritable if s.complete) + ".")
    partial = [s for s in rewritable if s.fallback]
    if partial:
        lines.append("Compiled to Go for their constant texts, the template kept (and run by the fork) only where "
                     "the text is given at run time: " + "; ".join(f"{s.label}: {s.fallback}" for s in partial) + ".")
        methods = sorted({m.action for s in partial for m in s.methods})
        if methods:
            lines.append("Their constant texts call methods (compiled to direct calls, not run by the fork): " +
                         ", ".join(methods) + ".")
    lines.append(note)
    key = "|".join(sorted(s.where for s in sites))
    return Candidate(
        id=candidate_id(NAME, f"{target}|fork|{key}"), strategy=NAME, targets=(target,),
        summary=f"use a method-free copy of text/template in {target.name}'s module"
                + (f" (and compile {len(rewritable)} template(s) to Go)" if rewritable else ""),
        explanation="\n".join(lines), estimated_bytes=est, confidence="low" if unknown else confidence,
        plan=Plan(title=f"Method-free copy of text/template for {target.name}: method DCE back on", changes=changes),
        details=DceDetails(Fix.TEMPLATE_FORK, blocker=root.symbol, templates=tuple(s.label for s in sites), risk=risk),
    )


# ---------------------------------------------------------------------------------------------
# the module's reflect method lookups (Method, MethodByName with a computed name, Methods)


def _reflect_call_fix(project: Project, target: Target, graph: BuildGraph, report: DceReport, root: Blocker,
                      fr: Sequence[Frame], culprit: str) -> Proposal:
    """A table of the value's methods (the typed view knows its type); else, when every caller passes a
    constant name, a switch over those names (refactor.namedispatch); else a refusal with both reasons."""
    table = _reflect_table(project, target, graph, report, root, fr, culprit)
    if isinstance(table, Candidate):
        return table
    try:
        d = _dispatch_of(project, graph, root, graph.packages[culprit])
    except NotDispatchable as exc:
        return dataclasses.replace(table, reason=f"{table.reason.rstrip('.')}. Constant-name dispatch: {exc}.")
    est, confidence, note = _dispatch_estimate(project, target, report, root, graph.packages[culprit])
    path = project.sources.rel(d.path)
    return Candidate(
        id=candidate_id(NAME, f"{target}|dispatch|{root.symbol}"), strategy=NAME, targets=(target,),
        summary=f"look methods up by constant names in {d.func} ({culprit}): a switch over {len(d.names)} name(s)",
        explanation=f"{_dispatch_text(d)}\n{note}", estimated_bytes=est, confidence=confidence,
        plan=Plan(title=f"Look methods up by constant names in {d.func}",
                  changes=(FileChange(path, d.before, d.after),)),
        details=DceDetails(Fix.NAME_DISPATCH, blocker=root.symbol, package=culprit, names=d.names),
    )


def _reflect_table(project: Project, target: Target, graph: BuildGraph, report: DceReport, root: Blocker,
                   fr: Sequence[Frame], culprit: str) -> Proposal:
    view = _view(project, target)
    calls: list[ReflectCall] = []
    if view is not None and culprit in view.templates:
        calls = list(view.templates[culprit].reflect_calls)
    mine = [f for f in fr if f.file and f.package == culprit]
    on_chain = [c for c in calls if any(c.file == f.file for f in mine)] or calls
    summary = f"{target.name}: {root.symbol} disables method DCE"
    if not on_chain:
        return _explain(project, target, graph, report, root, _chain_packages(graph, root.chain))
    open_calls = [c for c in on_chain if not c.closed]
    if open_calls:
        return Refusal(NAME, (target,), summary + f" at {open_calls[0].where}",
                       "; ".join(f"{c.call} at {c.where} (in {c.func or 'package init'}): {c.reason}"
                                 for c in open_calls) +
                       ". Options: call the methods through a map[string]func or a switch; or pass a constant "
                       "name to MethodByName (the linker then keeps only methods of that name).")
    try:
        rw = rewrite(project, (), on_chain)
    except (EditError, SourceError) as exc:
        return Refusal(NAME, (target,), summary, str(exc))
    # the rewritten function stays, without its lookup by a computed name
    decl = symbol_decl(root.symbol, culprit)
    est, confidence, note = _estimate(project, target, report, "reflect",
                                      cut=Cut.of(unflag=[f"{culprit}\t{decl}" if decl else culprit]))
    return Candidate(
        id=candidate_id(NAME, f"{target}|table|{'|'.join(c.where for c in on_chain)}"), strategy=NAME,
        targets=(target,),
        summary=f"replace {len(on_chain)} reflect method lookup(s) of {culprit} by a table of the methods",
        explanation="\n".join(
            [f"{c.call} at {c.where} looks a method up by a name known at run time; the value's type is known, so "
             f"a switch over its exported methods ({', '.join(c.methods) or 'none'}) returns the same method value "
             "(reflect.ValueOf(x.M)) without reflect's lookup." for c in on_chain] + [note]),
        estimated_bytes=est, confidence=confidence,
        plan=Plan(title=f"Replace reflect method lookups in {culprit} by a table", changes=rw.changes),
        details=DceDetails(Fix.REFLECT_TABLE, blocker=root.symbol, package=culprit),
    )


# ---------------------------------------------------------------------------------------------
# constant-name dispatch (refactor.namedispatch): own code, or a dependency patch


def _dispatch_of(project: Project, graph: BuildGraph, root: Blocker, pkg: Package) -> Dispatch:
    """The rewrite of the blocker's lookup, references searched in every package the targets link."""
    index = SymbolIndex.from_graph(graph)
    home = graph.packages.get(index.package(root.symbol) or "", pkg)
    linked = {p.import_path: p for g in project.graphs.values() for p in g.packages.values()}
    return dispatch(project, home, root.symbol, list(linked.values()))


def _dispatch_estimate(project: Project, target: Target, report: DceReport, root: Blocker,
                       pkg: Package) -> tuple[int, str, str]:
    """The function stays, without its lookup by a computed name. The reachability model knows the
    declarations of the module's packages; a dependency's functions are units of their package."""
    decl = symbol_decl(root.symbol, pkg.import_path) if pkg.editable else ""
    unit = f"{pkg.import_path}\t{decl}" if decl else pkg.import_path
    return _estimate(project, target, report, "reflect", cut=Cut.of(unflag=[unit]))


def _dispatch_text(d: Dispatch) -> str:
    via = f" (through {', '.join(d.wrappers)})" if d.wrappers else ""
    return (f"{d.func} calls MethodByName with a computed name at {', '.join(d.sites)}, which keeps every exported "
            f"method of every type in the binary. Every call of it{via} in the packages the binaries link passes a "
            f"constant ({d.calls} calls): {', '.join(d.names)}. The lookup becomes {d.helper}(v, name), a switch "
            "over exactly those names, each case a MethodByName with a constant (the linker then keeps only "
            "methods of those names); a name outside the set cannot reach it, and MethodByName of a name the "
            "type lacks returns the zero Value as before.")


def _dispatch_patch(project: Project, target: Target, report: DceReport, root: Blocker, pkg: Package,
                    refusals: Sequence[str]) -> Candidate | str:
    """A dependency's MethodByName with a computed name whose callers all pass constants: the switch as a
    dependency patch (no build tag: the change keeps every feature); why not, as text, otherwise."""
    module = pkg.module or ""
    try:
        d = _dispatch_of(project, project.graphs[target], root, pkg)
        est, confidence, note = _dispatch_estimate(project, target, report, root, pkg)
        exported = [f for f in (*reversed(d.wrappers), d.func) if f.rsplit(".", 1)[-1][:1].isupper()]
        also = (f"; {' and '.join(exported)} {'is' if len(exported) == 1 else 'are'} exported, so code outside "
                "this build may pass other names: upstream, the set of names becomes part of the API (document "
                "it, or give other names another way in)." if exported else ".")
        body = textwrap.fill(
            f"{d.func} calls reflect.Value.MethodByName with a name known only at run time. The Go compiler then "
            "marks it REFLECTMETHOD, and a binary that reaches it keeps every exported method of every type "
            "converted to an interface: the linker's method dead-code elimination is off for the whole binary. "
            f"In the packages {target.name} links, every caller passes a constant ({', '.join(d.names)}), so "
            f"{d.helper} switches over those names and calls MethodByName with each constant: the linker keeps "
            "only methods of these names, and the behaviour is the same (a name a type lacks gives the zero Value "
            f"as before). A new caller with another name needs a case{also}", 72, break_long_words=False,
            break_on_hyphens=False)
        files, patch = patch_plan(
            project, module=module, module_dir=pkg.module_dir or "", changes={d.path: d.after}, tag=None,
            targets=[target], subject=f"Look methods up by constant names in {d.func}",
            body=body,
            figures=[f"Estimated by gotrim: {est:,} bytes saved on {target.label}."])
    except (NotDispatchable, NotPatchable, SourceError, EditError) as exc:
        return str(exc)
    cat = f" No known build tag of {module} removes it ({'; '.join(refusals)})." if refusals else ""
    return Candidate(
        id=candidate_id(NAME, f"{target}|dispatch|{root.symbol}|patch"), strategy=NAME, targets=(target,),
        summary=f"patch {module}@{patch.version} (copied to {patch.dest}): {d.func} looks methods up by "
                f"{len(d.names)} constant name(s)",
        explanation=(f"{_dispatch_text(d)}{cat}\nDependency patch: {module}@{patch.version} is copied into "
                     f"{patch.dest} (every file, licence included) with that change, go.mod replaces the module "
                     f"with the copy, and {patch.patch_path} holds the same change against the module's own tree, "
                     f"with a commit message stating the bytes, to send upstream. No build tag: every feature "
                     f"stays.\n{note}"),
        estimated_bytes=est, confidence=confidence,
        plan=Plan(title=f"Patch {module}@{patch.version}: look methods up by constant names in {d.func}",
                  changes=tuple(files)),
        trade_off="patch",
        details=DceDetails(Fix.NAME_DISPATCH, blocker=root.symbol, package=pkg.import_path, module=module,
                           version=patch.version, names=d.names, patch=patch),
    )


# ---------------------------------------------------------------------------------------------
# plugin


def _plugin_blocker(project: Project, target: Target, graph: BuildGraph, report: DceReport) -> BlockerFix:
    chain = list(report.dynlink.chain)
    importer = chain[-2] if len(chain) >= 2 else None
    refusals = []
    for sw, ok, why in _matching_switches(project, graph, report, (), chain):
        if ok:
            return _fix("plugin", "plugin", _switch_proposal(project, target, report, sw, "plugin"), graph,
                        importer, report)
        refusals.append(why)
    pkg = graph.packages.get(importer) if importer else None
    if pkg is not None and not pkg.editable and pkg.module and pkg.module_dir:
        return _fix("plugin", "plugin", _plugin_patch(project, target, report, pkg, chain, refusals), graph,
                    importer, report)
    if pkg is None or not pkg.editable:
        return _fix("plugin", "plugin", Refusal(
            NAME, (target,), f"{target.name}: plugin linked through {importer}",
            f"{' -> '.join(chain)}: with cgo on, linking plugin puts the linker in dynamic-linking mode (every "
            "method of every type is kept). The import is not in a module gotrim can change or copy. Options: "
            "build with CGO_ENABLED=0 (plugin then has no effect); ask upstream for a tag (as containerd's "
            f"{PLUGIN_TAG})."), graph, importer, report)
    # every package of the repository that imports plugin, in one change: guarding one leaves the binary
    # in dynamic-linking mode through the next (gotify: plugin and plugin/compat)
    also = [graph.packages[p] for p in sorted(graph.importers("plugin"))
            if p != pkg.import_path and graph.packages[p].editable]
    changes: list[FileChange] = []
    for one in [pkg, *also]:
        try:
            changes += guard_import(project, one, "plugin", PLUGIN_TAG, feature="dynamic plugins",
                                    message=f"dynamic plugins are not supported: built with -tags {PLUGIN_TAG}",
                                    err_name="errNoDynamicPlugins")
        except (SourceError, EditError, Unguardable) as exc:
            return _fix("plugin", "plugin", Refusal(NAME, (target,),
                                                    f"{target.name}: plugin import of {one.import_path} not guarded",
                                                    str(exc)), graph)
    est, confidence, note = _estimate(project, target, report, "plugin", ("plugin",))
    files = ", ".join(c.path for c in changes)
    cat = f" (the catalogue's tag does not apply: {'; '.join(refusals)})" if refusals else ""
    return _fix("plugin", "plugin", Candidate(
        id=candidate_id(NAME, f"{target}|plugin|{pkg.import_path}"), strategy=NAME, targets=(target,),
        summary=f"guard {' and '.join(p.import_path for p in [pkg, *also])}'s import of plugin with !{PLUGIN_TAG}",
        explanation=(f"{' -> '.join(chain)}: with cgo on, linking plugin puts the linker in dynamic-linking mode, "
                     "which keeps every method (even unexported) of every reachable type. Building with -tags "
                     f"{PLUGIN_TAG} drops the import; the stub returns an error from the plugin-loading functions. "
                     f"Files: {files}{cat}.\n{note}"),
        estimated_bytes=est, confidence=confidence,
        plan=Plan(title=f"Guard the plugin import of {pkg.import_path} with a build tag",
                  changes=tuple([*changes, *tag_config_changes(project, (target,), PLUGIN_TAG)])),
        removes=("plugin",), variant_tags=(PLUGIN_TAG,),
        details=DceDetails(Fix.PLUGIN_GUARD, blocker="plugin", package=pkg.import_path, tag=PLUGIN_TAG),
    ), graph)


def _no_known_tag(why: str, module: str, refusals: Sequence[str], what: str = "it") -> str:
    """A dependency patch's first sentences: why the blocker matters, and that no catalogued tag of the
    module removes it (with the catalogue's reasons)."""
    return f"{why} No known build tag of {module} removes {what}" + (f" ({'; '.join(refusals)})" if refusals else "")


def _plugin_patch(project: Project, target: Target, report: DceReport, pkg: Package, chain: Sequence[str],
                  refusals: Sequence[str]) -> Proposal:
    """plugin imported by a module from the proxy that no known tag switches off: a dependency patch (the
    module copied into the repository with its plugin import guarded, as in the module's own code, and
    the patch to send upstream); a refusal naming the options when the module cannot be copied."""
    module = pkg.module or ""
    summary = f"{target.name}: plugin linked through {pkg.import_path} ({module})"
    why = (f"{' -> '.join(chain)}: with cgo on, linking plugin puts the linker in dynamic-linking mode, which keeps "
           "every method (even unexported) of every reachable type.")
    try:
        guarded = guard_import(project, pkg, "plugin", PLUGIN_TAG, feature="dynamic plugins",
                               message=f"dynamic plugins are not supported: built with -tags {PLUGIN_TAG}",
                               err_name="errNoDynamicPlugins")
        est, confidence, note = _estimate(project, target, report, "plugin", ("plugin",))
        files, patch = patch_plan(
            project, module=module, module_dir=pkg.module_dir or "", changes={c.path: c.after for c in guarded},
            tag=PLUGIN_TAG, targets=[target],
            subject=f"Build tag {PLUGIN_TAG}: leave out dynamic plugins (the plugin package)",
            body=(f"Linking the plugin package with cgo on puts the Go linker in dynamic-linking mode, which keeps "
                  f"every method of every reachable type in the binary. With -tags {PLUGIN_TAG}, {pkg.import_path} "
                  "no longer imports plugin; its plugin-loading functions return an error instead. containerd "
                  f"ships the same switch under this name."),
            figures=[f"Estimated by gotrim: {est:,} bytes saved on {target.label}."])
    except (SourceError, EditError, Unguardable, NotPatchable) as exc:
        return Refusal(NAME, (target,), summary,
                       _no_known_tag(why, module, refusals)
                       + f", and a dependency patch is not possible: {exc}. Options: build with CGO_ENABLED=0 "
                         f"(plugin then has no effect); a newer version of {module} (`gotrim suggest` tries the "
                         f"latest); ask upstream for a tag (as containerd's {PLUGIN_TAG}).")
    shown = ", ".join(posixpath.join(module, os.path.relpath(c.path, pkg.module_dir or "")) for c in guarded)
    return Candidate(
        id=candidate_id(NAME, f"{target}|plugin|{pkg.import_path}|patch"), strategy=NAME, targets=(target,),
        summary=f"patch {module}@{patch.version} (copied to {patch.dest}): guard {pkg.import_path}'s import of "
                f"plugin with !{PLUGIN_TAG}",
        explanation=(_no_known_tag(why, module, refusals, "the import")
                     + f". Dependency patch: {module}@{patch.version} is copied into {patch.dest} (every file, "
                       f"licence included) with {shown} changed as gotrim guards its own code, go.mod replaces the "
                       f"module with the copy, the targets build with -tags {PLUGIN_TAG}, and {patch.patch_path} "
                       "holds the same change against the module's own tree, with a commit message stating the "
                       f"bytes, to send upstream.\n{note}"),
        estimated_bytes=est, confidence=confidence,
        plan=Plan(title=f"Patch {module}@{patch.version}: guard its plugin import with build tag {PLUGIN_TAG}",
                  changes=tuple(files)),
        removes=("plugin",), variant_tags=(PLUGIN_TAG,), trade_off="patch",
        details=DceDetails(Fix.PLUGIN_GUARD, blocker="plugin", package=pkg.import_path, module=module,
                           version=patch.version, tag=PLUGIN_TAG),
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


def warm(project: Project) -> None:
    """Parse the source of the catalogued modules' packages the targets link (their build constraints
    decide whether a catalogue tag is proposed), while the targets build."""
    for graph in project.graphs.values():
        mods = {pkg.module for pkg in graph.packages.values() if pkg.module and not pkg.editable}
        for sw in switches_for(sorted(mods)):
            for a, _ in sw.cuts:
                pkg = graph.packages.get(a)
                if pkg is None:
                    continue
                try:
                    project.sources.package_files(pkg.dir, pkg.go_files + pkg.cgo_files + pkg.ignored_go_files)
                except (OSError, SourceError):
                    continue


STRATEGY = Strategy(
    name=NAME,
    summary="Remove what disables the linker's method dead-code elimination (templates to Go, fork, tag, guard)",
    propose=propose,
    needs=Needs.GRAPHS | Needs.SOURCES | Needs.SIZES | Needs.DCE | Needs.TYPED,
    warm=warm,
)
