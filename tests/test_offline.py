"""Strategy goldens without a Go toolchain: each strategy on a Project replayed from tests/data/projects.

The recorded go list JSON, size tables and DCE reports (refresh with `python3 -m tests.record`) are
replayed over the fixture's sources (refactor.record.replay): no go command runs, and each test takes
milliseconds. The golden files are the ones the Go-building tests write, so both paths must agree.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from refactor.project import Needs, Project
from refactor.record import replay
from strategies import ALL, dce_blockers, guard_with_tag, split_package
from tests.conftest import FIXTURES
from tests.goldens import dce_text, guard_text, proposals, split_text

DATA = Path(__file__).resolve().parent / "data" / "projects"


def recorded(name: str, fixture: str | None = None) -> Project:
    data = json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))
    return replay(data, FIXTURES / (fixture or name))


def test_replay_is_a_whole_frozen_project() -> None:
    project = recorded("blockers")
    assert project.needs == Needs.SUGGEST and len(project.targets) == 5
    assert set(project.sizes) == set(project.dce) == set(project.targets)
    with pytest.raises(TypeError):
        project.sizes[project.targets[0]] = project.sizes[project.targets[1]]  # type: ignore[index]
    by_name = {t.name: t for t in project.targets}
    assert project.dce[by_name["pluggable"]].dynlink.active and not project.dce[by_name["clean"]].dynlink.active
    assert "plugin" in project.graphs[by_name["pluggable"]].packages


@pytest.mark.parametrize(("name", "strategy", "golden_name", "text"), [
    pytest.param("split", split_package.STRATEGY, "split_package/split.diff", lambda c, r: split_text(c, r),
                 id="split"),
    pytest.param("splitcycle", split_package.STRATEGY, "split_package/splitcycle.diff",
                 lambda c, r: split_text(c, r), id="splitcycle"),
    pytest.param("nested", split_package.STRATEGY, "split_package/nested.diff", lambda c, r: split_text(c, r),
                 id="nested"),
    pytest.param("workspace", split_package.STRATEGY, "split_package/workspace.diff",
                 lambda c, r: split_text(c, r), id="workspace"),
    pytest.param("guard", guard_with_tag.STRATEGY, "guard_with_tag/guard.diff", lambda c, r: guard_text(c),
                 id="guard"),
    pytest.param("blockers", dce_blockers.STRATEGY, "dce_blockers/blockers.diff", lambda c, r: dce_text(c),
                 id="blockers"),
])
def test_golden_without_go(name: str, strategy: object, golden_name: str, text: Callable[..., str],
                           golden: Callable[[str, str], None]) -> None:
    project = recorded(name)
    start = time.perf_counter()
    cands, refusals = proposals(strategy, project)  # type: ignore[arg-type]
    assert time.perf_counter() - start < 10  # milliseconds on a quiet machine; a bound, not a benchmark
    golden(golden_name, text(cands, refusals))


def test_clean_gets_nothing_from_any_strategy() -> None:
    project = recorded("clean")
    for strategy in ALL:
        cands, _ = proposals(strategy, project)
        assert cands == [], strategy.name


def test_split_estimates_come_from_the_recorded_sizes() -> None:
    project = recorded("split")
    (lite,) = project.targets
    cands, _ = proposals(split_package.STRATEGY, project)
    top = cands[0]
    assert 0 < top.estimated_bytes < project.sizes[lite].file_bytes
    assert "go/types" in top.removes and "net/http" in top.removes
