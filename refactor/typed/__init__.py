"""gotrim's type-checked view: what each top-level declaration of a package uses, exactly.

tree-sitter (refactor.gosource) resolves references by name; this view resolves them with go/types. A
small Go program beside this file (standard library only, built once per toolchain like the attribution
core: refactor.gotools) type-checks the packages asked for over the export data that
`go list -e -export -deps` reports for one target (its GOOS/GOARCH/tags/CGO_ENABLED), and reports per
declaration, keyed as gosource.Decl.key:

- uses_objects: the package-level objects it names (this package's and other packages');
- field_selections / method_selections: `x.f` and `x.m` resolved to the type that declares f or m,
  with the embedded fields a promotion goes through;
- iface_conversions: concrete named types converted (explicitly or implicitly) to interfaces, each
  with the concrete methods that dynamic calls through the interface reach;
- struct_literals: composite literals of named struct types, with the fields they set (unexported
  ones apart: a literal that sets them cannot move out of the type's package);
- startup_calls / runs_at_startup: for init functions and package-level variables, the calls made
  when the program starts (a function literal stored in a table is not called; one called on the
  spot is).

The JSON format is documented in refactor/typed/README.md. A package that does not type-check is
reported (TypedPackage.ok is False, with its errors); its declarations are then partial, and callers
fall back to names for it.
"""

from __future__ import annotations

import gc
import json
import subprocess
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from refactor import gotools
from refactor.config import Target
from refactor.errors import GoError
from refactor.tmpldep import CompiledText, compile_jobs, parse_compiled
from refactor.toolchain import Go

if TYPE_CHECKING:
    from refactor.graph import BuildGraph

SOURCE = Path(__file__).resolve().parent
FORMAT_VERSION = 1
RUN_TIMEOUT = 1800.0
# What the program needs from go list (naming fields also makes go list skip work it does not need).
LIST_FIELDS = "ImportPath,Name,Dir,GoFiles,CgoFiles,ImportMap,Imports,Export,Module,Standard,Error"
# Packages whose importers the `templates` subcommand reads (template executions, reflect lookups).
TEMPLATE_IMPORTS = frozenset({"text/template", "html/template", "reflect"})
DEP_TEMPLATE_IMPORTS = frozenset({"text/template", "html/template"})  # dependencies' packages read for patches
_built: dict[tuple[str, str], Path] = {}
_TOOL = gotools.GoTool("typed", SOURCE, "gotrim's type-checked view", "refactor/typed")


def executable(go: Go) -> Path:
    """The typed-view program for this toolchain, built now if it is not yet (GoError if that fails)."""
    return gotools.executable(_TOOL, go, _built)


def prepare(go: Go) -> None:
    """Build the program in the background if it is missing."""
    gotools.prepare(_TOOL, go, _built)


# ---------------------------------------------------------------------------------------------------------
# Data


@dataclass(frozen=True, order=True)
class TypeRef:
    """A named type: import path ("" for the universe: error, comparable) and name; generic types by
    their origin (Box, not Box[int]); local is set for a type declared inside a function."""

    package: str
    name: str
    local: bool = False

    def __str__(self) -> str:
        return f"{self.package}.{self.name}" if self.package else self.name


@dataclass(frozen=True, order=True)
class ObjectRef:
    """A package-level object: import path, name, kind (func, var, const, type, alias)."""

    package: str
    name: str
    kind: str

    def __str__(self) -> str:
        return f"{self.package}.{self.name}"


@dataclass(frozen=True)
class EmbeddedStep:
    """One embedded field selected implicitly on the way to a promoted field or method."""

    type: TypeRef | None  # the named struct declaring the embedded field (None: an unnamed struct)
    field: str


@dataclass(frozen=True)
class FieldSelection:
    """`x.f`: the named struct type that declares f (None: an unnamed struct), and the embedded path."""

    type: TypeRef | None
    field: str
    path: tuple[EmbeddedStep, ...] = ()


@dataclass(frozen=True)
class MethodSelection:
    """`x.m` / `T.m`: the type declaring m; mode is call (x.m()), value (x.m) or expr (T.m)."""

    type: TypeRef | None  # None: a method of an unnamed interface
    method: str
    pointer: bool  # declared with a pointer receiver
    interface: bool  # an interface method: the call is dynamic
    mode: str
    path: tuple[EmbeddedStep, ...] = ()


