"""A loaded Project as JSON, and back: what a strategy reads, replayable without a Go toolchain.

record(project) keeps the targets, the `go list` JSON of each module context and configuration
(directories written relative to $MODULE, the repository's top, $GOROOT and $GOMODCACHE), the modules
of a repository of several, and each target's size table and DCE report. replay(data, root) builds the
same frozen Project over the repository's sources at root, without running go: the
strategies' golden tests run on it in milliseconds (tests/data/projects, refreshed by
`python3 -m tests.record`).
"""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from refactor.binary import SizeTable
from refactor.config import Settings, Target
from refactor.graph import config_of, graph_from, list_objects, packages_from
from refactor.linker import DceReport
from refactor.load import source_index
from refactor.project import Needs, Project
from refactor.repository import Module, Repository
from refactor.toolchain import Go, parse_version

if TYPE_CHECKING:
    from refactor.typed import TypedView

VERSION = 1
_PLACES = ("$MODULE", "$GOROOT", "$GOMODCACHE")


def record(project: Project) -> dict[str, Any]:
    """The project as JSON-ready data (runs go list once per configuration, and go env once)."""
    project.require(Needs.GRAPHS, "record")
    env = project.go.env_values(project.root, "GOROOT", "GOMODCACHE")
    places = {"$MODULE": str(project.root), "$GOROOT": env.get("GOROOT", ""), "$GOMODCACHE": env.get("GOMODCACHE", "")}
    configs: dict[tuple[Path, Target], list[str]] = {}
    for t in project.targets:
        configs.setdefault((project.module_of(t).dir, config_of(t)), []).append(t.main)
    lists = []
    for (module_dir, config), mains in configs.items():
        go = next(project.go_of(t) for t in project.targets if project.module_of(t).dir == module_dir)
        objects = list_objects(go, module_dir, config, sorted(set(mains)))
        lists.append({"config": _target_json(config), "patterns": sorted(set(mains)),
                      "module": _rel(module_dir, project.root),
                      "objects": [_relative(o, places) for o in objects]})
    typed: dict[Target, Any] = {}
    if Needs.TYPED in project.needs:
        from refactor import typed as tv

        for t in project.targets:
            raw = tv.recorded(project.typed.get(t))  # None: the loader could not list it with export data
            if raw is not None:
                raw["goroot"] = ""  # the fork reads GOROOT: a replayed project has none
            typed[t] = raw
    m = project.module
    data = {
        "version": VERSION, "go": project.go.version_text,
        "module": {"path": m.path, "host": list(m.host), "host_cgo": m.host_cgo},
        "targets": [{**_target_json(t), **({"module": _rel(project.module_of(t).dir, project.root)}
                                          if len(project.modules) > 1 else {}),
                     "size": project.sizes[t].to_json() if t in project.sizes else None,
                     "dce": project.dce[t].to_json() if t in project.dce else None,
                     **({"typed": typed[t]} if t in typed else {})} for t in project.targets],
        "lists": lists,
    }
    if len(project.modules) > 1:  # a repository of several modules: each one's path and directory
        data["modules"] = [{"path": x.path, "dir": _rel(x.dir, project.root)} for x in project.modules]
    return data


