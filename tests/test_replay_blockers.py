"""suggest's links run without -dumpdep: the reachability replay names what keeps method DCE off.
Checked against the linker's own -dumpdep stream on the fixtures, and the fallback when the replay fails."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from refactor.config import Settings, TargetSpec
from refactor.load import load
from refactor.project import Needs
from refactor.toolchain import find_go

pytestmark = pytest.mark.go


def _blocker(report: Any) -> tuple[bool, str | None]:
    b = report.reflect_blocker
    return report.method_dce, None if b is None else b.symbol


@pytest.mark.parametrize("name", ["blockers", "templates"])
def test_the_replay_names_the_blockers_the_stream_names(name: str, fixture_repo: Any) -> None:
    repo = fixture_repo(name)
    go = find_go()
    stream = load(go, Settings(root=repo), [TargetSpec()], Needs.DCE_REPORT)
    replayed = load(go, Settings(root=repo), [TargetSpec()], Needs.SUGGEST)
    off = 0
    for t in stream.targets:
        a, b = stream.dce[t], replayed.dce[t]
        assert a.dumpdep.lines > 0 and b.dumpdep.lines == 0, t.label  # b: no -dumpdep in the link
        assert _blocker(a) == _blocker(b), t.label
        assert a.dumpdep.flagged == b.dumpdep.flagged, t.label
        if a.reflect_blocker is not None:
            off += 1
            assert b.reflect_blocker is not None and b.reflect_blocker.chain[-1] == b.reflect_blocker.symbol
            # the replay floods the entry point's part first, as the linker marks: the same witness chain
            assert b.reflect_blocker.chain == a.reflect_blocker.chain, t.label
    assert off >= 2  # the fixtures have targets whose method DCE a reflect call keeps off


def test_a_failed_replay_falls_back_to_the_linker_stream(fixture_repo: Any, monkeypatch: pytest.MonkeyPatch,
                                                         tmp_path: Path) -> None:
    from refactor import estimate

    real = estimate.Replay.finish

    def broken(self: estimate.Replay) -> estimate.ReachModel | str:
        real(self)
        return "broken on purpose"

    monkeypatch.setattr(estimate.Replay, "finish", broken)
    repo = fixture_repo("blockers")
    project = load(find_go(), Settings(root=repo), [TargetSpec(mains=("./cmd/report",))], Needs.SUGGEST)
    (t,) = project.targets
    assert project.reach.get(t) is None
    report = project.dce[t]
    assert report.dumpdep.lines > 0  # the linker's own stream
    assert report.reflect_blocker is not None and report.reflect_blocker.symbol.startswith("text/template.")
    assert any("replay failed: broken on purpose" in n for n in project.sizes[t].notes)


def test_a_replay_that_starts_after_the_build_still_reads_its_archives(
        fixture_repo: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The link's importcfg names the archives of the packages the build compiled inside go's work
    directory: it stays until the replay is done, however late the replay (on a busy machine) gets
    to them."""
    import time
    import uuid

    from refactor import estimate

    repo = fixture_repo("blockers")
    main_go = next((repo / "cmd" / "report").glob("*.go"))
    # a main package no earlier build compiled: its archive is in the work directory only
    main_go.write_text(main_go.read_text() + f"\nconst buildTag{uuid.uuid4().hex} = 1\n")
    real = estimate.Replay.__init__

    def late(self: estimate.Replay, go: Any, graph: Any, target: Any, exe: Path, dynlink: bool) -> None:
        kept = exe.parent / f"{exe.name}.importcfg"  # copied when the build is over
        deadline = time.monotonic() + 120
        while not kept.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        real(self, go, graph, target, exe, dynlink)

    monkeypatch.setattr(estimate.Replay, "__init__", late)
    project = load(find_go(), Settings(root=repo), [TargetSpec(mains=("./cmd/report",))], Needs.SUGGEST)
    (t,) = project.targets
    assert project.reach.get(t) is not None, project.sizes[t].notes
    assert project.dce[t].reflect_blocker is not None


def test_the_replay_answers_without_waiting_for_the_build_to_end(fixture_repo: Any,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A link without -dumpdep gives the replay nothing more to read once it has the link's objects:
    it answers as soon as its model is made (decoded while the linker still writes), with its standard
    input still open (it then serves walks of the model on it)."""
    from refactor import estimate

    monkeypatch.setattr(estimate, "DEFAULT_TIMEOUT", 60.0)  # waiting for the input's end would time out
    repo = fixture_repo("blockers")
    project = load(find_go(), Settings(root=repo), [TargetSpec(mains=("./cmd/report",))], Needs.SUGGEST)
    (t,) = project.targets
    assert project.reach.get(t) is not None, project.sizes[t].notes
    assert project.dce[t].reflect_blocker is not None


def test_the_replay_serves_walks_of_its_model_as_python_walks_them(fixture_repo: Any) -> None:
    """The core that made a model answers its walks (walk.go) while gotrim proposes: the same marks and
    stops as ReachModel.walk's own, for cuts of every unit of the model; once it is gone, Python walks."""
    from refactor.estimate import Cut, Walks

    repo = fixture_repo("blockers")
    project = load(find_go(), Settings(root=repo), [TargetSpec(mains=("./cmd/report",))], Needs.SUGGEST)
    (t,) = project.targets
    model = project.reach[t]
    assert model is not None
    server = model._index.get("server")
    assert isinstance(server, Walks) and server.proc.poll() is None

    def in_python(cut: bytearray, variant: int, stop: Any = (), severed: Any = None) -> Any:
        model._index.pop("server")
        try:
            return model.walk(cut, variant, stop, severed)
        finally:
            model._index["server"] = server

    packages = sorted({u.partition("\t")[0] for u in model.units})
    cuts = [bytearray(model.nodes)] + [model.cut_marks(Cut.of([p])) for p in packages]
    for cut in cuts:
        for variant in range(len(model.graphs)):
            assert model.walk(cut, variant) == in_python(cut, variant)
            stop = list(model.flagged)
            assert model.walk(cut, variant, stop) == in_python(cut, variant, stop)
    # severed edges (Cut.sever): every edge out of the roots' first successors
    g = model.graphs[0]
    severed = {v: set(g.succ[v]) for r in g.roots for v in g.succ[r][:3] if g.succ[v]}
    assert severed
    for cut in cuts[:4]:
        got = model.walk(cut, 0, (), severed)
        assert got == in_python(cut, 0, (), severed) and got != model.walk(cut, 0)
    expected = in_python(cuts[1], 0)
    server.close()
    assert server.proc.poll() is not None
    assert model.walk(cuts[1], 0) == expected and "server" not in model._index  # the core is gone: walked here


def test_the_replay_makes_the_same_model_on_every_run(fixture_repo: Any) -> None:
    """The model's node numbers, condition nodes and AND edges do not depend on the order the replay's
    maps happen to iterate in: two runs over the same link give equal models (its size cache keeps one)."""
    import dataclasses

    repo = fixture_repo("templates")
    models = []
    for _ in range(2):
        project = load(find_go(), Settings(root=repo), [TargetSpec()], Needs.SUGGEST)
        models.append({t.label: None if (m := project.reach[t]) is None else
                       {f.name: getattr(m, f.name) for f in dataclasses.fields(m) if f.compare}
                       for t in project.targets})
    assert sum(m is not None and len(m["ands"]) > 8 for m in models[0].values()) >= 2  # method edges to order
    assert models[0] == models[1]
