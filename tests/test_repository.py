"""A repository, not one module: discovery of modules and contexts, target patterns across modules, the
source index over every module, go.work and go.mod parsing, toolchain pinning. No go command runs here."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from refactor.errors import UsageError
from refactor.load import module_links, source_index
from refactor.repository import (
    Repository,
    discover,
    gowork_for,
    local_replacements,
    module_path,
    workspace_uses,
)
from refactor.sources import SourceIndex
from refactor.toolchain import Go, ToolchainError, _selection_error
from refactor.workspace import relocate_gowork

LAUNCHER = Go(path="/nonexistent/bin/go", version=(1, 26, 0))  # discovery runs no go command


@pytest.fixture(autouse=True)
def _no_gowork(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOWORK", raising=False)


@pytest.fixture
def nested(fixture_repo: Callable[[str], Path]) -> Path:
    return fixture_repo("nested")


@pytest.fixture
def workspace(fixture_repo: Callable[[str], Path]) -> Path:
    return fixture_repo("workspace")


def test_nested_modules_are_found_with_their_own_context(nested: Path) -> None:
    repo = discover(LAUNCHER, nested)
    assert repo.top == nested.resolve()
    assert [(m.path, repo.rel(m.dir), m.workspace) for m in repo.modules] == [
        ("example.com/nested", "", None), ("example.com/nested/tools", "tools", None)]
    assert [m.path for m in repo.scope()] == ["example.com/nested", "example.com/nested/tools"]
    assert len({m.context_key for m in repo.modules}) == 2  # each module on its own
    # REPO inside the nested module: the module it is in (and those below) are the default targets,
    # but the top (and Plan paths) stay the repository's
    inner = discover(LAUNCHER, nested / "tools" / "cmd")
    assert inner.top == nested.resolve()
    assert [m.path for m in inner.scope()] == ["example.com/nested/tools"]
    assert inner.modules[0].path == "example.com/nested/tools"


def test_vendor_testdata_and_dot_directories_hold_no_modules(nested: Path) -> None:
    for d in ("vendor/example.com/x", "testdata/mod", ".cache/mod", "_old"):
        (nested / d).mkdir(parents=True)
        (nested / d / "go.mod").write_text("module example.com/skip\n\ngo 1.22\n")
    (nested / "broken").mkdir()
    (nested / "broken" / "go.mod").write_text("go 1.22\n")  # no module line: go rejects it too
    assert [m.path for m in discover(LAUNCHER, nested).modules] == ["example.com/nested", "example.com/nested/tools"]


def test_workspace_modules_share_one_context(workspace: Path) -> None:
    repo = discover(LAUNCHER, workspace)
    work = (workspace / "go.work").resolve()
    assert [(m.path, repo.rel(m.dir), m.workspace) for m in repo.modules] == [
        ("example.com/wsapp", "app", work), ("example.com/wslib", "lib", work)]
    assert len({m.context_key for m in repo.modules}) == 1
    assert [m.path for m in repo.scope()] == ["example.com/wsapp", "example.com/wslib"]


def test_a_module_the_workspace_does_not_use_is_built_on_its_own(workspace: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    (workspace / "extra").mkdir()
    (workspace / "extra" / "go.mod").write_text("module example.com/extra\n\ngo 1.22\n")
    repo = discover(LAUNCHER, workspace)
    extra = next(m for m in repo.modules if m.path == "example.com/extra")
    assert extra.workspace is None and extra.context_key != repo.modules[0].context_key
    monkeypatch.setenv("GOWORK", "off")  # GOWORK as the go command reads it: off means no workspace
    assert all(m.workspace is None for m in discover(LAUNCHER, workspace).modules)
    assert gowork_for(workspace / "app") is None


def test_target_patterns_name_packages_of_any_module(nested: Path) -> None:
    repo = discover(LAUNCHER, nested)

    def where(*patterns: str) -> list[tuple[str, list[str]]]:
        return [(m.path, ps) for m, ps in repo.locate(patterns)]

    assert where("./tools/cmd/lite") == [("example.com/nested/tools", ["./cmd/lite"])]
    assert where("./cmd/server", "example.com/nested/util") == [
        ("example.com/nested", ["./cmd/server", "example.com/nested/util"])]
    assert where("example.com/nested/tools/cmd/lite") == [
        ("example.com/nested/tools", ["example.com/nested/tools/cmd/lite"])]
    # ./... covers the nested modules too (go's own ./... stops at them), each in its own context
    assert where("./...") == [("example.com/nested", ["./..."]), ("example.com/nested/tools", ["./..."])]
    assert where("./tools/...") == [("example.com/nested/tools", ["./..."])]
    assert where("./cmd/...") == [("example.com/nested", ["./cmd/..."])]
    assert where() == [("example.com/nested", []), ("example.com/nested/tools", [])]
    with pytest.raises(UsageError, match="not inside a Go module"):
        repo.locate(["../elsewhere"])
    # gotrim.toml and budgets name targets the same way
    assert repo.import_pattern("./tools/cmd/lite") == "example.com/nested/tools/cmd/lite"
    assert repo.import_pattern("./tools/...") == "example.com/nested/tools/..."
    assert repo.import_pattern("./cmd/server") == "example.com/nested/cmd/server"
    assert repo.pattern_for("example.com/nested/tools/cmd/lite") == "./tools/cmd/lite"
    assert repo.pattern_for("example.com/nested") == "."
    assert repo.pattern_for("golang.org/x/tools/cmd/stringer") == "golang.org/x/tools/cmd/stringer"


def test_no_module_anywhere_is_a_usage_error(tmp_path: Path) -> None:
    repo = discover(LAUNCHER, tmp_path)
    with pytest.raises(UsageError, match="not inside a Go module and has none below it"):
        repo.locate([])


def test_source_index_covers_every_module_with_top_relative_paths(nested: Path) -> None:
    repo = discover(LAUNCHER, nested)
    index = source_index(repo, repo.modules, {}, 26)
    assert "tools/cmd/lite/main.go" in index.files and "util/greeting.go" in index.files
    assert index.import_path("tools/cmd/lite") == "example.com/nested/tools/cmd/lite"
    assert index.import_path("util") == "example.com/nested/util"
    assert index.dir_of("example.com/nested/tools/cmd/lite") == "tools/cmd/lite"
    assert index.dir_of("example.com/nested/util") == "util"
    importers = {f.path for f in index.importers("example.com/nested/util")}
    assert importers == {"cmd/server/main.go", "tools/cmd/lite/main.go"}


def test_a_module_that_requires_a_published_version_is_not_an_importer(nested: Path) -> None:
    (nested / "other").mkdir()
    (nested / "other" / "go.mod").write_text("module example.com/other\n\ngo 1.22\n\n"
                                             "require example.com/nested v1.0.0\n")
    (nested / "other" / "main.go").write_text('package main\n\nimport "example.com/nested/util"\n\n'
                                              "func main() { println(util.Greeting(\"\")) }\n")
    repo = discover(LAUNCHER, nested)
    links = module_links(repo.modules, repo.top)
    assert links == {"": frozenset({""}), "other": frozenset({"other"}), "tools": frozenset({"", "tools"})}
    index = source_index(repo, repo.modules, {}, 26)
    importers = {f.path for f in index.importers("example.com/nested/util")}
    assert "other/main.go" not in importers and "tools/cmd/lite/main.go" in importers


def test_workspace_members_see_each_other(workspace: Path) -> None:
    repo = discover(LAUNCHER, workspace)
    assert module_links(repo.modules, repo.top) == {"app": frozenset({"app", "lib"}),
                                                     "lib": frozenset({"app", "lib"})}
    index = source_index(repo, repo.modules, {}, 26)
    assert {f.path for f in index.importers("example.com/wslib/report")} == {"app/cmd/app/main.go",
                                                                            "lib/cmd/serve/main.go"}


def test_one_module_index_is_unchanged(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "go.mod").write_text("module example.com/m\n")
    (tmp_path / "a" / "a.go").write_text("package a\n")
    index = SourceIndex.scan(tmp_path, "example.com/m")
    assert index.modules == (("", "example.com/m"),) and index.links is None
    assert index.import_path("a") == "example.com/m/a" and index.dir_of("example.com/other") is None


@pytest.mark.parametrize("text, expected", [
    ("module example.com/m\n", "example.com/m"),
    ('module "example.com/q" // quoted\n\ngo 1.22\n', "example.com/q"),
    ("// module example.com/not\nmodule  example.com/yes\n", "example.com/yes"),
    ("go 1.22\n", ""),
])
def test_module_path(tmp_path: Path, text: str, expected: str) -> None:
    (tmp_path / "go.mod").write_text(text)
    assert module_path(tmp_path / "go.mod") == expected


def test_replacements_and_uses(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text(
        "module example.com/m\n\nreplace example.com/a => ../a\nreplace example.com/b v1.2.0 => ./b // local\n"
        "replace (\n\texample.com/c => example.com/c v1.0.0\n\t\"example.com/d\" => /abs/d\n)\n")
    assert local_replacements(tmp_path / "go.mod") == [(tmp_path / "../a").resolve(), (tmp_path / "b").resolve(),
                                                      Path("/abs/d")]
    (tmp_path / "go.work").write_text("go 1.22\n\nuse ./x // one\nuse (\n\t./y\n\t\"../z\"\n)\n")
    assert workspace_uses(tmp_path / "go.work") == ((tmp_path / "x").resolve(), (tmp_path / "y").resolve(),
                                                    (tmp_path / "../z").resolve())


def test_gowork_copy_points_into_the_worktree() -> None:
    text = "go 1.22\n\nuse (\n\t./app\n\t./lib // the library\n)\nuse ../outside\n" \
           "replace example.com/x v1.0.0 => ./x\nreplace example.com/y => example.com/y v1.2.0\n"
    top, wt = Path("/src/repo"), Path("/tmp/wt")

    def move(p: Path) -> Path:
        return wt / p.relative_to(top) if top in p.parents else p
    out = relocate_gowork(text, top, move)
    assert "\t/tmp/wt/app\n" in out and "\t/tmp/wt/lib // the library\n" in out
    assert "use /src/outside\n" in out  # outside the repository: absolute, not moved
    assert "=> /tmp/wt/x\n" in out and "=> example.com/y v1.2.0\n" in out


def test_pinned_settings_win_over_the_users_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOTOOLCHAIN", "go1.99.0")
    monkeypatch.setenv("GOWORK", "/elsewhere/go.work")
    go = Go(path="/t/bin/go", version=(1, 25, 7), goroot="/t",
            env=(("GOROOT", "/t"), ("GOTOOLCHAIN", "local"), ("GOWORK", "/src/repo/go.work")))
    env = go.environ()
    assert (env["GOTOOLCHAIN"], env["GOROOT"], env["GOWORK"]) == ("local", "/t", "/src/repo/go.work")
    moved = go.relocated(Path("/src/repo"), Path("/tmp/wt"))
    assert moved.gowork == "/tmp/wt/go.work" and moved.version == go.version
    off = go.with_env(GOWORK="off")
    assert off.relocated(Path("/src/repo"), Path("/tmp/wt")) is off


def test_toolchain_errors_name_the_toolchain_and_what_to_do() -> None:
    err = _selection_error(LAUNCHER, Path("/r"), {"GOTOOLCHAIN": "go1.99.0"},
                           "go: downloading go1.99.0 (linux/amd64)\n"
                           "go: download go1.99.0 for linux/amd64: toolchain not available\n")
    assert isinstance(err, ToolchainError)
    text = str(err)
    assert "go1.99.0" in text and "GOTOOLCHAIN=go1.99.0" in text and "GOTOOLCHAIN=local" in text
    assert "\n" not in text
    err = _selection_error(LAUNCHER, Path("/r"), {}, "go: downloading go1.30.1 (linux/amd64)\n"
                           "go: download go1.30.1: golang.org/toolchain@v0.0.1-go1.30.1.linux-amd64: "
                           "dial tcp: lookup proxy: no such host\n")
    assert "go1.30.1" in str(err) and "toolchain line of go.mod/go.work" in str(err)
    bad = _selection_error(LAUNCHER, Path("/r"), {"GOTOOLCHAIN": "bash"}, 'go: invalid GOTOOLCHAIN "bash"\n')
    assert "invalid GOTOOLCHAIN" in str(bad) and "go1.25.0" in str(bad)


def test_repository_without_git_has_its_module_as_top(tmp_path: Path) -> None:
    shutil.copytree(Path(__file__).resolve().parent.parent / "fixture_repos" / "nested", tmp_path / "n")
    repo: Repository = discover(LAUNCHER, tmp_path / "n" / "tools")
    assert repo.top == (tmp_path / "n" / "tools").resolve()  # REPO is the module: the highest anchor
    assert [m.path for m in repo.modules] == ["example.com/nested/tools"]
