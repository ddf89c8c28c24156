"""Guards and stubs: put a file behind a build tag, and declare in a stub file what the rest uses of it.

The one engine behind guard-with-tag and the `plugin` fix of dce-blockers. A stub declaration is
written from the real declaration's syntax (gosource.decl_syntax: the signature, the struct fields,
the var's type or literal value), never from regular expressions over its text:

- a func or method keeps its signature; it does nothing when it has no results, returns zero values
  and the feature's error when its last result is an error, and panics with that error otherwise (a
  value it cannot make up: the compiler then drops what follows its calls, which estimates count);
- a type keeps its definition when it names no package the slim build drops; a struct keeps the
  fields it can still declare (refused when the rest of the build selects one it cannot);
- a const keeps its value (its whole group); a var keeps its declared type, a basic literal value,
  a light composite literal (a sync.Pool's New), or the type of the function literal it is set to;
  otherwise the var is refused;
- stubs import only what their declarations name (the file's own local names are kept).

An existing stub (a sibling file whose whole constraint, file name and build line, is the negation of
the real file's) gets the tag OR-ed into its constraint and is repaired where it drifted from the real
file: parameters fixed, a function whose results drifted written again (with the stub's own error).
A type's stub keeps every method it can declare (interface assertions and type switches elsewhere
need them). check_stub checks a stub against the files it builds with before it is proposed; go
builds it for real when the candidate is verified.

Also here, shared by the strategies that guard: what runs (startup_calls, every_run_calls: function
literals count only when called on the spot), what the rest of a build needs of a file (demand: the
typed view's facts, names where it has none), registries (move_registrations) and decoupling an enum
from a heavy package (mirror_table, convert_fields).
"""

from __future__ import annotations

import collections
import os
import re
import textwrap
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2

from refactor.edit import (
    ImportChange,
    add_constraint,
    add_import,
    delete_decls,
    delete_lines,
    go_quote,
    new_file,
    or_constraint,
    remove_import,
    remove_unused_imports,
    rewrite_imports,
)
from refactor.errors import EditError, GotrimError, SourceError
from refactor.gosource import (
    UNIVERSE,
    BuildExpr,
    Decl,
    DeclSyntax,
    GoFile,
    Import,
    StructField,
    Syntax,
    decl_label,
    decl_syntax,
    eval_build_expr,
    format_build_expr,
    guess_package_name,
    import_local_candidates,
    lone_decl_node,
    lone_node,
    node_at,
    node_text,
    parse_build_expr,
    parse_file,
    selector_operands,
    syntax_tree,
)
from refactor.graph import Package
from refactor.plan import Edit, FileChange, apply_edits
from refactor.sources import KNOWN_ARCH, KNOWN_OS, build_expr

if TYPE_CHECKING:
    from tree_sitter import Node

    from refactor.project import Project
    from refactor.typed import TypedDecl, TypedView

TEMPLATES = Path(__file__).resolve().parent / "templates"
_NUMERIC = frozenset((
    "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64", "uintptr", "byte",
    "rune", "float32", "float64", "complex64", "complex128",
))
_NIL_PREFIXES = ("*", "[]", "map[", "chan ", "chan<-", "<-chan", "func(", "func (", "interface{", "interface {")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_EMBED = re.compile(r"^//go:embed\s", re.M)


class Unguardable(GotrimError):
    """A file cannot be guarded safely; the message says why."""


# ---------------------------------------------------------------------------------------------------------
# Constraints


def expr_tags(x: BuildExpr) -> set[str]:
    """The tags an expression names."""
    if x[0] == "tag":
        return {str(x[1])}
    return set().union(*(expr_tags(c) for c in x[1:] if isinstance(c, tuple)))


def has_conjunct(x: BuildExpr, term: BuildExpr) -> bool:
    """term is one of the conjuncts of x (x implies it)."""
    return x == term or (x[0] == "and" and any(has_conjunct(c, term) for c in x[1:]))


def has_disjunct(x: BuildExpr, term: BuildExpr) -> bool:
    """term is one of the disjuncts of x (it implies x)."""
    return x == term or (x[0] == "or" and any(has_disjunct(c, term) for c in x[1:]))


@lru_cache(maxsize=4096)
def negates(a: BuildExpr, b: BuildExpr) -> bool:
    """a is true exactly when b is false, for every assignment of their tags (remembered: asked of each
    file pair of a package once per feature)."""
    tags = sorted(expr_tags(a) | expr_tags(b))
    if len(tags) > 12:
        return False
    for bits in range(1 << len(tags)):
        have = {t for i, t in enumerate(tags) if bits >> i & 1}
        if eval_build_expr(a, have) == eval_build_expr(b, have):
            return False
    return True


def and_term(f: GoFile, term: str) -> bytes:
    """f's source with term AND-ed into its constraint (as it is when the constraint already has it)."""
    x = build_expr(f)
    if x is not None and has_conjunct(x, parse_build_expr(term)):
        return f.src
    return apply_edits(f.src, add_constraint(f, term))


def or_term(f: GoFile, term: str) -> bytes:
    """f's source with term OR-ed into its constraint (as it is when the constraint already has it)."""
    x = build_expr(f)
    if x is not None and has_disjunct(x, parse_build_expr(term)):
        return f.src
    return apply_edits(f.src, or_constraint(f, term))


def name_suffix(base: str) -> str:
    """The _GOOS / _GOARCH / _GOOS_GOARCH part of a file name that constrains it ('' if none)."""
    stem = base[:-3] if base.endswith(".go") else base
    parts = stem.split("_")
    if len(parts) >= 3 and parts[-2] in KNOWN_OS and parts[-1] in KNOWN_ARCH:
        return "_" + "_".join(parts[-2:])
    if len(parts) >= 2 and (parts[-1] in KNOWN_OS or parts[-1] in KNOWN_ARCH):
        return "_" + parts[-1]
    return ""


def name_expr(base: str) -> BuildExpr | None:
    """The constraint a file name's _GOOS / _GOARCH / _GOOS_GOARCH suffix puts on it (None if none)."""
    parts = name_suffix(base).strip("_").split("_")
    if parts == [""]:
        return None
    if len(parts) == 2:
        return ("and", ("tag", parts[0]), ("tag", parts[1]))
    return ("tag", parts[0])


def file_expr(f: GoFile) -> BuildExpr | None:
    """A file's whole constraint: its name's GOOS/GOARCH suffix AND its build constraint (None if none)."""
    x = build_expr(f)
    y = name_expr(os.path.basename(f.path))
    if x is None or y is None:
        return x if y is None else y
    return ("and", y, x)


def existing_stub(real: GoFile, files: Sequence[GoFile], skip: Iterable[str] = ()) -> GoFile | None:
    """A file of the package whose whole constraint (name suffix and build line) is the negation of
    real's: the stub for other builds, as `feature_other.go` (`//go:build !linux`) is for
    `feature_linux.go`, and declares some of real's names (the one that declares most). Test files,
    files named in skip, and files whose name carries a GOOS/GOARCH suffix (the tag cannot be OR-ed
    into their constraint) are not stubs."""
    x = file_expr(real)
    if x is None:
        return None
    skipped = set(skip)
    names = {d.key for d in real.decls if d.kind != "init" and d.name != "_"}
    best: tuple[int, GoFile] | None = None
    for f in files:
        base = os.path.basename(f.path)
        if base in skipped or base.endswith("_test.go") or f.package != real.package or name_expr(base):
            continue
        y = file_expr(f)
        if y is None or not negates(x, y):
            continue
        shared = len(names & {d.key for d in f.decls})
        if shared and (best is None or shared > best[0]):
            best = shared, f  # the one that declares most of real's names (check_other.go is no stub of probe_linux.go)
    return best[1] if best else None


# ---------------------------------------------------------------------------------------------------------
# What runs: calls made when the program starts, and calls every run of main makes

Callee = tuple[str | None, str]  # (operand, name): (None, "f") for f(), ("pkg", "F") for pkg.F() or x.M()


def _callee(src: bytes, call: Node) -> Callee | None:
    fn = call.child_by_field_name("function")
    while fn is not None and fn.type == "parenthesized_expression" and fn.named_child_count == 1:
        fn = fn.named_children[0]
    if fn is not None and fn.type in ("index_expression", "generic_type"):  # f[T](x)
        fn = fn.child_by_field_name("operand") or fn.child_by_field_name("type") or fn
    if fn is None:
        return None
    if fn.type == "identifier":
        return None, node_text(src, fn)
    if fn.type == "selector_expression":
        op = fn.child_by_field_name("operand")
        field = fn.child_by_field_name("field")
        if op is not None and op.type == "identifier" and field is not None:
            return node_text(src, op), node_text(src, field)
    return None


def _calls(src: bytes, root: Node | None, *, branches: bool, loops: bool = False, handed: bool = False,
           either: list[list[Node]] | None = None) -> list[Callee]:
    """The calls evaluated when root runs. A function literal's body counts only when it is called on
    the spot (`func() {...}()`, `go func() {...}()`): one stored in a table (a command's Action) or passed
    as an argument runs later, if at all. Without branches, only what runs on every pass: the headers of
    if, for and switch statements, not their bodies or cases; with loops, the bodies of loops that run
    (_runs_body: tailscaled's createEngine calls tryEngine in `for _, name := range strings.Split(...)`);
    either (a list) then gets the ways of each if/else chain that ends in an else
    and of each switch with a default case, one of which runs (_ways). With handed, a function handed to
    a call counts as called: a function literal, a function or a method value (alertmanager's
    `coordinator.Subscribe(r.reload)`, nats-server's `s.startGoRoutine(s.delayedAPIResponder)`, an
    errgroup's `g.Go(func() error {...})`): the callee may run it at once, or later on every run."""
    out: list[Callee] = []
    stack = [root] if root is not None else []
    while stack:
        n = stack.pop()
        t = n.type
        if t == "func_literal":
            continue
        if t == "call_expression":
            callee = _callee(src, n)
            if callee is not None:
                out.append(callee)
            fn = n.child_by_field_name("function")
            if fn is not None and fn.type == "func_literal":
                stack.append(fn.child_by_field_name("body") or fn)
            stack.extend(c for c in n.named_children if c is not fn)
            args = n.child_by_field_name("arguments") if handed else None
            for a in args.named_children if args is not None else ():
                if a.type == "func_literal":
                    stack.append(a.child_by_field_name("body") or a)
                elif (value := _value(src, a)) is not None:
                    out.append(value)
            continue
        if not branches:
            if t == "if_statement":
                stack.extend(c for c in (n.child_by_field_name("initializer"), n.child_by_field_name("condition"))
                             if c is not None)
                if either is not None:
                    ways = _ways(src, n)
                    if ways:
                        either.append(ways)
                continue
            if t == "for_statement" and not (loops and _runs_body(n)):
                for c in n.named_children:
                    if c.type == "for_clause":
                        stack.extend(x for x in (c.child_by_field_name("initializer"),
                                                 c.child_by_field_name("condition")) if x is not None)
                    elif c.type == "range_clause":
                        right = c.child_by_field_name("right")
                        if right is not None:
                            stack.append(right)
                    elif c is not n.child_by_field_name("body") and c.type != "block":
                        stack.append(c)  # `for cond() {`
                continue
            if t in ("expression_switch_statement", "type_switch_statement"):
                stack.extend(c for c in (n.child_by_field_name("initializer"), n.child_by_field_name("value"))
                             if c is not None)
                if either is not None:
                    ways = _ways(src, n)
                    if ways:
                        either.append(ways)
                continue
            if t == "select_statement":
                continue
        stack.extend(n.named_children)
    return out


def _runs_body(loop: Node) -> bool:
    """A loop whose body runs in practice: `for {`, or a range over what a call returns (strings.Split's
    result has an element). Not a range over a variable or a field (alertmanager's `range nc.SNSConfigs`:
    most configurations have none), nor a three-clause or a conditional loop."""
    clauses = [c for c in loop.named_children if c is not loop.child_by_field_name("body") and c.type != "comment"]
    if not clauses:
        return True
    right = clauses[0].child_by_field_name("right") if clauses[0].type == "range_clause" else None
    return right is not None and right.type == "call_expression"


