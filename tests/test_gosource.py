"""Tests for the tree-sitter Go source model: declarations, imports, constraints and references."""

from __future__ import annotations

from typing import Any

import pytest

from refactor.errors import SourceError
from refactor.gosource import (
    GoFile,
    Import,
    Param,
    Ref,
    SourcePackage,
    decl_node,
    decl_signature,
    eval_build_expr,
    format_build_expr,
    guess_package_name,
    node_at,
    node_text,
    parse_build_expr,
    parse_file,
    plus_build_lines,
    refs_after_calls,
    selector_operands,
    struct_fields,
)

SAMPLE = b"""//go:build linux && !no_x
// +build linux,!no_x

// Package x is a sample.
package x

import (
	"fmt"
	f "os"
	_ "embed"
	"net/url"
)

// T is documented.
type T[K comparable, V any] struct{ A int } // trailing

var (
	// a doc
	a, b = fmt.Sprint(1), 2 // tr
	c int
)

const (
	E Kind = iota
	G
)

type Kind int

func (l *T[K, V]) M(x int) (r int) {
	y := x
	for k, v := range l.A {
		_ = k + v
	}
	m := T[int, int]{A: 1}
	var q = fmt.Sprint(f.Args, m, helper)
	url := url.Parse
	_ = url
	return y + len(q)
}

func helper() {}

func init() {}

func init() { helper() }

var _ = helper
"""


@pytest.fixture(scope="module")
def sample() -> GoFile:
    return parse_file("x/x.go", SAMPLE)


def test_header(sample: GoFile) -> None:
    assert sample.package == "x"
    assert sample.package_line == 5
    assert sample.errors == ()
    assert not sample.bom and not sample.crlf
    c = sample.constraint
    assert c is not None and c.expr == "linux && !no_x"
    assert SAMPLE[c.line_start:c.line_end] == b"//go:build linux && !no_x\n"
    assert [SAMPLE[s:e] for s, e in c.plus_build] == [b"// +build linux,!no_x\n"]


def test_imports(sample: GoFile) -> None:
    assert [(i.path, i.name, i.line) for i in sample.imports] == [
        ("fmt", None, 8), ("os", "f", 9), ("embed", "_", 10), ("net/url", None, 11),
    ]
    imp = sample.imports[1]
    assert SAMPLE[imp.start:imp.end] == b'f "os"'
    assert imp.local_name("os") == "f"
    assert Import("fmt", None, 0, 0, 1).local_name("fmt") == "fmt"


def test_decl_keys_and_ranges(sample: GoFile) -> None:
    keys = [d.key for d in sample.decls]
    assert keys == ["T", "a", "b", "c", "E", "G", "Kind", "T.M", "helper", "init#x/x.go#0",
                    "init#x/x.go#1", "_#x/x.go#0"]
    t = sample.decl("T")
    assert SAMPLE[t.start:t.end] == b"// T is documented.\ntype T[K comparable, V any] struct{ A int } // trailing"
    assert t.kind == "type" and t.exported and t.group_start is None
    a = sample.decl("a")
    assert SAMPLE[a.start:a.end] == b"// a doc\n\ta, b = fmt.Sprint(1), 2 // tr"
    assert SAMPLE[a.spec_start:a.spec_end] == b"a, b = fmt.Sprint(1), 2"
    assert (a.start, a.end) == (sample.decl("b").start, sample.decl("b").end)
    assert a.group_start is not None and a.group_end is not None
    assert SAMPLE[a.group_start:a.group_end].startswith(b"var (")
    assert a.side_effects and not sample.decl("c").side_effects
    m = sample.decl("T.M")
    assert (m.kind, m.receiver, m.pointer_receiver, m.exported) == ("method", "T", True, True)


def test_refs_scope_aware(sample: GoFile) -> None:
    m = sample.decl("T.M")
    assert m.refs == {
        Ref(None, "T"), Ref(None, "A"), Ref("fmt", "Sprint"), Ref("f", "Args"), Ref(None, "helper"),
        Ref("url", "Parse"),
    }
    assert m.field_keys == {("T", "A")}
    assert "len" in m.universe_refs and "int" in m.universe_refs
    assert sample.decl("G").refs == {Ref(None, "Kind")}  # implicit repetition of `Kind = iota`
    assert sample.decl("init#x/x.go#1").refs == {Ref(None, "helper")}


