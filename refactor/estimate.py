"""Estimated bytes of a cut: what the linker would stop keeping, before any rebuild.

A cut is what a candidate takes out of one target's build: packages that leave the build graph,
and top-level declarations of the module's own packages that leave the build (a guarded file's) or
that stay although their package goes (a split's moved part). Summing the removed packages'
attributed bytes misses most of it (bench/results.md, 2026-11-26: 12-94 % low): code of packages
that stay but that only the cut code reached (net/http, reflect, generic instantiations), packages
that stay in the graph but lose all their code, and the switch of method dead-code elimination
when the last <ReflectMethod> function or the dynamic-linking `plugin` import goes.

The loader gives each target a ReachModel (the attribution core's `reach` mode, refactor/attrib/
reach.go): the linker's reachability pass replayed on the link's object files while the linker
runs, checked against the `-dumpdep` stream once the link is over, as a small graph. Nodes carry
the bytes their symbols occupy and their symbols' fixed records, per owning package; each variant
of the pass (the binary's mode, and without the reflect-method rule or dynamic linking) has its own
edges; a method kept for an interface call hangs on its type and on a node for the call (an AND
edge). An estimate walks the graph from the linker's roots with the cut's nodes left out, in the
mode the cut leaves (no reachable <ReflectMethod> function: method DCE on), and prices what is no
longer reached with each package's attributed bytes: per symbol its fixed records, per byte the rest
(so DWARF, symbol table, pclntab, strings and type descriptors go with the code, in proportion).
The named buckets left over (runtime type metadata, padding...) shrink in proportion too; leaving
dynamic linking also drops the dynamic symbols of what stays; C code (the `cgo/C` bucket) leaves with
the module packages that bring it (cgo_share).

Without a model (a recorded project, a failed replay) the estimate is SizeTable.removal_estimate of
the removed packages.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import subprocess
import threading
import weakref
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from itertools import compress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from refactor.toolchain import DEFAULT_TIMEOUT, Go

if TYPE_CHECKING:
    from refactor.binary import SizeTable
    from refactor.config import Target
    from refactor.graph import BuildGraph
    from refactor.project import Project

MODEL_VERSION = 2
FIXED_BUCKETS = frozenset({"elf headers", "buildinfo", "cgo/C", "dynamic linking"})


@dataclass(frozen=True)
class Variant:
    """One replay of the linker's pass: the binary's own mode, or without a rule."""

    name: str
    reflect: bool  # a <ReflectMethod> function was reached: every exported method kept
    dynlink: bool  # dynamic-linking mode: every method kept
    reflect_rule: bool  # the variant lets a reached <ReflectMethod> function keep methods
    symbols: int
    bytes: int


@dataclass(frozen=True)
class VariantGraph:
    """The edges that hold in one variant: successors per node, the nodes reached whatever is cut
    (roots), the nodes the variant does not reach even without a cut (absent)."""

    succ: list[list[int]]
    roots: list[int]
    absent: list[int]


@dataclass(frozen=True, eq=False)
class ReachModel:
    """One target's reachability graph (see the module docstring). Node ids are 0..n-1."""

    variants: tuple[Variant, ...]
    units: tuple[str, ...]  # "pkg" or "pkg\tDecl"
    owners: tuple[str, ...]
    unit: list[int]  # per node: index in units, -1 none (goes only when unreached)
    weights: list[list[int]]  # per node: triples owner, bytes, fixed cost (symbol records)
    graphs: tuple[VariantGraph, ...]  # per variant
    flagged: tuple[int, ...]  # nodes holding a <ReflectMethod> function
    ands: list[int]  # quadruples t, s, m, variant mask: m is reached when t and s both are
    owner_bytes: dict[str, int]
    owner_overhead: dict[str, int]
    always: dict[str, int]
    always_overhead: dict[str, int]
    check: dict[str, Any] = field(default_factory=dict)
    # reached <ReflectMethod> functions (symbol, chain root first, certain), certain ones first, at most
    # 21 of blockers_total: the linker.Dumpdep of a link that ran without -dumpdep
    blockers: tuple[tuple[str, tuple[str, ...], bool], ...] = ()
    blockers_total: int = 0
    _index: dict[str, Any] = field(default_factory=dict, repr=False, compare=False, hash=False)

    @property
    def nodes(self) -> int:
        return len(self.unit)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_index"] = {}  # derived: not pickled with the loader's facts
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        for k, v in state.items():
            object.__setattr__(self, k, v)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ReachModel:
        if data.get("version") != MODEL_VERSION:
            raise ValueError(f"reachability model version {data.get('version')!r} is not {MODEL_VERSION}")
        return cls(
            variants=tuple(Variant(str(v["name"]), bool(v["reflect"]), bool(v["dynlink"]), bool(v["reflect_rule"]),
                                   int(v["symbols"]), int(v["bytes"])) for v in data["variants"]),
            units=tuple(data["units"] or ()), owners=tuple(data["owners"] or ()), unit=list(data["unit"] or ()),
            weights=[w or [] for w in data["weights"] or ()],
            graphs=tuple(VariantGraph(g["succ"], g["roots"], g["absent"]) for g in data["graphs"]),
            flagged=tuple(data["flagged"] or ()), ands=list(data.get("ands") or ()),
            owner_bytes=dict(data["owner_bytes"] or {}), owner_overhead=dict(data.get("owner_overhead") or {}),
            always=dict(data.get("always") or {}), always_overhead=dict(data.get("always_overhead") or {}),
            check=dict(data.get("check") or {}),
            blockers=tuple((str(b["symbol"]), tuple(b["chain"] or ()), bool(b["certain"]))
                           for b in data.get("blockers") or ()),
            blockers_total=int(data.get("blockers_total") or 0))

    def to_json(self) -> dict[str, Any]:
        return {"version": MODEL_VERSION,
                "variants": [{"name": v.name, "reflect": v.reflect, "dynlink": v.dynlink,
                              "reflect_rule": v.reflect_rule, "symbols": v.symbols, "bytes": v.bytes}
                             for v in self.variants],
                "units": list(self.units), "owners": list(self.owners), "unit": list(self.unit),
                "weights": self.weights,
                "graphs": [{"succ": g.succ, "roots": g.roots, "absent": g.absent} for g in self.graphs],
                "flagged": list(self.flagged), "ands": list(self.ands),
                "owner_bytes": dict(self.owner_bytes),
                "owner_overhead": dict(self.owner_overhead), "always": dict(self.always),
                "always_overhead": dict(self.always_overhead), "check": dict(self.check),
                "blockers": [{"symbol": s, "chain": list(c), "certain": k} for s, c, k in self.blockers],
                "blockers_total": self.blockers_total}

    def prepare(self) -> ReachModel:
        """Build the indexes every estimate walks (AND edges per node, each variant's present nodes, the
        nodes of each unit) now: the replay's reader does so beside the attribution, not the estimates."""
        self.unit_nodes()
        for v in range(len(self.graphs)):
            self.ands_list(v)
            self.present(v)
        return self

    def present(self, variant: int) -> bytearray:
        """1 for each node the variant reaches without a cut."""
        key = f"present{variant}"
        if key not in self._index:
            out = bytearray(b"\x01") * self.nodes
            for v in self.graphs[variant].absent:
                out[v] = 0
            self._index[key] = out
        return self._index[key]  # type: ignore[no-any-return]

    def ands_of(self, variant: int) -> dict[int, list[tuple[int, int, int]]]:
        """The variant's AND edges by each of their two ends: node -> [(other end, target, type end)]."""
        key = f"ands{variant}"
        if key not in self._index:
            bit = 1 << variant
            out: dict[int, list[tuple[int, int, int]]] = {}
            a = self.ands
            for i in range(0, len(a), 4):
                if a[i + 3] & bit:
                    t, s, m = a[i], a[i + 1], a[i + 2]
                    out.setdefault(t, []).append((s, m, t))
                    out.setdefault(s, []).append((t, m, t))
            self._index[key] = out
        return self._index[key]  # type: ignore[no-any-return]

    def unit_nodes(self) -> dict[int, list[int]]:
        """unit -> its nodes."""
        if "units" not in self._index:
            out: dict[int, list[int]] = {}
            for node, u in enumerate(self.unit):
                if u >= 0:
                    out.setdefault(u, []).append(node)
            self._index["units"] = out
        return self._index["units"]  # type: ignore[no-any-return]

    def walk(self, cut: bytearray, variant: int, stop: Iterable[int] = (),
             severed: Mapping[int, Collection[int]] | None = None) -> bytearray | None:
        """A walk of the variant from the roots along the edges, and along an AND edge once both its
        ends are reached, never entering the cut's nodes: the marks of the reached nodes (the cut's
        nodes are marked too). None as soon as it reaches one of the stop nodes outside the cut.
        severed: node -> successors its edges no longer reach (Cut.sever). Served by the replay's core
        (walk.go) while it runs, else walked here."""
        server = self._index.get("server")
        if server is not None:
            try:
                return server.walk(self, cut, variant, stop, severed)  # type: ignore[no-any-return]
            except WalksGone:
                self._index.pop("server", None)
        g = self.graphs[variant]
        succ = g.succ
        andl = self.ands_list(variant)
        seen = bytearray(cut)
        stops = [f for f in stop if not cut[f]]
        for f in stops:
            seen[f] = 2  # not reached yet; the walk ends when it is
        stack = []
        for r in g.roots:
            if not cut[r] and seen[r] != 1:
                if seen[r]:
                    return None
                seen[r] = 1
                stack.append(r)
        pop, push = stack.pop, stack.append
        gone = severed or {}
        while stack:
            v = pop()
            off = gone.get(v)
            for w in succ[v]:
                if seen[w] != 1:
                    if off is not None and w in off:
                        continue
                    if seen[w]:
                        return None
                    seen[w] = 1
                    push(w)
            pairs = andl[v]
            if pairs:
                for other, w, _t in pairs:
                    if seen[other] == 1 and not cut[other] and seen[w] != 1:
                        if seen[w]:
                            return None
                        seen[w] = 1
                        push(w)
        for f in stops:
            seen[f] = 0
        return seen

    def ands_list(self, variant: int) -> list[list[tuple[int, int, int]] | None]:
        """ands_of() as a list indexed by node (None: no AND edge)."""
        key = f"andl{variant}"
        if key not in self._index:
            out: list[list[tuple[int, int, int]] | None] = [None] * self.nodes
            for v, pairs in self.ands_of(variant).items():
                out[v] = pairs
            self._index[key] = out
        return self._index[key]  # type: ignore[no-any-return]

    def unit_parts(self) -> list[tuple[str, str | None]]:
        """Each unit as (package, declaration or None)."""
        if "parts" not in self._index:
            self._index["parts"] = [(u.partition("\t")[0], u.partition("\t")[2] if "\t" in u else None)
                                    for u in self.units]
        return self._index["parts"]  # type: ignore[no-any-return]

    def cut_marks(self, cut: Cut) -> bytearray:
        """The nodes of the cut's units, marked."""
        mark = bytearray(self.nodes)
        units = self.unit_nodes()
        for u, (pkg, decl) in enumerate(self.unit_parts()):
            if pkg in cut.packages:
                gone = decl is None or decl not in cut.keep.get(pkg, ())
            else:
                gone = decl is not None and decl in cut.drop.get(pkg, ())
            if gone:
                for node in units.get(u, ()):
                    mark[node] = 1
        return mark

    def severed(self, cut: Cut) -> dict[int, set[int]]:
        """The edges Cut.sever takes away, by node: from each node of a caller unit to the nodes of its
        callee units it leads to (a callee "*\t*.M": every method M, of whatever type)."""
        if not cut.sever:
            return {}
        index: dict[str, int] = self._index.get("unit_index") or self._index.setdefault(
            "unit_index", {u: i for i, u in enumerate(self.units)})
        methods: dict[str, list[int]] | None = self._index.get("methods")
        if methods is None:
            methods = self._index["methods"] = {}
            for i, u in enumerate(self.units):
                _, _, decl = u.partition("\t")
                if "." in decl:
                    methods.setdefault(decl.rsplit(".", 1)[1], []).append(i)
        callees: dict[int, set[int]] = {}
        for caller, callee in cut.sever:
            if caller not in index:
                continue
            if callee.startswith("*\t*."):
                callees.setdefault(index[caller], set()).update(methods.get(callee[4:], ()))
            elif callee in index:
                callees.setdefault(index[caller], set()).add(index[callee])
        units = self.unit_nodes()
        out: dict[int, set[int]] = {}
        for g in self.graphs:
            for cu, targets in callees.items():
                for v in units.get(cu, ()):
                    off = {w for w in g.succ[v] if self.unit[w] in targets}
                    if off:
                        out.setdefault(v, set()).update(off)
        return out

    def unflagged(self, node: int, cut: Cut) -> bool:
        """Whether the cut takes the <ReflectMethod> mark off a flagged node (Cut.unflag)."""
        u = self.unit[node]
        if u < 0:
            return False
        pkg, decl = self.unit_parts()[u]
        return pkg in cut.unflag or (decl is not None and f"{pkg}\t{decl}" in cut.unflag)

    def mode(self, cut: Cut) -> tuple[int, bytearray, bytearray]:
        """The variant the cut leaves the linker in, the cut's nodes (marks) and what is reached in that
        variant (walk() marks). Needs no sizes: remembered per cut, so the loader can walk the cuts the
        strategies will price while the link ends (Warm), before the binary's sizes exist."""
        memo: dict[tuple[Any, ...], tuple[int, bytearray, bytearray]] = self._index.setdefault("modes", {})
        key = cut.key()
        hit = memo.get(key)
        if hit is None:
            if len(memo) >= 256:
                memo.clear()
            hit = memo[key] = self._mode(cut)
        return hit

    def _mode(self, cut: Cut) -> tuple[int, bytearray, bytearray]:
        nodes = self.cut_marks(cut)
        vs = self.variants
        base = vs[0]
        marks = [f for f in self.flagged if not self.unflagged(f, cut)] if cut.unflag else list(self.flagged)
        severed = self.severed(cut)

        def full(variant: int) -> bytearray:
            seen = self.walk(nodes, variant, severed=severed)
            assert seen is not None
            return seen

        # a variant without the reflect-method rule holds only if the cut leaves no <ReflectMethod>
        # function reached in it: its walk stops at the first it reaches (most cuts leave them)
        if base.dynlink and "plugin" in cut.packages and len(vs) >= 3:
            # dynamic linking off: index 1 keeps the reflect rule, 2 does not
            seen = self.walk(nodes, 2, marks, severed)
            if seen is not None:
                return 2, nodes, seen
            return 1, nodes, full(1)
        if not base.dynlink and base.reflect and len(vs) >= 2:
            seen = self.walk(nodes, 1, marks, severed)
            if seen is not None:
                return 1, nodes, seen
        return 0, nodes, full(0)

    def reached(self, cut: bytearray, variant: int) -> bytearray:
        """The nodes the variant reaches with the cut's left out (walk(), the cut's nodes unmarked)."""
        seen = self.walk(cut, variant)
        assert seen is not None
        for v, c in enumerate(cut):
            if c:
                seen[v] = 0
        return seen