def _value(src: bytes, node: Node) -> Callee | None:
    """An argument that may be a function value: `f`, `pkg.F` or `x.M` (a method value)."""
    if node.type == "identifier":
        return None, node_text(src, node)
    if node.type == "selector_expression":
        op, field = node.child_by_field_name("operand"), node.child_by_field_name("field")
        if op is not None and op.type == "identifier" and field is not None:
            return node_text(src, op), node_text(src, field)
    return None


def _ways(src: bytes, node: Node) -> list[Node]:
    """The ways of an if/else chain that ends in an else, or of a switch with a default case (one of
    them runs): their blocks or cases, less those that end by returning an error (failures, not ways
    through); [] for a chain or switch that may run none."""
    ways: list[Node] = []
    if node.type in ("expression_switch_statement", "type_switch_statement"):
        ways = [c for c in node.named_children if c.type in ("expression_case", "type_case", "default_case")]
        if not any(c.type == "default_case" for c in ways):
            return []
    else:
        n: Node | None = node
        while n is not None and n.type == "if_statement":
            body = n.child_by_field_name("consequence")
            if body is None:
                return []
            ways.append(body)
            n = n.child_by_field_name("alternative")
        if n is None:
            return []
        ways.append(n)
    return [w for w in ways if not _fails(src, w)]


def _fails(src: bytes, way: Node) -> bool:
    """A block or case whose last statement returns an error for certain: its last result is `err`,
    an `ErrX`/`errX` value or an error made on the spot (errors.New, fmt.Errorf). `return
    newResolvedManager(...)` is a way through (tailscaled's dns.NewOSConfigurator: taking it for a failure
    left only the ways that call newDirectManagerOnFS)."""
    lists = [c for c in way.named_children if c.type == "statement_list"]
    stmts = lists[0].named_children if lists else [c for c in way.named_children if c.type != "comment"]
    if not stmts or stmts[-1].type != "return_statement":
        return False
    last = stmts[-1]
    results = last.named_children[0].named_children if last.named_children else []
    if not results:
        return False
    r = results[-1]
    if r.type == "call_expression":
        fn = r.child_by_field_name("function")
        return fn is not None and node_text(src, fn) in ("errors.New", "fmt.Errorf", "errors.Join")
    if r.type == "selector_expression":
        r = r.child_by_field_name("field") or r
    return r.type in ("identifier", "field_identifier") and _ERROR_NAME.match(node_text(src, r)) is not None


_ERROR_NAME = re.compile(r"(?:err|Err)(?:[A-Z0-9_]|$)")


_NOT_ERRORS = ("nil", "true", "false", "int_literal", "float_literal", "interpreted_string_literal",
               "raw_string_literal")


def startup_calls(f: GoFile, d: Decl) -> list[Callee]:
    """The calls an init function or a package-level var's initializer makes when the program starts
    (only function literals called on the spot are entered; a command table's closures are not)."""
    if d.kind not in ("init", "var"):
        return []
    return list(_startup_calls(f.src, d.spec_start, d.spec_end, d.kind))


@lru_cache(maxsize=8192)
def _startup_calls(src: bytes, start: int, end: int, kind: str) -> tuple[Callee, ...]:
    """startup_calls, remembered by the declaration's text and place (guard asks it of the same inits for
    each feature)."""
    text, node = lone_node(src, start, end, kind)
    return tuple(_calls(text, node.child_by_field_name("body" if kind == "init" else "value"), branches=True))


Key = tuple[str, str]  # (import path, function name or Type.Method)


@dataclass(frozen=True)
class EveryRun:
    """What every run of one main package calls (every_run_calls).

    calls: (package, function or Type.Method) -> the chain of functions that leads there (main, run, ...);
    either: (chain, ways): one of the ways of an if/else chain runs, each way the set of calls it makes
    (tailscaled's NewUserspaceEngine calls tstun.WrapTAP or tstun.Wrap); files: the paths of the files
    whose functions it read; missed: (directory, function or Type.Method) it looked up in a package and
    did not find there.
    """

    calls: Mapping[Key, tuple[str, ...]]
    either: Sequence[tuple[tuple[str, ...], tuple[frozenset[Key], ...]]]
    files: frozenset[str]
    missed: frozenset[tuple[str, str]]

    def sees(self, changed: Collection[str], new: Iterable[GoFile]) -> bool:
        """Whether files changed (paths) or added (new) could make it differ: one it read, or a new file
        that declares a function it looked for in that file's package and did not find."""
        return not self.files.isdisjoint(changed) or \
            any((os.path.dirname(f.path), d.key) in self.missed for f in new for d in f.decls)


def every_run_calls(main_path: str, files: Sequence[GoFile], package_files: Callable[[str], Sequence[GoFile] | None],
                    *, depth: int = 8, value_calls: Callable[[str, str], Mapping[str, tuple[str, str]]] | None = None
                    ) -> EveryRun:
    """What every run of the program calls from func main (headers of if and switch included, their bodies
    not; the bodies of loops that run, and functions handed to calls: _calls with loops and handed),
    following the functions called that way through main's package and the packages package_files gives
    files of (the module's own: a dependency is not read), up to depth calls deep; with the ways of if/else
    chains and switches one of which runs (EveryRun.either). tailscaled's run() calls logpolicy.New, whose
    NewWithConfigPath calls logtail.NewLogger: a stub of that cannot be on the way (the slim build panicked
    at startup); its engine comes seven calls deep (main -> run -> startIPNServer -> getLocalBackend ->
    createEngine -> tryEngine -> NewUserspaceEngine).
    value_calls(package, declaration key): the methods a declaration calls on values, by name, with the
    (package, type) declaring them where the typed view pins one (dns.NewManager's d.NetMon() on a
    tsdial.Dialer); a call on a value it does not pin is not followed."""
    out: dict[Key, tuple[str, ...]] = {}
    either: list[tuple[tuple[str, ...], tuple[frozenset[Key], ...]]] = []
    read: set[str] = set()
    missed: set[tuple[str, str]] = set()
    funcs_of: dict[str, dict[str, tuple[GoFile, Decl]]] = {}

    def funcs(path: str, pfiles: Sequence[GoFile]) -> dict[str, tuple[GoFile, Decl]]:
        hit = funcs_of.get(path)
        if hit is None:  # functions by name, methods by Type.Method (their keys)
            hit = funcs_of[path] = {d.key: (f, d) for f in pfiles if not f.path.endswith("_test.go")
                                    for d in f.decls if d.kind in ("func", "method")}
        return hit

    todo: collections.deque[tuple[str, Sequence[GoFile], str, tuple[str, ...]]] = collections.deque(
        [(main_path, files, "main", ("main",))])
    seen = {(main_path, "main")}
    while todo:
        path, pfiles, name, chain = todo.popleft()
        found = funcs(path, pfiles).get(name)
        if found is None:
            missed.update((os.path.dirname(f.path), name) for f in pfiles[:1])
            continue
        f, d = found
        read.add(f.path)
        src, node = lone_decl_node(f, d)
        imports = f.import_paths()
        body = node.child_by_field_name("body")
        pinned = value_calls(path, d.key) if value_calls is not None else {}
        # in main's own package every statement's headers; in the others, what follows an if that returns
        # without an error (client.Deliver's `if o.Addr == "" { ...; return nil }`) is one way of two
        ways: list[list[Node]] = []
        calls = _calls(src, body, branches=False, loops=True, handed=True, either=ways) if path == main_path else \
            _calls_until_exit(src, body, ways)
        for blocks in ways:
            keyed = tuple(frozenset(k for op, c in _calls(src, b, branches=False, loops=True, handed=True)
                                    if (k := _resolve(path, imports, pinned, op, c))) for b in blocks)
            if len(keyed) > 1 and all(keyed):
                either.append((chain, keyed))
        for op, callee in calls:
            key = _resolve(path, imports, pinned, op, callee)
            if key is None:
                continue
            target, callee = key
            out.setdefault(key, chain)
            if key in seen or len(chain) >= depth:
                continue
            tfiles = pfiles if target == path else package_files(target)
            if tfiles:
                seen.add(key)
                label = callee if target == main_path else f"{target.rsplit('/', 1)[-1]}.{callee}"
                todo.append((target, tfiles, callee, (*chain, label)))
    return EveryRun(out, either, frozenset(read), frozenset(missed))


def _resolve(path: str, imports: Mapping[str, str], pinned: Mapping[str, tuple[str, str]], op: str | None,
             callee: str) -> Key | None:
    """The (package, function or Type.Method) a call in package path names: a function of path, one of an
    imported package, or a method of a value where the typed view pins its type (pinned); None else."""
    target = path if op is None else imports.get(op)
    if target is not None:
        return target, callee
    if op is None or callee not in pinned:
        return None
    target, typ = pinned[callee]
    return target, f"{typ}.{callee}"


def _calls_until_exit(src: bytes, body: Node | None, either: list[list[Node]] | None = None) -> list[Callee]:
    """_calls (without branches, with loops; either as there) of a function body's statements up to the first if
    statement that returns other than with an error (a bare return, nil, a literal, or a last result that
    is one): the statements after it run on one way of two. Returns with an error are failures, not ways
    through."""
    block = body.named_children[0] if body is not None and body.named_children and \
        body.named_children[0].type == "statement_list" else body
    out: list[Callee] = []
    for stmt in block.named_children if block is not None else ():
        out.extend(_calls(src, stmt, branches=False, loops=True, handed=True, either=either))
        if stmt.type == "if_statement" and _returns_without_error(src, stmt):
            break
    return out


def _returns_without_error(src: bytes, node: Node) -> bool:
    """A return statement under node (function literals left out) whose last result is not an error
    value: absent, nil, or a literal."""
    stack = [c for c in node.named_children if c.type in ("block", "if_statement")]
    while stack:
        n = stack.pop()
        if n.type == "func_literal":
            continue
        if n.type == "return_statement":
            results = n.named_children[0].named_children if n.named_children else []
            if not results or results[-1].type in _NOT_ERRORS:
                return True
            continue
        stack.extend(n.named_children)
    return False


# ---------------------------------------------------------------------------------------------------------
# What the rest of the build needs of the guarded files


@dataclass
class Demand:
    """What the rest of a build needs of one package's guarded files.

    names: the package's names it uses; selectors: every `x.name` selected by files that no typed view
    covers (tests, other platforms), where a method or field may be meant; methods / fields: per type of
    the package, what the typed view says is selected or reached through interface conversions;
    startup: names (`F`, `T.M`) called when the program starts -> where; main_path: per main package,
    names called on every run of main -> the chain; main_either: per main package, (chain, ways) where
    one way of several runs on every run and each calls names of the package (EveryRun.either, the ways
    as the names they call); typed: a typed view covered the package and its importers.
    """

    names: set[str] = field(default_factory=set)
    selectors: set[str] = field(default_factory=set)
    methods: dict[str, set[str]] = field(default_factory=dict)
    fields: dict[str, set[str]] = field(default_factory=dict)
    startup: dict[str, str] = field(default_factory=dict)
    main_path: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    main_either: dict[str, list[tuple[tuple[str, ...], tuple[frozenset[str], ...]]]] = field(default_factory=dict)
    typed: bool = False
    untyped_users: list[GoFile] = field(default_factory=list)

    def selected(self, type_name: str, users_naming: Iterable[GoFile]) -> set[str]:
        """Field and method names of type_name the rest selects: exactly from the typed view, by name
        in the files it does not cover."""
        out = set(self.fields.get(type_name, ())) | set(self.methods.get(type_name, ()))
        for u in users_naming:
            if u in self.untyped_users:
                out |= u.selectors()
        return out


