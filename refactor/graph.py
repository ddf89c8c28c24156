"""The import graph of each target, from `go list -e -deps -json=<fields>`, and the queries on it."""

from __future__ import annotations

import heapq
import json
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from refactor.config import Target
from refactor.errors import GoError, UsageError
from refactor.toolchain import Go

# Naming the fields makes go list skip work (stale checks, build IDs): see go-toolchain.md §1.1.
LIST_FIELDS = (
    "ImportPath,Name,Dir,Standard,Module,Imports,ImportMap,GoFiles,CgoFiles,IgnoredGoFiles,"
    "TestGoFiles,XTestGoFiles,TestImports,XTestImports,Error,DepsErrors,Incomplete"
)
MAX_CHAINS = 64

Edge = tuple[str, str]


@dataclass(frozen=True)
class Package:
    """One package of a build graph, as go list reports it for one configuration."""

    import_path: str
    name: str
    dir: str
    module: str | None  # module path; None for the standard library
    module_dir: str | None
    standard: bool
    main_module: bool
    go_files: tuple[str, ...]
    cgo_files: tuple[str, ...]
    ignored_go_files: tuple[str, ...]
    test_go_files: tuple[str, ...]
    xtest_go_files: tuple[str, ...]
    imports: tuple[str, ...]  # resolved (after ImportMap), without "C"
    import_map: tuple[tuple[str, str], ...]  # source path -> resolved path, identity entries omitted
    error: str | None
    # the user's own code, which strategies may edit: in the repository (a main or workspace module, or
    # a module replaced by a directory of the repository), not vendored, not the standard library
    editable: bool = False
    go_version: str = ""  # its module's go line, as go list reports it (Module.GoVersion)

    @property
    def files(self) -> tuple[str, ...]:
        """The Go files compiled for this configuration (GoFiles + CgoFiles), relative to dir."""
        return self.go_files + self.cgo_files

    def resolve(self, source_path: str) -> str:
        """The graph node an import string of this package's files refers to."""
        return dict(self.import_map).get(source_path, source_path)

    def source_path(self, resolved: str) -> str:
        """The import string that this package's files write for a resolved import path."""
        for src, res in self.import_map:
            if res == resolved:
                return src
        return resolved


