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
from functools import cache
from pathlib import Path

import jinja2
from tree_sitter import Node

from refactor.candidate import Candidate, Proposal, Refusal, Strategy, candidate_id
from refactor.config import Settings, Target, parse_tags
from refactor.edit import add_constraint, or_constraint, remove_import
from refactor.errors import GotrimError, SourceError
from refactor.gosource import (
    BuildExpr,
    Decl,
    GoFile,
    Import,
    Package,
    eval_build_expr,
    format_build_expr,
    guess_package_name,
    node_at,
    node_text,
    parse_build_expr,
    parse_file,
    parse_plus_build,
    selector_operands,
    signature,
)
from refactor.graph import BuildGraph, Edge
from refactor.plan import FileChange, Plan, apply_edits
from refactor.project import Needs, Project
from refactor.table import count
from strategies.dce_blockers import tag_config_changes

NAME = "guard-with-tag"
TEMPLATES = Path(__file__).resolve().parent.parent / "refactor" / "templates"
_KNOWN_OS = frozenset((
    "aix", "android", "darwin", "dragonfly", "freebsd", "hurd", "illumos", "ios", "js", "linux", "nacl",
    "netbsd", "openbsd", "plan9", "solaris", "wasip1", "windows", "zos",
))
_KNOWN_ARCH = frozenset((
    "386", "amd64", "amd64p32", "arm", "armbe", "arm64", "arm64be", "loong64", "mips", "mipsle", "mips64",
    "mips64le", "mips64p32", "mips64p32le", "ppc", "ppc64", "ppc64le", "riscv", "riscv64", "s390", "s390x",
    "sparc", "sparc64", "wasm",
))
_INITIALISMS = {"http": "HTTP", "https": "HTTPS", "tls": "TLS", "ssh": "SSH", "sql": "SQL", "json": "JSON",
                "xml": "XML", "grpc": "GRPC", "url": "URL", "api": "API", "dns": "DNS", "tcp": "TCP",
                "udp": "UDP", "smtp": "SMTP", "rpc": "RPC", "id": "ID", "ldap": "LDAP", "aws": "AWS"}
_NUMERIC = frozenset((
    "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64", "uintptr", "byte",
    "rune", "float32", "float64", "complex64", "complex128",
))
_NIL_PREFIXES = ("*", "[]", "map[", "chan ", "chan<-", "<-chan", "func(", "func (", "interface{", "interface {")


class _Refuse(GotrimError):
    """This feature cannot be guarded safely; the message says why."""


def propose(project: Project, settings: Settings) -> Iterator[Proposal]:
    """Guard candidates for every heavy import that only optional feature files of the module bring in."""
    index = _Index(project)
    features: dict[tuple[tuple[str, tuple[str, ...]], ...], _Feature] = {}
    for target in project.targets:
        graph = project.graphs[target]
        sizes = project.sizes[target]
        for q, sites, cut in _site_sets(index, graph):
            removed = graph.removed_by(cut)
            if q not in removed:
                continue
            key = tuple(sorted((s.import_path, s.files) for s in sites))
            feat = features.get(key)
            if feat is None:
                feat = features[key] = _Feature(q=q, sites=tuple(sorted(sites, key=lambda s: s.import_path)))
            removed_bytes = sizes.removal_estimate(removed)
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
        if feat.bytes < settings.min_bytes:
            continue
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


_NOT_FEATURE_TAGS = _KNOWN_OS | _KNOWN_ARCH | {"cgo", "unix", "gc", "gccgo", "ignore"}


def _existing_guard(index: _Index, feat: _Feature) -> str | None:
    """The tag that already leaves every file of the feature out of the build, each with a stub that
    the tag brings in (`//go:build !yq_nojson` / `//go:build yq_nojson`), or None."""
    common: set[str] | None = None
    for site in feat.sites:
        all_files = index.dir_files(site.dir)
        by_name = {os.path.basename(f.path): f for f in all_files}
        for base in site.files:
            real = by_name[base]
            x = _file_expr(real)
            stub = _existing_stub(real, all_files, site.files)
            if x is None or stub is None or (y := _file_expr(stub)) is None:
                return None
            tags = {t for t in _tags(x) if _and_term(x, ("not", ("tag", t))) and _or_term(y, ("tag", t))
                    and t not in _NOT_FEATURE_TAGS and not t.startswith("go1.")}
            common = tags if common is None else common & tags
            if not common:
                return None
    return min(common) if common else None


