"""Kept build directories: pruned to the most recently used, never one another gotrim holds."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from refactor.builds import _lock, _prune


def test_prune_keeps_the_newest_and_the_locked(tmp_path: Path) -> None:
    builds = tmp_path / "builds"
    for i in range(5):
        (builds / f"b{i}").mkdir(parents=True)
        (builds / f"b{i}" / "bin").write_bytes(b"x")
    held = _lock(builds / "b0")  # the oldest (below), but in use
    assert held is not None
    for i in range(5):
        os.utime(builds / f"b{i}", (1000 + i, 1000 + i))
    assert _lock(builds / "b0") is None  # a second taker is refused, not blocked
    _prune(builds, keep=2)
    assert sorted(p.name for p in builds.iterdir()) == ["b0", "b3", "b4"]
    held.close()
    _prune(builds, keep=2)
    assert sorted(p.name for p in builds.iterdir()) == ["b3", "b4"]


def test_prune_keeps_within_a_byte_budget(tmp_path: Path) -> None:
    builds = tmp_path / "builds"
    for i in range(4):
        (builds / f"b{i}").mkdir(parents=True)
        (builds / f"b{i}" / "bin").write_bytes(b"x" * 1000)
        os.utime(builds / f"b{i}", (1000 + i, 1000 + i))
    _prune(builds, keep=16, keep_bytes=2500)  # room for two
    assert sorted(p.name for p in builds.iterdir()) == ["b2", "b3"]
    _prune(builds, keep=16, keep_bytes=10)  # the newest stays whatever its size
    assert sorted(p.name for p in builds.iterdir()) == ["b3"]


def test_prune_goes_on_past_a_folder_another_prune_removed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two gotrims prune the same cache (suggest's kept links, size's builds): a folder the other one
    removed between the listing and the look inside is skipped, not an internal error."""
    builds = tmp_path / "builds"
    for i in range(4):
        (builds / f"b{i}").mkdir(parents=True)
        (builds / f"b{i}" / "bin").write_bytes(b"x")
        os.utime(builds / f"b{i}", (1000 + i, 1000 + i))
    listed = Path.iterdir

    def iterdir(self: Path) -> Any:
        if self.name == "b2":
            raise FileNotFoundError(self)
        return listed(self)

    monkeypatch.setattr(Path, "iterdir", iterdir)
    _prune(builds, keep=1)
    monkeypatch.undo()
    assert sorted(p.name for p in builds.iterdir()) == ["b2", "b3"]


def test_link_slots_follow_cores_and_memory() -> None:
    from refactor.builds import link_slots

    gib = 1 << 30
    assert link_slots(cpus=2, ram_bytes=8 * gib) == 2  # this CI machine: never fewer than two
    assert link_slots(cpus=16, ram_bytes=64 * gib) == 8  # half the cores
    assert link_slots(cpus=16, ram_bytes=16 * gib) == 4  # 4 GiB per link
    assert link_slots(cpus=1, ram_bytes=1 * gib) == 2
    assert link_slots() >= 2


def test_gotrims_builds_collect_only_near_a_memory_limit_all_of_them_fit_in(monkeypatch: pytest.MonkeyPatch) -> None:
    """gotrim's own go commands run with the collector off below a per-process limit that lets every
    compile of every build at once stay within three quarters of the memory; small machines, a user's
    GOGC or GOMEMLIMIT, and toolchains before go1.19 (no GOMEMLIMIT) keep go's own collector."""
    from refactor.builds import MIN_COLLECTOR_LIMIT, collector_env, link_slots

    monkeypatch.delenv("GOGC", raising=False)
    monkeypatch.delenv("GOMEMLIMIT", raising=False)
    for ram_gib, cpus in ((24, 2), (64, 4), (256, 8)):
        ram = ram_gib << 30
        env = collector_env((1, 26, 0), ram, cpus)
        limit = int(env["GOMEMLIMIT"])
        assert env["GOGC"] == "off" and limit >= MIN_COLLECTOR_LIMIT
        assert limit * link_slots(cpus, ram) * cpus <= ram * 3 // 4
    assert collector_env((1, 26, 0), 8 << 30, 2) == {}  # a 2-core 8 GiB runner: as go sets it
    assert collector_env((1, 26, 0), 64 << 30, 16) == {}  # 8 builds of 16 compiles: 375 MiB each
    assert collector_env((1, 18, 10), 24 << 30, 2) == {}
    monkeypatch.setenv("GOGC", "50")
    assert collector_env((1, 26, 0), 24 << 30, 2) == {}
    monkeypatch.delenv("GOGC")
    monkeypatch.setenv("GOMEMLIMIT", "1GiB")
    assert collector_env((1, 26, 0), 24 << 30, 2) == {}