@dataclass(frozen=True)
class MethodImpl:
    """The concrete method a dynamic call of interface method `method` reaches (promoted: through path)."""

    method: str
    type: TypeRef | None
    pointer: bool
    path: tuple[EmbeddedStep, ...] = ()


@dataclass(frozen=True)
class InterfaceConversion:
    """A concrete named type (pointer: *T) converted to an interface, explicitly or implicitly
    (assignment, argument, result, literal element, send, map key, or type argument of a constraint
    with methods), and the concrete methods reached through each of the interface's methods."""

    concrete: TypeRef
    pointer: bool
    interface: TypeRef | None  # None: an unnamed interface (see interface_text; "any" when empty)
    interface_text: str
    methods: tuple[MethodImpl, ...] = ()


@dataclass(frozen=True)
class StructLiteral:
    """A composite literal of a named struct type: keyed (T{f: v}) or not, the fields it sets."""

    type: TypeRef
    keyed: bool
    fields: tuple[str, ...]
    unexported: tuple[str, ...]  # set fields that are unexported: the literal must stay in type's package


@dataclass(frozen=True)
class StartupCall:
    """A call made at program start (in a var's initializer or an init function).

    kind: func, method, builtin, closure (a function literal called on the spot) or dynamic (a
    function value); maybe: inside a function literal passed as an argument (the callee may call it).
    """

    kind: str
    package: str
    name: str
    type: TypeRef | None = None
    interface: bool = False
    maybe: bool = False


@dataclass(frozen=True)
class TypedDecl:
    """One top-level declaration (one per declared name) as go/types sees it; key as gosource.Decl.key."""

    key: str
    name: str
    kind: str  # func, method, init, var, const, type, alias
    receiver: str | None
    pointer_receiver: bool
    file: str  # as in keys: relative to the key root (posix), or absolute
    start: int  # byte offsets of the func declaration or the spec
    end: int
    name_start: int
    name_end: int
    uses_objects: frozenset[ObjectRef]
    field_selections: tuple[FieldSelection, ...]
    method_selections: tuple[MethodSelection, ...]
    iface_conversions: tuple[InterfaceConversion, ...]
    struct_literals: tuple[StructLiteral, ...]
    startup_calls: tuple[StartupCall, ...]
    runs_at_startup: bool  # an init function, or a var whose initializer calls something

    def fields_used(self) -> frozenset[tuple[TypeRef | None, str]]:
        """Every (declaring type, field) selected, embedded fields on promotion paths included."""
        out: set[tuple[TypeRef | None, str]] = set()
        for f in self.field_selections:
            out.add((f.type, f.field))
            out.update((s.type, s.field) for s in f.path)
        for m in self.method_selections:
            out.update((s.type, s.field) for s in m.path)
        return frozenset(out)

    def members_of(self, t: TypeRef) -> frozenset[str]:
        """Names of the fields and methods of t that this declaration selects (promotions included)."""
        names = {f for owner, f in self.fields_used() if owner == t}
        names.update(m.method for m in self.method_selections if m.type == t)
        return frozenset(names)


