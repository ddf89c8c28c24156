"""Split a package of the repository so that a binary stops importing what it does not need.

Before: cmd/lite -> internal/util -> net/http, go/types   (lite calls util.Greeting only)
After:  cmd/lite -> internal/util/greeting                 (util keeps forwarders: aliases, wrappers)
        or: the declarations of util that use net/http move to internal/util/utilhttp,
            and their users across the module are repointed.
Refuses when the code the binary needs references the heavy import (left to the guard strategy),
when the move would create an import cycle (the references are named), when the new package
could not be imported by its users (`internal/`), when code left behind would set or read
unexported fields of what moves, and reports packages outside the repository as upstream findings.
The repository's own code (Package.editable) may be edited in any of its modules.

What moves is decided from the type-checked view (Project.typed, refactor/typed) where the package
type-checks for the target: references resolved exactly (fields and methods by the type declaring
them, methods reached through interface conversions, struct literals); elsewhere by name, as the
tree-sitter model sees them, and the candidate says so (SplitDetails.resolution). tree-sitter edits.
"""

from __future__ import annotations

import enum
import os
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from refactor.candidate import Candidate, Details, Proposal, Refusal, Strategy, candidate_id
from refactor.config import Settings, Target
from refactor.edit import ImportChange, delete_lines, rename_qualifier, rewrite_imports
from refactor.errors import SourceError
from refactor.estimate import estimate, units_cut
from refactor.gosource import GoFile, Unit, identifier_sites, identifiers, parse_file
from refactor.graph import BuildGraph, Edge, Package
from refactor.plan import Edit, FileChange, Plan, apply_edits
from refactor.project import Needs, Project
from refactor.typed import StructLiteral, TypedDecl, TypedPackage, TypeRef

NAME = "split-package"
TOP_EDGES = 8

# Method names that satisfy well-known interfaces: such a method cannot become a function.
INTERFACE_METHODS = frozenset({
    "String", "Error", "GoString", "Format", "ServeHTTP", "Read", "Write", "Close", "Len", "Less", "Swap",
    "MarshalJSON", "UnmarshalJSON", "MarshalText", "UnmarshalText", "MarshalYAML", "UnmarshalYAML",
    "Unwrap", "Is", "As", "Seek", "ReadFrom", "WriteTo", "Scan", "Value",
})


# How the references of the package split were resolved (SplitDetails.resolution).
TYPES = "types"  # with go/types (the typed view): fields and methods by their receiver types
NAMES = "names"  # by name (the tree-sitter model): where the typed view is missing or the package is broken
# Standard packages whose functions an init may call without an effect anyone else sees (no registry,
# no output, no global they set): a moved init that calls only these and moved code changes nothing.
PURE_PACKAGES = frozenset({"bytes", "errors", "maps", "math", "regexp", "slices", "sort", "strconv", "strings",
                           "time", "unicode", "unicode/utf16", "unicode/utf8"})


class Direction(enum.Enum):
    """Which part of the package moves to the new one."""

    LIGHT = "light"  # what the target uses (P keeps forwarders)
    HEAVY = "heavy"  # what uses the heavy import (its users across the module are repointed)

    @property
    def part(self) -> str:
        return f"{self.value} part"


