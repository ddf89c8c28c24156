"""Split-package's view of one Go file: movable units, built on the shared gosource model.

A *unit* is the smallest piece of top-level code that can move on its own: a func, a method,
one spec of a type/var group, or a whole const group (moving one spec of such a group would
change the others' values through iota or implicit repetition). Units span whole lines, doc
comments included, because split moves code line by line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from tree_sitter import Node

from refactor.gosource import (
    Decl,
    GoFile,
    Signature,
    decl_node,
    decl_signature,
    import_local_candidates,
    node_at,
    parse_file,
    struct_fields,
)
from refactor.gosource import Import as GoImport

Ref = tuple[str | None, str]  # (qualifier or None, name)


@dataclass(frozen=True)
class Import:
    """One import spec: path, explicit name (or None), and its line range in the file."""

    path: str
    name: str | None
    start: int  # start of the spec's first line (its doc comment's, inside a group)
    end: int  # end of the spec's last line, newline included
    grouped: bool


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
    gofile: GoFile  # the shared model of the same bytes, for the edit helpers

    def local_names(self, package_names: Mapping[str, str]) -> dict[str, str]:
        """Local name -> import path for this file's imports (blank and dot imports left out).

        An import whose package name go list did not report maps under each name it may bind.
        """
        out: dict[str, str] = {}
        for imp in self.imports:
            for name in (imp.name,) if imp.name else import_local_candidates(
                    _spec(imp), package_names.get(imp.path)):
                if name not in ("_", "."):
                    out.setdefault(name, imp.path)
        return out


def _spec(imp: Import) -> GoImport:
    return GoImport(imp.path, imp.name, imp.start, imp.end, 0)


def _line_start(src: bytes, pos: int) -> int:
    return src.rfind(b"\n", 0, pos) + 1


def _line_end(src: bytes, pos: int) -> int:
    """Byte after the newline that ends the line containing pos - 1."""
    nl = src.find(b"\n", pos)
    return len(src) if nl < 0 else nl + 1


def _doc_start(node: Node, src: bytes) -> int:
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


_QUOTED = re.compile(rb'"([^"\n]+)"')


def parse(file: str, src: bytes, names: Mapping[str, str] | None = None) -> Source:
    """Parse one Go file into units and imports; names maps import paths to package names (go list's)."""
    known = {}
    if names:  # only this file's imports: the model keeps them, and names covers the whole build
        known = {p: names[p] for p in {m.decode("utf-8", "replace") for m in _QUOTED.findall(src)} if p in names}
    f = parse_file(file, src, known)
    package_node = node_at(src, f.package_start, f.package_end) if f.package_end else None
    header = src[:_doc_start(package_node, src)] if package_node is not None else b""
    imports: list[Import] = []
    import_decls: list[tuple[int, int, bool]] = []
    for d in f.import_decls:
        paren = d.lparen is not None
        import_decls.append((_line_start(src, d.start), _line_end(src, d.end), paren))
        for s in d.specs:
            start = _doc_start(node_at(src, s.start, s.end), src) if paren else _line_start(src, s.start)
            imports.append(Import(s.path, s.name, start, _line_end(src, s.end), paren))
    return Source(file, src, f.package, _line_end(src, f.package_end) if package_node is not None else 0,
                  header, f.constraint.expr.strip() if f.constraint and f.constraint.expr else None,
                  tuple(imports), tuple(import_decls), tuple(_units(file, f)), f)


def _units(file: str, f: GoFile) -> list[Unit]:
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
            out.append(_func_unit(file, f, d, len(out)))
            i += 1
            continue
        group = [specs[i]]
        if d.group_start is not None:
            while i + len(group) < len(specs) and specs[i + len(group)][0].group_start == d.group_start:
                group.append(specs[i + len(group)])
        out.extend(_spec_units(file, f, group, len(out)))
        i += len(group)
    return out


def _refs(decls: list[Decl], own: tuple[str, ...]) -> frozenset[Ref]:
    """What the declarations name: gosource's references, plus composite-literal keys (field names count:
    the moved-code checks must see `T{field: x}` even where a local `field` shadows it)."""
    refs: set[Ref] = {(r.qualifier, r.name) for d in decls for r in d.refs}
    refs |= {(None, n) for d in decls for n in d.universe_refs | d.literal_keys}
    return frozenset(refs - {(None, n) for n in own})


def _func_unit(file: str, f: GoFile, d: Decl, index: int) -> Unit:
    src = f.src
    start, end = _line_start(src, d.start), _line_end(src, d.end)
    sig = decl_signature(f, d)
    sels = frozenset(d.selectors)
    if d.kind == "method":
        return Unit(file, "method", (d.name,), d.receiver, start, end, src[start:end], False, _refs([d], ()),
                    sels, sig, index=index, pointer=d.pointer_receiver)
    return Unit(file, d.kind, (d.name,), None, start, end, src[start:end], False, _refs([d], (d.name,)),
                sels, sig, generic=bool(sig.type_params), index=index)


def _spec_units(file: str, f: GoFile, specs: list[list[Decl]], index: int) -> list[Unit]:
    """Units of one type/var/const declaration: a unit per spec of a group, else one for the whole."""
    src = f.src
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
        return [Unit(file, kind, names, None, start, end, src[start:end], False, _refs(decls, names),
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
        out.append(Unit(file, d.kind, names, None, s_start, s_end, text, True, _refs(spec, names),
                        frozenset(d.selectors), fields=struct_fields(src, node) if d.kind == "type" else frozenset(),
                        generic=node.child_by_field_name("type_parameters") is not None, index=index + i,
                        group=(start, end)))
    return out


def _dedent(text: bytes) -> bytes:
    return b"\n".join(ln[1:] if ln.startswith(b"\t") else ln for ln in text.split(b"\n"))