@dataclass(frozen=True)
class TypedPackage:
    """One package's view. When ok is False (it did not parse or type-check) decls are partial."""

    import_path: str
    name: str
    ok: bool
    errors: tuple[str, ...]  # the first ones, "file:line:col: message"
    error_count: int
    fake_import_c: bool  # cgo files were checked with `import "C"` faked (C's names are unresolved)
    inits: tuple[str, ...]  # keys of the init functions, in the order they run
    decls: tuple[TypedDecl, ...]
    _by_key: Mapping[str, TypedDecl] = field(default_factory=dict, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_key", MappingProxyType({d.key: d for d in self.decls}))

    def decl(self, key: str) -> TypedDecl | None:
        """The declaration with this key (gosource.Decl.key), or None."""
        return self._by_key.get(key)

    def startup_decls(self) -> list[TypedDecl]:
        """init functions and package-level vars whose initializers call something."""
        return [d for d in self.decls if d.runs_at_startup]


@dataclass(frozen=True)
class TypedView:
    """The typed view of some packages of one target (its configuration): look packages up by path."""

    toolchain: str  # the go version the program was built with
    packages: Mapping[str, TypedPackage]
    list_errors: Mapping[str, str] = field(default_factory=dict)  # go list's Error per package (any listed one)
    list_seconds: float = field(default=0.0, compare=False)  # `go list -export` (compiles what is not cached)
    check_seconds: float = field(default=0.0, compare=False)  # the program: decode, type-check, report
    # The `templates` answer: template sites and reflect method lookups of the packages that import
    # text/template, html/template or reflect (refactor/typed/README.md, "templates").
    templates: Mapping[str, TemplatePackage] = field(default_factory=dict)
    goroot: str = ""  # the toolchain's GOROOT, as go list reports the standard packages' directories
    # The `compile` answer: the default texts of the profiled template libraries the target links
    # (refactor.tmpldep), compiled to Go in the library's package.
    compiled: tuple[CompiledText, ...] = ()
    # The `templates` answer for the dependencies' packages that import text/template or html/template
    # (not the module's: `templates` has those): what a dependency patch can compile (refactor.tmpldep).
    dep_templates: Mapping[str, TemplatePackage] = field(default_factory=dict)
    # The program's answers this view was read from (answers()): what a recorded Project or a shard
    # part keeps, so the view is written out without running anything again.
    answers: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)

    def package(self, import_path: str) -> TypedPackage | None:
        """The package's view, or None when it was not analysed."""
        return self.packages.get(import_path)

    def template_sites(self) -> Iterator[tuple[str, TemplateSite]]:
        """(import path, site) of every template site, packages in order."""
        for path in sorted(self.templates):
            for s in self.templates[path].sites:
                yield path, s

    def __iter__(self) -> Iterator[TypedPackage]:
        return iter(self.packages.values())


# ---------------------------------------------------------------------------------------------------------
# Loading


def load_typed(
    go: Go, module_dir: Path, target: Target, import_paths: Iterable[str] | None = None, *,
    key_root: Path | None = None, max_errors: int = 20, templates: bool = True,
    listed: Sequence[Mapping[str, Any]] | None = None,
) -> TypedView:
    """The typed view of import_paths (default: every main-module package the target depends on).

    Runs `go list -e -export -deps -trimpath` for the target (compiling what the build cache lacks;
    after a build of the target it is all there), then the typed-view program. Keys name files relative
    to key_root (default: module_dir), as gosource keys do. GoError when go list or the program fails;
    a package that does not type-check is not an error (TypedPackage.ok).

    templates: also run the `templates` subcommand on those of the packages that import text/template,
    html/template or reflect (nothing runs when none does). listed: what go list would report, known
    otherwise (listed_from_link: the link's own archives), so that no go list runs.
    """
    t0 = time.monotonic()
    if listed is None:
        listed = list_exports(go, module_dir, target)
    t1 = time.monotonic()
    raw = answers(go, listed, import_paths, key_root or module_dir, target.goarch, max_errors, templates)
    view = view_from_answers(raw)
    errors = {p.get("ImportPath", ""): str(p["Error"].get("Err", "")).strip() for p in listed if p.get("Error")}
    return replace(view, list_errors=MappingProxyType(errors), list_seconds=t1 - t0,
                   check_seconds=time.monotonic() - t1)


def answers(go: Go, listed: Sequence[Mapping[str, Any]], import_paths: Iterable[str] | None, key_root: Path,
            goarch: str, max_errors: int = 20, templates: bool = True) -> dict[str, Any]:
    """The program's answers for listed packages, decoded: {"decls": ..., "templates": ... or None,
    "goroot": ...} (what record() keeps, and view_from_answers reads)."""
    wanted = set(import_paths) if import_paths is not None else None
    request = build_request(listed, wanted, key_root, goarch, max_errors)
    out: dict[str, Any] = {"decls": json.loads(run_program(go, request)), "templates": None,
                           "goroot": goroot_of(listed)}
    if templates:
        imports = {p.get("ImportPath", ""): set(p.get("Imports") or ()) for p in listed}
        treq = dict(request, packages=[p for p in request["packages"]
                                       if imports.get(p["import_path"], set()) & TEMPLATE_IMPORTS])
        if treq["packages"]:
            out["templates"] = json.loads(run_program(go, treq, "templates"))
        out["compile"] = _compile_answer(go, listed, key_root, goarch, max_errors)
        out["dep_templates"] = _dep_templates_answer(go, listed, key_root, goarch, max_errors)
    return out


