"""The repository gotrim analyses: its top, every Go module in it, and the context each is built in.

- top: the git toplevel of REPO (outside git, the highest of REPO, the module REPO is in and the
  go.work that applies there). Plan paths are relative to it, so one branch holds every edit.
- modules: every directory under top with a go.mod, walked with Go's rules (not `vendor/`,
  `testdata/`, nor directories starting with `.` or `_`), and the `use` entries of the go.work files
  that apply to them. A parent's `./...` skips a nested module (Go's rule); gotrim finds it here.
- scope: the modules whose main packages are the default targets: the module REPO is in, and every
  module below REPO.
- context: a module listed in the go.work that applies to it (GOWORK as the go command finds it: the
  environment's, else the nearest go.work above the module) is built in that workspace; any other
  module on its own (GOWORK=off). The toolchain of a context is what the go command selects there
  (toolchain.select_toolchain), asked once per context, when a module of it is first needed.

Target patterns name packages of any of these modules: `./tools/cmd/x` (relative to REPO), an import
path, or `./...`, which here also covers the nested modules below it.
"""

from __future__ import annotations

import os
import posixpath
import re
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from refactor.config import Target, TargetSpec
from refactor.errors import UsageError
from refactor.toolchain import Go, Selection, directive, select_toolchain

_META_PATTERNS = frozenset(("all", "std", "cmd", "tool", "work"))
_SKIP_DIRS = frozenset(("testdata", "vendor"))


@dataclass(frozen=True)
class Module:
    """A Go module of the repository, and what the go command uses to build it.

    go is the toolchain the go command selects in the module's context, pinned (GOTOOLCHAIN=local,
    GOROOT, GOWORK): every go command for the module runs it. None until the context is resolved
    (Repository.resolve). host and host_cgo are go env's GOOS/GOARCH and CGO_ENABLED there.
    """

    path: str
    dir: Path
    host: tuple[str, str] = ("", "")  # GOOS, GOARCH as go env reports them
    host_cgo: bool = False  # CGO_ENABLED's default for the host platform
    go: Go | None = None
    workspace: Path | None = None  # the go.work file it is built under; None: on its own (GOWORK=off)

    @property
    def toolchain(self) -> Go:
        """The module's toolchain (a resolved module only)."""
        if self.go is None:
            raise RuntimeError(f"module {self.path}: its context was not resolved")
        return self.go

    @property
    def context_key(self) -> str:
        """Modules with the same key share one context (a workspace), hence one toolchain."""
        return f"work:{self.workspace}" if self.workspace else f"mod:{self.dir}"


