"""Build graph: parsing recorded go list output, chains, cuts and dominators (no Go needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from refactor.config import Target
from refactor.errors import GoError, UsageError
from refactor.graph import BuildGraph, Package, decode_stream, graph_from, parse_package

DATA = Path(__file__).parent / "data" / "golist"
MAIN = "example.com/g1/cmd/a"
LIB = "example.com/g1/lib"


def load(name: str) -> dict[str, Package]:
    pkgs = (parse_package(o) for o in decode_stream((DATA / name).read_text()))
    return {p.import_path: p for p in pkgs}


def target(main: str = MAIN) -> Target:
    return Target(main=main, goos="linux", goarch="amd64")


@pytest.fixture(scope="module")
def g1() -> BuildGraph:
    return graph_from(target(), load("g1_linux_amd64.json"))


def pkg(path: str, *imports: str) -> Package:
    return Package(path, path.rsplit("/", 1)[-1], "", None, None, True, False, (), (), (), (), (), imports, (), None)


def toy(edges: dict[str, tuple[str, ...]]) -> BuildGraph:
    nodes = set(edges) | {q for qs in edges.values() for q in qs}
    return BuildGraph(Target("m", "linux", "amd64"), "m", {n: pkg(n, *edges.get(n, ())) for n in nodes})


def test_stream_decodes_every_package(g1: BuildGraph) -> None:
    assert len(load("g1_linux_amd64.json")) == 187
    assert g1.main.name == "main" and g1.main.main_module
    assert g1.packages[LIB].main_module and not g1.packages["net/http"].main_module
    assert g1.packages["net/http"].standard and g1.packages["net/http"].module is None
    assert "C" not in {q for p in g1.packages.values() for q in p.imports}


def test_import_map_resolves_vendored_std(g1: BuildGraph) -> None:
    net = g1.packages["net"]
    assert net.resolve("golang.org/x/net/dns/dnsmessage") == "vendor/golang.org/x/net/dns/dnsmessage"
    assert net.source_path("vendor/golang.org/x/net/dns/dnsmessage") == "golang.org/x/net/dns/dnsmessage"
    assert "vendor/golang.org/x/net/dns/dnsmessage" in g1.imports("net")


def test_why_gives_shortest_chains(g1: BuildGraph) -> None:
    assert g1.why("net/http") == [[MAIN, LIB, "net/http"]]
    chains = g1.why("crypto/tls")
    assert chains and all(c[0] == MAIN and c[-1] == "crypto/tls" for c in chains)
    assert len({len(c) for c in chains}) == 1
    assert g1.why("not/there") == []


def test_why_lists_every_shortest_chain() -> None:
    g = toy({"m": ("a", "b"), "a": ("x",), "b": ("x",), "x": ("y",), "a2": ("y",)})
    assert g.why("y") == [["m", "a", "x", "y"], ["m", "b", "x", "y"]]


def test_cutting_the_heavy_edge_removes_net_http_and_its_deps(g1: BuildGraph) -> None:
    edge = (LIB, "net/http")
    removed = g1.edge_removes([edge])[edge]
    assert removed == g1.removed_by([edge])
    assert {"net/http", "crypto/tls", "mime/multipart"} <= removed
    assert "fmt" not in removed and LIB not in removed
    still = g1.reachable([edge])
    assert removed.isdisjoint(still) and len(removed) + len(still) == len(g1)


def test_edges_and_dominators_agree_on_a_diamond() -> None:
    g = toy({"m": ("a", "b"), "a": ("h",), "b": ("h", "l"), "h": ("h2",)})
    assert g.edge_removes([("a", "h"), ("b", "l")]) == {("a", "h"): frozenset(), ("b", "l"): {"l"}}
    assert g.removed_by([("a", "h"), ("b", "h")]) == {"h", "h2"}
    dom = g.dominated()
    assert dom["m"] == frozenset(g.packages)
    assert dom["h"] == {"h", "h2"} and dom["a"] == {"a"}


def test_non_main_target_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="not a main package"):
        graph_from(target(LIB), load("g1_linux_amd64.json"))


def test_broken_package_names_the_error() -> None:
    with pytest.raises(GoError) as info:
        graph_from(target("example.com/g2/cmd/b"), load("g2_broken.json"))
    assert "github.com/nope/missing" in str(info.value)


def test_likely_targets_are_guessed_without_go(tmp_path: Path) -> None:
    from refactor.config import TargetSpec
    from refactor.repository import Module, Repository, likely_targets
    from refactor.toolchain import Go

    for d in ("cmd/a", "cmd/c", "x"):
        (tmp_path / "m" / d).mkdir(parents=True)
    go = Go(path="/nonexistent/go", version=(1, 26, 0))  # never run: the module's context is known
    mod = Module(path="example.com/m", dir=tmp_path / "m", host=("linux", "amd64"), host_cgo=True, go=go)
    repo = Repository(top=tmp_path / "m", root=tmp_path / "m", modules=(mod,), launcher=go)
    specs = [TargetSpec(mains=("./cmd/a", "./cmd/...", ".", "example.com/m/cmd/b", "../x", "./cmd/gone", "all",
                               "example.com/m/cmd/b@v1"),
                        platforms=(("linux", "amd64"), ("linux", "arm64")), tags=("t",)),
             TargetSpec(mains=("./cmd/c/",), platforms=(("darwin", "arm64"),), cgo=False)]
    got = [(t.main, t.platform, t.tags, t.cgo, m.path) for t, m in likely_targets(repo, specs)]
    # patterns with ..., meta-patterns, versions, paths outside the repository's modules and missing
    # directories are left to go list;
    # so is arm64's cgo default
    assert got == [("example.com/m/cmd/a", "linux/amd64", ("t",), True, "example.com/m"),
                   ("example.com/m", "linux/amd64", ("t",), True, "example.com/m"),
                   ("example.com/m/cmd/b", "linux/amd64", ("t",), True, "example.com/m"),
                   ("example.com/m/cmd/c", "darwin/arm64", (), False, "example.com/m")]
    assert likely_targets(repo, [TargetSpec()]) == []


def test_cgo_packages_import_runtime_cgo_implicitly() -> None:
    net = parse_package({"ImportPath": "net", "Standard": True, "Imports": ["C", "errors", "syscall"]})
    assert net.imports == ("errors", "syscall", "unsafe", "runtime/cgo")
    rcgo = parse_package({"ImportPath": "runtime/cgo", "Standard": True, "Imports": ["C", "unsafe"]})
    assert rcgo.imports == ("unsafe",)
    mine = parse_package({"ImportPath": "example.com/m/c", "Imports": ["C"]})
    assert mine.imports == ("unsafe", "runtime/cgo", "syscall")
    plain = parse_package({"ImportPath": "fmt", "Standard": True, "Imports": ["errors"]})
    assert plain.imports == ("errors",)


def test_immediate_dominators_match_their_definition_on_random_graphs() -> None:
    """d dominates n when every path from the root to n goes through d; the immediate dominator is the
    closest strict one. Checked by removing each node and walking again, on graphs with cycles."""
    import random

    from refactor.graph import immediate_dominators

    def reach(succ: dict[int, list[int]], root: int, without: int | None) -> set[int]:
        seen, todo = {root}, [root]
        while todo:
            for q in succ[todo.pop()]:
                if q != without and q not in seen:
                    seen.add(q)
                    todo.append(q)
        return seen

    rng = random.Random(7)
    for _ in range(60):
        n = rng.randint(1, 25)
        succ = {i: rng.sample(range(n), rng.randint(0, min(n, 4))) for i in range(n)}
        idom = immediate_dominators(succ, 0)
        live = reach(succ, 0, None)
        assert set(idom) == live
        for v in live - {0}:
            strict = {d for d in live - {v} if v not in reach(succ, 0, d)} | {0}
            # the immediate one is the strict dominator every other strict dominator dominates
            (closest,) = [d for d in strict if all(o in (d, 0) or d not in reach(succ, 0, o) for o in strict)]
            assert idom[v] == closest
        assert idom[0] == 0


def test_removed_by_walks_below_the_cuts_as_a_full_walk_would(g1: BuildGraph) -> None:
    """removed_by decides only the packages below the cut edges and packages; on random cuts of a real
    graph (and of small ones with an unreached package, one with a cycle) it agrees with what the full
    walk from main leaves."""
    import random

    rng = random.Random(7)
    cyclic = toy({"m": ("a", "b"), "a": ("c",), "c": ("d",), "d": ("c", "e"), "b": ("e",), "u": ("a",)})
    dag = toy({"m": ("a", "b"), "a": ("c",), "c": ("d",), "b": ("d", "e"), "u": ("a",)})
    for g in (g1, cyclic, dag):
        edges = list(g.edges())
        for _ in range(300):
            cut = frozenset(rng.sample(edges, min(len(edges), rng.choice((1, 2, 5, 20)))))
            pkgs = frozenset(rng.sample(sorted(g.packages), rng.choice((0, 0, 1, 3))))
            assert g.removed_by(cut, pkgs) == frozenset(g.packages) - g.reachable(cut, pkgs), (cut, pkgs)
    assert cyclic.removed_by([("a", "c")]) == {"c", "d", "u"}  # d's edge back to c leaves them; b keeps e
    assert cyclic.removed_by([("m", "a")]) == {"a", "c", "d", "u"}
    assert dag.removed_by([("a", "c")]) == {"c", "u"} and dag.removed_by([], ["b"]) == {"b", "e", "u"}