def _and_term(x: BuildExpr, term: BuildExpr) -> bool:
    """term is one of the conjuncts of x (x implies it)."""
    return x == term or (x[0] == "and" and any(_and_term(c, term) for c in x[1:]))


def _or_term(x: BuildExpr, term: BuildExpr) -> bool:
    """term is one of the disjuncts of x (it implies x)."""
    return x == term or (x[0] == "or" and any(_or_term(c, term) for c in x[1:]))


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


def _camel(name: str) -> str:
    return "".join(_INITIALISMS.get(p, p[:1].upper() + p[1:]) for p in name.split("_") if p)


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
        details={"tag": tag, "feature": name, "heavy": feat.q,
                 "files": [index.rel(os.path.join(s.dir, f)) for s in feat.sites for f in s.files]},
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
        details={"tag": tag, "feature": name, "heavy": feat.q, "files": files, "existing_tag": True},
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
            view = Package.from_files(site.import_path, pkg.name, files)
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


def _keys(view: Package, name: str) -> list[str]:
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
    stubs = {os.path.basename(f.path): _existing_stub(f, all_files, site.files) for f in feature}
    skip = set(site.files) | {os.path.basename(s.path) for s in stubs.values() if s is not None}
    rest = [f for f in all_files if os.path.basename(f.path) not in skip and f.package in (site.name,)
            and not _ignored(f)]
    importers = [f for f in index.importing(site.import_path) if os.path.dirname(
        os.path.join(index.root, f.path)) != site.dir or f.package != site.name]
    view = Package.from_files(site.import_path, site.name, all_files)
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
        guarded = _and_constraint(real, "!" + tag)
        if guarded != real.src:
            yield real.path, real.src, guarded
        gen = _Stubber(index, site, real, view, heavy, tag, name, taken)
        gen.users = [*rest, *importers]
        blocks = gen.blocks(need_names, need_fields)
        failing = sorted(b.name for b in blocks if b.kind == "func" and b.name in startup)
        if failing:
            raise _Refuse(f"{real.path}: {', '.join(failing)} run(s) when the program starts (from an init "
                          "function or a package variable); its stub fails, so the slim build could not "
                          "start: this file is not an optional feature")
        stub = stubs[base]
        if stub is not None:
            current = repaired.get(stub.path, (stub, stub))[1]
            repaired[stub.path] = stub, parse_file(stub.path, _repair_stub(current, gen, blocks, tag, notes))
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


def _calls(node: Node) -> bool:
    """node calls something when it is evaluated (calls inside function literals run later)."""
    if node.type == "call_expression":
        return True
    return node.type != "func_literal" and any(_calls(c) for c in node.named_children)


def _node_at(src: bytes, start: int, end: int) -> Node:
    """The declaration node spanning exactly [start, end); a refusal when the tree has none."""
    try:
        return node_at(src, start, end)
    except SourceError as exc:
        raise _Refuse(str(exc)) from exc


# ---------------------------------------------------------------------------------------------------------
# Constraints


def _file_expr(f: GoFile) -> BuildExpr | None:
    c = f.constraint
    if c is None:
        return None
    if c.expr is not None:
        return parse_build_expr(c.expr)
    x: BuildExpr | None = None
    for s, e in c.plus_build:
        y = parse_plus_build(f.src[s:e].decode("utf-8", "replace"))
        x = y if x is None else ("and", x, y)
    return x


def _and_constraint(f: GoFile, term: str) -> bytes:
    """f's source with term AND-ed into its constraint (as it is when the constraint already has it)."""
    x = _file_expr(f)
    if x is not None and _and_term(x, parse_build_expr(term)):
        return f.src
    return apply_edits(f.src, add_constraint(f, term))


def _or_constraint(f: GoFile, term: str) -> bytes:
    """f's source with term OR-ed into its constraint (as it is when the constraint already has it)."""
    x = _file_expr(f)
    if x is not None and _or_term(x, parse_build_expr(term)):
        return f.src
    return apply_edits(f.src, or_constraint(f, term))


