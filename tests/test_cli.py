"""The command line on bad input: one line, `error: ...`, exit status 2, no traceback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from refactor.cli import main
from refactor.config import load_specs, parse_platform, parse_tags
from refactor.errors import UsageError
from refactor.toolchain import parse_version

FIXTURES = Path(__file__).resolve().parent.parent / "fixture_repos"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_line_error(code: int, err: str, *needles: str) -> None:
    assert code == 2, err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), err
    for n in needles:
        assert n in lines[0]


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for cmd in ("suggest", "apply", "why", "size", "dce", "check", "diff"):
        assert cmd in out


def test_missing_go_is_a_usage_error(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOTRIM_GO", "/nonexistent/go")
    code, _, err = run(capsys, "why", "fmt", str(FIXTURES / "split"))
    assert_one_line_error(code, err, "/nonexistent/go")


@pytest.mark.parametrize("text, expected", [
    ("go1.26.6", (1, 26, 6)), ("go1.22", (1, 22, 0)), ("go1.23rc1", (1, 23, 0)), ("devel", None)])
def test_parse_version(text: str, expected: tuple[int, int, int] | None) -> None:
    assert parse_version(text) == expected


def test_platform_and_tags_are_validated() -> None:
    assert parse_platform("linux/arm64") == ("linux", "arm64")
    assert parse_tags("a, b,a c") == ("a", "b", "c")
    with pytest.raises(UsageError):
        parse_platform("linux")
    with pytest.raises(UsageError):
        parse_tags("bad-tag")


def test_gotrim_toml(tmp_path: Path) -> None:
    assert load_specs(tmp_path) is None
    (tmp_path / "gotrim.toml").write_text('[[target]]\nmain = "./cmd/a"\nplatforms = ["linux/amd64", "windows/arm64"]\n'
                                          'tags = ["x"]\ncgo = false\n')
    (spec,) = load_specs(tmp_path) or ()
    assert spec.mains == ("./cmd/a",) and spec.platforms == (("linux", "amd64"), ("windows", "arm64"))
    assert spec.tags == ("x",) and spec.cgo is False
    (tmp_path / "gotrim.toml").write_text('[[target]]\nmain = "./cmd/a"\ncolour = "red"\n')
    with pytest.raises(UsageError, match="unknown keys"):
        load_specs(tmp_path)
    (tmp_path / "gotrim.toml").write_text("[[target]\n")
    with pytest.raises(UsageError, match="not valid TOML"):
        load_specs(tmp_path)


@pytest.mark.go
def test_not_a_module(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "why", "fmt", str(tmp_path))
    assert_one_line_error(code, err, "not inside a Go module")


@pytest.mark.go
def test_not_a_directory(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "size", str(tmp_path / "nope"))
    assert code == 2 and "Traceback" not in err


@pytest.mark.go
def test_unknown_platform(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "why", "fmt", str(FIXTURES / "split"), "--platform", "linux/z80")
    assert_one_line_error(code, err, "linux/z80", "go tool dist list")


@pytest.mark.go
def test_target_that_is_not_main(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "why", "fmt", str(FIXTURES / "split"), "--target", "./internal/util")
    assert_one_line_error(code, err, "not a main package")


@pytest.mark.go
def test_package_that_does_not_build(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text("module example.com/broken\n\ngo 1.22\n")
    (tmp_path / "main.go").write_text('package main\n\nimport _ "example.com/nope"\n\nfunc main() {}\n')
    code, _, err = run(capsys, "why", "fmt", str(tmp_path))
    assert_one_line_error(code, err, "does not build", "example.com/nope")


@pytest.mark.go
def test_debug_shows_the_traceback(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "why", "fmt", str(tmp_path), "--debug")
    assert code == 2 and "Traceback" in err


def test_override_flags_are_key_value(capsys: pytest.CaptureFixture[str]) -> None:
    from refactor.config import parse_assignments

    assert parse_assignments(["a/b=c", " x = y "], "--f") == {"a/b": "c", "x": "y"}
    with pytest.raises(UsageError, match="not KEY=VALUE"):
        parse_assignments(["nope"], "--f")
    code, _, err = run(capsys, "suggest", str(FIXTURES / "split"), "--guard-tag", "x=bad-tag")
    assert_one_line_error(code, err, "bad-tag")


@pytest.mark.go
def test_size_of_a_non_main_target_leaves_no_build_behind(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    # size starts building the likely target before go list has said what it is
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    code, _, err = run(capsys, "size", str(FIXTURES / "split"), "--target", "./internal/util")
    assert_one_line_error(code, err, "not a main package")
    assert not list(tmp_path.iterdir())


@pytest.mark.go
def test_size_of_a_package_that_does_not_compile(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    repo, tmp = tmp_path / "repo", tmp_path / "tmp"
    repo.mkdir()
    tmp.mkdir()
    (repo / "go.mod").write_text("module example.com/broken\n\ngo 1.22\n")
    (repo / "main.go").write_text("package main\n\nfunc main() { undefinedFunction() }\n")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    code, _, err = run(capsys, "size", str(repo), "--target", ".", "--json")
    assert_one_line_error(code, err, "go build", "undefinedFunction")
    assert not list(tmp.iterdir())


@pytest.mark.go
def test_size_interrupted_leaves_no_build_behind(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    import refactor.binary as binary

    def interrupted(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    monkeypatch.setenv("GOTRIM_CACHE_DIR", str(tmp_path / "cache"))  # no size cached: it must attribute
    monkeypatch.setattr(binary, "_attribute", interrupted)
    (tmp_path / "tmp").mkdir()
    # two targets: one is waited for when Ctrl-C comes, the other still building or queued
    code, _, err = run(capsys, "size", str(FIXTURES / "split"), "-t", "./cmd/lite", "-t", "./cmd/full",
                       "--json")
    assert code == 130 and ("interrupted" in err or "aborted" in err)
    assert not list((tmp_path / "tmp").iterdir())


@pytest.mark.go
def test_size_keeps_its_build_and_links_again_only_after_a_change(
        capsys: pytest.CaptureFixture[str], fixture_repo: Callable[[str], Path], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    repo = fixture_repo("split")
    cache = tmp_path / "cache"
    monkeypatch.setenv("GOTRIM_CACHE_DIR", str(cache))
    code, first, _ = run(capsys, "size", str(repo), "-t", "./cmd/lite", "--json")
    assert code == 0
    [kept] = list((cache / "builds").glob("*/lite"))
    inode = kept.stat().st_ino
    code, again, _ = run(capsys, "size", str(repo), "-t", "./cmd/lite", "--json")
    assert code == 0 and again == first
    # go build found it up to date: it only touched the file (a link renames a new one into place)
    assert kept.stat().st_ino == inode
    main_go = repo / "cmd" / "lite" / "main.go"
    main_go.write_text(main_go.read_text() + '\nvar banner = "' + "x" * 50_000 + '"\n\n'
                       'func init() { println(len(banner)) }\n')
    code, changed, _ = run(capsys, "size", str(repo), "-t", "./cmd/lite", "--json")
    assert code == 0
    before, after = json.loads(first)[0]["size"], json.loads(changed)[0]["size"]
    assert after["file_bytes"] > before["file_bytes"] + 40_000  # the 50 kB string (layout shifts the rest)
    assert kept.stat().st_size == after["file_bytes"]


@pytest.mark.go
def test_readme_suggest_measure_with_progress(capsys: pytest.CaptureFixture[str],
                                              fixture_repo: Callable[[str], Path]) -> None:
    # The README's first command, with its table and progress bar (not --json): a rich Progress
    # must get a real Console, not gotrim's lazy stand-in.
    repo = fixture_repo("split")
    code, out, err = run(capsys, "suggest", str(repo), "--measure", "--top", "1", "-t", "./cmd/lite")
    assert code == 0, err
    assert "internal error" not in err and "✓" in out


@pytest.mark.go
def test_size_queues_targets_beyond_its_link_slots(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    import refactor.builds as builds

    started: list[str] = []
    real = builds._Build.__init__

    def recording(self: builds._Build, go: object, root: Path, target: object, cache_dir: Path | None = None
                  ) -> None:
        started.append(target.name)  # type: ignore[attr-defined]
        real(self, go, root, target, cache_dir)  # type: ignore[arg-type]

    monkeypatch.setattr(builds, "link_slots", lambda *args, **kwargs: 1)
    monkeypatch.setattr(builds._Build, "__init__", recording)
    monkeypatch.setenv("GOTRIM_CACHE_DIR", str(tmp_path / "cache"))
    code, out, err = run(capsys, "size", str(FIXTURES / "blockers"), "--json")
    assert code == 0, err
    names = [d["target"].split()[0] for d in json.loads(out)]
    assert names == ["clean", "constname", "dispatch", "pluggable", "report"]
    assert started == names  # queued in order, each started once


@pytest.mark.parametrize(("main", "name"), [
    ("example.com/m/cmd/agent", "agent"),
    ("github.com/mikefarah/yq/v4", "yq"),  # go build names it yq, not v4
    ("example.com/tool/v2/cmd/x", "x"),
    ("example.com/v1", "v1"),
    ("example.com/lib/v0", "v0"),
    ("example.com/x/v2a", "v2a"),
    ("v3", "v3"),
])
def test_binary_name_is_gos(main: str, name: str) -> None:
    from refactor.config import Target

    assert Target(main=main, goos="linux", goarch="amd64").name == name


@pytest.mark.go
def test_suggest_with_only_refusals_points_at_them(capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import refactor.suggest as suggest
    from refactor.candidate import Refusal

    root = Path(__file__).resolve().parent.parent / "fixture_repos" / "clean"
    refused = Refusal(strategy="dce-blockers", targets=(), summary="s", reason="r")
    monkeypatch.setattr(suggest, "load_cached", lambda *a, **k: None)  # (the first run's results are kept)
    monkeypatch.setattr(suggest, "suggestions",
                        lambda *a, **k: suggest.Suggestions((), (refused, refused), None))
    assert main(["suggest", str(root)]) == 0
    assert "no candidates; 2 changes considered and refused: -v says why" in capsys.readouterr().out
    monkeypatch.setattr(suggest, "suggestions", lambda *a, **k: suggest.Suggestions((), (), None))
    assert main(["suggest", str(root)]) == 0
    assert "nothing heavy is pulled in without need" in capsys.readouterr().out


@pytest.mark.go
def test_apply_of_a_listed_id_refused_now_says_why(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                                   fixture_repo: Callable[[str], Path]) -> None:
    """An id suggest listed before a rule that refuses it (tailscaled's 8ffd55a, after the every-run walk
    learnt loops) is not 'no such candidate: give the options suggest was given': apply says the change
    is refused now, and why."""
    import json

    import refactor.suggest as suggest
    from refactor.candidate import Refusal
    from refactor.gitstate import head_commit

    root = fixture_repo("clean")
    head = head_commit(root)
    assert head is not None
    path = suggest._listed_path(root, head)
    assert path is not None
    path.parent.mkdir(parents=True, exist_ok=True)
    summary = "guard wrap.go with -tags x_omit_checksum: drop example.com/checksum (1 package)"
    path.write_text(json.dumps({"version": suggest.LISTED_VERSION, "ids": {"8ffd55a": {
        "options": {}, "strategy": "guard-with-tag", "summary": f"{summary}; slim build loses Wrap",
        "files": ["wrap.go", "wrap_stub.go"]}}}))
    refused = Refusal("guard-with-tag", (), summary, "wrap.go: Wrap, WrapTAP: one of them is called on every run")
    monkeypatch.setattr(suggest, "load_cached", lambda *a, **k: None)  # (the first run's results are kept)
    monkeypatch.setattr(suggest, "suggestions", lambda *a, **k: suggest.Suggestions((), (refused,), head))
    code, _, err = run(capsys, "apply", "8ffd55a", str(root), "--dry-run")
    last = err.strip().splitlines()[-1]  # (after the load's progress lines)
    assert code == 2 and "Traceback" not in err and last.startswith("error: 8ffd55a was listed by `gotrim suggest "
                                                                      "no options`"), err
    assert last.endswith("it is refused now: wrap.go: Wrap, WrapTAP: one of them is called on every run"), err
    # another change under that summary's strategy is not taken for it
    monkeypatch.setattr(suggest, "suggestions", lambda *a, **k: suggest.Suggestions(
        (), (Refusal("split-package", (), summary, "r"),), head))
    code, _, err = run(capsys, "apply", "8ffd55a", str(root), "--dry-run")
    assert code == 2 and "there is no such candidate now" in err.strip().splitlines()[-1], err
