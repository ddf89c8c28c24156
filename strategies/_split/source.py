"""A tree-sitter view of one Go file as split-package needs it: units, imports, refs, signatures.

A *unit* is the smallest piece of top-level code that can move on its own: a func, a method,
one spec of a type/var group, or a whole const group when it uses iota or implicit repetition
(moving one spec of such a group would change the others' values).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import tree_sitter_go as tsgo
from tree_sitter import Language, Node, Parser

Ref = tuple[str | None, str]  # (qualifier or None, name)


@cache
def _parser() -> Parser:
    return Parser(Language(tsgo.language()))


@dataclass(frozen=True)
class Import:
    """One import spec: path, explicit name (or None), and its line range in the file."""

    path: str
    name: str | None
    start: int  # start of the spec's first line
    end: int  # end of the spec's last line, newline included
    grouped: bool


@dataclass(frozen=True)
class Param:
    """One parameter of a signature: name (None when unnamed), type text, variadic."""

    name: str | None
    type: str
    variadic: bool


@dataclass(frozen=True)
class Signature:
    """The parts of a func declaration that a forwarding wrapper copies."""

    type_params: str  # "[T cmp.Ordered]" or ""
    type_param_names: tuple[str, ...]
    params: tuple[Param, ...]
    result: str  # "int", "(int, error)" or ""
    params_text: str = "()"


@dataclass(frozen=True)
class Unit:
    """A movable top-level declaration (or const group) of a file."""

    file: str  # file name inside the package directory
    kind: str  # func | method | type | alias | var | const | init
    names: tuple[str, ...]  # names it declares (method: the method name)
    receiver: str | None  # receiver type name for methods
    start: int  # first byte of its first line (doc comment included)
    end: int  # byte after its last line's newline
    text: bytes  # a standalone top-level declaration (group keyword added for specs)
    grouped: bool  # a spec inside a parenthesised group of other specs
    refs: frozenset[Ref]
    selectors: frozenset[str]  # every name selected with `.name`
    signature: Signature | None = None
    generic: bool = False
    fields: frozenset[str] = frozenset()  # struct field names of a type
    index: int = 0  # order within the file
    group: tuple[int, int] | None = None  # line range of the enclosing group declaration
    pointer: bool = False  # method with a pointer receiver

    @property
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


@dataclass(frozen=True)
class Source:
    """One parsed Go file."""

    file: str
    src: bytes
    package: str
    package_end: int  # byte after the package clause's line
    header: bytes  # everything before the package clause (comments, build constraint)
    constraint: str | None  # the //go:build expression
    imports: tuple[Import, ...]
    import_decls: tuple[tuple[int, int, bool], ...]  # (start, end, parenthesised) line ranges
    units: tuple[Unit, ...]

    def local_names(self, package_names: dict[str, str]) -> dict[str, str]:
        """Local name -> import path for this file's imports (blank and dot imports left out)."""
        out: dict[str, str] = {}
        for imp in self.imports:
            name = imp.name or package_names.get(imp.path) or guess_name(imp.path)
            if name not in ("_", "."):
                out[name] = imp.path
        return out


def guess_name(path: str) -> str:
    """The usual package name of an import path when go list did not say (last element, no vN)."""
    parts = path.split("/")
    last = parts[-1]
    if re.fullmatch(r"v\d+", last) and len(parts) > 1:
        last = parts[-2]
    last = last.removeprefix("go-").removesuffix(".go")
    if last.startswith("gopkg.in") or "." in last:
        last = last.split(".")[0]
    return re.sub(r"[^A-Za-z0-9_]", "_", last)


def _line_start(src: bytes, pos: int) -> int:
    return src.rfind(b"\n", 0, pos) + 1


def _line_end(src: bytes, pos: int) -> int:
    """Byte after the newline that ends the line containing pos - 1."""
    nl = src.find(b"\n", pos)
    return len(src) if nl < 0 else nl + 1


def _doc_start(node: Node, src: bytes) -> int:
    """Start of the doc comment directly above node (no blank line between), else node start."""
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


