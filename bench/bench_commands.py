"""Time gotrim's commands against the go commands they cannot avoid, in the same run.

    python bench/bench_commands.py [MODULE_DIR] [--main ./cmd/trace-agent] [--runs 3] [--smoke]

The floor is what any tool must pay: `go list -e -deps -json=<fields>` of the target plus one warm
`go build -trimpath -o` of it (go build -o relinks every time). Each gotrim command runs in a
child Python process with the Go build cache warm and gotrim's own cache bypassed (--no-cache),
and reports its peak RSS (the Python process only, not go's). Runs alternate floor and gotrim to
spread machine noise; medians are printed, with the ratio gotrim / floor.
With --smoke (used by the test suite) it runs once on fixture_repos/split and only checks that
every command works.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIELDS = ("ImportPath,Name,Dir,Standard,Module,Imports,ImportMap,GoFiles,CgoFiles,IgnoredGoFiles,"
          "TestGoFiles,XTestGoFiles,TestImports,XTestImports,Error,DepsErrors,Incomplete")
CHILD = ("import resource, sys, time\n"
         "from refactor.cli import main\n"
         "t = time.perf_counter(); rc = main(sys.argv[1:]); s = time.perf_counter() - t\n"
         "print(f'BENCH {rc} {s:.3f} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}', file=sys.stderr)\n")


def floor(module: Path, main: str) -> float:
    """Seconds for go list -deps plus one go build of the target."""
    t = time.perf_counter()
    subprocess.run(["go", "list", "-e", "-deps", f"-json={FIELDS}", main], cwd=module, check=True,
                   stdout=subprocess.DEVNULL)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["go", "build", "-trimpath", "-o", str(Path(tmp) / "bin"), main], cwd=module, check=True)
    return time.perf_counter() - t


def gotrim(args: list[str]) -> tuple[int, float, int]:
    """Exit code, seconds and peak RSS (KiB) of one gotrim command in a child Python."""
    proc = subprocess.run([sys.executable, "-c", CHILD, *args], capture_output=True, text=True, cwd=ROOT)
    line = [ln for ln in proc.stderr.splitlines() if ln.startswith("BENCH ")][-1]
    _, rc, secs, rss = line.split()
    return int(rc), float(secs), int(rss)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("module", nargs="?", default=str(ROOT / "bench" / "seed"))
    ap.add_argument("--main", default="./cmd/trace-agent")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--smoke", action="store_true")
    ns = ap.parse_args()
    if ns.smoke:
        ns.module, ns.main, ns.runs = str(ROOT / "fixture_repos" / "split"), "./cmd/lite", 1
    module = Path(ns.module).resolve()
    target = ["-t", ns.main]
    commands = {
        "why": ["why", "net", str(module), *target, "--json"],
        "size": ["size", str(module), *target, "--json"],
        "suggest": ["suggest", str(module), *target, "--no-cache", "--json"],
    }
    floor(module, ns.main)  # warm the build cache
    floors: list[float] = []
    times: dict[str, list[float]] = {k: [] for k in commands}
    rss: dict[str, int] = {k: 0 for k in commands}
    for _ in range(ns.runs):
        for name, args in commands.items():
            floors.append(floor(module, ns.main))
            rc, secs, kib = gotrim(args)
            if rc != 0:
                print(f"gotrim {name} exited {rc}", file=sys.stderr)
                return 1
            times[name].append(secs)
            rss[name] = max(rss[name], kib)
    f = statistics.median(floors)
    rows = {name: {"median_s": round(statistics.median(ts), 2), "ratio_to_floor": round(statistics.median(ts) / f, 2),
                   "peak_rss_mib": round(rss[name] / 1024, 1)} for name, ts in times.items()}
    print(json.dumps({"module": str(module.relative_to(ROOT)) if module.is_relative_to(ROOT) else str(module),
                      "main": ns.main, "runs": ns.runs, "floor_median_s": round(f, 2), "commands": rows}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