@dataclass
class BuildGraph:
    """Packages and import edges reachable from one target's main package."""

    target: Target
    root: str
    packages: dict[str, Package]
    _importers: dict[str, list[str]] = field(default_factory=dict, repr=False)
    _imports: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False, compare=False)
    _closures: dict[str, frozenset[str]] = field(default_factory=dict, repr=False, compare=False)
    _depth: dict[str, int] = field(default_factory=dict, repr=False)
    _edge_removes: dict[tuple[Edge, ...], dict[Edge, frozenset[str]]] = field(
        default_factory=dict, repr=False, compare=False)
    _removed: dict[tuple[frozenset[Edge], frozenset[str]], frozenset[str]] = field(
        default_factory=dict, repr=False, compare=False)
    _order: dict[str, int] | None = field(default=None, repr=False, compare=False)  # _topological's; {}: a cycle

    def __post_init__(self) -> None:
        importers: dict[str, list[str]] = {p: [] for p in self.packages}
        imports: dict[str, tuple[str, ...]] = {}
        for p, pkg in self.packages.items():
            imports[p] = tuple(q for q in pkg.imports if q in importers)
            for q in imports[p]:
                importers[q].append(p)
        self._importers = importers
        self._imports = imports
        self._depth = self._bfs(self.root, frozenset())

    def __contains__(self, import_path: object) -> bool:
        return import_path in self.packages

    def __len__(self) -> int:
        return len(self.packages)

    @property
    def main(self) -> Package:
        return self.packages[self.root]

    def imports(self, p: str) -> tuple[str, ...]:
        """The packages p imports directly (graph nodes)."""
        return self._imports[p]

    def closure(self, start: str) -> frozenset[str]:
        """The packages start imports, directly or not, start included (kept: strategies ask often)."""
        hit = self._closures.get(start)
        if hit is None:
            hit = self._closures[start] = frozenset(self._imported(start))
        return hit

    def imports_at_least(self, start: str, n: int) -> bool:
        """Whether closure(start) holds at least n packages, found without walking all of it."""
        hit = self._closures.get(start)
        return len(hit if hit is not None else self._imported(start, n)) >= n

    def _imported(self, start: str, limit: int | None = None) -> set[str]:
        """closure(start), or as much of it as reaches limit packages."""
        seen = {start}
        todo = [start]
        while todo and (limit is None or len(seen) < limit):
            for r in self._imports[todo.pop()]:
                if r not in seen:
                    seen.add(r)
                    todo.append(r)
        return seen

    def importers(self, q: str) -> list[str]:
        """The packages of this graph that import q directly."""
        return list(self._importers.get(q, ()))

    def edges(self) -> Iterator[Edge]:
        for p in self.packages:
            for q in self.imports(p):
                yield p, q

    def main_module_packages(self) -> list[str]:
        return [p for p, pkg in self.packages.items() if pkg.main_module]

    def editable_packages(self) -> list[str]:
        """The packages strategies may edit (Package.editable): the repository's own."""
        return [p for p, pkg in self.packages.items() if pkg.editable]

    def why(self, target: str, limit: int = MAX_CHAINS) -> list[list[str]]:
        """Every shortest import chain from the main package to `target` (at most `limit`)."""
        if target not in self.packages:
            return []
        depth = self._depth
        chains: list[list[str]] = []

        def walk(node: str, suffix: list[str]) -> None:
            if len(chains) >= limit:
                return
            if node == self.root:
                chains.append([node, *suffix])
                return
            for imp in sorted(self._importers[node]):
                if depth.get(imp, -2) == depth[node] - 1:
                    walk(imp, [node, *suffix])

        walk(target, [])
        return chains

    def reachable(self, cut_edges: Iterable[Edge] = (), cut_packages: Iterable[str] = ()) -> frozenset[str]:
        """Packages still reachable from the main package with these edges and packages removed."""
        return frozenset(self._bfs(self.root, frozenset(cut_edges), frozenset(cut_packages)))

    def removed_by(self, cut_edges: Iterable[Edge] = (), cut_packages: Iterable[str] = ()) -> frozenset[str]:
        """Packages that are no longer reachable once these edges (and packages) are cut (kept: a
        strategy's warm-up asks for the cuts its propose asks for again)."""
        key = (frozenset(cut_edges), frozenset(cut_packages))
        hit = self._removed.get(key)
        if hit is None:
            hit = self._removed[key] = self._cut_off(*key)
        return hit

    def _cut_off(self, cut_edges: frozenset[Edge], cut_packages: frozenset[str]) -> frozenset[str]:
        """packages - reachable(cut_edges, cut_packages), deciding only the packages a cut reaches: in
        topological order, each is gone when every import of it is cut or comes from a package gone (the
        guard's warm-up asks this of some 200 cuts of dependency edges in a graph of hundreds; most end a
        package or two down). A graph with an import cycle (go list -e reports one) is walked whole."""
        order = self._topological()
        if order is None:
            return frozenset(self.packages) - self.reachable(cut_edges, cut_packages)
        todo = [(order[q], q) for _, q in cut_edges if q in order] + [(order[q], q) for q in cut_packages if q in order]
        heapq.heapify(todo)
        gone: set[str] = set()
        decided: set[str] = set()
        while todo:
            _, q = heapq.heappop(todo)
            if q in decided:
                continue
            decided.add(q)
            if q == self.root or q not in cut_packages and any(
                    p in order and p not in gone and (p, q) not in cut_edges for p in self._importers[q]):
                continue
            gone.add(q)
            for r in self._imports[q]:
                if r not in decided:
                    heapq.heappush(todo, (order[r], r))
        return frozenset(gone) | frozenset(p for p in self.packages if p not in order)

    def _topological(self) -> dict[str, int] | None:
        """Each package reached from the main one, numbered so that importers come first; None when an
        import cycle makes that impossible."""
        if self._order is not None:
            return self._order or None
        post: list[str] = []
        state: dict[str, int] = {self.root: 1}  # 1: on the path, 2: done
        stack = [(self.root, iter(self._imports[self.root]))]
        cyclic = False
        while stack:
            node, it = stack[-1]
            for nxt in it:
                st = state.get(nxt)
                if st is None:
                    state[nxt] = 1
                    stack.append((nxt, iter(self._imports[nxt])))
                    break
                if st == 1:
                    cyclic = True
            else:
                stack.pop()
                state[node] = 2
                post.append(node)
        self._order = {} if cyclic else {p: i for i, p in enumerate(reversed(post))}
        return self._order or None

    def dominated(self) -> dict[str, frozenset[str]]:
        """For each package, the packages that go when it goes (its dominator subtree, itself included)."""
        return _subtrees(self._dominator_tree(()), self.packages)

    def edge_removes(self, edges: Sequence[Edge]) -> dict[Edge, frozenset[str]]:
        """For each edge, the packages no longer reachable when only that edge is cut.

        Each edge gets a virtual node in its middle; the dominator subtree of that node is what
        cutting the edge removes. One dominator computation serves every edge asked for, and the
        answer is kept for the same edges (suggest computes it ahead, while the target links).
        """
        key = tuple(edges)
        hit = self._edge_removes.get(key)
        if hit is None:
            tree = self._dominator_tree(edges)
            subtrees = _subtrees(tree, self.packages)
            hit = self._edge_removes[key] = {e: subtrees.get(_edge_node(e), frozenset()) for e in edges}
        return hit

    def _dominator_tree(self, split_edges: Sequence[Edge]) -> dict[Any, Any]:
        """Immediate dominators of the packages reachable from the main one (the main one its own), with
        a node in the middle of each split edge."""
        split = set(split_edges)
        succ: dict[Any, list[Any]] = {}
        for p in self.packages:
            out = succ[p] = []
            for q in self._imports[p]:
                if (p, q) in split:
                    mid = _edge_node((p, q))
                    succ[mid] = [q]
                    out.append(mid)
                else:
                    out.append(q)
        return immediate_dominators(succ, self.root)

    def _bfs(self, start: str, cut_edges: frozenset[Edge], cut_packages: frozenset[str] = frozenset()
             ) -> dict[str, int]:
        depth = {start: 0}
        queue = deque([start])
        while queue:
            p = queue.popleft()
            for q in self.imports(p):
                if q in depth or q in cut_packages or (p, q) in cut_edges:
                    continue
                depth[q] = depth[p] + 1
                queue.append(q)
        return depth


