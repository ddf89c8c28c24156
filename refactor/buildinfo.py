"""A shipped Go binary read as a file: its build settings and its bytes per package, with no build graph.

Every Go binary built in module mode records how it was built (`go version -m FILE`, which this
module runs through refactor.toolchain): the Go version, the main package and module, the
dependencies and their versions, and the settings GOOS, GOARCH, -tags, CGO_ENABLED, -trimpath,
-ldflags (Go leaves -ldflags out when -trimpath is on: go.dev/issue/52372), -buildmode...
Packages come from the binary's own symbol names (the attribution core's debug/gosym rule); each
is given to the module of the build info whose path is its longest prefix.
"""

from __future__ import annotations

import contextlib
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from refactor.binary import SizeTable, attribute_cached
from refactor.config import Target
from refactor.errors import UsageError
from refactor.facts import STD, BinaryFacts, DceState
from refactor.toolchain import Go, parse_version

# The settings a rebuild needs, in the order the report shows them.
SETTINGS_SHOWN = ("GOOS", "GOARCH", "-tags", "CGO_ENABLED", "-trimpath", "-ldflags", "-buildmode", "-gcflags",
                  "GOEXPERIMENT", "GOAMD64", "GOARM", "GOARM64", "-race", "-cover", "-asan", "-msan")


@dataclass(frozen=True)
class BuildInfo:
    """What `go version -m` prints for one binary."""

    go_version: str
    path: str  # the main package's import path
    main_module: str = ""
    main_version: str = ""
    deps: Mapping[str, str] = field(default_factory=dict)  # module path -> version (a replacement's, if any)
    replaced: Mapping[str, str] = field(default_factory=dict)  # module path -> `new path version`
    settings: Mapping[str, str] = field(default_factory=dict)

    @property
    def tags(self) -> tuple[str, ...]:
        return tuple(t for t in self.settings.get("-tags", "").split(",") if t)

    @property
    def cgo(self) -> bool:
        return self.settings.get("CGO_ENABLED") == "1"

    @property
    def ldflags(self) -> str | None:
        """The recorded -ldflags; None when not recorded (always so with -trimpath)."""
        return self.settings.get("-ldflags")

    def target(self) -> Target:
        """The target this binary was built as (ldflags only when recorded)."""
        return Target(main=self.path, goos=self.settings.get("GOOS", ""), goarch=self.settings.get("GOARCH", ""),
                      tags=self.tags, cgo=self.cgo, ldflags=self.ldflags or "")

    def modules(self) -> dict[str, str]:
        """Module path -> version, the main module's included."""
        out = dict(self.deps)
        if self.main_module:
            out[self.main_module] = self.main_version
        return out

    def found(self) -> dict[str, str]:
        """The settings that matter to a rebuild, as the report shows them (absent ones said so)."""
        out = {"go": self.go_version, "main": self.path, "module": f"{self.main_module} {self.main_version}".strip()}
        for key in SETTINGS_SHOWN:
            if key in self.settings:
                out[key] = self.settings[key]
        if "-ldflags" not in self.settings:
            out["-ldflags"] = ("not recorded (Go omits it when -trimpath is on)" if "-trimpath" in self.settings
                               else "none")
        if "-tags" not in self.settings:
            out["-tags"] = "none"
        return out