@dataclass(frozen=True)
class Repository:
    """Where REPO is: its top, every module in it, and the toolchain of each module's context."""

    top: Path
    root: Path  # REPO as given (resolved): relative target patterns and gotrim.toml are read from here
    modules: tuple[Module, ...]  # the module REPO is in first (when there is one), then by directory
    launcher: Go  # the go command on PATH, which selects each context's toolchain
    _selections: dict[str, Selection] = field(default_factory=dict, compare=False, repr=False)

    # -- where things are ---------------------------------------------------------------------------

    def rel(self, path: str | Path) -> str:
        """A path relative to the top (posix; "" for the top itself); absolute when outside."""
        p = Path(path)
        try:
            rel = p.relative_to(self.top).as_posix()
        except ValueError:
            return str(p)
        return "" if rel == "." else rel

    def inside(self, path: str | Path) -> bool:
        """Whether a path is in the repository (under its top)."""
        return _under(Path(path), self.top)

    def scope(self) -> list[Module]:
        """The modules whose main packages are the default targets: the one REPO is in, and those below."""
        owner = self.module_at(self.root)
        return [m for m in self.modules if m is owner or _under(m.dir, self.root)]

    def module_at(self, path: str | Path) -> Module | None:
        """The module whose directory holds path (the innermost one)."""
        p = Path(path)
        best: Module | None = None
        for m in self.modules:
            if _under(p, m.dir) and (best is None or len(m.dir.parts) > len(best.dir.parts)):
                best = m
        return best

    def module_for_import(self, import_path: str) -> Module | None:
        """The module whose path is the longest prefix of import_path."""
        best: Module | None = None
        for m in self.modules:
            if (import_path == m.path or import_path.startswith(m.path + "/")) and (
                    best is None or len(m.path) > len(best.path)):
                best = m
        return best

    def import_path_of(self, directory: str | Path) -> str | None:
        """The import path of a package directory of one of the modules (None outside them)."""
        m = self.module_at(directory)
        if m is None:
            return None
        rel = Path(directory).relative_to(m.dir).as_posix()
        return m.path if rel in ("", ".") else f"{m.path}/{rel}"

    def pattern_for(self, main: str) -> str:
        """How gotrim.toml names a main package: `./dir` relative to REPO when one of the modules holds
        it, else its import path."""
        m = self.module_for_import(main)
        if m is None:
            return main
        d = m.dir / main[len(m.path):].lstrip("/")
        rel = os.path.relpath(d, self.root).replace(os.sep, "/")
        return "." if rel == "." else rel if rel.startswith("../") else "./" + rel

    def import_pattern(self, pattern: str) -> str:
        """A target pattern of gotrim.toml or --target as an import-path pattern: `./tools/cmd/x` (relative
        to REPO) is the import path of that directory in the module that holds it; `./dir/...` its
        path with `/...`. Other patterns are returned as they are."""
        if not _is_local(pattern):
            return pattern
        base, dots, rest = pattern.partition("...")
        if dots and (rest or not (base.endswith("/") or base == "")):
            return pattern  # ./cmd/foo...: no import-path equivalent kept simple
        ip = self.import_path_of(self._local_dir(base or "."))
        if ip is None:
            return pattern
        return ip + "/..." if dots else ip

    # -- contexts -----------------------------------------------------------------------------------

    def resolve(self, module: Module) -> Module:
        """The module with its context's toolchain and host defaults (one `go env` per context, which
        may download the toolchain the go command selects); ToolchainError when it cannot."""
        if module.go is not None:
            return module
        sel = self._selections.get(module.context_key)
        if sel is None:
            gowork = str(module.workspace) if module.workspace else "off"
            sel = self._selections[module.context_key] = select_toolchain(self.launcher, module.dir, gowork)
        return replace(module, go=sel.go, host=(sel.values.get("GOOS", ""), sel.values.get("GOARCH", "")),
                       host_cgo=sel.values.get("CGO_ENABLED") == "1")

    def resolved(self) -> tuple[Module, ...]:
        """The modules, each with its toolchain where its context has been resolved."""
        return tuple(self.resolve(m) if m.context_key in self._selections else m for m in self.modules)

    # -- what target patterns name ------------------------------------------------------------------

    def locate(self, patterns: Sequence[str]) -> list[tuple[Module, list[str]]]:
        """Which module's context each pattern is listed in, and the pattern as that module's go
        command reads it. No patterns: every scope module with `./...`."""
        if not patterns:
            scope = self.scope()
            if not scope:
                raise UsageError(f"{self.root} is not inside a Go module and has none below it: run gotrim "
                                 "where go.mod is, or pass REPO")
            return [(m, []) for m in scope]
        groups: dict[str, tuple[Module, list[str]]] = {}
        for pattern in patterns:
            for m, p in self._locate_one(pattern):
                groups.setdefault(str(m.dir), (m, []))[1].append(p)
        return list(groups.values())

    def _default(self) -> Module:
        scope = self.scope()
        if scope:
            return scope[0]
        if self.modules:
            return self.modules[0]
        raise UsageError(f"{self.root} is not inside a Go module and has none below it: run gotrim where go.mod "
                         "is, or pass REPO")

    def _locate_one(self, pattern: str) -> list[tuple[Module, str]]:
        if pattern in _META_PATTERNS or "@" in pattern:
            return [(self._default(), pattern)]
        if not _is_local(pattern):
            prefix = pattern.split("...", 1)[0].rstrip("/")
            owner = self.module_for_import(prefix) or self._default()
            out = [(owner, pattern)]
            if "..." in pattern:  # nested modules under an import path prefix: each in its own context
                out += [(m, pattern) for m in self.modules if m is not owner and m.path.startswith(prefix + "/")]
            return out
        base, dots, rest = pattern.partition("...")
        if not dots:  # one directory
            where = self._local_dir(pattern)
            owner = self._owner(pattern, where)
            return [(owner, _dot_rel(where, owner.dir))]
        if not base.endswith("/"):  # ./cmd/foo...: directories of one parent whose names start with foo
            where = self._local_dir(posixpath.dirname(base) or ".")
            owner = self._owner(pattern, where)
            return [(owner, _dot_rel(where, owner.dir) + "/" + posixpath.basename(base) + dots + rest)]
        where = self._local_dir(base)
        inner = self.module_at(where)
        # ./dir/...: the module dir is in, and (unlike go's ./..., which stops at nested modules) every
        # module below dir, each in its own context
        out = [] if inner is None else [(inner, _dot_rel(where, inner.dir) + "/" + dots + rest)]
        if not rest:
            out += [(m, "./...") for m in self.modules if m is not inner and _under(m.dir, where)]
        if not out:
            raise UsageError(f"target {pattern}: {where} is not inside a Go module of {self.top}")
        return out

    def _local_dir(self, pattern: str) -> Path:
        return Path(os.path.normpath(pattern if os.path.isabs(pattern) else self.root / pattern))

    def _owner(self, pattern: str, where: Path) -> Module:
        owner = self.module_at(where)
        if owner is None:
            raise UsageError(f"target {pattern}: {where} is not inside a Go module of {self.top}")
        return owner

