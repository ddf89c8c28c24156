"""Tree-sitter model of Go source files: package, build constraint, imports, declarations, references.

Everything here works on the original bytes with byte offsets as tree-sitter gives them. References are
resolved without type information, so where scoping is uncertain the index errs toward "referenced":
a missed reference breaks a build, an extra one only costs precision.
"""

from __future__ import annotations

import bisect
import collections
import functools
import re
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import tree_sitter_go
from tree_sitter import Language, Node, Parser, Query, QueryCursor, Tree

from refactor.errors import SourceError

GO = Language(tree_sitter_go.language())
BOM = b"\xef\xbb\xbf"

# Predeclared identifiers of the universe block (https://go.dev/ref/spec#Predeclared_identifiers).
UNIVERSE = frozenset(
    [
        "any", "bool", "byte", "comparable", "complex64", "complex128", "error", "float32", "float64",
        "int", "int8", "int16", "int32", "int64", "rune", "string", "uint", "uint8", "uint16", "uint32",
        "uint64", "uintptr", "true", "false", "iota", "nil", "append", "cap", "clear", "close", "complex",
        "copy", "delete", "imag", "len", "make", "max", "min", "new", "panic", "print", "println", "real",
        "recover",
    ]
)

_SCOPE_KINDS = frozenset(
    {
        "block", "if_statement", "for_statement", "expression_switch_statement", "type_switch_statement",
        "expression_case", "type_case", "default_case", "communication_case", "func_literal",
        "function_declaration", "method_declaration",
    }
)
_SPEC_KINDS = {"var_spec": "var", "const_spec": "const", "type_spec": "type", "type_alias": "alias"}
_GROUP_KINDS = {"var_declaration", "const_declaration", "type_declaration"}
_VERSION_ELEM = re.compile(r"^v[0-9]+$")
_GOBUILD = re.compile(rb"^//go:build(?:[ \t]|\r?$)")
_PLUSBUILD = re.compile(rb"^//[ \t]*\+build(?:[ \t]|\r?$)")


_FUNCS = ("function_declaration", "method_declaration", "func_literal")


def _query_text() -> str:
    """The one query run per file; captures are paired by position, not per match (much cheaper)."""
    pats = [
        "(identifier) @id",
        "(type_identifier) @id",
        "(selector_expression operand: (identifier) @sel.op field: (field_identifier) @sel.field)",
        "(qualified_type package: (package_identifier) @qual.op name: (type_identifier) @qual.field)",
        "(function_declaration name: (identifier) @skip)",
        "(short_var_declaration left: (expression_list (identifier) @stmt.name)) @stmt",
        '(range_clause left: (expression_list (identifier) @stmt.name) ":=") @stmt',
        '(receive_statement left: (expression_list (identifier) @stmt.name) ":=") @stmt',
        "(var_spec name: (identifier) @stmt.name) @stmt",
        "(const_spec name: (identifier) @stmt.name) @stmt",
        "(type_spec name: (type_identifier) @tspec.name) @tspec",
        "(type_alias name: (type_identifier) @tspec.name) @tspec",
        "(type_switch_statement alias: (expression_list (identifier) @ts.name) value: (_) @ts.value) @ts",
        "(keyed_element key: (literal_element (identifier) @key))",
        "(selector_expression field: (field_identifier) @selector)",
        "(method_elem name: (field_identifier) @selector)",
        "(call_expression) @call",
        "[" + " ".join(f"({k})" for k in sorted(_SCOPE_KINDS)) + "] @scope",
        "[" + " ".join(f"({k} body: (block) @fn.body)" for k in _FUNCS) + "] @fn",
        "(method_declaration receiver: (parameter_list (parameter_declaration type: [(generic_type type_arguments:"
        " (type_arguments (type_elem (type_identifier) @rtp.name))) (pointer_type (generic_type type_arguments:"
        " (type_arguments (type_elem (type_identifier) @rtp.name))))])))",
        "[(function_declaration) (type_spec) (type_alias)] @tp.owner",
    ]
    for owner in _FUNCS:
        fields = ["parameters", "result"] + (["receiver"] if owner == "method_declaration" else [])
        for fld in fields:
            pats.append(f"({owner} {fld}: (parameter_list [(parameter_declaration name: (identifier) @param.name)"
                        " (variadic_parameter_declaration name: (identifier) @param.name)]))")
    for owner in ("method_elem", "function_type"):  # no body: the names bind nothing (`interface{ M(ctx T) }`)
        for fld in ("parameters", "result"):
            pats.append(f"({owner} {fld}: (parameter_list [(parameter_declaration name: (identifier) @sig.name)"
                        " (variadic_parameter_declaration name: (identifier) @sig.name)]))")
    for owner in ("function_declaration", "type_spec", "type_alias"):
        pats.append(f"({owner} type_parameters: (type_parameter_list (type_parameter_declaration"
                    " name: (identifier) @tp.name)))")
    return "\n".join(pats)


def _innermost(points: Sequence[int], intervals: Sequence[tuple[int, int]]) -> list[int]:
    """For sorted points, the index of the innermost of the nested intervals containing each (-1 if none).

    intervals must be sorted by (start, -end) and nest or be disjoint (as syntax tree nodes do).
    """
    out: list[int] = []
    stack: list[int] = []
    i = 0
    for p in points:
        while i < len(intervals) and intervals[i][0] <= p:
            while stack and intervals[stack[-1]][1] <= intervals[i][0]:
                stack.pop()
            stack.append(i)
            i += 1
        while stack and intervals[stack[-1]][1] <= p:
            stack.pop()
        out.append(stack[-1] if stack else -1)
    return out


def _ranges(nodes: Sequence[Node]) -> list[tuple[int, int]]:
    return sorted(((n.start_byte, n.end_byte) for n in nodes), key=lambda se: (se[0], -se[1]))


@functools.lru_cache(maxsize=1)
def _parser_and_query() -> tuple[Parser, Query]:
    return Parser(GO), Query(GO, _query_text())


# Go 1.26's new(expr): tree-sitter-go 0.25 parses new's operand as a type only (an open fix upstream:
# tree-sitter/tree-sitter-go#193), so `new(uint64(m.ID))` is a syntax error to it. A `new(` whose operand
# cannot be a type expression is parsed as a call of `_nw`: same length, so every byte offset holds, and
# gotrim reads text from the file's own bytes, never from the tree.
_NEW_EXPR = re.compile(rb"(?<![\w.])new\((?!\s*(?:\[|map\s*\[|struct\b|chan\b|<-|func\b|interface\b))")
NEW_EXPR_STAND_IN = b"_nw("
# The same for a package's own function named make (`func make(n int) []T`, then `make(n - 1)`): the
# grammar reads make's first operand as a type. Tried only when the new( stand-in alone does not do.
_MAKE_CALL = re.compile(rb"(?<![\w.])make\((?!\s*(?:\[|map\s*\[|struct\b|chan\b|<-|func\b|interface\b))")
MAKE_STAND_IN = b"_mk_("


def parse_go(src: bytes) -> Tree:
    """src's tree-sitter tree, with Go 1.26's new(expr) and a function of the package named make
    understood (see _NEW_EXPR, _MAKE_CALL)."""
    parser, _ = _parser_and_query()
    tree = parser.parse(src)
    if not tree.root_node.has_error:
        return tree
    fixed = _NEW_EXPR.sub(NEW_EXPR_STAND_IN, src) if b"new(" in src else src
    if fixed is not src:
        again = parser.parse(fixed)
        if not again.root_node.has_error:
            return again
    if b"make(" in src and re.search(rb"^func\s+make\s*[\[(]|^\s*make\s*(?:=|:=)", src, re.M):
        again = parser.parse(_MAKE_CALL.sub(MAKE_STAND_IN, fixed))
        if not again.root_node.has_error:
            return again
    return tree


# ---------------------------------------------------------------------------------------------------------
# Data


_WORD = re.compile(rb"\w+")  # (bytes: ASCII letters, digits and _)


@dataclass(frozen=True)
class Import:
    """One import spec: path, explicit local name (or None), byte range of the spec, 1-based line."""

    path: str
    name: str | None
    start: int
    end: int
    line: int

    def local_name(self, pkg_name: str) -> str:
        """The name this file uses for the package: the explicit name, else the package's own name."""
        return self.name if self.name is not None else pkg_name


@dataclass(frozen=True)
class ImportDecl:
    """One `import` declaration: byte range (with doc comment from `start`), parens, and its specs."""

    start: int
    end: int
    decl_start: int
    lparen: int | None
    rparen: int | None
    specs: tuple[Import, ...]


@dataclass(frozen=True)
class Constraint:
    """The header build constraint: `//go:build` expression and line byte ranges ([start, end) incl. newline).

    expr is None when only legacy `// +build` lines exist; line_start/line_end then equal the start of the
    first `// +build` line.
    """

    expr: str | None
    line_start: int
    line_end: int
    plus_build: tuple[tuple[int, int], ...]
    line: int = 0


@dataclass(frozen=True)
class Ref:
    """A referenced identifier: `qualifier.name` (qualifier = a local import name) or same-package `name`."""

    qualifier: str | None
    name: str


@dataclass(frozen=True)
class Decl:
    """A top-level declaration (one per declared name) with what it references."""

    key: str
    name: str
    kind: str
    receiver: str | None
    pointer_receiver: bool
    start: int
    end: int
    spec_start: int
    spec_end: int
    group_start: int | None
    group_end: int | None
    exported: bool
    refs: frozenset[Ref]
    file: str
    line: int = 0
    universe_refs: frozenset[str] = frozenset()
    field_keys: frozenset[tuple[str, str]] = frozenset()
    type_kind: str = ""
    side_effects: bool = False
    has_value: bool = False
    selectors: frozenset[str] = frozenset()  # names selected with `x.name`, and interface method names
    literal_keys: frozenset[str] = frozenset()  # identifiers used as keys in composite literals (`T{k: v}`)

    @functools.cached_property
    def unqualified(self) -> frozenset[str]:
        """The names it uses without a qualifier (its package's, or shadowed locals)."""
        return frozenset(r.name for r in self.refs if r.qualifier is None)


