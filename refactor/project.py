"""Project: everything loaded for a repository and its targets, frozen once loaded (refactor.load)."""

from __future__ import annotations

import enum
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from refactor.config import Settings, Target
from refactor.graph import BuildGraph, Module, Package
from refactor.sources import SourceIndex
from refactor.toolchain import Go

if TYPE_CHECKING:
    from refactor.binary import SizeTable
    from refactor.estimate import ReachModel
    from refactor.linker import DceReport
    from refactor.typed import TypedView


class Needs(enum.Flag):
    """What a command or strategy reads from a Project, declared before loading: load() loads exactly
    that (go list, the source index, one build per target) and nothing is computed later behind a
    reader's back."""

    GRAPHS = enum.auto()  # targets and their build graphs (go list)
    SOURCES = enum.auto()  # the source index, its files of the targets' packages parsed
    SIZES = enum.auto()  # one build per target, attributed: bytes per package
    DCE = enum.auto()  # one -dumpdep build per target: method dead-code elimination facts
    TYPED = enum.auto()  # the type-checked view (go/types) of the module's packages each target builds
    REACH = enum.auto()  # with DCE: the linker's reachability replayed on the link's objects (estimates)
    WHY = GRAPHS | SOURCES
    SIZE = GRAPHS | SIZES
    DCE_REPORT = GRAPHS | SOURCES | DCE
    SUGGEST = GRAPHS | SOURCES | SIZES | DCE | REACH  # every strategy, and the reports of their candidates


class NotLoadedError(Exception):
    """A reader asked for facts its Needs did not declare: a bug in gotrim, never the user's input."""


@dataclass(frozen=True)
class Project:
    """The loaded facts of one run. Read-only: mappings are read-only views, and nothing in it builds,
    lists or parses anything that was not declared in `needs` at load time.

    modules holds one module today (the one REPO is in); module_of tells which one a target is built
    in. typed holds, per target, the type-checked view of the module's packages it builds (Needs.TYPED),
    or None for a target whose packages could not be listed with export data (readers fall back to
    the tree-sitter model's names and say so).
    """

    go: Go
    settings: Settings
    modules: tuple[Module, ...]
    targets: tuple[Target, ...]
    graphs: Mapping[Target, BuildGraph]
    sources: SourceIndex
    sizes: Mapping[Target, SizeTable]
    dce: Mapping[Target, DceReport]
    needs: Needs
    run_key: str | None = None  # HEAD, working tree, toolchain, gotrim and targets (None outside git)
    typed: Mapping[Target, TypedView | None] = field(default_factory=lambda: types.MappingProxyType({}))
    # REACH: per target, the reachability model estimates read (None: the replay failed; refactor.estimate)
    reach: Mapping[Target, ReachModel | None] = field(default_factory=lambda: types.MappingProxyType({}))

    @property
    def module(self) -> Module:
        """The module REPO is in."""
        return self.modules[0]

    @property
    def root(self) -> Path:
        """The directory of that module."""
        return self.module.dir

    def module_of(self, target: Target) -> Module:
        """The module whose directory the target is built in."""
        del target
        return self.modules[0]

    def require(self, needs: Needs, who: str) -> None:
        """NotLoadedError unless everything in needs was loaded."""
        missing = needs & ~self.needs
        if missing:
            raise NotLoadedError(f"{who} reads {missing} but the project was loaded with {self.needs}")

    def package(self, import_path: str) -> Package | None:
        """A package by import path, from the first target graph that has it."""
        for g in self.graphs.values():
            if import_path in g.packages:
                return g.packages[import_path]
        return None

    def rel(self, pkg: Package, file: str) -> str:
        """A package file's path relative to the module root (posix), or absolute outside it."""
        path = Path(pkg.dir) / file
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def files_of(self, pkg: Package) -> list[str]:
        """The paths the source index knows a package's compiled files by (GoFiles + CgoFiles)."""
        return [self.rel(pkg, f) for f in pkg.files]