def demand(site: str, rest: Sequence[GoFile], importers: Sequence[tuple[GoFile, str]],
           views: Sequence[TypedView | None], skip_files: Iterable[str] = (), edited: Iterable[str] = (),
           every_run: Mapping[str, EveryRun] | None = None) -> Demand:
    """What the rest of the build needs of package site's guarded files.

    rest: the package's other files; importers: (file, the local name it imports site by) of other
    packages; views: the typed views of the targets (None where there is none); skip_files: paths whose
    declarations do not count (the guarded files and their stubs); edited: paths of files changed since
    the typed view was made (read by name); every_run: per target's main package, its every_run_calls.
    """
    out = Demand()
    skipped = set(skip_files)
    changed = set(edited)
    covered: set[str] = set()
    ok = bool(views) and all(v is not None for v in views)
    for view in views:
        if view is None:
            continue
        pkg = view.package(site)
        if pkg is None or not pkg.ok:
            ok = False
        view_files, needs = _view_index(view)
        covered |= view_files - skipped - changed
        for td, kind, owner, name in needs.get(site, ()):
            if td.file in skipped or td.file in changed:
                continue
            if kind == "name":
                out.names.add(name)
            elif kind == "field":
                out.fields.setdefault(owner, set()).add(name)
            elif kind == "method":
                out.methods.setdefault(owner, set()).add(name)
            else:
                out.startup.setdefault(name, f"{td.file}: {decl_label(td.key)}")
    out.typed = ok
    for f in rest:
        if f.path in skipped:
            continue
        out.names |= f.unqualified_names
        if f.path not in covered:
            for d in f.decls:
                if d.kind == "init" or d.side_effects:
                    for op, name in startup_calls(f, d):
                        out.startup.setdefault(name if op is None else f"{op}.{name}",
                                               f"{f.path}: {decl_label(d.key)}")
            out.untyped_users.append(f)
            out.selectors |= f.selectors()
    for f, local in importers:
        out.names |= f.qualified_names.get(local, frozenset())
        if f.path not in covered:
            for d in f.decls:
                if d.kind == "init" or d.side_effects:
                    for op, name in startup_calls(f, d):
                        if op == local:
                            out.startup.setdefault(name, f"{f.path}: {decl_label(d.key)}")
            out.untyped_users.append(f)
            out.selectors |= f.selectors()
    for main_path, run in (every_run or {}).items():
        calls = out.main_path.setdefault(main_path, {})
        for (path, name), chain in run.calls.items():
            if path == site:
                calls.setdefault(name, chain)
        for chain, ways in run.either:
            named = tuple(frozenset(name for path, name in way if path == site) for way in ways)
            if all(named):
                out.main_either.setdefault(main_path, []).append((chain, named))
    return out


_Needs = dict[str | None, list[tuple["TypedDecl", str, str, str]]]
_VIEWS: dict[int, tuple[TypedView, frozenset[str], _Needs]] = {}


def _view_index(view: TypedView) -> tuple[frozenset[str], _Needs]:
    """The files of the declarations of a view's type-checked packages, and per package what those
    declarations need of it (_typed_needs), in the view's order: made once per view, not read whole
    again for each guarded package (node_exporter: 33 reads of 800 declarations each)."""
    hit = _VIEWS.get(id(view))
    if hit is not None and hit[0] is view:
        return hit[1], hit[2]
    files: set[str] = set()
    needs: _Needs = {}
    for p in view:
        if not p.ok:
            continue
        for td in p.decls:
            files.add(td.file)
            for pkg, kind, owner, name in _typed_needs(td):
                needs.setdefault(pkg, []).append((td, kind, owner, name))
    if len(_VIEWS) >= 16:
        _VIEWS.clear()
    _VIEWS[id(view)] = view, frozenset(files), needs
    return frozenset(files), needs


def _typed_needs(d: TypedDecl) -> Iterator[tuple[str | None, str, str, str]]:
    """(package, kind, owner, name) of what a declaration of the typed view needs: a name it uses
    ("name"), a field it selects ("field", owner: its type), a method it selects or an interface
    conversion keeps ("method", owner: its type), a call it makes when the program starts ("startup",
    name `F` or `T.M`)."""
    for o in d.uses_objects:
        yield o.package, "name", "", o.name
    for t, name in d.fields_used():
        if t is not None:
            yield t.package, "field", t.name, name
    for m in d.method_selections:
        if m.type is not None:
            yield m.type.package, "method", m.type.name, m.method
    for c in d.iface_conversions:
        for impl in c.methods:
            if impl.type is not None:
                yield impl.type.package, "method", impl.type.name, impl.method
    if d.runs_at_startup:
        for call in d.startup_calls:
            if call.maybe:
                continue
            if call.kind == "func":
                yield call.package, "startup", "", call.name
            elif call.kind == "method" and call.type is not None and not call.interface:
                yield call.type.package, "startup", "", f"{call.type.name}.{call.name}"


# ---------------------------------------------------------------------------------------------------------
# Stubs


def stub_panics(f: GoFile, d: Decl) -> bool:
    """Whether the stub StubWriter writes for func or method d of f panics: it has results and the last is
    not an error (one without results does nothing; one ending in an error returns it)."""
    sig = decl_syntax(f, d).signature
    return sig is not None and _panics(sig.result_types())


def _panics(results: Sequence[str]) -> bool:
    return bool(results) and results[-1] != "error"


@dataclass
class StubBlock:
    """One declaration of a stub file: its key, text, and the comparable signature."""

    key: str
    name: str
    kind: str
    text: str
    signature: tuple[str, ...] = ()
    params: str = ""
    does_nothing: bool = False  # a func or method without results: its stub returns at once