def test_package_view(sample: GoFile) -> None:
    other = parse_file(
        "x/y.go", b"package x\n\nfunc min(a, b int) int { return a }\n\nfunc U() { _ = T[int, int]{} }\n"
    )
    pkg = SourcePackage.from_files("example.com/x", "x", [sample, other])
    assert pkg.references("T.M") == {"T", "helper"}  # A is a field key of struct T
    assert pkg.closure(["U"]) == {"U", "T", "T.M", "helper"}
    assert pkg.closure(["U"], with_methods=False) == {"U", "T"}
    assert pkg.qualified_refs(["T.M", "a"]) == {("fmt", "Sprint"), ("os", "Args"), ("net/url", "Parse")}
    assert [f.path for f in pkg.files_importing("os")] == ["x/x.go"]
    assert [d.key for d in pkg.methods_of("T")] == ["T.M"]
    assert {d.key for d in pkg.exported_api()} == {"T", "E", "G", "Kind", "T.M", "U"}
    assert len(pkg.init_decls()) == 2
    assert {d.key for d in pkg.side_effect_decls()} == {"a", "b", "init#x/x.go#0", "init#x/x.go#1"}
    assert [d.key for d in pkg.by_name("min")] == ["min"]
    user = parse_file("x/z.go", b"package x\n\nfunc V() int { return min(1, 2) }\n")
    pkg2 = SourcePackage.from_files("example.com/x", "x", [other, user])
    assert pkg2.references("V") == {"min"}  # a builtin name the package redeclares


REF_CASES = [
    pytest.param(b"func f(url *url.URL) { url.Parse() }", {Ref("url", "URL")}, id="param-shadows-import-in-body-only"),
    pytest.param(b"func f() { x := x; _ = x }", {Ref(None, "x")}, id="short-var-rhs-is-outer"),
    pytest.param(b"func f() { for x := range x { _ = x } }", {Ref(None, "x")}, id="range-expr-is-outer"),
    pytest.param(b"func f(v any) { switch v := v.(type) { case T: _ = v } }", {Ref(None, "T")}, id="type-switch"),
    pytest.param(b"func f() { select { case v := <-ch: _ = v } }", {Ref(None, "ch")}, id="select-recv"),
    pytest.param(b"func f[T any](x T) T { return x }", set(), id="type-params"),
    pytest.param(b"func f() { type T struct{ next *T }; var t T; _ = t }", set(), id="local-type"),
    pytest.param(b"func f() { L: for { break L } }", set(), id="labels"),
    pytest.param(b"func f(s S) { s.m[k](1) }", {Ref(None, "S"), Ref(None, "k")}, id="misparsed-qualified-type"),
    pytest.param(b"func f() { _ = map[K]int{K1: 1} }", {Ref(None, "K"), Ref(None, "K1")}, id="map-keys-are-refs"),
    pytest.param(b"func f() { _ = struct{ A int }{A: 1} }", set(), id="struct-literal-keys"),
    pytest.param(b"func f() { _ = []P{{Name: n}} }", {Ref(None, "P"), Ref(None, "Name"), Ref(None, "n")},
                 id="elided-literal-keys-kept"),
    pytest.param(b"func f() { g := func(y int) int { return y + z }; _ = g }", {Ref(None, "z")}, id="func-literal"),
    pytest.param(b"func f() { var err error; if err := g(); err != nil {}; _ = err }", {Ref(None, "g")}, id="if-init"),
    pytest.param(b"func f() { x.y.z() }", {Ref(None, "x")}, id="package-var-selector"),
    pytest.param(b"func f() { _ = fmt.Sprint }", {Ref("fmt", "Sprint")}, id="qualified"),
    pytest.param(b"func f() { fmt := 1; _ = fmt }", set(), id="import-shadowed"),
    pytest.param(b"func (r *R[K]) f(k K) {}", {Ref(None, "R")}, id="receiver-type-params"),
    pytest.param(b"type S struct { fmt.Stringer; N int }", {Ref("fmt", "Stringer")}, id="embedded-qualified"),
    pytest.param(b"var v = y.F[int]", {Ref("y", "F")}, id="generic-instantiation"),
]


@pytest.mark.parametrize(("body", "refs"), REF_CASES)
def test_refs(body: bytes, refs: set[Ref]) -> None:
    f = parse_file("a.go", b'package p\n\nimport (\n\t"fmt"\n\t"net/url"\n\t"example.com/y"\n)\n\n' + body + b"\n")
    assert f.errors == ()
    assert set(f.decls[0].refs) == refs