# ---------------------------------------------------------------------------------------------------------
# Cuts and estimates


@dataclass(frozen=True)
class Cut:
    """What leaves one target's build: packages, and declarations of the module's packages.

    drop: package -> declarations that leave although the package stays (a guarded file's).
    keep: package -> declarations that stay although the package leaves (moved by a split).
    Declarations are named as refactor.estimate.decl_keys names them: F, T, T.M, v, init.N.
    unflag: <ReflectMethod> functions that stay but no longer call reflect's Method by a computed name
    (a rewritten call, a method-free fork of text/template), as units: "pkg" (all of a package's) or
    "pkg\tDecl".
    sever: (caller, callee) units, "pkg\tDecl" each: references the caller no longer makes, because
    they follow a call that cannot return (a guard's stub that panics): the compiler drops the code
    after it (distribution's proxyingRegistry.Repository after storage.SkipLayerVerification()). A
    callee "*\t*.M" is every method M (called on a value whose type the source does not say).
    """

    packages: frozenset[str] = frozenset()
    drop: Mapping[str, frozenset[str]] = field(default_factory=dict)
    keep: Mapping[str, frozenset[str]] = field(default_factory=dict)
    unflag: frozenset[str] = frozenset()
    sever: frozenset[tuple[str, str]] = frozenset()

    @classmethod
    def of(cls, packages: Iterable[str] = (), drop: Mapping[str, Iterable[str]] | None = None,
           keep: Mapping[str, Iterable[str]] | None = None, unflag: Iterable[str] = (),
           sever: Iterable[tuple[str, str]] = ()) -> Cut:
        return cls(frozenset(packages), {p: frozenset(d) for p, d in (drop or {}).items() if d},
                   {p: frozenset(k) for p, k in (keep or {}).items() if k}, frozenset(unflag), frozenset(sever))

    def key(self) -> tuple[Any, ...]:
        """A hashable identity of the cut."""
        return (self.packages, tuple(sorted((p, tuple(sorted(d))) for p, d in self.drop.items())),
                tuple(sorted((p, tuple(sorted(k))) for p, k in self.keep.items())), tuple(sorted(self.unflag)),
                tuple(sorted(self.sever)))

    def for_main(self, main: str) -> Cut:
        """The cut as target main's reach model names units: its main package is `main` there (sever
        names packages by import path, as several main packages of a module have the same name)."""
        if not self.sever or not any(main in (a.partition("\t")[0], b.partition("\t")[0]) for a, b in self.sever):
            return self

        def unit(u: str) -> str:
            pkg, tab, decl = u.partition("\t")
            return f"main{tab}{decl}" if pkg == main else u
        return replace(self, sever=frozenset((unit(a), unit(b)) for a, b in self.sever))

    def union(self, other: Cut) -> Cut:
        """Both cuts at once (for several candidates together)."""
        drop = {p: self.drop.get(p, frozenset()) | other.drop.get(p, frozenset()) for p in {*self.drop, *other.drop}}
        # a declaration one cut keeps and the other removes with its package: kept only if neither drops it
        keep = {p: (self.keep.get(p, frozenset()) | other.keep.get(p, frozenset())) - drop.get(p, frozenset())
                for p in {*self.keep, *other.keep}}
        return Cut(self.packages | other.packages, drop, keep, self.unflag | other.unflag, self.sever | other.sever)