class StubWriter:
    """Stub declarations for one real file, written from its declarations' syntax.

    heavy: the import paths the slim build drops (a stub may not name them); package_files: every
    file of the package (for the types a zero value needs); taken: names the package declares, which
    the error variable must not reuse; users: the rest of the package and its importers (a dropped
    field they select is refused).
    """

    def __init__(self, real: GoFile, package_files: Sequence[GoFile], heavy: frozenset[str], tag: str,
                 feature: str, taken: set[str], *, package_names: Mapping[str, str] | None = None,
                 message: str = "", err_name: str = "", users: Sequence[GoFile] = (),
                 need: Demand | None = None, fixed: Mapping[str, tuple[str, frozenset[str]]] | None = None) -> None:
        self.real = real
        self.heavy = heavy
        self.tag = tag
        self.feature = feature
        self.users = users
        self.need = need
        self.fixed = dict(fixed or {})  # name -> (stub text, imports): written by the caller (registry helpers)
        names = dict(package_names or {})
        self.locals = {i.local_name(names.get(i.path) or guess_package_name(i.path)): i.path
                       for i in real.imports if i.name not in ("_", ".")}
        self.imports: set[str] = set()
        self.message = message or f"{feature} is not built in: build without -tags {tag}"
        base = err_name or "err" + camel(feature) + "Omitted"
        self.err_var = base
        n = 1
        while self.err_var in taken:
            n += 1
            self.err_var = f"{base}{n}"
        self.uses_err = False
        self.types: dict[str, tuple[GoFile, Decl]] = {}
        for f in package_files:
            for d in f.decls:
                if d.kind in ("type", "alias"):
                    self.types.setdefault(d.name, (f, d))

    def blocks(self, names: set[str], fields: set[str], methods: Mapping[str, set[str]] | None = None
               ) -> list[StubBlock]:
        """The stub blocks the rest of the build needs, in source order, closed over what they name.

        names: the names it uses; fields: selector names that may mean a method (by name, from files no
        typed view covers); methods: per receiver type, the methods the typed view says are selected or
        reached through an interface conversion. A type the stub declares keeps every method it can
        declare (an interface assertion or a type switch elsewhere may need any of them); a method
        whose signature names a dropped package is left out unless it is needed (then refused).
        """
        decls = [d for d in self.real.decls if d.kind != "init" and d.name != "_"]
        own = {d.name for d in decls if d.kind != "method"}
        typed = methods or {}
        chosen: dict[str, StubBlock] = {}
        skipped: set[str] = set()
        todo = True
        wanted = set(names)
        while todo:
            todo = False
            for d in decls:
                if d.key in chosen or d.key in skipped:
                    continue
                needed = True
                if d.kind == "method":
                    recv = d.receiver or ""
                    needed = d.name in fields or d.name in typed.get(recv, ())
                    recv_here = recv in own
                    if recv_here and recv not in {chosen[k].name for k in chosen if chosen[k].kind != "method"}:
                        continue
                    if not needed and not recv_here:
                        continue
                elif d.name not in wanted:
                    continue
                imports, uses_err = set(self.imports), self.uses_err
                try:
                    block = self.block(d)
                except Unguardable:
                    if needed:
                        raise
                    self.imports, self.uses_err = imports, uses_err
                    skipped.add(d.key)
                    continue
                chosen[d.key] = block
                todo = True
                wanted |= set(_IDENT.findall(block.text)) & own
        order = {d.key: i for i, d in enumerate(self.real.decls)}
        out: list[StubBlock] = []
        seen: set[str] = set()
        for b in sorted(chosen.values(), key=lambda b: order[b.key]):
            if b.text not in seen:  # one const group or `var a, b T` declares several names: once
                seen.add(b.text)
                out.append(b)
        return out

    def block(self, d: Decl) -> StubBlock:
        """The stub text of one declaration."""
        if d.name in self.fixed and d.kind == "func":
            text, imports = self.fixed[d.name]
            self.imports |= imports
            return StubBlock(d.key, d.name, d.kind, text)
        try:
            syn = decl_syntax(self.real, d)
        except SourceError as exc:
            raise Unguardable(str(exc)) from exc
        if d.kind in ("func", "method"):
            return self._func(d, syn)
        if d.kind in ("type", "alias"):
            return self._type(d, syn)
        if d.kind == "const":
            return self._const(d, syn)
        return self._var(d, syn)

    def _check(self, d: Decl, part: Syntax | None, what: str) -> None:
        """Refuse when part names a heavy package; note the light ones the stub must import."""
        if part is None:
            return
        for qual in sorted(part.qualifiers):
            path = self.locals.get(qual)
            if path is None:
                continue
            if path in self.heavy:
                raise Unguardable(f"{self.real.path}: {what} of {decl_label(d.key)} names {qual}.* from {path}, "
                                  "which the "
                                  "slim build drops; a stub cannot declare it (move it behind an interface first)")
            self.imports.add(path)

    def _heavy_in(self, part: Syntax | None) -> bool:
        """part names a package the slim build drops."""
        return part is not None and any(self.locals.get(q) in self.heavy for q in part.qualifiers)

    def _func(self, d: Decl, syn: DeclSyntax) -> StubBlock:
        for part, what in ((syn.type_params, "type parameters"), (syn.params, "parameters"),
                           (syn.result, "results"), (syn.receiver, "receiver")):
            self._check(d, part, what)
        sig = syn.signature
        assert sig is not None
        results = sig.result_types()
        if not results:  # nothing to answer: the feature's work is not done (tailscaled's ts_omit_* stubs too)
            doc = f"// {d.name} does nothing: the {self.feature} feature is not built in."
            return StubBlock(d.key, d.name, d.kind, f"{doc}\n{sig.head} {{}}", sig.key(), sig.params_text, True)
        if not _panics(results):
            zeros = [self._zero(t) for t in results[:-1]]
            body = "return " + ", ".join([*zeros, self.err_var])
            doc = f"// {d.name} always fails: the {self.feature} feature is not built in."
        else:
            body = f"panic({self.err_var})"
            doc = f"// {d.name} panics: the {self.feature} feature is not built in."
        self.uses_err = True
        text = f"{doc}\n{sig.head} {{\n\t{body}\n}}"
        return StubBlock(d.key, d.name, d.kind, text, sig.key(), sig.params_text)

    def _type(self, d: Decl, syn: DeclSyntax) -> StubBlock:
        doc = _doc(self.real.src, d)
        if not self._heavy_in(syn.whole):
            self._check(d, syn.whole, "the definition")
            return StubBlock(d.key, d.name, d.kind, f"{doc}type {syn.whole.text}")
        head = f"type {d.name}{syn.type_params.text if syn.type_params else ''}"
        empty = StubBlock(d.key, d.name, "type", f"// {d.name} stands in for the real type, which needs packages "
                          f"the slim build drops.\n{head} struct{{}}")
        if syn.type_kind == "interface_type" and syn.elements:
            return self._interface(d, syn.elements, head)
        if syn.type_kind != "struct_type" or not syn.fields:
            return empty
        # A struct keeps the fields the slim build can declare; the rest of the build may use those
        # (caddy's Metrics.init), never the others.
        kept: list[str] = []
        dropped: list[str] = []
        for f in syn.fields:
            if any(self.locals.get(q) in self.heavy for q in f.qualifiers):
                dropped += list(f.names) or _IDENT.findall(f.type.text)[-1:]
                continue
            self._check(d, Syntax(f.text, f.qualifiers), "a field")
            kept.append(f.text)
        used = sorted(n for n in dropped if n in self._selected(d.name))
        if used:
            raise Unguardable(f"{self.real.path}: the field {d.name}.{used[0]} has a type from a package the slim "
                              "build drops, and the rest of the build selects that name; move it behind an "
                              "interface first")
        if not kept:
            return empty
        text = (f"// {d.name} stands in for the real type, without the fields whose types the slim build "
                f"drops ({', '.join(dropped)}).\n{head} struct {{\n" + "".join(f"\t{k}\n" for k in kept) + "}")
        return StubBlock(d.key, d.name, "type", text)

    def _interface(self, d: Decl, elements: Sequence[StructField], head: str) -> StubBlock:
        """An interface keeps the methods whose signatures the slim build can declare: the rest of the
        build may call those through a field or a value of the type (distribution's proxy calls
        authChallenger.tryEstablishChallenges), never the others."""
        kept: list[StructField] = []
        dropped: list[str] = []
        embedded_dropped = False
        for el in elements:
            if self._heavy_in(el.type):
                dropped += el.names or _IDENT.findall(el.text)[-1:]
                embedded_dropped |= not el.names
                continue
            self._check(d, el.type, "a method" if el.names else "an embedded type")
            kept.append(el)
        if not dropped:
            return StubBlock(d.key, d.name, "type", f"{_doc(self.real.src, d)}{head} interface {{\n"
                             + "".join(f"\t{el.text}\n" for el in kept) + "}")
        selected = self._selected(d.name)
        used = sorted(n for n in dropped if n in selected)
        if embedded_dropped:  # the methods an embedded interface brings are not known here
            used += sorted(selected - {n for el in kept for n in el.names})
        if used:
            raise Unguardable(f"{self.real.path}: {d.name}.{used[0]} is a method whose signature names a package "
                              "the slim build drops, and the rest of the build selects that name; move it behind "
                              "an interface first")
        text = (f"// {d.name} stands in for the real interface, without the methods whose signatures name "
                f"packages the slim build drops ({', '.join(dropped)}).\n{head} interface {{\n"
                + "".join(f"\t{el.text}\n" for el in kept) + "}")
        return StubBlock(d.key, d.name, "type", text)

    def _selected(self, type_name: str) -> set[str]:
        """The field and method names of type_name the rest of the build selects."""
        spelled = type_name.encode()
        users = [u for u in self.users if spelled in u.words]
        if self.need is not None:
            return self.need.selected(type_name, users)
        return set().union(*(u.selectors() for u in users))

    def _const(self, d: Decl, syn: DeclSyntax) -> StubBlock:
        src = self.real.src
        if d.group_start is not None and d.group_end is not None:
            text = src[d.group_start:d.group_end].decode()
            scope = syn.group  # the group's specs share iota and values
        else:
            text = src[d.start:d.end].decode()
            scope = syn.whole
        self._check(d, scope, "the value")
        return StubBlock(d.key, d.name, "const", text)

    def _var(self, d: Decl, syn: DeclSyntax) -> StubBlock:
        names = ", ".join(syn.names)
        doc = _doc(self.real.src, d)
        if syn.type is not None:
            self._check(d, syn.type, "the type")
            return StubBlock(d.key, d.name, "var", f"{doc}var {names} {syn.type.text}")
        if syn.value_literal is not None:
            return StubBlock(d.key, d.name, "var", f"{doc}var {names} = {syn.value_literal.text}")
        if syn.value_composite is not None:
            self._check(d, syn.value_composite, "the type")
            if syn.value is not None and not self._heavy_in(syn.value) and not syn.value_calls:
                # the initializer too (a sync.Pool's New): code still built may rely on it
                self._check(d, syn.value, "the value")
                return StubBlock(d.key, d.name, "var", f"{doc}var {names} = {syn.value.text}")
            star = "*" if syn.value_address else ""
            return StubBlock(d.key, d.name, "var", f"{doc}var {names} {star}{syn.value_composite.text}")
        if syn.value_func is not None:  # `var hook = func(a A) error {...}`: its type is the literal's signature
            self._check(d, syn.value_func, "the type")
            return StubBlock(d.key, d.name, "var", f"{doc}var {names} {syn.value_func.text}")
        if syn.value is not None and len(syn.names) == 1 and self._std_value(d):
            # `var ErrX = errors.New("...")`, `var re = regexp.MustCompile(...)`: the same value in the stub, so
            # code still built that compares with it or uses it behaves the same (gotify's plugin manager)
            self._check(d, syn.value, "the value")
            return StubBlock(d.key, d.name, "var", f"{doc}var {names} = {syn.value.text}")
        raise Unguardable(f"{self.real.path}: the type of var {d.name} is not written out; give it an explicit "
                          "type so a stub can declare it")

    def _std_value(self, d: Decl) -> bool:
        """d's initializer names only the standard library's packages the slim build keeps (no name of its
        own package, which the stub build may not declare)."""
        quals = [self.locals.get(r.qualifier) for r in d.refs if r.qualifier is not None]
        return bool(quals) and all(r.qualifier is not None for r in d.refs) and all(
            q is not None and q not in self.heavy and "." not in q.split("/", 1)[0] for q in quals)

    def _zero(self, t: str, depth: int = 0) -> str:
        t = " ".join(t.split())
        if t in _NUMERIC:
            return "0"
        if t == "string":
            return '""'
        if t == "bool":
            return "false"
        if t in ("error", "any") or t.startswith(_NIL_PREFIXES):
            return "nil"
        if t.startswith(("[", "struct{", "struct {")):
            return t + "{}"
        base = t.split("[", 1)[0]
        found = self.types.get(base)
        if found is not None and depth < 4:
            f, d = found
            if d.type_kind == "struct_type":
                return t + "{}"
            try:
                under = decl_syntax(f, d).type
            except SourceError as exc:
                raise Unguardable(str(exc)) from exc
            zero = self._zero(under.text, depth + 1) if under is not None else ""
            if zero in ("0", '""', "false", "nil"):
                return zero
        return f"*new({t})"

    def render(self, blocks: Sequence[StubBlock]) -> bytes:
        """The new stub file: the real file's constraint AND the tag, a comment, imports, the blocks."""
        imports = set(self.imports)
        if self.uses_err:
            imports.add("errors")
        specs = []
        for path in sorted(imports):
            local = next((k for k, v in self.locals.items() if v == path), None)
            alias = local if local and local != guess_package_name(path) else None
            specs.append(f'{alias + " " if alias else ""}"{path}"')
        if any(_EMBED.search(b.text) for b in blocks):
            specs.append('_ "embed"')  # a copied //go:embed directive needs it
            specs.sort(key=lambda spec: spec.split('"')[1])
        expr = build_expr(self.real)
        tag: BuildExpr = ("tag", self.tag)
        constraint = format_build_expr(tag if expr is None else ("and", expr, tag))
        heavy = sorted(p for p in self.heavy if p in {i.path for i in self.real.imports})
        real_file = os.path.basename(self.real.path)
        intro = textwrap.wrap(
            f"This file stands in for {real_file} in builds with -tags {self.tag}, which leave out the "
            f"{self.feature} feature and, with it, {', '.join(heavy)}. It declares only what the rest of package "
            f"{self.real.package} uses from {real_file}; build without the tag for the real thing.", width=96,
            break_long_words=False, break_on_hyphens=False)
        text = _environment().get_template("guard_stub.go.j2").render(
            constraint=constraint, intro=intro, package=self.real.package, imports=specs,
            err_var=self.err_var if self.uses_err else "", message=go_quote(self.message)[1:-1],
            blocks=[b.text for b in blocks],
        )
        return text.encode()


def repair_stub(stub: GoFile, gen: StubWriter, blocks: Sequence[StubBlock], tag: str, notes: list[str]) -> bytes:
    """The existing stub with the tag OR-ed in; drifted signatures fixed, missing declarations added.

    A func or method whose parameters drifted gets the real file's parameters (its body is kept); one
    whose results or receiver drifted is written again from the real file's signature. What the new
    text needs (the feature's error, imports) is added to the stub.
    """
    src = or_term(stub, tag)
    fixed = parse_file(stub.path, src)
    have = {d.key: d for d in fixed.decls}
    # the stub's own error (`var errNoProbe = errors.New(...)`) serves its other builds too: rewritten
    # functions return it rather than one that names the tag
    own_err = next((d.name for d in fixed.decls if d.kind == "var" and re.search(
        r"=\s*(errors\.New|fmt\.Errorf)\(", fixed.src[d.spec_start:d.spec_end].decode("utf-8", "replace"))), None)
    err_ref = re.compile(rf"\b{re.escape(gen.err_var)}\b")
    edits: list[tuple[int, int, str]] = []
    missing: list[StubBlock] = []
    rewritten = False
    for b in blocks:
        d = have.get(b.key)
        if d is None:
            missing.append(b)
            continue
        if b.kind not in ("func", "method"):
            continue
        try:
            full = decl_syntax(fixed, d).signature
        except SourceError as exc:
            raise Unguardable(str(exc)) from exc
        assert full is not None
        sig = full.key()
        if sig == b.signature:
            continue
        if sig[:2] != b.signature[:2] or sig[3] != b.signature[3]:
            body = "\n".join(ln for ln in b.text.split("\n") if not ln.startswith("//"))  # its doc stays
            edits.append((d.spec_start, d.spec_end, err_ref.sub(own_err, body) if own_err else body))
            rewritten = True
            notes.append(f"{stub.path}: {decl_label(d.key)} had drifted from {gen.real.path} ({_sig_text(sig)} vs "
                         f"{_sig_text(b.signature)}); it is written again from the real signature.")
            continue
        edits.append((*full.params_range, b.params))
        notes.append(f"{stub.path}: {decl_label(d.key)} had drifted from {gen.real.path}; its parameters become "
                     f"{b.params}.")
    for s, e, new in sorted(edits, reverse=True):
        src = src[:s] + new.encode() + src[e:]
    if missing:
        names = ", ".join(b.key for b in missing)
        notes.append(f"{stub.path} lacked {names}; added.")
        src = src.rstrip(b"\n") + b"\n" + "".join("\n" + b.text + "\n" for b in missing).encode()
    if missing or rewritten:
        text = src.decode("utf-8", "replace")
        if gen.uses_err and err_ref.search(text) and not re.search(rf"\b{re.escape(gen.err_var)}\s*=", text):
            src = src.rstrip(b"\n") + f"\n\nvar {gen.err_var} = errors.New({go_quote(gen.message)})\n".encode()
        needs = sorted(gen.imports | ({"errors"} if gen.uses_err else set()))
        for path in needs:
            f = parse_file(stub.path, src)
            local = next((k for k, v in gen.locals.items() if v == path), None)
            alias = local if local and local != guess_package_name(path) else None
            more, _ = add_import(f, path, alias)
            src = apply_edits(src, more)
    return src


