"""Guard an optional feature's files with a build tag, and stub what the rest of the build uses.

Before: cmd/agent -> internal/export -> net/http   (only http.go imports it; its init registers an exporter)
After:  http.go gets `//go:build !guard_omit_http`, and http_stub.go (`//go:build guard_omit_http`) declares
        what the rest of the package uses; `go build -tags guard_omit_http ./cmd/agent` links no net/http.
Refuses when a stub would need the heavy import (a used signature names its types), when a var's type
cannot be told without type-checking, when every file of a package imports it (guard its importers
instead), and when the target uses none of the files (split-package cuts that without a tag).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from refactor.buildconfig import tag_config_changes
from refactor.candidate import Candidate, Details, Proposal, Refusal, Strategy, candidate_id
from refactor.config import Settings, Target, parse_tags
from refactor.edit import remove_import
from refactor.estimate import estimate, files_cut
from refactor.gosource import (
    BuildExpr,
    GoFile,
    Import,
    SourcePackage,
    format_build_expr,
    guess_package_name,
    parse_file,
)
from refactor.graph import BuildGraph, Edge
from refactor.guard import (
    StubWriter,
    Unguardable,
    and_term,
    existing_stub,
    expr_tags,
    has_conjunct,
    has_disjunct,
    name_suffix,
    repair_stub,
)
from refactor.plan import FileChange, Plan, apply_edits
from refactor.project import Needs, Project
from refactor.sources import PLATFORM_TAGS, build_expr
from refactor.table import count

NAME = "guard-with-tag"
_Refuse = Unguardable  # this feature cannot be guarded safely; the message says why


@dataclass(frozen=True)
class GuardDetails(Details):
    """guard-with-tag's facts of a candidate (JSON: docs/report-schema.md, `guard-with-tag` details)."""

    tag: str  # the build tag the slim build is built with
    feature: str  # the feature's name (from the heavy package)
    heavy: str  # the heavy package the guard cuts
    files: tuple[str, ...]  # the guarded files, relative to the module root
    existing_tag: bool = False  # the files are already behind the tag: only the build configuration changes

    def for_json(self) -> dict[str, object]:
        return {"tag": self.tag, "feature": self.feature, "heavy": self.heavy, "files": list(self.files),
                "existing_tag": self.existing_tag}


def propose(project: Project, settings: Settings) -> Iterator[Proposal]:
    """Guard candidates for every heavy import that only optional feature files of the module bring in."""
    index = _Index(project)
    features: dict[tuple[tuple[str, tuple[str, ...]], ...], _Feature] = {}
    for target in project.targets:
        graph = project.graphs[target]
        for q, sites, cut in _site_sets(index, graph):
            removed = graph.removed_by(cut)
            if q not in removed:
                continue
            key = tuple(sorted((s.import_path, s.files) for s in sites))
            feat = features.get(key)
            if feat is None:
                feat = features[key] = _Feature(q=q, sites=tuple(sorted(sites, key=lambda s: s.import_path)))
            removed_bytes = estimate(project, target,
                                     files_cut(project, removed, {s.import_path: s.files for s in sites}))
            prev = next((h for h in feat.hits if h.target == target), None)
            if prev is not None:
                if len(prev.removed) >= len(removed):
                    continue
                feat.hits.remove(prev)
            feat.hits.append(_Hit(target, removed, removed_bytes, _chain(graph, feat.q)))
    _prune_supersets(features)
    tags = _choose_tags(index, settings, list(features.values()))
    for key in sorted(features, key=lambda k: (-features[k].bytes, k)):
        feat = features[key]
        yield _proposal(index, feat, *tags[key])


def _prune_supersets(features: dict[tuple[tuple[str, tuple[str, ...]], ...], _Feature]) -> None:
    """Drop a feature that guards more files than a smaller one for barely more packages (< 10 %)."""
    def files(k: tuple[tuple[str, tuple[str, ...]], ...]) -> frozenset[tuple[str, str]]:
        return frozenset((p, f) for p, fs in k for f in fs)

    for big in list(features):
        for small in list(features):
            if big == small or small not in features or not files(small) < files(big):
                continue
            extra = features[big].removed - features[small].removed
            if len(extra) * 10 < len(features[small].removed):
                del features[big]
                break


# ---------------------------------------------------------------------------------------------------------
# Finding features


