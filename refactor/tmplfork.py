"""The method-free fork of text/template (and html/template) that switches method DCE back on.

text/template's evaluator looks methods up with reflect's MethodByName and a name computed at run
time; the linker then keeps every exported method of every reachable type (method dead-code
elimination off) for the whole binary. The fork copies the toolchain's packages into the module
(under `internal/third_party/template` by default), with Go's licence, their import paths rewritten,
and the method lookup removed: fields and map keys work as before, a method call fails with an
error that names it. No `//go:linkname` into the standard library (the linker refuses it since Go
1.23). The files come from the toolchain that builds the module: `go env GOROOT` in the module.

    fork_plan(go, module_dir, module_path)        the fork's files
    import_site_changes(module_dir, module_path)  the module's imports repointed to the fork
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from refactor.edit import add_import, gofmt, remove_import
from refactor.errors import GotrimError
from refactor.gosource import parse_file
from refactor.plan import Edit, FileChange, apply_edits
from refactor.toolchain import Go, parse_version

DEFAULT_DEST = "internal/third_party/template"

# Standard packages the fork copies, by what is asked; internal/godebug is not copied (see _godebug).
TEXT_PACKAGES = ("text/template", "text/template/parse", "internal/fmtsort")
HTML_PACKAGES = ("html/template",)

# The std import paths a module's own files are repointed from.
FORKED_IMPORTS = ("text/template", "text/template/parse")
FORKED_HTML_IMPORTS = ("html/template",)

METHOD_NOTE = "calling methods was removed by gotrim's method-free copy of text/template"


class ForkError(GotrimError):
    """The toolchain's template packages do not have the shape the fork expects."""


@dataclass(frozen=True)
class Toolchain:
    """Where the template packages come from."""

    goroot: Path
    version: str  # as `go env GOVERSION` prints it, e.g. go1.26.8
    minor: int


def toolchain_of(go: Go, module_dir: Path) -> Toolchain:
    """The toolchain that builds the module (honouring GOTOOLCHAIN and go.mod's toolchain line)."""
    env = go.env_values(module_dir, "GOROOT", "GOVERSION")
    version = env.get("GOVERSION", "")
    parsed = parse_version(version)
    if not env.get("GOROOT") or parsed is None:
        raise ForkError(f"cannot read GOROOT/GOVERSION of the toolchain in {module_dir}")
    return Toolchain(goroot=Path(env["GOROOT"]), version=version, minor=parsed[1])


def fork_import_path(module_path: str, dest: str, std_path: str) -> str:
    """The import path of the fork of a standard package (text/template -> <module>/<dest>/text/template)."""
    return f"{module_path}/{dest.strip('/')}/{std_path}"


def fork_plan(
    go: Go, module_dir: Path, module_path: str, dest: str = DEFAULT_DEST, html: bool = False,
) -> list[FileChange]:
    """The files of the method-free fork under dest (paths relative to module_dir).

    A previous fork made by gotrim at dest is replaced (its stale files deleted); any other content
    there is an error. Raises ForkError when the toolchain's sources differ from what the rewrite
    expects (so a new Go release is noticed, not silently mis-forked).
    """
    return fork_plan_at(toolchain_of(go, module_dir), module_dir, module_path, dest, html)


def toolchain_at(goroot: str | Path, version: str) -> Toolchain:
    """The Toolchain of a known GOROOT and version (the typed view reports both), without running go."""
    parsed = parse_version(version)
    if not str(goroot) or parsed is None:
        raise ForkError(f"cannot tell the toolchain's GOROOT and version ({goroot!r}, {version!r})")
    return Toolchain(goroot=Path(goroot), version=version, minor=parsed[1])


