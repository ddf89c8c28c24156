"""Shards: one run of suggest, size, check or diff split over CI jobs (`--shard i/n`).

What is sharded is what costs: the builds (one link per target, its attribution and its -dumpdep
report) and, with `suggest --measure`, the verification of each candidate. What is not sharded is
what every shard needs and what is cheap: resolving the targets (every shard resolves all of them,
so each knows the whole matrix and its own part of it) and, at `gotrim merge`, the pure work that
reads all targets at once: the strategies' propose, the merge of the same change found for several
targets, the ranking, check's budgets and diff's pairing (refactor.merge).

A part is self-describing JSON (schema `gotrim.shard/v1`, docs/sharding.md): who wrote it (gotrim
version and code digest, Go version), of what (HEAD, the working tree's state, a digest of the
configuration: every target in order, the options, gotrim.toml, the go environment that changes a
build), which shard it is (i/n, the targets it loaded) and the facts it loaded: per target the build
graph (packages, deduplicated across targets), the size table and the DCE report, with directories
written relative to $MODULE, $GOROOT and $GOMODCACHE. `gotrim merge` rebuilds the Project an
unsharded run would have loaded and runs the same code on it, so the result is the same.

The partition (`partition`) is deterministic and balanced by count: targets sorted by configuration
(GOOS, GOARCH, cgo, tags), then main package and ldflags, cut into n contiguous runs. Keeping a
configuration's targets together means a runner with a cold build cache compiles each
configuration's packages once, not once per shard.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import re
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from refactor import __version__, code_digest
from refactor.config import Settings, Target, TargetSpec
from refactor.errors import UsageError
from refactor.graph import BuildGraph, Package
from refactor.project import Needs, Project
from refactor.repository import Module, Repository

if TYPE_CHECKING:
    from refactor.candidate import Strategy
    from refactor.estimate import ReachModel
    from refactor.load import LoadProgress
    from refactor.toolchain import Go
    from refactor.typed import TypedView

SCHEMA = "gotrim.shard/v1"
COMMANDS = ("suggest", "measure", "size", "check", "diff")
PLACES = ("$MODULE", "$GOROOT", "$GOMODCACHE")
# The go environment that changes what a build produces (recorded, and part of the configuration).
BUILD_ENV = ("GOFLAGS", "GOEXPERIMENT", "GOAMD64", "GOARM64", "GOARM", "GO386")
CONFIG_FILES = ("gotrim.toml",)


@dataclass(frozen=True)
class Shard:
    """Shard `index` (1-based) of `count`."""

    index: int
    count: int

    @property
    def text(self) -> str:
        return f"{self.index}/{self.count}"

    @classmethod
    def parse(cls, text: str) -> Shard:
        """`3/8` -> Shard(3, 8); a UsageError for anything else or an index out of range."""
        m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
        if not m:
            raise UsageError(f"--shard {text!r} is not I/N (for example --shard 3/8)")
        index, count = int(m.group(1)), int(m.group(2))
        if count < 1 or not 1 <= index <= count:
            raise UsageError(f"--shard {text}: I must be between 1 and N (N >= 1)")
        return cls(index, count)


# ---------------------------------------------------------------------------------------------
# The partition


def sort_key(t: Target) -> tuple[str, str, bool, tuple[str, ...], str, str]:
    """Configuration first (what go list and the compiler depend on), then the binary."""
    return (t.goos, t.goarch, t.cgo, t.tags, t.main, t.ldflags)


def partition(items: Sequence[Target], count: int) -> list[tuple[int, ...]]:
    """For each of `count` shards, the indexes (into items) of its targets: items sorted by sort_key,
    cut into `count` contiguous runs whose lengths differ by at most one. Every index is in exactly
    one shard; a shard gets none when there are fewer targets than shards."""
    order = sorted(range(len(items)), key=lambda k: (sort_key(items[k]), k))
    n = len(order)
    return [tuple(sorted(order[j * n // count:(j + 1) * n // count])) for j in range(count)]


def chosen(items: Sequence[Target], shard: Shard) -> tuple[int, ...]:
    """The indexes of the targets that shard loads."""
    return partition(items, shard.count)[shard.index - 1]


def chosen_candidates(ids: Sequence[str], shard: Shard) -> tuple[str, ...]:
    """The candidates (by rank) a measuring shard verifies: every count-th, from the index-th, so that
    each shard gets both big and small ones."""
    return tuple(cid for k, cid in enumerate(ids) if k % shard.count == shard.index - 1)


# ---------------------------------------------------------------------------------------------
# A typed JSON codec for the frozen dataclasses facts are made of (Package, Target, Module,
# Measurement...): fields by name, tuples as lists; decode follows the type hints, so a field added
# to one of them is carried without a change here.


def encode(value: Any) -> Any:
    """JSON-ready data for a dataclass, tuple, list, mapping, Path or scalar."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init}
    if isinstance(value, tuple | list):
        return [encode(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, bytes):  # a plan's file contents (the DCE loop's): base64, decoded by the type hint
        return base64.b64encode(value).decode("ascii")
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(f"cannot encode {type(value).__name__} in a shard part")


def decode(tp: Any, data: Any) -> Any:
    """The value of type tp that encode() wrote as data."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is Any:
        return data
    if origin in (typing.Union, types.UnionType):
        if data is None and type(None) in args:
            return None
        for arg in args:
            if arg is type(None):
                continue
            try:
                return decode(arg, data)
            except (TypeError, ValueError, KeyError):
                continue
        raise ValueError(f"{data!r} fits none of {tp}")
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(decode(args[0], v) for v in data)
        return tuple(decode(a, v) for a, v in zip(args, data, strict=True))
    if origin in (list, Sequence):
        return [decode(args[0], v) for v in data]
    if origin in (dict, Mapping) or tp is dict:
        kt, vt = args if args else (Any, Any)
        return {decode(kt, k): decode(vt, v) for k, v in data.items()}
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        if not isinstance(data, Mapping):
            raise TypeError(f"{tp.__name__} wants an object, not {data!r}")
        hints = typing.get_type_hints(tp)
        kwargs = {f.name: decode(hints[f.name], data[f.name]) for f in dataclasses.fields(tp)
                  if f.init and f.name in data}
        return tp(**kwargs)
    if tp is Path:
        return Path(data)
    if tp is bytes and isinstance(data, str):
        return base64.b64decode(data.encode("ascii"), validate=True)
    if tp is float and isinstance(data, int | float) and not isinstance(data, bool):
        return float(data)
    if tp in (str, int, bool) and type(data) is tp:
        return data
    raise TypeError(f"{data!r} is not a {tp}")


def canonical(data: Any) -> str:
    """One text for equal JSON data (what digests are taken of)."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest(data: Any) -> str:
    return hashlib.sha256(canonical(data).encode()).hexdigest()


def target_json(t: Target) -> dict[str, Any]:
    out: dict[str, Any] = encode(t)
    return out


def target_from(data: Mapping[str, Any]) -> Target:
    out: Target = decode(Target, data)
    return out


# ---------------------------------------------------------------------------------------------
# Facts of loaded targets: build graphs, size tables, DCE reports


def relative(path: str, places: Mapping[str, str]) -> str:
    """path written relative to the longest of the named places that contains it."""
    best = ""
    for name, base in places.items():
        base = base.rstrip("/")
        if base and (path == base or path.startswith(base + "/")) and len(base) > len(places.get(best, "")):
            best = name
    return best + path[len(places[best].rstrip("/")):] if best else path


def absolute(path: str, places: Mapping[str, str]) -> str:
    """A recorded path back under the places given (a place not given stays symbolic)."""
    for name, base in places.items():
        if path == name or path.startswith(name + "/"):
            return base.rstrip("/") + path[len(name):]
    return path


class FactsWriter:
    """The facts of the targets one or more projects loaded, with packages kept once."""

    def __init__(self, places: Mapping[str, str]) -> None:
        self.places = dict(places)
        self.packages: list[dict[str, Any]] = []
        self._index: dict[str, int] = {}

    def package(self, pkg: Package) -> int:
        data = encode(pkg)
        for key in ("dir", "module_dir"):
            if isinstance(data.get(key), str):
                data[key] = relative(data[key], self.places)
        return self.add(data)

    def add(self, data: Mapping[str, Any]) -> int:
        """The index of an encoded package in the table (added once)."""
        text = canonical(data)
        k = self._index.get(text)
        if k is None:
            k = self._index[text] = len(self.packages)
            self.packages.append(dict(data))
        return k

    def target(self, project: Project, t: Target, *, graph: bool = True) -> dict[str, Any]:
        """One loaded target: its graph (package indexes in the graph's order), size table, DCE report."""
        out: dict[str, Any] = {}
        if graph and t in project.graphs:
            out["graph"] = [self.package(p) for p in project.graphs[t].packages.values()]
        out["go"] = project.go_of(t).version_text  # each module context may select its own toolchain
        out["module"] = relative(str(project.module_of(t).dir), self.places)
        out["size"] = project.sizes[t].to_json() if t in project.sizes else None
        out["dce"] = project.dce[t].to_json() if t in project.dce else None
        if Needs.REACH in project.needs:  # the reachability model estimates read (None: the replay failed)
            model = project.reach.get(t)
            out["reach"] = model.to_json() if model is not None else None
        if Needs.TYPED in project.needs:  # the type-checked view (None: could not be listed with export data)
            from refactor.typed import recorded

            raw = recorded(project.typed.get(t))
            if raw is not None and raw.get("goroot"):
                raw["goroot"] = relative(str(raw["goroot"]), self.places)
            out["typed"] = raw
        return out

    def modules(self, project: Project) -> list[dict[str, Any]]:
        """The project's modules, their directories relative to the places; their toolchain is not kept
        (a path on this machine): the merge gives each module its own go."""
        out = []
        for m in project.modules:
            data = encode(dataclasses.replace(m, go=None))
            data.pop("go", None)
            data["dir"] = relative(str(m.dir), self.places)
            if m.workspace is not None:
                data["workspace"] = relative(str(m.workspace), self.places)
            out.append(data)
        return out


def places_of(go: Go, root: Path) -> dict[str, str]:
    """Where $MODULE, $GOROOT and $GOMODCACHE are on this machine."""
    env = go.env_values(root, "GOROOT", "GOMODCACHE")
    return {"$MODULE": str(root), "$GOROOT": env.get("GOROOT", ""), "$GOMODCACHE": env.get("GOMODCACHE", "")}


def read_facts(data: Mapping[str, Any], places: Mapping[str, str]
               ) -> Callable[[Target, Mapping[str, Any]], tuple[BuildGraph | None, Any, Any]]:
    """A reader of the targets a facts section holds: (graph, SizeTable, DceReport), each None when
    not recorded. Packages are decoded once and shared by the graphs that list them."""
    from refactor.binary import SizeTable
    from refactor.linker import DceReport

    cache: dict[int, Package] = {}
    table = data.get("packages", [])

    def package(k: int) -> Package:
        pkg = cache.get(k)
        if pkg is None:
            raw = dict(table[k])
            for key in ("dir", "module_dir"):
                if isinstance(raw.get(key), str):
                    raw[key] = absolute(raw[key], places)
            pkg = cache[k] = decode(Package, raw)
        return pkg

    def read(t: Target, entry: Mapping[str, Any]) -> tuple[BuildGraph | None, Any, Any]:
        graph = None
        if entry.get("graph") is not None:
            pkgs = {p.import_path: p for p in (package(k) for k in entry["graph"])}
            graph = BuildGraph(target=t, root=t.main, packages=pkgs)
        size = SizeTable.from_json(entry["size"]) if entry.get("size") is not None else None
        dce = DceReport.from_json(t, entry["dce"]) if entry.get("dce") is not None else None
        return graph, size, dce

    return read


def read_reach(entry: Mapping[str, Any]) -> tuple[bool, ReachModel | None]:
    """(recorded?, the target's reachability model) of a facts entry."""
    if "reach" not in entry:
        return False, None
    from refactor.estimate import ReachModel

    raw = entry["reach"]
    try:
        return True, ReachModel.from_json(raw) if raw is not None else None
    except (ValueError, KeyError, TypeError):  # a part of another gotrim: estimates from package sizes
        return True, None


def read_typed(entry: Mapping[str, Any], places: Mapping[str, str]) -> tuple[bool, TypedView | None]:
    """(recorded?, the target's type-checked view) of a facts entry."""
    if "typed" not in entry:
        return False, None
    from refactor.typed import from_recorded

    raw = entry["typed"]
    if raw is not None and raw.get("goroot"):
        raw = {**raw, "goroot": absolute(str(raw["goroot"]), places)}
    return True, from_recorded(raw)


def modules_from(data: Sequence[Mapping[str, Any]], places: Mapping[str, str], go: Go) -> tuple[Module, ...]:
    """The recorded modules, each built with go (the merge's toolchain: the parts' Go release)."""
    out = []
    for m in data:
        raw = {k: v for k, v in m.items() if k != "go"}
        raw["dir"] = absolute(str(raw["dir"]), places)
        if raw.get("workspace") is not None:
            raw["workspace"] = absolute(str(raw["workspace"]), places)
        out.append(dataclasses.replace(decode(Module, raw), go=go))
    return tuple(out)


def project_from(go: Go, settings: Settings, modules: tuple[Module, ...], targets: Sequence[Target],
                 graphs: Mapping[Target, BuildGraph], sizes: Mapping[Target, Any], dce: Mapping[Target, Any],
                 typed: Mapping[Target, TypedView | None] | None = None,
                 target_dirs: Mapping[Target, Path] | None = None, top: Path | None = None,
                 reach: Mapping[Target, ReachModel | None] | None = None) -> Project:
    """The frozen Project an unsharded load of these targets gives: the modules as recorded, each target
    in the module of its recorded directory (else the first), sources indexed from the top."""
    from refactor.load import source_index

    typed = typed or {}
    by_dir = {m.dir: m for m in modules}
    where = {t: by_dir.get((target_dirs or {}).get(t, modules[0].dir), modules[0]) for t in targets}
    repo = Repository(top=top or modules[0].dir, root=settings.root, modules=modules, launcher=go)
    needs = Needs.GRAPHS | Needs.SOURCES
    if targets and all(t in sizes for t in targets):
        needs |= Needs.SIZES
    if targets and all(t in dce for t in targets):
        needs |= Needs.DCE
    if targets and all(t in typed for t in targets):
        needs |= Needs.TYPED
    reach = reach or {}
    if targets and all(t in reach for t in targets):
        needs |= Needs.REACH
    graphs = {t: graphs[t] for t in targets}
    return Project(go=go, settings=settings, modules=modules, targets=tuple(targets),
                   graphs=types.MappingProxyType(graphs),
                   sources=source_index(repo, modules, graphs, go.version[1]),
                   sizes=types.MappingProxyType({t: sizes[t] for t in targets if t in sizes}),
                   dce=types.MappingProxyType({t: dce[t] for t in targets if t in dce}), needs=needs,
                   typed=types.MappingProxyType({t: typed[t] for t in targets if t in typed}),
                   reach=types.MappingProxyType({t: reach[t] for t in targets if t in reach}),
                   target_modules=types.MappingProxyType(where), repository=repo)


# ---------------------------------------------------------------------------------------------
# Writing a part


@dataclass(frozen=True)
class Run:
    """What every part says about the run it belongs to."""

    command: str
    shard: Shard
    root: Path
    options: Mapping[str, Any]


def tree_state(root: Path) -> tuple[str | None, str | None]:
    """(HEAD, the working tree's state: "clean" or a digest of the uncommitted files), or (None, None)
    outside git."""
    from refactor.gitstate import dirty_digest, repo_state

    state = repo_state(root)
    if state is None:
        return None, None
    return state.head, (dirty_digest(state) if state.dirty_files else "clean")


def _config_files(root: Path) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for name in CONFIG_FILES:
        path = root / name
        out[name] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
    return out


def header(go: Go, run: Run, targets: Sequence[Target], extra: Mapping[str, Any] | None = None,
           env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The self-describing head of a part: writer, commit, configuration and its digest, shard."""
    head, tree = tree_state(run.root)
    build_env = dict(env) if env is not None else go.env_values(run.root, *BUILD_ENV)
    configuration = {
        "command": run.command,
        "targets": [target_json(t) for t in targets],
        "options": dict(run.options),
        "env": {k: build_env.get(k, "") for k in BUILD_ENV},
        "files": _config_files(run.root),
        **(dict(extra) if extra else {}),
    }
    return {
        "schema": SCHEMA, "command": run.command,
        "gotrim": {"version": __version__, "code": code_digest()},
        "go": go.version_text, "head": head, "tree": tree,
        "config": digest(configuration), "configuration": configuration,
        "shard": {"index": run.shard.index, "count": run.shard.count},
    }


def write_part(doc: Mapping[str, Any], output: Path | None) -> str | None:
    """Write the part to output (atomically), or return its text for stdout."""
    text = json.dumps(doc, separators=(",", ":"), ensure_ascii=False) + "\n"
    if output is None:
        return text
    tmp = output.with_name(output.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(output)
    return None


class _Picker:
    """load()'s select hook: remembers every resolved target and keeps the shard's."""

    def __init__(self, shard: Shard) -> None:
        self.shard = shard
        self.all: tuple[Target, ...] = ()
        self.mine: tuple[int, ...] = ()

    def __call__(self, targets: tuple[Target, ...]) -> list[Target]:
        self.all = targets
        self.mine = chosen(targets, self.shard)
        return [targets[k] for k in self.mine]


def facts_part(go: Go, settings: Settings, specs: Sequence[TargetSpec], needs: Needs, run: Run,
               progress: LoadProgress | None = None, *, graphs: bool = True) -> dict[str, Any]:
    """Load the shard's targets (builds included) and write them as a part: suggest, size and check."""
    from refactor.load import load

    pick = _Picker(run.shard)
    # the shard proposes nothing: it does not parse sources; merge does, once, over every target
    project = load(go, settings, specs, needs & ~Needs.SOURCES, progress=progress, select=pick)
    run = dataclasses.replace(run, root=project.root)  # the module's directory, whatever REPO was
    writer = FactsWriter(places_of(go, project.root))
    doc = header(go, run, pick.all)
    doc["loaded"] = list(pick.mine)
    loaded = {str(k): writer.target(project, pick.all[k], graph=graphs) for k in pick.mine}
    doc["facts"] = {"places": writer.places, "modules": writer.modules(project), "packages": writer.packages,
                    "targets": loaded}
    if run.command == "suggest" and "dce-blockers" in run.options.get("strategies", ()):
        # the DCE loop builds (a scratch worktree per target with a first fix): here, beside the target's
        # own build, not in merge. Its sources are read as the loop needs them (the index is built).
        from refactor.dceloop import shard_loops

        loops = shard_loops(dataclasses.replace(project, needs=project.needs | Needs.SOURCES),
                            progress=progress.step if progress is not None else None)
        index = {t: k for k, t in enumerate(pick.all)}
        doc["loops"] = {str(index[t]): encode(result) for t, result in loops.items()}
    return doc


# ---------------------------------------------------------------------------------------------
# suggest --measure --shard i/n --candidates FACTS


def suggest_options(strategies: Sequence[Strategy], settings: Settings, min_bytes: int, top: int | None,
                    fmt: str, verbose: bool) -> dict[str, Any]:
    """What a suggest part records of its command line (all shards must agree on it)."""
    return {"strategies": [s.name for s in strategies], "new_package_names": dict(settings.new_package_names),
            "guard_tags": dict(settings.guard_tags), "min_bytes": min_bytes, "top": top, "format": fmt,
            "verbose": verbose}


def measure_part(go: Go, settings: Settings, specs: Sequence[TargetSpec], shard: Shard, facts: Mapping[str, Any],
                 options: Mapping[str, Any], run_tests: bool,
                 measure: Callable[[Project, Sequence[Any]], Mapping[str, Any]],
                 progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Verify and measure this shard's share of the candidates that FACTS (a merged suggest part,
    `gotrim merge --combined`) lists; nothing is built to know them."""
    from refactor import merge
    from refactor.repository import discover, resolve_targets

    parts = merge.check_parts([merge.Part(Path("--candidates"), facts)])
    base = parts[0]
    if base.command != "suggest":
        raise UsageError(f"--candidates wants the merged facts of `suggest --shard` parts "
                         f"(gotrim merge --combined FILE), not a {base.command} part")
    if "candidates" not in base.doc:
        raise UsageError("--candidates: this part lists no candidates; write it with "
                         "`gotrim merge --combined FILE PART.json...`")
    if dict(options) != base.doc["configuration"]["options"]:
        raise UsageError("--candidates was written with other suggest options (strategies, names, --min-bytes, "
                         "--top, --format, -v): give the measuring shards the same ones")
    targets = [t for t, _ in resolve_targets(discover(go, settings.root), specs)]
    if [target_json(t) for t in targets] != base.doc["configuration"]["targets"]:
        raise UsageError("--candidates is of other targets than this configuration resolves to "
                         "(gotrim.toml or the target options differ): measure with the same ones")
    if base.doc["gotrim"] != {"version": __version__, "code": code_digest()} or base.doc["go"] != go.version_text:
        raise UsageError(f"--candidates was written by {base.doc['gotrim']['version']} with {base.doc['go']}: "
                         "measure with the same gotrim and Go")
    project, found, shown = merge.suggest_state(parts, settings.root, go=go, settings=settings)
    ids = [c.id for c in shown]
    if ids != list(base.doc["candidates"]):
        raise UsageError("the candidates proposed here differ from those --candidates lists: the sources "
                         "or gotrim differ from the merge's")
    mine = chosen_candidates(ids, shard)
    if progress:
        progress(f"shard {shard.text}: measuring {len(mine)} of {len(ids)} candidate(s)")
    done = measure(project, [c for c in shown if c.id in mine])
    run = Run("measure", shard, project.root, {**options, "test": run_tests})
    doc = header(go, run, project.targets, extra={"facts": merge.facts_digest(base.doc)})
    doc["candidates"] = ids
    doc["measured"] = list(mine)
    doc["measurements"] = {cid: encode(done[cid]) for cid in mine}
    return doc


# ---------------------------------------------------------------------------------------------
# diff --shard: both sides' targets, partitioned together


def diff_part(go: Go, repo: Path, base_rev: str, head_rev: str | None, flag_spec: TargetSpec | None,
              cache_dir: Path | None, shard: Shard, options: Mapping[str, Any], *,
              progress: Callable[[str], None] | None = None, use_merge_base: bool = False,
              jobs: int | None = None) -> dict[str, Any]:
    """Build this shard's targets at BASE and at HEAD (scratch worktrees) and write them as a part.
    The partition is over the targets of both sides (a target is on one side, or on both), so that
    each target's two builds are in the same shard."""
    from refactor.diff import load_side, open_sides, side_targets

    with open_sides(repo, base_rev, head_rev, flag_spec, use_merge_base=use_merge_base) as s:
        head_targets = side_targets(go, s.head_dir, s.specs, s.head)
        base_targets = side_targets(go, s.base_dir, s.specs, s.base)
        union = tuple(dict.fromkeys([*head_targets, *base_targets]))
        mine = {union[k] for k in chosen(union, shard)}

        def keep(targets: tuple[Target, ...]) -> list[Target]:
            return [t for t in targets if t in mine]

        sides = {}
        writer: FactsWriter | None = None
        for name, side, where, resolved in (("head", s.head, s.head_dir, head_targets),
                                            ("base", s.base, s.base_dir, base_targets)):
            project = load_side(go, where, s.specs, cache_dir, side, progress, jobs=jobs, select=keep)
            places = places_of(go, where)
            writer = FactsWriter(places) if writer is None else writer
            writer.places["$MODULE"] = str(where)  # each side's worktree is its own $MODULE
            entry: dict[str, Any] = {"side": encode(side), "targets": [target_json(t) for t in resolved],
                                     "module": None, "modules": [], "loaded": {}}
            if project is not None:
                entry["module"] = project.module.path
                entry["modules"] = writer.modules(project)
                entry["loaded"] = {str(resolved.index(t)): writer.target(project, t) for t in project.targets}
            sides[name] = entry
        run = Run("diff", shard, repo.resolve(), options)
        extra = {"base": s.base.commit, "head_commit": s.head.commit, "sides": {
            n: [target_json(t) for t in ts] for n, ts in (("head", head_targets), ("base", base_targets))}}
        doc = header(go, run, union, extra=extra)
        doc["loaded"] = list(chosen(union, shard))
        assert writer is not None
        doc["facts"] = {"places": {k: v for k, v in writer.places.items() if k != "$MODULE"},
                        "packages": writer.packages, "sides": sides, "notes": list(s.notes)}
    return doc

