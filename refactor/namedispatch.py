"""Constant-name dispatch: a reflect MethodByName with a computed name, rewritten over the closed set of
names its callers pass (issue 17 §5, §7).

Before (github.com/jinzhu/gorm v1.9.16, scope.go):

    func (scope *Scope) CallMethod(methodName string) { ... scope.callMethod(methodName, v) ... }
    func (scope *Scope) callMethod(methodName string, reflectValue reflect.Value) {
        if methodValue := reflectValue.MethodByName(methodName); methodValue.IsValid() { ... }
    }
    // callers, all in gorm's callbacks: scope.CallMethod("BeforeSave"), scope.CallMethod("AfterFind"), ...

After: `methodByName(reflectValue, methodName)`, a function written into the same file that switches
over exactly those names, each case a `v.MethodByName("BeforeSave")` with a constant. The compiler then
marks no function REFLECTMETHOD (a constant name is an R_USENAMEDMETHOD relocation: the linker keeps
only methods of that name, go-toolchain.md §3.2), so method dead-code elimination can come back.
Behaviour is identical: every name a caller can pass has its case, and MethodByName returns the zero
Value (or Method, false) for a name the type lacks, as before.

The analysis is syntactic (tree-sitter, the source index), over every package the project's targets link
(dependencies and the main module; test files of the module's own packages too; every file of a
package, whatever its build constraint), and conservative: the name must be a parameter of the function
that calls MethodByName (or of up to MAX_WRAPPERS functions that pass it through unchanged), never
assigned, shadowed or address-taken there, and every occurrence of each function's name in those
packages must be its declaration, a comment, or a direct call whose argument at that position is a
string literal or a constant with a literal value. Anything else (a method value, an interface method of
that name, a computed argument, the name in a string, where reflect could look it up) refuses, with the
file:line and the reason. Over-approximating the set (a call of another type's method of the same name)
only adds a case, which changes nothing.
"""

from __future__ import annotations

import os
import re
import textwrap
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tree_sitter import Node

from refactor.deppatch import module_version
from refactor.errors import GotrimError, SourceError
from refactor.gosource import identifiers, node_text, syntax_tree
from refactor.graph import Package

if TYPE_CHECKING:
    from refactor.project import Project

MAX_WRAPPERS = 2  # functions that may pass the name through between the callers and the lookup
HELPER = "methodByName"
_FUNCS = ("function_declaration", "method_declaration")
_ASSIGNS = ("assignment_statement", "short_var_declaration", "range_clause", "type_switch_statement",
            "receive_statement")
_DECLARES = ("var_spec", "const_spec", "parameter_declaration", "variadic_parameter_declaration")


class NotDispatchable(GotrimError):
    """The lookup's names are not a closed set of constants; the message names the site and why."""


@dataclass(frozen=True)
class Dispatch:
    """The rewrite of one function's MethodByName calls over the names its callers pass."""

    path: str  # the changed file (absolute: a dependency in the module cache, or the module's own)
    before: bytes
    after: bytes
    func: str  # the function holding the lookup: `(*Scope).callMethod`
    package: str
    sites: tuple[str, ...]  # file:line of each rewritten MethodByName call
    names: tuple[str, ...]  # the closed set, sorted
    wrappers: tuple[str, ...]  # functions passing the name through: `(*Scope).CallMethod`
    calls: int  # the constant calls accounted for
    helper: str  # the function written into the file


@dataclass(frozen=True)
class _Func:
    """A function or method declaration of a package, and one of its string parameters."""

    package: Package
    path: str
    src: bytes
    node: Node
    name: str
    receiver: str | None  # the receiver's type name for a method
    param: str
    index: int  # the parameter's position among the call's arguments

    @property
    def label(self) -> str:
        if self.receiver is None:
            return self.name
        star = "*" if "*" in node_text(self.src, self.node.child_by_field_name("receiver")) else ""
        return f"({star}{self.receiver}).{self.name}" if star else f"{self.receiver}.{self.name}"