def check_stub(stub: GoFile, package_files: Sequence[GoFile]) -> bytes:
    """A stub's source with the imports it does not use dropped, after checking that every name it uses
    is declared by it, by package_files (the package's files the slim build compiles with it), an
    import, or the universe; Unguardable, naming the first unknown name, otherwise.

    The check before a stub is proposed; go builds it for real when the candidate is verified.
    """
    if stub.errors:
        raise Unguardable(f"{stub.path}: the generated stub does not parse ({stub.errors[0]})")
    declared = {d.name for f in (stub, *package_files) for d in f.decls}
    imported = {i.local_name(guess_package_name(i.path)) for i in stub.imports if i.name not in ("_", ".")}
    for d in stub.decls:
        for r in sorted(d.refs, key=lambda r: (r.qualifier or "", r.name)):
            if r.qualifier is None and r.name not in declared and r.name not in d.literal_keys:
                # (a key of a composite literal of another package's type may name a field)
                raise Unguardable(f"{stub.path}: the stub would use {r.name} ({decl_label(d.key)}), which only the "
                                  "guarded file "
                                  "declares; it could not be built with the tag")
            if r.qualifier is not None and r.qualifier not in imported:
                raise Unguardable(f"{stub.path}: the stub would use {r.qualifier}.{r.name} without importing it "
                                  f"({decl_label(d.key)})")
    src = apply_edits(stub.src, remove_unused_imports(stub))
    if _EMBED.search(src.decode("utf-8", "replace")) and not any(i.path == "embed" for i in stub.imports):
        raise Unguardable(f"{stub.path}: the stub copies a //go:embed directive but does not import embed")
    return src


# ---------------------------------------------------------------------------------------------------------
# Registries: a stub must never leave a nil (or a failing function) in a table of commands or handlers


@dataclass
class Registrations:
    """What moving the registrations of a guarded file's declarations changed.

    files: the registry files' new sources by path; real: the guarded file's new source (helpers and
    init functions added); stubs: stub text of each helper the rest now calls (name -> (text, imports));
    moved: one line per registration moved, for the explanation.
    """

    files: dict[str, bytes] = field(default_factory=dict)
    real: bytes = b""
    stubs: dict[str, tuple[str, frozenset[str]]] = field(default_factory=dict)
    moved: list[str] = field(default_factory=list)


def _snippet(text: str, width: int = 72) -> str:
    """Code quoted in a one-line message: its first line, cut at width, with … where more follows."""
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first[:width] + ("…" if len(first) > width or "\n" in text.strip() else "")


def _locals(src: bytes, node: Node) -> set[str]:
    """The names a function declares inside node: parameters and receivers, `:=`, var and range
    variables (nats-server's local msgId is not its type msgId)."""
    out: set[str] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type in ("parameter_declaration", "variadic_parameter_declaration", "var_spec", "const_spec"):
            out.update(node_text(src, c) for c in n.children_by_field_name("name"))
        elif n.type in ("short_var_declaration", "range_clause"):
            left = n.child_by_field_name("left")
            out.update(node_text(src, c) for c in (left.named_children if left is not None else ())
                       if c.type == "identifier")
        stack.extend(n.named_children)
    return out


def _idents(src: bytes, node: Node) -> set[str]:
    """The names node refers to: identifiers, but not the field names keying a struct literal's elements
    (`invalidListener{err: errDeprecated}` uses errDeprecated, not a variable err); of a qualified type
    (`*cobra.Command`) the package's name, which an import declares."""
    out: set[str] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type in ("identifier", "type_identifier"):
            out.add(node_text(src, n))
        if n.type == "qualified_type":  # `cobra.Command`: the package (an import), not a name of this one
            pkg = n.child_by_field_name("package")
            if pkg is not None:
                out.add(node_text(src, pkg))
            continue
        children = n.named_children
        if n.type == "keyed_element" and children and _field_key(children[0]):
            children = children[1:]
        stack.extend(children)
    return out


def _field_key(key: Node) -> bool:
    """Whether a keyed element's key is a field name: a lone identifier in a literal whose type is not
    a map (a map's key may be a variable; a struct's, or an elided type's in a slice of structs, is a
    field)."""
    ident = key.named_children[0] if key.type == "literal_element" and key.named_child_count == 1 else key
    if ident.type not in ("identifier", "field_identifier"):
        return False
    lit = key.parent
    while lit is not None and lit.type != "composite_literal":
        lit = lit.parent
    typ = lit.child_by_field_name("type") if lit is not None else None
    return typ is None or typ.type != "map_type"


def _registered_idents(src: bytes, stmt: Node) -> set[str]:
    """The names a statement of an init passes along: an assignment into a registry (`listeners["kcp"] =
    invalidListener{...}`) writes into the map, it does not register it."""
    if stmt.type != "assignment_statement":
        return _idents(src, stmt)
    out = _idents(src, stmt.child_by_field_name("right") or stmt)
    for target in (stmt.child_by_field_name("left") or stmt).named_children:
        if target.type == "index_expression" and (base := target.child_by_field_name("operand")) is not None:
            out |= _idents(src, target) - ({node_text(src, base)} if base.type == "identifier" else set())
        else:
            out |= _idents(src, target)
    return out


def _line_bounds(src: bytes, start: int, end: int) -> tuple[int, int] | None:
    """[line start, next line start) around [start, end) with the element's comma and a trailing comment,
    when nothing else shares those lines; None otherwise."""
    ls = src.rfind(b"\n", 0, start) + 1
    if src[ls:start].strip():
        return None
    le = src.find(b"\n", end)
    le = len(src) if le < 0 else le
    tail = src[end:le].strip()
    if tail not in (b"", b",") and not tail.lstrip(b",").strip().startswith(b"//"):
        return None
    return ls, min(le + 1, len(src))


def move_registrations(real: GoFile, files: Sequence[GoFile], feature: str, tag: str, taken: set[str]
                       ) -> Registrations:
    """Move what registers real's declarations in the rest of its package into real itself, so that the
    slim build lacks the entries instead of holding a stub's nil or failing function:

    - an element of a slice literal (`[]*command{versionCmd, serveCmd, echoCmd}`) is returned by a
      helper that real declares and its stub declares returning nil; the literal appends what the
      helper returns at the element's place, so the full build keeps its order;
    - an entry of a package-level map variable's literal moves into an init function of real;
    - a call or assignment statement of an init function that passes one of real's declarations along
      (`register(pingHook)`, `hooks = append(hooks, func() error { return Ping() })`) moves into an init
      function of real.

    files: the other files of real's package (tests left out). Unguardable when a registration cannot
    move (it uses local variables, a map built inside a function, an array literal, a map read while the
    package initializes). A file built under other constraints than real's (its //go:build line, its
    _GOOS/_GOARCH name) keeps its registrations: moved into real, they would run on other platforms
    (tailscale's peerapi_macios_ext.go named a function only macOS builds declare); the stub declares
    what they use.
    """
    mover = _Mover(real, files, feature, tag, taken)
    if mover.names:
        built_as = _built_as(real)
        for f in files:
            if _built_as(f) == built_as:
                mover.file(f)
    return mover.result()


def _built_as(f: GoFile) -> tuple[BuildExpr | None, str]:
    """What decides the builds a file is in: its build constraint and its file name's platform suffix."""
    return build_expr(f), name_suffix(os.path.basename(f.path))


class _Mover:
    """The state of move_registrations: helpers and init lines for real, edits per registry file."""

    def __init__(self, real: GoFile, files: Sequence[GoFile], feature: str, tag: str, taken: set[str]) -> None:
        self.real = real
        self.files = files
        self.feature = feature
        self.tag = tag
        self.taken = taken
        self.names = {d.name for d in real.decls if d.kind in ("func", "var", "type") and d.name != "_"}
        self.package_names = {d.name for f in (real, *files) for d in f.decls} | set(UNIVERSE)
        self.helpers: list[str] = []
        self.inits: list[str] = []
        self.need_imports: dict[str, str | None] = {}  # path -> import name, for real
        self.out = Registrations(real=real.src)

    def usable(self, f: GoFile, node: Node, where: str) -> None:
        """Refuse a registration that uses local names (it could not move); note the imports it needs."""
        imports = {i.local_name(guess_package_name(i.path)): i for i in f.imports if i.name not in ("_", ".")}
        inner = _locals(f.src, node)  # (a function literal's parameters go with it: caddy's `func(cmd *cobra.Command)`)
        for ident in sorted(_idents(f.src, node) - inner):
            if ident in imports:
                self.need_imports[imports[ident].path] = imports[ident].name
            elif ident not in self.package_names:
                code = _snippet(node_text(f.src, node))
                raise Unguardable(f"{f.path}: {where} names {self.feature} code in `{code}`, which uses {ident}, "
                                  "not a package-level name, so it cannot move into "
                                  f"{os.path.basename(self.real.path)}: move it there by hand first")

    def file(self, f: GoFile) -> None:
        src = f.src
        edits: list[tuple[int, int, bytes]] = []
        for d in f.decls:
            if d.kind not in ("var", "func", "method", "init"):
                continue
            if self.names.isdisjoint(d.unqualified):
                continue
            node, literals = _composite_literals_of(src, d.spec_start, d.spec_end)  # (one tree's nodes)
            for lit in literals:
                edits += self.literal(f, d, node, lit)
            if d.kind == "init":
                edits += self.init(f, d, node)
        if edits:
            new = src
            for s_, e_, t_ in sorted(edits, reverse=True):
                new = new[:s_] + t_ + new[e_:]
            self.out.files[f.path] = new

    def literal(self, f: GoFile, d: Decl, spec: Node, lit: Node) -> list[tuple[int, int, bytes]]:
        src = f.src
        typ = lit.child_by_field_name("type")
        body = lit.child_by_field_name("body")
        if typ is None or body is None:
            return []
        elems = [c for c in body.named_children if c.type in ("literal_element", "keyed_element")]
        local = _locals(src, spec) if d.kind in ("func", "method", "init") else set()
        hit = [e for e in elems if (_idents(src, e) - local) & self.names]
        if not hit:
            return []
        lt = node_text(src, typ)
        real = os.path.basename(self.real.path)
        if typ.type == "slice_type":
            if any(e.type == "keyed_element" for e in elems):
                raise Unguardable(f"{f.path}: {decl_label(d.key)} has a keyed slice literal registering "
                                  f"{self.feature} code")
            idx = [elems.index(e) for e in hit]
            if idx != list(range(idx[0], idx[-1] + 1)):
                raise Unguardable(f"{f.path}: {decl_label(d.key)} registers {self.feature} code at several places "
                                  "of one "
                                  "literal; group those entries first")
            for e in hit:
                self.usable(f, e, d.key)
            self.usable(f, typ, d.key)
            helper = _free_name(f"{_lower_camel(self.feature)}{_upper_first(d.name)}", self.taken)
            self.taken.add(helper)
            entries = ", ".join(node_text(src, e) for e in hit)
            self.helpers.append(f"// {helper} returns the entries of {d.name} that the {self.feature} feature "
                                f"adds;\n// builds with -tags {self.tag} have none.\nfunc {helper}() {lt} {{\n"
                                f"\treturn {lt}{{{entries}}}\n}}")
            imports = {i.local_name(guess_package_name(i.path)): i.path for i in f.imports}
            self.out.stubs[helper] = (f"// {helper} adds nothing: the {self.feature} feature is not built in.\n"
                                      f"func {helper}() {lt} {{\n\treturn nil\n}}",
                                      frozenset(imports[q] for q in _idents(src, typ) if q in imports))
            self.out.moved.append(f"{f.path}: {entries} in {d.name} now come{'s' if len(hit) == 1 else ''} from "
                                  f"{helper} in {real}, which the slim build stubs to return none")
            return [(lit.start_byte, lit.end_byte,
                     _split_literal(src, lit, lt, elems, idx[0], idx[-1], helper).encode())]
        if typ.type != "map_type":
            raise Unguardable(f"{f.path}: {decl_label(d.key)} registers {self.feature} code in a "
                              f"{typ.type.replace('_', ' ')} literal; only slices and package-level maps are moved")
        if d.kind != "var" or not _is_value_of(lit, spec):
            raise Unguardable(f"{f.path}: {decl_label(d.key)} builds a map that registers {self.feature} code; "
                              "make it a "
                              "package-level variable first")
        readers = [g.key for h in (self.real, *self.files) for g in h.decls if g.key != d.key and g.kind == "var"
                   and any(r.qualifier is None and r.name == d.name for r in g.refs)]
        if readers:
            raise Unguardable(f"{f.path}: {d.name} registers {self.feature} code and is read while the package "
                              f"initializes ({readers[0]}): an init function could not add the entry in time")
        edits = []
        keys = []
        for e in hit:
            self.usable(f, e, d.key)
            key = e.child_by_field_name("key")
            value = e.child_by_field_name("value")
            if key is None or value is None:
                raise Unguardable(f"{f.path}: {decl_label(d.key)} has an entry without a key")
            keys.append(node_text(src, key))
            self.inits.append(f"\t{d.name}[{node_text(src, key)}] = {node_text(src, value)}")
            edits.append(_element_removal(src, e))
        self.out.moved.append(f"{f.path}: the {', '.join(keys)} entr{'y' if len(hit) == 1 else 'ies'} of {d.name} "
                              f"move{'s' if len(hit) == 1 else ''} to an init function of {real}")
        return edits

    def init(self, f: GoFile, d: Decl, node: Node) -> list[tuple[int, int, bytes]]:
        src = f.src
        body = node.child_by_field_name("body")
        stmts = [s for lst in (body.named_children if body is not None else []) if lst.type == "statement_list"
                 for s in lst.named_children]
        inside = _composite_literals(node)
        # a statement that passes one of real's declarations along registers it; one that calls it runs
        # the feature at startup (left for the startup check to refuse)
        moved = [s for s in stmts if _registered_idents(src, s) & self.names
                 and not any(s.start_byte <= lit.start_byte < s.end_byte for lit in inside)
                 and not any(op is None and name in self.names for op, name in _calls(src, s, branches=True))]
        edits: list[tuple[int, int, bytes]] = []
        for s in moved:
            if s.type not in ("expression_statement", "assignment_statement"):
                raise Unguardable(f"{f.path}: an init function uses {self.feature} code in "
                                  f"`{_snippet(node_text(src, s))}`, which is neither a call nor an assignment")
            self.usable(f, s, "an init function")
            self.inits.append("\t" + node_text(src, s))
            rng = _line_bounds(src, s.start_byte, s.end_byte) or (s.start_byte, s.end_byte)
            edits.append((rng[0], rng[1], b""))
            later = [x for x in stmts if x.start_byte > s.end_byte and x not in moved]
            note = " (what follows it in that init function now runs before it)" if later else ""
            self.out.moved.append(f"{f.path}: `{_snippet(node_text(src, s))}` moves to an init function of "
                                  f"{os.path.basename(self.real.path)}{note}")
        if moved and len(moved) == len(stmts):  # nothing left: the init function goes
            rng = _line_bounds(src, d.start, d.end) or (d.start, d.end)
            return [(rng[0], rng[1], b"")]
        return edits

    def result(self) -> Registrations:
        if not self.helpers and not self.inits:
            return self.out
        add = "".join(f"\n{h}\n" for h in self.helpers)
        if self.inits:
            add += "\nfunc init() {\n" + "\n".join(self.inits) + "\n}\n"
        src = self.real.src.rstrip(b"\n") + b"\n" + add.encode()
        for path, alias in sorted(self.need_imports.items()):
            f = parse_file(self.real.path, src)
            if any(i.path == path for i in f.imports):
                continue
            more, _ = add_import(f, path, alias if alias not in (None, guess_package_name(path)) else None)
            src = apply_edits(src, more)
        self.out.real = src
        return self.out


