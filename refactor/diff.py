"""`gotrim diff`: what changed in each binary between two commits (or two built binaries), and why.

`compare(before, after)` is pure: two BinaryFacts in, the byte deltas per package and module and the
causes out (new and removed import edges with their chain and the `file:line` of the import, DCE
flips with the blocker's chain, `plugin` linked or gone, go version and go.mod changes, module
versions). `gotrim check` compares gotrim.lock with the working tree the same way.

`diff_commits` builds both commits in scratch git worktrees (refactor.workspace): the user's
checkout, index, branches and stash are only read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from refactor.config import Settings, Target, TargetSpec
from refactor.errors import GotrimError
from refactor.facts import FACTS, STD, BinaryFacts, Hop, facts_all, target_key
from refactor.toolchain import Go

if TYPE_CHECKING:
    from refactor.load import Select
    from refactor.project import Project

Progress = Callable[[str], None]

# Cause kinds, in the order a reader wants them: what switches whole mechanisms first.
KINDS = ("target-added", "target-removed", "dce-off", "dce-on", "dce-blocker", "plugin-linked", "plugin-gone",
         "import-added", "import-removed", "packages-added", "packages-removed", "module-version",
         "go-directive", "toolchain-directive", "toolchain", "build-settings")
KIND_TEXT = {
    "target-added": "new binary", "target-removed": "binary gone", "dce-off": "method DCE off",
    "dce-on": "method DCE on", "dce-blocker": "DCE blocker changed", "plugin-linked": "plugin linked",
    "plugin-gone": "plugin gone", "import-added": "new import", "import-removed": "import removed",
    "packages-added": "packages added", "packages-removed": "packages removed",
    "module-version": "module version", "go-directive": "go directive", "toolchain-directive": "toolchain line",
    "toolchain": "Go toolchain", "build-settings": "build settings",
}
# Kinds that mean the binary is not what gotrim.lock says (check's drift); `toolchain` is noise.
DRIFT_KINDS = frozenset(KINDS) - {"toolchain", "target-added", "target-removed", "build-settings"}
SHOWN_PACKAGES = 8  # packages named in one cause's text


class CommitError(GotrimError):
    """A commit (or the working tree) that does not build or cannot be analysed; exit 2."""


@dataclass(frozen=True)
class Cause:
    """One reason a binary changed, with the bytes that came or went with it when known."""

    kind: str
    summary: str
    bytes: int | None = None
    chain: tuple[Hop, ...] = ()
    packages: tuple[str, ...] = ()
    site: str = ""  # file:line of the import (or call) that is the change

    def for_json(self) -> dict[str, object]:
        return {"kind": self.kind, "summary": self.summary, "bytes": self.bytes, "site": self.site or None,
                "chain": [h.for_json() for h in self.chain], "packages": list(self.packages)}


@dataclass(frozen=True)
class Delta:
    """Bytes of one package or module on each side (None: absent or not known there)."""

    name: str
    before: int | None
    after: int | None

    @property
    def delta(self) -> int:
        return (self.after or 0) - (self.before or 0)

    def for_json(self) -> dict[str, object]:
        return {"name": self.name, "before_bytes": self.before, "after_bytes": self.after,
                "delta_bytes": self.delta}


@dataclass(frozen=True)
class TargetChange:
    """One target compared between two sides."""

    target: Target
    before: BinaryFacts | None
    after: BinaryFacts | None
    causes: tuple[Cause, ...] = ()
    packages: tuple[Delta, ...] = ()  # biggest change first; only when both sides know package bytes
    modules: tuple[Delta, ...] = ()
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return self.target.label

    @property
    def delta_bytes(self) -> int | None:
        if self.before is None or self.after is None:
            return None
        return self.after.file_bytes - self.before.file_bytes

    @property
    def changed(self) -> bool:
        return bool(self.delta_bytes or self.causes or self.before is None or self.after is None)


@dataclass(frozen=True)
class Side:
    """What one side of a comparison is: a commit, the working tree, gotrim.lock or a binary file."""

    ref: str
    commit: str | None = None
    description: str = ""

    def for_json(self) -> dict[str, object]:
        return {"ref": self.ref, "commit": self.commit, "description": self.description or self.ref}


@dataclass(frozen=True)
class DiffResult:
    """Every target of both sides, compared."""

    module: str
    base: Side
    head: Side
    changes: tuple[TargetChange, ...]
    notes: tuple[str, ...] = ()


# ---------------------------------------------------------------------------------------------
# Comparing two sides (pure)


def compare(before: BinaryFacts | None, after: BinaryFacts | None, *, ignore_std: bool = False) -> TargetChange:
    """The byte deltas and the causes of the change from `before` to `after`.

    ignore_std: standard-library packages that came or went are not causes (the two sides were
    built by different Go releases, whose standard libraries differ on their own).
    """
    if before is None and after is None:
        raise ValueError("compare needs at least one side")
    if before is None or after is None:
        one = after or before
        assert one is not None
        kind = "target-added" if before is None else "target-removed"
        what = "new binary" if before is None else "binary gone"
        return TargetChange(target=one.target, before=before, after=after,
                            causes=(Cause(kind, f"{what}: {one.label}, {one.file_bytes:,} bytes",
                                          bytes=one.file_bytes if after else -one.file_bytes),))
    added = tuple(sorted(set(after.packages) - set(before.packages)))
    removed = tuple(sorted(set(before.packages) - set(after.packages)))
    causes: list[Cause] = []
    causes += _dce_causes(before, after)
    causes += _plugin_causes(before, after, added, removed)
    noted_added = tuple(p for p in added if not (ignore_std and after.packages.get(p) == STD))
    noted_removed = tuple(p for p in removed if not (ignore_std and before.packages.get(p) == STD))
    causes += _import_causes(before, after, noted_added, noted_removed)
    causes += _module_causes(before, after)
    causes += _go_causes(before, after)
    causes += _settings_causes(before, after)
    order = {k: i for i, k in enumerate(KINDS)}
    causes.sort(key=lambda c: (order[c.kind], -abs(c.bytes or 0), c.summary))
    return TargetChange(target=after.target, before=before, after=after, causes=tuple(causes),
                        packages=_deltas(before.package_bytes, after.package_bytes),
                        modules=_deltas(before.module_bytes, after.module_bytes), added=added, removed=removed)


def _deltas(before: Mapping[str, int] | None, after: Mapping[str, int] | None) -> tuple[Delta, ...]:
    if before is None or after is None:
        return ()
    out = [Delta(n, before.get(n), after.get(n)) for n in set(before) | set(after)]
    out = [d for d in out if d.delta]
    out.sort(key=lambda d: (-abs(d.delta), d.name))
    return tuple(out)


def _bytes_of(f: BinaryFacts, packages: Iterable[str]) -> int | None:
    if f.package_bytes is None:
        return None
    return sum(f.package_bytes.get(p, 0) for p in set(packages))


def _names(packages: Sequence[str], f: BinaryFacts | None = None) -> str:
    """The heaviest few packages, then a count of the rest."""
    if f is not None and f.package_bytes is not None:
        sizes = f.package_bytes
        packages = sorted(packages, key=lambda p: (-sizes.get(p, 0), p))
    shown = ", ".join(packages[:SHOWN_PACKAGES])
    more = len(packages) - SHOWN_PACKAGES
    return shown + (f" and {more} more" if more > 0 else "")


def _dce_causes(before: BinaryFacts, after: BinaryFacts) -> list[Cause]:
    b, a = before.dce, after.dce
    if b.method_dce is None or a.method_dce is None:
        return []
    if b.method_dce and not a.method_dce:
        if a.reflect_blocker:
            return [Cause("dce-off", f"{a.reflect_blocker} calls reflect Method/MethodByName with a "
                                     "non-constant name",
                          bytes=None, chain=a.chain, site=_last_site(a.chain))]
        return [Cause("dce-off", "plugin is linked with cgo on (dynamic-linking mode keeps every method)",
                      chain=a.plugin_chain,
                      site=_last_site(a.plugin_chain))]
    if not b.method_dce and a.method_dce:
        gone = b.reflect_blocker or ("plugin (dynamic linking)" if b.dynamic_linking else "its blocker")
        return [Cause("dce-on", f"{gone} no longer linked")]
    if not b.method_dce and not a.method_dce and (b.reflect_blocker, b.dynamic_linking) != (
            a.reflect_blocker, a.dynamic_linking):
        return [Cause("dce-blocker", f"method DCE still off, now blocked by "
                                     f"{a.reflect_blocker or 'plugin (dynamic linking)'} "
                                     f"(was {b.reflect_blocker or 'plugin (dynamic linking)'})",
                      chain=a.chain or a.plugin_chain)]
    return []


def _last_site(chain: Sequence[Hop]) -> str:
    sites = [h.site for h in chain if h.site]
    return sites[-1] if sites else ""


def _plugin_causes(before: BinaryFacts, after: BinaryFacts, added: Sequence[str],
                   removed: Sequence[str]) -> list[Cause]:
    if "plugin" in added:
        chain = after.view.chain("plugin") if after.view else after.dce.plugin_chain
        cgo = "with cgo on: dynamic-linking mode" if after.target.cgo else "with cgo off: no dynamic linking"
        return [Cause("plugin-linked", f"plugin linked ({cgo})", bytes=_bytes_of(after, ["plugin"]),
                      chain=chain, site=_entering_site(chain), packages=("plugin",))]
    if "plugin" in removed:
        chain = before.view.chain("plugin") if before.view else ()
        return [Cause("plugin-gone", "plugin no longer linked", bytes=_neg(_bytes_of(before, ["plugin"])),
                      chain=chain, packages=("plugin",))]
    return []


def _entering_site(chain: Sequence[Hop]) -> str:
    """The site of the last hop that has one: the import in the main module closest to the package."""
    return _last_site(chain)


def _neg(n: int | None) -> int | None:
    return None if n is None else -n


def _import_causes(before: BinaryFacts, after: BinaryFacts, added: Sequence[str],
                   removed: Sequence[str]) -> list[Cause]:
    out: list[Cause] = []
    if added:
        if after.view is not None:
            out += _edge_causes(after, set(added), "import-added")
        else:
            out.append(Cause("packages-added", f"{len(added)} package(s) not linked before: {_names(added, after)}",
                             bytes=_bytes_of(after, added), packages=tuple(added)))
    if removed:
        if before.view is not None:
            out += _edge_causes(before, set(removed), "import-removed")
        else:
            out.append(Cause("packages-removed", f"{len(removed)} package(s) no longer linked: "
                                                 f"{_names(removed, before)}",
                             bytes=_neg(_bytes_of(before, removed)), packages=tuple(removed)))
    return out


def _edge_causes(side: BinaryFacts, new: set[str], kind: str) -> list[Cause]:
    """One cause per import edge that enters the set of new (or removed) packages from a package
    present on both sides: with the packages it brings (or took) and the chain from main."""
    view = side.view
    assert view is not None
    entering: dict[tuple[str, str], set[str]] = {}
    for p, q in view.edges():
        if q in new and p not in new:
            entering[p, q] = _closure(view.imports, q, new)
    out = []
    for (p, q), brings in entering.items():
        n = _bytes_of(side, brings)
        site = view.site(p, q)
        chain = view.chain(p)[:-1] + (Hop(p, p, site), Hop(q, q))
        where = f" at {site}" if site else ""
        more = f", with {len(brings) - 1} more package(s) only it brings" if len(brings) > 1 else ""
        if kind == "import-removed":
            more = f", with {len(brings) - 1} more package(s) only it brought" if len(brings) > 1 else ""
            n = _neg(n)
        out.append(Cause(kind, f"{p} -> {q}{where}{more}", bytes=n, chain=chain,
                         packages=tuple(sorted(brings)), site=site))
    return out


def _closure(imports: Callable[[str], tuple[str, ...]], start: str, within: set[str]) -> set[str]:
    seen = {start}
    stack = [start]
    while stack:
        for q in imports(stack.pop()):
            if q in within and q not in seen:
                seen.add(q)
                stack.append(q)
    return seen


def _module_causes(before: BinaryFacts, after: BinaryFacts) -> list[Cause]:
    out = []
    seen = set()
    for mod in sorted(set(before.module_versions) & set(after.module_versions)):
        old, new = before.module_versions[mod], after.module_versions[mod]
        if old != new:
            n = after.module_bytes.get(mod, 0) - before.module_bytes.get(mod, 0)
            out.append(Cause("module-version", f"module {mod} {old} -> {new}", bytes=n))
            seen.add(mod)
    reqs_b, reqs_a = before.gomod.requires, after.gomod.requires
    for mod in sorted(set(reqs_b) | set(reqs_a)):
        if mod in seen or reqs_b.get(mod) == reqs_a.get(mod) or not (reqs_b and reqs_a):
            continue
        old, new = reqs_b.get(mod, "(none)"), reqs_a.get(mod, "(none)")
        out.append(Cause("module-version", f"go.mod require {mod} {old} -> {new}"))
    return out


def _go_causes(before: BinaryFacts, after: BinaryFacts) -> list[Cause]:
    out = []
    b, a = before.gomod, after.gomod
    if b.go and a.go and b.go != a.go:
        out.append(Cause("go-directive", f"go.mod go {b.go} -> {a.go} (language version and default GODEBUG "
                                         "settings follow it)"))
    if (b.toolchain or a.toolchain) and b.toolchain != a.toolchain and (b.go and a.go):
        out.append(Cause("toolchain-directive", f"go.mod toolchain {b.toolchain or '(none)'} -> "
                                                f"{a.toolchain or '(none)'}"))
    if before.go_version and after.go_version and before.go_version != after.go_version:
        out.append(Cause("toolchain", f"built with {before.go_version}, now {after.go_version}"))
    return out


_SETTINGS = ("GOOS", "GOARCH", "-tags", "-ldflags", "CGO_ENABLED", "-trimpath", "-buildmode", "GOEXPERIMENT",
             "DefaultGODEBUG", "GOAMD64", "GOARM64", "-gcflags", "-race", "-cover", "-asan", "-msan")


def _settings_causes(before: BinaryFacts, after: BinaryFacts) -> list[Cause]:
    if not before.settings or not after.settings:
        return []
    out = []
    for key in _SETTINGS:
        old, new = before.settings.get(key), after.settings.get(key)
        if old != new:
            out.append(Cause("build-settings", f"build setting {key}: {old or '(unset)'} -> {new or '(unset)'}"))
    return out


def pair(before: Sequence[BinaryFacts], after: Sequence[BinaryFacts], *, ignore_std: bool = False
         ) -> tuple[TargetChange, ...]:
    """Compare targets with the same key; a target on one side only is added or removed."""
    b = {target_key(f.target): f for f in before}
    a = {target_key(f.target): f for f in after}
    keys = list(dict.fromkeys([*a, *b]))
    return tuple(compare(b.get(k), a.get(k), ignore_std=ignore_std) for k in keys)


# ---------------------------------------------------------------------------------------------
# Building two commits


def diff_commits(go: Go, repo: Path, base_rev: str, head_rev: str | None, flag_spec: TargetSpec | None,
                 cache_dir: Path | None, progress: Progress | None = None, *,
                 use_merge_base: bool = False, jobs: int | None = None) -> DiffResult:
    """Build every target at BASE and at HEAD (a commit, or None for the working tree) in scratch
    worktrees and compare them. The user's checkout is only read. use_merge_base: compare with the
    merge base of BASE and HEAD instead of BASE (what a pull request changes, whatever BASE did since)."""
    with open_sides(repo, base_rev, head_rev, flag_spec, use_merge_base=use_merge_base) as s:
        after, module = _load_side(go, s.head_dir, s.specs, cache_dir, s.head, progress, jobs=jobs)
        before, base_module = _load_side(go, s.base_dir, s.specs, cache_dir, s.base, progress, jobs=jobs)
        ignore_std = {f.go_version for f in before} != {f.go_version for f in after}
        changes = pair(before, after, ignore_std=ignore_std)
    return DiffResult(module=module or base_module, base=s.base, head=s.head, changes=changes, notes=s.notes)


@dataclass(frozen=True)
class Sides:
    """The two sides of a diff, checked out: their descriptions, module directories and targets."""

    base: Side
    head: Side
    base_dir: Path
    head_dir: Path
    specs: tuple[TargetSpec, ...]
    notes: tuple[str, ...]


@contextmanager
def open_sides(repo: Path, base_rev: str, head_rev: str | None, flag_spec: TargetSpec | None, *,
               use_merge_base: bool = False) -> Iterator[Sides]:
    """Scratch worktrees of BASE and of HEAD (or of HEAD with the working tree's changes copied in),
    removed on exit; nothing is built here (refactor.shard and refactor.merge open them too)."""
    from refactor.config import load_specs
    from refactor.workspace import (
        copy_working_tree,
        describe_commit,
        merge_base,
        open_workspace,
        require_repo,
        resolve_commit,
    )

    state = require_repo(repo.resolve())
    base_sha = resolve_commit(state.top, base_rev)
    head_sha = resolve_commit(state.top, head_rev) if head_rev is not None else None
    if use_merge_base:
        base_sha = merge_base(state.top, base_sha, head_sha or state.head)
        base_rev = f"merge-base({base_rev}, {head_rev or 'HEAD'})"
    base = Side(base_rev, base_sha, describe_commit(state.top, base_sha))
    head = (Side(head_rev, head_sha, describe_commit(state.top, head_sha)) if head_rev is not None and head_sha
            else Side("working tree", None, f"the working tree (HEAD {state.head[:12]} and uncommitted changes)"))
    notes: list[str] = []
    with open_workspace(state, at=head_sha or state.head) as hws:
        if head_sha is None:
            changed = copy_working_tree(state, hws)
            if not changed:
                notes.append("the working tree has no uncommitted changes: HEAD was compared")
        specs = (flag_spec,) if flag_spec is not None else (load_specs(hws.module_dir) or (TargetSpec(),))
        with open_workspace(state, at=base_sha) as bws:
            yield Sides(base, head, bws.module_dir, hws.module_dir, tuple(specs), tuple(notes))


def _load_side(go: Go, module_dir: Path, specs: Sequence[TargetSpec], cache_dir: Path | None, side: Side,
               progress: Progress | None, *, jobs: int | None = None) -> tuple[list[BinaryFacts], str]:
    """Load and build every target of one side (targets whose main package does not exist there are
    left out: they are added or removed binaries). A failure names the commit."""
    project = load_side(go, module_dir, specs, cache_dir, side, progress, jobs=jobs)
    if project is None:
        return [], ""
    return _load_side_facts(project, side), project.module.path


def _load_side_facts(project: Project, side: Side) -> list[BinaryFacts]:
    """facts_all of one side's project; a failure names the commit."""
    try:
        return facts_all(project)
    except CommitError:
        raise
    except GotrimError as exc:
        raise CommitError(f"{_what(side)} does not build: {exc}") from exc


def _what(side: Side) -> str:
    return side.description if side.commit else "the working tree"


def _present(module_dir: Path, specs: Sequence[TargetSpec], side: Side) -> tuple[TargetSpec, ...]:
    if not module_dir.is_dir():
        raise CommitError(f"{_what(side)} has no {module_dir.name}/ (the module directory): compare commits of the "
                          "same module")
    return tuple(s for s in specs if _mains_exist(module_dir, s))


def load_side(go: Go, module_dir: Path, specs: Sequence[TargetSpec], cache_dir: Path | None, side: Side,
              progress: Progress | None, *, jobs: int | None = None, select: Select | None = None
              ) -> Project | None:
    """The Project of one side loaded with facts.FACTS (None when none of its main packages exist
    there); select: the targets to load of those resolved (a shard's)."""
    from refactor.load import LoadProgress, load

    present = _present(module_dir, specs, side)
    if not present:
        return None
    say = LoadProgress(step=lambda msg: progress(f"{side.ref}: {msg}")) if progress else None
    try:
        return load(go, Settings(root=module_dir, cache_dir=cache_dir, jobs=jobs), present, FACTS, progress=say,
                    select=select)
    except CommitError:
        raise
    except GotrimError as exc:
        raise CommitError(f"{_what(side)} does not build: {exc}") from exc


def side_targets(go: Go, module_dir: Path, specs: Sequence[TargetSpec], side: Side) -> tuple[Target, ...]:
    """The targets load_side resolves on one side, without building anything."""
    from refactor.repository import discover, resolve_targets

    present = _present(module_dir, specs, side)
    if not present:
        return ()
    try:
        return tuple(t for t, _ in resolve_targets(discover(go, module_dir), present))
    except GotrimError as exc:
        raise CommitError(f"{_what(side)} does not build: {exc}") from exc


def _mains_exist(module_dir: Path, spec: TargetSpec) -> bool:
    """False when a spec names a main package directory (./cmd/x) that is not there."""
    return not any(m.startswith("./") and "..." not in m and not (module_dir / m).is_dir() for m in spec.mains)


# ---------------------------------------------------------------------------------------------
# Two built binaries


def diff_binaries(go: Go, old: Path, new: Path, cache_dir: Path | None) -> DiffResult:
    """The byte part of a diff for two built Go binaries, from their symbols and build information."""
    from refactor.buildinfo import binary_facts

    before, after = binary_facts(go, old, cache_dir), binary_facts(go, new, cache_dir)
    # the two files are compared as one program even when they were built for different targets
    change = compare(before, after, ignore_std=before.go_version != after.go_version)
    return DiffResult(module=after.target.main, base=Side(str(old)), head=Side(str(new)), changes=(change,))