@dataclass(frozen=True)
class Estimate:
    """Bytes a cut saves in one target, and where they come from."""

    bytes: int
    removed_packages: int  # attributed bytes of the packages that leave the graph
    shrink: int  # bytes of packages that stay, reached only through the cut (code, data, their DWARF...)
    dce: int  # bytes freed by method dead-code elimination coming back on (included in the above)
    buckets: int  # the leftover named buckets' share
    method: str  # "reach" or "packages"
    mode: str = ""  # the variant the cut leaves the linker in

    def for_json(self) -> dict[str, Any]:
        return {"bytes": self.bytes, "removed_packages": self.removed_packages, "shrink": self.shrink,
                "dce": self.dce, "buckets": self.buckets, "method": self.method, "mode": self.mode}


class Saving(int):
    """Estimated bytes that remember the cut they price, per target: strategies keep them as their
    candidates' estimated_bytes (sums of Savings stay Savings), so the estimate of several candidates
    together can price the union of their cuts (savings do not add; refactor.combine)."""

    cuts: dict[Target, Cut]

    def __new__(cls, value: int, cuts: Mapping[Target, Cut]) -> Saving:
        obj = super().__new__(cls, value)
        obj.cuts = dict(cuts)
        return obj

    def __reduce__(self) -> tuple[Any, ...]:
        return (Saving, (int(self), self.cuts))

    def _join(self, other: object) -> Saving | int | Any:
        if not isinstance(other, int):
            return NotImplemented
        total = int(self) + int(other)
        if isinstance(other, Saving):
            cuts = dict(self.cuts)
            for t, c in other.cuts.items():
                cuts[t] = cuts[t].union(c) if t in cuts else c
            return Saving(total, cuts)
        # a plain number: only a zero keeps the provenance (sum() starts from 0)
        return Saving(total, self.cuts) if other == 0 else total

    __add__ = _join
    __radd__ = _join