def _tags(x: BuildExpr) -> set[str]:
    if x[0] == "tag":
        return {str(x[1])}
    return set().union(*(_tags(c) for c in x[1:] if isinstance(c, tuple)))


def _negates(a: BuildExpr, b: BuildExpr) -> bool:
    """a is true exactly when b is false, for every assignment of their tags."""
    tags = sorted(_tags(a) | _tags(b))
    if len(tags) > 12:
        return False
    for bits in range(1 << len(tags)):
        have = {t for i, t in enumerate(tags) if bits >> i & 1}
        if eval_build_expr(a, have) == eval_build_expr(b, have):
            return False
    return True


def _name_suffix(base: str) -> str:
    """The _GOOS / _GOARCH / _GOOS_GOARCH part of a file name that constrains it ('' if none)."""
    stem = base[:-3] if base.endswith(".go") else base
    parts = stem.split("_")
    if len(parts) >= 3 and parts[-2] in _KNOWN_OS and parts[-1] in _KNOWN_ARCH:
        return "_" + "_".join(parts[-2:])
    if len(parts) >= 2 and (parts[-1] in _KNOWN_OS or parts[-1] in _KNOWN_ARCH):
        return "_" + parts[-1]
    return ""


def _existing_stub(real: GoFile, files: Sequence[GoFile], feature: Sequence[str]) -> GoFile | None:
    """A file of the package whose constraint is the negation of real's: the stub for other platforms."""
    x = _file_expr(real)
    if x is None:
        return None
    suffix = _name_suffix(os.path.basename(real.path))
    for f in files:
        base = os.path.basename(f.path)
        if base in feature or base.endswith("_test.go") or _name_suffix(base) != suffix:
            continue
        y = _file_expr(f)
        if y is not None and _negates(x, y):
            return f
    return None


def _stub_path(index: _Index, site: _Site, base: str, tag: str) -> str:
    suffix = _name_suffix(base)
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
    old = _file_expr(real)
    expr: BuildExpr = ("not", ("tag", tag)) if old is None else ("and", old, ("not", ("tag", tag)))
    base = os.path.basename(real.path)
    suffix = _name_suffix(base)
    path = index.rel(os.path.join(site.dir, f"import_{name}{suffix}.go"))
    specs = sorted(f'_ "{i.path}"' for i in imps)
    imports = f"import {specs[0]}\n" if len(specs) == 1 else "import (\n" + "".join(
        f"\t{s}\n" for s in specs) + ")\n"
    text = (f"//go:build {format_build_expr(expr)}\n\n"
            f"// Importing {', '.join(i.path for i in imps)} links in the {name} feature; build with\n"
            f"// -tags {tag} to leave it out.\n\n"
            f"package {real.package}\n\n{imports}")
    yield path, None, text.encode()


# ---------------------------------------------------------------------------------------------------------
# Stubs


@dataclass
class _Block:
    """One declaration of a stub file: its key, text, and the comparable signature."""

    key: str
    name: str
    kind: str
    text: str
    signature: tuple[str, ...] = ()
    params: str = ""


