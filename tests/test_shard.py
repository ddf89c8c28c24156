"""Sharded runs and `gotrim merge` (issue 22).

Without Go: the partition, the part codec, merging parts written from recorded Projects
(tests/data/projects) against the unsharded result of the same Project, and every refusal of bad
input. With Go (one test): a fixture with 2 mains x 2 platforms, `suggest --json` and `size --json`
unsharded against `--shard 1/2` + `--shard 2/2` merged, byte for byte.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from refactor import report
from refactor.config import Target
from refactor.graph import Package
from refactor.measure import Measurement, Step, TargetResult
from refactor.merge import Part, combine, merge_size, merge_suggest
from refactor.project import Project
from refactor.record import replay
from refactor.shard import FactsWriter, Run, Shard, chosen, decode, encode, header, partition
from refactor.suggest import filtered, propose_all, strategies_named
from refactor.toolchain import Go
from tests.test_cli import assert_one_line_error, run

DATA = Path(__file__).resolve().parent / "data" / "projects"
needs_gofmt = pytest.mark.skipif(shutil.which("gofmt") is None and not os.environ.get("GOROOT"),
                                 reason="suggest gofmts the plans it proposes")


def _targets() -> list[Target]:
    mains = [f"example.com/m/cmd/{n}" for n in ("a", "b", "c")]
    platforms = [("linux", "amd64"), ("linux", "arm64"), ("darwin", "arm64"), ("windows", "amd64")]
    return [Target(main=m, goos=o, goarch=a, tags=tags, cgo=False)
            for (o, a), tags, m in itertools.product(platforms, [(), ("netgo",)], mains)]


@pytest.mark.parametrize("count", [1, 2, 3, 5, 8, 24, 30])
def test_partition_covers_every_target_once_balanced(count: int) -> None:
    targets = _targets()
    shards = partition(targets, count)
    flat = [k for s in shards for k in s]
    assert sorted(flat) == list(range(len(targets)))
    sizes = [len(s) for s in shards]
    assert max(sizes) - min(sizes) <= 1


def test_partition_keeps_configurations_together_and_ignores_input_order() -> None:
    targets = _targets()  # 8 configurations of 3 mains
    by_shard = [{targets[k] for k in s} for s in partition(targets, 8)]
    for group in by_shard:  # 24 targets over 8 shards: one configuration each
        assert len({(t.goos, t.goarch, t.tags) for t in group}) == 1
    shuffled = list(reversed(targets))
    assert [{shuffled[k] for k in s} for s in partition(shuffled, 8)] == by_shard
    assert chosen(targets, Shard(3, 8)) == partition(targets, 8)[2]


@pytest.mark.parametrize("text", ["0/3", "4/3", "1/0", "x", "1/", "-1/2", "1.5/2"])
def test_bad_shard_options(text: str) -> None:
    from refactor.errors import UsageError

    with pytest.raises(UsageError, match="--shard"):
        Shard.parse(text)
    assert Shard.parse(" 2 / 3 ") == Shard(2, 3)


def test_codec_round_trips_the_dataclasses_parts_carry() -> None:
    pkg = Package(import_path="example.com/m/x", name="x", dir="/m/x", module="example.com/m", module_dir="/m",
                  standard=False, main_module=True, go_files=("a.go", "b.go"), cgo_files=(), ignored_go_files=("c.go",),
                  test_go_files=(), xtest_go_files=(), imports=("fmt",), import_map=(("old", "new"),), error=None)
    m = Measurement("abc1234", (Step("gofmt -l", True, 0.25), Step("go build", False, 1.0, "boom")),
                    (TargetResult("x linux/amd64", ("no_http",), 100, 40, 10, 4, ("net/http",), ()),), 3.5,
                    notes=("n",))
    for value in (pkg, m, _targets()[5]):
        data = json.loads(json.dumps(encode(value)))
        assert decode(type(value), data) == value


# ---------------------------------------------------------------------------------------------
# Parts written from recorded Projects (what facts_part writes after its builds)


def _recorded(name: str, root: Path) -> Project:
    return replay(json.loads((DATA / f"{name}.json").read_text(encoding="utf-8")), root)


def _parts(project: Project, root: Path, count: int, command: str, options: dict[str, Any],
           tmp: Path) -> list[Path]:
    paths = []
    for i in range(1, count + 1):
        shard = Shard(i, count)
        mine = chosen(project.targets, shard)
        writer = FactsWriter({"$MODULE": str(root)})
        doc = header(project.go, Run(command, shard, root, options), project.targets, env={})
        doc["loaded"] = list(mine)
        loaded = {str(k): writer.target(project, project.targets[k]) for k in mine}
        doc["facts"] = {"places": writer.places, "modules": writer.modules(project), "packages": writer.packages,
                        "targets": loaded}
        path = tmp / f"{command}-{i}.json"
        path.write_text(json.dumps(doc), encoding="utf-8")
        paths.append(path)
    return paths


def _read(paths: list[Path]) -> list[Part]:
    return [Part(p, json.loads(p.read_text(encoding="utf-8"))) for p in paths]


SUGGEST_OPTIONS = {"strategies": ["split-package", "guard-with-tag", "dce-blockers"], "new_package_names": {},
                   "guard_tags": {}, "min_bytes": 0, "top": None, "format": "json", "verbose": True}


@needs_gofmt
@pytest.mark.parametrize(("name", "count"), [("blockers", 3), ("guard", 2), ("blockers", 7)])
def test_merged_suggest_parts_give_the_unsharded_report(name: str, count: int, tmp_path: Path,
                                                        fixture_repo: Callable[[str], Path]) -> None:
    root = fixture_repo(name)
    project = _recorded(name, root)
    found = propose_all(project, strategies_named(()))
    assert found.candidates  # something to merge and rank
    paths = _parts(project, root, count, "suggest", SUGGEST_OPTIONS, tmp_path)
    m = merge_suggest(_read(paths), root, None)
    for fmt in ("json", "markdown", "html"):
        want = report.render_suggestions(project, found, filtered(found, 0), {}, fmt=fmt, verbose=True)
        got = report.render_suggestions(m.project, m.found, m.shown, m.measurements, fmt=fmt, verbose=True)
        assert got == want, fmt
    assert report.candidate_table(m.project, m.shown, {}).rows == report.candidate_table(project, found.candidates,
                                                                                        {}).rows
    assert [c.id for c in m.shown] == [c.id for c in found.candidates]
    assert m.combined["candidates"] == [c.id for c in found.candidates]
    assert combine(_read(paths))["merged_from"] == count


def _measured(facts: dict[str, Any], root: Path, count: int, tmp: Path,
              skip: str | None = None, twice: str | None = None) -> list[Path]:
    """Parts as `suggest --measure --shard i/count --candidates facts` writes them (made-up steps)."""
    from refactor.merge import facts_digest
    from refactor.shard import chosen_candidates

    ids = list(facts["candidates"])
    targets = [t["main"] for t in facts["configuration"]["targets"]]
    paths = []
    for i in range(1, count + 1):
        shard = Shard(i, count)
        mine = [cid for cid in chosen_candidates(ids, shard) if cid != skip] + ([twice] if twice and i == 2 else [])
        run_ = Run("measure", shard, root, {**SUGGEST_OPTIONS, "test": False})
        doc = header(Go(path="go", version=(1, 26, 8)), run_, [], extra={"facts": facts_digest(facts)}, env={})
        doc.update(go=facts["go"], candidates=ids, measured=mine, measurements={
            cid: encode(Measurement(cid, (Step("go build ./...", True, 0.5 + k),),
                                    (TargetResult(targets[0], (), 1000 + k, 400, 9, 3, ("net/http",), ()),), 2.0))
            for k, cid in enumerate(mine)})
        path = tmp / f"measured-{skip or twice or 'all'}{'+' if twice else ''}-{i}.json"
        path.write_text(json.dumps(doc), encoding="utf-8")
        paths.append(path)
    return paths


@needs_gofmt
def test_measured_parts_join_the_facts_they_measured(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                     fixture_repo: Callable[[str], Path]) -> None:
    root = fixture_repo("blockers")
    parts = _parts(_recorded("blockers", root), root, 3, "suggest", SUGGEST_OPTIONS, tmp_path)
    facts = tmp_path / "facts.json"
    code, unmeasured, err = run(capsys, "merge", "-C", str(root), "--combined", str(facts), *map(str, parts))
    assert code == 0, err
    doc = json.loads(facts.read_text(encoding="utf-8"))
    ids = doc["candidates"]
    assert len(ids) >= 2 and ids == [c["id"] for c in json.loads(unmeasured)["candidates"]]
    measured = _measured(doc, root, 2, tmp_path)
    code, out, err = run(capsys, "merge", "-C", str(root), str(facts), *map(str, measured))
    assert code == 0, err
    shown = json.loads(out)["candidates"]
    assert [c["id"] for c in shown] == ids and all(c["measurement"]["saved_bytes"] > 0 for c in shown)
    # the stage-1 parts stand for the facts file they were combined into
    code, again, err = run(capsys, "merge", "-C", str(root), *map(str, parts), *map(str, measured))
    assert code == 0 and again == out, err
    for bad, needle in ((_measured(doc, root, 2, tmp_path, skip=ids[0]), f"{ids[0]} not measured"),
                        (_measured(doc, root, 2, tmp_path, twice=ids[0]), f"candidate {ids[0]} is measured twice")):
        code, _, err = run(capsys, "merge", "-C", str(root), str(facts), *map(str, bad))
        assert_one_line_error(code, err, needle)
    other = _edit(facts, lambda d: d["facts"]["targets"]["0"]["size"].update(file_bytes=1))
    code, _, err = run(capsys, "merge", "-C", str(root), str(other), *map(str, measured))
    assert_one_line_error(code, err, "measured other facts")


def test_merged_size_parts_need_no_checkout(tmp_path: Path, fixture_repo: Callable[[str], Path]) -> None:
    root = fixture_repo("blockers")
    project = _recorded("blockers", root)
    paths = _parts(project, root, 2, "size", {"json": True, "by": "package", "top": 5}, tmp_path)
    shutil.rmtree(root)
    m = merge_size(_read(paths))
    assert m.targets == project.targets
    assert all(m.sizes[t] == project.sizes[t] for t in project.targets)


# ---------------------------------------------------------------------------------------------
# Bad input: one line, exit 2


@pytest.fixture
def size_parts(tmp_path: Path, fixture_repo: Callable[[str], Path]) -> list[Path]:
    root = fixture_repo("blockers")
    return _parts(_recorded("blockers", root), root, 3, "size", {"json": True, "by": "package", "top": 5},
                  tmp_path)


def _edit(path: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    doc = json.loads(path.read_text(encoding="utf-8"))
    change(doc)
    out = path.with_name("edited-" + path.name)
    out.write_text(json.dumps(doc), encoding="utf-8")
    return out


def test_merged_size_parts_print_what_size_prints(capsys: pytest.CaptureFixture[str], size_parts: list[Path]) -> None:
    code, out, err = run(capsys, "merge", *map(str, size_parts))
    assert code == 0, err
    docs = json.loads(out)
    assert [d["target"] for d in docs] == ["clean linux/amd64", "constname linux/amd64", "dispatch linux/amd64",
                                           "pluggable linux/amd64", "report linux/amd64"]
    for d in docs:  # --top 5, as the shards were given
        assert sum(r["kind"] == "package" and not r["name"].startswith("(") for r in d["rows"]) == 5


@pytest.mark.parametrize(("change", "needles"), [
    pytest.param(lambda d: d.update(head="0" * 40), ("different commits", "same commit"), id="head"),
    pytest.param(lambda d: d.update(tree="abc"), ("different working-tree states",), id="tree"),
    pytest.param(lambda d: d["gotrim"].update(version="9.9.9"), ("different gotrim versions", "9.9.9"),
                 id="gotrim"),
    pytest.param(lambda d: d.update(go="go1.22.1"), ("different Go toolchains", "go1.22.1"), id="go"),
    pytest.param(lambda d: d.update(config="f" * 64) or d["configuration"]["options"].update(top=9),
                 ("different configurations", "options top"), id="options"),
    pytest.param(lambda d: d.update(config="f" * 64) or d["configuration"]["targets"].pop(),
                 ("different configurations", "other targets: 5 vs 4"), id="targets"),
    pytest.param(lambda d: d["shard"].update(count=4), ("shard 1/3", "shard 2/4"), id="count"),
    pytest.param(lambda d: d["shard"].update(index=4), ("shard 4/3", "out of range"), id="range"),
    pytest.param(lambda d: d["shard"].update(index=1), ("shard 1/3 is given twice",), id="duplicate"),
    pytest.param(lambda d: d.update(command="check"), ("a size part", "a check part"), id="command"),
    pytest.param(lambda d: d.update(schema="gotrim.suggest/v1"), ("not a gotrim shard part",), id="schema"),
])
def test_merge_refuses_parts_of_different_runs(capsys: pytest.CaptureFixture[str], size_parts: list[Path],
                                               change: Callable[[dict[str, Any]], None],
                                               needles: tuple[str, ...]) -> None:
    second = _edit(size_parts[1], change)
    code, _, err = run(capsys, "merge", str(size_parts[0]), str(second), str(size_parts[2]))
    assert_one_line_error(code, err, *needles)


def test_merge_refuses_a_missing_shard(capsys: pytest.CaptureFixture[str], size_parts: list[Path]) -> None:
    code, _, err = run(capsys, "merge", str(size_parts[0]), str(size_parts[2]))
    assert_one_line_error(code, err, "shard 2 of 3 missing")


def test_merge_refuses_what_is_not_a_part(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "x.json"
    bad.write_text("{not json", encoding="utf-8")
    code, _, err = run(capsys, "merge", str(bad))
    assert_one_line_error(code, err, "x.json is not JSON")
    code, _, err = run(capsys, "merge", str(tmp_path / "missing.json"))
    assert_one_line_error(code, err, "cannot read")


def test_suggest_parts_are_merged_in_a_checkout_of_their_commit(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                                fixture_repo: Callable[[str], Path]) -> None:
    root = fixture_repo("guard")
    paths = _parts(_recorded("guard", root), root, 2, "suggest", SUGGEST_OPTIONS, tmp_path)
    (root / "NEW").write_text("x", encoding="utf-8")
    code, _, err = run(capsys, "merge", "-C", str(root), *map(str, paths))
    assert_one_line_error(code, err, "run merge in a checkout of that commit")


def test_measured_parts_need_their_facts(capsys: pytest.CaptureFixture[str], size_parts: list[Path]) -> None:
    measured = _edit(size_parts[0], lambda d: d.update(command="measure"))
    code, _, err = run(capsys, "merge", str(measured))
    assert_one_line_error(code, err, "--combined")
    code, _, err = run(capsys, "suggest", "--candidates", str(size_parts[0]))
    assert_one_line_error(code, err, "--candidates goes with --measure --shard")
    code, _, err = run(capsys, "size", "--jobs", "0")
    assert code == 2 and "--jobs" in err


def test_go_environment_keeps_gocacheprog(monkeypatch: pytest.MonkeyPatch) -> None:
    """GOCACHEPROG (Go >= 1.24) reaches every go command gotrim runs, untouched."""
    monkeypatch.setenv("GOCACHEPROG", "go-cache-plugin --cache-dir=/tmp/c --bucket=b")
    darwin = next(t for t in _targets() if t.goos == "darwin")
    env = Go(path="go", version=(1, 26, 0)).environ(darwin, {"GOFLAGS": "-mod=mod"})
    assert env["GOCACHEPROG"] == "go-cache-plugin --cache-dir=/tmp/c --bucket=b"
    assert env["GOOS"] == "darwin" and env["GOFLAGS"] == "-mod=mod"


@pytest.mark.go
def test_go_commands_see_gocacheprog(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from refactor.toolchain import find_go

    monkeypatch.setenv("GOCACHEPROG", "/usr/local/bin/some-cacheprog -v")
    go = find_go()
    assert go.run(["env", "GOCACHEPROG"], cwd=tmp_path).stdout.strip() == "/usr/local/bin/some-cacheprog -v"


# ---------------------------------------------------------------------------------------------
# With Go: the whole flow through the command line


@pytest.mark.go
def test_sharded_suggest_and_size_equal_the_unsharded_run(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                          fixture_repo: Callable[[str], Path]) -> None:
    root = fixture_repo("split")
    targets = ["-t", "./cmd/lite", "-t", "./cmd/full", "-p", "linux/amd64", "-p", "windows/amd64"]
    for command, extra in (("suggest", ["--min-bytes", "0", "--no-cache"]), ("size", ["--top", "8"])):
        code, whole, err = run(capsys, command, str(root), *targets, *extra, "--json")
        assert code == 0, err
        parts = []
        for i in (1, 2):
            part = tmp_path / f"{command}-{i}.json"
            code, _, err = run(capsys, command, str(root), *targets, *extra, "--json", "--shard", f"{i}/2",
                               "--jobs", "1", "-o", str(part))
            assert code == 0, err
            parts.append(str(part))
        loaded = [json.loads(Path(p).read_text(encoding="utf-8"))["loaded"] for p in parts]
        assert sorted(loaded[0] + loaded[1]) == [0, 1, 2, 3] and loaded[0] and loaded[1]
        code, merged, err = run(capsys, "merge", "-C", str(root), *parts)
        assert code == 0, err
        assert merged == whole, command
        if command == "suggest":
            doc = json.loads(whole)
            # a candidate for the same binary on both platforms (one in each shard), estimates summed
            assert any({t.split()[1] for t in c["targets"]} == {"linux/amd64", "windows/amd64"}
                       for c in doc["candidates"])