def dispatch(project: Project, pkg: Package, symbol: str, packages: Iterable[Package]) -> Dispatch:
    """The rewrite of the computed-name MethodByName calls of the <ReflectMethod> function `symbol` of pkg
    (or of a function of pkg it calls, when the lookup was inlined into it); packages: every package to
    search for references (the targets' build graphs). NotDispatchable says why not."""
    from refactor.dce import symbol_decl
    from refactor.linker import path_to_prefix

    recv, name = symbol_decl(symbol, path_to_prefix(pkg.import_path) if pkg.name != "main" else "main")
    decls = list(_decls(project, pkg))
    mine = [d for d in decls if d[2] == name and d[3] == recv]
    if not mine:
        raise NotDispatchable(f"{symbol}: its declaration is not in {pkg.import_path}'s files")
    path, src, _, _, node = mine[0]
    lookups = _lookups(src, node)
    # the lookup may be inlined from a function of the package this one calls (up to 3 calls deep)
    seen = {(path, node.start_byte)}
    todo = [(src, node)]
    for _ in range(3):
        if lookups or not todo:
            break
        called = set().union(*(_called_names(s, n) for s, n in todo))
        todo = []
        for p2, s2, n2, _r2, node2 in decls:
            if n2 in called and (p2, node2.start_byte) not in seen:
                seen.add((p2, node2.start_byte))
                todo.append((s2, node2))
                if not lookups and (found := _lookups(s2, node2)):
                    path, src, node, lookups = p2, s2, node2, found
    if not lookups:
        raise NotDispatchable(f"{symbol}: no reflect MethodByName call with a computed name in its body")
    where = _where(pkg, path, src, lookups[0])
    params = _params(src, node)
    args = {node_text(src, _arg(c)) for c in lookups}
    if len(args) != 1 or next(iter(args)) not in params:
        raise NotDispatchable(f"{where}: the name given to MethodByName ({', '.join(sorted(args))}) is not a "
                              "parameter of the function that calls it")
    param = next(iter(args))
    f = _Func(pkg, path, src, node, _decl_name(src, node), _recv_type(src, node), param, params.index(param))
    _unchanged(f, where)
    reflect = _reflect_name(src)
    kinds = {_receiver_kind(src, node, c, reflect, where) for c in lookups}
    if len(kinds) != 1:
        raise NotDispatchable(f"{where}: MethodByName is called on both a reflect.Value and a reflect.Type")
    kind = kinds.pop()
    scanned = _scanned(project, packages)
    names: set[str] = set()
    wrappers: list[str] = []
    calls = _closed_names(project, f, scanned, names, wrappers, 0)
    if not names:
        raise NotDispatchable(f"{where}: nothing calls {f.label}, so the set of names is empty")
    helper = _helper_name(project, pkg, src)
    edits = sorted(((c.start_byte, c.end_byte, f"{helper}({node_text(src, _operand(c))}, {param})".encode())
                    for c in lookups), reverse=True)
    after = src
    for a, b, new in edits:
        after = after[:a] + new + after[b:]
    after = after.rstrip(b"\n") + b"\n\n" + _helper_text(helper, reflect, kind, sorted(names), f, wrappers)
    return Dispatch(path=path, before=src, after=after, func=f.label, package=pkg.import_path,
                    sites=tuple(_where(pkg, path, src, c) for c in lookups), names=tuple(sorted(names)),
                    wrappers=tuple(wrappers), calls=calls, helper=helper)


# ---------------------------------------------------------------------------------------------
# The function and its lookups


def _files(pkg: Package, tests: bool = False) -> list[str]:
    """Every Go file of a package's directory that some configuration compiles (build constraints are
    not evaluated: a call on another platform counts as well), tests for the module's own packages."""
    names = [*pkg.go_files, *pkg.cgo_files, *pkg.ignored_go_files]
    if tests:
        names += [*pkg.test_go_files, *pkg.xtest_go_files]
    return [os.path.join(pkg.dir, n) for n in dict.fromkeys(names) if n.endswith(".go")]