@dataclass(frozen=True)
class _Site:
    """The files of one package that form (part of) the feature: they alone import the cut packages."""

    import_path: str
    name: str
    dir: str
    files: tuple[str, ...]  # base names, sorted


@dataclass(frozen=True)
class _Hit:
    """What guarding a feature removes from one target."""

    target: Target
    removed: frozenset[str]
    bytes: int
    chain: tuple[str, ...]


@dataclass
class _Feature:
    """Sites guarded together under one tag, and what that removes per target."""

    q: str  # the heavy package that names the feature
    sites: tuple[_Site, ...]
    hits: list[_Hit] = field(default_factory=list)

    @property
    def bytes(self) -> int:
        return sum(h.bytes for h in self.hits)

    @property
    def removed(self) -> frozenset[str]:
        return frozenset().union(*(h.removed for h in self.hits))


def _site_sets(index: _Index, graph: BuildGraph) -> Iterator[tuple[str, list[_Site], list[Edge]]]:
    """For each package the main module imports: every main-module import that leads to it, as file sites.

    A heavy package is often reached through several imports of the module (export -> net/http,
    notify -> net/http, main -> net/http/pprof); it leaves the build only when all of them are guarded.
    """
    entries: dict[Edge, frozenset[str]] = {}
    for p in sorted(graph.main_module_packages()):
        for r in graph.imports(p):
            if not graph.packages[r].main_module:
                entries[(p, r)] = _reach(graph, r)
    groups: dict[tuple[Edge, ...], str] = {}
    reach_of = {r: reach for (_, r), reach in entries.items()}
    for q in sorted(reach_of, key=lambda r: (-len(reach_of[r]), r)):
        edges = tuple(e for e, reach in entries.items() if q in reach)
        groups.setdefault(edges, q)  # the feature is named after its widest direct import
    for edges, q in groups.items():
        by_pkg: dict[str, list[str]] = {}
        for p, r in edges:
            by_pkg.setdefault(p, []).append(r)
        sites: list[_Site] = []
        cut: list[Edge] = []
        for p, rs in by_pkg.items():
            pkg = graph.packages[p]
            files = [index.file(pkg.dir, f) for f in pkg.files]
            paths = {pkg.source_path(r) for r in rs}
            hits = [f for f in files if any(i.path in paths for i in f.imports)]
            feature = tuple(sorted(os.path.basename(f.path) for f in hits))
            blank_only = all(i.name == "_" for f in hits for i in f.imports if i.path in paths)
            if len(feature) == len(files) and not blank_only:
                sites = []  # a package whose every file needs q: guard its importers instead
                break
            if pkg.name == "main" and not blank_only and any(
                    d.name == "main" and d.kind == "func" for f in hits for d in f.decls):
                sites = []  # the file holding func main is the program itself, never an optional feature
                break
            sites.append(_Site(p, pkg.name, pkg.dir, feature))
            if blank_only:
                cut.extend((p, r) for r in rs)
                continue
            others = [f for f in files if os.path.basename(f.path) not in feature]
            kept = {pkg.resolve(i.path) for f in others for i in f.imports}
            cut.extend((p, r) for r in graph.imports(p) if r not in kept)
        if sites:
            yield q, sites, cut


def _reach(graph: BuildGraph, start: str) -> frozenset[str]:
    """Packages reachable from start, start included."""
    seen = {start}
    todo = [start]
    while todo:
        for r in graph.imports(todo.pop()):
            if r not in seen:
                seen.add(r)
                todo.append(r)
    return frozenset(seen)


def _chain(graph: BuildGraph, q: str) -> tuple[str, ...]:
    chains = graph.why(q, limit=1)
    return tuple(chains[0]) if chains else ()


# ---------------------------------------------------------------------------------------------------------
# Reading the module


class _Index:
    """The project's source index, as this strategy addresses files (a package directory and a name)."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.sources = project.sources
        self.root = project.root

    def file(self, directory: str, name: str) -> GoFile:
        """The parsed file dir/name (its path relative to the module root)."""
        return self.sources.file(Path(directory) / name)

    def rel(self, path: str) -> str:
        """Module-root-relative posix path."""
        return self.sources.rel(path)

    def dir_files(self, directory: str) -> list[GoFile]:
        """Every Go file of a package directory, tests and other platforms included."""
        return [self.sources.file(rel) for rel in self.sources.dir_files(self.sources.rel(directory))]

    def importing(self, import_path: str) -> list[GoFile]:
        """Every file of the module that imports import_path."""
        return self.sources.importers(import_path)

    def tags_in_use(self) -> dict[str, list[str]]:
        """Build tags of the module's constraints -> files whose constraint names them."""
        return self.sources.tags_in_use()