@lru_cache(maxsize=4096)
def _composite_literals_of(src: bytes, start: int, end: int) -> tuple[Node, tuple[Node, ...]]:
    """The declaration spec at src[start:end] and its _composite_literals, nodes of one tree (remembered:
    guard looks for the registrations of each feature in the same files)."""
    node = node_at(src, start, end)
    return node, tuple(_composite_literals(node))


def _composite_literals(node: Node) -> list[Node]:
    """The outermost slice, array and map literals inside node (found inside struct literals too: a
    registry's elements move whole)."""
    out: list[Node] = []
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type == "composite_literal":
            typ = n.child_by_field_name("type")
            if typ is not None and typ.type in ("slice_type", "array_type", "implicit_length_array_type",
                                                "map_type"):
                out.append(n)
                continue
        stack.extend(n.named_children)
    return sorted(out, key=lambda n: n.start_byte)


def _is_value_of(lit: Node, spec: Node) -> bool:
    value = spec.child_by_field_name("value")
    return value is not None and value.named_child_count == 1 and value.named_children[0] == lit


def _element_removal(src: bytes, e: Node) -> tuple[int, int, bytes]:
    rng = _line_bounds(src, e.start_byte, e.end_byte)
    if rng is not None:
        return rng[0], rng[1], b""
    end = e.end_byte
    while end < len(src) and src[end:end + 1] in (b" ", b"\t"):
        end += 1
    if src[end:end + 1] == b",":
        end += 1
        while end < len(src) and src[end:end + 1] == b" ":
            end += 1
    return e.start_byte, end, b""


def _split_literal(src: bytes, lit: Node, lt: str, elems: Sequence[Node], first: int, last: int, helper: str) -> str:
    """The slice literal with elems[first..last] replaced by what helper() returns, in place."""
    before = elems[:first]
    after = elems[last + 1:]
    multi = b"\n" in src[lit.start_byte:lit.end_byte]

    def literal(items: Sequence[Node]) -> str:
        if not multi:
            return f"{lt}{{{', '.join(node_text(src, e) for e in items)}}}"
        a = _line_bounds(src, items[0].start_byte, items[0].end_byte)
        b = _line_bounds(src, items[-1].start_byte, items[-1].end_byte)
        if a is None or b is None:
            return f"{lt}{{\n" + "".join(f"\t{node_text(src, e)},\n" for e in items) + "}"
        return f"{lt}{{\n" + src[a[0]:b[1]].decode("utf-8", "replace") + "}"

    call = f"{helper}()"
    if not before and not after:
        return call
    if not before:
        return f"append({call}, {literal(after)}...)"
    if not after:
        return f"append({literal(before)}, {call}...)"
    return f"append(append({literal(before)}, {call}...), {literal(after)}...)"


def _free_name(name: str, taken: set[str]) -> str:
    out, n = name, 1
    while out in taken:
        n += 1
        out = f"{name}{n}"
    return out


def _lower_camel(name: str) -> str:
    c = camel(name)
    return c[:1].lower() + c[1:] if not c.isupper() else c.lower()


def _upper_first(name: str) -> str:
    return name[:1].upper() + name[1:]


# ---------------------------------------------------------------------------------------------------------
# Decoupling: the rest of a build often imports a heavy package only for an enum type and its constants
# (generated RPC code: a flag's value mapped to the enum, a field of the enum's type in an options struct
# every build needs). A mirror of those value declarations in the module lets the guard cut the edge.

_BASIC = frozenset(("bool", "string", "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16",
                    "uint32", "uint64", "uintptr", "byte", "rune", "float32", "float64"))


@dataclass(frozen=True)
class Mirrored:
    """One declaration of a heavy package that a mirror can copy: name, kind, the text to copy (a const's
    whole group), the names it needs, and for a type its methods (mirrorable ones' texts, others' names)."""

    name: str
    kind: str
    text: str
    needs: frozenset[str] = frozenset()
    methods: tuple[tuple[str, str], ...] = ()  # (name, text) of the methods a mirror copies
    other_methods: frozenset[str] = frozenset()  # methods it cannot copy (they need the heavy code)


def mirror_table(files: Sequence[GoFile]) -> dict[str, Mirrored]:
    """The declarations of a package (its files) that a mirror can copy verbatim: types whose underlying
    type is basic, const groups and map or slice literals built only from those and literals, and the
    methods of those types that use nothing else. Nothing that names another package."""
    decls = [(f, d) for f in files if not f.path.endswith("_test.go") for d in f.decls]
    types = {d.name: (f, d) for f, d in decls if d.kind == "type" and _basic_type(f, d)}
    out: dict[str, Mirrored] = {}
    for name, (f, d) in types.items():
        out[name] = Mirrored(name, "type", f"{_doc(f.src, d)}type {decl_syntax(f, d).whole.text}")
    changed = True
    while changed:  # consts and vars may need each other: grow to a fixpoint
        changed = False
        for f, d in decls:
            if d.name in out or d.kind not in ("const", "var") or d.name == "_":
                continue
            scope = [g for g in f.decls if d.group_start is not None and g.group_start == d.group_start] \
                if d.kind == "const" else [d]
            if any(r.qualifier is not None for g in scope for r in g.refs):
                continue
            needs = {r.name for g in scope for r in g.refs} - {g.name for g in scope}
            if not needs <= set(out):
                continue
            if d.kind == "var":
                syn = decl_syntax(f, d)
                if len(syn.names) != 1 or syn.value_composite is None or syn.value_calls or syn.value_address \
                        or not syn.value_composite.text.startswith(("map[", "[]")):
                    continue
                text = f"{_doc(f.src, d)}var {syn.whole.text}"
            elif d.group_start is not None and d.group_end is not None:
                text = f.src[d.group_start:d.group_end].decode()
            else:
                text = f.src[d.start:d.end].decode()
            out[d.name] = Mirrored(d.name, d.kind, text, frozenset(needs))
            changed = True
    for name, m in list(out.items()):
        if m.kind != "type":
            continue
        copied: list[tuple[str, str]] = []
        other: set[str] = set()
        method_needs: set[str] = set()
        for f, d in decls:
            if d.kind != "method" or d.receiver != name:
                continue
            refs = {r.name for r in d.refs if r.qualifier is None} - {name}
            if any(r.qualifier is not None for r in d.refs) or not refs <= set(out):
                other.add(d.name)
            else:
                copied.append((d.name, f.src[d.start:d.end].decode()))
                method_needs |= refs  # a copied String method needs the name map it reads
        out[name] = Mirrored(name, "type", m.text, frozenset(method_needs), tuple(copied), frozenset(other))
    return out


def _basic_type(f: GoFile, d: Decl) -> bool:
    try:
        syn = decl_syntax(f, d)
    except SourceError:
        return False
    return syn.type is not None and syn.type_kind == "type_identifier" and syn.type.text in _BASIC \
        and syn.type_params is None


def mirror_closure(table: Mapping[str, Mirrored], names: Iterable[str]) -> list[Mirrored]:
    """The mirrored declarations names need, dependencies included, once each (a const group once)."""
    want: list[str] = []
    todo = list(names)
    while todo:
        n = todo.pop()
        if n in want or n not in table:
            continue
        want.append(n)
        todo.extend(table[n].needs)
    seen: set[str] = set()
    out = []
    for n in sorted(want, key=lambda n: (table[n].kind != "type", n)):
        m = table[n]
        if m.text not in seen:
            seen.add(m.text)
            out.append(m)
    return out


def decouplable(f: GoFile, local: str, table: Mapping[str, Mirrored], converted: Iterable[str] = ()) -> bool:
    """f uses the package it imports as local only for declarations a mirror can copy, selects none of
    their methods that a mirror cannot copy, and (converted: types the typed view saw converted to an
    interface in f) does not hand such a type to an interface (fmt would print it differently)."""
    used = {r.name for d in f.decls for r in d.refs if r.qualifier == local}
    if not used or not used <= set(table):
        return False
    lacking = set().union(*(table[n].other_methods for n in used if table[n].kind == "type"))
    if lacking & f.selectors():
        return False
    return not (set(converted) & {n for n in used if table[n].other_methods})


