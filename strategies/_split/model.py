"""Package P across every platform: its units, who references what inside it, what it imports."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from refactor.graph import Package
from strategies._split.source import Source, Unit, parse


@dataclass
class PackageModel:
    """Every Go file of one package directory (all platforms), split into units."""

    pkg: Package
    sources: dict[str, Source]  # non-test files of package P, every platform
    tests: dict[str, Source]  # _test.go files of package P (internal tests)
    xtests: dict[str, Source]  # _test.go files of package P_test
    names: dict[str, str]  # import path -> package name, as go list reported them
    units: list[Unit] = field(default_factory=list)
    by_name: dict[str, list[Unit]] = field(default_factory=dict)
    methods: dict[str, list[Unit]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for src in self.sources.values():
            for u in src.units:
                self.units.append(u)
                if u.kind == "method":
                    self.methods.setdefault(u.receiver or "", []).append(u)
                elif u.kind != "init":
                    for n in u.names:
                        self.by_name.setdefault(n, []).append(u)

    @property
    def import_path(self) -> str:
        return self.pkg.import_path

    @property
    def name(self) -> str:
        return self.pkg.name

    def locals(self, file: str) -> dict[str, str]:
        """Local import name -> resolved import path for one file of P (tests included)."""
        src = self.sources.get(file) or self.tests.get(file) or self.xtests[file]
        return {k: self.pkg.resolve(v) for k, v in src.local_names(self.names).items()}

    def internal(self, u: Unit) -> list[Unit]:
        """Units of P that u names directly (its receiver type included)."""
        out: list[Unit] = []
        local = self.locals(u.file)
        for q, n in u.refs:
            if q is None and n not in local:
                out.extend(x for x in self.by_name.get(n, ()) if x is not u)
        if u.receiver:
            out.extend(self.by_name.get(u.receiver, ()))
        return out

    def imports_of(self, u: Unit) -> set[str]:
        """Resolved import paths u references."""
        local = self.locals(u.file)
        return {local[q] for q, _ in u.refs if q is not None and q in local}

    def references(self, u: Unit, path: str) -> bool:
        """Whether u names something of the package at `path` directly."""
        return path in self.imports_of(u)

    def closure(self, roots: Iterable[Unit], all_methods: bool = True, selectors: Iterable[str] = ()
                ) -> list[Unit]:
        """roots and everything they reach inside P; a type brings its methods (all, or the selected)."""
        seen: dict[str, Unit] = {}
        selected = set(selectors)
        types: set[str] = set()
        stack = list(roots)
        while stack:
            u = stack.pop()
            if u.key in seen:
                continue
            seen[u.key] = u
            selected |= u.selectors
            stack.extend(self.internal(u))
            if u.kind in ("type", "alias"):
                types.update(u.names)
            for t in types:
                for m in self.methods.get(t, ()):
                    if m.key not in seen and (all_methods or m.names[0] in selected):
                        stack.append(m)
        return sorted(seen.values(), key=lambda x: (x.file, x.start))

    def referrers(self, targets: Iterable[Unit], within: Iterable[Unit]) -> dict[str, list[Unit]]:
        """For each unit of `within`, the units of `targets` it names (only non-empty entries)."""
        tkeys = {t.key for t in targets}
        out: dict[str, list[Unit]] = {}
        for u in within:
            hits = [x for x in self.internal(u) if x.key in tkeys and x.key != u.key]
            if hits:
                out[u.key] = hits
        return out

    def test_refs(self) -> set[str]:
        """Names of P that P's internal test files use unqualified."""
        out: set[str] = set()
        for src in self.tests.values():
            local = src.local_names(self.names)
            for u in src.units:
                out |= {n for q, n in u.refs if q is None and n not in local}
                out |= u.selectors
        return out


def load_model(pkg: Package, names: dict[str, str]) -> PackageModel | None:
    """Parse every Go file of pkg's directory that belongs to package pkg.name (or its _test)."""
    d = Path(pkg.dir)
    files = sorted(set(pkg.go_files) | set(pkg.cgo_files) | set(pkg.ignored_go_files)
                   | set(pkg.test_go_files) | set(pkg.xtest_go_files))
    sources: dict[str, Source] = {}
    tests: dict[str, Source] = {}
    xtests: dict[str, Source] = {}
    for f in files:
        if not f.endswith(".go") or f.startswith(("_", ".")):
            continue
        try:
            src = parse(f, (d / f).read_bytes(), names)
        except OSError:
            continue
        if src.constraint is not None and src.constraint.strip() == "ignore":
            continue
        if f.endswith("_test.go"):
            if src.package == pkg.name:
                tests[f] = src
            elif src.package == pkg.name + "_test":
                xtests[f] = src
        elif src.package == pkg.name:
            sources[f] = src
    if not sources:
        return None
    return PackageModel(pkg, sources, tests, xtests, names)
