"""Time gotrim's commands against the go commands they cannot avoid, in the same run.

    python -m bench.commands [MODULE_DIR] [--main ./cmd/trace-agent] [--runs 3] [--top 3] [--smoke]

The floor of the analysis commands (why, size, suggest, dce) is what any tool must pay: `go list -e
-deps -json=<fields>` of the target plus one warm `go build -trimpath -o` of it (go build -o relinks
every time). `suggest --measure --top N` is compared with that floor plus the same sequence of plain
go commands its verification runs, replayed from its own JSON report: for each measured candidate a
`git worktree add` of HEAD, `git apply` of the candidate's diff, `gofmt -l`, `go build ./...` and
`go vet` per build configuration, and per target a `go build -trimpath -o` plus `go list -deps`.

Each gotrim command runs in a child Python process, timed from its start to its exit (interpreter
start-up and imports included, gotrim's modules compiled to bytecode first as an installed gotrim has
them, unless --source-only; main_median_s is the main() call alone), with the Go build cache warm, gotrim's own
cache bypassed (--no-cache) and its size cache empty (--keep-cache keeps ~/.cache/gotrim; --warm-cache gives
every run one private cache, filled by an untimed run: sizes, kept links and their models, parses); its cache of
parsed module-cache files is warm, as the Go build cache is (an untimed run fills it first; --cold-parses
empties it for every run too); it
reports its peak RSS (the Python process) and the peak RSS of the largest go child it waited for.
Runs alternate floor and gotrim to spread machine noise; medians are printed with the ratio
gotrim / floor, the median of the paired ratios (each gotrim run over the floor timed just before
it, steadier on a machine whose speed drifts), and the load average before and after.
With --smoke (used by the test suite) it runs once on fixture_repos/split with --top 1.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench._common import FIXTURE, ROOT, compile_gotrim, load_avg, load_json, parse_label, run_gotrim, timed

FIELDS = ("ImportPath,Name,Dir,Standard,Module,Imports,ImportMap,GoFiles,CgoFiles,IgnoredGoFiles,"
          "TestGoFiles,XTestGoFiles,TestImports,XTestImports,Error,DepsErrors,Incomplete")


def floor(module: Path, main: str) -> float:
    """Seconds for go list -deps of the targets (comma-separated) plus one go build of each, in turn."""
    mains = main.split(",")
    t = timed(["go", "list", "-e", "-deps", f"-json={FIELDS}", *mains], module)
    with tempfile.TemporaryDirectory() as tmp:
        for i, m in enumerate(mains):
            t += timed(["go", "build", "-trimpath", "-o", str(Path(tmp) / f"bin{i}"), m], module)
    return t


def count_builds(report: dict) -> dict[str, int]:
    """The go builds one suggest --measure run did: analysis builds and the verification steps."""
    counts = {"analysis_builds": len(report["targets"]), "go_build_all": 0, "go_vet": 0, "rebuilds": 0,
              "measured": 0}
    for c in report["candidates"]:
        m = c.get("measurement")
        if not m:
            continue
        counts["measured"] += 1
        for s in m["steps"]:
            if s["name"].startswith("go build ./..."):
                counts["go_build_all"] += 1
            elif s["name"].startswith("go vet"):
                counts["go_vet"] += 1
            elif s["name"].startswith("rebuild "):
                counts["rebuilds"] += 1
    return counts


def replay_measure(module: Path, report: dict) -> float:
    """Seconds of the plain go/git commands equivalent to the verification of every measured candidate."""
    top = Path(subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=module, capture_output=True,
                              text=True, check=True).stdout.strip())
    sub = module.resolve().relative_to(top.resolve())
    mains = {t["label"]: t["main"] for t in report["targets"]}
    total = 0.0
    for c in report["candidates"]:
        m = c.get("measurement")
        if not m:
            continue
        tmp = Path(tempfile.mkdtemp(prefix="bench-replay-"))
        wt = tmp / "wt"
        try:
            t0 = time.perf_counter()
            subprocess.run(["git", "worktree", "add", "--detach", "-q", str(wt), "HEAD"], cwd=top, check=True)
            cwd = wt / sub
            # plan paths are relative to the repository's top: the diff applies there as it is
            subprocess.run(["git", "apply"], cwd=wt, input=c["diff"], text=True, check=True)
            prefix = "" if str(sub) == "." else f"{sub.as_posix()}/"
            gofiles = [f[len(prefix):] for f in c["files"] if f.endswith(".go") and f.startswith(prefix)
                       and (wt / f).exists()]
            dirs = sorted({"./" + str(Path(f).parent) if str(Path(f).parent) != "." else "." for f in gofiles})
            total += time.perf_counter() - t0
            for s in m["steps"]:
                name = s["name"]
                if name == "gofmt -l" and gofiles:
                    total += timed(["gofmt", "-l", *gofiles], cwd)
                elif name.startswith(("go build ./...", "go vet")):
                    cfg = parse_label(name[name.index("(") + 1:name.rindex(")")])
                    verb = ["build", "./..."] if name.startswith("go build") else ["vet", *dirs]
                    total += timed(["go", verb[0], *cfg["flags"], *verb[1:]], cwd, cfg["env"])
                elif name.startswith("rebuild "):
                    label = name[len("rebuild "):]
                    cfg = parse_label(label)
                    main = next(v for k, v in mains.items() if k.split()[:2] == label.split()[:2])
                    total += timed(["go", "build", "-trimpath", "-o", str(tmp / "bin"), *cfg["flags"], main],
                                   cwd, cfg["env"])
                    total += timed(["go", "list", "-e", "-deps", f"-json={FIELDS}", *cfg["flags"], main],
                                   cwd, cfg["env"])
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(wt)], cwd=top, capture_output=True)
            shutil.rmtree(tmp, ignore_errors=True)
    return total


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("module", nargs="?", default=str(ROOT / "bench" / "seed"))
    ap.add_argument("--main", default="./cmd/trace-agent",
                    help="main package(s), comma-separated; the floor builds them one after the other")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--top", type=int, default=3, help="candidates suggest --measure verifies")
    ap.add_argument("--no-measure", action="store_true", help="skip suggest --measure")
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--only", help="comma-separated commands to time (why,size,suggest,dce,suggest_measure)")
    ap.add_argument("--keep-cache", action="store_true",
                    help="let gotrim reuse its size cache across runs (default: a fresh empty one per command)")
    ap.add_argument("--warm-cache", action="store_true",
                    help="one private gotrim cache for every run, filled by an untimed run (sizes, kept links and "
                         "their models, parses): a rerun on unchanged code with the plan cache off")
    ap.add_argument("--cold-parses", action="store_true",
                    help="empty gotrim's parse cache for every run too (default: warm, filled by an untimed run)")
    ap.add_argument("--source-only", action="store_true",
                    help="do not compile gotrim's modules to bytecode first (with PYTHONDONTWRITEBYTECODE set, "
                         "every run then compiles them again)")
    ap.add_argument("--save", help="directory to save each suggest --measure JSON report in (for bench.accuracy)")
    ns = ap.parse_args(argv)
    if ns.smoke:
        ns.module, ns.main, ns.runs, ns.top = str(FIXTURE), "./cmd/lite", 1, 1
    module = Path(ns.module).resolve()
    target = [arg for m in ns.main.split(",") for arg in ("-t", m)]
    commands = {
        "why": ["why", "net", str(module), *target, "--json"],
        "size": ["size", str(module), *target, "--json"],
        "suggest": ["suggest", str(module), *target, "--no-cache", "--json"],
        "dce": ["dce", str(module), *target, "--json"],
    }
    if not ns.no_measure:
        commands["suggest_measure"] = ["suggest", str(module), *target, "--no-cache", "--json", "-v",
                                       "--measure", "--top", str(ns.top)]
    if ns.only:
        wanted = ns.only.split(",")
        unknown = [w for w in wanted if w not in commands]
        if unknown:
            ap.error(f"unknown command(s) {', '.join(unknown)}: choose from {', '.join(commands)}")
        commands = {k: v for k, v in commands.items() if k in wanted}
    load_before = load_avg()
    if not ns.source_only:
        compile_gotrim()  # its bytecode, as an installed gotrim has it
    floor(module, ns.main)  # warm the build cache
    parses_dir = tempfile.TemporaryDirectory(prefix="bench-gotrim-parses-")
    parses = None if ns.cold_parses or ns.keep_cache or ns.warm_cache else Path(parses_dir.name)
    cache = Path(parses_dir.name) / "cache" if ns.warm_cache else None
    # warm gotrim's caches as the floor's build cache is: the parse cache (a suggest), or with --warm-cache
    # the whole cache (each command once)
    suggest = commands.get("suggest", ["suggest", str(module), *target, "--no-cache", "--json"])
    warmups = list(commands.values()) if cache is not None else [suggest] if parses is not None else []
    for args in warmups:
        run_gotrim(args, parses=parses, cache=cache)
    floors: list[float] = []
    times: dict[str, list[float]] = {k: [] for k in commands}
    main_times: dict[str, list[float]] = {k: [] for k in commands}
    rss: dict[str, int] = {k: 0 for k in commands}
    go_rss: dict[str, int] = {k: 0 for k in commands}
    measure_floor: list[float] = []
    paired: dict[str, list[float]] = {k: [] for k in commands}  # each run over the floor timed just before it
    builds: dict[str, int] = {}
    for _ in range(ns.runs):
        for name, args in commands.items():
            floors.append(floor(module, ns.main))
            r = run_gotrim(args, keep_cache=ns.keep_cache, parses=parses, cache=cache)
            if r["rc"] != 0:
                print(f"gotrim {name} exited {r['rc']}:\n{r['stderr'][-2000:]}", file=sys.stderr)
                return 1
            times[name].append(r["seconds"])  # type: ignore[arg-type]
            if name != "suggest_measure":
                paired[name].append(r["seconds"] / floors[-1])  # type: ignore[operator]
            main_times[name].append(r["main_seconds"])  # type: ignore[arg-type]
            rss[name] = max(rss[name], r["rss_kib"])
            go_rss[name] = max(go_rss[name], r["go_rss_kib"])
            if name == "suggest_measure":
                report = load_json(r["stdout"])
                builds = count_builds(report)
                if ns.save:
                    Path(ns.save).mkdir(parents=True, exist_ok=True)
                    (Path(ns.save) / f"measure-{len(measure_floor)}.json").write_text(json.dumps(report, indent=1))
                measure_floor.append(floors[-1] + replay_measure(module, report))
                paired[name].append(r["seconds"] / measure_floor[-1])  # type: ignore[operator]
    f = statistics.median(floors)
    rows: dict[str, dict[str, object]] = {}
    for name, ts in times.items():
        med = statistics.median(ts)
        fl = statistics.median(measure_floor) if name == "suggest_measure" else f
        rows[name] = {"median_s": round(med, 2), "runs_s": [round(t, 2) for t in ts],
                      "main_median_s": round(statistics.median(main_times[name]), 2),
                      "floor_s": round(fl, 2), "ratio_to_floor": round(med / fl, 2),
                      "paired_ratio_median": round(statistics.median(paired[name]), 2),
                      "paired_ratios": [round(x, 2) for x in paired[name]],
                      "peak_rss_mib": round(rss[name] / 1024, 1), "go_peak_rss_mib": round(go_rss[name] / 1024, 1)}
    if builds:
        rows["suggest_measure"]["builds"] = builds
        rows["suggest_measure"]["floor_runs_s"] = [round(t, 2) for t in measure_floor]
    print(json.dumps({"module": str(module.relative_to(ROOT)) if module.is_relative_to(ROOT) else str(module),
                      "main": ns.main, "runs": ns.runs, "floor_median_s": round(f, 2),
                      "floor_runs_s": [round(t, 2) for t in floors], "gotrim_size_cache": ns.keep_cache,
                      "bytecode": not ns.source_only,
                      "gotrim_parse_cache": "kept" if ns.keep_cache else "cold" if ns.cold_parses else "warm",
                      "gotrim_cache": "warm (one for all runs)" if cache is not None else "kept" if ns.keep_cache
                      else "empty but parses",
                      "load_before": load_before, "load_after": load_avg(), "commands": rows}, indent=2))
    parses_dir.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
