"""`gotrim merge PART.json...`: join the parts of a sharded run into what one unsharded run gives.

Parts are first checked against each other (same gotrim, Go, commit, working-tree state and
configuration; shards 1..n each exactly once); any mismatch is refused with its reason. Then they
are combined into one document holding every target's facts (`combine`, also what
`merge --combined FILE` writes for the measuring shards), and the command's own code runs on the
Project rebuilt from it:

- suggest: the strategies' propose, the merge of one change found for several targets, the ranking
  and filtering (refactor.suggest), with the measurements of `suggest --measure --shard` parts;
- size: the size tables in target order;
- check: refactor.check.run_check against gotrim.lock and the budgets of this checkout;
- diff: both sides' facts (refactor.facts, over scratch worktrees of the two commits) and their pairing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from refactor.config import Settings, Target, default_cache_dir
from refactor.errors import UsageError
from refactor.shard import (
    SCHEMA,
    FactsWriter,
    Shard,
    absolute,
    chosen,
    decode,
    digest,
    modules_from,
    project_from,
    read_facts,
    read_reach,
    read_typed,
    target_from,
    tree_state,
)
from refactor.toolchain import Go, parse_version

if TYPE_CHECKING:
    from refactor.candidate import Candidate
    from refactor.check import CheckResult
    from refactor.diff import DiffResult
    from refactor.estimate import ReachModel
    from refactor.facts import BinaryFacts
    from refactor.measure import Measurement
    from refactor.project import Project
    from refactor.suggest import Suggestions


class MergeError(UsageError):
    """Parts that cannot be merged; the message says which and why."""


@dataclass(frozen=True)
class Part:
    """One part read from a file."""

    path: Path
    doc: Mapping[str, Any]

    @property
    def command(self) -> str:
        return str(self.doc["command"])

    @property
    def shard(self) -> Shard:
        s = self.doc["shard"]
        return Shard(int(s["index"]), int(s["count"]))

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def combined(self) -> bool:
        """A part `merge --combined` wrote (every shard's facts in one)."""
        return "merged_from" in self.doc


def read_parts(paths: Sequence[Path]) -> list[Part]:
    """The parts in these files; a MergeError names a file that is not one."""
    if not paths:
        raise MergeError("give the parts to merge: gotrim merge PART.json...")
    parts = []
    for path in paths:
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise MergeError(f"cannot read {path}: {exc.strerror or exc}") from exc
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise MergeError(f"{path} is not JSON ({exc}): give the files `--shard i/n` wrote") from exc
        if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
            found = doc.get("schema") if isinstance(doc, dict) else None
            raise MergeError(f"{path} is not a gotrim shard part (schema {found!r}, want {SCHEMA!r}): "
                             "give the files `--shard i/n` wrote")
        parts.append(Part(path, doc))
    return parts


def _same(parts: Sequence[Part], key: str, what: str, fix: str, show: Any = None) -> None:
    first = parts[0]
    for p in parts[1:]:
        if p.doc.get(key) != first.doc.get(key):
            a, b = (show or (lambda d: d.get(key)))(first.doc), (show or (lambda d: d.get(key)))(p.doc)
            raise MergeError(f"{first.name} and {p.name} are of different {what} ({a} vs {b}): {fix}")


def _gotrim(doc: Mapping[str, Any]) -> str:
    g = doc.get("gotrim") or {}
    return f"gotrim {g.get('version')}, code {str(g.get('code'))[:12]}"


def _commit(doc: Mapping[str, Any]) -> str:
    head = doc.get("head")
    return f"{str(head)[:12]}, {doc.get('tree') or 'no'} tree" if head else "no git commit"


def check_parts(parts: Sequence[Part]) -> list[Part]:
    """The parts of one sharded run, in shard order; a MergeError (one line, with the reason) for
    parts of different runs, a missing, duplicated or out-of-range shard."""
    if not parts:
        raise MergeError("no parts to merge")
    first = parts[0]
    for p in parts[1:]:
        if p.command != first.command:
            raise MergeError(f"{first.name} is a {first.command} part and {p.name} a {p.command} part: "
                             "merge the parts of one command")
    _same(parts, "gotrim", "gotrim versions", "run every shard with the same gotrim", _gotrim)
    _same(parts, "go", "Go toolchains", "run every shard with the same Go release")
    for key in ("head", "tree"):
        _same(parts, key, "commits" if key == "head" else "working-tree states",
              "run every shard on the same commit with a clean checkout", _commit)
    for p in parts[1:]:
        if p.doc.get("config") != first.doc.get("config"):
            raise MergeError(f"{first.name} and {p.name} are of different configurations "
                             f"({_config_difference(first.doc, p.doc)}): give every shard the same gotrim.toml "
                             "and options, only --shard differs")
    counts = {p.shard.count for p in parts}
    for p in parts:
        s = p.shard
        if s.count < 1 or not 1 <= s.index <= s.count:
            raise MergeError(f"{p.name} says it is shard {s.index}/{s.count}: out of range")
    if len(counts) > 1:
        a, b = parts[0], next(p for p in parts if p.shard.count != parts[0].shard.count)
        raise MergeError(f"{a.name} is shard {a.shard.text} and {b.name} shard {b.shard.text}: "
                         "merge the parts of one --shard I/N run")
    n = counts.pop()
    seen: dict[int, Part] = {}
    for p in parts:
        if p.shard.index in seen:
            raise MergeError(f"shard {p.shard.text} is given twice ({seen[p.shard.index].name} and {p.name}): "
                             "give each part once")
        seen[p.shard.index] = p
    missing = [i for i in range(1, n + 1) if i not in seen]
    if missing:
        raise MergeError(f"shard{'s' if len(missing) > 1 else ''} {', '.join(map(str, missing))} of {n} "
                         f"missing: give all {n} parts (a failed shard must be run again)")
    ordered = [seen[i] for i in range(1, n + 1)]
    if "loaded" in first.doc:
        targets = [target_from(t) for t in first.doc["configuration"]["targets"]]
        for p in ordered:
            if list(p.doc.get("loaded", ())) != list(chosen(targets, p.shard)) and not p.combined:
                raise MergeError(f"{p.name} loaded other targets than shard {p.shard.text} has: it was not "
                                 "written by this gotrim's partition")
    return ordered


def _config_difference(a: Mapping[str, Any], b: Mapping[str, Any]) -> str:
    ca, cb = a.get("configuration") or {}, b.get("configuration") or {}
    if ca.get("targets") != cb.get("targets"):
        na, nb = len(ca.get("targets") or ()), len(cb.get("targets") or ())
        return f"other targets: {na} vs {nb}" if na != nb else "other targets"
    for key in ("options", "env", "files"):
        if ca.get(key) != cb.get(key):
            va, vb = ca.get(key) or {}, cb.get(key) or {}
            keys = sorted(k for k in set(va) | set(vb) if va.get(k) != vb.get(k))
            what = {"options": "options", "env": "go environment", "files": "files"}[key]
            return f"{what} {', '.join(keys)} differ"
    return "other settings"


# ---------------------------------------------------------------------------------------------
# Combining: every shard's facts in one document


def _remap(entry: Mapping[str, Any], table: Sequence[Mapping[str, Any]], writer: FactsWriter) -> dict[str, Any]:
    out = dict(entry)
    if entry.get("graph") is not None:
        out["graph"] = [writer.add(table[k]) for k in entry["graph"]]
    return out


def combine(parts: Sequence[Part]) -> dict[str, Any]:
    """One part holding the facts of all (checked) parts, as if one shard 1/1 had loaded every target."""
    ordered = check_parts(parts)
    if len(ordered) == 1 and (ordered[0].combined or ordered[0].shard.count == 1):
        return dict(ordered[0].doc)
    first = ordered[0].doc
    writer = FactsWriter({})
    doc: dict[str, Any] = {k: v for k, v in first.items() if k not in ("facts", "loaded", "shard")}
    doc["shard"] = {"index": 1, "count": 1}
    doc["merged_from"] = len(ordered)
    if first["command"] == "diff":
        sides: dict[str, Any] = {}
        for p in ordered:
            facts = p.doc["facts"]
            for name, side in facts["sides"].items():
                into = sides.setdefault(name, {k: v for k, v in side.items() if k != "loaded"} | {"loaded": {}})
                if into.get("module") is None and side.get("module") is not None:
                    into["module"], into["modules"] = side["module"], side["modules"]
                for k, entry in side["loaded"].items():
                    into["loaded"][k] = _remap(entry, facts["packages"], writer)
        for side in sides.values():
            side["loaded"] = dict(sorted(side["loaded"].items(), key=lambda kv: int(kv[0])))
        doc["loaded"] = list(range(len(first["configuration"]["targets"])))
        doc["facts"] = {"places": first["facts"]["places"], "packages": writer.packages, "sides": sides,
                        "notes": first["facts"]["notes"]}
        return doc
    loaded: dict[int, Any] = {}
    for p in ordered:
        facts = p.doc["facts"]
        for k, entry in facts["targets"].items():
            loaded[int(k)] = _remap(entry, facts["packages"], writer)
    doc["loaded"] = sorted(loaded)
    doc["facts"] = {"places": first["facts"]["places"], "modules": first["facts"]["modules"],
                    "packages": writer.packages, "targets": {str(k): loaded[k] for k in sorted(loaded)}}
    loops = {int(k): v for p in ordered for k, v in p.doc.get("loops", {}).items()}
    if loops or "loops" in first:
        doc["loops"] = {str(k): loops[k] for k in sorted(loops)}
    return doc


def facts_digest(doc: Mapping[str, Any]) -> str:
    """What identifies a combined suggest part (the measuring shards name it)."""
    return digest({k: v for k, v in doc.items() if k != "candidates"})


# ---------------------------------------------------------------------------------------------
# Rebuilding a Project


def module_root(repo: Path) -> Path:
    """The module directory REPO is in (the nearest directory with a go.mod), as go would find it."""
    start = repo.resolve()
    for d in (start, *start.parents):
        if (d / "go.mod").is_file():
            return d
    raise MergeError(f"{repo} is not inside a Go module: run merge in a checkout of the commit the parts are of "
                     "(or pass --repo)")


def _require_checkout(doc: Mapping[str, Any], root: Path, what: str) -> None:
    head, tree = tree_state(root)
    if (head, tree) != (doc.get("head"), doc.get("tree")):
        raise MergeError(f"the parts are of {_commit(doc)}, the checkout at {root} is at "
                         f"{_commit({'head': head, 'tree': tree})}: {what} reads the sources, run merge in a "
                         "checkout of that commit")


def _go(doc: Mapping[str, Any], go: Go | None) -> Go:
    version = parse_version(str(doc["go"]))
    if version is None:
        raise MergeError(f"the parts name no Go release ({doc['go']!r})")
    return Go(path=go.path if go is not None else "go", version=version)


def _places(doc: Mapping[str, Any], root: Path, go: Go | None) -> dict[str, str]:
    """$MODULE here; $GOROOT and $GOMODCACHE of this machine's go, else as the first shard had them."""
    places = {"$MODULE": str(root)}
    recorded = doc["facts"].get("places") or {}
    env = {}
    if go is not None:
        env = go.env_values(root, "GOROOT", "GOMODCACHE")
    for name in ("$GOROOT", "$GOMODCACHE"):
        value = env.get(name[1:]) or recorded.get(name, "")
        if value:
            places[name] = value
    return places


def project_of(doc: Mapping[str, Any], root: Path, go: Go | None, settings: Settings) -> Project:
    """The Project an unsharded load of the combined part's targets gives, over the sources at root."""
    targets = [target_from(t) for t in doc["configuration"]["targets"]]
    places = _places(doc, root, go)
    read = read_facts(doc["facts"], places)
    graphs, sizes, dce, typed = {}, {}, {}, {}
    reach: dict[Target, ReachModel | None] = {}
    dirs: dict[Target, Path] = {}
    for k, t in enumerate(targets):
        entry = doc["facts"]["targets"][str(k)]
        graph, size, report = read(t, entry)
        if graph is not None:
            graphs[t] = graph
        if size is not None:
            sizes[t] = size
        if report is not None:
            dce[t] = report
        known, view = read_typed(entry, places)
        if known:
            typed[t] = view
        known, model = read_reach(entry)
        if known:
            reach[t] = model
        if entry.get("module") is not None:
            dirs[t] = Path(absolute(str(entry["module"]), places))
    g = _go(doc, go)
    modules = modules_from(doc["facts"]["modules"], places, g)
    return project_from(g, settings, modules, targets, graphs, sizes, dce, typed, dirs, root, reach)


# ---------------------------------------------------------------------------------------------
# suggest


def _suggest_parts(parts: Sequence[Part]) -> tuple[list[Part], list[Part]]:
    facts = [p for p in parts if p.command == "suggest"]
    measured = [p for p in parts if p.command == "measure"]
    other = [p for p in parts if p.command not in ("suggest", "measure")]
    if other and (facts or measured):
        raise MergeError(f"{other[0].name} is a {other[0].command} part and "
                         f"{(facts or measured)[0].name} a suggest part: merge the parts of one command")
    if measured and not facts:
        raise MergeError("measured parts need the facts they measured: give the file --candidates named "
                         "(gotrim merge --combined) with them")
    return facts, measured


def suggest_state(parts: Sequence[Part], repo: Path, *, go: Go | None = None, settings: Settings | None = None
                  ) -> tuple[Project, Suggestions, list[Candidate]]:
    """The project rebuilt from suggest parts, what the strategies propose on it, and what is shown."""
    from refactor.suggest import filtered, propose_all, strategies_named

    doc = combine(parts)
    root = module_root(repo)
    _require_checkout(doc, root, "suggest")
    options = doc["configuration"]["options"]
    settings = settings or Settings(root=root, cache_dir=default_cache_dir(),
                                    new_package_names=dict(options["new_package_names"]),
                                    guard_tags=dict(options["guard_tags"]))
    project = project_of(doc, root, go, settings)
    strategies = strategies_named(options["strategies"])
    found = propose_all(project, strategies)
    if "loops" in doc:  # the DCE loops the shards ran: their combined candidates, as suggest adds them
        from refactor.dceloop import LoopResult, with_loops
        from refactor.suggest import with_loop_candidates

        recorded = {project.targets[int(k)]: decode(LoopResult, v) for k, v in doc["loops"].items()}
        extra, _ = with_loops(project, found.candidates, recorded=recorded)
        found = with_loop_candidates(found, extra)
    return project, found, filtered(found, int(options["min_bytes"]), options["top"])


@dataclass(frozen=True)
class SuggestMerge:
    """What an unsharded `suggest` would print, as inputs to its renderers."""

    project: Project
    found: Suggestions
    shown: list[Candidate]
    measurements: dict[str, Measurement]
    options: Mapping[str, Any]
    combined: dict[str, Any]


def merge_suggest(parts: Sequence[Part], repo: Path, go: Go | None) -> SuggestMerge:
    """suggest parts (or one combined part and the measured parts of it) -> the unsharded result."""
    from refactor.measure import Measurement

    facts, measured = _suggest_parts(parts)
    combined = combine(facts)
    project, found, shown = suggest_state([Part(facts[0].path, combined)], repo, go=go)
    measurements: dict[str, Measurement] = {}
    if measured:
        ordered = check_parts(measured)
        want = facts_digest(combined)
        for p in ordered:
            if p.doc["configuration"].get("facts") != want:
                raise MergeError(f"{p.name} measured other facts than {facts[0].name} holds: give the file its "
                                 "shards had as --candidates")
        ids = [c.id for c in shown]
        if list(ordered[0].doc["candidates"]) != ids:
            raise MergeError(f"{ordered[0].name} measured other candidates than those proposed here "
                             "(the sources or gotrim differ)")
        for p in ordered:
            for cid, m in p.doc["measurements"].items():
                if cid in measurements:
                    raise MergeError(f"candidate {cid} is measured twice (in {p.name} too)")
                measurements[cid] = decode(Measurement, m)
        missing = [cid for cid in ids if cid not in measurements]
        if missing:
            raise MergeError(f"candidate(s) {', '.join(missing)} not measured by any part")
        measurements = {cid: measurements[cid] for cid in ids}
    combined = dict(combined) | {"candidates": [c.id for c in shown]}
    return SuggestMerge(project, found, shown, measurements, combined["configuration"]["options"], combined)


# ---------------------------------------------------------------------------------------------
# size, check, diff


@dataclass(frozen=True)
class SizeMerge:
    targets: tuple[Target, ...]
    sizes: Mapping[Target, Any]
    options: Mapping[str, Any]
    versions: Mapping[Target, str]  # the go version that built each target


def merge_size(parts: Sequence[Part]) -> SizeMerge:
    """size parts -> every target's size table, in the unsharded order. Needs neither go nor a checkout."""
    doc = combine(parts)
    targets = tuple(target_from(t) for t in doc["configuration"]["targets"])
    read = read_facts(doc["facts"], {})
    sizes = {}
    versions = {}
    for k, t in enumerate(targets):
        entry = doc["facts"]["targets"][str(k)]
        _, size, _ = read(t, entry)
        if size is None:
            raise MergeError(f"the parts hold no size table for {t.label}")
        sizes[t] = size
        versions[t] = str(entry.get("go") or doc["go"])
    return SizeMerge(targets, sizes, doc["configuration"]["options"], versions)


def merge_check(parts: Sequence[Part], repo: Path, go: Go) -> tuple[CheckResult, Mapping[str, Any]]:
    """check parts -> run_check on the rebuilt project, against gotrim.lock and the budgets here
    (with --update given to the shards, merge writes gotrim.lock, as an unsharded check would)."""
    from refactor.budget import load_budgets
    from refactor.check import run_check
    from refactor.lockfile import lock_path, read_lock

    doc = combine(parts)
    root = module_root(repo)
    _require_checkout(doc, root, "check")
    options = doc["configuration"]["options"]
    budgets = load_budgets(root)
    lock = None if options["update"] else read_lock(lock_path(root))
    project = project_of(doc, root, go, Settings(root=root, cache_dir=default_cache_dir()))
    result = run_check(project, root, lock, budgets, update=bool(options["update"]),
                       keep_others=bool(options["keep_others"]))
    return result, options


def merge_diff(parts: Sequence[Part], repo: Path, go: Go) -> tuple[DiffResult, Mapping[str, Any]]:
    """diff parts -> both sides rebuilt over scratch worktrees of the two commits (no build), their
    facts and their pairing, as diff_commits computes them."""
    from refactor.diff import DiffResult, Side, _load_side_facts, open_sides, pair

    doc = combine(parts)
    config = doc["configuration"]
    head, tree = tree_state(repo.resolve())
    if config.get("head_commit") is None and (head, tree) != (doc.get("head"), doc.get("tree")):
        raise MergeError(f"the parts compare the working tree of {_commit(doc)}, this checkout is at "
                         f"{_commit({'head': head, 'tree': tree})}: run merge in the same working tree")
    sides = doc["facts"]["sides"]
    with open_sides(repo, config["base"], config.get("head_commit"), None) as s:
        out: dict[str, tuple[list[BinaryFacts], str]] = {}
        for name, where in (("head", s.head_dir), ("base", s.base_dir)):
            side = sides[name]
            if side["module"] is None:
                out[name] = ([], "")
                continue
            targets = [target_from(t) for t in side["targets"]]
            places = _places({"facts": doc["facts"]}, where, go)
            read = read_facts(doc["facts"], places)
            graphs, sizes, dce = {}, {}, {}
            for k, t in enumerate(targets):
                graph, sizes[t], dce[t] = read(t, side["loaded"][str(k)])
                if graph is None:
                    raise MergeError(f"the parts hold no build graph of {t.label}")
                graphs[t] = graph
            g = _go(doc, go)
            dirs = {t: Path(absolute(str(side["loaded"][str(k)]["module"]), places)) for k, t in enumerate(targets)
                    if side["loaded"][str(k)].get("module") is not None}
            project = project_from(g, Settings(root=where, cache_dir=default_cache_dir()),
                                   modules_from(side["modules"], places, g), targets, graphs, sizes, dce,
                                   target_dirs=dirs, top=where)
            out[name] = (_load_side_facts(project, decode(Side, side["side"])), project.module.path)
        after, module = out["head"]
        before, base_module = out["base"]
        ignore_std = {f.go_version for f in before} != {f.go_version for f in after}
        changes = pair(before, after, ignore_std=ignore_std)
    result = DiffResult(module=module or base_module, base=decode(Side, sides["base"]["side"]),
                        head=decode(Side, sides["head"]["side"]), changes=changes,
                        notes=tuple(doc["facts"]["notes"]))
    return result, config["options"]
