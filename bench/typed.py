"""What the type-checked view (refactor/typed) costs on a module, and whether its keys agree with gosource.

Usage: python -m bench.typed [MODULE] --main ./cmd/X [--all] [--runs N] [--smoke]

For one target (host platform, cgo as go defaults it): `go list -e -export -deps -trimpath` (warm:
run after a `go build -trimpath` of the target, as gotrim builds), the typed-view program, and
Python's parse of its answer into dataclasses; medians over --runs. By default the main module's
packages are analysed (what gotrim asks for); --all analyses every non-standard package of the
target, a stress figure. Prints one JSON document, with the number of files whose declaration keys
or spec offsets differ from gosource's (0 expected) and the packages that did not type-check.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from refactor import typed  # noqa: E402
from refactor.config import Target  # noqa: E402
from refactor.gosource import parse_file  # noqa: E402
from refactor.toolchain import find_go  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("module", nargs="?", type=Path, default=ROOT / "bench" / "seed")
    ap.add_argument("--main", default="./cmd/cluster-agent")
    ap.add_argument("--all", action="store_true", help="analyse every non-standard package of the target")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--smoke", action="store_true", help="one run on fixture_repos/split ./cmd/full")
    args = ap.parse_args(argv)
    if args.smoke:
        args.module, args.main, args.runs = ROOT / "fixture_repos" / "split", "./cmd/full", 1
    root = args.module.resolve()
    go = find_go()
    host = subprocess.run([go.path, "env", "GOOS", "GOARCH", "CGO_ENABLED"], capture_output=True, text=True,
                          check=True).stdout.split()
    target = Target(main=args.main, goos=host[0], goarch=host[1], cgo=host[2] == "1")
    exe = typed.executable(go)  # built once per toolchain, untimed (as on a user's machine)
    subprocess.run([go.path, "build", "-trimpath", "-o", "/dev/null", *target.build_flags(), args.main], cwd=root,
                   check=True, env=go.environ(target))
    lists, programs, parses = [], [], []
    raw = ""
    listed: list[dict[str, Any]] = []
    request: dict[str, Any] = {}
    for _ in range(args.runs):
        t0 = time.perf_counter()
        listed = typed.list_exports(go, root, target)
        t1 = time.perf_counter()
        wanted = {p["ImportPath"] for p in listed if not p.get("Standard")} if args.all else None
        request = typed.build_request(listed, wanted, root, target.goarch)
        t2 = time.perf_counter()
        raw = typed.run_program(go, request)
        t3 = time.perf_counter()
        view = typed.parse_view(raw)
        t4 = time.perf_counter()
        lists.append(t1 - t0)
        programs.append(t3 - t2)
        parses.append(t4 - t3)
    by_path = {p["ImportPath"]: p for p in listed}
    mismatched, decls = [], 0
    for pkg in view:
        p = by_path[pkg.import_path]
        for name in (p.get("GoFiles") or []) + (p.get("CgoFiles") or []):
            path = Path(p["Dir"]) / name
            rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
            model = parse_file(rel, path.read_bytes())
            decls += len(model.decls)
            if [(d.key, d.spec_start, d.spec_end) for d in model.decls] != \
                    [(d.key, d.start, d.end) for d in pkg.decls if d.file == rel]:
                mismatched.append(rel)
    out = {
        "module": str(args.module), "main": args.main, "all": args.all, "runs": args.runs,
        "toolchain": view.toolchain, "program": exe.name,
        "listed_packages": len(listed), "analysed_packages": len(view.packages), "decls": decls,
        "not_ok": sorted(p.import_path for p in view if not p.ok),
        "go_list_export_s": round(statistics.median(lists), 3),
        "program_s": round(statistics.median(programs), 3),
        "python_parse_s": round(statistics.median(parses), 3),
        "answer_mb": round(len(raw) / 1e6, 2),
        "files_mismatching_gosource": mismatched[:20], "files_mismatching_count": len(mismatched),
    }
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
