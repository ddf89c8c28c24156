"""Shared fixtures: fixture repos copied into a git repo in tmp_path, the go toolchain, goldens."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from refactor.project import Project

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixture_repos"
GOLDEN = Path(__file__).resolve().parent / "golden"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite tests/golden/ from the output")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if shutil.which("go") or os.environ.get("GOTRIM_GO"):
        return
    skip = pytest.mark.skip(reason="needs the Go toolchain on PATH")
    for item in items:
        if "go" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True, scope="session")
def _private_size_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests never read or fill the user's ~/.cache/gotrim. The compiled attribution core is built once
    for the whole run, in a folder every xdist worker shares (its build takes a lock)."""
    os.environ["GOTRIM_CACHE_DIR"] = str(tmp_path_factory.mktemp("gotrim-cache"))
    os.environ["GOTRIM_TOOLS_DIR"] = str(tmp_path_factory.getbasetemp().parent / "gotrim-tools")


@pytest.fixture(autouse=True, scope="session")
def _git_identity() -> None:
    """apply commits as `git commit` would, with the user's identity: tests give one where the machine
    has none."""
    for key, value in (("GIT_AUTHOR_NAME", "t"), ("GIT_AUTHOR_EMAIL", "t@example.invalid"),
                       ("GIT_COMMITTER_NAME", "t"), ("GIT_COMMITTER_EMAIL", "t@example.invalid")):
        os.environ.setdefault(key, value)


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden")) or os.environ.get("GOTRIM_UPDATE_GOLDEN") == "1"


@pytest.fixture
def golden(update_golden: bool) -> Callable[[str, str], None]:
    """Compare text with tests/golden/<name>, or rewrite it with --update-golden."""
    def check(name: str, text: str) -> None:
        path = GOLDEN / name
        if update_golden or not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            if not update_golden:
                pytest.fail(f"golden file {path} was missing and has been written; review and commit it")
        assert text == path.read_text(encoding="utf-8"), f"output differs from {path} (--update-golden)"
    return check


def git(cwd: Path, *args: str) -> str:
    """Run git with a fixed identity, return stdout."""
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def fixture_repo(tmp_path: Path) -> Callable[[str], Path]:
    """Copy fixture_repos/<name> into tmp_path as a fresh git repository with one commit."""
    def make(name: str) -> Path:
        dst = tmp_path / name
        shutil.copytree(FIXTURES / name, dst)
        git(dst, "init", "-q", "-b", "main")
        git(dst, "add", "-A")
        git(dst, "commit", "-q", "-m", "fixture")
        return dst
    return make


def unsized(project: Project) -> Project:
    """The project with an empty size table per target (every estimate 0), as strategies read it when
    a test does not want to build the binaries."""
    import types
    from dataclasses import replace

    from refactor.binary import SizeTable
    from refactor.project import Needs

    return replace(project, sizes=types.MappingProxyType({t: SizeTable(file_bytes=0) for t in project.targets}),
                   needs=project.needs | Needs.SIZES)
