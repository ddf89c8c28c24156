"""suggest's analysis links are kept between runs (refactor.linkcache): a run whose link inputs did not
change links nothing and replays nothing, and says exactly what a run on an empty cache says."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest

from refactor.cli import main
from refactor.config import Settings, TargetSpec
from refactor.load import load
from refactor.project import Needs
from refactor.toolchain import find_go

pytestmark = pytest.mark.go


def _suggest(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, repo: Path, cache: Path) -> Any:
    monkeypatch.setenv("GOTRIM_CACHE_DIR", str(cache))
    assert main(["suggest", str(repo), "--no-cache", "--json", "-v"]) == 0
    return json.loads(capsys.readouterr().out)


def _kept(cache: Path) -> dict[str, int]:
    """Each kept binary -> its inode: a link writes a new file (go moves the linker's output into place),
    an up-to-date binary stays the same file (go only updates its time)."""
    return {p.name: p.stat().st_ino for p in (cache / "links").glob("*/*") if p.name != ".lock"}


def test_an_unchanged_link_is_not_linked_again_and_suggests_the_same(
        fixture_repo: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = fixture_repo("guard")
    cache = tmp_path / "cache"
    first = _suggest(capsys, monkeypatch, repo, cache)
    assert first["candidates"]
    linked = _kept(cache)
    assert sorted(linked) == ["agent", "server"]
    assert len(list((cache / "models").glob("*.model"))) == 2
    assert not [p for p in (cache / "links").rglob("*") if p.is_dir() and p.parent.parent == cache / "links"]

    again = _suggest(capsys, monkeypatch, repo, cache)
    assert again == first
    assert _kept(cache) == linked  # go found both binaries up to date: no link

    # a model lost (pruned, or a run killed before it saved it): its binary is linked again
    for model in (cache / "models").glob("*.model"):
        model.unlink()
    assert _suggest(capsys, monkeypatch, repo, cache) == first
    relinked = _kept(cache)
    assert all(relinked[n] != linked[n] for n in linked)

    # the agent's code changes: its link runs again, the server's does not, and the answer is what an
    # empty cache gives for the changed code
    main_go = repo / "cmd" / "agent" / "main.go"
    main_go.write_text(main_go.read_text() + '\nvar extra = []string{"a changed agent"}\n\nfunc init() { _ = extra }\n')
    changed = _suggest(capsys, monkeypatch, repo, cache)
    after = _kept(cache)
    assert after["agent"] != relinked["agent"] and after["server"] == relinked["server"]
    assert changed == _suggest(capsys, monkeypatch, repo, tmp_path / "empty-cache")
    assert changed["targets"] != first["targets"]  # (the agent's bytes moved)


def test_a_kept_model_is_served_and_walked_as_the_replay_walks_it(fixture_repo: Any, tmp_path: Path) -> None:
    """The model read back is the replay's (same nodes and weights), and the core serves its walks from
    the kept file with the same answers as Python's walk."""
    from refactor.estimate import Cut, Walks

    repo = fixture_repo("blockers")
    settings = Settings(root=repo, cache_dir=tmp_path / "cache")
    spec = [TargetSpec(mains=("./cmd/report",))]
    replayed = load(find_go(), settings, spec, Needs.SUGGEST)
    (t,) = replayed.targets
    exe = next((tmp_path / "cache" / "links").glob(f"*/{t.name}"))
    written = exe.stat().st_ino
    kept = load(find_go(), settings, spec, Needs.SUGGEST)
    assert exe.stat().st_ino == written  # not linked again
    a, b = replayed.reach[t], kept.reach[t]
    assert a is not None and b is not None and a is not b
    assert (a.units, a.graphs, a.weights, a.blockers) == (b.units, b.graphs, b.weights, b.blockers)
    assert replayed.dce[t].reflect_blocker == kept.dce[t].reflect_blocker
    assert replayed.sizes[t] == kept.sizes[t]
    server = b._index.get("server")
    assert isinstance(server, Walks) and server.proc.poll() is None
    for p in sorted({u.partition("\t")[0] for u in b.units}):
        cut = b.cut_marks(Cut.of([p]))
        served = b.walk(cut, 0, list(b.flagged))
        b._index.pop("server")
        assert served == b.walk(cut, 0, list(b.flagged)), p
        b._index["server"] = server
    server.close()


def test_without_a_cache_the_link_folder_is_removed(fixture_repo: Any, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a cache directory nothing is kept: the link's folder is a temporary one, removed."""
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    repo = fixture_repo("blockers")
    project = load(find_go(), Settings(root=repo), [TargetSpec(mains=("./cmd/report",))], Needs.SUGGEST)
    assert project.reach[project.targets[0]] is not None
    assert not list(temp.iterdir())
