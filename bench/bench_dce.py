"""Benchmark `gotrim dce` against a plain `go build -ldflags=-dumpdep` of the same target.

    python bench/bench_dce.py [MODULE_DIR] [--main ./cmd/cluster-agent] [--runs 3]

Both sides link the same target with -trimpath and -dumpdep (go build -o relinks every time, so the
link and the dumpdep stream are paid on every run). The floor sends go's stderr to /dev/null; gotrim
runs in a child Python process (go list, the build, the one-pass parse, the chain resolution) and
reports its own peak RSS (ru_maxrss of the Python process, not of go). The build cache is warmed
first so both sides measure a relink into a new output file. Runs alternate floor/gotrim to spread machine noise.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
t0 = time.perf_counter()
from refactor.config import Settings, TargetSpec
from refactor.dce import dce_report
from refactor.load import load
from refactor.project import Needs
from refactor.toolchain import find_go
root, main = Path(sys.argv[1]), sys.argv[2]
project = load(find_go(), Settings(root=root), [TargetSpec(mains=(main,))], Needs.DCE_REPORT)
t1 = time.perf_counter()
table, found = dce_report(project)
t2 = time.perf_counter()
entry = table.json_data()["targets"][0]
print(json.dumps({"seconds": t2 - t0, "load_seconds": t1 - t0, "dce_seconds": t2 - t1,
                  "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "found": found,
                  "dumpdep_lines": entry["dumpdep_lines"], "binary_bytes": entry["binary_bytes"],
                  "method_dce": entry["method_dce"],
                  "symbol": (entry["reflect_method"] or {}).get("symbol"),
                  "chain_len": len((entry["reflect_method"] or {}).get("chain", [])),
                  "plugin": entry["dynamic_linking"]["active"]}))
"""


def floor(module: Path, main: str, out: Path) -> tuple[float, int]:
    """Seconds and stderr bytes of a plain `go build -trimpath -ldflags=-dumpdep`."""
    t0 = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        subprocess.run(["go", "build", "-trimpath", "-o", str(out), "-ldflags=-dumpdep", main], cwd=module,
                       stderr=err, check=True)
        size = err.seek(0, 2)
    return time.perf_counter() - t0, size


def gotrim(module: Path, main: str) -> dict[str, object]:
    """One `gotrim dce` run in a child process, with its wall time."""
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", CHILD, str(module), main], cwd=ROOT, capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True)
    data: dict[str, object] = json.loads(proc.stdout)
    data["wall"] = time.perf_counter() - t0
    return data


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("module", nargs="?", default=str(ROOT / "bench" / "seed"))
    ap.add_argument("--main", default="./cmd/cluster-agent")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    module = Path(args.module).resolve()
    n_pkgs = len(subprocess.run(["go", "list", "-deps", args.main], cwd=module, capture_output=True, text=True,
                                check=True).stdout.split())
    with tempfile.TemporaryDirectory() as tmp:
        floor(module, args.main, Path(tmp) / "warm")  # warm the build cache
        floors, stderr_bytes, runs = [], 0, []
        for i in range(args.runs):
            # A fresh output path each time, as gotrim uses: go reuses an up-to-date -o file and would
            # replay the cached linker output instead of linking.
            s, stderr_bytes = floor(module, args.main, Path(tmp) / f"bin{i}")
            floors.append(s)
            runs.append(gotrim(module, args.main))
    walls = [float(r["wall"]) for r in runs]  # type: ignore[arg-type]
    rss = max(int(r["maxrss_kib"]) for r in runs)  # type: ignore[call-overload]
    result = {
        "module": str(module), "main": args.main, "packages": n_pkgs, "runs": args.runs,
        "floor_seconds": floors, "gotrim_seconds": walls,
        "ratio_median": statistics.median(walls) / statistics.median(floors),
        "gotrim_peak_rss_mib": rss / 1024, "dumpdep_stderr_mib": stderr_bytes / 2**20,
        "last": runs[-1],
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
