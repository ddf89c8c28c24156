"""Build a fetched catalogue program's mains once and print what the catalogue records (JSON).

    python -m bench.real.measure NAME [--dir bench/work/real/NAME/WORKDIR]

Per main: `go list -deps` count (and whether `plugin` is among them), `go build -trimpath
-ldflags=-dumpdep -o BIN` wall seconds and binary bytes, the first `<ReflectMethod>` mark of the
dump (the symbol that switches method dead-code elimination off) with its first-parent chain back to
main, as whydeadcode prints its first (certain) result. Runs the program's toolchain (GOTOOLCHAIN).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.real.catalog import CATALOG, CatalogError, Program, find
from bench.real.fetch import WORK, go_env


def reflect_chain(dump: Path) -> list[str]:
    """The first symbol marked <ReflectMethod> and its first parents up to the root, or []."""
    parent: dict[str, str] = {}
    with dump.open(errors="replace") as fh:
        for line in fh:
            if " -> " not in line:
                continue
            src, _, dst = line.rstrip("\n").partition(" -> ")
            mark = "<ReflectMethod>" in dst
            src = src.split(" <")[0].strip()
            dst = dst.split(" <")[0].strip()
            parent.setdefault(dst, src)
            if mark:
                chain = [dst]
                while chain[-1] in parent and len(chain) < 40 and parent[chain[-1]] != chain[-1]:
                    chain.append(parent[chain[-1]])
                    if chain[-1] == "_":
                        break
                return chain
    return []


def measure_main(program: Program, workdir: Path, main: str, out_dir: Path,
                 tags: tuple[str, ...] | None = None) -> dict[str, object]:
    """Figures for one main package, built with the entry's tags (or with tags, when given)."""
    env = go_env(program, workdir)
    if program.goos:
        env["GOOS"] = program.goos
    env["CGO_ENABLED"] = "1" if program.cgo else "0"
    use = program.tags if tags is None else tags
    tag_args = ["-tags", ",".join(use)] if use else []
    listed = subprocess.run(["go", "list", *tag_args, "-deps", main], cwd=workdir, env=env, capture_output=True,
                            text=True)
    deps = listed.stdout.split()
    name = subprocess.run(["go", "list", *tag_args, "-f", "{{.Name}}", main], cwd=workdir, env=env,
                          capture_output=True, text=True).stdout.strip()
    if name != "main":
        return {"main": main, "tags": list(use), "go": "", "packages": len(deps), "plugin": False, "ok": False,
                "build_seconds": 0.0, "error": f"{main} is package {name or '?'}, not a main package"}
    binary = out_dir / (Path(main).name or "main")
    dump = out_dir / "dumpdep.txt"
    t0 = time.perf_counter()
    with dump.open("w") as fh:
        built = subprocess.run(["go", "build", *tag_args, "-trimpath", "-ldflags=-dumpdep", "-o", str(binary), main],
                               cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=fh)
    seconds = time.perf_counter() - t0
    version = subprocess.run(["go", "env", "GOVERSION"], cwd=workdir, env=env, capture_output=True, text=True)
    result: dict[str, object] = {
        "main": main, "tags": list(use), "go": version.stdout.strip(), "packages": len(deps),
        "plugin": "plugin" in deps,
        "list_error": listed.stderr.strip()[-500:], "build_seconds": round(seconds, 1), "ok": built.returncode == 0,
    }
    if built.returncode == 0:
        result["bytes"] = binary.stat().st_size
        result["reflect_method_chain"] = reflect_chain(dump)
    else:
        text = dump.read_text(errors="replace")
        result["error"] = "\n".join(ln for ln in text.splitlines() if " -> " not in ln)[-1500:]
    return result


def import_path(symbol: str) -> str:
    """The import path of a linker symbol such as github.com/a/b.(*T).M, fmt.errorf or main.main."""
    head = symbol.split("(")[0].split("[")[0]
    slash = head.rfind("/")
    dot = head.find(".", slash + 1)
    return head[:dot] if dot > 0 else head


def _standard(symbol: str) -> bool:
    """A symbol of the standard library or of the linker (type:, go:), not of the program or a module."""
    if symbol.startswith(("type:", "go:")) or symbol in ("_", ""):
        return True
    path = import_path(symbol)
    return path != "main" and "." not in path.split("/")[0]