@dataclass(frozen=True)
class GoFile:
    """One parsed Go file."""

    path: str
    src: bytes
    package: str
    package_line: int
    constraint: Constraint | None
    imports: tuple[Import, ...]
    decls: tuple[Decl, ...]
    errors: tuple[str, ...]
    bom: bool
    crlf: bool
    import_decls: tuple[ImportDecl, ...] = ()
    package_start: int = 0
    package_end: int = 0
    import_names: tuple[tuple[str, str], ...] = ()

    @property
    def newline(self) -> bytes:
        """The line ending this file uses."""
        return b"\r\n" if self.crlf else b"\n"

    def decl(self, key: str) -> Decl:
        """The declaration with this key; SourceError if absent."""
        for d in self.decls:
            if d.key == key:
                return d
        raise SourceError(f"{self.path}: no declaration {key!r}")

    def local_names(self) -> dict[str, list[Import]]:
        """Every local name this file may use for its imports (guessed when the package name is unknown)."""
        known = dict(self.import_names)
        out: dict[str, list[Import]] = {}
        for imp in self.imports:
            for n in import_local_candidates(imp, known.get(imp.path)):
                out.setdefault(n, []).append(imp)
        return out

    def import_paths(self, package_names: Mapping[str, str] | None = None) -> dict[str, str]:
        """Local name -> import path for this file's imports (blank and dot imports left out). An import
        whose package name is not known (package_names, else the file's own) maps under each name it
        may bind."""
        known = dict(self.import_names)
        known.update(package_names or {})
        out: dict[str, str] = {}
        for imp in self.imports:
            for name in import_local_candidates(imp, known.get(imp.path)):
                if name not in ("_", "."):
                    out.setdefault(name, imp.path)
        return out

    def selectors(self) -> frozenset[str]:
        """Names the file selects with `x.name` or declares as interface methods: the methods it may call."""
        return self._selectors

    @functools.cached_property
    def _selectors(self) -> frozenset[str]:
        return frozenset().union(*(d.selectors for d in self.decls))

    @functools.cached_property
    def words(self) -> frozenset[bytes]:
        """Every word of its text (identifiers, keywords, numbers; in comments and strings too): whether a
        name is spelled in it at all, asked of the same files for many names (guard's stubs on tailscaled)."""
        return frozenset(_WORD.findall(self.src))

    @functools.cached_property
    def unqualified_names(self) -> frozenset[str]:
        """The names its declarations use without a qualifier: their own package's, and the universe's
        (remembered: guard-with-tag asks it of a package's files for each feature)."""
        return frozenset().union(*(d.unqualified | d.universe_refs for d in self.decls))

    @functools.cached_property
    def qualified_names(self) -> Mapping[str, frozenset[str]]:
        """Per qualifier (a local import name), the names its declarations select with it (`q.Name`)."""
        out: dict[str, set[str]] = {}
        for d in self.decls:
            for r in d.refs:
                if r.qualifier is not None:
                    out.setdefault(r.qualifier, set()).add(r.name)
        return {q: frozenset(n) for q, n in out.items()}

    @functools.cached_property
    def units(self) -> tuple[Unit, ...]:
        """The file's movable units (see Unit), in source order."""
        return tuple(_units(self))

    @functools.cached_property
    def header(self) -> bytes:
        """Everything before the package clause and its doc comment (comments, build constraint)."""
        if not self.package_end:
            return b""
        return self.src[:_doc_line_start(node_at(self.src, self.package_start, self.package_end), self.src)]

    @property
    def package_line_end(self) -> int:
        """The byte after the package clause's line (0 when there is none)."""
        return _line_end(self.src, self.package_end) if self.package_end else 0

    @functools.cached_property
    def import_lines(self) -> tuple[ImportLines, ...]:
        """Every import spec with the whole lines it spans (its doc comment too, inside a group)."""
        out = []
        src = self.src
        for d in self.import_decls:
            paren = d.lparen is not None
            for sp in d.specs:
                start = _doc_line_start(node_at(src, sp.start, sp.end), src) if paren else _line_start(src, sp.start)
                out.append(ImportLines(sp.path, sp.name, start, _line_end(src, sp.end), paren))
        return tuple(out)

    @functools.cached_property
    def import_decl_lines(self) -> tuple[tuple[int, int, bool], ...]:
        """(start, end, parenthesised) whole-line ranges of the import declarations."""
        return tuple((_line_start(self.src, d.start), _line_end(self.src, d.end), d.lparen is not None)
                     for d in self.import_decls)

    def check(self) -> None:
        """Raise SourceError when the file has syntax errors (such files are never rewritten)."""
        if self.errors:
            raise SourceError(f"{self.errors[0]} (gotrim does not rewrite files with syntax errors)")


def guess_package_name(path: str) -> str:
    """The usual package name for an import path: last element, without a major-version suffix."""
    return _guess_names(path)[0]


def _guess_names(path: str) -> tuple[str, ...]:
    elems = [e for e in path.split("/") if e]
    if not elems:
        return ("",)
    last = elems[-1]
    if _VERSION_ELEM.match(last) and len(elems) > 1:
        last = elems[-2]
    last = re.sub(r"\.v[0-9]+$", "", last)
    cands = []
    for cand in (last, re.sub(r"^go-|[-.]go$", "", last)):
        ident = re.sub(r"[^0-9A-Za-z_]", "_", cand)
        if ident and ident not in cands:
            cands.append(ident)
        for piece in (cand.replace("-", "").replace(".", ""), cand.split("-")[-1], cand.split(".")[0]):
            if piece.isidentifier() and piece not in cands:
                cands.append(piece)
    return tuple(cands)


def import_local_candidates(imp: Import, pkg_name: str | None = None) -> tuple[str, ...]:
    """Local names an import may bind: the explicit name, the known package name, or guesses."""
    if imp.name is not None:
        return (imp.name,)
    if pkg_name:
        return (pkg_name,)
    return _guess_names(imp.path)


# ---------------------------------------------------------------------------------------------------------
# Analysis


class Occ(NamedTuple):
    """One reference occurrence: unit index, qualifier, name, byte offsets and flags."""

    unit: int
    qualifier: str | None
    name: str
    op_start: int  # start of the qualifier (== name_start when unqualified)
    name_start: int
    name_end: int
    key_type: str | None  # for composite-literal keys: literal type name ('' when unknown); else None
    in_receiver: bool


@dataclass
class _Unit:
    """A top-level declaration unit (a function, a method or one spec) before it becomes Decls."""

    names: list[tuple[str, int]]
    kind: str
    spec_start: int
    spec_end: int
    start: int
    end: int
    group: tuple[int, int] | None
    receiver: str | None = None
    pointer_receiver: bool = False
    recv_range: tuple[int, int] | None = None
    inherit: int | None = None
    has_value: bool = False
    value_range: tuple[int, int] | None = None
    type_kind: str = ""
    line: int = 0
    qualified: set[tuple[str, str]] = field(default_factory=set)
    universe: set[str] = field(default_factory=set)
    keys: dict[str, set[str]] = field(default_factory=dict)
    plain: set[str] = field(default_factory=set)
    selectors: set[str] = field(default_factory=set)
    literal_keys: set[str] = field(default_factory=set)


@dataclass
class Analysis:
    """Everything parse_file computes, including the occurrences edit helpers need."""

    file: GoFile
    occs: list[Occ]
    units: list[_Unit]
    idents: frozenset[str]
    bindings: dict[str, list[tuple[int, int]]]


# parse_file's recent answers: a strategy parses the same edited text again for each feature it tries
# (tailscaled: a 207 KB file with the same registration moved in, 18 times, 1 s)
_PARSED: collections.OrderedDict[tuple[str, bytes, frozenset[tuple[str, str]]], GoFile] = collections.OrderedDict()
_PARSED_BYTES = 16 << 20
_parsed_lock = threading.Lock()
_parsed_size = 0


def parse_file(path: str, src: bytes, import_names: Mapping[str, str] | None = None) -> GoFile:
    """Parse one Go file (path is repo-relative, used in messages) into a GoFile (immutable: the same
    path and text give the same object while it is among the last few parsed)."""
    global _parsed_size
    key = (path, src, frozenset((import_names or {}).items()))
    with _parsed_lock:
        hit = _PARSED.get(key)
        if hit is not None:
            _PARSED.move_to_end(key)
            return hit
    out = _Analyzer(path, src, dict(import_names or {}), want_occs=False).run().file
    with _parsed_lock:
        if key not in _PARSED:
            _PARSED[key] = out
            _parsed_size += len(src)
            while _parsed_size > _PARSED_BYTES and len(_PARSED) > 1:
                (_, old, _), _ = _PARSED.popitem(last=False)
                _parsed_size -= len(old)
    return out


@functools.lru_cache(maxsize=32)
def analyze(path: str, src: bytes, import_names: tuple[tuple[str, str], ...] = ()) -> Analysis:
    """Parse and index one file, keeping the reference occurrences (cached for edit helpers)."""
    return _Analyzer(path, src, dict(import_names)).run()


def _line_end(src: bytes, pos: int) -> int:
    """Offset just after the newline ending the line that contains pos (or len(src))."""
    i = src.find(b"\n", pos)
    return len(src) if i < 0 else i + 1


def _line_start(src: bytes, pos: int) -> int:
    return src.rfind(b"\n", 0, pos) + 1