# ---------------------------------------------------------------------------------------------------------
# Tags


def _choose_tags(index: _Index, settings: Settings, features: Sequence[_Feature]
                 ) -> dict[tuple[tuple[str, tuple[str, ...]], ...], tuple[str, str, bool]]:
    """(tag, default tag, already guards) per feature: the tag that already guards its files, else a
    new <module>_omit_<name> that means nothing else yet (nor another feature of this run); the tag
    is the override when there is one (--guard-tag), the default names the candidate's id."""
    in_use = index.tags_in_use()
    overrides: Mapping[str, str] = settings.guard_tags
    mod = _ident(guess_package_name(index.project.module.path)).lower()
    out: dict[tuple[tuple[str, tuple[str, ...]], ...], tuple[str, str, bool]] = {}
    for feat in features:
        key = tuple(sorted((s.import_path, s.files) for s in feat.sites))
        name = _feature_name(feat.q)
        existing = _existing_guard(index, feat)
        tag = existing or f"{mod}_omit_{name}"
        n, taken = 1, {d for _, d, _ in out.values()}
        while existing is None and (tag in taken or not _tag_free(index, in_use, tag, feat.q)):
            n += 1
            tag = f"{mod}_omit_{name}{n}"
        override = overrides.get(tag) or overrides.get(feat.q)
        chosen = parse_tags(override)[0] if override else tag
        out[key] = (chosen, tag, chosen == existing)
    return out


def _existing_guard(index: _Index, feat: _Feature) -> str | None:
    """The tag that already leaves every file of the feature out of the build, each with a stub that
    the tag brings in (`//go:build !yq_nojson` / `//go:build yq_nojson`), or None."""
    common: set[str] | None = None
    for site in feat.sites:
        all_files = index.dir_files(site.dir)
        by_name = {os.path.basename(f.path): f for f in all_files}
        for base in site.files:
            real = by_name[base]
            x = build_expr(real)
            stub = existing_stub(real, all_files, site.files)
            if x is None or stub is None or (y := build_expr(stub)) is None:
                return None
            tags = {t for t in expr_tags(x) if has_conjunct(x, ("not", ("tag", t))) and has_disjunct(y, ("tag", t))
                    and t not in PLATFORM_TAGS and not t.startswith("go1.")}
            common = tags if common is None else common & tags
            if not common:
                return None
    return min(common) if common else None


def _tag_free(index: _Index, in_use: Mapping[str, list[str]], tag: str, q: str) -> bool:
    """A tag is free when unused, or when the files it already excludes import q (the same feature)."""
    for path in in_use.get(tag, []):
        f = index.file(os.path.dirname(path), os.path.basename(path))
        if not any(i.path == q for i in f.imports):
            return False
    return True


def _feature_name(q: str) -> str:
    return _ident(guess_package_name(q)).lower() or "feature"


def _ident(s: str) -> str:
    s = re.sub(r"[^0-9A-Za-z_]", "_", s)
    return "x" + s if s[:1].isdigit() else s


# ---------------------------------------------------------------------------------------------------------
# The proposal


def _proposal(index: _Index, feat: _Feature, tag: str, default_tag: str, existing: bool) -> Proposal:
    if existing:
        return _existing_tag_proposal(index, feat, tag)
    targets = tuple(h.target for h in feat.hits)
    name = _feature_name(feat.q)
    where = ", ".join(f"{index.rel(os.path.join(s.dir, f))}" for s in feat.sites for f in s.files)
    summary = f"guard {where} with -tags {tag}: drop {feat.q} ({count(len(feat.removed), 'package')})"
    try:
        uses = _target_uses(index, feat)
        if not any(uses.values()):
            raise _Refuse(f"{', '.join(h.target.label for h in feat.hits)} use nothing of {where} and no init "
                          "or blank import registers it: split-package cuts this without a build tag")
        changes: list[tuple[str, bytes | None, bytes | None]] = []
        notes: list[str] = []
        for site in feat.sites:
            changes.extend(_guard_site(index, site, feat, tag, name, notes))
    except _Refuse as exc:
        return Refusal(strategy=NAME, targets=targets, summary=summary, reason=str(exc),
                       estimated_bytes=feat.bytes)
    plan = Plan(title=f"Guard the {name} feature with build tag {tag}",
                changes=tuple(FileChange(path=p, before=b, after=a) for p, b, a in changes))
    explanation = _explain(index, feat, tag, name, uses, notes)
    key = "|".join(f"{s.import_path}:{','.join(s.files)}" for s in feat.sites) + f"|{default_tag}"
    return Candidate(
        id=candidate_id(NAME, key), strategy=NAME, targets=targets, summary=summary, explanation=explanation,
        estimated_bytes=feat.bytes, confidence="medium", plan=plan, removes=tuple(sorted(feat.removed)),
        variant_tags=(tag,),
        details=GuardDetails(tag=tag, feature=name, heavy=feat.q, files=tuple(
            index.rel(os.path.join(s.dir, f)) for s in feat.sites for f in s.files)),
    )