def summary(result: dict[str, object]) -> dict[str, object]:
    """What the catalogue keeps of one measurement: figures, and DCE state named by its first blocker."""
    tags = result.get("tags")
    keep: dict[str, object] = {"main": result["main"], "tags": list(tags) if isinstance(tags, list) else []}
    keep.update({k: result[k] for k in ("go", "ok", "packages", "plugin", "build_seconds") if k in result})
    if result.get("ok"):
        keep["bytes"] = result["bytes"]
        raw = result.get("reflect_method_chain")
        chain = [str(c) for c in raw] if isinstance(raw, list) else []
        keep["reflect_method"] = chain[0] if chain else ""
        # the first caller outside the standard library: who executes the template or calls MethodByName
        keep["via"] = next((c for c in chain[1:] if not _standard(c)), "")
    else:
        keep["error"] = str(result.get("error", ""))[-300:]
    keep["date"] = datetime.date.today().isoformat()
    return keep


def _toml_value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return json.dumps(str(v))  # a JSON string is a valid TOML basic string


def _key(row: dict[str, object]) -> tuple[str, tuple[str, ...], str]:
    tags = row.get("tags") or []
    return str(row.get("main")), tuple(str(t) for t in tags) if isinstance(tags, list) else (), str(row.get("go"))


def record(program: Program, results: list[dict[str, object]], path: Path = CATALOG) -> None:
    """Write results into the entry's `observed` array, replacing earlier ones of the same main, tags and go."""
    new = [summary(r) for r in results]
    keys = {_key(r) for r in new}
    kept = [o for o in program.observed if _key(o) not in keys]
    rows = kept + new
    text = path.read_text()
    start = text.index(f'name = "{program.name}"\n')
    end = text.find("\n[[program]]", start)
    end = len(text) if end < 0 else end
    block = re.sub(r"\nobserved = \[\n(?:  \{.*\},\n)*\]\n?", "\n", text[start:end]).rstrip("\n")
    lines = ["observed = ["] + ["  { " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in row.items()) + " },"
                               for row in rows] + ["]"]
    out = text[:start] + block + "\n" + "\n".join(lines) + "\n"
    rest = text[end:]  # "" or the next entries, from the newline before their [[program]]
    if rest:
        out += "\n" + rest.lstrip("\n")
    path.write_text(out)


def main(argv: list[str] | None = None) -> int:
    """Command line: measure every main of NAME and print one JSON document."""
    parser = argparse.ArgumentParser(prog="python -m bench.real.measure", description=__doc__.splitlines()[0])
    parser.add_argument("name")
    parser.add_argument("--dir", type=Path, help="the fetched workdir (default bench/work/real/NAME/WORKDIR)")
    parser.add_argument("--main", action="append", help="only these mains (default: the entry's)")
    parser.add_argument("--tags", help="build tags instead of the entry's (comma-separated; '' for none)")
    parser.add_argument("--toolchain", help="GOTOOLCHAIN instead of the entry's (e.g. local)")
    parser.add_argument("--record", action="store_true", help="write the figures into catalog.toml (observed)")
    parser.add_argument("--from-json", type=Path, help="record the figures of an earlier run's JSON, build nothing")
    args = parser.parse_args(argv)
    try:
        program = find(args.name)
        if args.toolchain is not None:
            program = dataclasses.replace(program, toolchain=args.toolchain)
    except CatalogError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.from_json:
        record(program, json.loads(args.from_json.read_text())["mains"])
        return 0
    workdir = (args.dir or WORK / program.name / program.workdir).resolve()
    if not workdir.is_dir():
        print(f"error: {workdir} does not exist; run python -m bench.real.fetch {program.name} first",
              file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="gotrim-measure-") as tmp:
        tags = None if args.tags is None else tuple(t for t in args.tags.split(",") if t)
        mains = [measure_main(program, workdir, m, Path(tmp), tags) for m in (args.main or program.mains)]
    print(json.dumps({"name": program.name, "module": f"{program.module}@{program.version}", "mains": mains},
                     indent=1))
    if args.record:
        record(program, mains)
    return 0


if __name__ == "__main__":
    sys.exit(main())