def _dep_templates_answer(go: Go, listed: Sequence[Mapping[str, Any]], key_root: Path, goarch: str,
                          max_errors: int) -> dict[str, Any] | None:
    """The `templates` answer for the dependencies' packages that import text/template or html/template
    (None when none does)."""
    wanted = {p.get("ImportPath", "") for p in listed if not p.get("Standard")
              and not (p.get("Module") or {}).get("Main") and set(p.get("Imports") or ()) & DEP_TEMPLATE_IMPORTS}
    if not wanted:
        return None
    return dict(json.loads(run_program(go, build_request(listed, wanted, key_root, goarch, max_errors), "templates")))


def _compile_answer(go: Go, listed: Sequence[Mapping[str, Any]], key_root: Path, goarch: str,
                    max_errors: int) -> dict[str, Any] | None:
    """The `compile` answer for the profiled template libraries among listed (None when none is)."""
    jobs = compile_jobs(p.get("ImportPath", "") for p in listed)
    if not jobs:
        return None
    request = build_request(listed, {j["package"] for j in jobs}, key_root, goarch, max_errors)
    return dict(json.loads(run_program(go, dict(request, compile=jobs), "compile")))


def view_from_answers(raw: Mapping[str, Any]) -> TypedView:
    """The TypedView of answers() (also as record() kept them)."""
    view = parse_view(raw["decls"])
    tmpl = parse_templates(raw["templates"]) if raw.get("templates") else {}
    return replace(view, templates=MappingProxyType(tmpl), goroot=str(raw.get("goroot") or ""),
                   compiled=parse_compiled(raw.get("compile")),
                   dep_templates=MappingProxyType(parse_templates(raw["dep_templates"])
                                                  if raw.get("dep_templates") else {}),
                   answers=MappingProxyType({k: raw[k] for k in ("decls", "templates", "goroot", "compile",
                                                                 "dep_templates") if k in raw}))


def recorded(view: TypedView | None) -> dict[str, Any] | None:
    """A loaded view as recorded Projects and shard parts keep it: the program's answers and go list's
    errors (from_recorded reads it back); None stays None."""
    if view is None:
        return None
    if view.answers is None:
        raise ValueError("a typed view not read from the program's answers cannot be recorded")
    return {**view.answers, "list_errors": dict(sorted(view.list_errors.items()))}


def from_recorded(data: Mapping[str, Any] | None) -> TypedView | None:
    """The view recorded() wrote; None stays None."""
    if data is None:
        return None
    view = view_from_answers(data)
    return replace(view, list_errors=MappingProxyType(dict(data.get("list_errors") or {})))


def goroot_of(listed: Sequence[Mapping[str, Any]]) -> str:
    """GOROOT from the directory go list reports for a standard package ("" when none is listed)."""
    for p in listed:
        if p.get("Standard") and p.get("Dir") and p.get("ImportPath"):
            d = Path(p["Dir"])
            parts = p["ImportPath"].count("/") + 2  # src/ and the path's elements
            return str(d.parents[parts - 1]) if len(d.parents) >= parts else ""
    return ""


def listed_from_link(graph: BuildGraph, importcfg: str) -> list[dict[str, Any]]:
    """What `go list -e -export -deps` reports for graph's target (the fields load_typed reads), from the
    graph and the link's importcfg: the archives the linker reads are the files go list names as export
    data (the same compile actions, from the build cache), so a target being linked needs no go list.
    ValueError when the importcfg lacks a package of the graph."""
    exports: dict[str, str] = {}
    for line in importcfg.splitlines():
        if line.startswith("packagefile "):
            path, _, file = line[len("packagefile "):].partition("=")
            exports[path] = file
    missing = [p for p, pkg in graph.packages.items()
               if p not in exports and p not in (graph.root, "unsafe") and pkg.files]
    if missing:  # not the link's whole importcfg (still being written?): go list decides
        raise ValueError(f"the link's importcfg names no archive for {missing[0]}")
    listed: list[dict[str, Any]] = []
    for p in _dependency_order(graph):
        pkg = graph.packages[p]
        entry: dict[str, Any] = {
            "ImportPath": p, "Name": pkg.name, "Dir": pkg.dir, "GoFiles": list(pkg.go_files),
            "CgoFiles": list(pkg.cgo_files), "ImportMap": dict(pkg.import_map), "Imports": list(pkg.imports),
            "Standard": pkg.standard}
        if p in exports:
            entry["Export"] = exports[p]
        if pkg.module:
            entry["Module"] = {"Path": pkg.module, "Main": pkg.main_module, "Dir": pkg.module_dir or "",
                               "GoVersion": pkg.go_version}
        if pkg.error:
            entry["Error"] = {"Err": pkg.error}
        listed.append(entry)
    return listed


