"""`gotrim why PKG`: every shortest import chain from a binary's main package to a package."""

from __future__ import annotations

from dataclasses import dataclass

from refactor.config import Target
from refactor.errors import UsageError
from refactor.graph import BuildGraph, Package
from refactor.project import Project
from refactor.table import Column, Table


@dataclass(frozen=True)
class Hop:
    """One package of a chain, with where it imports the next one (main module only)."""

    package: str
    file: str | None = None
    line: int | None = None


def import_site(project: Project, pkg: Package, imported: str) -> tuple[str, int] | None:
    """The first file:line of `pkg` (under this configuration) whose import spec names `imported`."""
    wanted = pkg.source_path(imported)
    for rel in sorted(project.files_of(pkg)):
        try:
            f = project.sources.file(rel)
        except OSError:
            continue
        for imp in f.imports:
            if imp.path == wanted:
                return rel, imp.line
    return None


def resolve_package(graph: BuildGraph, query: str) -> str | None:
    """An import path of the graph matching `query` exactly, or by a unique `/suffix`."""
    if query in graph.packages:
        return query
    matches = [p for p in graph.packages if p.endswith("/" + query.strip("/"))]
    return matches[0] if len(matches) == 1 else None


def chains(project: Project, target: Target, query: str) -> tuple[str | None, list[list[Hop]]]:
    """The resolved package and its shortest chains, with import sites for main-module hops."""
    graph = project.graphs[target]
    pkg = resolve_package(graph, query)
    if pkg is None:
        return None, []
    out = []
    for chain in graph.why(pkg):
        hops = []
        for a, b in zip(chain, chain[1:] + [""], strict=True):
            p = graph.packages[a]
            site = import_site(project, p, b) if b and p.editable else None
            hops.append(Hop(a, *(site or (None, None))))
        out.append(hops)
    return pkg, out


def why_table(project: Project, query: str) -> Table:
    """The chains for every target, as a table (one row per hop) and JSON."""
    rows = []
    data = []
    notes = []
    found_any = False
    for target in project.targets:
        pkg, found = chains(project, target, query)
        entry = {"target": target.label, "main": target.main, "package": pkg, "chains": [
            [{"package": h.package, "file": h.file, "line": h.line} for h in c] for c in found]}
        data.append(entry)
        if not found:
            notes.append(f"{target.label}: {query} is not in the build graph")
            continue
        found_any = True
        for i, c in enumerate(found, 1):
            for depth, h in enumerate(c):
                rows.append({
                    "target": target.label if depth == 0 else "",
                    "chain": str(i) if depth == 0 else "",
                    "package": ("  " * depth + ("→ " if depth else "")) + h.package,
                    "site": f"{h.file}:{h.line}" if h.file else "",
                })
    if not found_any and not any(_near(project, query)):
        raise UsageError(f"{query} is in no target's build graph: check the import path (`go list -deps`)")
    if not found_any:
        notes.append("similar packages: " + ", ".join(_near(project, query)[:8]))
    return Table(
        title=f"why {query}",
        columns=[Column("target", "target"), Column("#", "chain", "right"), Column("import chain", "package"),
                 Column("imported at", "site")],
        rows=rows, notes=notes, data={"package": query, "targets": data},
    )


def _near(project: Project, query: str) -> list[str]:
    q = query.lower()
    names = {p for g in project.graphs.values() for p in g.packages if q in p.lower()}
    return sorted(names)