class _Stubber:
    """Stub declarations for one real file, from its tree-sitter nodes."""

    def __init__(self, index: _Index, site: _Site, real: GoFile, view: Package, heavy: frozenset[str],
                 tag: str, feature: str, taken: set[str]) -> None:
        self.index = index
        self.site = site
        self.real = real
        self.view = view
        self.heavy = heavy
        self.tag = tag
        self.feature = feature
        self.locals = self._local_paths()
        self.imports: set[str] = set()
        self.message = f"{feature} is not built in: build without -tags {tag}"
        base = "err" + _camel(feature) + "Omitted"
        self.err_var = base
        n = 1
        while self.err_var in taken:
            n += 1
            self.err_var = f"{base}{n}"
        self.uses_err = False
        self.fields: set[str] = set()  # selector names the rest of the build uses (blocks() sets them)
        self.users: Sequence[GoFile] = ()  # the rest of the package and its importers (set by _guard_site)
        self.types = {d.name: d for f in view.files for d in f.decls if d.kind in ("type", "alias")}

    def _local_paths(self) -> dict[str, str]:
        out = {}
        for i in self.real.imports:
            if i.name in ("_", "."):
                continue
            pkg = self.index.project.package(i.path)
            out[i.local_name(pkg.name if pkg else guess_package_name(i.path))] = i.path
        return out

    def blocks(self, names: set[str], fields: set[str]) -> list[_Block]:
        """The stub blocks the rest of the build needs, in source order (closed over what they name)."""
        self.fields = fields
        decls = [d for d in self.real.decls if d.kind != "init" and d.name != "_"]
        own = {d.name for d in decls if d.kind != "method"}
        chosen: dict[str, _Block] = {}
        todo = True
        wanted = set(names)
        while todo:
            todo = False
            for d in decls:
                if d.key in chosen:
                    continue
                if d.kind == "method":
                    recv_here = (d.receiver or "") in own
                    if d.name not in fields or (recv_here and d.receiver not in chosen):
                        continue
                elif d.name not in wanted:
                    continue
                block = self.block(d)
                chosen[d.key] = block
                todo = True
                wanted |= set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", block.text)) & own
        order = {d.key: i for i, d in enumerate(self.real.decls)}
        out: list[_Block] = []
        seen: set[str] = set()
        for b in sorted(chosen.values(), key=lambda b: order[b.key]):
            if b.text not in seen:  # one const group or `var a, b T` declares several names: once
                seen.add(b.text)
                out.append(b)
        return out

    def block(self, d: Decl) -> _Block:
        """The stub text of one declaration."""
        src = self.real.src
        if d.kind in ("func", "method"):
            node = _node_at(src, d.spec_start, d.spec_end)
            return self._func(d, node)
        if d.kind in ("type", "alias"):
            node = _node_at(src, d.spec_start, d.spec_end)
            return self._type(d, node)
        if d.kind == "const":
            return self._const(d, _node_at(src, d.spec_start, d.spec_end))
        node = _node_at(src, d.spec_start, d.spec_end)
        return self._var(d, node)

    def _check(self, d: Decl, node: Node | None, what: str) -> None:
        """Refuse when node names a heavy package; note the light ones the stub must import."""
        if node is None:
            return
        for qual in selector_operands(self.real.src, node):
            path = self.locals.get(qual)
            if path is None:
                continue
            if path in self.heavy:
                raise _Refuse(f"{self.real.path}: {what} of {d.key} names {qual}.* from {path}, which the slim "
                              f"build drops; a stub cannot declare it (move it behind an interface first)")
            self.imports.add(path)

    def _func(self, d: Decl, node: Node) -> _Block:
        for part, what in (("type_parameters", "type parameters"), ("parameters", "parameters"),
                           ("result", "results"), ("receiver", "receiver")):
            self._check(d, node.child_by_field_name(part), what)
        sig = signature(self.real.src, node)
        results = sig.result_types()
        if results and results[-1] == "error":
            zeros = [self._zero(t) for t in results[:-1]]
            body = "return " + ", ".join([*zeros, self.err_var])
            doc = f"// {d.name} always fails: the {self.feature} feature is not built in."
        else:
            body = f"panic({self.err_var})"
            doc = f"// {d.name} panics: the {self.feature} feature is not built in."
        self.uses_err = True
        text = f"{doc}\n{sig.head} {{\n\t{body}\n}}"
        return _Block(d.key, d.name, d.kind, text, sig.key(), sig.params_text)

    def _type(self, d: Decl, node: Node) -> _Block:
        src = self.real.src
        doc = _doc(src, d)
        if not self._heavy_in(node):
            self._check(d, node, "the definition")
            return _Block(d.key, d.name, d.kind, f"{doc}type {node_text(src, node)}")
        tparams = node.child_by_field_name("type_parameters")
        head = f"type {d.name}{node_text(src, tparams)}"
        body = node.child_by_field_name("type")
        fields = body.named_children[0] if body is not None and body.type == "struct_type" and \
            body.named_child_count else None
        empty = _Block(d.key, d.name, "type", f"// {d.name} stands in for the real type, which needs packages "
                       f"the slim build drops.\n{head} struct{{}}")
        if fields is None:
            return empty
        # A struct keeps the fields the slim build can declare; the rest of the build may use those
        # (caddy's Metrics.init), never the others.
        kept: list[str] = []
        dropped: list[str] = []
        for f in fields.named_children:
            if f.type != "field_declaration":
                continue
            if self._heavy_in(f):
                names = [node_text(src, c) for i, c in enumerate(f.children)
                         if f.field_name_for_child(i) == "name"]
                typ = f.child_by_field_name("type")
                dropped += names or re.findall(r"[A-Za-z_][A-Za-z0-9_]*", node_text(src, typ))[-1:]
                continue
            self._check(d, f, "a field")
            kept.append(node_text(src, f))
        naming = re.compile(rf"\b{re.escape(d.name)}\b")
        selected = set().union(*(f.selectors() for f in self.users if naming.search(f.src.decode("utf-8", "replace"))))
        used = sorted(n for n in dropped if n in selected)
        if used:
            raise _Refuse(f"{self.real.path}: the field {d.name}.{used[0]} has a type from a package the slim "
                          "build drops, and the rest of the build selects that name; move it behind an "
                          "interface first")
        if not kept:
            return empty
        text = (f"// {d.name} stands in for the real type, without the fields whose types the slim build "
                f"drops ({', '.join(dropped)}).\n{head} struct {{\n" + "".join(f"\t{k}\n" for k in kept) + "}")
        return _Block(d.key, d.name, "type", text)

    def _heavy_in(self, node: Node) -> bool:
        """node names a package the slim build drops."""
        return any(self.locals.get(q) in self.heavy for q in selector_operands(self.real.src, node))

    def _const(self, d: Decl, node: Node) -> _Block:
        src = self.real.src
        if d.group_start is not None and d.group_end is not None:
            text = src[d.group_start:d.group_end].decode()
            scope = node.parent  # the whole const_declaration: the group's specs share iota and values
        else:
            text = src[d.start:d.end].decode()
            scope = node
        self._check(d, scope, "the value")
        return _Block(d.key, d.name, "const", text)

    def _var(self, d: Decl, node: Node) -> _Block:
        src = self.real.src
        typ = node.child_by_field_name("type")
        value = node.child_by_field_name("value")
        names = ", ".join(node_text(src, c) for i, c in enumerate(node.children)
                          if node.field_name_for_child(i) == "name")
        doc = _doc(src, d)
        if typ is not None:
            self._check(d, typ, "the type")
            return _Block(d.key, d.name, "var", f"{doc}var {names} {node_text(src, typ)}")
        lit = value.named_children[0] if value is not None and value.named_child_count == 1 else None
        if lit is not None and lit.type in ("interpreted_string_literal", "raw_string_literal", "int_literal",
                                            "float_literal", "true", "false", "rune_literal"):
            return _Block(d.key, d.name, "var", f"{doc}var {names} = {node_text(src, lit)}")
        inner = lit.named_children[0] if lit is not None and lit.type == "unary_expression" and \
            lit.named_child_count == 1 else lit
        if inner is not None and inner.type == "composite_literal":
            t = inner.child_by_field_name("type")
            self._check(d, t, "the type")
            if value is not None and not self._heavy_in(value) and not _calls(value):
                # the initializer too (a sync.Pool's New): code still built may rely on it
                self._check(d, value, "the value")
                return _Block(d.key, d.name, "var", f"{doc}var {names} = {node_text(src, value)}")
            star = "*" if inner is not lit else ""
            return _Block(d.key, d.name, "var", f"{doc}var {names} {star}{node_text(src, t)}")
        raise _Refuse(f"{self.real.path}: the type of var {d.name} is not written out; give it an explicit "
                      "type so a stub can declare it")

    def _zero(self, t: str, depth: int = 0) -> str:
        t = " ".join(t.split())
        if t in _NUMERIC:
            return "0"
        if t == "string":
            return '""'
        if t == "bool":
            return "false"
        if t in ("error", "any") or t.startswith(_NIL_PREFIXES):
            return "nil"
        if t.startswith(("[", "struct{", "struct {")):
            return t + "{}"
        base = t.split("[", 1)[0]
        d = self.types.get(base)
        if d is not None and depth < 4:
            if d.type_kind == "struct_type":
                return t + "{}"
            f = self.view.file_of(d)
            node = _node_at(f.src, d.spec_start, d.spec_end).child_by_field_name("type")
            under = self._zero(node_text(f.src, node), depth + 1) if node is not None else ""
            if under in ("0", '""', "false", "nil"):
                return under
        return f"*new({t})"

    def render(self, blocks: Sequence[_Block]) -> bytes:
        """The new stub file."""
        imports = set(self.imports)
        if self.uses_err:
            imports.add("errors")
        specs = []
        for path in sorted(imports):
            local = next((k for k, v in self.locals.items() if v == path), None)
            alias = local if local and local != guess_package_name(path) else None
            specs.append(f'{alias + " " if alias else ""}"{path}"')
        expr = _file_expr(self.real)
        tag: BuildExpr = ("tag", self.tag)
        constraint = format_build_expr(tag if expr is None else ("and", expr, tag))
        heavy = sorted(p for p in self.heavy if p in self._heavy_imports())
        text = _environment().get_template("guard_stub.go.j2").render(
            constraint=constraint, real_file=os.path.basename(self.real.path), tag=self.tag,
            feature=self.feature, heavy=", ".join(heavy), package=self.real.package, imports=specs,
            err_var=self.err_var if self.uses_err else "", message=self.message,
            blocks=[b.text for b in blocks],
        )
        return text.encode()

    def _heavy_imports(self) -> set[str]:
        return {i.path for i in self.real.imports}