def _scanned(project: Project, packages: Iterable[Package]) -> list[Package]:
    """The packages whose files may call the function: the linked ones (the standard library cannot
    import a module), and every other directory of the repository's modules (another binary, a tool,
    tests), since a dependency patch's replace changes the module for all of them."""
    out: dict[str, Package] = {}
    for p in packages:
        if not p.standard:
            out.setdefault(p.import_path, p)
    dirs = {os.path.normpath(p.dir) for p in out.values()}
    sources = project.sources
    for d in sources.dirs():
        full = os.path.normpath(os.path.join(sources.root, d))
        if full in dirs:
            continue
        names = tuple(os.path.basename(f) for f in sources.dir_files(d))
        path = sources.import_path(d)
        mod = sources.module_dir(d)
        out.setdefault(f"{path}\x00{d}", Package(
            import_path=path, name="", dir=full, module=dict(sources.modules).get(mod or ""),
            module_dir=os.path.join(sources.root, mod) if mod is not None else None, standard=False,
            main_module=True, go_files=tuple(n for n in names if not n.endswith("_test.go")), cgo_files=(),
            ignored_go_files=(), test_go_files=tuple(n for n in names if n.endswith("_test.go")),
            xtest_go_files=(), imports=(), import_map=(), error=None, editable=True))
    return list(out.values())


def _source(project: Project, path: str) -> bytes | None:
    try:
        return project.sources.source(path)
    except OSError:
        return None


def _decls(project: Project, pkg: Package) -> Iterator[tuple[str, bytes, str, str | None, Node]]:
    """(path, source, name, receiver type, node) of each function and method of the package's files."""
    for path in _files(pkg):
        if path.endswith("_test.go"):
            continue
        src = _source(project, path)
        if src is None:
            continue
        for node in syntax_tree(src).named_children:
            if node.type in _FUNCS:
                yield path, src, _decl_name(src, node), _recv_type(src, node), node


def _decl_name(src: bytes, node: Node) -> str:
    return node_text(src, node.child_by_field_name("name"))


def _recv_type(src: bytes, node: Node) -> str | None:
    if node.type != "method_declaration":
        return None
    text = node_text(src, node.child_by_field_name("receiver"))
    m = re.search(r"\*?\s*([A-Za-z_]\w*)\s*(\[[^\]]*\])?\s*\)$", text)
    return m.group(1) if m else None


def _walk(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.children))


def _arg(call: Node) -> Node | None:
    args = call.child_by_field_name("arguments")
    named = [a for a in args.named_children if a.type != "comment"] if args is not None else []
    return named[0] if len(named) == 1 else None


def _lookups(src: bytes, func: Node) -> list[Node]:
    """The `x.MethodByName(name)` calls of a function's body whose argument is not a literal."""
    body = func.child_by_field_name("body")
    out = []
    for n in _walk(body) if body is not None else ():
        if n.type != "call_expression":
            continue
        fn = n.child_by_field_name("function")
        if fn is None or fn.type != "selector_expression" or node_text(src, fn.child_by_field_name("field")) \
                != "MethodByName":
            continue
        arg = _arg(n)
        if arg is not None and arg.type not in ("interpreted_string_literal", "raw_string_literal"):
            out.append(n)
    return out


def _operand(call: Node) -> Node | None:
    """x of a call `x.M(...)`."""
    fn = call.child_by_field_name("function")
    return fn.child_by_field_name("operand") if fn is not None else None


def _called_names(src: bytes, func: Node) -> set[str]:
    body = func.child_by_field_name("body")
    out = set()
    for n in _walk(body) if body is not None else ():
        if n.type == "call_expression" and (fn := n.child_by_field_name("function")) is not None:
            if fn.type == "identifier":
                out.add(node_text(src, fn))
            elif fn.type == "selector_expression":
                out.add(node_text(src, fn.child_by_field_name("field")))
    return out


