"""Project: everything loaded for a repository and its targets, read-only once loaded."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from refactor.config import Settings, Target, TargetSpec, load_specs
from refactor.graph import BuildGraph, Module, Package, find_module, graphs_for, likely_targets, resolve_targets
from refactor.toolchain import Go

if TYPE_CHECKING:
    from refactor.binary import SizeTable
    from refactor.builds import BackgroundBuilds

Progress = Callable[[str], None]


@dataclass
class Project:
    """The loaded facts of one run: module, targets, graphs, and (when asked) sizes and sources."""

    go: Go
    settings: Settings
    module: Module
    targets: list[Target]
    graphs: dict[Target, BuildGraph]
    extras: dict[str, object] = field(default_factory=dict)
    builds: BackgroundBuilds | None = None  # started by load(prebuild=True); close() stops them

    @property
    def root(self) -> Path:
        return self.module.dir

    def size(self, target: Target, progress: Progress | None = None) -> SizeTable:
        """The target's bytes per package: built once (into a temporary directory) and attributed."""
        from refactor.binary import build

        table = self.loaded_size(target)
        if table is not None:
            return table
        if progress:
            progress(f"building {target.label}")
        if self.builds is not None and self.builds.has(target):
            from refactor import code_digest

            code_digest()  # the size cache keys on it: read gotrim's sources while the link runs
            exe = self.builds.wait(target)
            try:
                return self.attribute_binary(target, exe)
            finally:
                self.builds.release(target)
        with tempfile.TemporaryDirectory(prefix="gotrim-") as tmp:
            return self.attribute_binary(target, build(self.go, self.root, target, Path(tmp) / target.name))

    def close(self) -> None:
        """Stop builds started ahead of need and remove their files."""
        if self.builds is not None:
            self.builds.close()

    def loaded_size(self, target: Target) -> SizeTable | None:
        """The target's size table if a build already produced it (never builds)."""
        table = self.extras.get(_size_key(target))
        return table  # type: ignore[return-value]

    def attribute_binary(self, target: Target, exe: Path) -> SizeTable:
        """Attribute a binary built for target, and remember it as the target's size table."""
        from refactor.binary import attribute_cached

        mods = {p: pkg.module for p, pkg in self.graphs[target].packages.items()}
        table = attribute_cached(exe, mods, target.main, self.settings.cache_dir, go=self.go)
        self.extras[_size_key(target)] = table
        return table

    def loaded_sizes(self) -> dict[str, SizeTable]:
        """Every size table loaded so far, keyed for restore_sizes (used by the suggest cache)."""
        return {k: v for k, v in self.extras.items() if k.startswith("size:")}  # type: ignore[misc]

    def restore_sizes(self, sizes: dict[str, SizeTable]) -> None:
        self.extras.update(sizes)

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


def effective_specs(settings: Settings, flag_spec: TargetSpec | None) -> tuple[TargetSpec, ...]:
    """Flags win over gotrim.toml; with neither, every main package for the host platform."""
    if flag_spec is not None:
        return (flag_spec,)
    return load_specs(settings.root) or (TargetSpec(),)


def load(go: Go, settings: Settings, specs: Sequence[TargetSpec], *, prebuild: bool = False) -> Project:
    """Resolve targets and load one build graph per configuration (go list).

    prebuild: start building the targets as soon as they are known, so that the links overlap
    go list (Project.size then waits for them; Project.close stops what is left).
    """
    module = find_module(go, settings.root)
    builds = None
    if prebuild:
        from refactor.builds import BackgroundBuilds

        # start on the likely targets at once; resolve_targets then confirms or corrects them
        builds = BackgroundBuilds(go, module.dir, likely_targets(module, specs), cache_dir=settings.cache_dir)
    try:
        targets = resolve_targets(go, module, specs)
        if builds is not None:
            builds.retarget(targets)
        graphs = graphs_for(go, module.dir, targets)
    except BaseException:
        if builds is not None:
            builds.close()
        raise
    return Project(go=go, settings=settings, module=module, targets=targets, graphs=graphs, builds=builds)


def _size_key(target: Target) -> str:
    return f"size:{target}"