def _existing_tag_proposal(index: _Index, feat: _Feature, tag: str) -> Proposal:
    """The feature's files are already behind `tag`: the change is to build with it (the targets'
    build configuration: gotrim.toml, Makefile -tags, .goreleaser tags), not to the source."""
    targets = tuple(dict.fromkeys(h.target for h in feat.hits))
    name = _feature_name(feat.q)
    files = [index.rel(os.path.join(s.dir, f)) for s in feat.sites for f in s.files]
    summary = (f"build with -tags {tag}, which already guards {', '.join(files)}: drop {feat.q} "
               f"({count(len(feat.removed), 'package')})")
    try:
        uses = _target_uses(index, feat)
    except _Refuse:
        uses = {}
    lines = [f"{', '.join(files)} already start with a constraint that -tags {tag} turns off, and a stub takes "
             f"their place with it: the module ships this switch. No source changes; the targets' build "
             f"configuration gets the tag."]
    lines += _explain(index, feat, tag, name, uses, ()).splitlines()[len(feat.sites):]
    plan = Plan(title=f"Build {', '.join(t.name for t in targets)} with the existing {tag} tag",
                changes=tuple(tag_config_changes(index.project, targets, tag)))
    key = "|".join(f"{s.import_path}:{','.join(s.files)}" for s in feat.sites) + f"|{tag}|existing"
    return Candidate(
        id=candidate_id(NAME, key), strategy=NAME, targets=tuple(h.target for h in feat.hits), summary=summary,
        explanation="\n".join(lines), estimated_bytes=feat.bytes, confidence="high", plan=plan,
        removes=tuple(sorted(feat.removed)), variant_tags=(tag,),
        details=GuardDetails(tag=tag, feature=name, heavy=feat.q, files=tuple(files), existing_tag=True),
    )


def _explain(index: _Index, feat: _Feature, tag: str, name: str, uses: Mapping[str, list[str]],
             notes: Sequence[str]) -> str:
    lines = []
    for s in feat.sites:
        files = ", ".join(s.files)
        verb = "imports" if len(s.files) == 1 else "import"
        lines.append(f"In {s.import_path}, only {files} {verb} what brings in {feat.q}: the {name} feature.")
    for h in feat.hits:
        lines.append(f"{h.target.label}: {' -> '.join(h.chain)}; built with -tags {tag} it drops "
                     f"{count(len(h.removed), 'package')} ({', '.join(sorted(h.removed)[:6])}"
                     f"{', …' if len(h.removed) > 6 else ''}).")
    lost = [f"{p}: {', '.join(u)}" for p, u in uses.items() if u]
    lines.append(f"The slim build loses the {name} feature" + (": " + "; ".join(lost) if lost else "") + ".")
    lines.extend(notes)
    for h in feat.hits:
        pkg = "./" + index.rel(index.project.graphs[h.target].main.dir)
        env = f"GOOS={h.target.goos} GOARCH={h.target.goarch} "
        tags = ",".join(h.target.tags)
        lines.append(f"Full:  {env}go build {'-tags ' + tags + ' ' if tags else ''}{pkg}")
        lines.append(f"Slim:  {env}go build -tags {','.join((*h.target.tags, tag))} {pkg}")
    return "\n".join(lines)