def _dependency_order(graph: BuildGraph) -> list[str]:
    """The graph's packages as go list -deps orders them: each after what it imports (imports in order)."""
    order: list[str] = []
    seen: set[str] = set()
    stack: list[tuple[str, Iterator[str]]] = [(graph.root, iter(sorted(graph.imports(graph.root))))]
    seen.add(graph.root)
    while stack:
        node, it = stack[-1]
        for q in it:
            if q not in seen:
                seen.add(q)
                stack.append((q, iter(sorted(graph.imports(q)))))
                break
        else:
            stack.pop()
            order.append(node)
    return order + sorted(set(graph.packages) - seen)


def list_exports(go: Go, module_dir: Path, target: Target) -> list[dict[str, Any]]:
    """`go list -e -export -deps -trimpath` of the target's main package, one dict per package.

    -trimpath, as gotrim builds targets with it: the compile actions are the same, so the export data
    of a built target come from the build cache.
    """
    proc = go.run(["list", "-e", "-export", "-deps", "-trimpath", f"-json={LIST_FIELDS}", *target.build_flags(),
                   target.main], cwd=module_dir, target=target, what="go list -export")
    return list(_json_stream(proc.stdout))


def build_request(
    listed: Sequence[Mapping[str, Any]], wanted: set[str] | None, key_root: Path, goarch: str, max_errors: int = 20,
) -> dict[str, Any]:
    """The program's request: the wanted packages (None: the main modules' ones) and every export file."""
    packages = []
    exports = {}
    for p in listed:
        path = p.get("ImportPath", "")
        if p.get("Export"):
            exports[path] = p["Export"]
        module = p.get("Module") or {}
        if (path not in wanted) if wanted is not None else (p.get("Standard") or not module.get("Main")):
            continue
        if not p.get("GoFiles") and not p.get("CgoFiles"):
            continue  # nothing to check (go list says why in Error)
        packages.append({
            "import_path": path, "dir": p.get("Dir", ""), "go_files": p.get("GoFiles") or [],
            "cgo_files": p.get("CgoFiles") or [], "import_map": p.get("ImportMap") or {},
            "go_version": module.get("GoVersion", ""),
        })
    return {"key_root": str(Path(key_root).absolute()), "goarch": goarch, "max_errors": max_errors,
            "packages": packages, "exports": exports}


