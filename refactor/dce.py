"""`gotrim dce`: per target, whether method dead-code elimination is on, and if not, what blocks it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from refactor.config import Target
from refactor.gosource import Decl, GoFile
from refactor.graph import BuildGraph, Package
from refactor.linker import UNKNOWN, Blocker, DceReport, SymbolIndex, path_to_prefix, strip_brackets
from refactor.project import Project
from refactor.table import Column, Table

if TYPE_CHECKING:
    from refactor.dceloop import LoopResult

# The runtime's bootstrap frames, shown as one "…" hop in the table (kept in JSON).
_BOOT = re.compile(r"^(_rt0_|runtime\.(rt0_go|mainPC|main|main_main·f)$|main$|go:main\.inittasks$)")
_CLOSURE = re.compile(r"(\.(func|gowrap|deferwrap)\d+)+$|(\.\d+)+$")


@dataclass(frozen=True)
class Frame:
    """One symbol of a culprit chain: its package and, for the main module, where it is defined."""

    symbol: str
    package: str | None
    file: str | None = None
    line: int | None = None

    @property
    def site(self) -> str:
        return f"{self.file}:{self.line}" if self.file else ""

    @property
    def short(self) -> str:
        """The symbol without its package prefix (the package has its own column)."""
        if self.package:
            for prefix in (path_to_prefix(self.package) + ".", "main."):
                if self.symbol.startswith(prefix):
                    return self.symbol[len(prefix):]
        return self.symbol

    def for_json(self) -> dict[str, Any]:
        return {"symbol": self.symbol, "package": self.package, "file": self.file, "line": self.line}


@dataclass(frozen=True)
class ImportHop:
    """One package of the import chain to `plugin`, with its import spec site in the main module."""

    package: str
    file: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class TargetDce:
    """The `gotrim dce` view of one target: the report, with chains resolved to packages and sites."""

    report: DceReport
    chain: tuple[Frame, ...]  # the certain culprit chain, entry first
    possible: tuple[tuple[Frame, ...], ...]
    plugin_chain: tuple[ImportHop, ...]

    @property
    def target(self) -> Target:
        return self.report.target

    @property
    def blocked(self) -> bool:
        return not self.report.method_dce


def frames(project: Project, graph: BuildGraph, blocker: Blocker) -> tuple[Frame, ...]:
    """The blocker's chain with each symbol's package and, for main-module symbols, file:line."""
    index = SymbolIndex.from_graph(graph)
    out = []
    for sym in blocker.chain:
        if sym == UNKNOWN:
            out.append(Frame(sym, None))
            continue
        pkg_path = index.package(sym)
        pkg = graph.packages.get(pkg_path) if pkg_path else None
        site = locate_symbol(project, pkg, sym, index) if pkg is not None and pkg.editable else None
        out.append(Frame(sym, pkg_path, *(site or (None, None))))
    return tuple(out)


def symbol_decl(symbol: str, prefix: str) -> tuple[str | None, str]:
    """(receiver type or None, function name) of a symbol of the package with this prefix."""
    rest = symbol[len(prefix) + 1:] if symbol.startswith(prefix + ".") else symbol
    rest = strip_brackets(rest)
    rest = _CLOSURE.sub("", rest)
    m = re.match(r"^\(\*(\w+)\)\.(\w+)", rest)
    if m:
        return m.group(1), m.group(2)
    parts = rest.split(".")
    if len(parts) >= 2 and parts[0] and parts[1] and parts[1][0].isalpha():
        # T.M (method) or F.func1-like leftovers; a method is confirmed against the source.
        return parts[0], parts[1]
    return None, parts[0]


def locate_symbol(project: Project, pkg: Package, symbol: str, index: SymbolIndex) -> tuple[str, int] | None:
    """The file:line of the function or method a main-module symbol comes from (from the source
    model: a method `T.M` or `(*T).M`, a function `F`, a closure `F.func1` in F; `init` is the
    package's first initialised variable when no init function exists)."""
    prefix = "main" if pkg.import_path == index.prefixes.get("main") else path_to_prefix(pkg.import_path)
    recv, name = symbol_decl(symbol, prefix)
    if symbol.startswith("type:"):
        return None
    decls = [(f, d) for f in _package_files(project, pkg) for d in f.decls]
    wanted: list[Callable[[Decl], bool]] = []
    if recv:
        wanted.append(lambda d: d.kind == "method" and d.receiver == recv and d.name == name)
        wanted.append(lambda d: d.kind == "func" and d.name == recv)  # F.func1 leftovers
    else:
        wanted.append(lambda d: d.kind in ("func", "init") and d.name == name)
    if name == "init" and not recv:
        wanted.append(lambda d: d.kind == "var")  # package initialisation: first var decl
    for want in wanted:
        for f, d in decls:
            if want(d):
                return f.path, _line_of(f.src, d.spec_start)
    return None


def first_match(project: Project, pkg: Package, pattern: re.Pattern[str]) -> tuple[str, int] | None:
    """The module-relative file and 1-based line of the first match of `pattern` in the package's files."""
    for f in _package_files(project, pkg):
        m = pattern.search(f.src.decode("utf-8", "replace"))
        if m:
            return f.path, f.src.decode("utf-8", "replace").count("\n", 0, m.start()) + 1
    return None


def _package_files(project: Project, pkg: Package) -> list[GoFile]:
    """The package's compiled files, sorted by name, parsed by the source index."""
    return [project.sources.file(rel) for rel in sorted(project.files_of(pkg))]


def _line_of(src: bytes, pos: int) -> int:
    return src.count(b"\n", 0, pos) + 1


def plugin_hops(project: Project, graph: BuildGraph, chain: Iterable[str]) -> tuple[ImportHop, ...]:
    """The import chain to `plugin` with the import spec file:line for main-module hops."""
    from refactor.why import import_site

    hops = list(chain)
    out = []
    for a, b in zip(hops, hops[1:] + [""], strict=True):
        pkg = graph.packages[a]
        site = import_site(project, pkg, b) if b and pkg.editable else None
        out.append(ImportHop(a, *(site or (None, None))))
    return tuple(out)


def target_dce(project: Project, target: Target) -> TargetDce:
    """One target's DCE report (loaded: Needs.DCE) with its chains resolved to packages and sites."""
    report = project.dce[target]
    graph = project.graphs[target]
    dump = report.dumpdep
    chain = frames(project, graph, dump.root_cause) if dump.root_cause else ()
    possible = tuple(frames(project, graph, b) for b in dump.possible if not b.retained)
    plugin = plugin_hops(project, graph, report.dynlink.chain) if report.dynlink.active else ()
    return TargetDce(report=report, chain=chain, possible=possible, plugin_chain=plugin)


def dce_report(project: Project, loops: Mapping[Target, LoopResult] | None = None) -> tuple[Table, bool]:
    """The `gotrim dce` table and JSON for every target, and whether any blocker was found.

    loops: the DCE loop's result per blocked target (`--all`): every blocker, fixed one after the other."""
    rows: list[dict[str, Any]] = []
    data: list[dict[str, Any]] = []
    notes: list[str] = []
    found = False
    for target in project.targets:
        t = target_dce(project, target)
        found = found or t.blocked
        entry = dce_json(t)
        rows.extend(dce_rows(t))
        loop = (loops or {}).get(target)
        if loops is not None:
            entry["all_blockers"] = None if loop is None else loop_json(loop)
        if loop is not None:
            rows.extend(loop_rows(loop))
        data.append(entry)
        extra = list(t.possible) if loops is None else []
        if extra:
            notes.append(f"{target.label}: {len(extra)} more <ReflectMethod> symbol(s) may also block "
                         f"(unsure until the first is fixed): " + ", ".join(c[-1].symbol for c in extra[:5]))
    if found:
        notes.append("Method DCE is off for the whole binary while any blocker remains; sizes drop only "
                     "once the last one is gone. `gotrim suggest --strategy dce-blockers` proposes fixes.")
    return Table(
        title="method dead-code elimination",
        columns=[Column("target", "target"), Column("method DCE", "status"), Column("chain", "symbol"),
                 Column("package", "package"), Column("site", "site")],
        rows=rows, notes=notes, data={"targets": data, "blocked": found},
    ), found


def loop_json(loop: LoopResult) -> dict[str, Any]:
    """The loop's findings for one target as JSON-ready data."""
    return {"method_dce_after": loop.method_dce, "bytes_before": loop.bytes_before, "bytes_after": loop.bytes_after,
            "steps": [s.for_json() for s in loop.steps],
            "remaining": [{"blocker": r.blocker, "kind": r.kind, "reason": r.reason, "module": r.module,
                           "version": r.version} for r in loop.remaining],
            "worth_bytes": loop.worth, "variant_tags": list(loop.variant_tags), "files": loop.plan.files()}


def loop_rows(loop: LoopResult) -> list[dict[str, Any]]:
    """Table rows: every blocker the loop met, each with its fix and measured bytes, or why it remains."""
    rows: list[dict[str, Any]] = [{"symbol": "every blocker (each fixed in a scratch worktree, then rebuilt):"}]
    for i, s in enumerate(loop.steps, 1):
        delta = s.bytes_before - s.bytes_after
        rows.append({"symbol": f"{i}. {s.blocker}", "package": s.summary,
                     "site": f"{s.bytes_before:,} -> {s.bytes_after:,} B ({'-' if delta >= 0 else '+'}{abs(delta):,})"})
    for r in loop.remaining:
        rows.append({"symbol": f"{len(loop.steps) + 1}. {r.blocker}", "package": "no fix: " + r.reason.split(". ")[0],
                     "site": f"worth ~{loop.worth:,} B"})
    state = "on" if loop.method_dce else "still off"
    rows.append({"symbol": f"method DCE {state} after the fixes: {loop.bytes_before:,} -> {loop.bytes_after:,} B"})
    return rows


def dce_rows(t: TargetDce) -> list[dict[str, Any]]:
    """Table rows of one target: a status line, then the culprit chain and the plugin chain."""
    r = t.report
    status = "on"
    if r.reflect_blocker is not None:
        status = "off: reflect"
    if r.dynlink.active:
        status = "off: plugin" if status == "on" else status + ", plugin"
    rows: list[dict[str, Any]] = [{"target": t.target.label, "status": status, "symbol": "", "package": "",
                                   "site": ""}]
    if t.chain and r.reflect_blocker is None:
        rows.append({"symbol": "(reflect method kept only because of dynamic linking:)"})
    if t.chain:
        shown = _skip_boot(t.chain)
        if len(shown) < len(t.chain):
            rows.append({"symbol": "… (runtime start-up)"})
        for depth, f in enumerate(shown):
            mark = " <ReflectMethod>" if f is t.chain[-1] else ""
            rows.append({"symbol": ("→ " if depth else "") + f.short + mark,
                         "package": f.package or "", "site": f.site})
    if t.plugin_chain:
        rows.append({"symbol": "import chain to plugin (linked with cgo on):"})
        for depth, h in enumerate(t.plugin_chain):
            rows.append({"symbol": ("→ " if depth else "") + "import", "package": h.package,
                         "site": f"{h.file}:{h.line}" if h.file else ""})
    return rows


def _skip_boot(chain: tuple[Frame, ...]) -> tuple[Frame, ...]:
    i = 0
    while i < len(chain) - 1 and (_BOOT.match(chain[i].symbol) or chain[i].symbol == UNKNOWN):
        i += 1
    return chain[i:]


def dce_json(t: TargetDce) -> dict[str, Any]:
    """One target's findings as JSON-ready data."""
    r = t.report
    root = r.dumpdep.root_cause
    return {
        "target": t.target.label,
        "main": t.target.main,
        "method_dce": r.method_dce,
        "binary_bytes": r.binary_bytes,
        "reflect_method": None if root is None else {
            "symbol": root.symbol, "chain": [f.for_json() for f in t.chain],
            "consequence_of_dynamic_linking": r.reflect_blocker is None},
        "possible": [{"symbol": c[-1].symbol, "chain": [f.for_json() for f in c]} for c in t.possible],
        "flagged_symbols": r.dumpdep.flagged,
        "dynamic_linking": {
            "active": r.dynlink.active, "plugin_linked": r.dynlink.plugin_linked, "cgo": r.dynlink.cgo,
            "platform_supports_plugins": r.dynlink.platform_supported,
            "import_chain": [{"package": h.package, "file": h.file, "line": h.line} for h in t.plugin_chain],
        },
        "dumpdep_lines": r.dumpdep.lines,
    }