def mirror_file(package: str, source: str, mirrored: Sequence[Mirrored], feature_files: Sequence[str]) -> bytes:
    """A file of package that mirrors source's declarations (types with their copyable methods)."""
    parts = []
    for m in mirrored:
        parts.append(m.text)
        parts.extend(text for _, text in m.methods)
    names = ", ".join(m.name for m in mirrored if m.kind == "type") or ", ".join(m.name for m in mirrored)
    intro = textwrap.wrap(
        f"These declarations mirror {source}'s {names}, so that the rest of the build needs nothing of "
        f"{source} for them; {', '.join(feature_files)} convert{'s' if len(feature_files) == 1 else ''} "
        f"between the two where {source} is called.", width=96, break_long_words=False, break_on_hyphens=False)
    head = "".join(f"// {line}\n" for line in intro)
    return (f"{head}\npackage {package}\n\n" + "\n\n".join(parts) + "\n").encode()


def convert_fields(f: GoFile, fields: Iterable[str], conversion: str) -> bytes:
    """f's source with every read of a selector `x.F` (F in fields) wrapped as conversion(x.F): a field
    whose type became a mirror, read by code that hands it to the heavy package. Unguardable where such a
    field is assigned, incremented or its address taken."""
    names = set(fields)
    if not names:
        return f.src
    src = f.src
    edits: list[tuple[int, int, bytes]] = []
    stack = [syntax_tree(src)]
    while stack:
        n = stack.pop()
        stack.extend(n.named_children)
        if n.type != "selector_expression":
            continue
        field_node = n.child_by_field_name("field")
        if field_node is None or node_text(src, field_node) not in names:
            continue
        parent = n.parent
        if parent is not None and (parent.type in ("inc_statement", "dec_statement") or (
                parent.type == "unary_expression" and node_text(src, parent).startswith("&")) or (
                parent.type == "expression_list" and parent.parent is not None
                and parent.parent.type == "assignment_statement"
                and parent.parent.child_by_field_name("left") == parent)):
            raise Unguardable(f"{f.path}: `{_snippet(node_text(src, n))}` is assigned or its address taken; its type "
                              "becomes a mirror, so only reads can be converted")
        edits.append((n.start_byte, n.end_byte, f"{conversion}({node_text(src, n)})".encode()))
    for s_, e_, t_ in sorted(edits, reverse=True):
        src = src[:s_] + t_ + src[e_:]
    return src


def guard_import(project: Project, pkg: Package, imported: str, tag: str, *, feature: str, message: str,
                 err_name: str) -> list[FileChange]:
    """Guard the files of pkg that import `imported` with !tag; OR the tag into a sibling file that
    already declares what the rest uses (a stub for other platforms), or write a stub."""
    parsed = {name: project.sources.file(project.rel(pkg, name)) for name in pkg.go_files}
    guarded = [n for n, gf in parsed.items() if any(i.path == imported for i in gf.imports)]
    if not guarded:
        raise SourceError(f"{pkg.import_path}: no file of this configuration imports {imported}")
    changes: list[FileChange] = []
    others = [g for n, g in parsed.items() if n not in guarded]
    used_elsewhere = {r.name for g in others for d in g.decls for r in d.refs if r.qualifier is None}
    needed: dict[str, GoFile] = {}  # declaration key -> its file
    for name in guarded:
        gf = parsed[name]
        gf.check()
        changes.append(FileChange(gf.path, gf.src, and_term(gf, f"!{tag}")))
        for d in gf.decls:
            if d.kind == "init" or d.name == "_":
                continue
            if d.exported or d.name in used_elsewhere:
                needed[d.key] = gf
    # Reuse a sibling file that already defines every needed name under a build constraint (a stub),
    # usually one this configuration ignores (plugins_other.go for plugins_unix.go).
    names = {gf.decl(k).name for k, gf in needed.items()}
    siblings = dict(parsed)
    for name in pkg.ignored_go_files:
        if not name.endswith("_test.go"):
            siblings[name] = project.sources.file(project.rel(pkg, name))
    for name, gf in sorted(siblings.items()):
        if name in guarded or gf.constraint is None or gf.constraint.expr is None or gf.package != pkg.name:
            continue
        if names <= {d.name for d in gf.decls}:
            changes.append(FileChange(gf.path, gf.src, or_term(gf, tag)))
            return changes
    if not names:
        return changes
    # Otherwise write a stub file with the opposite constraint.
    taken = {d.name for f in siblings.values() for d in f.decls}
    for name in guarded:
        gf = parsed[name]
        decls = [gf.decl(k) for k, f in needed.items() if f is gf]
        writer = StubWriter(gf, list(parsed.values()), frozenset({imported}), tag, feature, taken,
                            package_names=project.sources.package_names, users=others, message=message,
                            err_name=err_name)
        blocks = writer.blocks({d.name for d in decls if d.kind != "method"},
                               {d.name for d in decls if d.kind == "method"})
        stub_name = f"{name[:-3]}_{tag}.go"
        if stub_name in pkg.go_files or stub_name in pkg.ignored_go_files:
            raise EditError(f"{stub_name} exists already in {pkg.dir}")
        changes.append(FileChange(project.rel(pkg, stub_name), None, writer.render(blocks)))
    return changes


def camel(name: str) -> str:
    """`http_client` -> `HTTPClient` (Go's initialisms kept upper case)."""
    return "".join(_INITIALISMS.get(p, p[:1].upper() + p[1:]) for p in name.split("_") if p)


_INITIALISMS = {"http": "HTTP", "https": "HTTPS", "tls": "TLS", "ssh": "SSH", "sql": "SQL", "json": "JSON",
                "xml": "XML", "grpc": "GRPC", "url": "URL", "api": "API", "dns": "DNS", "tcp": "TCP",
                "udp": "UDP", "smtp": "SMTP", "rpc": "RPC", "id": "ID", "ldap": "LDAP", "aws": "AWS"}


def _sig_text(sig: Sequence[str]) -> str:
    return "; ".join(s for s in sig if not s.endswith(":"))


def _doc(src: bytes, d: Decl) -> str:
    """The doc comment of an ungrouped declaration (the lines above its keyword)."""
    if d.group_start is not None:
        return ""
    head = src[d.start:d.spec_start]
    return head[:head.rfind(b"\n") + 1].decode("utf-8", "replace")


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=False, trim_blocks=True,
        lstrip_blocks=True, keep_trailing_newline=True, undefined=jinja2.StrictUndefined,
    )


# ---------------------------------------------------------------------------------------------------------
# Registrations made in an init among other code (restic's global.go: backends.Register(azure.NewFactory()))


@dataclass(frozen=True)
class InitRegistrations:
    """The statements of a file's init functions that use an import (its only uses in the file), and how
    each reads once moved to a file of its own: init-local names mapped to the package-level place the
    init stores them in (`backends` -> `globalOptions.backends`)."""

    file: GoFile
    statements: tuple[tuple[int, int, str], ...]  # (line start, line end incl. newline, rewritten text)
    imports: tuple[tuple[str | None, str], ...]  # (explicit name, path) the moved statements need
    removed: tuple[str, ...]  # import paths the file no longer uses

    def split(self, new_name: str, tag: str, feature: str) -> tuple[bytes, bytes]:
        """(the file without the statements and imports, the new file holding them behind !tag)."""
        f = self.file
        edits = [Edit(s, e, b"") for s, e, _ in self.statements]
        for path in self.removed:
            edits += remove_import(f, path)
        rest = apply_edits(f.src, edits)
        left = parse_file(f.path, rest)  # an import only the moved statements used goes too
        rest = apply_edits(rest, remove_unused_imports(left, dict(f.import_names)))
        expr = f"!{tag}"
        if f.constraint is not None and f.constraint.expr:
            expr = f"({f.constraint.expr}) && !{tag}"
        specs = "".join(f"\t{name + ' ' if name else ''}{go_quote(path)}\n" for name, path in self.imports)
        body = "".join(f"\t{text}\n" for _, _, text in self.statements)
        src = (f"//go:build {expr}\n\npackage {f.package}\n\nimport (\n{specs})\n\n"
               f"// Moved from {os.path.basename(f.path)}'s init by gotrim, so that building with -tags {tag} "
               f"leaves {feature} out.\nfunc init() {{\n{body}}}\n")
        return rest, src.encode()


@dataclass(frozen=True)
class Carve:
    """The declarations of a file that need the cut imports, to move to a file of their own that is
    guarded (carve_split), while the rest of the file stays in every build.

    keys: the declarations that move (those naming a cut import, the methods of a type that moves, the
    unexported helpers only moved code uses); kept_imports: the imports, as written, the file keeps."""

    keys: tuple[str, ...]
    kept_imports: frozenset[str]


class Elsewhere:
    """The names the files of a package use unqualified: names(n, path) when a file other than path
    names n; calls(n, path) when a function or method of another non-test file does. Made once per
    package (package_names_used) and asked of each of its files."""

    def __init__(self, used: Mapping[str, frozenset[str]], called: Mapping[str, frozenset[str]]) -> None:
        from collections import Counter

        self._used, self._called = used, called
        self._n_used: Counter[str] = Counter(n for names in used.values() for n in names)
        self._n_called: Counter[str] = Counter(n for names in called.values() for n in names)

    def names(self, name: str, path: str) -> bool:
        return self._n_used[name] > (name in self._used.get(path, ()))

    def calls(self, name: str, path: str) -> bool:
        return self._n_called[name] > (name in self._called.get(path, ()))


def package_names_used(files: Sequence[GoFile]) -> Elsewhere:
    """Elsewhere for these files of a package."""
    used = {f.path: frozenset(r.name for d in f.decls for r in d.refs if r.qualifier is None) for f in files}
    called = {f.path: frozenset(r.name for d in f.decls if d.kind in ("func", "method") for r in d.refs
                                if r.qualifier is None) for f in files if not f.path.endswith("_test.go")}
    return Elsewhere(used, called)