def run_program(go: Go, request: Mapping[str, Any], command: str = "decls") -> str:
    """Run `typed decls` (or another subcommand) on a request; its JSON answer, or GoError."""
    exe = executable(go)
    argv = (str(exe), command)
    try:
        proc = subprocess.run(argv, input=json.dumps(request), capture_output=True, text=True, errors="replace",
                              timeout=RUN_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GoError(f"gotrim's type-checked view could not run: {exc}", argv=argv) from exc
    if proc.returncode != 0:
        raise GoError("gotrim's type-checked view failed", stderr=proc.stderr, argv=argv)
    return proc.stdout


def parse_view(raw: str | Mapping[str, Any]) -> TypedView:
    """A TypedView from the program's JSON answer (text or decoded)."""
    # Millions of small acyclic objects: the cyclic collector would run often and find nothing (on
    # client-go's 371 packages it took three quarters of the time).
    enabled = gc.isenabled()
    gc.disable()
    try:
        data = json.loads(raw) if isinstance(raw, str) else raw
        if data.get("version") != FORMAT_VERSION:
            raise GoError(f"gotrim's type-checked view answered format {data.get('version')!r}, "
                          f"expected {FORMAT_VERSION}: reinstall gotrim")
        pkgs = {p["import_path"]: _package(p) for p in data["packages"]}
    finally:
        if enabled:
            gc.enable()
    return TypedView(toolchain=str(data.get("toolchain", "")), packages=MappingProxyType(pkgs))


def view_json(view: TypedView) -> dict[str, Any]:
    """The view as the program's answer (version 1), which parse_view reads back into an equal view:
    how a recorded Project keeps it (refactor.record)."""
    return {"version": FORMAT_VERSION, "toolchain": view.toolchain,
            "packages": [_package_json(p) for p in view.packages.values()]}


def _ref_json(t: TypeRef | None) -> dict[str, Any] | None:
    if t is None:
        return None
    return {"pkg": t.package, "name": t.name, **({"local": True} if t.local else {})}


def _steps_json(steps: Sequence[EmbeddedStep]) -> dict[str, Any]:
    return {"path": [{"type": _ref_json(s.type), "field": s.field} for s in steps]} if steps else {}


def _decl_json(d: TypedDecl) -> dict[str, Any]:
    return {
        "key": d.key, "name": d.name, "kind": d.kind,
        **({"receiver": d.receiver} if d.receiver else {}),
        **({"pointer_receiver": True} if d.pointer_receiver else {}),
        "file": d.file, "start": d.start, "end": d.end, "name_start": d.name_start, "name_end": d.name_end,
        "uses": [{"pkg": o.package, "name": o.name, "kind": o.kind} for o in sorted(d.uses_objects)],
        "fields": [{"type": _ref_json(f.type), "field": f.field, **_steps_json(f.path)} for f in d.field_selections],
        "methods": [{"type": _ref_json(m.type), "method": m.method, **({"pointer": True} if m.pointer else {}),
                     **({"interface": True} if m.interface else {}), "mode": m.mode, **_steps_json(m.path)}
                    for m in d.method_selections],
        "conversions": [{"from": _ref_json(c.concrete), **({"pointer": True} if c.pointer else {}),
                         "to": _ref_json(c.interface), "to_text": c.interface_text,
                         "methods": [{"method": m.method, "type": _ref_json(m.type),
                                      **({"pointer": True} if m.pointer else {}), **_steps_json(m.path)}
                                     for m in c.methods]}
                        for c in d.iface_conversions],
        "literals": [{"type": _ref_json(lit.type), "keyed": lit.keyed, "fields": list(lit.fields),
                      "unexported": list(lit.unexported)} for lit in d.struct_literals],
        "startup_calls": [{"kind": c.kind, **({"pkg": c.package} if c.package else {}),
                           **({"name": c.name} if c.name else {}),
                           **({"type": _ref_json(c.type)} if c.type is not None else {}),
                           **({"interface": True} if c.interface else {}), **({"maybe": True} if c.maybe else {})}
                          for c in d.startup_calls],
        "startup": d.runs_at_startup,
    }


def _package_json(p: TypedPackage) -> dict[str, Any]:
    return {"import_path": p.import_path, "name": p.name, "ok": p.ok, "errors": list(p.errors),
            "error_count": p.error_count, "fake_import_c": p.fake_import_c, "inits": list(p.inits),
            "decls": [_decl_json(d) for d in p.decls]}


def _json_stream(text: str) -> Iterator[dict[str, Any]]:
    dec = json.JSONDecoder()
    i, n = 0, len(text)
    while True:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            return
        obj, i = dec.raw_decode(text, i)
        yield obj


def _ref(d: Mapping[str, Any] | None) -> TypeRef | None:
    if d is None:
        return None
    return TypeRef(d["pkg"], d["name"], bool(d.get("local", False)))


def _steps(items: Sequence[Mapping[str, Any]] | None) -> tuple[EmbeddedStep, ...]:
    return tuple(EmbeddedStep(_ref(s["type"]), s["field"]) for s in items or ())


def _decl(d: Mapping[str, Any]) -> TypedDecl:
    convs = []
    for c in d["conversions"]:
        concrete = _ref(c["from"])
        assert concrete is not None
        convs.append(InterfaceConversion(
            concrete, bool(c.get("pointer")), _ref(c["to"]), c["to_text"],
            tuple(MethodImpl(m["method"], _ref(m["type"]), bool(m.get("pointer")), _steps(m.get("path")))
                  for m in c["methods"]),
        ))
    lits = []
    for lit in d["literals"]:
        t = _ref(lit["type"])
        assert t is not None
        lits.append(StructLiteral(t, bool(lit["keyed"]), tuple(lit["fields"]), tuple(lit["unexported"])))
    return TypedDecl(
        key=d["key"], name=d["name"], kind=d["kind"], receiver=d.get("receiver") or None,
        pointer_receiver=bool(d.get("pointer_receiver")), file=d["file"], start=d["start"], end=d["end"],
        name_start=d["name_start"], name_end=d["name_end"],
        uses_objects=frozenset(ObjectRef(u["pkg"], u["name"], u["kind"]) for u in d["uses"]),
        field_selections=tuple(FieldSelection(_ref(f["type"]), f["field"], _steps(f.get("path")))
                               for f in d["fields"]),
        method_selections=tuple(
            MethodSelection(_ref(m["type"]), m["method"], bool(m.get("pointer")), bool(m.get("interface")),
                            m["mode"], _steps(m.get("path")))
            for m in d["methods"]),
        iface_conversions=tuple(convs),
        struct_literals=tuple(lits),
        startup_calls=tuple(
            StartupCall(c["kind"], c.get("pkg", ""), c.get("name", ""), _ref(c.get("type")),
                        bool(c.get("interface")), bool(c.get("maybe")))
            for c in d["startup_calls"]),
        runs_at_startup=bool(d["startup"]),
    )


def _package(p: Mapping[str, Any]) -> TypedPackage:
    return TypedPackage(
        import_path=p["import_path"], name=p["name"], ok=bool(p["ok"]), errors=tuple(p["errors"]),
        error_count=int(p["error_count"]), fake_import_c=bool(p["fake_import_c"]), inits=tuple(p["inits"]),
        decls=tuple(_decl(d) for d in p["decls"]),
    )


# ---------------------------------------------------------------------------------------------------------
# The `templates` answer: template sites, their generated Go, reflect method lookups


TEMPLATES_VERSION = 1


@dataclass(frozen=True)
class TextEdit:
    """Replace bytes [start, end) of file (a key path: relative to the key root) by new."""

    file: str
    start: int
    end: int
    new: str


@dataclass(frozen=True)
class TemplateRefusal:
    """Why a template site is not rewritten: where (file:line), and tmplgen's template/position/action."""

    where: str
    reason: str
    template: str = ""
    pos: str = ""
    action: str = ""

    def __str__(self) -> str:
        what = f"template {self.template!r}" if self.template else "the template"
        at = f" at {self.pos}" if self.pos else ""
        action = f" <{self.action}>" if self.action else ""
        return f"{self.where}: {what}{at}{action}: {self.reason}"


@dataclass(frozen=True)
class GeneratedCode:
    """tmplgen's code for one execution: top-level declarations, their imports ((path, name); name ""
    for the package's own name) and the names declared."""

    decls: str
    imports: tuple[tuple[str, str], ...]
    names: tuple[str, ...]


@dataclass(frozen=True)
class TemplateExecution:
    """One Execute/ExecuteTemplate call of a site; generated is None when refused or when an earlier
    execution of the same site, file, entry and data type has the code (func_name is shared)."""

    file: str
    line: int
    start: int
    end: int
    method: str
    entry: str
    data_type: str
    func_name: str
    generated: GeneratedCode | None
    refusal: TemplateRefusal | None


@dataclass(frozen=True)
class TemplateMethodCall:
    """An action that may call a method (a field name that is an exported method of a reachable type)."""

    template: str
    pos: str
    action: str
    name: str
    types: tuple[str, ...]


@dataclass(frozen=True)
class TemplateSite:
    """A template value and its executions: a variable (package-var, local), a chain executed where it
    is built (inline), or one whose origin is not followed (unknown). edits replace it by generated code
    when every execution could be compiled; refusal says why not."""

    name: str
    kind: str
    library: str  # text/template or html/template
    file: str
    line: int
    start: int
    end: int
    source: str  # constant, embed, file, mixed; "" when the text is not known
    files: tuple[str, ...]
    root: str
    texts: tuple[str, ...]
    executions: tuple[TemplateExecution, ...]
    edits: tuple[TextEdit, ...]
    refusal: TemplateRefusal | None
    methods: tuple[TemplateMethodCall, ...]
    methods_unknown: str
    # kind func: why some paths of the function parse a text that is not constant. Those paths keep
    # their template (text/template stays linked): the edits alone do not switch method DCE on.
    fallback: str = ""

    @property
    def rewritable(self) -> bool:
        return self.refusal is None and bool(self.edits)

    @property
    def complete(self) -> bool:
        """Rewritable with no template left behind (no fallback path)."""
        return self.rewritable and not self.fallback

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"

    @property
    def label(self) -> str:
        return f"{self.name or self.root or 'template'} ({self.where})"


@dataclass(frozen=True)
class ReflectCall:
    """A reflect method lookup (Method, MethodByName with a computed name, Methods) in the module's code;
    closed when its methods are a known set, with the table that replaces it (edits, decls, imports)."""

    file: str
    line: int
    start: int
    end: int
    call: str
    method: str
    receiver: str
    func: str
    closed: bool
    reason: str
    methods: tuple[str, ...]
    edits: tuple[TextEdit, ...]
    decls: str
    imports: tuple[str, ...]

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class TemplatePackage:
    """The template sites and reflect lookups of one package (ok False: it did not type-check, nothing
    is listed)."""

    import_path: str
    name: str
    ok: bool
    errors: tuple[str, ...]
    sites: tuple[TemplateSite, ...]
    reflect_calls: tuple[ReflectCall, ...]


def parse_templates(raw: str | Mapping[str, Any]) -> dict[str, TemplatePackage]:
    """The `templates` answer (text or decoded), by import path."""
    data = json.loads(raw) if isinstance(raw, str) else raw
    if data.get("version") != TEMPLATES_VERSION:
        raise GoError(f"gotrim's type-checked view answered templates format {data.get('version')!r}, "
                      f"expected {TEMPLATES_VERSION}: reinstall gotrim")
    return {p["import_path"]: _template_package(p) for p in data["packages"]}


def _edits(items: Sequence[Mapping[str, Any]] | None) -> tuple[TextEdit, ...]:
    return tuple(TextEdit(e["file"], int(e["start"]), int(e["end"]), e["new"]) for e in items or ())


def _refusal(r: Mapping[str, Any] | None) -> TemplateRefusal | None:
    if r is None:
        return None
    return TemplateRefusal(r["where"], r["reason"], r.get("template", ""), r.get("pos", ""), r.get("action", ""))


def _template_package(p: Mapping[str, Any]) -> TemplatePackage:
    sites = []
    for s in p["sites"]:
        execs = []
        for e in s["executions"]:
            g = e.get("generated")
            gen = None if g is None else GeneratedCode(
                g["decls"], tuple((i["path"], i["name"]) for i in g["imports"]), tuple(g["names"]))
            execs.append(TemplateExecution(e["file"], int(e["line"]), int(e["start"]), int(e["end"]), e["method"],
                                           e["entry"], e["data_type"], e["func_name"], gen, _refusal(e["refusal"])))
        sites.append(TemplateSite(
            name=s["name"], kind=s["kind"], library=s["library"], file=s["file"], line=int(s["line"]),
            start=int(s["start"]), end=int(s["end"]), source=s["source"], files=tuple(s["files"]), root=s["root"],
            texts=tuple(s["texts"]), executions=tuple(execs), edits=_edits(s["edits"]), refusal=_refusal(s["refusal"]),
            methods=tuple(TemplateMethodCall(m["template"], m["pos"], m["action"], m["name"], tuple(m["types"]))
                          for m in s["methods"]),
            methods_unknown=s["methods_unknown"], fallback=s.get("fallback", "")))
    calls = tuple(ReflectCall(
        file=c["file"], line=int(c["line"]), start=int(c["start"]), end=int(c["end"]), call=c["call"],
        method=c["method"], receiver=c["receiver"], func=c["func"], closed=bool(c["closed"]), reason=c["reason"],
        methods=tuple(c["methods"]), edits=_edits(c["edits"]), decls=c["decls"], imports=tuple(c["imports"]))
        for c in p["reflect_calls"])
    return TemplatePackage(import_path=p["import_path"], name=p["name"], ok=bool(p["ok"]), errors=tuple(p["errors"]),
                           sites=tuple(sites), reflect_calls=calls)
