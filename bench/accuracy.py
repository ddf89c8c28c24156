"""Estimated against measured bytes for every candidate `gotrim suggest --measure` verifies.

    python -m bench.accuracy [INPUT ...] [--top 3] [--combine] [--report FILE ...] [--save DIR]

An INPUT is `DIR` or `DIR:./cmd/a,./cmd/b` (module directory and its targets; default: the
fixtures split, guard and blockers, bench/seed with trace-agent and cluster-agent, and
bench/large with cmd/tiny). Each runs `gotrim suggest DIR [-t ...] --measure --top N --json
--no-cache` in a child process; `--report FILE` adds a JSON report saved earlier (e.g. by --save)
instead of running it again. For each measured candidate it prints the estimate (summed over the
candidate's targets), the measured saving (same targets) and the relative error
(estimate - measured) / measured, then the median and worst absolute relative error, overall and
per strategy. A candidate that was built and measured but failed a later check (a smoke run, vet)
counts, flagged `measured_unverified`: the estimate is about bytes. The DCE loop's candidates are
measured during suggest itself: a one-step one is compared by the strategy's own estimate (kept in
its explanation), a several-step one (`by_loop`) has no estimate apart from the loop's builds and
is left out of the figures.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from pathlib import Path

from bench._common import FIXTURE, ROOT, load_avg, load_json, run_gotrim
from refactor.dceloop import ESTIMATED, MEASURED

DEFAULT_INPUTS = [
    "fixture_repos/split", "fixture_repos/guard", "fixture_repos/blockers",
    "bench/seed:./cmd/trace-agent,./cmd/cluster-agent", "bench/large:./cmd/tiny",
]


def suggest(spec: str, top: int, combine: bool = False) -> tuple[dict, float]:
    """The JSON report of suggest --measure on one input, and the command's seconds."""
    path, _, mains = spec.partition(":")
    module = (ROOT / path).resolve() if not Path(path).is_absolute() else Path(path)
    targets = [a for m in mains.split(",") if m for a in ("-t", m)]
    r = run_gotrim(["suggest", str(module), *targets, "--measure", "--top", str(top), "--json", "--no-cache",
                    *(["--combine"] if combine else [])])
    if r["rc"] not in (0, 1):  # 1: a verification failed, still a report
        raise RuntimeError(f"gotrim suggest {spec} exited {r['rc']}:\n{r['stderr'][-2000:]}")
    return load_json(str(r["stdout"])), float(r["seconds"])


def rows_of(name: str, report: dict) -> list[dict[str, object]]:
    """One row per measured candidate: estimate, measurement, error; failures are kept with their error."""
    rows = []
    for c in report["candidates"]:
        m = c.get("measurement")
        if not m:
            continue
        row: dict[str, object] = {"input": name, "id": c["id"], "strategy": c["strategy"], "summary": c["summary"],
                                  "targets": c["targets"], "estimated_bytes": c["estimated_bytes"],
                                  "verified": m["verified"], "first_error": m["first_error"]}
        text = c.get("explanation") or ""
        prior = re.search(ESTIMATED + r" ([0-9,]+) B", text)
        if prior:  # the DCE loop measured this one during suggest: its estimate is what the strategy said
            row.update(loop_bytes=c["estimated_bytes"], estimated_bytes=int(prior.group(1).replace(",", "")))
        elif MEASURED in text or (c.get("details") or {}).get("kind") == "all-blockers":
            row["by_loop"] = True  # the loop's own candidate of several steps: its bytes are a measurement
        elif c["strategy"] == "combined" and not (c.get("details") or {}).get("exact", True):
            row["by_loop"] = True  # some parts added as they are (the loop's measurements): not an estimate
        if c["strategy"] == "combined":
            row["separate_bytes"] = (c.get("details") or {}).get("separate_bytes")
        built = len(m["targets"]) == len(c["targets"]) and all(t.get("after_bytes") for t in m["targets"])
        if not m["verified"] and built:  # built and measured, failed a later check (a smoke run, vet)
            row["measured_unverified"] = True
        if built and not row.get("by_loop"):
            measured = sum(t["saved_bytes"] for t in m["targets"])
            row.update(measured_bytes=measured, before_bytes=sum(t["before_bytes"] for t in m["targets"]),
                       packages_removed=max(len(t["removed"]) for t in m["targets"]),
                       rel_error=round((int(str(row["estimated_bytes"])) - measured) / measured, 4)
                       if measured else None)
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("inputs", nargs="*")
    ap.add_argument("--top", type=int, default=3)
    ap.add_argument("--report", action="append", default=[], help="a saved suggest --json report (NAME=FILE)")
    ap.add_argument("--save", help="directory to save each report in")
    ap.add_argument("--smoke", action="store_true", help="fixture_repos/split, --top 1")
    ap.add_argument("--combine", action="store_true", help="also the shown candidates together (suggest --combine)")
    ns = ap.parse_args(argv)
    if ns.smoke:
        ns.inputs, ns.top = [str(FIXTURE.relative_to(ROOT)) + ":./cmd/lite"], 1
    inputs = ns.inputs or ([] if ns.report else DEFAULT_INPUTS)
    rows: list[dict[str, object]] = []
    seconds: dict[str, float] = {}
    failed: list[str] = []
    load_before = load_avg()
    for spec in inputs:
        try:
            report, secs = suggest(spec, ns.top, ns.combine)
        except RuntimeError as exc:  # one input that cannot run does not hide the others
            print(str(exc).splitlines()[0], str(exc).splitlines()[1:2], file=sys.stderr)
            failed.append(spec)
            continue
        seconds[spec] = round(secs, 1)
        if ns.save:
            Path(ns.save).mkdir(parents=True, exist_ok=True)
            (Path(ns.save) / (spec.replace("/", "_").replace(":", "__").replace(",", "+") + ".json")).write_text(
                json.dumps(report, indent=1))
        rows += rows_of(spec, report)
    for item in ns.report:
        name, _, file = item.rpartition("=")
        rows += rows_of(name or file, json.loads(Path(file).read_text()))
    errs = [abs(float(r["rel_error"])) for r in rows if r.get("rel_error") is not None]
    worst = max((r for r in rows if r.get("rel_error") is not None), key=lambda r: abs(float(r["rel_error"])),
                default=None)
    by_strategy = {}
    for strategy in sorted({str(r["strategy"]) for r in rows if r.get("rel_error") is not None}):
        mine = [abs(float(str(r["rel_error"]))) for r in rows
                if r["strategy"] == strategy and r.get("rel_error") is not None]
        by_strategy[strategy] = {"measured": len(mine), "median_abs_rel_error": round(statistics.median(mine), 4),
                                 "worst_abs_rel_error": round(max(mine), 4)}
    print(json.dumps({
        "top": ns.top, "failed_inputs": failed, "by_strategy": by_strategy, "seconds": seconds,
        "load_before": load_before,
        "load_after": load_avg(),
        "candidates": rows, "measured": len(errs),
        "median_abs_rel_error": round(statistics.median(errs), 4) if errs else None,
        "worst_abs_rel_error": round(max(errs), 4) if errs else None,
        "worst": {k: worst[k] for k in ("input", "id", "strategy")} if worst else None,
    }, indent=2))
    return 0 if rows or not inputs else 1


if __name__ == "__main__":
    sys.exit(main())
