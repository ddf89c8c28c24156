"""Project: everything loaded for a repository and its targets, frozen once loaded (refactor.load)."""

from __future__ import annotations

import enum
import types
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from refactor.config import Settings, Target
from refactor.graph import BuildGraph, Package
from refactor.repository import Module, Repository
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
    SUGGEST = GRAPHS | SOURCES | SIZES | DCE | TYPED | REACH  # every strategy, and the reports of their candidates


class NotLoadedError(Exception):
    """A reader asked for facts its Needs did not declare: a bug in gotrim, never the user's input."""


@dataclass(frozen=True)
class Project:
    """The loaded facts of one run. Read-only: mappings are read-only views, and nothing in it builds,
    lists or parses anything that was not declared in `needs` at load time.

    A run covers a repository (refactor.repository): every module in it, each target built in its own
    module's context (module_of, go_of: the toolchain the go command selects there). root is the
    repository's top: the source index, Plan paths and Project.rel are relative to it. Code a
    strategy may edit is Package.editable (in the repository, whichever module or context lists it),
    not only the main module's. typed holds, per target, the type-checked view of the editable
    packages it builds (Needs.TYPED), or None for a target whose packages could not be listed with
    export data (readers fall back to the tree-sitter model's names and say so).
    """

    go: Go  # the toolchain of the first target's module (or REPO's): what suggest's gofmt runs
    settings: Settings
    modules: tuple[Module, ...]  # every module of the repository; REPO's first (resolved where a target is)
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
    target_modules: Mapping[Target, Module] = field(default_factory=lambda: types.MappingProxyType({}))
    repository: Repository | None = None  # None: a replayed single-module project

    @property
    def module(self) -> Module:
        """The module REPO is in (else the first module of the repository)."""
        return self.modules[0]

    @property
    def root(self) -> Path:
        """The repository's top: Plan paths and the source index's paths are relative to it."""
        return self.repository.top if self.repository is not None else self.module.dir

    def module_of(self, target: Target) -> Module:
        """The module whose context builds the target (go runs in its directory, with its toolchain)."""
        return self.target_modules.get(target, self.modules[0])

    def go_of(self, target: Target) -> Go:
        """The toolchain that builds the target: the one the go command selects in its module's context."""
        return self.module_of(target).go or self.go

    def import_pattern(self, pattern: str) -> str:
        """A `main` of gotrim.toml or a --target (`./tools/cmd/x`, relative to REPO) as an import-path
        pattern, in whichever module of the repository holds it."""
        if self.repository is not None:
            return self.repository.import_pattern(pattern)
        if pattern == ".":
            return self.module.path
        return self.module.path + "/" + pattern[2:].rstrip("/") if pattern.startswith("./") else pattern

    def main_value(self, main: str) -> str:
        """How gotrim.toml names a main package: `./dir` relative to REPO, else its import path."""
        if self.repository is not None:
            return self.repository.pattern_for(main)
        m = self.module.path
        return "." + main[len(m):] if main.startswith(m + "/") else "." if main == m else main

    def resolved(self, module: Module) -> Module:
        """The module with its context's toolchain (for apply/measure, which build modules that have
        no target: one `go env` the first time; ToolchainError when the toolchain cannot be had)."""
        if module.go is not None:
            return module
        if self.repository is not None:
            return self.repository.resolve(module)
        return replace(module, go=self.go, host=self.module.host, host_cgo=self.module.host_cgo)

    def module_containing(self, path: str | Path) -> Module | None:
        """The module of the repository whose directory holds path (absolute, or relative to root)."""
        p = Path(path)
        p = p if p.is_absolute() else self.root / p
        best: Module | None = None
        for m in self.modules:
            if (p == m.dir or m.dir in p.parents) and (best is None or len(m.dir.parts) > len(best.dir.parts)):
                best = m
        return best

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
        """A package file's path relative to the repository's top (posix), or absolute outside it."""
        path = Path(pkg.dir) / file
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def files_of(self, pkg: Package) -> list[str]:
        """The paths the source index knows a package's compiled files by (GoFiles + CgoFiles)."""
        return [self.rel(pkg, f) for f in pkg.files]