def test_syntax_errors() -> None:
    f = parse_file("bad.go", b"package p\n\nfunc f( {\n")
    assert f.errors and f.errors[0].startswith("bad.go:3:")


def test_bom_and_crlf() -> None:
    f = parse_file("w.go", b"\xef\xbb\xbfpackage p\r\n\r\nfunc F() {}\r\n")
    assert f.bom and f.crlf and f.package == "p"
    assert f.decls[0].key == "F" and f.src[f.decls[0].start:f.decls[0].end] == b"func F() {}"


@pytest.mark.parametrize(
    ("path", "name"),
    [("fmt", "fmt"), ("math/rand/v2", "rand"), ("gopkg.in/yaml.v3", "yaml"),
     ("github.com/mattn/go-sqlite3", "go_sqlite3")],
)
def test_guess_package_name(path: str, name: str) -> None:
    assert guess_package_name(path) == name


@pytest.mark.parametrize(
    ("text", "printed", "plus"),
    [
        pytest.param("a", "a", ["// +build a"], id="tag"),
        pytest.param("(a || b) && !c", "(a || b) && !c", ["// +build a b", "// +build !c"], id="and-or"),
        pytest.param("a && b || c", "(a && b) || c", ["// +build a,b c"], id="or-wraps-and"),
        pytest.param("a && (b && c)", "a && b && c", ["// +build a,b,c"], id="flatten"),
        pytest.param("!(a && b)", "!(a && b)", ["// +build !a !b"], id="push-not"),
        pytest.param("(a || b) && (c || (d && e))", "(a || b) && (c || (d && e))",
                     ["// +build a b", "// +build c d,e"], id="nested"),
        pytest.param("(a || b) && c || d", "((a || b) && c) || d", None, id="too-complex"),
    ],
)
def test_build_expr(text: str, printed: str, plus: list[str] | None) -> None:
    x = parse_build_expr(text)
    assert format_build_expr(x) == printed
    assert plus_build_lines(x) == plus
    assert eval_build_expr(x, {"a", "b", "c"}) == eval_build_expr(parse_build_expr(printed), {"a", "b", "c"})


SIGS = b"""package p

import "net/http"

type S struct {
	A, b int
	*http.Client
	io.Reader
}

type I interface {
	Do(x int) error
}

func (s *S) M(a, b int, rest ...string) (n int, err error) { return s.A, s.Client.Do(nil) }

func G[T any, U comparable](T) U { var u U; return u }

func H() (int) { return 0 }
"""


def test_signatures() -> None:
    f = parse_file("s.go", SIGS)
    m = decl_signature(f, f.decl("S.M"))
    assert m.params == (Param("a", "int"), Param("b", "int"), Param("rest", "string", True))
    assert m.params_text == "(a, b int, rest ...string)"
    assert SIGS[slice(*m.params_range)] == b"(a, b int, rest ...string)"
    assert m.result == "(n int, err error)" and m.result_types() == ["int", "error"]
    assert m.receiver == (Param("s", "*S"),) and m.head == "func (s *S) M(a, b int, rest ...string) (n int, err error)"
    assert m.key() == ("recv:*S", "tparams:", "params:int,int,...string", "results:int,error")
    g = decl_signature(f, f.decl("G"))
    assert g.type_params == "[T any, U comparable]" and g.type_param_names == ("T", "U")
    assert g.params == (Param(None, "T"),) and g.result == "U" and g.result_types() == ["U"]
    assert decl_signature(f, f.decl("H")).result_types() == ["int"]


def test_selectors_and_tree_access() -> None:
    f = parse_file("s.go", SIGS)
    assert f.decl("S.M").selectors == {"A", "Client", "Do"}
    assert f.decl("I").selectors == {"Do"}  # an interface method: what callers may select
    assert f.selectors() == {"A", "Client", "Do"}
    s = f.decl("S")
    node = decl_node(f, s)
    assert node.type == "type_spec" and node_text(f.src, node).startswith("S struct")
    assert struct_fields(f.src, node) == {"A", "b", "Client", "Reader"}
    assert selector_operands(f.src, node) == {"http", "io"}
    assert selector_operands(f.src, decl_node(f, f.decl("S.M"))) == {"s"}
    with pytest.raises(SourceError):
        node_at(f.src, s.spec_start + 1, s.spec_end)