def carve(f: GoFile, paths: Iterable[str], others: Sequence[GoFile], pkg_names: Mapping[str, str],
          elsewhere: Elsewhere | None = None) -> Carve | None:
    """How to carve the code that needs paths out of f (lego's setup_challenges.go: setupDNS needs the
    DNS providers, setupChallenges, which every run calls, does not), or None when the whole file is the
    feature, as the guard takes it: nothing would stay that a function of the package's other files calls
    (callers in other packages do not count: library code they call is no optional branch); or it cannot be
    carved (a parse error, cgo, a blank or dot import of paths, a build constraint in its name, func main,
    an init of the file that names what would move, a declaration group that would be cut in two). What
    only registers the feature (a command table's entry in another file) does not count: the guard moves
    that into the guarded files, and the slim build lacks the feature rather than failing in it.

    others: the package's other files (a test among them keeps a helper it names where it is; the guard
    reads none: a test that uses a carved declaration is guarded with it); elsewhere: what they name,
    when the caller has it (package_names_used)."""
    wanted = set(paths)
    if f.errors or name_suffix(os.path.basename(f.path)) or any(i.path == "C" for i in f.imports) \
            or any(i.name in ("_", ".") for i in f.imports if i.path in wanted):
        return None
    local = {i.local_name(pkg_names.get(i.path) or guess_package_name(i.path)): i for i in f.imports}
    heavy = {n for n, i in local.items() if i.path in wanted}
    moving = {d.key for d in f.decls if any(r.qualifier in heavy for r in d.refs)}
    if not moving:
        return None
    outside = elsewhere or package_names_used([f, *others])
    if not any(d.kind in ("func", "method") and outside.calls(d.name, f.path) for d in f.decls if d.key not in moving):
        return None  # (nothing that stays would be called: the common answer, found before the rest)
    # functions whose signature names a cut import: a stub could not declare them, so their callers move too
    in_signature = re.compile(rb"\b(?:" + b"|".join(re.escape(n.encode()) for n in sorted(heavy)) + rb")\s*\.")
    unstubbable = {d.name for d in f.decls if d.kind == "func" and d.key in moving
                   and in_signature.search(f.src[d.start:d.end].split(b"{", 1)[0])}
    referrers: dict[str, set[str]] = {}  # name -> the keys of f's declarations that name it
    for e in f.decls:
        for n in e.unqualified:
            referrers.setdefault(n, set()).add(e.key)
    grew = True
    while grew:
        grew = False
        types = {d.name for d in f.decls if d.key in moving and d.kind in ("type", "alias")}
        state_vars = {d.name for d in f.decls if d.key in moving and d.kind == "var"}
        for d in f.decls:
            if d.key in moving:
                continue
            by = referrers.get(d.name, set()) - {d.key}
            helper = (d.kind not in ("init", "method") and not d.exported and d.name != "_"
                      and not outside.names(d.name, f.path) and bool(by) and by <= moving)
            # code that reads or sets the feature's variables is the feature's (a stub holds no state)
            state = bool(d.unqualified & state_vars)
            if helper or state or bool(d.unqualified & unstubbable) or (d.kind == "method" and d.receiver in types):
                moving.add(d.key)
                grew = True
                if d.kind == "func" and in_signature.search(f.src[d.start:d.end].split(b"{", 1)[0]):
                    unstubbable.add(d.name)
    if f.package == "main" and any(d.name == "main" and d.kind == "func" for d in f.decls if d.key in moving):
        return None
    # an init, or a variable set at start-up, of the file that names what would move: the file's start-up
    # work and the feature's are one; the whole file is guarded (with the registrations' own rules)
    names = {d.name for d in f.decls if d.key in moving}
    if any((d.kind == "init" or d.side_effects) and d.unqualified & names for d in f.decls if d.key not in moving):
        return None
    kept = [d for d in f.decls if d.key not in moving]
    if not any(d.kind in ("func", "method") and outside.calls(d.name, f.path) for d in kept):
        return None
    # an optional branch: code that stays calls what moves only inside if, switch or select cases (lego's
    # `if ctx.IsSet(flgDNS) { setupDNS(...) }`); a call on every pass makes it no option (a core
    # function of the package that happens to use the import); and one the rest names otherwise (a handler
    # passed along, a method reached through an interface) may run on any path: no option either
    funcs = {d.name for d in f.decls if d.key in moving and d.kind == "func"}
    methods = {d.name for d in f.decls if d.key in moving and d.kind == "method"}
    named: set[str] = set()
    in_branches: set[str] = set()
    for g in (f, *others):
        if g.path.endswith("_test.go"):
            continue
        for d in g.decls:
            if g is f and d.key in moving:
                continue
            here = (d.unqualified & funcs) | (d.selectors & methods)
            named |= here
            if not here or d.kind not in ("func", "method"):
                continue
            src, node = lone_decl_node(g, d)
            body = node.child_by_field_name("body")
            if any((op is None and n in funcs) or (op is not None and n in methods)
                   for op, n in _calls(src, body, branches=False)):
                return None
            in_branches |= {n for op, n in _calls(src, body, branches=True)
                            if (op is None and n in funcs) or (op is not None and n in methods)}
    if named - in_branches:
        return None
    groups: dict[int, set[bool]] = {}
    for d in f.decls:
        if d.group_start is not None:
            groups.setdefault(d.group_start, set()).add(d.key in moving)
    if any(len(v) > 1 for v in groups.values()):
        return None
    return Carve(tuple(sorted(moving)), frozenset(i.path for i in f.imports) - _unused_imports(f, kept))


def _unused_imports(f: GoFile, kept: Iterable[Decl]) -> frozenset[str]:
    """The import paths of f that none of kept names (blank, dot and cgo imports always stay)."""
    used = {r.qualifier for d in kept for r in d.refs if r.qualifier is not None}
    names = dict(f.import_names)
    return frozenset(i.path for i in f.imports if i.name not in ("_", ".") and i.path != "C"
                     and not used.intersection(import_local_candidates(i, names.get(i.path))))


def _carved_rest(f: GoFile, keys: set[str]) -> bytes:
    """f without the declarations keys (whole lines, groups whole) and the imports only they named: from
    f's own parse (a whole analysis of a 7,000-line file twice cost 0.1 s per carve on tailscaled); by
    analysis where a kept declaration shares a line with a deleted one."""
    src = f.src
    ranges: set[tuple[int, int]] = set()
    for d in f.decls:
        if d.key in keys:
            s0, e0 = (d.group_start, d.group_end) if d.group_start is not None and d.group_end is not None \
                else (d.start, d.end)
            end = src.find(b"\n", e0)
            ranges.add((src.rfind(b"\n", 0, s0) + 1, len(src) if end < 0 else end + 1))
    kept = [d for d in f.decls if d.key not in keys]
    if any(s0 < d.end and d.start < e0 for d in kept for s0, e0 in ranges):
        rest = apply_edits(src, delete_decls(f, keys))
        return apply_edits(rest, remove_unused_imports(parse_file(f.path, rest), dict(f.import_names)))
    gone = _unused_imports(f, kept)
    edits = delete_lines(src, sorted(ranges))
    if gone:
        edits += rewrite_imports(f, ImportChange(remove=gone))
    return apply_edits(src, edits)


def carve_split(f: GoFile, keys: Collection[str], new_name: str, q: str) -> tuple[bytes, bytes]:
    """(f without the carved declarations and the imports only they used, the new file new_name holding
    them: f's build constraint, the imports they use, their text as it was)."""
    keys = set(keys)
    rest = _carved_rest(f, keys)
    texts: list[bytes] = []
    seen_groups: set[int] = set()
    for d in f.decls:
        if d.key not in keys:
            continue
        if d.group_start is not None and d.group_end is not None:
            if d.group_start not in seen_groups:
                seen_groups.add(d.group_start)
                texts.append(f.src[d.group_start:d.group_end])
        else:
            texts.append(f.src[d.start:d.end])
    names = dict(f.import_names)
    quals = {r.qualifier for d in f.decls if d.key in keys for r in d.refs if r.qualifier is not None}
    imports = [(i.path, i.name) for i in f.imports
               if i.local_name(names.get(i.path) or guess_package_name(i.path)) in quals]
    header = f"//go:build {f.constraint.expr}\n".encode() if f.constraint is not None and f.constraint.expr else b""
    note = textwrap.indent(textwrap.fill(
        f"Moved from {os.path.basename(f.path)} by gotrim: the declarations that need {q}, so that a build tag "
        "can leave them out while the rest of that file stays.", 96, break_long_words=False, break_on_hyphens=False),
        "// ").encode() + b"\n"
    body = note + b"\n" + b"\n\n".join(t.strip(b"\n") for t in texts)
    return rest, new_file(f.package, imports, body, header)


def init_registrations(f: GoFile, paths: Iterable[str], pkg_names: Mapping[str, str]) -> InitRegistrations | None:
    """The file's uses of paths when every one is a whole call statement at the top of an init function
    and the file declares more than init functions (else None: guard the file itself, or it is not a
    registration). An init-local variable in a moved statement must be stored in a package-level place
    by a later statement of that init (`x.backends = backends`), which the moved statement then names."""
    if f.errors or not any(d.kind != "init" for d in f.decls):
        return None
    wanted = set(paths)
    locals_ = {i.local_name(pkg_names.get(i.path) or guess_package_name(i.path)): i for i in f.imports}
    heavy = {n for n, i in locals_.items() if i.path in wanted}
    if not heavy or any(i.name in ("_", ".") for n, i in locals_.items() if n in heavy):
        return None
    inits = [f.src[d.start:d.end] for d in f.decls if d.kind == "init"]
    if not any(_selected_in(text, heavy) for text in inits):
        return None  # no init names them (read in the text first: most files are asked of many imports)
    root = syntax_tree(f.src)
    moved: list[tuple[int, int, str]] = []
    spans: list[tuple[int, int]] = []  # the moved statements' bytes
    needs: dict[str, Import] = {}
    for fn in root.children:
        if fn.type != "function_declaration":
            continue
        name = fn.child_by_field_name("name")
        body = fn.child_by_field_name("body")
        in_init = name is not None and node_text(f.src, name) == "init" and body is not None
        stmts = _statements(body) if in_init and body is not None else []
        declared, stored = _init_locals(f.src, stmts)
        for st in stmts:
            quals = selector_operands(f.src, st)
            if not quals & heavy:
                continue
            if st.type != "expression_statement":
                return None
            text = node_text(f.src, st)
            edits = []
            for ident in _plain_identifiers(st):
                v = node_text(f.src, ident)
                if v in declared:
                    if v not in stored:
                        return None
                    edits.append((ident.start_byte - st.start_byte, ident.end_byte - st.start_byte, stored[v]))
            for s, e, new in sorted(edits, reverse=True):
                text = text[:s] + new + text[e:]
            for q in quals:
                if q in locals_:
                    needs[q] = locals_[q]
            start = f.src.rfind(b"\n", 0, st.start_byte) + 1
            end = f.src.find(b"\n", st.end_byte)
            if f.src[start:st.start_byte].strip() or f.src[st.end_byte:end].strip():
                return None  # another statement or a comment on its line
            moved.append((start, end + 1, text))
            spans.append((st.start_byte, st.end_byte))
    if not moved or any(not any(s <= at < e for s, e in spans) for at in _uses_of(f.src, root, heavy)):
        return None  # used outside the statements too (a type, a function, another statement)
    removed = tuple(sorted({locals_[q].path for q in heavy}))
    imports = tuple(sorted(((i.name, i.path) for i in needs.values()), key=lambda np: np[1]))
    return InitRegistrations(f, tuple(moved), imports, removed)


def _selected_in(text: bytes, names: Iterable[str]) -> bool:
    """Whether the text spells `name.` (or `name .`) for one of names: what any selector on them needs."""
    return any(re.search(rb"\b" + re.escape(n.encode()) + rb"\s*\.", text) for n in names if n.encode() in text)


def _statements(block: Node) -> list[Node]:
    out: list[Node] = []
    for c in block.children:
        if c.type == "statement_list":
            out.extend(x for x in c.children if x.is_named and x.type != "comment")
    return out


def _init_locals(src: bytes, stmts: Sequence[Node]) -> tuple[set[str], dict[str, str]]:
    """Names an init declares at its top (`v := ...`, `var v`), and those a later statement of it stores
    in a package-level place (`x.f = v`): name -> that place's text."""
    declared: set[str] = set()
    stored: dict[str, str] = {}
    for st in stmts:
        if st.type == "short_var_declaration":
            left = st.child_by_field_name("left")
            declared |= {node_text(src, n) for n in (left.named_children if left else []) if n.type == "identifier"}
        elif st.type == "var_declaration":
            for spec in st.named_children:
                declared |= {node_text(src, n) for n in spec.children_by_field_name("name")}
        elif st.type == "assignment_statement" and node_text(src, st.child_by_field_name("operator")) == "=":
            left, right = st.child_by_field_name("left"), st.child_by_field_name("right")
            if left is None or right is None or len(left.named_children) != 1 or len(right.named_children) != 1:
                continue
            target, value = left.named_children[0], right.named_children[0]
            root_ident = target
            while root_ident.type == "selector_expression":
                operand = root_ident.child_by_field_name("operand")
                if operand is None:
                    break
                root_ident = operand
            if value.type == "identifier" and root_ident.type == "identifier" and \
                    node_text(src, root_ident) not in declared:
                stored[node_text(src, value)] = node_text(src, target)
    return declared, stored


def _uses_of(src: bytes, root: Node, names: set[str]) -> Iterator[int]:
    """Where the file names one of the imports `names`: `x.Name` selectors and qualified types."""
    stack = [root]
    while stack:
        n = stack.pop()
        if n.type == "qualified_type" and node_text(src, n.child_by_field_name("package")) in names:
            yield n.start_byte
        elif n.type == "selector_expression":
            operand = n.child_by_field_name("operand")
            if operand is not None and operand.type == "identifier" and node_text(src, operand) in names:
                yield n.start_byte
        stack.extend(n.children)


def _plain_identifiers(node: Node) -> list[Node]:
    """Identifier nodes that name a variable (not a selected field or method)."""
    out = []
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type == "identifier":
            parent = n.parent
            if not (parent is not None and parent.type == "selector_expression"
                    and parent.child_by_field_name("field") == n):
                out.append(n)
        stack.extend(n.children)
    return out