class _Analyzer:
    def __init__(self, path: str, src: bytes, import_names: dict[str, str], want_occs: bool = True) -> None:
        self.want_occs = want_occs
        self.path = path
        self.src = src
        self.import_names = import_names
        self.units: list[_Unit] = []
        self.imports: list[Import] = []
        self.import_decls: list[ImportDecl] = []
        self.top_names: set[str] = set()

    def run(self) -> Analysis:
        _, query = _parser_and_query()
        src = self.src
        root = _keep_tree(src, parse_go(src).root_node)
        errors = _syntax_errors(self.path, root) if root.has_error else ()
        package, package_line, pkg_start, pkg_end = "", 0, 0, 0
        constraint_comments: list[Node] = []
        seen_package = False
        pending: list[Node] = []  # comments that may be the doc of the next declaration
        prev_end_row = -1
        children = root.children
        for i, node in enumerate(children):
            t = node.type
            if t == "comment":
                if not seen_package:
                    constraint_comments.append(node)
                elif node.start_point.row > prev_end_row:
                    if pending and node.start_point.row > pending[-1].end_point.row + 1:
                        pending = []
                    pending.append(node)
                continue
            if not node.is_named:
                continue
            doc = pending if pending and node.start_point.row == pending[-1].end_point.row + 1 else []
            pending = []
            start = doc[0].start_byte if doc else node.start_byte
            end = _trailing_end(children, i, node)
            prev_end_row = node.end_point.row
            if t == "package_clause":
                seen_package = True
                for c in node.named_children:
                    if c.type == "package_identifier":
                        package = _text(src, c)
                package_line = node.start_point.row + 1
                pkg_start, pkg_end = node.start_byte, node.end_byte
            elif t == "import_declaration":
                self._import_decl(node, start, end)
            elif t == "function_declaration":
                self._func(node, start, end)
            elif t == "method_declaration":
                self._method(node, start, end)
            elif t in _GROUP_KINDS:
                self._group(node, start, end)
        constraint = _constraint(src, constraint_comments)
        occs, idents, bindings = self._references(root, query, self.want_occs)
        gofile = self._build(package, package_line, pkg_start, pkg_end, constraint, errors)
        return Analysis(gofile, occs, self.units, idents, bindings)

    # -- declarations --------------------------------------------------------------------------------

    def _import_decl(self, node: Node, start: int, end: int) -> None:
        specs: list[Import] = []
        lparen = rparen = None
        for c in node.children:
            if c.type == "import_spec":
                specs.append(self._import_spec(c))
            elif c.type == "import_spec_list":
                for s in c.children:
                    if s.type == "import_spec":
                        specs.append(self._import_spec(s))
                    elif s.type == "(":
                        lparen = s.start_byte
                    elif s.type == ")":
                        rparen = s.start_byte
        self.imports.extend(specs)
        self.import_decls.append(ImportDecl(start, end, node.start_byte, lparen, rparen, tuple(specs)))

    def _import_spec(self, node: Node) -> Import:
        name_node = node.child_by_field_name("name")
        path_node = node.child_by_field_name("path")
        raw = _text(self.src, path_node) if path_node is not None else '""'
        return Import(
            path=raw[1:-1], name=_text(self.src, name_node) if name_node is not None else None,
            start=node.start_byte, end=node.end_byte, line=node.start_point.row + 1,
        )

    def _func(self, node: Node, start: int, end: int) -> None:
        name_node = node.child_by_field_name("name")
        name = _text(self.src, name_node) if name_node is not None else "_"
        kind = "init" if name == "init" else "func"
        self.top_names.add(name)
        self.units.append(
            _Unit([(name, name_node.start_byte if name_node is not None else -1)], kind, node.start_byte,
                  node.end_byte, start, end, None, line=node.start_point.row + 1)
        )

    def _method(self, node: Node, start: int, end: int) -> None:
        name_node = node.child_by_field_name("name")
        name = _text(self.src, name_node) if name_node is not None else "_"
        recv = node.child_by_field_name("receiver")
        rname, pointer = "", False
        if recv is not None:
            for p in recv.named_children:
                if p.type == "parameter_declaration":
                    typ = p.child_by_field_name("type")
                    while typ is not None and typ.type in ("pointer_type", "parenthesized_type", "generic_type"):
                        if typ.type == "pointer_type":
                            pointer = True
                        typ = typ.child_by_field_name("type") if typ.type == "generic_type" else (
                            typ.named_children[0] if typ.named_children else None
                        )
                    if typ is not None:
                        rname = _text(self.src, typ)
                    break
        self.units.append(
            _Unit([(name, name_node.start_byte if name_node is not None else -1)], "method", node.start_byte,
                  node.end_byte, start, end, None, receiver=rname,
                  pointer_receiver=pointer,
                  recv_range=(recv.start_byte, recv.end_byte) if recv is not None else None,
                  line=node.start_point.row + 1)
        )

    def _group(self, node: Node, start: int, end: int) -> None:
        container = node
        for c in node.children:
            if c.type == "var_spec_list":
                container = c
        grouped = any(c.type == "(" for c in container.children)
        group = (start, end) if grouped else None
        children = container.children
        pending: list[Node] = []
        prev_row = -1
        last_explicit: int | None = None
        for i, c in enumerate(children):
            t = c.type
            if t == "comment":
                if c.start_point.row > prev_row:
                    if pending and c.start_point.row > pending[-1].end_point.row + 1:
                        pending = []
                    pending.append(c)
                continue
            kind = _SPEC_KINDS.get(t)
            if kind is None:
                if c.is_named:
                    pending = []
                continue
            doc = pending if pending and c.start_point.row == pending[-1].end_point.row + 1 else []
            pending = []
            prev_row = c.end_point.row
            if grouped:
                s = doc[0].start_byte if doc else c.start_byte
                e = _trailing_end(children, i, c)
            else:
                s, e = start, end
            names: list[tuple[str, int]] = []
            value = c.child_by_field_name("value")
            typ = c.child_by_field_name("type")
            for j, n in enumerate(c.children):
                if c.field_name_for_child(j) == "name":
                    names.append((_text(self.src, n), n.start_byte))
            unit = _Unit(names, kind, c.start_byte, c.end_byte, s, e, group, line=c.start_point.row + 1)
            unit.has_value = value is not None
            if value is not None:
                unit.value_range = (value.start_byte, value.end_byte)
            if kind in ("type", "alias") and typ is not None:
                unit.type_kind = typ.type
            if kind == "const":
                if value is None and typ is None and last_explicit is not None:
                    unit.inherit = last_explicit
                elif value is not None:
                    last_explicit = len(self.units)
            for nm, _ in names:
                self.top_names.add(nm)
            self.units.append(unit)

    # -- references -----------------------------------------------------------------------------------

    def _references(
        self, root: Node, query: Query, want_occs: bool
    ) -> tuple[list[Occ], frozenset[str], dict[str, list[tuple[int, int]]]]:
        src = self.src
        caps = QueryCursor(query).captures(root)
        units = self.units
        starts = [u.spec_start for u in units]
        ends = [u.spec_end for u in units]

        def unit_at(pos: int) -> int:
            i = bisect.bisect_right(starts, pos) - 1
            return i if i >= 0 and pos < ends[i] else -1

        def get(name: str) -> list[Node]:
            return caps.get(name, [])

        bindings: dict[str, list[tuple[int, int]]] = {}
        local: dict[tuple[str, int], list[tuple[int, int]]] = {}  # (name, unit) -> scopes
        skip: set[int] = set()  # starts of identifiers that declare rather than use

        def bind(n: Node, s: int, e: int) -> None:
            name = src[n.start_byte:n.end_byte].decode("utf-8", "replace")
            bindings.setdefault(name, []).append((s, e))
            local.setdefault((name, unit_at(n.start_byte)), []).append((s, e))

        for n in get("skip"):
            skip.add(n.start_byte)
        scopes = _ranges(get("scope"))
        # names declared by statements/specs: scope from the statement's end (types: its start) to the end of
        # the innermost local scope around the statement; package-level specs have no local scope
        for label, from_end in (("stmt", True), ("tspec", False)):
            names = sorted(get(label + ".name"), key=lambda n: n.start_byte)
            if not names:
                continue
            stmts = _ranges(get(label))
            owner = _innermost([n.start_byte for n in names], stmts)
            scope_of = _innermost([stmts[o][0] if o >= 0 else -1 for o in owner], scopes)
            for n, o, sc in zip(names, owner, scope_of, strict=True):
                skip.add(n.start_byte)
                if o >= 0 and sc >= 0:
                    bind(n, stmts[o][1] if from_end else stmts[o][0], scopes[sc][1])
        ts_names = sorted(get("ts.name"), key=lambda n: n.start_byte)
        if ts_names:
            ts = _ranges(get("ts"))
            values = sorted(n.end_byte for n in get("ts.value"))
            for n, o in zip(ts_names, _innermost([n.start_byte for n in ts_names], ts), strict=True):
                skip.add(n.start_byte)
                if o >= 0 and len(values) == len(ts):
                    bind(n, values[o], ts[o][1])
        params = sorted(get("param.name"), key=lambda n: n.start_byte)
        if params:
            fns = _ranges(get("fn"))
            bodies = _ranges(get("fn.body"))
            for n, o in zip(params, _innermost([n.start_byte for n in params], fns), strict=True):
                skip.add(n.start_byte)
                if o >= 0 and len(bodies) == len(fns):
                    bind(n, bodies[o][0], bodies[o][1])
        for n in get("sig.name"):
            skip.add(n.start_byte)
        tps = sorted(get("tp.name"), key=lambda n: n.start_byte)
        if tps:
            owners = _ranges(get("tp.owner"))
            for n, o in zip(tps, _innermost([n.start_byte for n in tps], owners), strict=True):
                skip.add(n.start_byte)
                if o >= 0:
                    bind(n, owners[o][0], owners[o][1])
        for n in get("rtp.name"):
            skip.add(n.start_byte)
            u = unit_at(n.start_byte)
            if u >= 0:
                bind(n, units[u].spec_start, units[u].spec_end)
        sels: list[tuple[Node, Node, bool]] = []
        for label in ("sel", "qual"):
            ops = sorted(get(label + ".op"), key=lambda n: n.start_byte)
            fields = sorted(get(label + ".field"), key=lambda n: n.start_byte)
            if len(ops) != len(fields):
                fields = [_next_named(op) or op for op in ops]
            sels.extend((op, fld, label == "qual") for op, fld in zip(ops, fields, strict=True) if fld is not None)
        for n in get("selector"):
            u = unit_at(n.start_byte)
            if u >= 0:
                units[u].selectors.add(src[n.start_byte:n.end_byte].decode("utf-8", "replace"))
        keys = get("key")
        for n in keys:
            u = unit_at(n.start_byte)
            if u >= 0:
                units[u].literal_keys.add(src[n.start_byte:n.end_byte].decode("utf-8", "replace"))
        key_types = {n.start_byte: _key_type(src, n) for n in keys} if keys else {}
        calls = sorted(n.start_byte for n in get("call"))
        ids = get("id")

        known = self.import_names
        import_names: set[str] = set()
        for imp in self.imports:
            import_names.update(import_local_candidates(imp, known.get(imp.path)))
        import_names.discard("_")
        import_names.discard(".")

        def bound(name: str, pos: int, unit: int) -> bool:
            spans = local.get((name, unit))
            if not spans:
                return False
            return any(s <= pos < e for s, e in spans)

        occs: list[Occ] = []
        handled: set[int] = set()
        idents: set[str] = set()
        for op, fld, is_qual in sels:
            pos = op.start_byte
            name = src[pos:op.end_byte].decode("utf-8", "replace")
            idents.add(name)
            u = unit_at(pos)
            is_import = name in import_names and not bound(name, pos, u)
            if not is_import and not is_qual:
                continue  # an ordinary identifier operand: handled with the others
            handled.add(fld.start_byte)  # a qualified name, or a field of a local value misparsed as a type
            if u < 0:
                continue
            if not is_import:
                if not bound(name, pos, u) and name != "_":
                    if want_occs:
                        occs.append(Occ(u, None, name, pos, pos, op.end_byte, None, False))
                    units[u].plain.add(name)
                continue
            handled.add(pos)
            fname = src[fld.start_byte:fld.end_byte].decode("utf-8", "replace")
            if want_occs:
                occs.append(Occ(u, name, fname, pos, fld.start_byte, fld.end_byte, None,
                                _inside(units[u].recv_range, pos)))
            units[u].qualified.add((name, fname))
        top = self.top_names
        for n in ids:
            pos = n.start_byte
            name = src[pos:n.end_byte].decode("utf-8", "replace")
            idents.add(name)
            if pos in skip or pos in handled or name == "_":
                continue
            u = unit_at(pos)
            if u < 0 or bound(name, pos, u):
                continue
            unit = units[u]
            key_type: str | None = key_types.get(pos)
            if key_type == "struct":
                continue
            if want_occs:
                occs.append(Occ(u, None, name, pos, pos, n.end_byte, key_type, _inside(unit.recv_range, pos)))
            if name in UNIVERSE and name not in top:
                unit.universe.add(name)
                continue
            if key_type:
                unit.keys.setdefault(name, set()).add(key_type)
            else:
                unit.plain.add(name)
        for unit in units:
            if unit.kind == "var" and unit.value_range is not None:
                i = bisect.bisect_left(calls, unit.value_range[0])
                unit_calls = i < len(calls) and calls[i] < unit.value_range[1]
                unit.type_kind = "call" if unit_calls else unit.type_kind
        if want_occs:
            occs.sort(key=lambda o: o.name_start)
        return occs, frozenset(idents), bindings

    # -- result ---------------------------------------------------------------------------------------

    def _build(
        self, package: str, package_line: int, pkg_start: int, pkg_end: int,
        constraint: Constraint | None, errors: tuple[str, ...],
    ) -> GoFile:
        src = self.src
        decls: list[Decl] = []
        init_n = 0
        blank_n = 0
        for unit in self.units:
            refs = _unit_refs(unit)
            universe = set(unit.universe)
            keys = dict(unit.keys)
            if unit.inherit is not None:
                base = self.units[unit.inherit]
                refs |= _unit_refs(base)
                universe |= base.universe
            field_keys = frozenset(
                (t, n) for n, ts in keys.items() if n not in unit.plain for t in ts
            )
            side_effects = unit.kind == "init" or (unit.kind == "var" and unit.type_kind == "call")
            for name, _pos in unit.names:
                if unit.kind == "init":
                    key = f"init#{self.path}#{init_n}"
                    init_n += 1
                elif name == "_":
                    key = f"_#{self.path}#{blank_n}"
                    blank_n += 1
                elif unit.kind == "method":
                    key = f"{unit.receiver}.{name}"
                else:
                    key = name
                decls.append(
                    Decl(
                        key=key, name=name, kind=unit.kind, receiver=unit.receiver,
                        pointer_receiver=unit.pointer_receiver, start=unit.start, end=unit.end,
                        spec_start=unit.spec_start, spec_end=unit.spec_end,
                        group_start=unit.group[0] if unit.group else None,
                        group_end=unit.group[1] if unit.group else None,
                        exported=_is_exported(name), refs=frozenset(refs), file=self.path, line=unit.line,
                        universe_refs=frozenset(universe), field_keys=field_keys,
                        type_kind="" if unit.type_kind == "call" else unit.type_kind,
                        side_effects=side_effects, has_value=unit.has_value,
                        selectors=frozenset(unit.selectors), literal_keys=frozenset(unit.literal_keys),
                    )
                )
        nl = src.find(b"\n")
        return GoFile(
            path=self.path, src=src, package=package, package_line=package_line, constraint=constraint,
            imports=tuple(self.imports), decls=tuple(decls), errors=errors, bom=src.startswith(BOM),
            crlf=nl > 0 and src[nl - 1:nl] == b"\r", import_decls=tuple(self.import_decls),
            package_start=pkg_start, package_end=pkg_end,
            import_names=tuple(sorted(self.import_names.items())),
        )


