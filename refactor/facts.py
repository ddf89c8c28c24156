"""What `check` and `diff` compare about one binary: its packages, bytes, DCE state and go version.

`facts(project, target)` is the only place that reads a loaded Project for them (one -dumpdep build
per target gives both the linker's DCE report and the attributed binary); gotrim.lock and built
binaries (refactor.buildinfo) give the same shape without a build graph.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from refactor.config import Target
from refactor.project import Needs
from refactor.toolchain import Go

if TYPE_CHECKING:
    from refactor.graph import BuildGraph
    from refactor.project import Project

STD = "std"  # the module key of standard-library packages
Edge = tuple[str, str]
# What facts() reads: graphs and sources (chains, import sites), the attributed -dumpdep build.
FACTS = Needs.GRAPHS | Needs.SOURCES | Needs.SIZES | Needs.DCE


@dataclass(frozen=True)
class Hop:
    """One step of a chain: a package of an import chain or a symbol of a call chain, with the
    `file:line` of the import spec (or function) when it is in the main module."""

    name: str
    package: str | None = None
    site: str = ""

    def for_json(self) -> dict[str, object]:
        return {"name": self.name, "package": self.package, "site": self.site or None}


@dataclass(frozen=True)
class DceState:
    """Whether the linker's method dead-code elimination is on, and if not the first reason."""

    method_dce: bool | None  # None: not known (a binary read without a -dumpdep build)
    reflect_blocker: str | None = None  # the first <ReflectMethod> symbol (the certain root cause)
    dynamic_linking: bool = False  # plugin linked with cgo on
    chain: tuple[Hop, ...] = ()  # call chain to the reflect blocker, start-up frames left out
    plugin_chain: tuple[Hop, ...] = ()  # import chain to plugin when dynamic linking is on

    @property
    def text(self) -> str:
        """`on`, `off: reflect`, `off: plugin`, `off: reflect, plugin` or `unknown`."""
        if self.method_dce is None:
            return "unknown" if not self.dynamic_linking else "off: plugin"
        if self.method_dce:
            return "on"
        why = [w for w, on in (("reflect", self.reflect_blocker), ("plugin", self.dynamic_linking)) if on]
        return "off: " + ", ".join(why) if why else "off"

    def for_json(self) -> dict[str, object]:
        return {"method_dce": self.method_dce, "state": self.text, "reflect_blocker": self.reflect_blocker,
                "dynamic_linking": self.dynamic_linking, "chain": [h.for_json() for h in self.chain],
                "plugin_chain": [h.for_json() for h in self.plugin_chain]}


class ImportView:
    """The build graph of a target with its sources, for explaining a change: chains from the main
    package and the `file:line` of import specs. Valid while the project's files exist."""

    def __init__(self, project: Project, target: Target) -> None:
        self._project = project
        self._graph: BuildGraph = project.graphs[target]
        self._sites: dict[Edge, str] = {}

    def edges(self) -> Iterator[Edge]:
        return self._graph.edges()

    def imports(self, p: str) -> tuple[str, ...]:
        return self._graph.imports(p) if p in self._graph.packages else ()

    def main_module(self, p: str) -> bool:
        pkg = self._graph.packages.get(p)
        return bool(pkg and pkg.main_module)

    def site(self, p: str, q: str) -> str:
        """`file:line` of p's import of q when p is the repository's own code (editable), else ""."""
        if (p, q) not in self._sites:
            from refactor.why import import_site

            pkg = self._graph.packages.get(p)
            found = import_site(self._project, pkg, q) if pkg is not None and pkg.editable else None
            self._sites[p, q] = f"{found[0]}:{found[1]}" if found else ""
        return self._sites[p, q]

    def chain(self, pkg: str) -> tuple[Hop, ...]:
        """The first shortest import chain from the main package to pkg, each hop with the site of
        its import of the next one."""
        chains = self._graph.why(pkg, limit=1)
        if not chains:
            return ()
        hops = chains[0]
        return tuple(Hop(a, a, self.site(a, b) if b else "")
                     for a, b in zip(hops, [*hops[1:], ""], strict=True))


@dataclass(frozen=True)
class GoMod:
    """The main module's go.mod lines that matter to a binary."""

    go: str = ""
    toolchain: str = ""
    requires: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class BinaryFacts:
    """One binary (a target in one configuration) as check and diff compare it."""

    target: Target
    go_version: str  # the toolchain that built it, e.g. go1.26.8
    file_bytes: int
    packages: Mapping[str, str]  # import path -> module path (STD for the standard library)
    module_bytes: Mapping[str, int]  # module path (STD, "?" unknown) -> attributed bytes
    package_bytes: Mapping[str, int] | None = None  # None: not recorded (gotrim.lock)
    module_versions: Mapping[str, str] = field(default_factory=dict)  # from the binary's build info
    gomod: GoMod = GoMod()
    dce: DceState = DceState(method_dce=None)
    settings: Mapping[str, str] = field(default_factory=dict)  # build settings (binaries read as files)
    view: ImportView | None = field(default=None, compare=False, repr=False)

    @property
    def label(self) -> str:
        return self.target.label


def target_key(target: Target) -> tuple[str, str, str, tuple[str, ...], bool, str]:
    """What identifies a target across commits and in gotrim.lock."""
    return (target.main, target.goos, target.goarch, target.tags, target.cgo, target.ldflags)


def facts(project: Project, target: Target) -> BinaryFacts:
    """The facts of one target of a project loaded with Needs.FACTS: the -dumpdep build's DCE report
    and its attributed binary, both loaded up front (nothing is built here)."""
    from refactor.dce import _skip_boot, target_dce

    project.require(FACTS, "check/diff")
    report = project.dce[target]
    size = project.sizes[target]
    resolved = target_dce(project, target)
    graph = project.graphs[target]
    chain = tuple(Hop(f.symbol, f.package, f.site) for f in _skip_boot(resolved.chain)) \
        if report.reflect_blocker is not None else ()
    plugin = tuple(Hop(h.package, h.package, f"{h.file}:{h.line}" if h.file else "")
                   for h in resolved.plugin_chain)
    dce = DceState(method_dce=report.method_dce,
                   reflect_blocker=report.reflect_blocker.symbol if report.reflect_blocker else None,
                   dynamic_linking=report.dynlink.active, chain=chain, plugin_chain=plugin)
    return BinaryFacts(
        target=target, go_version=project.go_of(target).version_text, file_bytes=size.file_bytes,
        packages={p: pkg.module or STD for p, pkg in graph.packages.items()},
        module_bytes=dict(size.modules), package_bytes=dict(size.packages),
        module_versions=dict(report.modules), dce=dce,
        gomod=read_gomod(project.go_of(target), project.module_of(target).dir),
        view=ImportView(project, target))


def read_gomod(go: Go, module_dir: Path) -> GoMod:
    """go.mod's `go` and `toolchain` lines and its requirements (`go mod edit -json`, which writes nothing)."""
    proc = go.run(["mod", "edit", "-json"], cwd=module_dir, check=False)
    if proc.returncode != 0:
        return GoMod()
    data = json.loads(proc.stdout or "{}")
    requires = {str(r["Path"]): str(r.get("Version", "")) for r in data.get("Require") or ()}
    return GoMod(go=str(data.get("Go") or ""), toolchain=str(data.get("Toolchain") or ""), requires=requires)


def facts_all(project: Project) -> list[BinaryFacts]:
    """facts() of every target, in target order."""
    return [facts(project, t) for t in project.targets]