def fork_plan_at(
    tc: Toolchain, module_dir: Path, module_path: str, dest: str = DEFAULT_DEST, html: bool = False,
) -> list[FileChange]:
    """fork_plan with the toolchain given (reads its GOROOT; runs nothing)."""
    dest = dest.strip("/")
    packages = TEXT_PACKAGES + (HTML_PACKAGES if html else ())
    out: dict[str, bytes] = {}
    for std in packages:
        src_dir = tc.goroot / "src" / std
        names = _package_files(src_dir)
        if not names:
            raise ForkError(f"no Go files in {src_dir}")
        for name in names:
            data = (src_dir / name).read_bytes()
            new = _rewrite(std, name, data, module_path, dest, tc, html)
            out[f"{dest}/{std}/{name}"] = new
    licence = tc.goroot / "LICENSE"
    if not licence.exists():
        raise ForkError(f"{licence} is missing: the fork must carry Go's licence")
    out[f"{dest}/LICENSE"] = licence.read_bytes()
    out[f"{dest}/README.md"] = _readme(tc, packages, html).encode()
    return _changes(module_dir, dest, out)


def _package_files(src_dir: Path) -> list[str]:
    """The package's non-test Go files (the standard template packages have no build constraints)."""
    if not src_dir.is_dir():
        return []
    return sorted(p.name for p in src_dir.iterdir()
                  if p.is_file() and p.name.endswith(".go") and not p.name.endswith("_test.go"))


def _changes(module_dir: Path, dest: str, files: dict[str, bytes]) -> list[FileChange]:
    root = module_dir / dest
    existing: dict[str, bytes] = {}
    if root.exists():
        readme = root / "README.md"
        if not readme.exists() or b"gotrim" not in readme.read_bytes():
            raise ForkError(f"{dest} exists and was not made by gotrim: choose another destination")
        for path in sorted(root.rglob("*")):
            if path.is_file():
                existing[path.relative_to(module_dir).as_posix()] = path.read_bytes()
    changes = [FileChange(p, existing.get(p), data) for p, data in sorted(files.items())]
    changes += [FileChange(p, data, None) for p, data in sorted(existing.items()) if p not in files]
    return [c for c in changes if c.before != c.after]


# ---------------------------------------------------------------------------------------------------------
# rewriting one file


def _rewrite(std: str, name: str, data: bytes, module_path: str, dest: str, tc: Toolchain, html: bool) -> bytes:
    notes: list[str] = []
    src = data
    if std == "text/template" and name == "exec.go":
        src = _remove_method_lookup(src, notes)
    if std == "text/template" and name == "funcs.go":
        src = _func_map_alias(src, notes)
    if std == "html/template":
        src = _godebug(src, name, notes)
    src = _repoint_imports(std, name, src, module_path, dest, html)
    src = _header(std, name, src, tc, notes)
    try:
        return gofmt(src)
    except GotrimError as exc:
        raise ForkError(f"the fork of {std}/{name} from {tc.version} does not format: {exc}") from exc


def _replace_once(src: str, old: str, new: str, where: str) -> str:
    n = src.count(old)
    if n != 1:
        raise ForkError(f"{where}: expected the code {old.strip()[:60]!r} once, found it {n} times")
    return src.replace(old, new)


_FUNC_MAP = re.compile(rb"\ntype FuncMap (map\[string\](?:any|interface\{\}))\n")


def _func_map_alias(data: bytes, notes: list[str]) -> bytes:
    """FuncMap as an alias of its map type: a text/template.FuncMap a dependency builds (sprig's
    TxtFuncMap, which caddy hands to its templates) is then assignable to the fork's Funcs, as any
    map[string]any is; as a type of its own it did not compile there."""
    src, n = _FUNC_MAP.subn(
        rb"\n// gotrim: an alias, so that the standard library's FuncMap is one too.\ntype FuncMap = \1\n", data)
    if n != 1:
        raise ForkError(f"text/template/funcs.go: FuncMap has an unexpected shape ({n} matches)")
    notes.append("FuncMap is an alias of map[string]any, so a text/template.FuncMap of another package is one too")
    return src