def immediate_dominators(succ: Mapping[Any, Sequence[Any]], root: Any) -> dict[Any, Any]:
    """The immediate dominator of each node reachable from root (root's is root): Cooper, Harvey and
    Kennedy's iteration over the reverse postorder ("A Simple, Fast Dominance Algorithm", 2001). A
    package graph converges in two or three passes; networkx took 0.2-0.4 s to import and 0.3 s to run
    on a 600-package graph, on suggest's critical path."""
    post: list[Any] = []
    seen = {root}
    stack: list[tuple[Any, Iterator[Any]]] = [(root, iter(succ.get(root, ())))]
    while stack:
        node, it = stack[-1]
        for nxt in it:
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, iter(succ.get(nxt, ()))))
                break
        else:
            stack.pop()
            post.append(node)
    index = {n: i for i, n in enumerate(post)}
    preds: dict[Any, list[Any]] = {n: [] for n in post}
    for n in post:
        for s in succ.get(n, ()):
            preds[s].append(n)
    idom: dict[Any, Any] = {root: root}

    def meet(a: Any, b: Any) -> Any:
        while a != b:
            while index[a] < index[b]:
                a = idom[a]
            while index[b] < index[a]:
                b = idom[b]
        return a

    changed = True
    while changed:
        changed = False
        for n in reversed(post[:-1]):  # reverse postorder, root (last in postorder) left out
            new = None
            for p in preds[n]:
                if p in idom:
                    new = p if new is None else meet(p, new)
            if idom.get(n) != new:
                idom[n] = new
                changed = True
    return idom


def _edge_node(e: Edge) -> tuple[str, str, str]:
    return ("edge", e[0], e[1])


def _subtrees(idom: Mapping[Any, Any], packages: Mapping[str, Package]) -> dict[Any, frozenset[str]]:
    """Dominator subtree members (real packages only) for every node of the tree."""
    children: dict[Any, list[Any]] = {}
    for node, parent in idom.items():
        if node != parent:
            children.setdefault(parent, []).append(node)
    out: dict[Any, frozenset[str]] = {}
    # Iterative post-order so deep graphs do not hit the recursion limit.
    roots = [n for n, p in idom.items() if n == p]
    for root in roots:
        stack: list[tuple[Any, bool]] = [(root, False)]
        while stack:
            node, done = stack.pop()
            if done:
                members = {node} if node in packages else set()
                for c in children.get(node, ()):
                    members |= out[c]
                out[node] = frozenset(members)
            else:
                stack.append((node, True))
                stack.extend((c, False) for c in children.get(node, ()))
    return out


