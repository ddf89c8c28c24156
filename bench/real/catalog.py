"""Read bench/real/catalog.toml: public Go programs that show the shapes gotrim must handle.

Standard library only and offline: importing this module or calling load() never runs the go command.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

CATALOG = Path(__file__).resolve().parent / "catalog.toml"

# The shapes of issues 16, 17 and 18 (letters as in the bench brief; README.md describes each).
SHAPES = {
    "a-nested-module": "a main package in a nested module that reaches the repository's root or sibling "
                       "modules through `replace ... => ../`",
    "a-go-work": "a repository whose go.work uses several modules",
    "b-own-template": "method DCE off because of a text/template or html/template executed in the module's "
                      "own code inside a function",
    "b-several-blockers": "method DCE off for two or more independent reasons",
    "c-plugin-cgo": "std `plugin` imported (own code or a dependency) in a binary built with cgo",
    "d-heavy-enum": "the main package or an options struct uses a heavy package only for enum constants "
                    "or an enum-typed field",
    "e-drifted-stub": "feature_linux.go imports a heavy package, feature_other.go is a stub whose "
                      "signatures drifted",
    "f-registry": "a command/feature registry (init or table variable) where one entry pulls a heavy "
                  "dependency",
    "g-upstream-tag": "a heavy edge inside a dependency module that upstream later put behind a build tag",
    "h-old-toolchain": "does not build with the local Go, builds with the toolchain its go.mod names",
    "h-broken-at-head": "at that version a package does not build (on some platform, or from the module zip), "
                        "or go vet or gofmt -l already complain (issue 16 §3: verify against HEAD)",
    "i-own-heavy-edge": "a heavy edge between two packages of the module itself",
}

REQUIRED = ("name", "module", "version", "mains", "shapes", "where", "human_fix")


@dataclass(frozen=True)
class Module:
    """One module of a repository layout: `dir` relative to the repository root."""

    dir: str
    module: str
    version: str


@dataclass(frozen=True)
class Program:
    """One catalogue entry."""

    name: str
    module: str
    version: str
    mains: tuple[str, ...]
    shapes: tuple[str, ...]
    where: tuple[str, ...]
    human_fix: str
    workdir: str = "."
    layout: tuple[Module, ...] = ()
    tags: tuple[str, ...] = ()
    goos: str = ""
    cgo: bool = True
    toolchain: str = ""
    generated: tuple[str, ...] = ()
    at_head: tuple[str, ...] = ()
    notes: str = ""
    observed: tuple[dict[str, object], ...] = ()

    def modules(self) -> tuple[Module, ...]:
        """The modules to lay out: the declared layout, or the program's module alone at the root."""
        return self.layout or (Module(".", self.module, self.version),)


class CatalogError(ValueError):
    """The catalogue file does not follow its schema."""


def load(path: Path = CATALOG) -> list[Program]:
    """Every entry of the catalogue, checked against the schema (required keys, known shapes)."""
    data = tomllib.loads(path.read_text())
    programs: list[Program] = []
    names: set[str] = set()
    for i, raw in enumerate(data.get("program", [])):
        missing = [k for k in REQUIRED if k not in raw]
        if missing:
            raise CatalogError(f"entry {i} ({raw.get('name', '?')}): missing {', '.join(missing)}")
        unknown = [s for s in raw["shapes"] if s not in SHAPES]
        if unknown:
            raise CatalogError(f"{raw['name']}: unknown shapes {unknown}; known: {sorted(SHAPES)}")
        if raw["name"] in names:
            raise CatalogError(f"{raw['name']}: duplicate name")
        names.add(raw["name"])
        layout = tuple(Module(m["dir"], m["module"], m["version"]) for m in raw.get("layout", []))
        if layout and not any(m.module == raw["module"] and m.version == raw["version"] for m in layout):
            raise CatalogError(f"{raw['name']}: layout does not hold {raw['module']}@{raw['version']}")
        programs.append(Program(
            name=raw["name"], module=raw["module"], version=raw["version"], mains=tuple(raw["mains"]),
            shapes=tuple(raw["shapes"]), where=tuple(raw["where"]), human_fix=raw["human_fix"],
            workdir=raw.get("workdir", "."), layout=layout, tags=tuple(raw.get("tags", [])),
            goos=raw.get("goos", ""), cgo=raw.get("cgo", True), toolchain=raw.get("toolchain", ""),
            generated=tuple(raw.get("generated", [])), at_head=tuple(raw.get("at_head", [])),
            notes=raw.get("notes", ""),
            observed=tuple(raw.get("observed", []))))
    return programs


def find(name: str, path: Path = CATALOG) -> Program:
    """The entry called name; CatalogError naming the known entries otherwise."""
    programs = load(path)
    for p in programs:
        if p.name == name:
            return p
    raise CatalogError(f"no entry {name!r} in {path.name}; known: {', '.join(p.name for p in programs)}")


def _bytes(n: object) -> str:
    return f"{n:,}" if isinstance(n, int) else "-"


def _tags(o: dict[str, object]) -> list[str]:
    tags = o.get("tags")
    return [str(t) for t in tags] if isinstance(tags, list) else []


def markdown_table(programs: list[Program]) -> str:
    """One row per entry and main (untagged build first): the README's and results.md's table."""
    rows = ["| name | module@version | shapes | main | bytes | packages | method DCE | human fix |",
            "|---|---|---|---|---:|---:|---|---|"]
    for p in programs:
        observed = sorted(p.observed, key=lambda o: (str(o.get("main")), len(_tags(o))))
        if not observed:
            observed = [{"main": m} for m in p.mains]
        for o in observed:
            tags = _tags(o)
            main = str(o.get("main")) + (f" `-tags {','.join(tags)}`" if tags else "")
            if o.get("ok") is False:
                dce = "does not build: " + str(o.get("error", "")).splitlines()[-1][:80] if o.get("error") else "fails"
            elif "reflect_method" not in o:
                dce = "not built"
            elif o.get("reflect_method"):
                mark = str(o.get("reflect_method"))
                mark = "text/template" if mark.startswith("text/template.") else mark
                dce = f"off: {mark} via {o.get('via')}" if o.get("via") else f"off: {mark}"
            else:
                dce = "on"
            if o.get("plugin"):
                dce += "; plugin"
            go = f" ({o['go']})" if o.get("go") and o.get("go") != "go1.26.8" else ""
            fix = p.human_fix.split(";")[0][:90]
            rows.append(f"| {p.name} | {p.module}@{p.version} | {', '.join(p.shapes)} | {main}{go} | "
                        f"{_bytes(o.get('bytes'))} | {o.get('packages', '-')} | {dce} | {fix} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown_table(load()))