_METHOD_LOOKUP = re.compile(
    r"\n\t// Unless it's an interface, need to get to a value of type \*T to guarantee\n"
    r"\t// we see all methods of T and \*T\.\n"
    r"\tptr := receiver\n"
    r"\tif ptr\.Kind\(\) != reflect\.Interface && ptr\.Kind\(\) != reflect\.Pointer && ptr\.CanAddr\(\) \{\n"
    r"\t\tptr = ptr\.Addr\(\)\n"
    r"\t\}\n"
    r"\tif method := ptr\.MethodByName\(fieldName\); method\.IsValid\(\) \{\n"
    r"\t\treturn s\.evalCall\(dot, method, false, node, fieldName, args, final\)\n"
    r"\t\}\n"
)


def _remove_method_lookup(data: bytes, notes: list[str]) -> bytes:
    """evalField without MethodByName: a method's name is no longer resolved (the error names it)."""
    src = data.decode()
    where = "text/template/exec.go"
    src, n = _METHOD_LOOKUP.subn(
        "\n\t// gotrim: no method lookup here. reflect's MethodByName with a name computed at run time\n"
        "\t// makes the linker keep every exported method of every reachable type (method dead-code\n"
        "\t// elimination off); a template that calls a method fails below with an error naming it.\n",
        src)
    if n != 1:
        raise ForkError(f"{where}: the method lookup of evalField has an unexpected shape ({n} matches)")
    # A map type with methods: a missing key may have been a method call.
    src = _replace_once(
        src,
        "\t\t\tresult := receiver.MapIndex(nameVal)\n\t\t\tif !result.IsValid() {\n",
        "\t\t\tresult := receiver.MapIndex(nameVal)\n"
        "\t\t\tif !result.IsValid() && (receiver.Type().NumMethod() > 0 ||\n"
        "\t\t\t\treflect.PointerTo(receiver.Type()).NumMethod() > 0) {\n"
        "\t\t\t\ts.errorf(\"map has no entry for key %q and its type %s has methods: \"+\n"
        f"\t\t\t\t\t\"if %s is one of them, {METHOD_NOTE}\", fieldName, typ, fieldName)\n"
        "\t\t\t}\n"
        "\t\t\tif !result.IsValid() {\n",
        where)
    src = _replace_once(
        src,
        '\ts.errorf("can\'t evaluate field %s in type %s", fieldName, typ)\n\tpanic("not reached")\n}',
        f'\ts.errorf("can\'t evaluate field %s in type %s (if it is a method: {METHOD_NOTE})", fieldName, typ)\n'
        '\tpanic("not reached")\n}',
        where)
    if "MethodByName" in re.sub(r"//[^\n]*", "", src):
        raise ForkError(f"{where}: MethodByName is still called after the rewrite")
    notes.append("evalField no longer looks methods up (reflect.Value.MethodByName): a template calling a "
                 "method fails with an error naming it, and a missing key of a map type that has methods "
                 "is an error")
    return src.encode()


_GODEBUG_VAR = re.compile(r'\nvar (\w+) = godebug\.New\("([^"]+)"\)\n')
_METACONTENT = re.compile(
    r'(?P<indent>\t+)if htmlmetacontenturlescape\.Value\(\) != "0" \{\n'
    r'(?P=indent)\ts = append\(s, "_html_template_urlfilter"\)\n'
    r'(?P=indent)\} else \{\n.*?htmlmetacontenturlescape\.IncNonDefault\(\)\n(?P=indent)\}\n', re.S)


