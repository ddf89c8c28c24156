"""The catalogue of upstream build tags that remove a method-DCE blocker (refactor/data/upstream_tags.toml),
and of known toolchain x dependency blockers.

Kept as data: each switch names the module, the tag, what it removes, where that is documented, the
module versions that have it, and how to recognise the blocker (import edges it cuts, symbols). A
switch is proposed only where the module's source at the version the build uses has the tag
(tag_in_files): the catalogue can be wrong or a version can differ. A switch written for one major
version of a module (`/v2`) is tried on the module's other major versions too (family), checked
against their source only.

A toolchain problem is a blocker that a dependency causes only with some Go releases (for example
google.golang.org/protobuf before v1.36.12 with Go 1.26's reflect iterator methods): it names the
toolchain, the dependency and the version of either that fixes it.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from importlib import resources

from refactor.gosource import GoFile


@dataclass(frozen=True)
class Switch:
    """One upstream build tag that removes a blocker inside a module (a row of upstream_tags.toml)."""

    module: str
    tag: str
    removes: str
    source: str
    verified: str
    min_version: str = ""
    max_version: str = ""
    cuts: tuple[tuple[str, str], ...] = ()
    symbols: tuple[str, ...] = ()
    released: bool = True
    catalogued_for: str = ""  # set when translated to another major version of the catalogued module

    def version_ok(self, version: str) -> bool:
        """True when `version` is inside [min_version, max_version); local replacements count as in.
        A switch translated to another major version has no known range (its source decides)."""
        if self.catalogued_for:
            return True
        v = semver_key(version)
        if v is None:
            return True
        if self.min_version and v < (semver_key(self.min_version) or ()):
            return False
        return not (self.max_version and v >= (semver_key(self.max_version) or ()))

    def for_module(self, module: str) -> Switch:
        """This switch for module, another major version of the catalogued one: its cuts and symbols
        rewritten to that module's paths."""
        if module == self.module:
            return self

        def move(path: str) -> str:
            return module + path[len(self.module):] if path == self.module or path.startswith(self.module + "/") \
                else path

        def move_symbol(sym: str) -> str:
            return module + sym[len(self.module):] if sym.startswith(self.module + ".") or \
                sym.startswith(self.module + "/") else sym

        return replace(self, module=module, cuts=tuple((move(a), move(b)) for a, b in self.cuts),
                       symbols=tuple(move_symbol(s) for s in self.symbols), catalogued_for=self.module,
                       min_version="", max_version="")


@dataclass(frozen=True)
class ToolchainProblem:
    """A blocker a dependency causes only with some Go toolchains, and how to fix it."""

    module: str
    go_min: tuple[int, int]  # the first Go release with the problem
    fixed_in: str  # the module version that no longer has it
    symbols: tuple[str, ...]  # the blocker symbols (reflect's own) that show it
    via: tuple[str, ...]  # symbol prefixes of the module on the blocker's chain
    explanation: str
    source: str
    go_fixed: str = ""  # a Go release that fixes it on the toolchain side, when there is one

    def matches(self, go_version: tuple[int, int, int], modules: dict[str, str], chain: Iterable[str]) -> bool:
        """The toolchain has the problem, the module is in the binary below fixed_in, and the chain shows it."""
        version = modules.get(self.module)
        if go_version[:2] < self.go_min or version is None:
            return False
        v = semver_key(version)
        if v is not None and v >= (semver_key(self.fixed_in) or ()):
            return False
        syms = list(chain)
        return any(s.startswith(self.symbols) for s in syms[-1:]) or any(s.startswith(self.via) for s in syms)


@functools.lru_cache(maxsize=1)
def catalogue() -> tuple[Switch, ...]:
    """The upstream switches shipped with gotrim."""
    return parse_catalogue(_data())


@functools.lru_cache(maxsize=1)
def toolchain_problems() -> tuple[ToolchainProblem, ...]:
    """The toolchain x dependency problems shipped with gotrim."""
    return parse_toolchain_problems(_data())


def _data() -> str:
    return resources.files("refactor").joinpath("data/upstream_tags.toml").read_text(encoding="utf-8")


def parse_catalogue(text: str) -> tuple[Switch, ...]:
    """Switches from the TOML text of a catalogue."""
    out = []
    for row in tomllib.loads(text).get("switch", []):
        out.append(Switch(
            module=row["module"], tag=row["tag"], removes=row["removes"], source=row["source"],
            verified=row.get("verified", ""), min_version=row.get("min_version", ""),
            max_version=row.get("max_version", ""),
            cuts=tuple((a, b) for a, b in row.get("cuts", [])), symbols=tuple(row.get("symbols", [])),
            released=row.get("released", True),
        ))
    return tuple(out)


def parse_toolchain_problems(text: str) -> tuple[ToolchainProblem, ...]:
    """Toolchain problems from the TOML text of a catalogue."""
    out = []
    for row in tomllib.loads(text).get("toolchain", []):
        major, minor = (int(x) for x in row["go_min"].split("."))
        out.append(ToolchainProblem(
            module=row["module"], go_min=(major, minor), fixed_in=row["fixed_in"], symbols=tuple(row["symbols"]),
            via=tuple(row.get("via", [])), explanation=row["explanation"], source=row["source"],
            go_fixed=row.get("go_fixed", "")))
    return tuple(out)


_MAJOR = re.compile(r"/v[2-9][0-9]*$")


def family(module: str) -> str:
    """The module path without its major-version suffix (github.com/urfave/cli/v2 -> github.com/urfave/cli)."""
    return _MAJOR.sub("", module)


def switches_for(modules: Iterable[str]) -> list[Switch]:
    """Catalogue switches for the modules given: exact matches, then other major versions (translated)."""
    mods = list(modules)
    out: list[Switch] = []
    for sw in catalogue():
        for m in mods:
            if m == sw.module:
                out.append(sw)
            elif family(m) == family(sw.module) and not any(s.module == m and s.tag == sw.tag for s in catalogue()):
                out.append(sw.for_module(m))
    return out


def tag_in_files(tag: str, files: Iterable[GoFile]) -> GoFile | None:
    """The first file whose build constraint names tag (the code that checks a catalogue entry against
    the module's source at the version the build uses)."""
    word = re.compile(rf"(?<![\w.]){re.escape(tag)}(?![\w.])")
    for f in files:
        c = f.constraint
        if c is None:
            continue
        lines = [f.src[c.line_start:c.line_end]] + [f.src[a:b] for a, b in c.plus_build]
        if any(word.search(line.decode("utf-8", "replace")) for line in lines):
            return f
    return None


def semver_key(version: str) -> tuple[int, ...] | None:
    """`v1.62.0` -> (1, 62, 0, 1); pre-releases sort before the release; None for `(devel)`."""
    m = re.match(r"^v(\d+)\.(\d+)\.(\d+)(-)?", version)
    if not m:
        return None
    return int(m.group(1)), int(m.group(2)), int(m.group(3)), 0 if m.group(4) else 1