def replay(data: Mapping[str, Any], root: Path, settings: Settings | None = None) -> Project:
    """The Project record() wrote, over the repository's sources at root; no go command runs."""
    if data.get("version") != VERSION:
        raise ValueError(f"recorded project version {data.get('version')!r} is not {VERSION}: record it again")
    version = parse_version(str(data["go"]))
    assert version is not None
    go = Go(path="go", version=version)  # never run: strategies only read the project
    m = data["module"]
    host, host_cgo = (m["host"][0], m["host"][1]), bool(m["host_cgo"])
    listed = data.get("modules") or [{"path": m["path"], "dir": ""}]
    modules = tuple(Module(path=str(x["path"]), dir=root / x["dir"] if x["dir"] else root, host=host,
                           host_cgo=host_cgo, go=go) for x in listed)
    by_dir = {x.dir: x for x in modules}
    places = {"$MODULE": str(root)}
    by_config = {(c.get("module", str(listed[0]["dir"])), config_of(_target(c["config"]))):
                 packages_from((_absolute(o, places) for o in c["objects"]), root) for c in data["lists"]}
    targets = tuple(_target(t) for t in data["targets"])
    first = str(listed[0]["dir"])
    where = {t: r.get("module", first) for t, r in zip(targets, data["targets"], strict=True)}
    graphs = {t: graph_from(t, by_config[where[t], config_of(t)]) for t in targets}
    sizes = {t: SizeTable.from_json(r["size"]) for t, r in zip(targets, data["targets"], strict=True) if r["size"]}
    dce = {t: DceReport.from_json(t, r["dce"]) for t, r in zip(targets, data["targets"], strict=True) if r["dce"]}
    needs = Needs.GRAPHS | Needs.SOURCES
    if len(sizes) == len(targets):
        needs |= Needs.SIZES
    if len(dce) == len(targets):
        # no reachability model is recorded (megabytes per target): estimates of a replayed project
        # come from the package sizes, as after a failed replay (refactor.estimate)
        needs |= Needs.DCE | Needs.REACH
    typed: dict[Target, TypedView | None] = {}
    if all("typed" in r for r in data["targets"]):
        from refactor.typed import from_recorded

        typed = {t: from_recorded(r["typed"]) for t, r in zip(targets, data["targets"], strict=True)}
        needs |= Needs.TYPED
    target_modules = {t: by_dir.get(root / where[t] if where[t] else root, modules[0]) for t in targets}
    repo = Repository(top=root, root=root, modules=modules, launcher=go)
    return Project(go=go, settings=settings or Settings(root=root), modules=modules, targets=targets,
                   graphs=types.MappingProxyType(graphs), sources=source_index(repo, modules, graphs, version[1]),
                   sizes=types.MappingProxyType(sizes), dce=types.MappingProxyType(dce), needs=needs,
                   typed=types.MappingProxyType(typed), target_modules=types.MappingProxyType(target_modules),
                   repository=repo)


def _rel(path: Path, root: Path) -> str:
    rel = path.relative_to(root).as_posix() if path != root and root in path.parents else ""
    return rel


def _target_json(t: Target) -> dict[str, Any]:
    return {"main": t.main, "goos": t.goos, "goarch": t.goarch, "tags": list(t.tags), "cgo": t.cgo,
            "ldflags": t.ldflags, **({"alias": t.alias} if t.alias else {})}


def _target(d: Mapping[str, Any]) -> Target:
    return Target(main=str(d["main"]), goos=str(d["goos"]), goarch=str(d["goarch"]), tags=tuple(d["tags"]),
                  cgo=bool(d["cgo"]), ldflags=str(d.get("ldflags", "")), alias=str(d.get("alias", "")))


_PATH_KEYS = ("Dir", "GoMod")


def _relative(obj: Mapping[str, Any], places: Mapping[str, str]) -> dict[str, Any]:
    """A go list object with its paths written relative to the named places."""
    def rel(path: str) -> str:
        for name in _PLACES:
            base = places.get(name, "").rstrip("/")
            if base and (path == base or path.startswith(base + "/")):
                return name + path[len(base):]
        return path

    return _map_paths(obj, rel)


def _absolute(obj: Mapping[str, Any], places: Mapping[str, str]) -> dict[str, Any]:
    """A recorded object's paths back under the places given (others stay symbolic)."""
    def absolute(path: str) -> str:
        for name, base in places.items():
            if path == name or path.startswith(name + "/"):
                return base + path[len(name):]
        return path

    return _map_paths(obj, absolute)


def _map_paths(obj: Mapping[str, Any], fn: Callable[[str], str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in obj.items():
        if k in _PATH_KEYS and isinstance(v, str):
            out[k] = fn(v)
        elif k in ("Module", "Replace") and isinstance(v, Mapping):
            out[k] = _map_paths(v, fn)
        else:
            out[k] = v
    return out
