"""Strategy goldens without a Go toolchain: each strategy on a Project replayed from tests/data/projects.

The recorded go list JSON, size tables and DCE reports (refresh with `python3 -m tests.record`) are
replayed over the fixture's sources (refactor.record.replay): no go command runs, and each test takes
milliseconds. The golden files are the ones the Go-building tests write, so both paths must agree.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

import pytest

from refactor.project import Needs, Project
from refactor.record import replay
from refactor.typed import parse_view, view_json
from strategies import ALL, dce_blockers, guard_with_tag, split_package
from strategies.split_package import SplitDetails
from tests.conftest import FIXTURES
from tests.goldens import dce_text, guard_text, proposals, split_text

DATA = Path(__file__).resolve().parent / "data" / "projects"


def recorded(name: str, fixture: str | None = None) -> Project:
    data = json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))
    return replay(data, FIXTURES / (fixture or name))


def test_replay_is_a_whole_frozen_project() -> None:
    project = recorded("blockers")
    assert project.needs == Needs.SUGGEST | Needs.TYPED and len(project.targets) == 5
    assert set(project.sizes) == set(project.dce) == set(project.typed) == set(project.targets)
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
    pytest.param("splittyped", split_package.STRATEGY, "split_package/splittyped.diff",
                 lambda c, r: split_text(c, r), id="splittyped"),
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


# -- the type-checked view, recorded: split decides with it, and falls back to names without it ------


def test_the_recorded_typed_view_round_trips() -> None:
    project = recorded("splittyped")
    (lite,) = project.targets
    view = project.typed[lite]
    assert view is not None and view.package("example.com/splittyped/internal/store") is not None
    again = parse_view(view_json(view))
    assert again.packages == view.packages and again.toolchain == view.toolchain


def _without_types(project: Project, why: str) -> Project:
    (lite,) = project.targets
    view = project.typed[lite]
    assert view is not None
    if why == "no view":  # as the loader leaves a target whose packages go list -export cannot list
        return replace(project, typed=MappingProxyType({lite: None}))
    store = "example.com/splittyped/internal/store"
    broken = replace(view.packages[store], ok=False, errors=("internal/store/cache.go:1:1: broken",))
    return replace(project, typed=MappingProxyType({lite: replace(
        view, packages=MappingProxyType({**view.packages, store: broken}))}))


@pytest.mark.parametrize("why", ["no view", "does not type-check"])
def test_split_falls_back_to_names_and_says_so(why: str) -> None:
    """Without a usable typed view for store the name model decides, as before: its same-named
    unexported fields refuse both splits again, and the refusals say the references were resolved by
    name. The other packages keep their types."""
    project = _without_types(recorded("splittyped"), why)
    cands, refusals = proposals(split_package.STRATEGY, project)
    store = [r.reason for r in refusals if "/store ->" in r.summary]
    assert len(store) == 2 and all("id, key" in r and "resolved by name" in r for r in store), store
    text = "could not be listed with export data" if why == "no view" else "does not type-check"
    assert all(text in r for r in store), store
    details = {c.details.package: c.details.resolution for c in cands if isinstance(c.details, SplitDetails)}
    expect = "names" if why == "no view" else "types"
    assert details.get("example.com/splittyped/internal/report") == expect
    for c in cands:
        assert isinstance(c.details, SplitDetails)
        assert (c.details.resolution == "names") == ("resolved by name" in c.explanation)


def test_name_fallback_still_refuses_a_literal_of_a_moved_type() -> None:
    """By name, code left in P that names a moved type and one of its unexported fields is taken for a
    literal setting it: the light split of job is refused before verification, not proposed broken."""
    project = _without_types(recorded("splittyped"), "no view")
    cands, refusals = proposals(split_package.STRATEGY, project)
    assert not any("/job" in c.summary for c in cands)
    light = [r.reason for r in refusals if "/job ->" in r.summary and "light" in r.summary]
    assert light and "FromXML (internal/job/feed.go:17:28) sets id of Job" in light[0], light


def test_types_resolve_what_names_refuse() -> None:
    """The same recorded fixture with types: store splits both ways, with resolution "types"."""
    cands, refusals = proposals(split_package.STRATEGY, recorded("splittyped"))
    store = [c for c in cands if isinstance(c.details, SplitDetails)
             and c.details.package == "example.com/splittyped/internal/store"]
    assert {c.details.direction.value for c in store if isinstance(c.details, SplitDetails)} == {"light", "heavy"}
    assert all(isinstance(c.details, SplitDetails) and c.details.for_json()["resolution"] == "types" for c in store)
    assert not any("/store ->" in r.summary for r in refusals)


def test_split_by_name_decides_as_before_types(golden: Callable[[str, str], None]) -> None:
    """The name fallback is the split of before the typed view, word for word, plus the sentence that
    says so (compare split-names.diff with split.diff: the go/importer heavy split is refused there)."""
    cands, refusals = proposals(split_package.STRATEGY, _without_types(recorded("split"), "no view"))
    assert any("conf, fset" in r.reason for r in refusals)
    golden("split_package/split-names.diff", split_text(cands, refusals))


@pytest.mark.parametrize("name", ["guard", "blockers", "split"])
def test_warm_up_changes_no_proposal(name: str) -> None:
    """A strategy's warm-up (run while the targets link, without sizes) only moves work: the proposals
    after it are those of a cold propose, on every recorded project."""
    for strategy in ALL:
        cold = proposals(strategy, recorded(name))
        project = recorded(name)
        if strategy.warm is not None:
            strategy.warm(project)
        assert proposals(strategy, project) == cold, strategy.name


def test_every_strategy_is_read_on_first_use_and_reads_no_more_than_suggest_loads() -> None:
    """suggest loads Needs.SUGGEST for every strategy without importing them first (the links start
    before); an unknown name is refused at once, before anything is loaded."""
    import pytest

    from refactor.errors import UsageError
    from refactor.project import Needs
    from refactor.suggest import Later, strategies_later

    made: list[int] = []
    later = Later(lambda: made.append(1) or [3, 1, 2])
    assert made == []
    assert list(later) == [3, 1, 2] and later[0] == 3 and len(later) == 3 and made == [1]
    every, needs, warm, ahead = strategies_later(())
    assert needs == Needs.SUGGEST
    assert [s.name for s in every] == [s.name for s in ALL]
    assert all(s.needs & needs == s.needs for s in ALL)
    assert list(warm) == [s.warm for s in ALL if s.warm] and list(ahead) == [s.ahead for s in ALL if s.ahead]
    with pytest.raises(UsageError, match="unknown strategy"):
        strategies_later(("no-such",))
    chosen, needs, warm, _ = strategies_later(("split-package",))
    assert [s.name for s in chosen] == ["split-package"] and Needs.TYPED in needs
