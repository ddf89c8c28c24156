"""The source index: the Go files of every module of the repository, parsed once, selected per build
configuration by Go's rules. Paths are relative to the repository's top (the index's root), as Plan
paths are.

Which files of a module the go command considers, and which of them one build compiles, is decided
here and nowhere else (strategies, `why` and `dce` ask the index):

- the module's tree as `go list ./...` walks it (cmd/go/internal/modload/search.go): directories
  named `testdata` or starting with `.` or `_` are skipped, as are `vendor`, nested modules (a
  directory with its own go.mod) and the go.mod `ignore` directives of Go 1.25
  (cmd/go/internal/search.IgnorePatterns: `./x` only at the root, `x` anywhere);
- files ending in `.go` not starting with `.` or `_`;
- for one configuration (go/build.Context): the `_GOOS`, `_GOARCH`, `_GOOS_GOARCH` file-name
  suffixes, the `//go:build` line (else the `// +build` lines of the leading comment block that a
  blank line follows), `_test.go` files only for tests, files importing "C" only with cgo on.

Files are parsed once (gosource, with the package names go list reported for their imports) and
kept; the file set is fixed when the index is built.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from refactor.config import Target
from refactor.gosource import (
    BuildExpr,
    GoFile,
    eval_build_expr,
    parse_build_expr,
    parse_file,
    parse_plus_build,
)
from refactor.parsecache import ParseCache

KNOWN_OS = frozenset((
    "aix", "android", "darwin", "dragonfly", "freebsd", "hurd", "illumos", "ios", "js", "linux", "nacl",
    "netbsd", "openbsd", "plan9", "solaris", "wasip1", "windows", "zos",
))
UNIX_OS = frozenset((
    "aix", "android", "darwin", "dragonfly", "freebsd", "hurd", "illumos", "ios", "linux", "netbsd", "openbsd",
    "solaris",
))
KNOWN_ARCH = frozenset((
    "386", "amd64", "amd64p32", "arm", "armbe", "arm64", "arm64be", "loong64", "mips", "mipsle", "mips64",
    "mips64le", "mips64p32", "mips64p32le", "ppc", "ppc64", "ppc64le", "riscv", "riscv64", "s390", "s390x",
    "sparc", "sparc64", "wasm",
))
# Tags that describe the platform or toolchain, never a feature of the module.
PLATFORM_TAGS = KNOWN_OS | KNOWN_ARCH | {"cgo", "unix", "gc", "gccgo", "ignore"}

_QUOTED = re.compile(rb'"([^"\n]+)"')


@dataclass(frozen=True)
class BuildContext:
    """The facts go/build matches file names and constraints against (one configuration)."""

    goos: str
    goarch: str
    tags: tuple[str, ...] = ()
    cgo: bool = True
    go_minor: int = 26  # release tags go1.1 ... go1.<go_minor>

    @classmethod
    def of(cls, target: Target, go_minor: int = 26) -> BuildContext:
        return cls(target.goos, target.goarch, target.tags, target.cgo, go_minor)

    def match_tag(self, name: str) -> bool:
        """go/build.Context.matchTag."""
        if name == "cgo":
            return self.cgo
        if name in (self.goos, self.goarch, "gc"):
            return True
        if (self.goos, name) in (("android", "linux"), ("illumos", "solaris"), ("ios", "darwin")):
            return True
        if name == "unix":
            return self.goos in UNIX_OS
        if name in self.tags or name in _arch_tags(self.goarch):
            return True
        m = re.fullmatch(r"go1\.(\d+)", name)
        return m is not None and 1 <= int(m.group(1)) <= self.go_minor

    def good_os_arch_file(self, name: str) -> bool:
        """go/build.Context.goodOSArchFile: the _GOOS/_GOARCH suffixes of a file name."""
        stem = name.split(".", 1)[0]
        i = stem.find("_")
        if i < 0:
            return True
        parts = stem[i:].split("_")
        if parts and parts[-1] == "test":
            parts = parts[:-1]
        n = len(parts)
        if n >= 2 and parts[-2] in KNOWN_OS and parts[-1] in KNOWN_ARCH:
            return self.match_tag(parts[-1]) and self.match_tag(parts[-2])
        if n >= 1 and (parts[-1] in KNOWN_OS or parts[-1] in KNOWN_ARCH):
            return self.match_tag(parts[-1])
        return True

    def matches(self, name: str, f: GoFile) -> bool:
        """Whether a build in this context compiles the (non-test, or test when asked) file."""
        if not self.good_os_arch_file(name):
            return False
        x = build_expr(f)
        if x is not None and not eval_build_expr(x, self.match_tag):
            return False
        return self.cgo or not any(i.path == "C" for i in f.imports)


def _arch_tags(goarch: str) -> tuple[str, ...]:
    """internal/buildcfg's architecture feature tags at the default (or $GOAMD64/$GOARM) levels."""
    if goarch == "amd64":
        level = int(os.environ.get("GOAMD64", "v1").lstrip("v") or 1)
        return tuple(f"amd64.v{i}" for i in range(1, level + 1))
    if goarch == "arm":
        level = int(os.environ.get("GOARM", "7").split(",")[0] or "7")
        return tuple(f"arm.{i}" for i in range(5, level + 1))
    return {"arm64": ("arm64.v8.0",), "386": ("386.sse2",), "mips": ("mips.hardfloat",),
            "mipsle": ("mipsle.hardfloat",), "mips64": ("mips64.hardfloat",),
            "mips64le": ("mips64le.hardfloat",), "ppc64": ("ppc64.power8",), "ppc64le": ("ppc64le.power8",),
            "riscv64": ("riscv64.rva20u64",)}.get(goarch, ())