def test_literal_keys_survive_shadowing() -> None:
    f = parse_file("k.go", b"package p\n\ntype C struct{ fset, conf int }\n\n"
                           b"func New() *C {\n\tfset := 1\n\treturn &C{fset: fset, conf: 2}\n}\n")
    d = f.decl("New")
    assert d.literal_keys == {"fset", "conf"}
    assert Ref(None, "fset") not in d.refs  # the key names a field, and the value a local


def test_node_at_is_outermost() -> None:
    f = parse_file("c.go", b'package p\n\nimport (\n\t"fmt"\n)\n\nconst (\n\tA = iota\n\tB\n)\n\nvar _ = fmt.Sprint\n')
    assert node_at(f.src, f.imports[0].start, f.imports[0].end).type == "import_spec"
    b = decl_node(f, f.decl("B"))
    assert b.type == "const_spec" and b.parent is not None and b.parent.type == "const_declaration"


def test_go126_new_of_an_expression_parses_with_byte_ranges_and_refs_kept() -> None:
    """new(expr) (Go 1.26) next to new(T) of every type form: no syntax error, declarations at the bytes
    the file has, references as written (tree-sitter-go 0.25 alone reports errors here)."""
    src = (b"package p\n\nfunc id() uint64 { return 7 }\n\n"
           b"func f() (*uint64, *int, *map[string]int, *[]byte, *struct{ a int }, *chan int, *func()) {\n"
           b"\treturn new(uint64(id())), new(int), new(map[string]int), new([]byte), new(struct{ a int }),"
           b" new(chan int), new(func())\n}\n\nvar v = new(id() + 1)\n")
    import tree_sitter_go
    from tree_sitter import Language, Parser

    assert Parser(Language(tree_sitter_go.language())).parse(src).root_node.has_error  # the gap worked around
    f = parse_file("p.go", src)
    assert f.errors == ()
    decls = {d.name: d for d in f.decls}
    assert set(decls) == {"id", "f", "v"}
    assert src[decls["v"].start:decls["v"].end] == b"var v = new(id() + 1)"
    assert {r.name for r in decls["f"].refs} >= {"id"} and {r.name for r in decls["v"].refs} >= {"id"}


def test_a_function_of_the_package_named_make_parses() -> None:
    """`func make(n int) []T` then `make(n - 1)`: valid Go that tree-sitter-go reads as make's type operand
    and reports as an error; parsed through a same-length stand-in, builtin makes untouched."""
    src = (b"package p\n\ntype T struct{}\n\nfunc make(n int) []T {\n\tif n == 0 {\n\t\treturn nil\n\t}\n"
           b"\treturn append(make(n - 1), T{})\n}\n\nfunc use() int { return len(make(3)) }\n")
    import tree_sitter_go
    from tree_sitter import Language, Parser

    assert Parser(Language(tree_sitter_go.language())).parse(src).root_node.has_error  # the gap worked around
    f = parse_file("p.go", src)
    assert f.errors == ()
    decls = {d.name: d for d in f.decls}
    assert set(decls) == {"T", "make", "use"}
    assert src[decls["use"].start:decls["use"].end] == b"func use() int { return len(make(3)) }"
    assert "make" in {r.name for r in decls["use"].refs} and "T" in {r.name for r in decls["make"].refs}
    builtin = b"package p\n\nfunc f(n int) []int { return make([]int, n-1) }\n"
    assert parse_file("q.go", builtin).errors == ()


_STARTUP = b'''// Package p has a large file's shape: what runs at start among much else.
package p

import "registry"

var (
	first  = registry.Add("a")
	second, third = registry.Pair(), build(func() int { return registry.Later() })
)

var handler = func() int { return registry.Now() }()

func init() {
	registry.Add("b")
	if registry.Enabled() {
		registry.Add("c")
	}
	cmd.Action = func() { registry.Never() }
}

func main() {
	for registry.More() {
		registry.Body()
	}
	run()
}

func run() { registry.Run() }
'''