# ---------------------------------------------------------------------------------------------
# Loading


def decode_stream(text: str) -> Iterator[dict[str, Any]]:
    """The concatenated JSON objects that `go list -json` prints."""
    dec = json.JSONDecoder()
    i, n = 0, len(text)
    while True:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            return
        obj, i = dec.raw_decode(text, i)
        yield obj


def parse_package(obj: Mapping[str, Any], top: Path | None = None) -> Package:
    """A Package from one go list JSON object; top: the repository's top (what is editable), None: only
    the main module's packages are."""
    mod = obj.get("Module") or {}
    error = obj.get("Error")
    listed = obj.get("Imports") or ()
    imports = tuple(i for i in listed if i != "C")
    if "C" in listed:
        imports += _cgo_imports(obj["ImportPath"], bool(obj.get("Standard")), imports)
    return Package(
        import_path=obj["ImportPath"],
        name=obj.get("Name", ""),
        dir=obj.get("Dir", ""),
        module=mod.get("Path") if mod else None,
        module_dir=mod.get("Dir") if mod else None,
        standard=bool(obj.get("Standard")),
        main_module=bool(mod.get("Main")) if mod else False,
        go_files=tuple(obj.get("GoFiles") or ()),
        cgo_files=tuple(obj.get("CgoFiles") or ()),
        ignored_go_files=tuple(obj.get("IgnoredGoFiles") or ()),
        test_go_files=tuple(obj.get("TestGoFiles") or ()),
        xtest_go_files=tuple(obj.get("XTestGoFiles") or ()),
        imports=imports,
        import_map=tuple(sorted((obj.get("ImportMap") or {}).items())),
        error=(error or {}).get("Err") if error else None,
        editable=_editable(obj, top),
        go_version=str(mod.get("GoVersion") or "") if mod else "",
    )


def _editable(obj: Mapping[str, Any], top: Path | None) -> bool:
    """Whether a listed package is the user's own code: not standard, its directory in the repository
    but not under vendor/, and its module a main (or workspace) module or replaced by a directory."""
    mod = obj.get("Module") or {}
    if obj.get("Standard") or not mod:
        return False
    if top is None:
        return bool(mod.get("Main"))
    rep = mod.get("Replace") or {}
    local = bool(mod.get("Main")) or (bool(rep) and not rep.get("Version"))
    try:
        rel = Path(obj.get("Dir", "")).relative_to(top)
    except ValueError:
        return False
    return local and bool(obj.get("Dir")) and "vendor" not in rel.parts


def _cgo_imports(path: str, standard: bool, imports: tuple[str, ...]) -> tuple[str, ...]:
    """What cgo's translation makes a package import without an import spec (cmd/go's load: unsafe,
    runtime/cgo, syscall, with its exclusions); go list shows them only among the Deps."""
    extra = ["unsafe"]
    if not (standard and path == "runtime/cgo"):
        extra.append("runtime/cgo")
    if not (standard and path in ("runtime/cgo", "runtime/race", "runtime/msan", "runtime/asan")):
        extra.append("syscall")
    return tuple(i for i in extra if i not in imports and i != path)


def list_objects(go: Go, module_dir: Path, target: Target, patterns: Sequence[str]) -> list[dict[str, Any]]:
    """The JSON objects of one `go list -e -deps -json=<fields>` for these patterns under the target's
    configuration (what load_packages reads; refactor.record keeps them)."""
    from refactor.builds import collector_env

    proc = go.run(
        ["list", "-e", "-deps", f"-json={LIST_FIELDS}", *target.build_flags(), *patterns],
        cwd=module_dir, target=target, env=collector_env(go.version), check=False,
    )
    if proc.returncode != 0 and not proc.stdout.strip():
        raise _list_error(proc.stderr, module_dir)
    return list(decode_stream(proc.stdout))