def has_model(project: Project, target: Target) -> bool:
    """Whether target's estimates come from its reachability model (else from package sizes)."""
    return (getattr(project, "reach", {}) or {}).get(target) is not None


def estimate(project: Project, target: Target, cut: Cut | Iterable[str]) -> Saving:
    """The bytes the cut saves in target's binary (see the module docstring), remembering the cut."""
    if not isinstance(cut, Cut):
        cut = Cut.of(cut)
    return Saving(estimate_cut(project, target, cut).bytes, {target: cut})


def estimate_cut(project: Project, target: Target, cut: Cut | Iterable[str]) -> Estimate:
    """estimate(), with where the bytes come from."""
    if not isinstance(cut, Cut):
        cut = Cut.of(cut)
    size = project.sizes.get(target)
    if size is None:
        return Estimate(0, 0, 0, 0, 0, "none")
    reach = getattr(project, "reach", {}) or {}
    model = reach.get(target)
    graphs = getattr(project, "graphs", {}) or {}
    c_code = cgo_share(graphs[target], size, cut.packages) if target in graphs else 0
    if model is None:
        own = size.package_bytes(cut.packages)
        total = size.removal_estimate(cut.packages)
        return Estimate(total + c_code, own, 0, 0, total - own + c_code, "packages")
    e = _Pricer.of(model, size).estimate(cut.for_main(target.main))
    return replace(e, bytes=e.bytes + c_code, buckets=e.buckets + c_code) if c_code else e