def parse_version_m(text: str) -> BuildInfo:
    """The output of `go version -m FILE` as a BuildInfo (tab-separated lines after `FILE: goX`)."""
    go_version, path, main_module, main_version = "", "", "", ""
    deps: dict[str, str] = {}
    replaced: dict[str, str] = {}
    settings: dict[str, str] = {}
    last = ""
    for i, line in enumerate(text.splitlines()):
        if i == 0 and ": " in line:
            go_version = line.rsplit(": ", 1)[1].strip()
            continue
        parts = line.strip("\n").lstrip("\t").split("\t")
        if len(parts) < 2:
            continue
        kind = parts[0]
        if kind == "path":
            path = parts[1]
        elif kind == "mod":
            main_module, main_version = parts[1], parts[2] if len(parts) > 2 else ""
        elif kind == "dep":
            last = parts[1]
            deps[last] = parts[2] if len(parts) > 2 else ""
        elif kind == "=>" and last:
            new = parts[1] + (" " + parts[2] if len(parts) > 2 and parts[2] else "")
            replaced[last] = new.strip()
            deps[last] = parts[2] if len(parts) > 2 and parts[2] else parts[1]
        elif kind == "build":
            key, _, value = parts[1].partition("=")
            if value.startswith('"') and value.endswith('"') and len(value) >= 2:
                with contextlib.suppress(ValueError, IndexError):
                    value = shlex.split(value)[0]
            settings[key] = value
    return BuildInfo(go_version=go_version, path=path, main_module=main_module, main_version=main_version,
                     deps=deps, replaced=replaced, settings=settings)


def read_buildinfo(go: Go, exe: Path) -> BuildInfo:
    """The build information of a Go binary; UsageError when the file has none."""
    if not exe.is_file():
        raise UsageError(f"{exe} is not a file: give a Go binary")
    proc = go.run(["version", "-m", str(exe.resolve())], cwd=exe.resolve().parent, check=False)
    info = parse_version_m(proc.stdout) if proc.returncode == 0 else None
    if info is None or not info.path or parse_version(info.go_version) is None:
        said = (proc.stderr or proc.stdout).strip().splitlines()
        raise UsageError(f"{exe} has no Go build information ({said[-1] if said else 'go version -m found none'}): "
                         "give a binary built by go build in module mode")
    return info


def module_of(package: str, modules: Mapping[str, str]) -> str | None:
    """The module (longest path prefix) a package belongs to; None for standard-library paths, "?"
    for paths no module of the build info holds."""
    best = ""
    for m in modules:
        if (package == m or package.startswith(m + "/")) and len(m) > len(best):
            best = m
    if best:
        return best
    first = package.split("/", 1)[0]
    return None if "." not in first else "?"


def attribute_file(go: Go, exe: Path, info: BuildInfo, cache_dir: Path | None) -> SizeTable:
    """Attribute the binary's bytes without a build graph: a first pass names the packages from the
    symbols, a second gives each its module, so the per-file tables find their package too."""
    main = info.path or "main"
    first = attribute_cached(exe, {}, main, cache_dir, go=go)
    modules = info.modules()
    packages = {p: module_of(p, modules) for p in first.packages}
    packages[main] = module_of(main, modules) or info.main_module or None
    packages = {p: (None if m == "?" else m) for p, m in packages.items()}
    table = attribute_cached(exe, packages, main, cache_dir, go=go)
    unknown = sorted(p for p in table.packages if module_of(p, modules) == "?")
    notes = tuple(n for n in table.notes if "not in the build graph" not in n)
    if unknown:
        notes += (f"{len(unknown)} package(s) in no module of the build info: {', '.join(unknown[:5])}",)
    mods = _modules(table.packages, modules)
    from dataclasses import replace

    return replace(table, modules=mods, notes=notes)


def _modules(packages: Mapping[str, int], modules: Mapping[str, str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for p, n in packages.items():
        key = module_of(p, modules) or STD
        out[key] = out.get(key, 0) + n
    return out


def binary_facts(go: Go, exe: Path, cache_dir: Path | None) -> BinaryFacts:
    """Facts of a built binary for `gotrim diff OLD NEW`: packages from its symbols, no DCE report
    (dynamic linking is known: plugin linked with cgo on)."""
    info = read_buildinfo(go, exe)
    table = attribute_file(go, exe, info, cache_dir)
    modules = info.modules()
    packages = {p: module_of(p, modules) or STD for p in table.packages}
    dynlink = "plugin" in packages and info.cgo
    return BinaryFacts(target=info.target(), go_version=info.go_version, file_bytes=table.file_bytes,
                       packages=packages, module_bytes=dict(table.modules), package_bytes=dict(table.packages),
                       module_versions=modules, dce=DceState(method_dce=False if dynlink else None,
                                                             dynamic_linking=dynlink),
                       settings=dict(info.settings))