def _params(src: bytes, func: Node) -> list[str]:
    """The parameter names in order (`_` and unnamed ones as ''); a variadic parameter ends the list."""
    plist = func.child_by_field_name("parameters")
    out: list[str] = []
    for d in plist.named_children if plist is not None else ():
        if d.type == "variadic_parameter_declaration":
            break
        if d.type != "parameter_declaration":
            continue
        names = d.children_by_field_name("name")
        typ = node_text(src, d.child_by_field_name("type"))
        out += [node_text(src, n) if typ == "string" else "" for n in names] or [""]
    return out


def _unchanged(f: _Func, where: str) -> None:
    """NotDispatchable unless f's parameter keeps the caller's value through f's body."""
    body = f.node.child_by_field_name("body")
    for n in _walk(body) if body is not None else ():
        if n.type != "identifier" or node_text(f.src, n) != f.param:
            continue
        p = n.parent
        why = ""
        if p is None:
            continue
        assigned = p.type == "expression_list" and p.parent is not None and p.parent.type in _ASSIGNS \
            and p.parent.child_by_field_name("right") != p and p.parent.child_by_field_name("value") != p
        if assigned or p.type in ("inc_statement", "dec_statement", *_DECLARES):
            why = "assigned or declared again"
        elif p.type == "unary_expression" and node_text(f.src, p).startswith("&"):
            why = "its address is taken"
        if why:
            raise NotDispatchable(f"{where}: {f.param} is {why} in {f.label} "
                                  f"({_where(f.package, f.path, f.src, n)}): its value is not the callers' constant")


def _reflect_name(src: bytes) -> str:
    """The file's name for package reflect."""
    for n in _walk(syntax_tree(src)):
        if n.type == "import_spec" and node_text(src, n.child_by_field_name("path")).strip('"`') == "reflect":
            name = n.child_by_field_name("name")
            return node_text(src, name) if name is not None else "reflect"
    return "reflect"


def _receiver_kind(src: bytes, func: Node, call: Node, reflect: str, where: str) -> str:
    """"Value" or "Type": what MethodByName is called on (a parameter or a local of that declared type,
    or reflect.ValueOf/Indirect/TypeOf(...)); NotDispatchable when the source does not say."""
    fn = call.child_by_field_name("function")
    recv = fn.child_by_field_name("operand") if fn is not None else None
    if recv is not None and recv.type == "call_expression":
        callee = node_text(src, recv.child_by_field_name("function"))
        kind = {f"{reflect}.ValueOf": "Value", f"{reflect}.Indirect": "Value", f"{reflect}.TypeOf": "Type"}.get(callee)
        if kind:
            return kind
    if recv is not None and recv.type == "identifier":
        name = node_text(src, recv)
        types = set()
        for n in _walk(func):
            if n.type in ("parameter_declaration", "var_spec") and name in [
                    node_text(src, x) for x in n.children_by_field_name("name")]:
                types.add(node_text(src, n.child_by_field_name("type")))
        if len(types) == 1 and (t := types.pop()) in (f"{reflect}.Value", f"{reflect}.Type"):
            return t.rsplit(".", 1)[1]
    raise NotDispatchable(f"{where}: cannot tell from the source whether {node_text(src, recv)} is a reflect.Value "
                          "or a reflect.Type")


# ---------------------------------------------------------------------------------------------
# The references