def cgo_share(graph: BuildGraph, size: SizeTable, removed: Iterable[str]) -> int:
    """The C code (the `cgo/C` bucket: no Go symbol owns it) that leaves with the removed packages: the
    bucket shared equally by the module packages with cgo files (go-sqlite3's amalgamation, a C
    library's binding). The standard library's C (runtime/cgo, net, os/user) is small and stays while
    cgo is on."""
    c_bytes = size.buckets.get("cgo/C", 0)
    if not c_bytes:
        return 0
    owners = [p for p, pkg in graph.packages.items() if pkg.cgo_files and not pkg.standard]
    if not owners:
        return 0
    gone = set(removed)
    return round(c_bytes * sum(1 for p in owners if p in gone) / len(owners))


class _Pricer:
    """A model priced with one size table, remembered per (model, table)."""

    _cache: dict[tuple[int, int], _Pricer] = {}

    def __init__(self, model: ReachModel, size: SizeTable) -> None:
        self.model = model
        self.size = size
        # A package's attributed bytes = per symbol its fixed records (overhead) + a rate per byte.
        rates: dict[str, tuple[float, float]] = {}
        for o, n in model.owner_bytes.items():
            attributed = size.packages.get(o, 0)
            oh = model.owner_overhead.get(o, 0)
            if attributed >= oh:
                rates[o] = ((attributed - oh) / n if n else 0.0, 1.0)
            else:
                rates[o] = (0.0, attributed / oh)
        self.rates = [rates.get(o, (0.0, 0.0)) for o in model.owners]
        self.rate = rates
        self._costs: list[float] | None = None
        self._present_cost: dict[int, float] = {}
        package_total = size.package_total
        scalable = sum(v for k, v in size.buckets.items() if k not in FIXED_BUCKETS) + size.unattributed
        self.bucket_rate = scalable / package_total if package_total else 0.0
        self._memo: dict[tuple[Any, ...], Estimate] = {}

    @classmethod
    def of(cls, model: ReachModel, size: SizeTable) -> _Pricer:
        key = (id(model), id(size))
        hit = cls._cache.get(key)
        if hit is None or hit.model is not model or hit.size is not size:
            if len(cls._cache) > 64:
                cls._cache.clear()
            hit = cls._cache[key] = cls(model, size)
        return hit

    @property
    def costs(self) -> list[float]:
        """Each node's price: its symbols' bytes at their packages' rates, plus their fixed records."""
        if self._costs is None:
            rates = self.rates
            out = []
            for w in self.model.weights:
                c = 0.0
                for i in range(0, len(w), 3):
                    r = rates[w[i]]
                    c += w[i + 1] * r[0] + w[i + 2] * r[1]
                out.append(c)
            self._costs = out
        return self._costs

    def present_cost(self, variant: int) -> float:
        """What the variant keeps without a cut (the binary itself for variant 0)."""
        if variant not in self._present_cost:
            present = self.model.present(variant)
            self._present_cost[variant] = sum(c for c, p in zip(self.costs, present, strict=True) if p)
        return self._present_cost[variant]

    def dynamic_left(self, nodes: bytearray, seen: bytearray) -> float:
        """Leaving dynamic-linking mode, the bytes that existed only for it (.dynsym entries, `local.`
        symbols) of what stays: shared in proportion to the symbols' fixed costs."""
        size, m = self.size, self.model
        rate = {o: size.dynamic_packages.get(o, 0) / n for o, n in m.owner_overhead.items() if n > 0}
        orate = [rate.get(o, 0.0) for o in m.owners]
        out = sum(n * rate.get(o, 0.0) for o, n in m.always_overhead.items())
        for v, w in enumerate(m.weights):
            if seen[v] and not nodes[v]:
                for i in range(0, len(w), 3):
                    out += w[i + 2] * orate[w[i]]
        return out

    def estimate(self, cut: Cut) -> Estimate:
        key = cut.key()
        hit = self._memo.get(key)
        if hit is None:
            hit = self._memo[key] = self._estimate(cut)
        return hit

    def _estimate(self, cut: Cut) -> Estimate:
        m, size = self.model, self.size
        variant, nodes, seen = m.mode(cut)
        costs = self.costs
        alive = sum(compress(costs, seen)) - sum(compress(costs, nodes))  # what is still reached
        # what the binary keeps minus what is still reached in the mode the cut leaves
        lost = self.present_cost(0) - alive
        # packages the model gives no bytes (nothing of theirs was weighed) go whole when they leave
        lost += sum(size.packages.get(p, 0) for p in cut.packages if not m.owner_bytes.get(p))
        dce = 0.0
        fixed = 0
        if variant:
            dce = self.present_cost(0) - self.present_cost(variant)
            if m.variants[0].dynlink and not m.variants[variant].dynlink:
                left = self.dynamic_left(nodes, seen)
                fixed = size.buckets.get("dynamic linking", 0)
                lost += left
                dce += left + fixed
        removed = size.package_bytes(cut.packages)
        buckets = lost * self.bucket_rate
        total = round(lost + buckets + fixed)
        return Estimate(total, removed, max(0, round(lost) - removed), round(dce), round(buckets), "reach",
                        m.variants[variant].name)