def test_what_runs_at_start_is_read_from_a_declaration_alone_as_from_the_whole_file() -> None:
    from refactor import gosource
    from refactor.guard import every_run_calls, startup_calls

    f = parse_file("p.go", _STARTUP)
    decls = [d for d in f.decls if d.kind in ("var", "init")]

    def calls() -> list[object]:
        return [startup_calls(f, d) for d in decls] + [sorted(every_run_calls("p", [f], lambda _: None).calls.items(),
                                                              key=str)]

    with gosource._TREES_LOCK:
        gosource._TREES.pop(_STARTUP, None)  # as a file from the parse cache: no tree
    parsed: list[int] = []
    real = gosource.parse_go

    def counted(src: bytes) -> Any:
        parsed.append(len(src))
        return real(src)

    try:
        gosource.parse_go = counted
        alone = calls()
    finally:
        gosource.parse_go = real
    assert parsed and max(parsed) < len(_STARTUP) // 2  # the declarations, never the whole file
    gosource.syntax_tree(_STARTUP)
    assert alone == calls()
    flat = {name for cs in alone[:-1] for _, name in cs}  # type: ignore[attr-defined]
    assert {"Add", "Pair", "build", "Now", "Enabled"} <= flat and not {"Later", "Never"} & flat


def test_identifier_sites_are_identifiers_not_text() -> None:
    """The names are looked for in the text, but only identifier nodes count: not a comment, a string,
    a selected field or method, a qualified type's name, a longer identifier (also one that goes on or
    starts with a non-ASCII letter)."""
    from refactor.gosource import identifier_sites

    src = ("package p\n\n// count counts\nvar count = 1\n\ntype count2 struct{ count int }\n\n"
           "func f(s count2) int {\n\tx := \"count\"\n\t_ = x\n\t_ = fmt.count\n\tvar _ fmt.count\n"
           "\tcountÉ, Écount := 1, 2\n\t_, _ = countÉ, Écount\n\treturn s.count + count\n}\n").encode()
    sites = identifier_sites(src, ["count"])
    assert [src[a:b] for a, b, _ in sites] == [b"count", b"count"]
    assert [src.count(b"\n", 0, a) + 1 for a, _, _ in sites] == [4, 15]  # the declaration, the last use
    fields = identifier_sites(src, ["count"], with_fields=True)
    lines = [src.count(b"\n", 0, a) + 1 for a, _, _ in fields]
    assert lines == [4, 6, 11, 15, 15]  # the struct field, fmt.count's selector, s.count too
    assert identifier_sites(src, ["count"], ranges=[(src.index(b"func f"), len(src))]) == sites[1:]
    assert identifier_sites(src, ["nothere"]) == []


def test_parameter_names_of_signatures_without_a_body_are_not_references() -> None:
    """`interface{ M(ctx T) }` and `func(x int)` types declare their parameter names; a stub that copies
    them must not be refused for using a name only the guarded file declares."""
    f = parse_file("x/sig.go", b"""package x

import "context"

type I interface {
	A(ctx context.Context, n ...int) (err error)
}

type F func(x int) (y string)

var g func(z int) = nil

var k = func(b int) int { return b + missing }
""")
    refs = {d.name: {(r.qualifier, r.name) for r in d.refs} for d in f.decls}
    assert refs["I"] == {("context", "Context")}
    assert refs["F"] == set() and refs["g"] == set()
    assert refs["k"] == {(None, "missing")}


def test_what_follows_a_call_that_cannot_return_is_found_per_block() -> None:
    f = parse_file("p/r.go", b"""package p

import "example.com/store"

func Open(name string) string {
	opt := store.Skip()
	r := &Remote{name: name, opt: opt}
	return r.Warm()
}

func Wrap() { store.Skip() }

func Branch(ok bool) {
	if ok {
		store.Skip()
		Gone()
	}
	Kept()
}

func Guarded(ok bool) {
	if ok && store.Skip() != 0 {
		Kept()
	}
	defer store.Skip()
	go store.Skip()
	Kept()
}

func Early(ok bool) {
	if ok {
		return
	}
	store.Skip()
}

func Local() { Skip(); Local2() }
""")
    got = {d.key: a for d, a in refs_after_calls(f, {"store": ["Skip"], None: ["Skip"]}).items()}
    assert {r.name for r in got["Open"].refs} >= {"Remote", "Warm"} and "name" not in {r.name for r in got["Open"].refs}
    assert ("", "Warm") in {(r.qualifier, r.name) for r in got["Open"].refs}  # a method of a value
    assert got["Open"].never_returns and got["Wrap"].never_returns and got["Local"].never_returns
    assert {r.name for r in got["Branch"].refs} == {"Gone"} and not got["Branch"].never_returns
    assert "Guarded" not in got  # behind &&, deferred, in a go statement: the rest still runs
    assert "Early" not in got  # a path returns before the call, and nothing follows it
    assert {r.name for r in got["Local"].refs} == {"Local2"}