def _refs(node: Node) -> tuple[set[Ref], set[str]]:
    refs: set[Ref] = set()
    selectors: set[str] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        t = n.type
        if t in ("identifier", "type_identifier"):
            refs.add((None, _text(n)))
        elif t == "selector_expression":
            operand = n.child_by_field_name("operand")
            field = n.child_by_field_name("field")
            if field is not None:
                selectors.add(_text(field))
                if operand is not None and operand.type == "identifier":
                    refs.add((_text(operand), _text(field)))
        elif t == "qualified_type":
            pkg = n.child_by_field_name("package")
            name = n.child_by_field_name("name")
            if pkg is not None and name is not None:
                refs.add((_text(pkg), _text(name)))
                refs.add((None, _text(pkg)))
            continue
        elif t == "field_identifier" and n.parent is not None and n.parent.type == "method_elem":
            selectors.add(_text(n))
        stack.extend(n.children)
    return refs, selectors


def _text(n: Node) -> str:
    return (n.text or b"").decode("utf-8", "replace")


def _signature(fn: Node, src: bytes) -> Signature:
    tparams = fn.child_by_field_name("type_parameters")
    tp_text = _text(tparams) if tparams is not None else ""
    tp_names: list[str] = []
    if tparams is not None:
        for decl in tparams.named_children:
            if decl.type == "type_parameter_declaration":
                tp_names.extend(_text(c) for c in decl.children_by_field_name("name"))
    params: list[Param] = []
    plist = fn.child_by_field_name("parameters")
    if plist is not None:
        for decl in plist.named_children:
            if decl.type not in ("parameter_declaration", "variadic_parameter_declaration"):
                continue
            typ = decl.child_by_field_name("type")
            type_text = _text(typ) if typ is not None else ""
            names = [_text(c) for c in decl.children_by_field_name("name")]
            variadic = decl.type == "variadic_parameter_declaration"
            if not names:
                params.append(Param(None, type_text, variadic))
            for nm in names:
                params.append(Param(nm, type_text, variadic))
    result = fn.child_by_field_name("result")
    return Signature(tp_text, tuple(tp_names), tuple(params), _text(result) if result is not None else "",
                     _text(plist) if plist is not None else "()")


def _receiver_type(recv: Node) -> tuple[str, bool]:
    for decl in recv.named_children:
        if decl.type != "parameter_declaration":
            continue
        typ = decl.child_by_field_name("type")
        pointer = False
        while typ is not None and typ.type in ("pointer_type", "parenthesized_type"):
            pointer = pointer or typ.type == "pointer_type"
            typ = typ.named_children[0] if typ.named_children else None
        if typ is not None and typ.type == "generic_type":
            typ = typ.child_by_field_name("type")
        if typ is not None:
            return _text(typ), pointer
    return "", False


def _struct_fields(spec: Node) -> frozenset[str]:
    typ = spec.child_by_field_name("type")
    if typ is None or typ.type != "struct_type":
        return frozenset()
    names: set[str] = set()
    for fl in typ.named_children:
        for fd in fl.named_children:
            if fd.type != "field_declaration":
                continue
            for nm in fd.children_by_field_name("name"):
                names.add(_text(nm))
            if not fd.children_by_field_name("name"):  # embedded field: its type name
                t = fd.child_by_field_name("type")
                if t is not None:
                    names.add(_text(t).lstrip("*").rsplit(".", 1)[-1])
    return frozenset(names)


CONSTRAINT = re.compile(rb"^//go:build[ \t](.*?)\r?$", re.M)


def parse(file: str, src: bytes) -> Source:
    """Parse one Go file into units and imports."""
    tree = _parser().parse(src)
    root = tree.root_node
    package = ""
    package_end = 0
    header = b""
    imports: list[Import] = []
    import_decls: list[tuple[int, int, bool]] = []
    units: list[Unit] = []
    for node in root.named_children:
        t = node.type
        if t == "package_clause":
            ident = node.named_children[-1] if node.named_children else None
            package = _text(ident) if ident is not None else ""
            package_end = _line_end(src, node.end_byte)
            header = src[:_doc_start(node, src)]
        elif t == "import_declaration":
            specs: list[Node] = []
            paren = False
            for c in node.named_children:
                if c.type == "import_spec":
                    specs.append(c)
                elif c.type == "import_spec_list":
                    paren = True
                    specs.extend(s for s in c.named_children if s.type == "import_spec")
            import_decls.append((_doc_start(node, src), _line_end(src, node.end_byte), paren))
            for s in specs:
                path_node = s.child_by_field_name("path")
                name_node = s.child_by_field_name("name")
                path = _text(path_node).strip('"`') if path_node is not None else ""
                imports.append(Import(path, _text(name_node) if name_node is not None else None,
                                      _doc_start(s, src) if paren else _line_start(src, s.start_byte),
                                      _line_end(src, s.end_byte), paren))
        elif t in ("function_declaration", "method_declaration"):
            units.append(_func_unit(file, node, src, len(units)))
        elif t in ("type_declaration", "var_declaration", "const_declaration"):
            units.extend(_spec_units(file, node, src, len(units)))
    m = CONSTRAINT.search(header)
    constraint = m.group(1).decode().strip() if m else None
    return Source(file, src, package, package_end, header, constraint, tuple(imports), tuple(import_decls),
                  tuple(units))