def _doc(src: bytes, d: Decl) -> str:
    """The doc comment of an ungrouped declaration (the lines above its keyword)."""
    if d.group_start is not None:
        return ""
    head = src[d.start:d.spec_start]
    return head[:head.rfind(b"\n") + 1].decode("utf-8", "replace")


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=False, trim_blocks=True,
        lstrip_blocks=True, keep_trailing_newline=True, undefined=jinja2.StrictUndefined,
    )


def _repair_stub(stub: GoFile, gen: _Stubber, blocks: Sequence[_Block], tag: str, notes: list[str]) -> bytes:
    """The existing stub with the tag OR-ed in; drifted signatures fixed, missing declarations added."""
    src = _or_constraint(stub, tag)
    fixed = parse_file(stub.path, src)
    have = {d.key: d for d in fixed.decls}
    edits: list[tuple[int, int, str]] = []
    missing: list[_Block] = []
    for b in blocks:
        d = have.get(b.key)
        if d is None:
            missing.append(b)
            continue
        if b.kind not in ("func", "method"):
            continue
        full = signature(src, _node_at(src, d.spec_start, d.spec_end))
        sig = full.key()
        if sig == b.signature:
            continue
        if sig[:2] != b.signature[:2] or sig[3] != b.signature[3]:
            raise _Refuse(f"{stub.path}: {d.key} has drifted from {gen.real.path} ({_sig_text(sig)} vs "
                          f"{_sig_text(b.signature)}) beyond its parameters; update the stub first")
        edits.append((*full.params_range, b.params))
        notes.append(f"{stub.path}: {d.key} had drifted from {gen.real.path}; its parameters become {b.params}.")
    for s, e, new in sorted(edits, reverse=True):
        src = src[:s] + new.encode() + src[e:]
    if missing:
        if any(b.kind in ("func", "method") for b in missing) or gen.imports:
            needs = sorted(gen.imports | ({"errors"} if gen.uses_err else set()))
            present = {i.path for i in fixed.imports}
            lacking = [p for p in needs if p not in present]
            if lacking:
                raise _Refuse(f"{stub.path} lacks {', '.join(b.key for b in missing)} and would need imports "
                              f"{', '.join(lacking)}; add them to the stub first")
        names = ", ".join(b.key for b in missing)
        notes.append(f"{stub.path} lacked {names}; added.")
        extra = "".join("\n" + b.text.replace(gen.err_var, gen.err_var) + "\n" for b in missing)
        if gen.uses_err and gen.err_var not in src.decode("utf-8", "replace"):
            extra = f"\nvar {gen.err_var} = errors.New({gen.message!r})\n".replace("'", '"') + extra
        src = src.rstrip(b"\n") + b"\n" + extra.encode()
    return src


def _sig_text(sig: Sequence[str]) -> str:
    return "; ".join(s for s in sig if not s.endswith(":"))


STRATEGY = Strategy(name=NAME, summary="Guard an optional feature's files with a build tag and stub the rest",
                    propose=propose, needs=Needs.GRAPHS | Needs.SOURCES | Needs.SIZES)