def _next_named(n: Node) -> Node | None:
    nxt = n.next_named_sibling
    while nxt is not None and nxt.type == "comment":
        nxt = nxt.next_named_sibling
    return nxt


def _unit_refs(unit: _Unit) -> set[Ref]:
    refs = {Ref(q, n) for q, n in unit.qualified}
    refs.update(Ref(None, n) for n in unit.plain)
    refs.update(Ref(None, n) for n in unit.keys)
    return refs


def _inside(rng: tuple[int, int] | None, pos: int) -> bool:
    return rng is not None and rng[0] <= pos < rng[1]


def _is_exported(name: str) -> bool:
    return bool(name) and name[0].isupper()


def _text(src: bytes, node: Node) -> str:
    return src[node.start_byte:node.end_byte].decode("utf-8", "replace")


def _scope_of(node: Node) -> Node | None:
    """The nearest enclosing local scope, or None at package level."""
    p = node.parent
    while p is not None:
        t = p.type
        if t in _SCOPE_KINDS:
            return p
        if t == "source_file":
            return None
        p = p.parent
    return None


def _trailing_end(siblings: Sequence[Node], i: int, node: Node) -> int:
    """End of node, extended over comments that follow it on the same line."""
    end = node.end_byte
    row = node.end_point.row
    for s in siblings[i + 1:]:
        if s.type != "comment" or s.start_point.row != row:
            break
        end = s.end_byte
        row = s.end_point.row
    return end


def _key_type(src: bytes, ident: Node) -> str:
    """For a composite-literal key: 'struct' for struct literals, the type name for T{...}, else ''."""
    keyed = ident.parent.parent if ident.parent else None
    lit = keyed.parent if keyed is not None else None
    return _named_type(src, _literal_type(lit))


def _named_type(src: bytes, typ: Node | None) -> str:
    """'struct' for a struct type literal, the name for T or T[...], else ''."""
    if typ is None:
        return ""
    if typ.type == "struct_type":
        return "struct"
    if typ.type == "generic_type":
        typ = typ.child_by_field_name("type")
    if typ is not None and typ.type == "type_identifier":
        return _text(src, typ)
    return ""


def _literal_type(lit: Node | None, depth: int = 0) -> Node | None:
    """The type of a literal_value: its composite literal's type, or the element type when elided."""
    if lit is None or depth > 8:
        return None
    owner = lit.parent
    if owner is None:
        return None
    if owner.type == "composite_literal":
        return owner.child_by_field_name("type")
    if owner.type != "literal_element":
        return None
    holder = owner.parent
    if holder is None:
        return None
    in_key = False
    if holder.type == "keyed_element":
        in_key = holder.child_by_field_name("key") == owner
        outer_lit = holder.parent
    else:
        outer_lit = holder
    outer = _literal_type(outer_lit, depth + 1)
    if outer is None:
        return None
    if outer.type in ("slice_type", "array_type", "implicit_length_array_type"):
        elem = outer.child_by_field_name("element")
    elif outer.type == "map_type":
        elem = outer.child_by_field_name("key" if in_key else "value")
    else:
        return None
    if elem is not None and elem.type == "pointer_type" and elem.named_children:
        elem = elem.named_children[0]
    return elem


def _syntax_errors(path: str, root: Node, limit: int = 20) -> tuple[str, ...]:
    out: list[str] = []
    stack = [root]
    while stack and len(out) < limit:
        n = stack.pop()
        if n.is_error or n.is_missing:
            r, c = n.start_point
            what = "missing " + n.type if n.is_missing else "syntax error"
            out.append(f"{path}:{r + 1}:{c + 1}: {what}")
            continue
        stack.extend(reversed([c for c in n.children if c.has_error or c.is_missing]))
    return tuple(out) or (f"{path}:1:1: syntax error",)


def _constraint(src: bytes, comments: Sequence[Node]) -> Constraint | None:
    expr: str | None = None
    line_start = line_end = -1
    line = 0
    plus: list[tuple[int, int]] = []
    for c in comments:
        text = src[c.start_byte:c.end_byte]
        if _GOBUILD.match(text):
            if expr is None:
                expr = text[len(b"//go:build"):].strip().decode("utf-8", "replace")
                line_start, line_end = _line_start(src, c.start_byte), _line_end(src, c.end_byte)
                line = c.start_point.row + 1
        elif _PLUSBUILD.match(text):
            plus.append((_line_start(src, c.start_byte), _line_end(src, c.end_byte)))
    if expr is None and not plus:
        return None
    if expr is None:
        line_start = line_end = plus[0][0]
        line = src.count(b"\n", 0, plus[0][0]) + 1
    return Constraint(expr, line_start, line_end, tuple(plus), line)


# ---------------------------------------------------------------------------------------------------------
# Syntax trees and signatures (for strategies that write code from a declaration's parts)


_TREES: collections.OrderedDict[bytes, Node] = collections.OrderedDict()
# Kept up to this much source (the trees take ~5x it): one package's files, which guard-with-tag reads
# again for each feature (node_exporter's collector: 150 files, 2 MB; 128 trees made it parse 978 times)
_TREES_BYTES = 8 << 20
_TREES_LOCK = threading.Lock()
_TREES_SIZE = [0]


def syntax_tree(src: bytes) -> Node:
    """The root of src's tree-sitter syntax tree (kept for the last files asked for or parsed:
    strategies ask for several nodes of one file, often one they have just parsed)."""
    with _TREES_LOCK:
        root = _TREES.get(src)
        if root is not None:
            _TREES.move_to_end(src)
            return root
    return _keep_tree(src, parse_go(src).root_node)


def _keep_tree(src: bytes, root: Node) -> Node:
    with _TREES_LOCK:
        if src not in _TREES:
            _TREES_SIZE[0] += len(src)
        _TREES[src] = root
        _TREES.move_to_end(src)
        while _TREES_SIZE[0] > _TREES_BYTES and len(_TREES) > 1:
            _TREES_SIZE[0] -= len(_TREES.popitem(last=False)[0])
    return root


@functools.lru_cache(maxsize=64)
def identifiers(src: bytes) -> frozenset[str]:
    """Every identifier spelled in the file (bound or used, any scope): what a new import name must
    not collide with, since tree-sitter cannot tell a shadowing local from a package name."""
    names: set[str] = set()
    stack = [syntax_tree(src)]
    while stack:
        node = stack.pop()
        if node.type == "identifier":
            names.add(_text(src, node))
        elif node.child_count:
            stack.extend(node.children)
    return frozenset(names)


def decl_label(key: str) -> str:
    """A declaration as a message names it: `init()` and `var _` for the keys given to the declarations
    a package may have several of (`init#FILE#N`, `_#FILE#N`), the key (its name) otherwise."""
    name, sep, _ = key.partition("#")
    return {"init": "init()", "_": "var _"}.get(name, key) if sep else key


def node_text(src: bytes, node: Node | None) -> str:
    """The source text of node ('' for None)."""
    return "" if node is None else _text(src, node)