def _func_unit(file: str, node: Node, src: bytes, index: int) -> Unit:
    start = _doc_start(node, src)
    end = _line_end(src, node.end_byte)
    refs, sels = _refs(node)
    name_node = node.child_by_field_name("name")
    name = _text(name_node) if name_node is not None else ""
    sig = _signature(node, src)
    if node.type == "method_declaration":
        recv = node.child_by_field_name("receiver")
        rtype, pointer = _receiver_type(recv) if recv is not None else ("", False)
        return Unit(file, "method", (name,), rtype, start, end, src[start:end], False, frozenset(refs),
                    frozenset(sels), sig, index=index, pointer=pointer)
    kind = "init" if name == "init" else "func"
    refs.discard((None, name))
    return Unit(file, kind, (name,), None, start, end, src[start:end], False, frozenset(refs),
                frozenset(sels), sig, generic=bool(sig.type_params), index=index)


def _spec_units(file: str, node: Node, src: bytes, index: int) -> list[Unit]:
    keyword = {"type_declaration": "type", "var_declaration": "var", "const_declaration": "const"}[node.type]
    specs: list[Node] = []
    grouped = False
    for c in node.children:
        if c.type in ("type_spec", "type_alias", "var_spec", "const_spec"):
            specs.append(c)
        elif c.type in ("var_spec_list",):
            grouped = True
            specs.extend(s for s in c.named_children if s.type == "var_spec")
        elif c.type == "(":
            grouped = True
    start = _doc_start(node, src)
    end = _line_end(src, node.end_byte)
    # A const group moves as a whole: implicit repetition and iota tie its specs together, and
    # keeping it whole keeps gofmt's alignment of the group intact on both sides.
    whole = keyword == "const" and grouped
    if not grouped or whole or len(specs) == 1:
        names: list[str] = []
        refs: set[Ref] = set()
        sels: set[str] = set()
        fields: frozenset[str] = frozenset()
        generic = False
        kind = keyword
        for s in specs:
            names.extend(_spec_names(s))
            r, se = _refs(s)
            refs |= r
            sels |= se
            if s.type == "type_alias":
                kind = "alias"
            if s.type == "type_spec":
                fields = _struct_fields(s)
                generic = s.child_by_field_name("type_parameters") is not None
        refs -= {(None, n) for n in names}
        return [Unit(file, kind, tuple(names), None, start, end, src[start:end], False, frozenset(refs),
                     frozenset(sels), generic=generic, fields=fields, index=index)]
    out = []
    for i, s in enumerate(specs):
        s_start = _doc_start(s, src)
        s_end = _line_end(src, s.end_byte)
        code_at = _line_start(src, s.start_byte)
        # Re-indent the spec as a top-level declaration: drop one leading tab per line.
        doc, code = _dedent(src[s_start:code_at]), _dedent(src[code_at:s_end])
        text = doc + keyword.encode() + b" " + code
        refs, sels = _refs(s)
        names = _spec_names(s)
        refs -= {(None, n) for n in names}
        kind = "alias" if s.type == "type_alias" else keyword
        out.append(Unit(file, kind, tuple(names), None, s_start, s_end, text, True, frozenset(refs),
                        frozenset(sels), fields=_struct_fields(s) if s.type == "type_spec" else frozenset(),
                        generic=s.child_by_field_name("type_parameters") is not None, index=index + i,
                        group=(start, end)))
    return out


def _dedent(text: bytes) -> bytes:
    return b"\n".join(ln[1:] if ln.startswith(b"\t") else ln for ln in text.split(b"\n"))


def _spec_names(spec: Node) -> list[str]:
    return [_text(n) for n in spec.children_by_field_name("name")]