def _target_uses(index: _Index, feat: _Feature) -> dict[str, list[str]]:
    """Per site: what the targets reach of the feature files (init, blank imports, used declarations)."""
    out: dict[str, list[str]] = {}
    for site in feat.sites:
        used: set[str] = set()
        for h in feat.hits:
            graph = index.project.graphs[h.target]
            pkg = graph.packages.get(site.import_path)
            if pkg is None:
                continue
            files = [index.file(pkg.dir, f) for f in pkg.files]
            view = SourcePackage.from_files(site.import_path, pkg.name, files)
            roots = {d.key for d in view.decls.values() if d.kind == "init" or d.side_effects}
            if pkg.name == "main":
                roots.add("main")
            for imp in graph.importers(site.import_path):
                ipkg = graph.packages[imp]
                for f in (index.file(ipkg.dir, n) for n in ipkg.files):
                    local = _local_name(f, site.import_path, site.name)
                    if local is None:
                        continue
                    for d in f.decls:
                        roots.update(k for r in d.refs if r.qualifier == local for k in _keys(view, r.name))
            blank = _blank_only(files, site, pkg.resolve, h.removed)
            for k in () if blank else view.closure(roots):
                d = view.decls[k]
                if os.path.basename(d.file) in site.files and d.kind in ("func", "method", "init", "var"):
                    used.add("init" if d.kind == "init" else d.key)
            for f in files:
                if os.path.basename(f.path) in site.files:
                    used.update(f"import _ {i.path!r}" for i in f.imports
                                if i.name == "_" and pkg.resolve(i.path) in h.removed)
        out[site.import_path] = sorted(used)
    return out


def _blank_only(files: Sequence[GoFile], site: _Site, resolve: Callable[[str], str], removed: frozenset[str]
                ) -> bool:
    """The site's files bring the feature in only through blank imports (they are moved, not stubbed)."""
    heavy = [i for f in files if os.path.basename(f.path) in site.files for i in f.imports
             if resolve(i.path) in removed]
    return bool(heavy) and all(i.name == "_" for i in heavy)


def _keys(view: SourcePackage, name: str) -> list[str]:
    return [d.key for d in view.by_name(name) if d.kind not in ("method", "init")]


def _local_name(f: GoFile, import_path: str, pkg_name: str) -> str | None:
    for i in f.imports:
        if i.path == import_path:
            return None if i.name == "_" else i.local_name(pkg_name)
    return None


# ---------------------------------------------------------------------------------------------------------
# Guarding one site


def _guard_site(index: _Index, site: _Site, feat: _Feature, tag: str, name: str, notes: list[str]
                ) -> Iterator[tuple[str, bytes | None, bytes | None]]:
    """The file changes for one package: guard edits, moved blank imports, new or updated stubs."""
    all_files = index.dir_files(site.dir)
    by_name = {os.path.basename(f.path): f for f in all_files}
    feature = [by_name[n] for n in site.files]
    heavy = feat.removed | {feat.q}
    stubs = {os.path.basename(f.path): existing_stub(f, all_files, site.files) for f in feature}
    skip = set(site.files) | {os.path.basename(s.path) for s in stubs.values() if s is not None}
    rest = [f for f in all_files if os.path.basename(f.path) not in skip and f.package in (site.name,)
            and not _ignored(f)]
    importers = [f for f in index.importing(site.import_path) if os.path.dirname(
        os.path.join(index.root, f.path)) != site.dir or f.package != site.name]
    need_names, need_fields, startup = _references(rest, importers, site)
    taken = {d.name for f in all_files for d in f.decls}
    repaired: dict[str, tuple[GoFile, GoFile]] = {}  # path -> (stub, its repair so far): one stub may
    # stand in for several feature files, repaired in turn
    for real in feature:
        base = os.path.basename(real.path)
        blank = [i for i in real.imports if i.name == "_" and i.path in heavy]
        heavy_named = [i for i in real.imports if i.name != "_" and i.path in heavy]
        if blank and not heavy_named and any(d.kind != "init" for d in real.decls):
            yield from _move_blank_imports(index, site, real, blank, tag, name)
            continue
        guarded = and_term(real, "!" + tag)
        if guarded != real.src:
            yield real.path, real.src, guarded
        gen = StubWriter(real, all_files, heavy, tag, name, taken, package_names=index.sources.package_names,
                         users=[*rest, *importers])
        blocks = gen.blocks(need_names, need_fields)
        failing = sorted(b.name for b in blocks if b.kind == "func" and b.name in startup)
        if failing:
            raise _Refuse(f"{real.path}: {', '.join(failing)} run(s) when the program starts (from an init "
                          "function or a package variable); its stub fails, so the slim build could not "
                          "start: this file is not an optional feature")
        stub = stubs[base]
        if stub is not None:
            current = repaired.get(stub.path, (stub, stub))[1]
            repaired[stub.path] = stub, parse_file(stub.path, repair_stub(current, gen, blocks, tag, notes))
        elif blocks:
            taken.add(gen.err_var)
            yield _stub_path(index, site, base, tag), None, gen.render(blocks)
    for path, (original, fixed) in repaired.items():
        if fixed.src != original.src:
            yield path, original.src, fixed.src