def _closed_names(project: Project, f: _Func, packages: Sequence[Package], names: set[str], wrappers: list[str],
                  depth: int) -> int:
    """Add to names every constant the references to f pass at f.index; the number of calls. A call that
    passes its own enclosing function's parameter makes that function a wrapper, followed in turn."""
    exported = f.name[:1].isupper()
    scope = packages if exported else [p for p in packages if p.import_path == f.package.import_path]
    word = re.compile(rb"\b" + re.escape(f.name.encode()) + rb"\b")
    calls = 0
    for pkg in scope:
        for path in _files(pkg, tests=pkg.editable):
            src = _source(project, path)
            if src is None or not word.search(src):
                continue
            root = syntax_tree(src)
            for m in word.finditer(src):
                n = root.descendant_for_byte_range(m.start(), m.end())
                if n is None:
                    continue
                call = _reference(f, pkg, path, src, n)
                if call is None:
                    continue
                calls += 1
                arg = _nth_arg(call, f.index)
                where = _where(pkg, path, src, call)
                value = _constant(project, pkg, path, src, arg) if arg is not None else None
                if value is not None:
                    if not re.fullmatch(r"[^\"\\\x00-\x1f\x7f]*", value):
                        raise NotDispatchable(f"{where}: {f.label} is called with a name gotrim does not quote")
                    names.add(value)
                    continue
                outer = _enclosing(call)
                text = node_text(src, arg) if arg is not None else "?"
                if arg is None or arg.type != "identifier" or outer is None:
                    raise NotDispatchable(f"{where}: {f.label} is called with a computed name ({text})")
                params = _params(src, outer)
                if text not in params or _declared_inside(src, outer, text):
                    raise NotDispatchable(f"{where}: {f.label} is called with a computed name ({text})")
                if depth >= MAX_WRAPPERS:
                    raise NotDispatchable(f"{where}: the name reaches {f.label} through more than {MAX_WRAPPERS} "
                                          "functions: gotrim follows fewer")
                w = _Func(pkg, path, src, outer, _decl_name(src, outer), _recv_type(src, outer), text,
                          params.index(text))
                if w.name == f.name and w.package.import_path == f.package.import_path:
                    raise NotDispatchable(f"{where}: {f.label} passes the name to itself (recursion)")
                _unchanged(w, where)
                if w.label not in wrappers:
                    wrappers.append(w.label)
                    calls += _closed_names(project, w, packages, names, wrappers, depth + 1)
    return calls


def _reference(f: _Func, pkg: Package, path: str, src: bytes, n: Node) -> Node | None:
    """The call expression when n (an occurrence of f's name) is a direct call; None when it is not a
    reference (a comment, a declaration, another thing of that name); NotDispatchable otherwise."""
    where = f"{_where(pkg, path, src, n)}"
    if n.type == "comment" or n.type in ("interpreted_string_literal_content", "raw_string_literal_content") \
            and node_text(src, n) != f.name:
        return None
    if n.type in ("interpreted_string_literal_content", "raw_string_literal_content", "interpreted_string_literal",
                  "raw_string_literal"):
        raise NotDispatchable(f"{where}: the string \"{f.name}\" may look {f.label} up by name (reflect)")
    p = n.parent
    if p is None:
        return None
    if n.type == "field_identifier":
        if p.type == "method_declaration" or p.type == "field_declaration":
            return None  # a method (f itself, or another type's) or a struct field of that name: declarations
        if p.type in ("method_elem", "method_spec"):
            raise NotDispatchable(f"{where}: an interface declares a method {f.name}: calls through it cannot "
                                  "be told from calls of other methods")
        if p.type == "selector_expression":
            return _direct(f, where, src, p)
        raise NotDispatchable(f"{where}: {f.name} is used as {p.type}, not called")
    if n.type == "identifier":
        if f.receiver is not None:
            return None  # a method is only referenced through a selector (x.M, T.M)
        if p.type == "function_declaration" and p.child_by_field_name("name") == n:
            return None
        if p.type == "selector_expression" and p.child_by_field_name("operand") == n:
            return None  # `name.X`: a variable or package of that name
        if pkg.import_path != f.package.import_path:
            return None  # another package's identifier: f of another package is reached as pkg.F (a field)
        if p.type == "call_expression" and p.child_by_field_name("function") == n:
            return p
        raise NotDispatchable(f"{where}: {f.label} is used as a value, not called")
    return None