@dataclass(frozen=True)
class SplitDetails(Details):
    """split-package's facts of a candidate (JSON: docs/report-schema.md, `split-package` details)."""

    direction: Direction
    package: str  # the package split
    new_package: str  # the import path of the new package
    edges: tuple[Edge, ...]  # the import edges the split cuts
    moved: tuple[str, ...]  # `Label (file)` of each declaration moved
    lost: tuple[str, ...]  # init functions and initializers the targets no longer run
    chains: tuple[tuple[str, tuple[str, ...]], ...]  # ("before", chain), ("after", chain)
    bytes_by_target: tuple[tuple[str, int], ...]  # target label -> estimated bytes
    resolution: str = NAMES  # TYPES: the package's references were resolved with go/types; NAMES: by name

    def for_json(self) -> dict[str, object]:
        return {"direction": self.direction.value, "package": self.package, "new_package": self.new_package,
                "edges": [list(e) for e in self.edges], "moved": list(self.moved), "lost": list(self.lost),
                "chains": {label: list(chain) for label, chain in self.chains},
                "bytes_by_target": dict(self.bytes_by_target), "resolution": self.resolution}

    def import_chains(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        return self.chains


@dataclass
class Draft:
    """A candidate before targets are merged."""

    key: str
    direction: Direction
    package: str
    new_package: str
    edges: list[Edge]
    changes: dict[str, tuple[bytes | None, bytes | None]]
    moved: list[Unit]
    lost: list[str]
    confidence: str
    notes: list[str]
    bytes_by_target: dict[Target, int] = field(default_factory=dict)
    removes: set[str] = field(default_factory=set)
    chains: dict[str, list[str]] = field(default_factory=dict)
    resolution: str = NAMES
    names_why: str = ""  # why the references were resolved by name (NAMES)


class Refused(Exception):
    """This split is not safe; the message says why."""


def propose(project: Project, settings: Settings) -> Iterator[Proposal]:
    """Rank the heavy import edges of each target and propose the splits that cut them."""
    names = {p: pkg.name for g in project.graphs.values() for p, pkg in g.packages.items()}
    module_files = _ModuleFiles(project)
    drafts: dict[str, Draft] = {}
    refusals: dict[str, Refusal] = {}
    for target in project.targets:
        graph = project.graphs[target]
        for draft_or_refusal in _for_target(project, settings, target, graph, names, module_files):
            if isinstance(draft_or_refusal, Refusal):
                refusals.setdefault(draft_or_refusal.summary, draft_or_refusal)
                continue
            d = draft_or_refusal
            if d.key in drafts:
                prev = drafts[d.key]
                prev.bytes_by_target.update(d.bytes_by_target)
                prev.removes |= d.removes
                if d.resolution == NAMES and prev.resolution != NAMES:
                    prev.resolution, prev.names_why = NAMES, d.names_why
            else:
                drafts[d.key] = d
    out: list[Candidate] = []
    for d in drafts.values():
        changes = tuple(FileChange(p, b, a) for p, (b, a) in sorted(d.changes.items()))
        targets = tuple(sorted(d.bytes_by_target, key=lambda t: t.label))
        edges = ", ".join(f"{p} -> {q}" for p, q in d.edges)
        what = d.direction.part
        summary = f"move the {what} of {d.package} to {d.new_package} (cuts {edges})"
        out.append(Candidate(
            id=candidate_id(NAME, d.key),
            strategy=NAME,
            targets=targets,
            summary=summary,
            explanation=_explain(d),
            estimated_bytes=sum(d.bytes_by_target.values()),
            confidence=d.confidence,
            plan=Plan(title=f"split {d.package}: {what} to {d.new_package}", changes=changes),
            removes=tuple(sorted(d.removes)),
            details=SplitDetails(
                direction=d.direction, package=d.package, new_package=d.new_package, edges=tuple(d.edges),
                moved=tuple(f"{u.label} ({u.file})" for u in d.moved), lost=tuple(d.lost),
                chains=tuple((label, tuple(chain)) for label, chain in d.chains.items()),
                bytes_by_target=tuple((t.label, b) for t, b in d.bytes_by_target.items()),
                resolution=d.resolution),
        ))
    size = {c.id: sum(len(ch.after or b"") + len(ch.before or b"") for ch in c.plan.changes) for c in out}
    yield from sorted(out, key=lambda c: (-c.estimated_bytes, size[c.id], c.id))
    yield from refusals.values()


def _explain(d: Draft) -> str:
    lines = [f"Extract the {d.direction.part} of {d.package} "
             f"into {d.new_package}."]
    for label, chain in d.chains.items():
        lines.append(f"{label}: {' -> '.join(chain)}")
    lines.append("moved: " + ", ".join(f"{u.label} ({u.file})" for u in d.moved))
    if d.lost:
        lines.append("the target no longer runs: " + ", ".join(d.lost))
    lines.extend(d.notes)
    if d.resolution == NAMES:
        lines.append(f"references resolved by name, not by type: {d.names_why}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Split's view of a package: its units across every platform, and who references what inside it


def _parse(file: str, src: bytes, names: dict[str, str]) -> GoFile:
    """Parse a file with the package names (go list's) of the paths it imports."""
    quoted = {m.decode("utf-8", "replace") for m in re.findall(rb'"([^"\n]+)"', src)}
    return parse_file(file, src, {p: names[p] for p in quoted if p in names})


@dataclass(frozen=True)
class Members:
    """Fields and methods of P's types that some code selects: exactly, as (type name, member) pairs,
    where the typed view resolved that code; by member name alone (any type of P) where it did not."""

    exact: frozenset[tuple[str, str]] = frozenset()
    names: frozenset[str] = frozenset()

    def has(self, type_name: str, member: str) -> bool:
        return member in self.names or (type_name, member) in self.exact

    def __or__(self, other: Members) -> Members:
        return Members(self.exact | other.exact, self.names | other.names)


def _members_of(decls: Iterable[TypedDecl], p: str, conversions: bool = True) -> Members:
    """What the declarations select of package p's types: fields (embedded ones on promotion paths
    included), methods (calls, method values and expressions), and, with conversions, the concrete
    methods that calls through an interface reach where a value of p's type is converted to it."""
    def own(t: TypeRef | None) -> bool:
        return t is not None and t.package == p and not t.local

    out: set[tuple[str, str]] = set()
    for d in decls:
        out.update((t.name, f) for t, f in d.fields_used() if t is not None and own(t))
        out.update((ms.type.name, ms.method) for ms in d.method_selections if ms.type is not None and own(ms.type))
        if not conversions:
            continue
        for c in d.iface_conversions:
            for mi in c.methods:
                if mi.type is not None and own(mi.type):
                    out.add((mi.type.name, mi.method))
                out.update((s.type.name, s.field) for s in mi.path if s.type is not None and own(s.type))
            if own(c.concrete):
                # fmt, encoding/json and errors find these by type assertion, even through `any`
                out.update((c.concrete.name, n) for n in INTERFACE_METHODS)
    return Members(frozenset(out))


@dataclass
class PackageModel:
    """Every Go file of one package directory (all platforms), split into units.

    With `typed` (the typed view of the package for the target's configuration, when it
    type-checks), the units of the files that configuration compiles are resolved with go/types:
    `uses`, `internal`, `imports_of`, `members` and `literals` answer exactly for them. The other
    units (other platforms' files), or all of them without a typed view, are resolved by name.
    """

    pkg: Package
    sources: dict[str, GoFile]  # non-test files of package P, every platform
    tests: dict[str, GoFile]  # _test.go files of package P (internal tests)
    xtests: dict[str, GoFile]  # _test.go files of package P_test
    names: dict[str, str]  # import path -> package name, as go list reported them
    typed: TypedPackage | None = None  # None: resolved by name (names_why says why)
    typed_files: dict[str, str] = field(default_factory=dict)  # file name -> its key in the typed view
    names_why: str = ""
    rel_dir: str = ""  # the package directory relative to the module root (positions in reasons)
    units: list[Unit] = field(default_factory=list)
    by_name: dict[str, list[Unit]] = field(default_factory=dict)
    methods: dict[str, list[Unit]] = field(default_factory=dict)
    methods_named: dict[str, list[tuple[str, Unit]]] = field(default_factory=dict)  # name -> (receiver, unit)
    _decls: dict[tuple[str, int], tuple[TypedDecl, ...]] = field(default_factory=dict)
    _uses: dict[tuple[str, int], frozenset[str]] = field(default_factory=dict)  # memo: the model is read-only
    _members: dict[tuple[str, int, bool], Members] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for src in self.sources.values():
            for u in src.units:
                self.units.append(u)
                if u.kind == "method":
                    self.methods.setdefault(u.receiver or "", []).append(u)
                    self.methods_named.setdefault(u.names[0], []).append((u.receiver or "", u))
                elif u.kind != "init":
                    for n in u.names:
                        self.by_name.setdefault(n, []).append(u)
        if self.typed is None:
            return
        by_file: dict[str, list[TypedDecl]] = {}
        for d in self.typed.decls:
            by_file.setdefault(d.file, []).append(d)
        for f, key in self.typed_files.items():
            gofile = self.sources.get(f)
            if gofile is None:
                continue
            decls = by_file.get(key, [])
            for u in gofile.units:
                ds = tuple(d for d in decls if u.start <= d.start < u.end)
                # the same declarations on both sides, or this unit falls back to names
                if ds and sorted(d.name for d in ds) == sorted(u.names):
                    self._decls[(u.file, u.start)] = ds

    @property
    def import_path(self) -> str:
        return self.pkg.import_path

    @property
    def name(self) -> str:
        return self.pkg.name

    @property
    def resolution(self) -> str:
        return TYPES if self.typed is not None else NAMES

    def decls_of(self, u: Unit) -> tuple[TypedDecl, ...] | None:
        """u's declarations as go/types saw them, or None where u is resolved by name."""
        return self._decls.get((u.file, u.start))

    def locals(self, file: str) -> dict[str, str]:
        """Local import name -> resolved import path for one file of P (tests included)."""
        src = self.sources.get(file) or self.tests.get(file) or self.xtests[file]
        return {k: self.pkg.resolve(v) for k, v in src.import_paths(self.names).items()}

    def uses(self, u: Unit) -> frozenset[str]:
        """Names of P's package-level declarations that u names (not u's own)."""
        memo = self._uses.get((u.file, u.start))
        if memo is not None:
            return memo
        ds = self.decls_of(u)
        if ds is None:
            local = self.locals(u.file)
            out = {n for q, n in u.refs if q is None and n not in local}
        else:
            out = {o.name for d in ds for o in d.uses_objects if o.package == self.import_path}
            if u.kind != "method":
                out -= set(u.names)
        self._uses[(u.file, u.start)] = frozenset(out)
        return self._uses[(u.file, u.start)]

    def internal(self, u: Unit) -> list[Unit]:
        """Units of P that u names directly (its receiver type included)."""
        out: list[Unit] = []
        for n in sorted(self.uses(u)):
            out.extend(x for x in self.by_name.get(n, ()) if x is not u)
        if u.receiver:
            out.extend(self.by_name.get(u.receiver, ()))
        return out

    def imports_of(self, u: Unit) -> set[str]:
        """Resolved import paths u references."""
        ds = self.decls_of(u)
        if ds is None:
            local = self.locals(u.file)
            return {local[q] for q, _ in u.refs if q is not None and q in local}
        return {o.package for d in ds for o in d.uses_objects if o.package not in ("", self.import_path)}

    def references(self, u: Unit, path: str) -> bool:
        """Whether u names something of the package at `path` directly."""
        return path in self.imports_of(u)

    def members(self, u: Unit, conversions: bool = True) -> Members:
        """The fields and methods of P's types that u selects (see _members_of)."""
        key = (u.file, u.start, conversions)
        memo = self._members.get(key)
        if memo is None:
            ds = self.decls_of(u)
            memo = Members(names=u.selectors) if ds is None else _members_of(ds, self.import_path, conversions)
            self._members[key] = memo
        return memo

    def literals(self, u: Unit, types: set[str]) -> list[tuple[str, tuple[str, ...]]]:
        """(type, unexported fields set) of u's composite literals of P's given types that set
        unexported fields; by name: u names the type and one of its unexported fields."""
        ds = self.decls_of(u)
        if ds is not None:
            lits: list[StructLiteral] = [lit for d in ds for lit in d.struct_literals]
            return [(lit.type.name, lit.unexported) for lit in lits
                    if lit.type.package == self.import_path and not lit.type.local and lit.type.name in types
                    and lit.unexported]
        names = {n for q, n in u.refs if q is None}
        out = []
        for t in sorted(types & names):
            fields = tuple(sorted(f for x in self.by_name.get(t, ()) if x.kind == "type" for f in x.fields
                                  if not f[:1].isupper() and f in names))
            if fields:
                out.append((t, fields))
        return out

    def position(self, u: Unit, pattern: str, literal_fields: tuple[str, ...] = ()) -> str:
        """`file:line:col` of the first match of pattern (a regular expression) in u's declaration,
        or of u's start; with literal_fields, of the first literal (pattern) that sets one of them."""
        src = self.sources[u.file].src
        ds = self.decls_of(u)
        start, end = (min(d.start for d in ds), max(d.end for d in ds)) if ds else (u.start, u.end)
        pos = -1
        for mm in re.compile(pattern.encode()).finditer(src, start, end):
            site = _literal_site(src, mm.end(), end, literal_fields) if literal_fields else mm.start()
            if site >= 0:
                pos = site
                break
        pos = pos if pos >= 0 else start
        line = src.count(b"\n", 0, pos) + 1
        col = pos - (src.rfind(b"\n", 0, pos) + 1) + 1
        rel = f"{self.rel_dir}/{u.file}" if self.rel_dir not in ("", ".") else u.file
        return f"{rel}:{line}:{col}"

    def closure(self, roots: Iterable[Unit], all_methods: bool = True, selected: Members = Members()
                ) -> list[Unit]:
        """roots and everything they reach inside P; a type brings its methods (all, or the selected).

        A method is taken when its type is reached and it is selected, whichever comes first: looking
        at every reached type's methods again after each unit took nats-server's server package (about
        4,000 units) 13 s of one suggest."""
        seen: dict[str, Unit] = {}
        exact = set(selected.exact)
        by_name = set(selected.names)
        types: set[str] = set()
        stack = list(roots)
        while stack:
            u = stack.pop()
            if u.key in seen:
                continue
            seen[u.key] = u
            if not all_methods:
                mem = self.members(u)
                for n in mem.names - by_name:  # methods of that name of the types reached so far
                    by_name.add(n)
                    stack.extend(m for t, m in self.methods_named.get(n, ()) if t in types)
                for t, n in mem.exact - exact:
                    exact.add((t, n))
                    if t in types:
                        stack.extend(m for r, m in self.methods_named.get(n, ()) if r == t)
            stack.extend(self.internal(u))
            if u.kind in ("type", "alias"):
                for t in u.names:
                    if t not in types:
                        types.add(t)
                        stack.extend(m for m in self.methods.get(t, ())
                                     if all_methods or m.names[0] in by_name or (t, m.names[0]) in exact)
        return sorted(seen.values(), key=lambda x: (x.file, x.start))

    def test_refs(self, only: set[str] | None = None) -> set[str]:
        """Names of P that P's internal test files use unqualified (not type-checked: by name); with
        only, just in the test declarations that name one of those."""
        out: set[str] = set()
        for src in self.tests.values():
            local = src.import_paths(self.names)
            for u in src.units:
                names = {n for q, n in u.refs if q is None and n not in local}
                if only is None or names & only:
                    out |= names | u.selectors
        return out


def load_model(files: _ModuleFiles, pkg: Package, names: dict[str, str], typed: TypedPackage | None = None,
               typed_files: dict[str, str] | None = None, names_why: str = "", rel_dir: str = ""
               ) -> PackageModel | None:
    """Every Go file of pkg's directory that belongs to package pkg.name (or its _test); typed: its
    typed view (which must type-check), with typed_files naming the files it covers by their keys."""
    d = Path(pkg.dir)
    sources: dict[str, GoFile] = {}
    tests: dict[str, GoFile] = {}
    xtests: dict[str, GoFile] = {}
    for f in files.names_in(pkg):
        try:
            src = files.get(d / f)
        except OSError:
            continue
        if src.constraint is not None and src.constraint.expr is not None and src.constraint.expr.strip() == "ignore":
            continue
        if f.endswith("_test.go"):
            if src.package == pkg.name:
                tests[f] = src
            elif src.package == pkg.name + "_test":
                xtests[f] = src
        elif src.package == pkg.name:
            sources[f] = src
    if not sources:
        return None
    return PackageModel(pkg, sources, tests, xtests, names, typed, typed_files or {}, names_why, rel_dir)


# ---------------------------------------------------------------------------------------------


class _ModuleFiles:
    """The project's source index, as split addresses files (by absolute path)."""

    def __init__(self, project: Project) -> None:
        self.root = project.root
        self.sources = project.sources

    def get(self, path: Path) -> GoFile:
        return self.sources.file(path)

    def importers(self, import_path: str) -> list[tuple[Path, GoFile]]:
        """Files of the module that import import_path (tests included)."""
        return [(self.root / f.path, f) for f in self.sources.importers(import_path)]

    def names_in(self, pkg: Package, tests: bool = True) -> list[str]:
        """The Go file names of a package's directory on every platform: the index's for the module's
        packages, go list's for others."""
        rel = self.sources.rel(pkg.dir)
        if pkg.editable and not os.path.isabs(rel):
            names = [r.rsplit("/", 1)[-1] for r in self.sources.dir_files(rel)]
        else:
            names = sorted(n for n in set(pkg.go_files) | set(pkg.cgo_files) | set(pkg.ignored_go_files)
                           | set(pkg.test_go_files) | set(pkg.xtest_go_files)
                           if n.endswith(".go") and not n.startswith(("_", ".")))
        return [n for n in names if tests or not n.endswith("_test.go")]


def _candidate_edges(graph: BuildGraph) -> list[Edge]:
    """The import edges a split could cut: from a non-main, non-standard package."""
    return [(p, q) for p, q in graph.edges()
            if p != graph.root and not graph.packages[p].standard and graph.packages[p].name != "main"]


def warm(project: Project) -> None:
    """What each cut would remove (dominators): graph-only, so it runs while the targets link."""
    for graph in project.graphs.values():
        edges = _candidate_edges(graph)
        if edges:
            graph.edge_removes(edges)


class _TypedLookup:
    """The typed view of one target, as split reads it: a package's view when it type-checks (else why
    not), and its files by the keys the view names them with."""

    def __init__(self, project: Project, target: Target) -> None:
        self.target = target
        self.root = project.root  # the view's keys are relative to the repository's top (load)
        self.loaded = Needs.TYPED in project.needs
        self.view = project.typed.get(target) if self.loaded else None
        self._files: dict[str, dict[str, list[TypedDecl]]] = {}

    def key(self, pkg: Package, file: str) -> str:
        path = Path(pkg.dir) / file
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def package(self, pkg: Package) -> tuple[TypedPackage | None, str]:
        """pkg's typed view, or None and why its references are resolved by name."""
        if not self.loaded:
            return None, "the type-checked view was not loaded"
        if self.view is None:
            return None, f"the packages of {self.target.label} could not be listed with export data"
        tp = self.view.package(pkg.import_path)
        if tp is None:
            err = self.view.list_errors.get(pkg.import_path)
            return None, f"{pkg.import_path} is not in the type-checked view" + (f" ({err})" if err else "")
        if not tp.ok:
            first = tp.errors[0] if tp.errors else "no detail"
            return None, f"{pkg.import_path} does not type-check for {self.target.label} ({first})"
        return tp, ""

    def file_keys(self, pkg: Package) -> dict[str, str]:
        """The files the view covers (the target's configuration: GoFiles, CgoFiles) -> their keys."""
        return {f: self.key(pkg, f) for f in pkg.files}

    def members(self, pkg: Package, file: str, p: str) -> Members | None:
        """What one file of pkg selects of package p's types, or None when it is not type-checked."""
        if file not in pkg.files:
            return None
        tp, _ = self.package(pkg)
        if tp is None:
            return None
        by_file = self._files.get(pkg.import_path)
        if by_file is None:
            by_file = {}
            for d in tp.decls:
                by_file.setdefault(d.file, []).append(d)
            self._files[pkg.import_path] = by_file
        return _members_of(by_file.get(self.key(pkg, file), ()), p)


def _for_target(project: Project, settings: Settings, target: Target, graph: BuildGraph,
                names: dict[str, str], files: _ModuleFiles) -> Iterator[Draft | Refusal]:
    edges = _candidate_edges(graph)
    if not edges:
        return
    removes = graph.edge_removes(edges)
    size = project.sizes[target]
    scored = sorted(((size.removal_estimate(removes[e]), e) for e in edges), key=lambda x: (-x[0], x[1]))
    top = [(b, e) for b, e in scored if b > 0][:TOP_EDGES]
    by_package: dict[str, list[tuple[int, Edge]]] = {}
    for b, e in top:
        by_package.setdefault(e[0], []).append((b, e))
    typed = _TypedLookup(project, target)
    for p, pedges in by_package.items():
        pkg = graph.packages[p]
        if not pkg.editable and not any(graph.packages[i].editable for i in graph.importers(p)):
            continue
        if pkg.editable:
            tp, why = typed.package(pkg)
            model = load_model(files, pkg, names, tp, typed.file_keys(pkg) if tp else None, why,
                               files.sources.rel(pkg.dir))
        else:
            model = load_model(files, pkg, names)
        if model is None:
            continue
        if not pkg.editable:
            # Report only the boundary: an outside package that the repository imports directly.
            if any(graph.packages[i].editable for i in graph.importers(p)):
                yield _upstream(target, graph, model, pedges, files)
            continue
        split = _Split(project, settings, target, graph, model, names, files, size.removal_estimate, typed)
        yield from split.light(pedges)
        for b, e in pedges:
            yield from split.heavy(e, b)


def _upstream(target: Target, graph: BuildGraph, model: PackageModel, pedges: list[tuple[int, Edge]],
              files: _ModuleFiles) -> Refusal:
    needed = sorted({n for imp in graph.importers(model.import_path)
                     for n in _user_refs(graph.packages[imp], model, files)})
    b, (p, q) = pedges[0]
    return Refusal(NAME, (target,), f"{p} -> {q}: upstream package",
                   f"{p} is outside the repository ({model.pkg.module}): report upstream that "
                   f"{target.name} uses only {', '.join(needed) or 'nothing'} of it while it imports {q}",
                   b)


def _user_refs(ipkg: Package, model: PackageModel, files: _ModuleFiles) -> set[str]:
    out: set[str] = set()
    for f in ipkg.files:
        try:
            src = files.get(Path(ipkg.dir) / f)
        except OSError:
            continue
        for imp in src.imports:
            if ipkg.resolve(imp.path) == model.import_path:
                local = imp.name or model.name
                out |= {n for u in src.units for q, n in u.refs if q == local}
    return out


def _selected(users: Iterable[_User]) -> Members:
    out = Members()
    for u in users:
        out = out | u.selectors
    return out


@dataclass
class _User:
    """A non-test file of an importer of P, and the names of P it uses."""

    path: Path
    src: GoFile
    pkg: Package
    local: str
    explicit: bool
    names: set[str]
    selectors: Members  # what it selects of P's types
    in_config: bool


class _Split:
    """Both directions of splitting one package P for one target."""

    def __init__(self, project: Project, settings: Settings, target: Target, graph: BuildGraph,
                 model: PackageModel, names: dict[str, str], files: _ModuleFiles,
                 package_bytes: object, typed: _TypedLookup | None = None) -> None:
        self.project = project
        self.typed = typed or _TypedLookup(project, target)
        self.settings = settings
        self.target = target
        self.graph = graph
        self.m = model
        self.names = names
        self.files = files
        self.package_bytes = package_bytes
        self.p = model.import_path
        self.pdir = Path(model.pkg.dir)

    # -- shared ---------------------------------------------------------------------------------

    def rel(self, path: Path) -> str:
        return path.relative_to(self.project.root).as_posix()

    def bytes_of(self, removed: Iterable[str]) -> int:
        fn = self.package_bytes
        assert callable(fn)
        return int(fn(removed))

    def users(self) -> list[_User]:
        """Files of the target's importers of P (every platform), with what each uses of P."""
        out = []
        for imp in sorted(self.graph.importers(self.p)):
            ipkg = self.graph.packages[imp]
            if not ipkg.editable:
                raise Refused(f"{imp} imports {self.p} and is outside the repository, so it cannot be "
                              "repointed")
            for f in self.files.names_in(ipkg, tests=False):
                path = Path(ipkg.dir) / f
                src = self.files.get(path)
                if src.package != ipkg.name:
                    continue
                for i in src.imports:
                    if ipkg.resolve(i.path) != self.p:
                        continue
                    if i.name == ".":
                        raise Refused(f"{self.rel(path)} dot-imports {self.p}")
                    if i.name == "_":
                        raise Refused(f"{self.rel(path)} imports {self.p} for its side effects only")
                    local = i.name or self.m.name
                    used = {n for u in src.units for q, n in u.refs if q == local}
                    sels = self.typed.members(ipkg, f, self.p) or Members(
                        names=frozenset(s for u in src.units for s in u.selectors))
                    out.append(_User(path, src, ipkg, local, i.name is not None, used, sels,
                                     f in ipkg.files))
        return out

    def units_named(self, names: Iterable[str]) -> list[Unit]:
        out = []
        for n in sorted(names):
            found = self.m.by_name.get(n)
            if not found:
                raise Refused(f"{self.p}.{n} is used but its declaration was not found in {self.pdir}")
            out.extend(found)
        return out

    def heavy_units(self, q: str, units: Iterable[Unit]) -> list[Unit]:
        return [u for u in units if self.m.references(u, q)]

    def config_files(self) -> set[str]:
        return set(self.m.pkg.files)

    def new_name(self, moved: list[Unit], hint: str, fallback: str) -> tuple[str, str]:
        """Package name and import path for the new package next to P: named after the hint file, or
        fallback when that is P's own name (gotify's database.go: database/core, not database/database)."""
        override = self.settings.new_package_names.get(self.p)
        known = set(self.names.values())
        if override:
            name = override
        else:
            main = next((u for u in moved if u.kind == "func" and u.names[0][:1].isupper()), None)
            stem = Path(hint).stem.split("_")[0] if hint else ""
            base = stem or (main.names[0] if main else "part")
            name = re.sub(r"[^a-z0-9]", "", base.lower()) or "part"
            if name == self.m.name:
                name = re.sub(r"[^a-z0-9]", "", fallback.lower()) or "part"
            if name in known or name == self.m.name or name in ("main", "internal", "test"):
                name = self.m.name + name
        path = f"{self.p}/{name}"
        i = 2
        while (self.pdir / name).exists() or path in self.names:
            if override:
                raise Refused(f"the new package name {override!r} (settings) collides with {path}")
            name = f"{name}{i}"
            path = f"{self.p}/{name}"
            i += 1
        return name, path

    def check_internal(self, new_path: str, user_paths: Iterable[str]) -> None:
        parts = new_path.split("/")
        if "internal" not in parts:
            return
        idx = len(parts) - 1 - parts[::-1].index("internal")
        parent = "/".join(parts[:idx])
        for up in user_paths:
            if not (up == parent or up.startswith(parent + "/")):
                raise Refused(f"{up} could not import {new_path}: only packages under {parent or '/'} "
                              "may import an internal package")

    def reach_after(self, cut: set[Edge], add: dict[str, set[str]]) -> frozenset[str]:
        """Packages reachable from the root with edges cut and extra edges (from new nodes) added."""
        seen = {self.graph.root}
        queue = deque([self.graph.root])
        while queue:
            p = queue.popleft()
            nxt = [q for q in self.graph.imports(p) if (p, q) not in cut] if p in self.graph.packages else []
            nxt += sorted(add.get(p, ()))
            for q in nxt:
                if q not in seen:
                    seen.add(q)
                    queue.append(q)
        return frozenset(seen)

    def chain(self, pkg: str) -> list[str]:
        chains = self.graph.why(pkg, limit=1)
        return chains[0] if chains else []

    # -- Direction.LIGHT: extract the light part ------------------------------------------------

    def light(self, pedges: list[tuple[int, Edge]]) -> Iterator[Draft | Refusal]:
        first_b, first = pedges[0]
        try:
            users = self.users()
            roots = set().union(*(u.names for u in users if u.in_config)) if users else set()
            root_units = self.units_named(roots)
            if not root_units:  # only a blank import, or names of other configurations: nothing to move
                raise Refused(f"the packages of {self.target.name} that import {self.p} use none of its "
                              "declarations, only its initialization: a split has nothing to move (guard-with-tag "
                              "or removing the import cuts it)")
            needed = self.m.closure(root_units)
        except Refused as r:
            yield self.refusal(first, first_b, Direction.LIGHT, str(r))
            return
        cut: list[tuple[int, Edge]] = []
        for b, (p, q) in pedges:
            heavy = self.heavy_units(q, needed)
            if not heavy:
                cut.append((b, (p, q)))
                continue
            direct = self.m.closure(root_units, all_methods=False, selected=_selected(users))
            dheavy = self.heavy_units(q, direct)
            if dheavy:
                why = self.path_to(root_units, dheavy[0])
                yield self.refusal((p, q), b, Direction.LIGHT,
                                   f"{self.target.name} needs {' -> '.join(why)}, which uses {q}: "
                                   "leave it to the guard strategy")
            else:
                yield self.refusal((p, q), b, Direction.LIGHT, self.method_cycle(needed, heavy, q))
        if not cut:
            return
        try:
            draft = self.light_plan(users, needed, [e for _, e in cut], root_units)
        except Refused as r:
            yield self.refusal(first, first_b, Direction.LIGHT, str(r))
            return
        if draft is not None:
            draft.resolution, draft.names_why = self.m.resolution, self.m.names_why
            yield draft

    def path_to(self, roots: list[Unit], goal: Unit) -> list[str]:
        parent: dict[str, Unit | None] = {r.key: None for r in roots}
        by_key = {r.key: r for r in roots}
        queue = deque(roots)
        while queue:
            u = queue.popleft()
            if u.key == goal.key:
                break
            nxt = self.m.internal(u)
            if u.kind in ("type", "alias"):
                nxt += [m for n in u.names for m in self.m.methods.get(n, ())]
            for v in nxt:
                if v.key not in parent:
                    parent[v.key] = u
                    by_key[v.key] = v
                    queue.append(v)
        out = []
        cur: Unit | None = by_key.get(goal.key, goal)
        while cur is not None:
            out.append(cur.label)
            cur = parent.get(cur.key)
        return out[::-1]

    def method_cycle(self, needed: list[Unit], heavy: list[Unit], q: str) -> str:
        """Why the light part cannot leave: heavy methods keep their types (and values) in P."""
        stay_types = {h.receiver for h in heavy if h.kind == "method" and h.receiver}
        stay = [u for u in needed
                if (u.kind == "method" and u.receiver in stay_types) or set(u.names) & stay_types]
        stay += [u for u in needed if u.kind == "var" and self.m.uses(u) & stay_types]
        skeys = {u.key for u in stay}
        moving = [u for u in needed if u.key not in skeys]
        out_refs = [f"{self.m.name}.{u.label} -> {self.m.name}.{v.label}"
                    for u in moving for v in self.m.internal(u) if v.key in skeys]
        back = [f"{self.m.name}.{u.label} -> {self.m.name}.{v.label}"
                for u in stay for v in self.m.internal(u) if v.key in {x.key for x in moving}]
        meths = ", ".join(sorted(h.label for h in heavy))
        return (f"import cycle: {meths} use {q} and must stay with their type in {self.m.name}; "
                f"the moved code would import {self.m.name} ({'; '.join(sorted(set(out_refs))) or 'forwarders'}) "
                f"while {self.m.name} imports it back ({'; '.join(sorted(set(back))) or 'forwarders'})")

    def refusal(self, edge: Edge, b: int, direction: Direction, reason: str) -> Refusal:
        if self.m.resolution == NAMES:
            reason += f" (references resolved by name: {self.m.names_why})"
        return Refusal(NAME, (self.target,), f"{edge[0]} -> {edge[1]}: move the {direction.part}", reason, b)

    def light_plan(self, users: list[_User], needed: list[Unit], edges: list[Edge], root_units: list[Unit]
                   ) -> Draft | None:
        m = self.m
        moved_keys = {u.key for u in needed}
        moved_names = {n for u in needed if u.kind != "method" for n in u.names}
        counts: dict[str, int] = {}
        for u in root_units:
            counts[u.file] = counts.get(u.file, 0) + 1
        hint = max(sorted(counts), key=lambda f: (counts[f], sum(len(u.text) for u in needed if u.file == f)))
        new, new_path = self.new_name(needed, hint, "core")
        repoint = [u for u in users if u.names <= moved_names]
        self.check_internal(new_path, {u.pkg.import_path for u in repoint} | {self.p})
        remaining = [u for u in m.units if u.key not in moved_keys]
        # Unexported fields/methods of moved types that P's other code (or its tests) still selects: by
        # their types where the code is type-checked, by name elsewhere.
        moved_types = {n for u in needed if u.kind in ("type", "alias") for n in u.names}
        hidden = {(t, f) for u in needed if u.kind == "type" for t in u.names for f in u.fields
                  if not f[:1].isupper()}
        hidden |= {(u.receiver, u.names[0]) for u in needed if u.kind == "method" and u.receiver in moved_types
                   and not u.names[0][:1].isupper()}
        if m.resolution == TYPES:
            # Tests are not type-checked: a test reaches a moved type's members only through a name
            # that moves, or a declaration of P that names one (transitively).
            related = set(moved_names)
            grew = True
            while grew:
                more = {n for u in remaining if m.uses(u) & related
                        for n in ((u.receiver or "",) if u.kind == "method" else u.names)}
                grew = not more <= related
                related |= more
            tests = m.test_refs(related)
        else:
            tests = m.test_refs()
        clash = {f for t, f in hidden if f in tests}
        for u in remaining:
            mem = m.members(u)
            clash |= {f for t, f in hidden if mem.has(t, f)}
        if clash:
            raise Refused(f"code left in {m.name} selects unexported fields or methods of moved types: "
                          f"{', '.join(sorted(clash))}")
        # A literal of a moved type that sets its unexported fields compiles only in the type's package.
        lits = [f"{u.label} ({m.position(u, _literal_pattern(t), fs)}) sets {', '.join(fs)} of {t}"
                for u in remaining for t, fs in m.literals(u, moved_types)]
        if lits:
            raise Refused(f"code left in {m.name} builds literals of moved types with unexported fields, which "
                          f"only their package may set: {'; '.join(lits)}")
        # Which moved names need a forwarder in P: exported ones, and those P's other code uses.
        used_by_rest = set().union(*(m.uses(u) for u in remaining)) | m.test_refs()
        fwd: set[str] = {n for n in moved_names if n[:1].isupper() or n in used_by_rest}
        by_name = {n: u for u in needed if u.kind != "method" for n in u.names}
        while True:
            more = set()
            for n in fwd:
                u = by_name[n]
                if u.signature is not None:
                    for tok in re.findall(r"[A-Za-z_]\w*", u.signature.params_text + u.signature.result
                                          + u.signature.type_params):
                        if tok in moved_names and tok not in fwd:
                            more.add(tok)
            if not more:
                break
            fwd |= more
        renames = {n: _exported(n) for n in fwd if not n[:1].isupper()}
        for old, newn in renames.items():
            if newn in m.by_name or newn in moved_names:
                raise Refused(f"{old} must be exported from {new_path} as {newn}, which already exists")
        go_version = _go_version(Path(self.m.pkg.module_dir or self.project.root))
        for n in fwd:
            u = by_name[n]
            if u.kind in ("type", "alias") and u.generic and go_version < (1, 24):
                raise Refused(f"generic type {n} needs an alias forwarder, which needs go >= 1.24 in go.mod")
        changes: dict[str, tuple[bytes | None, bytes | None]] = {}
        new_dir = self.pdir / new
        # New package files.
        by_file: dict[str, list[Unit]] = {}
        for u in needed:
            by_file.setdefault(u.file, []).append(u)
        doc_file = hint
        for f, units in sorted(by_file.items()):
            src = m.sources[f]
            body = _new_file(src, units, new, renames, m.names,
                             doc=(f"// Package {new} holds the part of package {m.name} that "
                                  f"{self.target.name} needs,\n// split out so that importing it does not "
                                  f"link {', '.join(q for _, q in edges)}.\n").encode() if f == doc_file else b"")
            changes[self.rel(new_dir / f)] = (None, body)
        # P's files: forwarders in place of moved declarations, imports fixed.
        for f, units in sorted(by_file.items()):
            src = m.sources[f]
            texts: dict[int, bytes] = {}
            ranges = []
            groups: dict[tuple[int, int], list[Unit]] = {}
            # A parameter or local named like the new package would shadow it: import it renamed.
            idents = identifiers(src.src) | set(src.import_paths(m.names))
            qual = m.name + new if new in idents else new
            for u in units:
                names = [n for n in u.names if n in fwd]
                fw = _forwarders(u, names, qual, renames) if names else b""
                ranges.append((u.start, u.end))
                if u.grouped and u.group is not None:
                    groups.setdefault(u.group, []).append(u)
                    if fw:
                        texts[-u.group[1]] = texts.get(-u.group[1], b"") + b"\n" + fw
                elif fw:
                    texts[u.start] = fw
            for g in groups:
                if all(x.key in moved_keys for x in src.units if x.group == g):
                    ranges = [r for r in ranges if not (g[0] <= r[0] < g[1])] + [g]
                    if -g[1] in texts:
                        texts[g[0]] = texts.pop(-g[1]).lstrip(b"\n")
            after = apply_edits(src.src, delete_lines(src.src, ranges, {k: v for k, v in texts.items() if k >= 0},
                                                      {-k: v for k, v in texts.items() if k < 0}))
            uses_new = any(n in fwd for u in units for n in u.names)
            after, kept = _fix_imports(after, f, m, add=[(new_path, None if qual == new else qual)] if uses_new else [])
            changes[self.rel(self.pdir / f)] = (src.src, None if not kept and _emptied(after, f) else after)
        # Importers: repoint to the new package.
        for user in repoint:
            rel = self.rel(user.path)
            before = changes.get(rel, (user.src.src, user.src.src))[0]
            assert before is not None
            local = user.local if user.explicit else new
            taken = set(user.src.import_paths(m.names)) | {n for x in user.src.units for n in x.names} | set(
                identifiers(user.src.src))
            name: str | None = user.local if user.explicit else None
            if not user.explicit and new in taken:
                local = name = m.name + new
            edits = _requalify(user.src, user.local, local) if local != user.local else []
            edits += rewrite_imports(user.src, ImportChange(repoint=((user.pkg.source_path(self.p), new_path,
                                                                       name),)))
            changes[rel] = (before, apply_edits(before, edits))
        # Estimate on the target's graph.
        cfg_users = {u.pkg.import_path for u in repoint if u.in_config}
        cut = {(imp, self.p) for imp in cfg_users}
        new_imports = {q for u in needed if u.file in self.config_files() for q in m.imports_of(u)}
        add = {imp: {new_path} for imp in cfg_users} | {new_path: {q for q in new_imports if q in self.graph}}
        reach = self.reach_after(cut, add)
        removed = frozenset(self.graph.packages) - reach
        if not removed:
            return None
        cut_edges = [e for e in edges if e[1] in removed or e[0] in removed]
        if not cut_edges:
            return None
        lost, confidence, notes = self.lost_effects(needed, removed)
        for n in sorted(fwd):
            if by_name[n].kind == "var":
                notes.append(f"{m.name}.{n} is now a copy of {new}.{renames.get(n, n)} made at init: "
                             "assignments to one are not seen through the other")
                confidence = "low" if confidence == "low" else "medium"
        if renames:
            notes.append("exported in " + new + ": " + ", ".join(f"{a} -> {b}" for a, b in sorted(renames.items())))
        # the id's key holds no new name, so --package-name keeps the id
        key = f"{Direction.LIGHT.value}|{self.p}|{','.join(sorted(moved_keys))}"
        q0 = cut_edges[0][1]
        after_chain = [*self.chain(self.p)[:-1], new_path]
        return Draft(key, Direction.LIGHT, self.p, new_path, cut_edges, changes, needed, lost, confidence, notes,
                     {self.target: estimate(self.project, self.target, units_cut(self.project, removed, self.p,
                                                                                 needed, keep=True))}, set(removed),
                     {"before": self.chain(q0), "after": [*after_chain, f"({q0} gone)"]})

    def runs_at_startup(self, u: Unit) -> bool:
        """Whether a var's initializer runs code (calls something) when the program starts: by go/types
        where type-checked (a literal or a constant expression does not), else whenever it has one."""
        ds = self.m.decls_of(u)
        return any(d.runs_at_startup for d in ds) if ds is not None else b"=" in u.text

    def lost_effects(self, moved: list[Unit], removed: frozenset[str]) -> tuple[list[str], str, list[str]]:
        """Init functions and var initializers of P that the target stops running."""
        if self.p not in removed:
            return [], "high", []
        mkeys = {u.key for u in moved}
        cfg = self.config_files()
        lost, effects = [], []
        for u in self.m.units:
            if u.key in mkeys or u.file not in cfg:
                continue
            if u.kind == "init":
                lost.append(f"{self.m.name}.{u.label}")
                if e := self.init_effects(u, lambda v: v.key in mkeys, removed):
                    effects.append(f"{self.m.name}.{u.label} reaches {', '.join(e)}")
            elif u.kind == "var" and self.runs_at_startup(u):
                lost.append(f"{self.m.name}.{u.label} initializer ({u.file})")
        if effects:
            raise Refused(f"{'; '.join(effects)}: {self.target.name} would no longer import {self.p}, so that "
                          "init would no longer run there, and the target keeps what it sets or registers with")
        if not lost:
            return [], "high", []
        return lost, "medium", [f"{self.target.name} no longer imports {self.p}, so its package "
                                "initialization does not run there: check nothing relied on it"]

    def init_effects(self, u: Unit, kept: Callable[[Unit], bool], removed: frozenset[str]) -> list[str]:
        """What an init function the target stops running touches that the target keeps: variables of P
        it reaches through P's code (kept(v): the target still reaches the variable), and the functions and
        variables of packages the target still links that it names itself (aside: standard packages with
        no effect seen elsewhere, PURE_PACKAGES). By go/types where type-checked; by name otherwise, every
        name of those packages counting."""
        m = self.m
        out = {f"{m.name}.{v.names[0]}" for v in m.closure([u], all_methods=False) if v.kind == "var" and kept(v)}
        ds = m.decls_of(u)
        if ds is None:
            local = m.locals(u.file)
            refs = {(local[x], n) for x, n in u.refs if x is not None and x in local}
        else:
            refs = {(o.package, o.name) for d in ds for o in d.uses_objects
                    if o.package not in ("", m.import_path) and o.kind in ("func", "var")}
        out |= {f"{p}.{n}" for p, n in refs if p not in removed and p not in PURE_PACKAGES}
        return sorted(out)

    # -- Direction.HEAVY: extract the heavy part ------------------------------------------------

    def heavy(self, edge: Edge, b: int) -> Iterator[Draft | Refusal]:
        try:
            draft = self.heavy_plan(edge)
        except Refused as r:
            yield self.refusal(edge, b, Direction.HEAVY, str(r))
            return
        if draft is not None:
            draft.resolution, draft.names_why = self.m.resolution, self.m.names_why
            yield draft

    def heavy_set(self, h0: list[Unit], forced: Iterable[str]) -> tuple[dict[str, Unit], dict[str, Unit]]:
        """The core (h0, the types of its methods with all their methods and values, and the forced
        types) and everything of P that must move with it (what names it, or P would import it back)."""
        m = self.m
        core: dict[str, Unit] = {}
        stack = [*h0, *(x for t in forced for x in m.by_name.get(t, ()))]
        while stack:  # a method cannot leave its type: the type and all its methods go together
            u = stack.pop()
            if u.key in core:
                continue
            core[u.key] = u
            if u.kind == "method" and u.receiver:
                stack.extend(m.by_name.get(u.receiver, ()))
            if u.kind in ("type", "alias"):
                stack.extend(x for n in u.names for x in m.methods.get(n, ()))
        core_types = {n for u in core.values() if u.kind in ("type", "alias") for n in u.names}
        for u in m.units:  # values of a moving type go with it
            if u.kind == "var" and u.key not in core and m.uses(u) & core_types:
                core[u.key] = u
        heavy = dict(core)
        changed = True
        while changed:  # whatever names the moved code must move too, or P would import it back
            changed = False
            for u in m.units:
                if u.key in heavy:
                    continue
                if any(v.key in heavy for v in m.internal(u)):
                    heavy[u.key] = u
                    changed = True
                    if u.kind == "method" and u.receiver:
                        for x in m.by_name.get(u.receiver, ()):
                            heavy.setdefault(x.key, x)
                    if u.kind in ("type", "alias"):
                        for x in (x for n in u.names for x in m.methods.get(n, ())):
                            heavy.setdefault(x.key, x)
        return core, heavy

    def hidden_uses(self, moved: list[Unit], remaining: list[Unit]) -> dict[str, list[str]]:
        """Type-checked moved code that needs unexported members of P's remaining types, which only P
        may use: type -> where (a literal setting unexported fields, a selection of an unexported
        field or method). Name-resolved code is checked by name (Refused)."""
        m = self.m
        rem_types = {n for u in remaining if u.kind == "type" for n in u.names}
        out: dict[str, list[str]] = {}
        by_name: list[Unit] = []
        for u in moved:
            if m.decls_of(u) is None:
                by_name.append(u)
                continue
            for t, fs in m.literals(u, rem_types):
                out.setdefault(t, []).append(
                        f"{u.label} ({m.position(u, _literal_pattern(t), fs)}) builds a {t} literal setting "
                    f"{', '.join(fs)}")
            for t, f in sorted(m.members(u, conversions=False).exact):
                if t in rem_types and not f[:1].isupper():
                    out.setdefault(t, []).append(f"{u.label} ({m.position(u, _selector_pattern(f))}) selects {t}.{f}")
        if by_name:
            hidden = {f for u in remaining if u.kind == "type" for f in u.fields if not f[:1].isupper()}
            hidden |= {u.names[0] for u in remaining if u.kind == "method" and not u.names[0][:1].isupper()
                       and u.receiver in rem_types}
            msels = set().union(*(u.selectors for u in by_name)) | {n for u in by_name for x, n in u.refs if x is None}
            if hidden & msels:
                raise Refused(f"the moved code selects unexported fields or methods of {m.name}'s remaining "
                              f"types ({', '.join(sorted(hidden & msels))}): they would have to be exported")
        return out

    def heavy_plan(self, edge: Edge) -> Draft | None:
        m = self.m
        q = edge[1]
        h0 = self.heavy_units(q, m.units)
        if not h0:
            return None
        users = self.users()
        roots = self.units_named(set().union(*(u.names for u in users if u.in_config)) if users else set())
        needed = m.closure(roots, all_methods=False, selected=_selected(users))
        # Types whose unexported fields or methods the moved code uses move with it (type-checked code).
        forced: dict[str, list[str]] = {}
        while True:
            core, heavy = self.heavy_set(h0, forced)
            hit = [u for u in needed if u.key in heavy]
            if hit and forced:
                why = "; ".join(w for t in sorted(forced) for w in forced[t])
                raise Refused(f"{why}: {', '.join(sorted(forced))} would have to move with it (only its package may "
                              f"set or read unexported fields), but {self.target.name} needs "
                              f"{', '.join(u.label for u in hit)}")
            if hit:
                direct = [u for u in hit if u.key in core and any(u.key == h.key for h in h0)]
                if direct:
                    raise Refused(f"{self.target.name} needs {', '.join(u.label for u in direct)}, which uses {q}: "
                                  "leave it to the guard strategy")
                ckeys = set(core)
                into = sorted({f"{m.name}.{u.label} -> {m.name}.{v.label}" for u in hit if u.key not in ckeys
                               for v in m.internal(u) if v.key in ckeys})
                back = sorted({f"{m.name}.{u.label} -> {m.name}.{v.label}" for u in core.values()
                               for v in m.internal(u) if v.key not in ckeys})
                raise Refused(f"import cycle: the code that uses {q} would move out, but {m.name} keeps "
                              f"referencing it ({'; '.join(into)}) while it references {m.name} back "
                              f"({'; '.join(back) or 'none'})")
            # What only the heavy code needs moves with it.
            tested = m.test_refs()
            keep_roots = [u for u in m.units if u.key not in heavy and (
                any(n[:1].isupper() for n in u.names) or u.kind == "init" or set(u.names) & tested)]
            keep = {u.key for u in m.closure(keep_roots)}
            extra = [u for u in m.closure(heavy.values()) if u.key not in heavy and u.key not in keep]
            moved = sorted([*heavy.values(), *extra], key=lambda u: (u.file, u.start))
            mkeys = {u.key for u in moved}
            remaining = [u for u in m.units if u.key not in mkeys]
            more = self.hidden_uses(moved, remaining)
            if not more:
                break
            if set(more) <= set(forced):  # cannot happen: forced types moved
                raise Refused("; ".join(w for ws in more.values() for w in ws))
            for t, where in more.items():
                forced.setdefault(t, where)
        rem_names = {n for u in remaining if u.kind != "method" for n in u.names}
        needs_p = {n for u in moved for n in m.uses(u) if n in rem_names
                   and any(v.key not in mkeys for v in m.by_name.get(n, ()))}
        renames = {n: _exported(n) for n in needs_p if not n[:1].isupper()}
        for old, newn in renames.items():
            if newn in m.by_name:
                raise Refused(f"{old} must be exported from {self.p} as {newn}, which already exists")
        main = next((u for u in moved if u.kind == "func" and u.names[0][:1].isupper()), moved[0])
        hint = next((f for f in sorted({u.file for u in h0}) if _stem_matches(f, q)), main.file)
        new, new_path = self.new_name(moved, hint, q.rsplit("/", 1)[-1])
        moved_names = {n for u in moved if u.kind != "method" for n in u.names}
        changes: dict[str, tuple[bytes | None, bytes | None]] = {}
        new_dir = self.pdir / new
        by_file: dict[str, list[Unit]] = {}
        for u in moved:
            by_file.setdefault(u.file, []).append(u)
        for f, units in sorted(by_file.items()):
            plocal = _import_name(m.name, identifiers(m.sources[f].src))
            body = _new_file(m.sources[f], units, new, {}, m.names, qualify=(needs_p, plocal, renames),
                             extra_imports=[(self.p, None if plocal == m.name else plocal)] if any(
                                 n in needs_p for u in units for x, n in u.refs if x is None) else [])
            changes[self.rel(new_dir / f)] = (None, body)
        # P's own files (and its internal tests): drop moved code, export what the moved code needs.
        for f, src in sorted({**m.sources, **m.tests}.items()):
            units = by_file.get(f, [])
            before = src.src
            after = before
            if renames:
                after = apply_edits(after, [Edit(s, e, renames[n].encode())
                                            for s, e, n in identifier_sites(after, renames)])
            if units:
                ranges = [(u.start, u.end) for u in units]
                after = _reparse_remove(after, f, ranges, before)
                after, kept = _fix_imports(after, f, m, add=[])
                changes[self.rel(self.pdir / f)] = (before, None if not kept and _emptied(after, f) else after)
            elif after != before:  # renamed identifiers only: the same imports are used, every declaration stays
                changes[self.rel(self.pdir / f)] = (before, after)
        # Internal tests that use moved names: move those test functions with the code.
        for f, tsrc in sorted(m.tests.items()):
            tunits = [u for u in tsrc.units if any(x is None and n in moved_names for x, n in u.refs)]
            if not tunits:
                continue
            tunits, copied = _with_test_helpers(tsrc.units, tunits, moved_names | rem_names)
            plocal = _import_name(m.name, identifiers(tsrc.src))
            body = _new_file(tsrc, tunits, new, {}, m.names, qualify=(
                {n for u in tunits for x, n in u.refs if x is None and n in rem_names}, plocal, renames),
                extra_imports=[(self.p, None if plocal == m.name else plocal)] if any(
                    x is None and n in rem_names for u in tunits for x, n in u.refs) else [])
            changes[self.rel(new_dir / f)] = (None, body)
            prev = changes.get(self.rel(self.pdir / f), (tsrc.src, tsrc.src))
            cur = prev[1]
            assert cur is not None
            cur_src = parse_file(f, cur)
            tkeys = {u.names[0] for u in tunits if u.key not in copied}
            ranges = [(u.start, u.end) for u in cur_src.units if u.names and u.names[0] in tkeys]
            cur = apply_edits(cur, delete_lines(cur, ranges))
            left = parse_file(f, cur)
            if not left.units:
                changes[self.rel(self.pdir / f)] = (prev[0], None)
            else:
                cur, _ = _fix_imports(cur, f, m, add=[])
                changes[self.rel(self.pdir / f)] = (prev[0], cur)
        # Every other user of the moved names, across the module.
        moves_init = any(u.kind == "init" for u in moved)
        target_pkgs = set(self.graph.packages)
        for path, src in self.files.importers(self.p):
            if path.parent == self.pdir and src.package == m.name:
                continue
            rel = self.rel(path)
            imp = next(i for i in src.imports if i.path == self.p)
            local = imp.name or m.name
            used = {n for u in src.units for x, n in u.refs if x == local}
            moving = used & moved_names
            blank = False
            if not moving:
                if not moves_init or path.name.endswith("_test.go"):
                    continue
                ipath = _import_path_of(self.project, path.parent)
                if ipath in target_pkgs:
                    continue
                blank = True
            before = src.src
            taken = set(src.import_paths(m.names)) | {n for x in src.units for n in x.names} | {
                n for x in src.units for q, n in x.refs if q is None}
            nlocal = new if new not in taken else m.name + new
            name = None if nlocal == new else nlocal
            if blank:
                change = ImportChange(add=((new_path, "_"),))
                changes[rel] = (before, apply_edits(before, rewrite_imports(src, change)))
                continue
            edits = _requalify(src, local, nlocal, moving)
            still = used - moving
            change = ImportChange(remove=frozenset() if still else frozenset({self.p}), add=((new_path, name),))
            edits += rewrite_imports(src, change)
            changes[rel] = (before, apply_edits(before, edits))
        self.check_internal(new_path, [self.p] + [
            _import_path_of(self.project, (self.project.root / r).parent)
            for r in changes if not r.startswith(self.rel(new_dir) + "/")])
        # Estimate on the target's graph: P keeps only the imports its remaining code uses.
        cfg = self.config_files()
        keep_imports: set[str] = set()
        for f in cfg:
            if f not in m.sources:
                continue
            lnames = m.locals(f)
            for u in m.sources[f].units:
                if u.key not in mkeys:
                    keep_imports |= {lnames[x] for x, _ in u.refs if x is not None and x in lnames}
            keep_imports |= {m.pkg.resolve(i.path) for i in m.sources[f].imports if i.name in ("_", ".")}
        cut = {(self.p, x) for x in self.graph.imports(self.p) if x not in keep_imports}
        removed = frozenset(self.graph.packages) - self.reach_after(cut, {})
        if q not in removed:
            return None
        nkeys = {u.key for u in needed}  # what the target reaches of P
        effects = [f"{m.name}.{u.label} reaches {', '.join(e)}" for u in moved if u.kind == "init" and u.file in cfg
                   and (e := self.init_effects(u, lambda v: v.key not in mkeys and v.key in nkeys, removed))]
        if effects:
            raise Refused(f"{'; '.join(effects)}: moved to the new package, that init would no longer run in "
                          f"{self.target.name}, which keeps what it sets or registers with (a feature dropped, "
                          "not a split: leave it to the guard strategy)")
        lost = [f"{m.name}.{u.label}" for u in moved if u.kind == "init" and u.file in cfg]
        notes = []
        if lost:
            notes.append(f"init functions moved to {new}: they run only where {new} is imported; "
                         "other importers of " + m.name + " get a blank import")
        # initializers that call into what the target keeps (a flag or a metric defined at start-up)
        calling = [f"{m.name}.{u.label} initializer ({u.file})" for u in moved
                   if u.kind == "var" and u.file in cfg and self.runs_at_startup(u)
                   and self.init_effects(u, lambda v: False, removed)]
        if calling:
            lost += calling
            notes.append(f"moved variables whose initializers call packages {self.target.name} keeps: if one "
                         "defines a flag or registers something, the target no longer has it")
        if renames:
            notes.append("exported in " + m.name + ": " + ", ".join(f"{a} -> {b}" for a, b in sorted(renames.items())))
        types_moved = sorted(u.label for u in moved if u.kind == "type" and any(
            v.kind == "method" and v.receiver in u.names and v.key in {h.key for h in h0} for v in moved))
        if types_moved:
            notes.append("types moved with their methods (a method cannot leave its type): " + ", ".join(types_moved))
        if forced:
            notes.append("types moved with the code that sets or reads their unexported fields (only their package "
                         "may): " + "; ".join(f"{t}: {', '.join(forced[t])}" for t in sorted(forced)))
        confidence = "medium" if (lost or renames) else "high"
        # the id's key holds no new name, so --package-name keeps the id
        key = f"{Direction.HEAVY.value}|{self.p}|{q}|{','.join(sorted(mkeys))}"
        return Draft(key, Direction.HEAVY, self.p, new_path, [edge], changes, moved, lost, confidence, notes,
                     {self.target: estimate(self.project, self.target, units_cut(self.project, removed, self.p,
                                                                                 moved, keep=False))}, set(removed),
                     {"before": self.chain(q), "after": [*self.chain(self.p), f"({q} gone)"]})


def _literal_pattern(type_name: str) -> str:
    """Where a composite literal of the type starts (`T{`, `&T{`, `T[int]{`, `[]T{`)."""
    return rf"\b{re.escape(type_name)}\s*(?:\[[^\]{{}}]*\])?\s*\{{"


def _literal_site(src: bytes, body: int, end: int, fields: tuple[str, ...]) -> int:
    """In a composite literal whose body starts at body (after `{`): the offset of the first key among
    fields, or of the body when it has unkeyed elements; -1 when it sets none of them."""
    depth, i = 1, body
    while i < end and depth:
        c = src[i:i + 1]
        if c in (b'"', b"'", b"`"):  # skip a string or rune literal
            j = i + 1
            while j < end and src[j:j + 1] != c:
                j += 2 if c != b"`" and src[j:j + 1] == b"\\" else 1
            i = j + 1
            continue
        depth += {b"{": 1, b"}": -1}.get(c, 0)
        i += 1
    text = src[body:i - 1]
    keys = re.compile(rb"(?:^|[{,\s])(" + b"|".join(re.escape(f.encode()) for f in fields) + rb")\s*:(?!=)")
    mm = keys.search(text)
    if mm:
        return body + mm.start(1)
    if text.strip() and not re.search(rb"^\s*\w+\s*:(?!=)", text):  # positional: sets every field
        return body
    return -1


def _selector_pattern(member: str) -> str:
    return rf"\.\s*{re.escape(member)}\b"


def _requalify(src: GoFile, old: str, new: str, names: set[str] | None = None) -> list[Edit]:
    """Edits turning `old.Name` into `new.Name` (only the given names when there are some)."""
    try:
        return rename_qualifier(src, old, new, names)
    except SourceError as exc:
        raise Refused(str(exc)) from exc


def _import_path_of(project: Project, d: Path) -> str:
    """The import path of a directory of the repository, in whichever module holds it."""
    return project.sources.import_path(d.relative_to(project.root).as_posix())


def _stem_matches(file: str, q: str) -> bool:
    return Path(file).stem.split("_")[0] == q.rsplit("/", 1)[-1]


def _exported(name: str) -> str:
    return name[:1].upper() + name[1:]


def _go_version(root: Path) -> tuple[int, int]:
    try:
        text = (root / "go.mod").read_text(encoding="utf-8")
    except OSError:
        return (1, 0)
    mm = re.search(r"^go\s+(\d+)\.(\d+)", text, re.M)
    return (int(mm.group(1)), int(mm.group(2))) if mm else (1, 0)


def _reparse_remove(after: bytes, file: str, ranges: list[tuple[int, int]], before: bytes) -> bytes:
    """Remove units (ranges in `before`) from `after`, which may differ from before by renames."""
    if after == before:
        return apply_edits(before, delete_lines(before, ranges))
    old_units = {(u.start, u.end): u for u in parse_file(file, before).units}
    new_units = parse_file(file, after).units
    idx = {u.key: u for u in new_units}
    new_ranges = []
    for r in ranges:
        u = old_units.get(r)
        v = idx.get(u.key) if u is not None else None
        if v is None and u is not None:  # renamed: match by position in the file
            v = next((w for w in new_units if w.index == u.index and w.kind == u.kind), None)
        if v is not None:
            new_ranges.append((v.start, v.end))
    return apply_edits(after, delete_lines(after, new_ranges))


def _fix_imports(after: bytes, file: str, m: PackageModel, add: list[tuple[str, str | None]]) -> tuple[bytes, bool]:
    """Drop the imports that no declaration of the (edited) file uses; add the given ones. Also whether
    any declaration is left (a file with one is not emptied: _emptied need not parse it again)."""
    src = _parse(file, after, m.names)
    units = src.units
    locals_ = src.import_paths(m.names)
    used = {x for u in units for x, _ in u.refs if x is not None}
    remove = frozenset(path for name, path in locals_.items() if name not in used)
    have = {i.path for i in src.imports}
    change = ImportChange(remove=remove, add=tuple(a for a in add if a[0] not in have))
    out = apply_edits(after, rewrite_imports(src, change))
    if b"\n\n\n" in out and b"\n\n\n" not in after:
        out = out.replace(b"\n\n\n", b"\n\n")
    return out.rstrip(b"\n") + b"\n", bool(units)


def _emptied(after: bytes, file: str) -> bool:
    """Whether a file has nothing left but its header and package clause."""
    src = parse_file(file, after)
    return not src.units and not src.imports and not after[src.package_line_end:].strip()


def _forwarders(u: Unit, names: list[str], new: str, renames: dict[str, str]) -> bytes:
    """Forwarders for the given names of u: one declaration each, or one aligned const group."""
    if u.kind == "const" and len(names) > 1:
        width = max(len(n) for n in names)
        lines = "".join(f"\t{n.ljust(width)} = {new}.{renames.get(n, n)}\n" for n in names)
        return f"// These constants are {new}'s.\nconst (\n{lines})\n".encode()
    return b"".join(_forwarder(u, n, new, renames.get(n, n)) for n in names)


def _forwarder(u: Unit, name: str, new: str, target_name: str) -> bytes:
    ref = f"{new}.{target_name}"
    if u.kind in ("type", "alias"):
        return f"// {name} is {ref}.\ntype {name} = {ref}\n".encode()
    if u.kind == "const":
        return f"// {name} is {ref}.\nconst {name} = {ref}\n".encode()
    if u.kind == "var":
        return f"// {name} is {ref}.\nvar {name} = {ref}\n".encode()
    sig = u.signature
    assert sig is not None
    params = list(sig.params)
    if all(p.name not in (None, "_") for p in params):
        ptext = sig.params_text
    else:
        named = [p if p.name not in (None, "_") else type(p)(f"p{i}", p.type, p.variadic)
                 for i, p in enumerate(params)]
        params = named
        ptext = "(" + ", ".join(f"{p.name} {'...' if p.variadic else ''}{p.type}" for p in named) + ")"
    args = ", ".join(f"{p.name}{'...' if p.variadic else ''}" for p in params)
    targs = f"[{', '.join(sig.type_param_names)}]" if sig.type_param_names else ""
    call = f"{ref}{targs}({args})"
    result = f" {sig.result}" if sig.result else ""
    body = f"\treturn {call}\n" if sig.result else f"\t{call}\n"
    return f"// {name} calls {ref}.\nfunc {name}{sig.type_params}{ptext}{result} {{\n{body}}}\n".encode()


def _new_file(src: GoFile, units: list[Unit], new: str, renames: dict[str, str], names: dict[str, str],
              doc: bytes = b"", qualify: tuple[set[str], str, dict[str, str]] | None = None,
              extra_imports: list[tuple[str, str | None]] | None = None) -> bytes:
    """A file of the new package holding units, with the source file's header and the imports they use."""
    texts = []
    for u in sorted(units, key=lambda x: x.start):
        text = u.text
        edits: list[Edit] = []
        if renames:
            edits += [Edit(s, e, renames[n].encode()) for s, e, n in identifier_sites(text, renames)]
        if qualify:
            qnames, plocal, prenames = qualify
            edits += [Edit(s, e, f"{plocal}.{prenames.get(n, n)}".encode())
                      for s, e, n in _top_ident_sites(text, qnames)]
        text = apply_edits(text, edits)  # a name both renamed and qualified would overlap: an error
        texts.append(text.rstrip(b"\n") + b"\n")
    body = b"\n".join(texts)
    locals_ = src.import_paths(names)
    used = {x for u in units for x, _ in u.refs if x is not None}
    imports = [(i.path, i.name) for i in src.imports
               if (i.name or "") not in ("_", ".") and any(
                   loc in used and p == i.path for loc, p in locals_.items())]
    imports += extra_imports or []
    header = src.header
    out = header + doc + f"package {new}\n".encode()
    if imports:
        runs: dict[bool, list[bytes]] = {}
        for p, n in sorted(set(imports)):
            line = b"\t" + (n.encode() + b" " if n else b"") + b'"' + p.encode() + b'"\n'
            runs.setdefault("." in p.split("/")[0], []).append(line)
        if len(imports) == 1:
            out += b"\nimport " + next(iter(runs.values()))[0].strip() + b"\n"
        else:
            out += b"\nimport (\n" + b"\n".join(b"".join(r) for _, r in sorted(runs.items())) + b")\n"
    return out + b"\n" + body


def _with_test_helpers(units: Sequence[Unit], moving: list[Unit], package_names: set[str]
                       ) -> tuple[list[Unit], set[str]]:
    """The test units that move, with the helpers of their file they call (node_exporter's
    canTestPerf), transitively; and the keys of the helpers the tests that stay call too (copied, not
    moved)."""
    declared = {n: u for u in units for n in u.names if n not in package_names}
    out = {u.key: u for u in moving}
    todo = list(moving)
    while todo:
        u = todo.pop()
        for x, n in u.refs:
            h = declared.get(n) if x is None else None
            if h is not None and h.key not in out:
                out[h.key] = h
                todo.append(h)
    staying = [u for u in units if u.key not in out]
    used_by_staying = {n for u in staying for x, n in u.refs if x is None}
    copied = {k for k, u in out.items() if k not in {m.key for m in moving} and set(u.names) & used_by_staying}
    return sorted(out.values(), key=lambda u: u.start), copied


def _import_name(name: str, taken: frozenset[str]) -> str:
    """The name moved code imports its old package under: its own, unless an identifier of the file it
    came from (a local `collector := ...` in package collector) would shadow it."""
    out, n = name, 1
    while out in taken:
        out, n = f"{name}pkg{'' if n == 1 else n}", n + 1
    return out


def _top_ident_sites(text: bytes, names: set[str]) -> list[tuple[int, int, str]]:
    """Identifiers naming package-level declarations, skipping the declared name itself."""
    out = identifier_sites(text, names)
    head = re.match(rb"(?:\s*//[^\n]*\n)*\s*(?:func|type|var|const)\s+(?:\([^)]*\)\s*)?(\w+)", text)
    if head:
        out = [s for s in out if s[0] != head.start(1)]
    return out


STRATEGY = Strategy(name=NAME, summary="Move the used (or the heavy) declarations of a package to a new package",
                    propose=propose, needs=Needs.GRAPHS | Needs.SOURCES | Needs.SIZES | Needs.TYPED,
                    warm=warm)