def node_at(src: bytes, start: int, end: int) -> Node:
    """The outermost named node spanning exactly [start, end), e.g. a Decl's spec; SourceError if none.

    Outermost, because a spec can span the same bytes as its only child (`"fmt"`, a const spec `B`).
    """
    n = _spanning(syntax_tree(src), start, end)
    if n is None:
        raise SourceError(f"cannot find the declaration at bytes {start}-{end}")
    return n


def _spanning(root: Node, start: int, end: int) -> Node | None:
    n: Node | None = root.descendant_for_byte_range(start, end)
    while n is not None and not (n.start_byte == start and n.end_byte == end and n.is_named):
        n = n.parent
    while n is not None and n.parent is not None and n.parent.is_named \
            and (n.parent.start_byte, n.parent.end_byte) == (start, end):
        n = n.parent
    return n


def decl_node(f: GoFile, d: Decl) -> Node:
    """The syntax node of a declaration's spec (function, method or one spec of a group)."""
    return node_at(f.src, d.spec_start, d.spec_end)


_PACKAGE = b"package p;"


def lone_decl_node(f: GoFile, d: Decl) -> tuple[bytes, Node]:
    """decl_node() for code that reads only inside the node, and the text its offsets index: without
    the file's tree at hand, the declaration is parsed alone (after a package clause and its keyword),
    not the whole file (a file read from the parse cache has no tree, and most of a large one is other
    declarations)."""
    return lone_node(f.src, d.spec_start, d.spec_end, d.kind)


def lone_node(src: bytes, start: int, end: int, kind: str) -> tuple[bytes, Node]:
    """lone_decl_node of the declaration of this kind at src[start:end]."""
    with _TREES_LOCK:
        kept = src in _TREES
    if not kept and kind in ("var", "func", "init", "method"):
        head = _PACKAGE + (b"var " if kind == "var" else b"")
        alone = head + src[start:end] + b"\n"
        root = parse_go(alone).root_node
        n = None if root.has_error else _spanning(root, len(head), len(alone) - 1)
        if n is not None:
            return alone, n
    return src, node_at(src, start, end)


@dataclass(frozen=True)
class Param:
    """One parameter or result of a signature: name (None when unnamed), type as written, variadic."""

    name: str | None
    type: str
    variadic: bool = False


@dataclass(frozen=True)
class Signature:
    """A func or method declaration's signature, as written in the source."""

    type_params: str  # "[T cmp.Ordered]" or ""
    type_param_names: tuple[str, ...]
    params: tuple[Param, ...]
    params_text: str  # "(a, b int)"
    params_range: tuple[int, int]
    result: str  # "int", "(n int, err error)" or ""
    results: tuple[Param, ...]
    receiver: tuple[Param, ...]
    head: str  # the declaration up to its body: "func (c *C) M(x int) error"

    def key(self) -> tuple[str, ...]:
        """A comparable form: receiver, type parameter, parameter and result types, spacing normalised."""
        return (
            "recv:" + ",".join(_param_types(self.receiver)),
            "tparams:" + " ".join(self.type_params.split()),
            "params:" + ",".join(_param_types(self.params)),
            "results:" + ",".join(_param_types(self.results)),
        )

    def result_types(self) -> list[str]:
        """One type per result (grouped names expanded), spacing normalised."""
        return _param_types(self.results)


def _param_types(params: Iterable[Param]) -> list[str]:
    return [("..." if p.variadic else "") + " ".join(p.type.split()) for p in params]


def signature(src: bytes, node: Node) -> Signature:
    """The signature of a function_declaration or method_declaration node."""
    tparams = node.child_by_field_name("type_parameters")
    tp_names: list[str] = []
    if tparams is not None:
        for decl in tparams.named_children:
            if decl.type == "type_parameter_declaration":
                tp_names.extend(_text(src, c) for c in decl.children_by_field_name("name"))
    plist = node.child_by_field_name("parameters")
    result = node.child_by_field_name("result")
    body = node.child_by_field_name("body")
    return Signature(
        type_params=node_text(src, tparams), type_param_names=tuple(tp_names), params=_params(src, plist),
        params_text=_text(src, plist) if plist is not None else "()",
        params_range=(plist.start_byte, plist.end_byte) if plist is not None else (node.end_byte, node.end_byte),
        result=node_text(src, result), results=_params(src, result),
        receiver=_params(src, node.child_by_field_name("receiver")),
        head=src[node.start_byte:(body or node).start_byte].decode("utf-8", "replace").rstrip(),
    )


def decl_signature(f: GoFile, d: Decl) -> Signature:
    """The signature of a func or method declaration."""
    return signature(f.src, decl_node(f, d))


def _params(src: bytes, plist: Node | None) -> tuple[Param, ...]:
    if plist is None:
        return ()
    if plist.type != "parameter_list":  # a single unnamed result
        return (Param(None, _text(src, plist)),)
    out: list[Param] = []
    for decl in plist.named_children:
        if decl.type not in ("parameter_declaration", "variadic_parameter_declaration"):
            continue
        typ = node_text(src, decl.child_by_field_name("type"))
        variadic = decl.type == "variadic_parameter_declaration"
        names: list[str | None] = [_text(src, c) for c in decl.children_by_field_name("name")]
        out.extend(Param(n, typ, variadic) for n in names or [None])
    return tuple(out)


def selector_operands(src: bytes, node: Node) -> set[str]:
    """Identifiers used as `x` in `x.Name` (selectors and qualified types) inside node: its possible qualifiers."""
    out: set[str] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type == "qualified_type":
            out.add(node_text(src, n.child_by_field_name("package")))
        elif n.type == "selector_expression":
            op = n.child_by_field_name("operand")
            if op is not None and op.type == "identifier":
                out.add(_text(src, op))
        stack.extend(n.children)
    return out


def struct_fields(src: bytes, spec: Node) -> frozenset[str]:
    """Field names of a type spec whose type is a struct (an embedded field counts by its type's name)."""
    typ = spec.child_by_field_name("type")
    if typ is None or typ.type != "struct_type":
        return frozenset()
    names: set[str] = set()
    for fl in typ.named_children:
        for fd in fl.named_children:
            if fd.type != "field_declaration":
                continue
            declared = fd.children_by_field_name("name")
            names.update(_text(src, nm) for nm in declared)
            if not declared:
                t = fd.child_by_field_name("type")
                if t is not None:
                    names.add(_text(src, t).lstrip("*").rsplit(".", 1)[-1])
    return frozenset(names)


# ---------------------------------------------------------------------------------------------------------
# Movable units: what code that moves declarations between files and packages works with


@dataclass(frozen=True)
class ImportLines:
    """One import spec by its whole lines: path, explicit name (or None), line range, inside a group."""

    path: str
    name: str | None
    start: int  # start of the spec's first line (its doc comment's, inside a group)
    end: int  # end of the spec's last line, newline included
    grouped: bool


@dataclass(frozen=True)
class Unit:
    """The smallest piece of top-level code that can move on its own: a func, a method, one spec of a
    type/var group, or a whole const group (moving one spec of such a group would change the others'
    values through iota or implicit repetition). Units span whole lines, doc comments included."""

    file: str  # the file's name in its package directory
    kind: str  # func | method | type | alias | var | const | init
    names: tuple[str, ...]  # names it declares (method: the method name)
    receiver: str | None  # receiver type name for methods
    start: int  # first byte of its first line (doc comment included)
    end: int  # byte after its last line's newline
    text: bytes  # a standalone top-level declaration (group keyword added for specs)
    grouped: bool  # a spec inside a parenthesised group of other specs
    refs: frozenset[tuple[str | None, str]]  # (qualifier or None, name), composite-literal keys included
    selectors: frozenset[str]  # every name selected with `.name`
    signature: Signature | None = None
    generic: bool = False
    fields: frozenset[str] = frozenset()  # struct field names of a type
    index: int = 0  # order within the file
    group: tuple[int, int] | None = None  # line range of the enclosing group declaration
    pointer: bool = False  # method with a pointer receiver

    @functools.cached_property
    def key(self) -> str:
        """Stable key: `file:Name`, `file:Recv.Name` or `file:init#n`."""
        if self.kind == "method":
            return f"{self.file}:{self.receiver}.{self.names[0]}"
        if self.kind == "init":
            return f"{self.file}:init#{self.index}"
        return f"{self.file}:{','.join(self.names)}"

    @property
    def label(self) -> str:
        """How a reader names it: `Greeting`, `(*Counter).Add`, `init (typecheck.go)`."""
        if self.kind == "method":
            return f"(*{self.receiver}).{self.names[0]}" if self.pointer else f"{self.receiver}.{self.names[0]}"
        if self.kind == "init":
            return f"init ({self.file})"
        return ", ".join(self.names)


def _doc_line_start(node: Node, src: bytes) -> int:
    """Start of the line of the doc comment directly above node (no blank line between), else of node."""
    start = node.start_byte
    prev = node.prev_sibling
    while prev is not None and prev.type == "comment" and prev.end_point[0] >= node.start_point[0] - 1:
        # the comment must end on the line just above the current start, and stand on its own line
        if src[_line_start(src, prev.start_byte):prev.start_byte].strip():
            break
        cur_row = prev.start_point[0]
        start = prev.start_byte
        node = prev
        prev = prev.prev_sibling
        if prev is not None and prev.end_point[0] < cur_row - 1:
            break
    return _line_start(src, start)


def _units(f: GoFile) -> list[Unit]:
    """Group the file's declarations (one per name) into units, in source order."""
    specs: list[list[Decl]] = []  # declarations sharing one spec (or func)
    for d in f.decls:
        if specs and specs[-1][0].spec_start == d.spec_start:
            specs[-1].append(d)
        else:
            specs.append([d])
    out: list[Unit] = []
    i = 0
    while i < len(specs):
        d = specs[i][0]
        if d.kind in ("func", "init", "method"):
            out.append(_func_unit(f, d, len(out)))
            i += 1
            continue
        group = [specs[i]]
        if d.group_start is not None:
            while i + len(group) < len(specs) and specs[i + len(group)][0].group_start == d.group_start:
                group.append(specs[i + len(group)])
        out.extend(_spec_units(f, group, len(out)))
        i += len(group)
    return out


def _unit_refs_of(decls: list[Decl], own: tuple[str, ...]) -> frozenset[tuple[str | None, str]]:
    """What the declarations name: their references, plus composite-literal keys (field names count:
    code that moves must see `T{field: x}` even where a local `field` shadows it)."""
    refs: set[tuple[str | None, str]] = {(r.qualifier, r.name) for d in decls for r in d.refs}
    refs |= {(None, n) for d in decls for n in d.universe_refs | d.literal_keys}
    return frozenset(refs - {(None, n) for n in own})