def load_packages(go: Go, module_dir: Path, target: Target, patterns: Sequence[str],
                  top: Path | None = None) -> dict[str, Package]:
    """One `go list -e -deps -json=<fields>` for these patterns under the target's configuration."""
    return packages_from(list_objects(go, module_dir, target, patterns), top)


def packages_from(objects: Iterable[Mapping[str, Any]], top: Path | None = None) -> dict[str, Package]:
    """Packages by import path from go list's JSON objects (top: the repository's, for Package.editable)."""
    packages = {}
    for obj in objects:
        pkg = parse_package(obj, top)
        packages[pkg.import_path] = pkg
    return packages


def graphs_for(go: Go, module_dir: Path, targets: Sequence[Target], top: Path | None = None
               ) -> dict[Target, BuildGraph]:
    """Build graphs for targets of one module context (go runs in module_dir); targets sharing a
    configuration share one go list run."""
    by_config: dict[Target, list[Target]] = {}
    for t in targets:
        by_config.setdefault(config_of(t), []).append(t)
    out: dict[Target, BuildGraph] = {}
    for config, group in by_config.items():
        packages = load_packages(go, module_dir, config, sorted({t.main for t in group}), top)
        for t in group:
            out[t] = graph_from(t, packages)
    return out


def graph_from(target: Target, packages: Mapping[str, Package]) -> BuildGraph:
    """The subgraph of `packages` reachable from the target's main package; checks it builds."""
    root = packages.get(target.main)
    if root is None:
        raise UsageError(f"{target.main} is not a package of this module for {target.platform}")
    if root.error and not root.name:
        raise GoError(f"cannot load {target.main}", stderr=root.error)
    if root.name != "main":
        raise UsageError(f"{target.main} is package {root.name}, not a main package: "
                         "pass --target with a main package")
    reach: dict[str, Package] = {}
    queue = [target.main]
    while queue:
        p = queue.pop()
        if p in reach or p not in packages:
            continue
        reach[p] = packages[p]
        queue.extend(packages[p].imports)
    broken = [p for p in reach.values() if p.error]
    if broken:
        first = broken[0]
        raise GoError(f"{target.label} does not build ({len(broken)} broken package(s)); fix it first",
                      stderr=f"{first.import_path}: {first.error}")
    return BuildGraph(target=target, root=target.main, packages=reach)


def config_of(t: Target) -> Target:
    """The build configuration of a target (what go list depends on): no main package, no ldflags."""
    return Target(main="", goos=t.goos, goarch=t.goarch, tags=t.tags, cgo=t.cgo, ldflags="")


def _list_error(stderr: str, module_dir: Path) -> GoError | UsageError:
    text = stderr.strip()
    if "go.mod file not found" in text or "cannot find main module" in text:
        return UsageError(f"{module_dir} is not inside a Go module: run gotrim where go.mod is, or pass REPO")
    return GoError("go list failed", stderr=stderr)


def main_packages(module: Any, probe: Target, patterns: Sequence[str], *, strict: bool = True
                  ) -> list[tuple[str, str | None]]:
    """The main packages patterns match in a module's context (no patterns: `./...` there), each with
    the directory of the module that holds it. strict (patterns the user named): a package that is
    not a main package, or that go cannot load, is a UsageError; else such packages are skipped."""
    pats = list(patterns) or ["./..."]
    go = module.toolchain
    proc = go.run(["list", "-e", "-json=ImportPath,Name,Error,Module", *probe.build_flags(), *pats],
                  cwd=module.dir, target=probe, check=False)
    if proc.returncode != 0 and not proc.stdout.strip():
        raise _list_error(proc.stderr, module.dir)
    mains = []
    for obj in decode_stream(proc.stdout):
        err = (obj.get("Error") or {}).get("Err")
        name = obj.get("Name", "")
        if err and not name:
            if strict:
                raise UsageError(f"target {obj['ImportPath']}: {err.splitlines()[0]}")
            continue
        if name == "main":
            mains.append((obj["ImportPath"], (obj.get("Module") or {}).get("Dir")))
        elif patterns and strict:
            raise UsageError(f"{obj['ImportPath']} is package {name}, not a main package: "
                             "pass --target with a main package")
    if patterns and strict and not mains:
        raise UsageError(f"no main package matches {' '.join(patterns)} for {probe.platform}")
    return mains