# ---------------------------------------------------------------------------------------------------------
# Cuts of the strategies' changes, with declarations named as the model names them


def files_cut(project: Project, packages: Iterable[str], files: Mapping[str, Iterable[str]]) -> Cut:
    """packages leave the build, and so do the declarations of these files (package -> base names in
    its directory) of packages that stay: a guard puts the files behind a tag (the stub that replaces
    them declares the same names, with no bytes to speak of). Types stay: the stub declares them
    again, and their methods in other files stay with them (gotify's GormDatabase)."""
    return Cut.of(packages, drop={p: decl_keys(project, p, fs, types=False) for p, fs in files.items()})


def units_cut(project: Project, packages: Iterable[str], import_path: str, units: Iterable[Any], *,
              keep: bool) -> Cut:
    """packages leave the build; the units (refactor.gosource.Unit) of import_path a split moves stay
    in it although the package goes (keep=True: the part the target uses, moved to a new package) or
    leave it although the package stays (keep=False: the heavy part moved away)."""
    keys = unit_keys(project, import_path, units)
    return Cut.of(packages, keep={import_path: keys} if keep else None, drop=None if keep else {import_path: keys})


def symbols_cut(packages: Iterable[str], symbols: Iterable[str], index: Any) -> Cut:
    """packages leave the build, and so do the declarations these linker symbol names (or prefixes)
    name; index maps a symbol to its package (refactor.linker.SymbolIndex)."""
    drop: dict[str, set[str]] = {}
    for sym in symbols:
        pkg = index.package(sym)
        if pkg:
            key = symbol_decl(sym, pkg)
            if key:
                drop.setdefault(pkg, set()).add(key)
    return Cut.of(packages, drop=drop)


def symbol_decl(symbol: str, import_path: str) -> str:
    """The declaration key of a symbol of a package (attrib/reach.go declKey, for the same names)."""
    from refactor.linker import path_to_prefix, strip_brackets

    rest = symbol.removeprefix("type:").lstrip("*")
    prefix = path_to_prefix(import_path) + "."
    if not rest.startswith(prefix):
        return ""
    rest = strip_brackets(rest[len(prefix):])
    if rest.startswith("(*") and ")" in rest:
        i = rest.index(")")
        rest = rest[2:i] + rest[i + 1:]
    rest = rest.removesuffix("-fm")
    parts = rest.split(".")
    if not parts[0]:
        return ""
    if parts[0] == "init":
        return f"init.{parts[1]}" if len(parts) > 1 and parts[1].isdigit() else "init"
    if len(parts) > 1 and parts[1] and not _closure_part(parts[1]):
        return f"{parts[0]}.{parts[1]}"
    return parts[0]


def _closure_part(s: str) -> bool:
    for p in ("func", "gowrap", "deferwrap"):
        if s.startswith(p) and s[len(p):].isdigit():
            return True
    return s.isdigit() or s in ("stkobj", "argliveinfo", "opendefer", "wrapinfo", "abi0") or s.startswith("arginfo")


def switch_cut(graph: BuildGraph, switch: Any, removed: Iterable[str] = ()) -> Cut:
    """What an upstream build tag (refactor.catalogue.Switch) takes out of a target: the packages its
    import edges leave behind, and the declarations its symbol prefixes name."""
    from refactor.linker import SymbolIndex

    gone = set(removed)
    cuts = [tuple(e) for e in switch.cuts if tuple(e)[0] in graph.packages]
    if cuts:
        gone |= graph.removed_by(cut_edges=cuts)
    return symbols_cut(gone, switch.symbols, SymbolIndex.from_graph(graph))


def decl_keys(project: Project, import_path: str, files: Iterable[str], *, types: bool = True,
              only: Mapping[str, Collection[str]] | None = None) -> frozenset[str]:
    """The top-level declarations of these files (base names) of a module package, as cut units name them
    (without type declarations unless types); only: per base name, the declarations (refactor.gosource
    keys) to take of that file (a carved file's; its init functions count when all of them are taken)."""
    pkg = project.package(import_path)
    if pkg is None or not pkg.main_module:
        return frozenset()  # the model has declaration units for the main modules' packages only
    inits = _init_numbers(project, import_path)
    out: set[str] = set()
    for f in files:
        base = os.path.basename(f)
        try:
            src = project.sources.file(os.path.join(pkg.dir, base))
        except (OSError, ValueError):
            continue
        taken = None if only is None or base not in only else set(only[base])
        for d in src.decls:
            if d.name == "init" and not d.receiver and d.kind in ("func", "init"):
                continue
            if d.name in ("_", "") or (d.kind == "type" and not types) or (taken is not None and d.key not in taken):
                continue
            recv = (d.receiver or "").lstrip("*").split("[")[0]
            out.add(f"{recv}.{d.name}" if recv else d.name)
        if taken is None or all(d.key in taken for d in src.decls if d.kind == "init"):
            out.update(inits.get(base, ()))
    return frozenset(out)