def _func_unit(f: GoFile, d: Decl, index: int) -> Unit:
    src, name = f.src, f.path.rsplit("/", 1)[-1]
    start, end = _line_start(src, d.start), _line_end(src, d.end)
    sig = decl_signature(f, d)
    sels = frozenset(d.selectors)
    if d.kind == "method":
        return Unit(name, "method", (d.name,), d.receiver, start, end, src[start:end], False,
                    _unit_refs_of([d], ()), sels, sig, index=index, pointer=d.pointer_receiver)
    return Unit(name, d.kind, (d.name,), None, start, end, src[start:end], False, _unit_refs_of([d], (d.name,)),
                sels, sig, generic=bool(sig.type_params), index=index)


def _spec_units(f: GoFile, specs: list[list[Decl]], index: int) -> list[Unit]:
    """Units of one type/var/const declaration: a unit per spec of a group, else one for the whole."""
    src, file = f.src, f.path.rsplit("/", 1)[-1]
    first = specs[0][0]
    keyword = "type" if first.kind == "alias" else first.kind
    grouped = first.group_start is not None and first.group_end is not None
    if grouped:
        assert first.group_start is not None and first.group_end is not None
        start, end = _line_start(src, first.group_start), _line_end(src, first.group_end)
    else:
        start, end = _line_start(src, first.start), _line_end(src, first.end)
    if not grouped or keyword == "const" or len(specs) == 1:
        # A const group moves as a whole: implicit repetition and iota tie its specs together, and
        # keeping it whole keeps gofmt's alignment of the group intact on both sides.
        names = tuple(d.name for spec in specs for d in spec)
        kind = "alias" if any(spec[0].kind == "alias" for spec in specs) else keyword
        types = [spec[0] for spec in specs if spec[0].kind == "type"]
        fields = struct_fields(src, decl_node(f, types[-1])) if types else frozenset()
        generic = bool(types) and decl_node(f, types[-1]).child_by_field_name("type_parameters") is not None
        decls = [d for spec in specs for d in spec]
        return [Unit(file, kind, names, None, start, end, src[start:end], False, _unit_refs_of(decls, names),
                     frozenset().union(*(d.selectors for d in decls)), generic=generic, fields=fields,
                     index=index)]
    out = []
    for i, spec in enumerate(specs):
        d = spec[0]
        s_start, s_end = _line_start(src, d.start), _line_end(src, d.end)
        code_at = _line_start(src, d.spec_start)
        # Re-indent the spec as a top-level declaration: drop one leading tab per line.
        text = _dedent(src[s_start:code_at]) + keyword.encode() + b" " + _dedent(src[code_at:s_end])
        names = tuple(x.name for x in spec)
        node = decl_node(f, d)
        out.append(Unit(file, d.kind, names, None, s_start, s_end, text, True, _unit_refs_of(spec, names),
                        frozenset(d.selectors), fields=struct_fields(src, node) if d.kind == "type" else frozenset(),
                        generic=node.child_by_field_name("type_parameters") is not None, index=index + i,
                        group=(start, end)))
    return out


def _dedent(text: bytes) -> bytes:
    return b"\n".join(ln[1:] if ln.startswith(b"\t") else ln for ln in text.split(b"\n"))


def identifier_sites(src: bytes, names: Iterable[str], ranges: Sequence[tuple[int, int]] | None = None,
                     with_fields: bool = False) -> list[tuple[int, int, str]]:
    """(start, end, name) of unqualified identifiers with one of these names (declarations included),
    inside ranges when given; field names too when with_fields. In order of position.

    The names are found in the text first; each place is then asked of the tree (a comment or a string
    holds no identifier node there), so a file is not walked node by node."""
    wanted = sorted(set(names), key=lambda n: (-len(n), n))
    out: list[tuple[int, int, str]] = []
    if not wanted:
        return out
    alternatives = b"|".join(re.escape(n.encode()) for n in wanted)
    pattern = re.compile(rb"(?<![A-Za-z0-9_])(?:" + alternatives + rb")(?![A-Za-z0-9_])")
    kinds = {"identifier", "type_identifier"} | ({"field_identifier"} if with_fields else set())
    root: Node | None = None
    for m in pattern.finditer(src):
        start, end = m.span()
        if ranges is not None and not any(a <= start < b for a, b in ranges):
            continue
        if root is None:
            root = syntax_tree(src)
        n = root.descendant_for_byte_range(start, end)
        if n is None or n.start_byte != start or n.end_byte != end or n.type not in kinds:
            continue
        parent = n.parent
        if parent is not None and parent.type == "selector_expression" and \
                parent.child_by_field_name("field") == n and not with_fields:
            continue
        if parent is not None and parent.type == "qualified_type" and parent.child_by_field_name("name") == n:
            continue
        out.append((start, end, m.group().decode()))
    return out


# ---------------------------------------------------------------------------------------------------------
# The syntax of one declaration as plain data (for code that writes declarations from another's parts)


@dataclass(frozen=True)
class Syntax:
    """A piece of a declaration: its source text and the identifiers it qualifies (`x` of `x.Name`),
    which are import names when the file imports them."""

    text: str
    qualifiers: frozenset[str]


@dataclass(frozen=True)
class StructField:
    """One field declaration of a struct type (`a, b int`, an embedded `*T`, with its tag), or one element
    of an interface type (a method `M(x T) error`, an embedded `io.Reader`)."""

    names: tuple[str, ...]  # empty for an embedded field or type
    type: Syntax
    text: str  # the whole field declaration
    qualifiers: frozenset[str]


_BASIC_LITERALS = frozenset(("interpreted_string_literal", "raw_string_literal", "int_literal", "float_literal",
                             "imaginary_literal", "true", "false", "rune_literal"))


@dataclass(frozen=True)
class DeclSyntax:
    """What a generator reads of one declaration (a func, a method, or one type/var/const spec)."""

    whole: Syntax  # the func/method declaration, or the spec
    group: Syntax | None = None  # the enclosing grouped declaration of a spec (`const ( ... )`)
    signature: Signature | None = None  # funcs and methods
    type_params: Syntax | None = None
    params: Syntax | None = None
    result: Syntax | None = None
    receiver: Syntax | None = None
    type: Syntax | None = None  # a type spec's type, or a var spec's declared type
    type_kind: str = ""  # the syntax of `type`: struct_type, interface_type, type_identifier...
    fields: tuple[StructField, ...] = ()  # a struct type's fields, in order
    elements: tuple[StructField, ...] = ()  # an interface type's methods (named) and embedded types, in order
    names: tuple[str, ...] = ()  # the names a var or const spec declares
    value: Syntax | None = None  # a var or const spec's value (its expression list)
    value_literal: Syntax | None = None  # the value when it is one basic literal (string, number, bool, rune)
    value_composite: Syntax | None = None  # the type of the value when it is one composite literal T{...}
    value_address: bool = False  # ... taken by address: &T{...}
    value_calls: bool = False  # evaluating the value calls something (calls inside func literals run later)
    value_func: Syntax | None = None  # the type of the value when it is one function literal: func(...) ...


def decl_syntax(f: GoFile, d: Decl) -> DeclSyntax:
    """The syntax of declaration d of file f as plain data; SourceError when the tree has no node for it.
    (Remembered: guard-with-tag reads the same declarations once per feature.)"""
    return _decl_syntax(f.src, d.spec_start, d.spec_end, d.kind, d.group_start is not None)


@functools.lru_cache(maxsize=4096)
def _decl_syntax(src: bytes, spec_start: int, spec_end: int, kind: str, grouped: bool) -> DeclSyntax:
    node = node_at(src, spec_start, spec_end)

    def part(n: Node | None) -> Syntax | None:
        return None if n is None else Syntax(_text(src, n), frozenset(selector_operands(src, n)))

    whole = part(node)
    assert whole is not None
    if kind in ("func", "method", "init"):
        return DeclSyntax(whole=whole, signature=signature(src, node),
                          type_params=part(node.child_by_field_name("type_parameters")),
                          params=part(node.child_by_field_name("parameters")),
                          result=part(node.child_by_field_name("result")),
                          receiver=part(node.child_by_field_name("receiver")))
    parent = node.parent
    group = part(parent) if grouped and parent is not None else None
    typ = node.child_by_field_name("type")
    fields: list[StructField] = []
    if kind in ("type", "alias") and typ is not None and typ.type == "struct_type" and typ.named_child_count:
        for fd in typ.named_children[0].named_children:
            if fd.type != "field_declaration":
                continue
            names = tuple(_text(src, c) for i, c in enumerate(fd.children) if fd.field_name_for_child(i) == "name")
            ftype = part(fd.child_by_field_name("type")) or Syntax("", frozenset())
            fields.append(StructField(names, ftype, _text(src, fd), frozenset(selector_operands(src, fd))))
    elements: list[StructField] = []
    if kind in ("type", "alias") and typ is not None and typ.type == "interface_type":
        for el in typ.named_children:
            if el.type not in ("method_elem", "type_elem"):
                continue
            whole_el = Syntax(_text(src, el), frozenset(selector_operands(src, el)))
            name = el.child_by_field_name("name") if el.type == "method_elem" else None
            elements.append(StructField((_text(src, name),) if name is not None else (), whole_el, whole_el.text,
                                        whole_el.qualifiers))
    value = node.child_by_field_name("value")
    names = tuple(_text(src, c) for i, c in enumerate(node.children) if node.field_name_for_child(i) == "name")
    lit = value.named_children[0] if value is not None and value.named_child_count == 1 else None
    inner = lit.named_children[0] if lit is not None and lit.type == "unary_expression" and \
        lit.named_child_count == 1 else lit
    composite = inner is not None and inner.type == "composite_literal"
    func_type = None
    if lit is not None and lit.type == "func_literal" and lit.child_by_field_name("parameters") is not None:
        params, result = lit.child_by_field_name("parameters"), lit.child_by_field_name("result")
        parts = [p for p in (params, result) if p is not None]
        func_type = Syntax("func" + " ".join(_text(src, p) for p in parts),
                           frozenset(q for p in parts for q in selector_operands(src, p)))
    return DeclSyntax(
        whole=whole, group=group, type_params=part(node.child_by_field_name("type_parameters")),
        type=part(typ), type_kind=typ.type if typ is not None else "", fields=tuple(fields),
        elements=tuple(elements), names=names,
        value=part(value), value_literal=part(lit) if lit is not None and lit.type in _BASIC_LITERALS else None,
        value_composite=part(inner.child_by_field_name("type")) if composite and inner is not None else None,
        value_address=composite and inner is not lit, value_calls=value is not None and _calls(value),
        value_func=func_type)