def discover(launcher: Go, repo: Path) -> Repository:
    """The repository REPO is in: its top and every module in it (no go command runs here)."""
    if not repo.is_dir():
        raise UsageError(f"{repo} is not a directory: pass the repository (or module) directory")
    root = repo.resolve()
    gomod = _find_up(root, "go.mod")
    work = gowork_for(root)
    top = _git_top(root)
    anchors = [root] + ([gomod.parent] if gomod else []) + ([work.parent] if work else [])
    if top is None or not all(_under(a, top) for a in anchors):
        top = Path(os.path.commonpath([str(a) for a in anchors + ([top] if top else [])]))
    dirs = dict.fromkeys(module_dirs(top, skip=_tool_dirs(launcher)))
    if gomod is not None:
        dirs[gomod.parent] = None
    uses: dict[Path, tuple[Path, ...]] = {}
    for d in list(dirs):
        w = gowork_for(d)
        if w is not None and w not in uses:
            uses[w] = workspace_uses(w)
    for used in uses.values():
        for d in used:
            if (d / "go.mod").is_file():
                dirs.setdefault(d, None)
    modules = []
    for d in dirs:
        path = module_path(d / "go.mod")
        if not path:
            continue  # go rejects a go.mod without a module line; nothing of it can be built
        w = gowork_for(d)
        modules.append(Module(path=path, dir=d, workspace=w if w is not None and d in uses.get(w, ()) else None))
    first = gomod.parent if gomod is not None else None
    modules.sort(key=lambda m: (m.dir != first, m.dir.as_posix()))
    return Repository(top=top, root=root, modules=tuple(modules), launcher=launcher)