def unit_keys(project: Project, import_path: str, units: Iterable[Any]) -> frozenset[str]:
    """Declaration keys of refactor.gosource.Unit values of a package (inits numbered as the compiler does)."""
    inits = _init_numbers(project, import_path)
    seen: dict[str, int] = {}
    out: set[str] = set()
    by_file: dict[str, list[Any]] = {}
    for u in units:
        by_file.setdefault(u.file, []).append(u)
    for f, us in by_file.items():
        for u in sorted(us, key=lambda x: (x.index, x.start)):
            if u.kind == "init":
                k = seen.get(f, 0)
                seen[f] = k + 1
                numbers = inits.get(Path(f).name, [])
                if k < len(numbers):
                    out.add(numbers[k])
            elif u.kind == "method":
                out.add(f"{(u.receiver or '').lstrip('*').split('[')[0]}.{u.names[0]}")
            else:
                out.update(n for n in u.names if n != "_")
    return frozenset(out)


def _init_numbers(project: Project, import_path: str) -> dict[str, list[str]]:
    """The compiler's names of a package's init functions (init.0, init.1... in file order) per file
    base name (remembered per source index: every cut of a guard asks for its package's)."""
    pkg = project.package(import_path)
    if pkg is None:
        return {}
    memo = _INITS.setdefault(project.sources, {})
    key = (pkg.dir, tuple(pkg.files))
    if key in memo:
        return memo[key]
    out: dict[str, list[str]] = {}
    n = 0
    for base in sorted(pkg.files):
        try:
            src = project.sources.file(os.path.join(pkg.dir, base))
        except (OSError, ValueError):
            continue
        for d in sorted(src.decls, key=lambda d: d.start):
            if d.name == "init" and not d.receiver and d.kind in ("func", "init"):
                out.setdefault(base, []).append(f"init.{n}")
                n += 1
    memo[key] = out
    return out


_INITS: weakref.WeakKeyDictionary[Any, dict[tuple[str, tuple[str, ...]], dict[str, list[str]]]] = \
    weakref.WeakKeyDictionary()


# ---------------------------------------------------------------------------------------------------------
# Loading (refactor.load runs this; propose never does)


def decl_packages(graph: BuildGraph) -> list[str]:
    """The packages whose cut units are declarations: the main modules' own, and those the catalogue of
    upstream tags names symbols of (the rest are cut whole)."""
    from refactor.catalogue import catalogue
    from refactor.linker import SymbolIndex

    # Main modules only: a repository's other modules (etcd's api, replaced by a directory) stay cut
    # whole. With their declarations, a guard of etcdctl's api/*.pb.go files priced every generated
    # method the stub must declare again as gone: 3.2 MB estimated, 0.48 MB measured.
    out = set(graph.main_module_packages())
    index = SymbolIndex.from_graph(graph)
    for sw in catalogue():
        for sym in sw.symbols:
            pkg = index.package(sym)
            if pkg:
                out.add(pkg)
    return sorted(out)


def fixed_packages(graph: BuildGraph) -> list[str]:
    """runtime and its dependencies: no cut removes them."""
    if "runtime" not in graph.packages:
        return []
    seen = {"runtime"}
    stack = ["runtime"]
    while stack:
        for q in graph.imports(stack.pop()):
            if q not in seen:
                seen.add(q)
                stack.append(q)
    return sorted(seen)


_goroots: dict[str, str] = {}


def _goroot(go: Go, cwd: Path) -> str:
    """The toolchain's GOROOT: the one found when it was selected (or the launcher's, read off its
    installation: refactor.toolchain), else what `go env` says."""
    if go.goroot:
        return go.goroot
    if go.path not in _goroots:
        _goroots[go.path] = go.env_values(cwd, "GOROOT").get("GOROOT", "")
    return _goroots[go.path]


class WalksGone(Exception):
    """The replay's core no longer answers walks (it ended, idle, or failed): walk in Python."""