def _calls(node: Node) -> bool:
    """node calls something when it is evaluated (calls inside function literals run later)."""
    if node.type == "call_expression":
        return True
    return node.type != "func_literal" and any(_calls(c) for c in node.named_children)


# ---------------------------------------------------------------------------------------------------------
# Build expressions (a port of go/build/constraint: parse, String, PlusBuildLines)

BuildExpr = tuple[Any, ...]  # ("tag", name) | ("not", x) | ("and", x, y) | ("or", x, y)


class _ExprParser:
    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0
        self.tok = ""
        self.is_tag = False

    def lex(self) -> None:
        s = self.s
        self.is_tag = False
        while self.i < len(s) and s[self.i] in " \t":
            self.i += 1
        if self.i >= len(s):
            self.tok = ""
            return
        ch = s[self.i]
        if ch in "()!":
            self.tok = ch
            self.i += 1
            return
        if ch in "&|":
            if s[self.i:self.i + 2] != ch * 2:
                raise SourceError(f"invalid build expression {s!r}: invalid syntax at {ch}")
            self.tok = ch * 2
            self.i += 2
            return
        j = self.i
        while j < len(s) and (s[j].isalnum() or s[j] in "_."):
            j += 1
        if j == self.i:
            raise SourceError(f"invalid build expression {s!r}: invalid syntax at {ch}")
        self.tok = s[self.i:j]
        self.i = j
        self.is_tag = True

    def or_(self) -> BuildExpr:
        x = self.and_()
        while self.tok == "||":
            x = ("or", x, self.and_())
        return x

    def and_(self) -> BuildExpr:
        x = self.not_()
        while self.tok == "&&":
            x = ("and", x, self.not_())
        return x

    def not_(self) -> BuildExpr:
        self.lex()
        if self.tok == "!":
            self.lex()
            if self.tok == "!":
                raise SourceError(f"invalid build expression {self.s!r}: double negation not allowed")
            return ("not", self.atom())
        return self.atom()

    def atom(self) -> BuildExpr:
        if self.tok == "(":
            x = self.or_()
            if self.tok != ")":
                raise SourceError(f"invalid build expression {self.s!r}: missing close paren")
            self.lex()
            return x
        if not self.is_tag:
            raise SourceError(f"invalid build expression {self.s!r}: unexpected token {self.tok!r}")
        tok = self.tok
        self.lex()
        return ("tag", tok)


@functools.lru_cache(maxsize=4096)
def parse_build_expr(text: str) -> BuildExpr:
    """Parse a `//go:build` expression (without the prefix); SourceError when invalid. (Remembered: the
    guard strategies ask for every file of a package once per feature.)"""
    p = _ExprParser(text)
    x = p.or_()
    if p.tok != "":
        raise SourceError(f"invalid build expression {text!r}: unexpected token {p.tok!r}")
    return x


def parse_plus_build(line: str) -> BuildExpr:
    """Parse one legacy `// +build` line (with its prefix)."""
    text = line.strip()
    text = text[2:].strip()[len("+build"):] if text.startswith("//") else text
    x: BuildExpr | None = None
    for clause in text.split():
        y: BuildExpr | None = None
        for lit in clause.split(","):
            z: BuildExpr
            if lit.startswith("!!") or lit == "!":
                z = ("tag", "ignore")
            else:
                neg = lit.startswith("!")
                lit = lit[1:] if neg else lit
                z = ("tag", lit if lit and all(c.isalnum() or c in "_." for c in lit) else "ignore")
                if neg:
                    z = ("not", z)
            y = z if y is None else ("and", y, z)
        if y is not None:
            x = y if x is None else ("or", x, y)
    return x if x is not None else ("tag", "ignore")


def format_build_expr(x: BuildExpr) -> str:
    """Print an expression exactly as go/build/constraint's Expr.String (what gofmt writes)."""
    op = x[0]
    if op == "tag":
        return str(x[1])
    if op == "not":
        inner = x[1]
        assert isinstance(inner, tuple)
        s = format_build_expr(inner)
        return "!(" + s + ")" if inner[0] in ("and", "or") else "!" + s
    a, b = x[1], x[2]
    assert isinstance(a, tuple) and isinstance(b, tuple)
    wrap = "or" if op == "and" else "and"
    sa, sb = format_build_expr(a), format_build_expr(b)
    sa = f"({sa})" if a[0] == wrap else sa
    sb = f"({sb})" if b[0] == wrap else sb
    return f"{sa} {'&&' if op == 'and' else '||'} {sb}"


def eval_build_expr(x: BuildExpr, tags: Iterable[str] | Mapping[str, bool] | Callable[[str], bool]) -> bool:
    """Evaluate an expression with the given set of satisfied tags (or a function that says whether a
    tag is satisfied)."""
    if callable(tags):
        match = tags
    else:
        have = set(tags)
        match = have.__contains__

    def ev(e: BuildExpr) -> bool:
        if e[0] == "tag":
            return match(str(e[1]))
        if e[0] == "not":
            assert isinstance(e[1], tuple)
            return not ev(e[1])
        assert isinstance(e[1], tuple) and isinstance(e[2], tuple)
        return ev(e[1]) and ev(e[2]) if e[0] == "and" else ev(e[1]) or ev(e[2])

    return ev(x)


def _push_not(x: BuildExpr, neg: bool) -> BuildExpr:
    op = x[0]
    if op == "not":
        inner = x[1]
        assert isinstance(inner, tuple)
        if inner[0] == "tag" and not neg:
            return x
        return _push_not(inner, not neg)
    if op == "tag":
        return ("not", x) if neg else x
    a, b = x[1], x[2]
    assert isinstance(a, tuple) and isinstance(b, tuple)
    a1, b1 = _push_not(a, neg), _push_not(b, neg)
    if neg:
        return ("or" if op == "and" else "and", a1, b1)
    return (op, a1, b1)


def _split(x: BuildExpr, op: str) -> Iterator[BuildExpr]:
    if x[0] == op:
        a, b = x[1], x[2]
        assert isinstance(a, tuple) and isinstance(b, tuple)
        yield from _split(a, op)
        yield from _split(b, op)
    else:
        yield x


def plus_build_lines(x: BuildExpr) -> list[str] | None:
    """The `// +build` lines gofmt derives from an expression, or None when too complex."""
    x = _push_not(x, False)
    split: list[list[list[BuildExpr]]] = []
    for or_ in _split(x, "and"):
        ands: list[list[BuildExpr]] = []
        for and_ in _split(or_, "or"):
            lits = list(_split(and_, "and"))
            if any(lit[0] not in ("tag", "not") for lit in lits):
                return None
            ands.append(lits)
        split.append(ands)
    if max(len(o) for o in split) == 1:
        split = [[[lit for o in split for lit in o[0]]]]
    return ["// +build " + " ".join(",".join(format_build_expr(lit) for lit in and_) for and_ in or_)
            for or_ in split]


# ---------------------------------------------------------------------------------------------------------
# Package view


class SourcePackage:
    """The parsed files of one package for one build configuration, with same-package reference edges
    (the source view; graph.Package is go list's view of a package)."""

    def __init__(
        self, import_path: str, name: str, files: Sequence[GoFile],
        import_names: Mapping[str, str] | None = None,
    ) -> None:
        self.import_path = import_path
        self.name = name
        self.files = tuple(files)
        self.import_names = dict(import_names or {})
        self.decls: dict[str, Decl] = {}
        self.duplicates: list[Decl] = []
        self._by_name: dict[str, list[Decl]] = {}
        self._top: dict[str, list[str]] = {}
        self._methods: dict[str, list[Decl]] = {}
        self._file_of: dict[str, GoFile] = {f.path: f for f in self.files}
        for f in self.files:
            for d in f.decls:
                if d.key in self.decls:
                    self.duplicates.append(d)
                    continue
                self.decls[d.key] = d
                self._by_name.setdefault(d.name, []).append(d)
                if d.kind == "method":
                    self._methods.setdefault(d.receiver or "", []).append(d)
                elif d.kind != "init" and d.name != "_":
                    self._top.setdefault(d.name, []).append(d.key)

    @classmethod
    def from_files(
        cls, import_path: str, name: str, files: Sequence[GoFile],
        import_names: Mapping[str, str] | None = None,
    ) -> SourcePackage:
        """Build the view; import_names maps import paths to package names (guessed when absent)."""
        return cls(import_path, name, files, import_names)

    def by_name(self, name: str) -> list[Decl]:
        """Every declaration with this name (functions, types, values and methods)."""
        return list(self._by_name.get(name, []))

    def methods_of(self, type_name: str) -> list[Decl]:
        """The methods declared on a type of this package."""
        return list(self._methods.get(type_name, []))

    def file_of(self, decl: Decl) -> GoFile:
        """The file that declares decl."""
        return self._file_of[decl.file]

    def _is_struct(self, type_name: str) -> bool:
        keys = self._top.get(type_name, [])
        return bool(keys) and all(self.decls[k].type_kind == "struct_type" for k in keys)

    def references(self, key: str) -> set[str]:
        """Keys of the same-package declarations that decl `key` references (methods not included)."""
        d = self.decls[key]
        out: set[str] = set()
        fields: dict[str, list[str]] = {}
        for t, n in d.field_keys:
            fields.setdefault(n, []).append(t)
        for ref in d.refs:
            if ref.qualifier is not None:
                continue
            targets = self._top.get(ref.name)
            if not targets:
                continue
            types = fields.get(ref.name)
            if types and all(self._is_struct(t) for t in types):
                continue
            out.update(targets)
        for n in d.universe_refs:
            out.update(self._top.get(n, []))
        if d.kind == "method" and d.receiver:
            out.update(self._top.get(d.receiver, []))
        out.discard(key)
        return out

    def closure(self, keys: Iterable[str], *, with_methods: bool = True) -> set[str]:
        """Every same-package declaration the given ones need, transitively."""
        seen: set[str] = set()
        todo = [k for k in keys if k in self.decls]
        while todo:
            k = todo.pop()
            if k in seen:
                continue
            seen.add(k)
            d = self.decls[k]
            nxt = self.references(k)
            if with_methods and d.kind in ("type", "alias"):
                nxt.update(m.key for m in self._methods.get(d.name, []))
            todo.extend(n for n in nxt if n not in seen)
        return seen

    def local_name_map(self, f: GoFile) -> dict[str, str]:
        """Local name -> import path for one file of the package."""
        out: dict[str, str] = {}
        known = dict(f.import_names)
        known.update(self.import_names)
        for imp in f.imports:
            for n in import_local_candidates(imp, known.get(imp.path)):
                out.setdefault(n, imp.path)
        return out

    def qualified_refs(self, keys: Iterable[str]) -> set[tuple[str, str]]:
        """(import path, name) pairs that the given declarations reference in other packages."""
        out: set[tuple[str, str]] = set()
        maps: dict[str, dict[str, str]] = {}
        for k in keys:
            d = self.decls.get(k)
            if d is None:
                continue
            m = maps.get(d.file)
            if m is None:
                m = maps[d.file] = self.local_name_map(self._file_of[d.file])
            for ref in d.refs:
                if ref.qualifier is not None and ref.qualifier in m:
                    out.add((m[ref.qualifier], ref.name))
        return out

    def files_importing(self, import_path: str) -> list[GoFile]:
        """Files of the package that import import_path."""
        return [f for f in self.files if any(i.path == import_path for i in f.imports)]

    def exported_api(self) -> list[Decl]:
        """Exported declarations, including exported methods of exported types."""
        out = []
        for d in self.decls.values():
            if not d.exported:
                continue
            if d.kind == "method" and not _is_exported(d.receiver or ""):
                continue
            out.append(d)
        return out

    def init_decls(self) -> list[Decl]:
        """The package's init functions."""
        return [d for d in self.decls.values() if d.kind == "init"]

    def side_effect_decls(self) -> list[Decl]:
        """init functions and package-level vars whose initializers call functions."""
        return [d for d in self.decls.values() if d.side_effects]