def resolve_targets(repo: Repository, specs: Sequence[TargetSpec]) -> list[tuple[Target, Module]]:
    """Targets from specs, each with the module whose context builds it: main packages resolved
    (in every scope module when a spec names none), platforms validated, cgo defaulted as go would."""
    from refactor.graph import main_packages

    out: dict[Target, Module] = {}
    cgo_defaults: dict[tuple[str, str, str], bool] = {}  # one `go env` per context and platform
    for spec in specs:
        for located, patterns in repo.locate(spec.mains):
            module = repo.resolve(located)
            platforms = spec.platforms or (module.host,)
            for goos, goarch in platforms:
                # the host's platform needs no check (and no `go tool dist list`)
                if (goos, goarch) != module.host and (goos, goarch) not in module.toolchain.platforms(module.dir):
                    raise UsageError(f"unknown platform {goos}/{goarch}: see `go tool dist list`")
            for goos, goarch in platforms:
                if spec.cgo is not None:
                    cgo = spec.cgo
                else:
                    key = (module.context_key, goos, goarch)
                    if key not in cgo_defaults:
                        cgo_defaults[key] = _default_cgo(module, goos, goarch)
                    cgo = cgo_defaults[key]
                probe = Target(main="", goos=goos, goarch=goarch, tags=spec.tags, cgo=cgo)
                # mains named one by one need no go list here: graph_from checks each is a main package
                named: list[tuple[str, str | None]] = [
                    (n, None) for n in (_likely_import_path(module, p) for p in patterns) if n]
                if not patterns or len(named) < len(patterns):
                    named = main_packages(module, probe, patterns, strict=bool(spec.mains))
                for main, mod_dir in named:
                    owner = repo.module_at(mod_dir) if mod_dir else repo.module_for_import(main)
                    builds_in = repo.resolve(owner) if owner is not None and owner.dir != module.dir else module
                    t = Target(main=main, goos=goos, goarch=goarch, tags=spec.tags, cgo=cgo, ldflags=spec.ldflags)
                    out.setdefault(t, builds_in)
    if not out:
        where = ", ".join(repo.rel(m.dir) or "." for m in repo.scope()) or str(repo.root)
        raise UsageError(f"no main package in {where}: pass --target ./cmd/NAME")
    return [(t.named_apart_from(out), m) for t, m in out.items()]


def likely_targets(repo: Repository, specs: Sequence[TargetSpec]) -> list[tuple[Target, Module]]:
    """The targets resolve_targets will most likely return, guessed without go list: mains named
    by one directory or import path (no `...`), on platforms whose cgo default is known. Only for
    starting builds early; resolve_targets has the last word. Resolves the contexts it names."""
    out: dict[Target, Module] = {}
    for spec in specs:
        if not spec.mains:
            continue
        located_all: list[tuple[Module, list[str]]] = []
        for pattern in spec.mains:
            try:
                located_all += [(m, [p]) for m, p in repo._locate_one(pattern)]
            except UsageError:
                continue  # resolve_targets says what is wrong with it
        for located, patterns in located_all:
            guessed = [n for n in (_likely_import_path(located, p) for p in patterns) if n]
            if not guessed:
                continue
            module = repo.resolve(located)
            for goos, goarch in spec.platforms or (module.host,):
                if spec.cgo is None and (goos, goarch) != module.host:
                    continue  # go's cgo default for another platform takes a `go env`
                cgo = spec.cgo if spec.cgo is not None else module.host_cgo
                for main in guessed:
                    out.setdefault(Target(main=main, goos=goos, goarch=goarch, tags=spec.tags, cgo=cgo,
                                          ldflags=spec.ldflags), module)
    return list(out.items())


def _likely_import_path(module: Module, pattern: str) -> str | None:
    """The import path a module-relative pattern names, when it surely names one package; else None."""
    if ("..." in pattern or pattern.startswith("/") or "\\" in pattern or "@" in pattern
            or pattern in _META_PATTERNS):
        return None
    if pattern == "." or pattern.startswith(("./", "../")):
        rel = posixpath.normpath(pattern)
        if rel.startswith("..") or not (module.dir / rel).is_dir():
            return None  # go list says what is wrong with it
        return module.path if rel == "." else f"{module.path}/{rel}"
    return pattern


def _default_cgo(module: Module, goos: str, goarch: str) -> bool:
    """CGO_ENABLED as go would default it for this platform (honours the user's environment)."""
    if (goos, goarch) == module.host:
        return module.host_cgo
    values = module.toolchain.run(["env", "-json", "CGO_ENABLED"], cwd=module.dir,
                                  env={"GOOS": goos, "GOARCH": goarch}).stdout
    import json

    return str(json.loads(values).get("CGO_ENABLED", "0")) == "1"


# ---------------------------------------------------------------------------------------------
# Reading the tree (no go command): go.mod and go.work files, as the go command finds them.