def _direct(f: _Func, where: str, src: bytes, sel: Node) -> Node:
    p = sel.parent
    if p is not None and p.type == "call_expression" and p.child_by_field_name("function") == sel:
        return p
    raise NotDispatchable(f"{where}: {node_text(src, sel)} is a method value or expression, not a call: the names "
                          f"it is called with cannot be followed")


def _nth_arg(call: Node, i: int) -> Node | None:
    args = call.child_by_field_name("arguments")
    if args is None:
        return None
    named = [a for a in args.named_children if a.type != "comment"]
    if any(a.type == "variadic_argument" for a in named):
        return None
    return named[i] if i < len(named) else None


def _literal(src: bytes, n: Node) -> str | None:
    """The value of a string literal without escapes; None otherwise."""
    text = node_text(src, n)
    if n.type == "raw_string_literal":
        return text[1:-1].replace("\r", "")
    if n.type == "interpreted_string_literal" and "\\" not in text:
        return text[1:-1]
    return None


def _constant(project: Project, pkg: Package, path: str, src: bytes, n: Node, depth: int = 0) -> str | None:
    """The value of a string literal or of a constant with a literal value (a local, package-level or
    qualified constant); None when it is anything else."""
    if depth > 4:
        return None
    if n.type == "parenthesized_expression" and len(n.named_children) == 1:
        return _constant(project, pkg, path, src, n.named_children[0], depth + 1)
    lit = _literal(src, n)
    if lit is not None or n.type != "identifier" and n.type != "selector_expression":
        return lit
    if n.type == "identifier":
        name = node_text(src, n)
        outer = _enclosing(n)
        if outer is not None:
            local = _const_spec(src, outer, name)
            if local is not None:
                return _spec_value(project, pkg, path, src, local, depth)
            if _declared_inside(src, outer, name) or name in _params(src, outer) or _is_param(src, outer, name):
                return None
        return _package_constant(project, pkg, name, depth, tests=path.endswith("_test.go"))
    op, field = n.child_by_field_name("operand"), n.child_by_field_name("field")
    if op is None or op.type != "identifier" or field is None:
        return None
    qual = node_text(src, op)
    target = _imported(project, pkg, src, qual)
    if target is None:
        return None
    return _package_constant(project, target, node_text(src, field), depth, tests=False)


def _package_constant(project: Project, pkg: Package, name: str, depth: int, *, tests: bool) -> str | None:
    """The value of pkg's package-level constant name (its test files' too when tests), if literal."""
    for p2 in _files(pkg):
        if p2.endswith("_test.go") and not tests:
            continue
        s2 = _source(project, p2)
        if s2 is None or name.encode() not in s2:
            continue
        spec = _const_spec(s2, syntax_tree(s2), name, top=True)
        if spec is not None:
            return _spec_value(project, pkg, p2, s2, spec, depth)
    return None


def _imported(project: Project, pkg: Package, src: bytes, qual: str) -> Package | None:
    """The package a file refers to as `qual` (its import spec's name, or the imported package's name)."""
    for t in project.graphs.values():
        for n in _walk(syntax_tree(src)):
            if n.type != "import_spec":
                continue
            imp = pkg.resolve(node_text(src, n.child_by_field_name("path")).strip('"`'))
            target = t.packages.get(imp)
            if target is None:
                continue
            name = n.child_by_field_name("name")
            if (node_text(src, name) if name is not None else target.name) == qual:
                return target
    return None


def _const_spec(src: bytes, scope: Node, name: str, top: bool = False) -> Node | None:
    """The const_spec declaring name in scope (top: only the file's top-level declarations)."""
    nodes = scope.named_children if top else list(_walk(scope))
    for n in nodes:
        if n.type != "const_declaration":
            continue
        for spec in n.named_children:
            if spec.type == "const_spec" and name in [node_text(src, x) for x in spec.children_by_field_name("name")]:
                return spec
    return None