def _godebug(data: bytes, name: str, notes: list[str]) -> bytes:
    """internal/godebug cannot be copied (it is internal to the standard library and the runtime):
    each setting html/template reads is replaced by its default behaviour."""
    src = data.decode()
    if "internal/godebug" not in src:
        return data
    settings = [m.group(2) for m in _GODEBUG_VAR.finditer(src)]
    src, n = _METACONTENT.subn(
        '\\g<indent>// gotrim: the default of GODEBUG htmlmetacontenturlescape (internal/godebug cannot be copied,\n'
        '\\g<indent>// so the setting is not read): URLs in <meta http-equiv="refresh" content="..."> are filtered.\n'
        '\\g<indent>s = append(s, "_html_template_urlfilter")\n', src)
    src = _GODEBUG_VAR.sub(
        lambda m: f"\n// gotrim: GODEBUG {m.group(2)} is not read (internal/godebug cannot be copied); "
                  "the default behaviour applies.\n", src)
    body = re.sub(r"//[^\n]*", "", src)
    if re.search(r"\bgodebug\.", body.replace('"internal/godebug"', "")):
        raise ForkError(f"html/template/{name}: internal/godebug is used in a way the fork does not know")
    f = parse_file(name, src.encode())
    src = apply_edits(src.encode(), remove_import(f, "internal/godebug")).decode()
    notes.append("GODEBUG settings " + ", ".join(settings) + " are not read (internal/godebug cannot be copied); "
                 "their default behaviour applies")
    return src.encode()


def _repoint_imports(std: str, name: str, data: bytes, module_path: str, dest: str, html: bool) -> bytes:
    f = parse_file(f"{std}/{name}", data)
    edits: list[Edit] = []
    for imp in f.imports:
        target: str | None = None
        if imp.path in ("text/template", "text/template/parse", "internal/fmtsort") or (
                html and imp.path == "html/template"):
            target = fork_import_path(module_path, dest, imp.path)
        elif imp.path.startswith("internal/") or imp.path == "html/template":
            raise ForkError(f"{std}/{name} imports {imp.path}, which the fork does not copy")
        if target is None:
            continue
        spec = data[imp.start:imp.end]
        lit = f'"{imp.path}"'.encode()
        at = spec.rfind(lit)
        if at < 0:
            raise ForkError(f"{std}/{name}: cannot find the import path literal of {imp.path}")
        start = imp.start + at
        edits.append(Edit(start, start + len(lit), f'"{target}"'.encode()))
    return apply_edits(data, edits)


_LICENCE = re.compile(rb"\A((?://[^\n]*\n)+)\n")


def _header(std: str, name: str, data: bytes, tc: Toolchain, notes: Sequence[str]) -> bytes:
    """Keep Go's licence header, say where the file comes from, and raise the file's language version
    to the toolchain's (a `//go:build go1.N` line does that even in an older module)."""
    m = _LICENCE.match(data)
    if not m:
        raise ForkError(f"{std}/{name}: no comment header at the top of the file")
    lines = [f"//\n// Copied by gotrim from {std} of {tc.version} (see README.md next to LICENSE)."]
    if b"The Go Authors" not in m.group(1):
        if not m.group(1).startswith(b"// Code generated"):
            raise ForkError(f"{std}/{name}: no Go licence header at the top of the file")
        # stringer's output carries no header of its own: it is covered by the package's licence.
        lines.append("// Copyright The Go Authors. Use of this source code is governed by a BSD-style\n"
                     "// license that can be found in the LICENSE file.")
    for note in notes:
        lines.append(f"// Changed: {note}.")
    head = m.group(1) + "\n".join(lines).encode() + b"\n\n"
    build = f"//go:build go1.{tc.minor}\n\n".encode()
    return head + build + data[m.end():]


def _readme(tc: Toolchain, packages: Sequence[str], html: bool) -> str:
    pkgs = ", ".join(packages)
    html_note = ("\n- html/template: GODEBUG settings are not read (internal/godebug cannot be copied);"
                 " each keeps its default behaviour." if html else "")
    return f"""# Method-free copy of Go's template packages (made by gotrim)

Copied from {tc.version}: {pkgs}. Go's licence is in LICENSE; every file keeps its header.

Why: text/template calls methods through reflect's `MethodByName` with a name known only at run
time. The linker then keeps every exported method of every reachable type: method dead-code
elimination is off for the whole binary. This copy cannot call methods, so the linker can drop
the methods nothing calls.

Changes:

- text/template (exec.go): the evaluator no longer looks methods up. Fields and map keys work as
  before; a template that calls a method fails with an error that names it and says that calling
  methods was removed by gotrim's copy. A missing key of a map type that has methods is an error
  (the name may have been a method).{html_note}
- Import paths point inside this directory; each file has a `//go:build go1.{tc.minor}` line so that it
  compiles with its own language version in an older module.

To update: run gotrim again with the toolchain that builds the module; to drop the copy, point the
imports back to the standard library and delete this directory.
"""