def build_expr(f: GoFile) -> BuildExpr | None:
    """The file's build constraint as go/build reads it: the //go:build line, else the // +build lines
    that a blank line follows in the leading comment block; None when there is none."""
    c = f.constraint
    if c is None:
        return None
    if c.expr is not None:
        return parse_build_expr(c.expr)
    x: BuildExpr | None = None
    head = f.src[:f.package_start]
    for s, e in c.plus_build:
        if not any(not ln.strip() for ln in head[e:].split(b"\n")[:-1]):
            continue  # no blank line follows it: a doc comment, not a constraint
        y = parse_plus_build(f.src[s:e].decode("utf-8", "replace"))
        x = y if x is None else ("and", x, y)
    return x


def ignore_patterns(gomod: bytes) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The `ignore` directives of a go.mod: (root-relative patterns, anywhere patterns), each
    normalised to `/dir/` as cmd/go's search.IgnorePatterns does."""
    text = gomod.decode("utf-8", "replace")
    text = re.sub(r"//[^\n]*", "", text)
    items: list[str] = []
    for m in re.finditer(r"^\s*ignore\s*(\(([^)]*)\)|(\S+))", text, re.M):
        block = m.group(2)
        items.extend(block.split() if block is not None else [m.group(3)])
    rel: list[str] = []
    anywhere: list[str] = []
    for item in items:
        item = item.strip().strip('"`')
        if not item:
            continue
        relative = item.startswith("./")
        path = "/" + item[2:].strip("/") + "/" if relative else "/" + item.strip("/") + "/"
        (rel if relative else anywhere).append(path)
    return tuple(rel), tuple(anywhere)


def walk_module(root: Path) -> list[str]:
    """Module-relative paths of the Go files `go list ./...` considers, sorted."""
    gomod = root / "go.mod"
    rel_pats, any_pats = ignore_patterns(gomod.read_bytes() if gomod.is_file() else b"")
    out: list[str] = []
    for d, dirs, files in os.walk(root):
        rel_dir = os.path.relpath(d, root).replace(os.sep, "/")
        rel_dir = "" if rel_dir == "." else rel_dir
        keep = []
        for x in dirs:
            sub = f"{rel_dir}/{x}" if rel_dir else x
            norm = f"/{sub}/"
            if x.startswith((".", "_")) or x in ("testdata", "vendor"):
                continue
            if any(norm.startswith(p) for p in rel_pats) or any(p in norm for p in any_pats):
                continue
            if os.path.isfile(os.path.join(d, x, "go.mod")):
                continue  # a nested module: its own packages
            keep.append(x)
        dirs[:] = sorted(keep)
        out.extend(f"{rel_dir}/{f}" if rel_dir else f for f in files
                   if f.endswith(".go") and not f.startswith((".", "_")) and os.path.isfile(os.path.join(d, f)))
    return sorted(out)


# A file's imports (path, explicit name or None) and, per qualifier, the names selected with it (plain
# tuples: what the parse cache reads back quickly).
QualifiedRefs = tuple[tuple[tuple[str, str | None], ...], dict[str, frozenset[str]]]


def qualified_refs_of(f: GoFile) -> QualifiedRefs:
    """SourceIndex.qualified_refs of a parsed file."""
    return tuple((i.path, i.name) for i in f.imports), dict(f.qualified_names)