def _spec_value(project: Project, pkg: Package, path: str, src: bytes, spec: Node, depth: int) -> str | None:
    names = spec.children_by_field_name("name")
    value = spec.child_by_field_name("value")
    if value is None or len(names) != 1 or len(value.named_children) != 1:
        return None  # iota, implicit repetition or several names: not followed
    return _constant(project, pkg, path, src, value.named_children[0], depth + 1)


def _enclosing(n: Node) -> Node | None:
    p = n.parent
    while p is not None and p.type not in _FUNCS:
        p = p.parent
    return p


def _is_param(src: bytes, func: Node, name: str) -> bool:
    for part in ("receiver", "parameters", "result"):
        plist = func.child_by_field_name(part)
        for d in plist.named_children if plist is not None else ():
            if name in [node_text(src, x) for x in d.children_by_field_name("name")]:
                return True
    return False


def _declared_inside(src: bytes, func: Node, name: str) -> bool:
    """Whether name is declared in func's body (a local, a closure's parameter): it may shadow."""
    body = func.child_by_field_name("body")
    for n in _walk(body) if body is not None else ():
        if n.type != "identifier" or node_text(src, n) != name:
            continue
        p = n.parent
        if p is not None and (p.type in _DECLARES or p.type == "expression_list" and p.parent is not None
                              and p.parent.type in ("short_var_declaration", "range_clause", "type_switch_statement",
                                                    "receive_statement")
                              and p.parent.child_by_field_name("right") != p):
            return True
    return False


# ---------------------------------------------------------------------------------------------
# Writing


def _where(pkg: Package, path: str, src: bytes, n: Node) -> str:
    """file:line as a user finds it: module@version/rel for a dependency, the path otherwise."""
    line = src.count(b"\n", 0, n.start_byte) + 1
    if not pkg.editable and pkg.module and pkg.module_dir:
        version = module_version(pkg.module_dir) or ""
        rel = os.path.relpath(path, pkg.module_dir).replace(os.sep, "/")
        return f"{pkg.module}{'@' + version if version else ''}/{rel}:{line}"
    if pkg.module_dir and os.path.isabs(path):
        return f"{os.path.relpath(path, pkg.module_dir).replace(os.sep, '/')}:{line}"
    return f"{path}:{line}"


def _helper_name(project: Project, pkg: Package, src: bytes) -> str:
    """A name no file of the package spells (a package-level name must be unique in the package)."""
    taken = set(identifiers(src))
    for path in _files(pkg, tests=True):
        s = _source(project, path)
        if s is not None:
            taken |= {m.decode() for m in re.findall(rb"\b" + HELPER.encode() + rb"\w*", s)}
    for i in range(1, 100):
        name = HELPER if i == 1 else f"{HELPER}{i}"
        if name not in taken:
            return name
    raise SourceError(f"no free name for the helper in {pkg.import_path}")


def _helper_text(helper: str, reflect: str, kind: str, names: Sequence[str], f: _Func,
                 wrappers: Sequence[str]) -> bytes:
    via = f"{wrappers[-1]} (through {f.label})" if wrappers else f.label
    var = "v" if kind == "Value" else "t"
    doc = (f"{helper} is {var}.MethodByName(name) for the names passed by the callers of {via}, all constants: "
           "with a constant name the linker keeps only the methods of that name, where a computed one makes it "
           "keep every exported method of every type (method dead-code elimination off). Written by gotrim; a "
           "new caller with another name needs its case here.")
    result = f"{reflect}.Value" if kind == "Value" else f"({reflect}.Method, bool)"
    zero = f"{reflect}.Value{{}}" if kind == "Value" else f"{reflect}.Method{{}}, false"
    lines = [
        *("// " + line for line in textwrap.wrap(doc, 96, break_long_words=False, break_on_hyphens=False)),
        f"func {helper}({var} {reflect}.{kind}, name string) {result} {{",
        "\tswitch name {",
    ]
    for n in names:
        lines += [f'\tcase "{n}":', f'\t\treturn {var}.MethodByName("{n}")']
    lines += ["\t}", f"\treturn {zero}", "}", ""]
    return "\n".join(lines).encode()