def module_dirs(top: Path, skip: Iterable[Path] = ()) -> list[Path]:
    """Every directory under top holding a go.mod, walked as the go command walks a module tree:
    not into `vendor`, `testdata`, or directories whose name starts with `.` or `_`, nor symlinks."""
    skipped = {Path(s) for s in skip}
    out = []
    for d, dirs, files in os.walk(top):
        here = Path(d)
        if "go.mod" in files:
            out.append(here)
        dirs[:] = sorted(x for x in dirs if not x.startswith((".", "_")) and x not in _SKIP_DIRS
                         and here / x not in skipped)
    return out


def module_path(gomod: Path) -> str:
    """The module path a go.mod declares ("" when it has none or cannot be read)."""
    return directive(gomod, r'^\s*module\s+("?)([^\s"/][^\s"]*)\1\s*(?://.*)?$', 2)


def local_replacements(file: Path) -> list[Path]:
    """The directories a go.mod's or go.work's `replace` directives put in place of modules (the
    right-hand sides that are paths: `./x`, `../x`, `/abs`), resolved against the file's directory."""
    try:
        text = file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    text = re.sub(r"//[^\n]*", "", text)
    lines: list[str] = []
    for m in re.finditer(r"^\s*replace\s*(?:\(([^)]*)\)|([^\n]*))", text, re.M):
        lines.extend(m.group(1).splitlines() if m.group(1) is not None else [m.group(2)])
    out = []
    for line in lines:
        _, arrow, right = line.partition("=>")
        parts = right.split()
        if not arrow or not parts:
            continue
        new = parts[0].strip('"`')
        if new.startswith(("./", "../", "/")) or new in (".", ".."):
            p = Path(new)
            out.append((p if p.is_absolute() else file.parent / p).resolve())
    return out


def gowork_for(directory: Path) -> Path | None:
    """The go.work the go command uses in directory: $GOWORK when set (None when "off"), else the
    nearest go.work in directory or above it (cmd/go's modload.FindGoWork)."""
    env = os.environ.get("GOWORK", "")
    if env:
        return Path(env).resolve() if env != "off" and os.path.isabs(env) else None
    return _find_up(directory, "go.work")


def workspace_uses(gowork: Path) -> tuple[Path, ...]:
    """The module directories a go.work's `use` directives name (resolved, existing or not)."""
    try:
        text = gowork.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ()
    text = re.sub(r"//[^\n]*", "", text)
    items: list[str] = []
    for m in re.finditer(r"^\s*use\s*(?:\(([^)]*)\)|(\S+))", text, re.M):
        block = m.group(1)
        items.extend(block.split() if block is not None else [m.group(2)])
    out = []
    for item in items:
        item = item.strip().strip('"`')
        if item:
            p = Path(item)
            out.append((p if p.is_absolute() else gowork.parent / p).resolve())
    return tuple(dict.fromkeys(out))


def _find_up(start: Path, name: str) -> Path | None:
    for d in (start, *start.parents):
        if (d / name).is_file():
            return d / name
    return None


def _git_top(path: Path) -> Path | None:
    try:
        proc = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=path, capture_output=True, text=True)
    except OSError:
        return None
    out = proc.stdout.strip()
    return Path(out).resolve() if proc.returncode == 0 and out else None


def _tool_dirs(launcher: Go) -> list[Path]:
    """Directories full of other people's go.mod files that a repository may happen to contain: the
    module cache and the launcher's GOROOT."""
    out = []
    cache = os.environ.get("GOMODCACHE")
    gopath = os.environ.get("GOPATH", "").split(os.pathsep)[0] or str(Path.home() / "go")
    out.append(Path(cache) if cache else Path(gopath) / "pkg" / "mod")
    out.append(Path(launcher.path).resolve().parent.parent)
    return [p.resolve() for p in out if p.is_dir()]


def _dot_rel(where: Path, module_dir: Path) -> str:
    rel = os.path.relpath(where, module_dir).replace(os.sep, "/")
    return "." if rel == "." else "./" + rel


def _is_local(pattern: str) -> bool:
    return pattern == "." or pattern == ".." or pattern.startswith(("./", "../")) or os.path.isabs(pattern)


def _under(path: Path, parent: Path) -> bool:
    return path == parent or parent in path.parents