def _is_qualified_refs(x: object) -> bool:
    return isinstance(x, tuple) and len(x) == 2 and isinstance(x[0], tuple) and isinstance(x[1], dict)


class SourceIndex:
    """The Go files of the repository's modules: which exist (fixed at build), each parsed once on first use.

    modules: (directory relative to root, module path) of each module indexed; links: per module
    directory, the module directories whose packages its builds use from the repository itself (itself,
    its workspace, its directory replacements): importers() only returns files that really import the
    repository's copy of a package. None: one module, or every module sees every other.
    """

    def __init__(self, root: Path, module_path: str, files: Iterable[str], *,
                 package_names: Mapping[str, str] | None = None, go_minor: int = 26,
                 modules: Sequence[tuple[str, str]] | None = None,
                 links: Mapping[str, frozenset[str]] | None = None) -> None:
        self.root = root
        self._root_str = str(root)
        self.modules = tuple((norm_dir(d), p) for d, p in (modules or [("", module_path)]))
        self.module_path = self.modules[0][1] if self.modules else module_path
        self.go_minor = go_minor
        self.package_names = dict(package_names or {})  # import path -> package name (go list's)
        self.links = dict(links) if links is not None else None
        self.target_minors: dict[Target, int] = {}  # a target's toolchain's go1.N, where it differs
        self._files = tuple(sorted(files))
        self._by_dir: dict[str, list[str]] = {}
        for rel in self._files:
            self._by_dir.setdefault(_dir_of(rel), []).append(rel)
        self._parsed: dict[str, GoFile] = {}
        self._raw: dict[str, bytes] = {}
        self._refs: dict[str, QualifiedRefs] = {}
        self._import_sets: dict[str, frozenset[str]] = {}  # importers(): the import paths of a file
        self._importers: dict[tuple[str, bool], tuple[GoFile, ...]] = {}  # importers()' answers
        self._rels: dict[str, str] = {}  # rel()'s answers (strategies ask for the same paths often)
        self.parse_cache: ParseCache | None = None  # parsed files, kept between runs
        self._trees: dict[str, tuple[str, ...]] = {}

    @classmethod
    def scan(cls, root: Path, module_path: str, *, package_names: Mapping[str, str] | None = None,
             go_minor: int = 26, package_dirs: Iterable[str] = (),
             modules: Sequence[tuple[str, str]] | None = None,
             links: Mapping[str, frozenset[str]] | None = None) -> SourceIndex:
        """The index of the modules under root (each walked by walk_module; default: one module at
        root), plus the files of package_dirs (root-relative) that the walk skips but a build imports
        (an `ignore`d or `_` directory can still be imported by path)."""
        mods = [(norm_dir(d), p) for d, p in (modules or [("", module_path)])]
        files: list[str] = []
        for d, _ in mods:
            files.extend(f"{d}/{f}" if d else f for f in walk_module(root / d if d else root))
        walked = {_dir_of(f) for f in files}
        for d in map(norm_dir, package_dirs):
            if d in walked or d.startswith("..") or os.path.isabs(d) or not (root / d).is_dir():
                continue
            files.extend(f"{d}/{n}" if d else n for n in sorted(os.listdir(root / d))
                         if n.endswith(".go") and not n.startswith((".", "_")) and (root / d / n).is_file())
        return cls(root, module_path, dict.fromkeys(files), package_names=package_names, go_minor=go_minor,
                   modules=mods, links=links)

    # -- the file set -------------------------------------------------------------------------------

    @property
    def files(self) -> tuple[str, ...]:
        """Every Go file of the module (module-relative posix paths, every platform, tests included)."""
        return self._files

    def dirs(self) -> list[str]:
        """Every directory with Go files ("" for the module root), sorted."""
        return sorted(self._by_dir)

    def dir_files(self, rel_dir: str) -> list[str]:
        """Every Go file of one directory (tests and other platforms included)."""
        return list(self._by_dir.get(norm_dir(rel_dir), ()))

    def rel(self, path: str | Path) -> str:
        """A path as the index names it: relative to the module root, posix (absolute when outside)."""
        key = path if isinstance(path, str) else str(path)
        hit = self._rels.get(key)
        if hit is None:
            hit = self._rels[key] = self._rel(key)
        return hit

    def _rel(self, path: str) -> str:
        p = Path(path)
        if not p.is_absolute():
            return p.as_posix()
        if not str(p).startswith(self._root_str):  # (a module cache path: no relative_to's exception)
            return str(p)
        try:
            return p.relative_to(self.root).as_posix()
        except ValueError:
            return str(p)

    def module_dir(self, rel: str) -> str | None:
        """The directory (root-relative) of the indexed module that holds a root-relative path."""
        rel = norm_dir(rel)
        best: str | None = None
        for d, _ in self.modules:
            if (not d or rel == d or rel.startswith(d + "/")) and (best is None or len(d) > len(best)):
                best = d
        return best

    def import_path(self, rel_dir: str) -> str:
        """The import path of a directory of one of the modules."""
        rel_dir = norm_dir(rel_dir)
        mod = self.module_dir(rel_dir)
        if mod is None:
            return rel_dir
        path = dict(self.modules)[mod]
        sub = rel_dir[len(mod):].strip("/")
        return path if not sub else f"{path}/{sub}"

    def dir_of(self, import_path: str) -> str | None:
        """The root-relative directory of one of the modules' import paths (None for others)."""
        best: tuple[str, str] | None = None
        for d, path in self.modules:
            if (import_path == path or import_path.startswith(path + "/")) and (
                    best is None or len(path) > len(best[1])):
                best = (d, path)
        if best is None:
            return None
        d, path = best
        sub = import_path[len(path):].strip("/")
        return "/".join(x for x in (d, sub) if x)

    def sees(self, rel: str, import_path: str) -> bool:
        """Whether the module holding file `rel` builds the repository's own copy of import_path (when
        that is a package of an indexed module): a file of a module that requires a published version
        of it is not an importer of this copy."""
        if self.links is None:
            return True
        owner = self.dir_of(import_path)
        if owner is None:
            return True
        owner_mod = self.module_dir(owner)
        mine = self.module_dir(rel)
        return owner_mod is None or mine is None or owner_mod in self.links.get(mine, frozenset({mine}))

    # -- parsed files -------------------------------------------------------------------------------

    def file(self, path: str | Path) -> GoFile:
        """The parsed file (a module-relative path, or an absolute path, outside the module too)."""
        rel = self.rel(path)
        f = self._parsed.get(rel)
        if f is None:
            full = Path(rel) if os.path.isabs(rel) else self.root / rel
            src = self._raw.pop(rel, None) or full.read_bytes()  # (read once: source() may have)
            names = self._names(src)
            if self.parse_cache is not None:
                f = self.parse_cache.get(rel, src, names, lambda: parse_file(rel, src, names))
            else:
                f = parse_file(rel, src, names)
            self._parsed[rel] = f
        return f

    def _names(self, src: bytes) -> dict[str, str]:
        """The package names of the import paths a file's text quotes (what its parse depends on)."""
        quoted = {m.decode("utf-8", "replace") for m in _QUOTED.findall(src)}
        return {p: self.package_names[p] for p in quoted if p in self.package_names}

    def qualified_refs(self, path: str | Path) -> QualifiedRefs:
        """A file's imports (path, explicit name) and, per qualifier, the names its declarations select
        with it (`q.Name`): what a reader of a package's importers wants. It is kept in the parse
        cache, read back without the whole parse."""
        rel = self.rel(path)
        hit = self._refs.get(rel)
        if hit is None:
            if rel in self._parsed or self.parse_cache is None:
                hit = qualified_refs_of(self.file(rel))
            else:
                src = self.source(rel)
                hit = self.parse_cache.summary(rel, src, self._names(src), "qualified_refs",
                                               lambda: qualified_refs_of(self.file(rel)), _is_qualified_refs)
            self._refs[rel] = hit
        return hit

    def source(self, path: str | Path) -> bytes:
        """A file's bytes, unparsed (a module-relative path, or an absolute one: the module cache, GOROOT);
        read once. For a quick look before a parse (which declarations a package's files spell)."""
        rel = self.rel(path)
        f = self._parsed.get(rel)
        if f is not None:
            return f.src
        raw = self._raw.get(rel)
        if raw is None:
            full = Path(rel) if os.path.isabs(rel) else self.root / rel
            raw = self._raw[rel] = full.read_bytes()
        return raw

    def tree(self, directory: str | Path) -> list[str]:
        """Every file under a directory outside the module (a dependency module in the module cache,
        which never changes), relative to it, posix, sorted; read once. What a copy of that module
        holds (licence files, go.mod, assembly and embedded files included)."""
        key = str(Path(directory))
        found = self._trees.get(key)
        if found is None:
            out: list[str] = []
            for d, dirs, files in os.walk(key):
                dirs.sort()
                rel_dir = os.path.relpath(d, key)
                out.extend(f if rel_dir == "." else f"{rel_dir}/{f}".replace(os.sep, "/") for f in sorted(files)
                           if os.path.isfile(os.path.join(d, f)))
            found = self._trees[key] = tuple(out)
        return list(found)

    def parse_all(self, rel_dirs: Iterable[str] | None = None) -> None:
        """Parse every file of these directories (all when None) now, e.g. while the targets link."""
        for d in (self.dirs() if rel_dirs is None else rel_dirs):
            for rel in self.dir_files(d):
                self.file(rel)

    def package_files(self, directory: str | Path, names: Sequence[str]) -> list[GoFile]:
        """Files of a package directory by base name, as go list names them (GoFiles, IgnoredGoFiles...)."""
        d = self.rel(directory)
        return [self.file(f"{d}/{n}" if d not in ("", ".") else n) for n in names]

    # -- one configuration --------------------------------------------------------------------------

    def context(self, target: Target) -> BuildContext:
        return BuildContext.of(target, self.target_minors.get(target, self.go_minor))

    def selected(self, rel_dir: str, target: Target, *, tests: bool = False) -> list[GoFile]:
        """The files of a directory that a build for target compiles (GoFiles + CgoFiles), and its
        _test.go files too when tests is set."""
        ctx = self.context(target)
        out = []
        for rel in self.dir_files(rel_dir):
            name = rel.rsplit("/", 1)[-1]
            if name.endswith("_test.go") and not tests:
                continue
            f = self.file(rel)
            if f.package != "documentation" and ctx.matches(name, f):
                out.append(f)
        return out

    def excluded(self, rel_dir: str, target: Target) -> list[GoFile]:
        """The non-test files of a directory that a build for target leaves out (IgnoredGoFiles):
        other platforms, other tags, cgo files without cgo. Where existing stubs are found."""
        keep = {f.path for f in self.selected(rel_dir, target)}
        return [self.file(rel) for rel in self.dir_files(rel_dir)
                if rel not in keep and not rel.endswith("_test.go")]

    # -- across the modules -------------------------------------------------------------------------

    def importers(self, import_path: str, *, tests: bool = True) -> list[GoFile]:
        """Every file of the modules (every configuration) with an import spec for import_path, that
        builds the repository's copy of it (sees). (Asked again for each feature that guards the package.)"""
        known = self._importers.get((import_path, tests))
        if known is None:
            known = self._importers[(import_path, tests)] = tuple(self._find_importers(import_path, tests))
        return list(known)

    def _find_importers(self, import_path: str, tests: bool) -> list[GoFile]:
        needle = f'"{import_path}"'.encode()
        out = []
        blind = {d for d, _ in self.modules if not self.sees(d + "/x" if d else "x", import_path)}
        for rel in self._files:
            if not tests and rel.endswith("_test.go"):
                continue
            if blind and self.module_dir(rel) in blind:
                continue
            paths = self._import_sets.get(rel)
            if paths is None:  # (asked of every file for every heavy package: the answers are kept)
                if rel not in self._parsed:
                    try:
                        src = self.source(rel)
                    except OSError:
                        continue
                    if needle not in src:
                        continue
                paths = self._import_sets[rel] = frozenset(i.path for i in self.file(rel).imports)
            if import_path in paths:
                out.append(self.file(rel))
        return out

    def tags_in_use(self) -> dict[str, list[str]]:
        """Build tags named by the module's constraints -> the files naming them."""
        out: dict[str, list[str]] = {}
        for rel in self._files:
            f = self._parsed.get(rel)
            if f is not None:
                head = f.src[:f.package_start] if f.package_end else f.src[:4096]
            else:
                with open(self.root / rel, "rb") as fh:
                    head = fh.read(4096)
            for m in re.finditer(rb"^//(?:go:build| *\+build)\s(.*)$", head, re.M):
                for tag in re.findall(r"[A-Za-z0-9_.]+", m.group(1).decode("utf-8", "replace")):
                    out.setdefault(tag, []).append(rel)
        return out


def norm_dir(d: str) -> str:
    """A root-relative directory as the index names it: posix, no "./", "" for the root."""
    d = posixpath.normpath(d.replace(os.sep, "/")).strip("/")
    return "" if d == "." else d


def _dir_of(rel: str) -> str:
    return rel.rsplit("/", 1)[0] if "/" in rel else ""