def _ignored(f: GoFile) -> bool:
    return f.constraint is not None and f.constraint.expr is not None and f.constraint.expr.strip() == "ignore"


def _references(rest: Sequence[GoFile], importers: Sequence[GoFile], site: _Site
                ) -> tuple[set[str], set[str], set[str]]:
    """Names the rest of the package uses unqualified, selector names (methods) used anywhere, and the
    names used by code that runs whenever the package is linked: init functions and var initializers
    that call (a call from main may sit behind a flag; it is not counted)."""
    names: set[str] = set()
    fields: set[str] = set()
    startup: set[str] = set()

    for f in rest:
        for d in f.decls:
            used = {r.name for r in d.refs if r.qualifier is None}
            names.update(used)
            names.update(d.universe_refs)
            if d.kind == "init" or d.side_effects:
                startup |= _called(f.src[d.start:d.end].decode("utf-8", "replace"), "", used)
        fields |= f.selectors()
    for f in importers:
        local = _local_name(f, site.import_path, site.name)
        if local is None:
            continue
        for d in f.decls:
            used = {r.name for r in d.refs if r.qualifier == local}
            names.update(used)
            if d.kind == "init" or d.side_effects:
                startup |= _called(f.src[d.start:d.end].decode("utf-8", "replace"), local + ".", used)
        fields |= f.selectors()
    return names, fields, startup


def _called(text: str, prefix: str, names: set[str]) -> set[str]:
    """The names text calls (`prefix+name(`), not only mentions (a function value registered for later)."""
    return {n for n in names if re.search(rf"(?<![\w.]){re.escape(prefix + n)}\s*\(", text)}


def _stub_path(index: _Index, site: _Site, base: str, tag: str) -> str:
    suffix = name_suffix(base)
    stem = base[:-3][: len(base) - 3 - len(suffix)]
    for cand in (f"{stem}_stub{suffix}.go", f"{stem}_{tag}{suffix}.go"):
        if not os.path.exists(os.path.join(site.dir, cand)):
            return index.rel(os.path.join(site.dir, cand))
    raise _Refuse(f"{stem}_stub{suffix}.go exists and is not a stub for {base}: pass another tag")


# ---------------------------------------------------------------------------------------------------------
# Blank imports


def _move_blank_imports(index: _Index, site: _Site, real: GoFile, blank: Sequence[Import], tag: str,
                        name: str) -> Iterator[tuple[str, bytes | None, bytes | None]]:
    """Move blank imports of the heavy packages out of real into their own guarded file."""
    imps = list(blank)
    out = real
    for imp in imps:
        out = parse_file(real.path, apply_edits(out.src, remove_import(out, imp.path)))
    yield real.path, real.src, out.src
    old = build_expr(real)
    expr: BuildExpr = ("not", ("tag", tag)) if old is None else ("and", old, ("not", ("tag", tag)))
    base = os.path.basename(real.path)
    suffix = name_suffix(base)
    path = index.rel(os.path.join(site.dir, f"import_{name}{suffix}.go"))
    specs = sorted(f'_ "{i.path}"' for i in imps)
    imports = f"import {specs[0]}\n" if len(specs) == 1 else "import (\n" + "".join(
        f"\t{s}\n" for s in specs) + ")\n"
    text = (f"//go:build {format_build_expr(expr)}\n\n"
            f"// Importing {', '.join(i.path for i in imps)} links in the {name} feature; build with\n"
            f"// -tags {tag} to leave it out.\n\n"
            f"package {real.package}\n\n{imports}")
    yield path, None, text.encode()


STRATEGY = Strategy(name=NAME, summary="Guard an optional feature's files with a build tag and stub the rest",
                    propose=propose, needs=Needs.GRAPHS | Needs.SOURCES | Needs.SIZES)