@dataclass(frozen=True)
class AfterCall:
    """What a function loses when a call it makes cannot return (refs_after_calls)."""

    refs: frozenset[Ref]  # the names it references only after such a call
    never_returns: bool  # such a call is a statement of its body, reached on every path, and the
    # function is small enough that Go's inliner likely copies it into its callers (so they lose what
    # follows their call of it too)


def refs_after_calls(f: GoFile, calls: Mapping[str | None, Collection[str]],
                     methods: Mapping[str, Collection[str]] | None = None) -> dict[Decl, AfterCall]:
    """For each function or method of f that calls one of calls (qualifier -> names: None for the
    package's own functions, an import's local name for another package's) or, for the declarations
    keyed in methods, one of their methods (called as `x.M(...)` on a value): what it loses when
    those calls cannot return (a guard's stub that panics): the compiler drops the statements that
    follow such a call in its block.

    A call counts where it always runs once its statement does: not behind `&&` or `||`, not the call
    of a `go` or `defer` statement (inside a function literal, what follows it in the literal). Names
    are identifiers, qualified names (`q.Name`, q an import of f), and names selected on values
    (`x.M`: a method or a field of a type not known here) as Ref("", "M")."""
    out: dict[Decl, AfterCall] = {}
    # calls as text first (`Name(`, `q.Name(`, `.M(`), of the names the file spells at all: most files
    # and functions have none
    words = f.words
    common = {q: {n for n in ns if n.encode() in words} for q, ns in calls.items()
              if q != "" and (q is None or q.encode() in words)}
    common = {q: ns for q, ns in common.items() if ns}
    by_decl = {k: {n for n in ns if n.encode() in words} for k, ns in (methods or {}).items()}
    by_decl = {k: ns for k, ns in by_decl.items() if ns}
    if not common and not by_decl:
        return out
    # where the calls are, found once in the whole file (a search per declaration scanned it again for
    # each: tailscaled's ipnlocal/local.go, 200 KB, for each stub's callers), with a pattern whose every
    # branch starts with a letter of a name (one that starts with an assertion is tried at every byte:
    # nats-server's 13 MB server package, 8 s); what precedes a match is checked after
    parts = [rf"(?P<own>{_alt(common[None])})"] if None in common else []
    qualified = [rf"{re.escape(q)}\s*\.\s*{_alt(ns)}" for q, ns in common.items() if q is not None]
    if qualified:
        parts.append(f"(?:{'|'.join(qualified)})")
    found = re.compile(f"(?:{'|'.join(parts)})\\s*[(\\[]".encode()) if parts else None  # (`F[T](...)` too)
    method_calls = {k: re.compile(rf"\.\s*{_alt(ns)}\s*\(".encode()) for k, ns in by_decl.items()}
    hits = _call_sites(f.src, found, None in common) if found is not None else []
    if not hits and not any(m.search(f.src) for m in method_calls.values()):
        return out
    imports: set[str] | None = None
    for d in f.decls:
        if d.kind not in ("func", "method"):
            continue
        wanted = {**common, "": by_decl[d.key]} if d.key in by_decl else common
        m = method_calls.get(d.key)
        here = hits[bisect.bisect_left(hits, d.start):bisect.bisect_left(hits, d.end)]
        if not here and (m is None or not m.search(f.src, d.start, d.end)):
            continue
        if imports is None:
            imports = set(f.import_paths())
        try:
            node = node_at(f.src, d.spec_start, d.spec_end)
        except SourceError:
            continue
        body = node.child_by_field_name("body")
        dead: list[Node] = []
        never = False
        for call in _calls_at(node, (*here, *(mt.start() for mt in (m.finditer(f.src, d.start, d.end) if m else ())))):
            if _names_call(f.src, call.child_by_field_name("function"), wanted) and _always_runs(call, node):
                dead += _following(call)
                never = never or (body is not None and _on_every_path(call, body))
        if not dead and not never:
            continue
        spans = sorted({(n.start_byte, n.end_byte) for n in dead})
        after = set().union(*(_names_in(f.src, n, imports) for n in dead)) if dead else set()
        out[d] = AfterCall(frozenset(after - _still_named(f.src, node, spans, after)),
                           never and body is not None and _inlinable(body))
    return out


def _calls_at(top: Node, positions: Iterable[int]) -> Iterator[Node]:
    """The call expressions inside top whose callee text starts near each position (a regex match of
    `Name(`, `q.Name(` or `.M(`), each once."""
    seen: set[int] = set()
    for pos in positions:
        n = top.descendant_for_byte_range(pos, pos + 1)
        while n is not None and n.type != "call_expression" and n != top:
            n = n.parent
        if n is not None and n.type == "call_expression" and n.start_byte not in seen:
            seen.add(n.start_byte)
            yield n


def _still_named(src: bytes, node: Node, dead: Sequence[tuple[int, int]], names: Collection[Ref]) -> set[Ref]:
    """Those of names that the text of node outside the dead spans still mentions (comments and strings
    count: a name kept for them is only an estimate left a little low)."""
    if not names:
        return set()
    parts, at = [], node.start_byte
    for s, e in dead:
        if s >= at:
            parts.append(src[at:s])
            at = e
    parts.append(src[at:node.end_byte])
    live = b" ".join(parts)
    words = set(re.findall(rb"[A-Za-z_][A-Za-z0-9_]*", live))
    return {r for r in names if r.name.encode() in words and (not r.qualifier or r.qualifier.encode() in words)}


def _call_sites(src: bytes, pattern: re.Pattern[bytes], own: bool) -> list[int]:
    """Where pattern matches, but not inside another name (nor after a dot, for a name of the file's own
    package: group "own" when own)."""
    out: list[int] = []
    for mt in pattern.finditer(src):
        at = mt.start()
        if at and (src[at - 1] in _NAME_BYTES or (own and src[at - 1] == 0x2E and mt.group("own") is not None)):
            continue
        out.append(at)
    return out


_NAME_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def _alt(names: Collection[str]) -> str:
    return "(?:" + "|".join(re.escape(n) for n in sorted(names)) + r")\b"


def _statement_of(call: Node) -> Node:
    """The statement of a block that holds call."""
    n = call
    while n.parent is not None and n.parent.type not in ("block", "statement_list"):
        n = n.parent
    return n


def _on_every_path(call: Node, body: Node) -> bool:
    """The statement holding call is a statement of body itself, and no statement before it can
    leave the function (a return, a goto, a panic of its own is fine: it does not return either)."""
    n = _statement_of(call)
    block = n.parent
    if block is None or (block != body and block.parent != body):
        return False
    s = n.prev_named_sibling
    while s is not None:
        if _contains(s, ("return_statement", "goto_statement")):
            return False
        s = s.prev_named_sibling
    return True


def _inlinable(body: Node, budget: int = 60) -> bool:
    """A rough stand-in for Go's inliner (cost 80): a small body without loops, closures, defer, go or
    select."""
    count = 0
    stack = [body]
    while stack:
        n = stack.pop()
        if n.type in ("for_statement", "func_literal", "defer_statement", "go_statement", "select_statement"):
            return False
        count += 1
        if count > budget:
            return False
        stack.extend(n.named_children)
    return True


def _contains(node: Node, types: Collection[str]) -> bool:
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type in types:
            return True
        if n.type != "func_literal":
            stack.extend(n.named_children)
    return False


def _names_call(src: bytes, fn: Node | None, wanted: Mapping[str | None, set[str]]) -> bool:
    if fn is None:
        return False
    if fn.type == "identifier":
        return _text(src, fn) in wanted.get(None, ())
    if fn.type == "selector_expression":
        op, field = fn.child_by_field_name("operand"), fn.child_by_field_name("field")
        if op is None or field is None:
            return False
        name = _text(src, field)
        if op.type == "identifier" and _text(src, op) in wanted:
            return name in wanted[_text(src, op)]
        return name in wanted.get("", ())  # a method called on a value
    return False


def _always_runs(call: Node, top: Node) -> bool:
    """The call runs whenever its statement does (see refs_after_calls)."""
    n = call.parent
    while n is not None and n != top:
        if n.type in ("go_statement", "defer_statement"):
            return False
        if n.type == "binary_expression" and any(c.type in ("&&", "||") for c in n.children):
            return False
        if n.type in ("block", "statement_list"):
            return True
        n = n.parent
    return False


def _following(call: Node) -> list[Node]:
    """The statements after the one holding call, in its block."""
    out = []
    s = _statement_of(call).next_named_sibling
    while s is not None:
        out.append(s)
        s = s.next_named_sibling
    return out


def _names_in(src: bytes, node: Node, imports: Collection[str]) -> set[Ref]:
    """Identifiers, qualified names (q.Name, q an import) and names selected on values inside node."""
    out: set[Ref] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type in ("selector_expression", "qualified_type"):
            op = n.child_by_field_name("operand") or n.child_by_field_name("package")
            name = n.child_by_field_name("field") or n.child_by_field_name("name")
            if op is not None and name is not None and op.type in ("identifier", "package_identifier") \
                    and _text(src, op) in imports:
                out.add(Ref(_text(src, op), _text(src, name)))
                continue
            if n.type == "selector_expression" and name is not None:
                out.add(Ref("", _text(src, name)))
        if n.type in ("identifier", "type_identifier"):
            out.add(Ref(None, _text(src, n)))
        stack.extend(n.named_children)
    return out