class Walks:
    """Walks of one model answered by the replay's core that made it (`serve`, walk.go), on its pipes:
    the same walk as ReachModel.walk's, in a fraction of the time. Ends when the model goes."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.lock = threading.Lock()

    def attach(self, model: ReachModel) -> None:
        model._index["server"] = self
        weakref.finalize(model, self.close)

    def close(self) -> None:
        proc = self.proc
        if proc.stdin is not None:
            with contextlib.suppress(OSError):
                proc.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired, OSError):
            proc.wait(timeout=5)
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    def walk(self, model: ReachModel, cut: bytearray, variant: int, stop: Iterable[int],
             severed: Mapping[int, Collection[int]] | None = None) -> bytearray | None:
        nodes = list(compress(range(len(cut)), cut))
        pairs = [x for v, ws in (severed or {}).items() for w in sorted(ws) for x in (v, w)]
        request = json.dumps({"variant": variant, "cut": nodes, "stop": list(stop), "severed": pairs}) + "\n"
        proc = self.proc
        with self.lock:
            try:
                assert proc.stdin is not None and proc.stdout is not None
                proc.stdin.write(request)
                proc.stdin.flush()
                ready, _, _ = select.select([proc.stdout], [], [], DEFAULT_TIMEOUT)
                line = proc.stdout.readline() if ready else ""
                answer = json.loads(line) if line else None
            except (OSError, ValueError, AssertionError) as exc:
                raise WalksGone(str(exc)) from exc
        if not isinstance(answer, dict):
            self.close()
            raise WalksGone("no answer")
        if answer.get("stopped"):
            return None
        seen = bytearray(model.present(variant))
        for c in nodes:
            seen[c] = 1
        for u in answer.get("unreached", ()):
            seen[u] = 0
        return seen


def kept_model(go: Go, text: str, path: Path) -> ReachModel | str:
    """A model an earlier replay of the same link's inputs answered (refactor.linkcache), its walks served
    by the core from its file (walked in Python if the core does not start); or why it is unreadable."""
    from refactor import attribcore

    try:
        model = ReachModel.from_json(json.loads(text)).prepare()
    except (ValueError, KeyError, TypeError) as exc:
        return f"unreadable kept model: {exc}"
    try:
        proc = subprocess.Popen((str(attribcore.executable(go)), "serve", str(path)), stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, errors="replace")
    except OSError:
        return model
    try:
        assert proc.stdin is not None
        proc.stdin.write('{"serve": true}\n')
        proc.stdin.flush()
    except OSError:
        Walks(proc).close()
        return model
    Walks(proc).attach(model)
    return model


class Replay:
    """The core's replay of one target's `-work` build without -dumpdep (linker.build_with_dumpdep with
    keep_work=True, dumpdep=False), started before the build so that it loads the objects and replays
    the linker's pass while the linker writes the binary; its answer is read and decoded as soon as it
    comes, before the link ends: finish() once the build is over, abort() if it failed."""

    def __init__(self, go: Go, graph: BuildGraph, target: Target, exe: Path, dynlink: bool) -> None:
        from refactor import attribcore

        self.stream, self.importcfg = exe.parent / f"{exe.name}.dumpdep", exe.parent / f"{exe.name}.importcfg"
        self.failed: str | None = None
        request = {"packages": [[p, pkg.module] for p, pkg in graph.packages.items()], "main": target.main,
                   "importcfg": str(self.importcfg), "dumpdep": str(self.stream), "follow": True, "early": True,
                   "serve": True,
                   "goroot": _goroot(go, Path(graph.main.dir)), "dynlink": dynlink, "goos": target.goos,
                   "goarch": target.goarch,
                   "decl_packages": decl_packages(graph), "fixed": fixed_packages(graph)}
        # at the link's own priority: niced (19), it came 0.8 s after distribution's link ended and held up
        # everything after (suggest 6.1 s there, 5.5 s not niced; restic 3.9 -> 3.7 s; seed the same)
        argv = (str(attribcore.executable(go)), "reach")
        self.proc: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None
        self._result: ReachModel | str = "no replay"
        self.answer: str | None = None  # the model as the core printed it (kept: refactor.linkcache)
        self._timed_out = False
        self.ready = threading.Event()  # the answer is read (a model, or why there is none)
        try:
            self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, text=True, errors="replace")
            assert self.proc.stdin is not None
            self.proc.stdin.write(json.dumps(request))
            self.proc.stdin.flush()
        except OSError as exc:
            self.failed = f"the attribution core did not start: {exc}"
            self.abort()
            return
        # the answer is decoded on a thread of this process while the linker still runs (unread, it
        # would hold the replay back: it is larger than a pipe holds); standard input stays open, as
        # the core follows the build until it has the link's objects
        self._reader = threading.Thread(target=self._collect, args=(self.proc,), daemon=True)
        self._reader.start()

    def _cleanup(self) -> None:
        from refactor.linker import remove_work

        remove_work(self.stream)  # go's work directory (archives the replay reads), then the stream
        self.importcfg.unlink(missing_ok=True)

    def abort(self) -> None:
        """The build failed or was stopped: stop the replay, remove the kept files."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            if self._reader is None:
                self.proc.communicate()
        if self._reader is not None:
            self._reader.join()
        self._cleanup()

    def _collect(self, proc: subprocess.Popen[str]) -> None:
        try:
            self._read(proc)
        finally:
            self.ready.set()

    def model(self) -> ReachModel | None:
        """The model once it is read, before finish(): None while it is not (or there is none)."""
        return self._result if self.ready.is_set() and isinstance(self._result, ReachModel) else None

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None and proc.stderr is not None
        try:
            out = proc.stdout.readline()  # the model; then the core serves walks of it (Walks)
            if not out:  # it ended without one: stderr says why (one line, or a panic's trace)
                err = proc.stderr.read()
                proc.wait()
        except (OSError, ValueError) as exc:  # (killed by abort meanwhile)
            self._result = f"the replay stopped: {exc}"
            return
        if self._timed_out:
            self._result = f"the replay took more than {DEFAULT_TIMEOUT:.0f} s"
            return
        if not out:
            self._result = (err.strip().splitlines() or [f"exit status {proc.returncode}"])[-1][:300]
            return
        try:
            model = ReachModel.from_json(json.loads(out)).prepare()
        except (ValueError, KeyError, TypeError) as exc:
            self._result = f"unreadable model: {exc}"
            Walks(proc).close()
            return
        Walks(proc).attach(model)
        self.answer = out
        self._result = model

    def finish(self) -> ReachModel | str:
        """The model, once the build is over, or why there is none."""
        if self.proc is None:
            self._cleanup()
            return self.failed or "no replay"
        assert self._reader is not None
        try:
            self._reader.join(DEFAULT_TIMEOUT)
            if self._reader.is_alive():
                self._timed_out = True
                self.proc.kill()
                self._reader.join()
        finally:
            self._cleanup()
        return self._result