# ---------------------------------------------------------------------------------------------------------
# the module's own imports


def module_go_files(module_dir: Path, skip: Iterable[str] = ()) -> Iterator[str]:
    """The module's .go files (relative paths), without nested modules, vendor, testdata and skipped dirs."""
    skipped = {s.strip("/") for s in skip}
    for dirpath, dirnames, filenames in os.walk(module_dir):
        rel = Path(dirpath).relative_to(module_dir).as_posix()
        rel = "" if rel == "." else rel
        keep = []
        for d in sorted(dirnames):
            sub = f"{rel}/{d}" if rel else d
            if d in ("vendor", "testdata") or d.startswith((".", "_")) or sub in skipped:
                continue
            if (Path(dirpath) / d / "go.mod").exists():
                continue
            keep.append(d)
        dirnames[:] = keep
        for fn in sorted(filenames):
            if fn.endswith(".go"):
                yield f"{rel}/{fn}" if rel else fn


def import_site_changes(
    module_dir: Path, module_path: str, dest: str = DEFAULT_DEST, html: bool = False,
    files: Iterable[str] | None = None,
) -> list[FileChange]:
    """Repoint the module's imports of text/template (and text/template/parse; html/template when html)
    to the fork; local names are kept, the new import joins the module's own import group.

    Raises ForkError when a file imports html/template but html is False: html/template would keep the
    standard text/template (and its method lookup) in the binary.
    """
    dest = dest.strip("/")
    changes: list[FileChange] = []
    for rel in (files if files is not None else module_go_files(module_dir, skip=[dest])):
        before = (module_dir / rel).read_bytes()
        after = repoint_file(rel, before, module_path, dest, html)
        if after is not None:
            changes.append(FileChange(rel, before, after))
    return changes


def repoint_file(rel: str, before: bytes, module_path: str, dest: str = DEFAULT_DEST, html: bool = False
                 ) -> bytes | None:
    """One file's imports of the standard template packages repointed to the fork (None: it has none).

    Raises ForkError when the file imports html/template but html is False."""
    dest = dest.strip("/")
    paths = FORKED_IMPORTS + (FORKED_HTML_IMPORTS if html else ())
    f = parse_file(rel, before)
    present = [imp for imp in f.imports if imp.path in paths]
    if not html and any(imp.path == "html/template" for imp in f.imports):
        raise ForkError(f"{rel} imports html/template: fork it too (html=True), or it keeps the standard "
                        "text/template and its method lookup in the binary")
    if not present:
        return None
    src = before
    for imp in present:
        f = parse_file(rel, src)
        f.check()
        src = apply_edits(src, remove_import(f, imp.path))
        f = parse_file(rel, src)
        edits, local = add_import(f, fork_import_path(module_path, dest, imp.path), imp.name,
                                  pkg_name=imp.path.rsplit("/", 1)[-1])
        expected = imp.name if imp.name is not None else imp.path.rsplit("/", 1)[-1]
        if local != expected:
            raise ForkError(f"{rel}: the fork of {imp.path} cannot keep the local name {expected}")
        src = apply_edits(src, edits)
    return src


def template_imports(module_dir: Path, dest: str = DEFAULT_DEST) -> set[str]:
    """The standard template packages the module's own files import (to choose html=...)."""
    found: set[str] = set()
    for rel in module_go_files(module_dir, skip=[dest.strip("/")]):
        f = parse_file(rel, (module_dir / rel).read_bytes())
        found.update(imp.path for imp in f.imports
                     if imp.path in FORKED_IMPORTS + FORKED_HTML_IMPORTS)
    return found
