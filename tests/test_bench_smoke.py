"""Smoke runs of every benchmark's entry point on its smallest input (fixture_repos/split, one run).

They check that each `python -m bench.NAME` exits 0 and prints the JSON keys bench/results.md is
written from, not the figures (timings vary with the machine's load). About 25 s on two cores.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.go


def run_bench(*args: str) -> dict:
    """Run `python -m bench...` from the repository root; its stdout must be one JSON document."""
    proc = subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    data: dict = json.loads(proc.stdout)
    return data


def test_commands_smoke() -> None:
    data = run_bench("bench.commands", "--smoke")
    assert data["runs"] == 1 and data["floor_median_s"] > 0
    assert set(data["commands"]) == {"why", "size", "suggest", "dce", "suggest_measure"}
    for row in data["commands"].values():
        assert {"median_s", "floor_s", "ratio_to_floor", "peak_rss_mib", "go_peak_rss_mib"} <= set(row)
    builds = data["commands"]["suggest_measure"]["builds"]
    assert builds["measured"] == 1 and builds["rebuilds"] >= 1 and builds["go_build_all"] >= 1


def test_accuracy_smoke() -> None:
    data = run_bench("bench.accuracy", "--smoke")
    assert data["measured"] >= 1 and data["median_abs_rel_error"] is not None
    row = data["candidates"][0]
    assert {"estimated_bytes", "measured_bytes", "rel_error", "verified"} <= set(row) and row["verified"]


def test_gsa_smoke() -> None:
    data = run_bench("bench.gsa", "--smoke")
    assert {"gotrim", "gsa", "gsa_source", "top"} <= set(data)
    assert data["gotrim"]["packages_bytes"] > 0 and len(data["top"]) == 20
    if data["gsa"] is not None:  # gsa could be installed or was given
        assert data["gsa"]["file_bytes"] == data["gotrim"]["file_bytes"]


def test_dce_smoke() -> None:
    data = run_bench("bench.bench_dce", str(ROOT / "fixture_repos" / "split"), "--main", "./cmd/lite", "--runs", "1")
    assert {"floor_seconds", "gotrim_seconds", "ratio_median", "gotrim_peak_rss_mib"} <= set(data)
