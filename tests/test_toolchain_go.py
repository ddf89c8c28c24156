"""The user's toolchain: gotrim builds with the toolchain the go command selects (GOTOOLCHAIN, go.mod's
`toolchain` and `go` lines) and names it; a toolchain that cannot be had is a one-line error.

The toolchain tests use a released toolchain already in the module cache (golang.org/toolchain@...),
else download go1.25.0 through the module proxy, and skip when neither is possible.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from refactor.cli import main
from refactor.errors import GotrimError
from refactor.toolchain import find_go, parse_version, select_toolchain

pytestmark = pytest.mark.go

FALLBACK = "go1.25.0"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def hello_module(root: Path, extra_gomod: str = "") -> Path:
    """A module with one tiny binary (few packages: a cold build with another toolchain stays short)."""
    (root / "cmd" / "hello").mkdir(parents=True)
    (root / "go.mod").write_text(f"module example.com/tc\n\ngo 1.22\n{extra_gomod}")
    (root / "cmd" / "hello" / "main.go").write_text(
        'package main\n\nimport "os"\n\nfunc main() { os.Stdout.WriteString("hello\\n") }\n')
    return root


def cached_toolchains() -> list[str]:
    """Released toolchains >= go1.22 other than the local one in the module cache, oldest first."""
    local = find_go()
    cache = subprocess.run([local.path, "env", "GOMODCACHE"], capture_output=True, text=True).stdout.strip()
    found = []
    for d in (Path(cache) / "golang.org").glob("toolchain@v0.0.1-go*"):
        m = re.match(r"toolchain@v0\.0\.1-(go\d+\.\d+\.\d+)\.", d.name)
        v = parse_version(m.group(1)) if m else None
        if m and v and v[:2] >= (1, 22) and v != local.version and (d / "bin" / "go").is_file():
            found.append((v, m.group(1)))
    return [name for _, name in sorted(found)]


def other_toolchain() -> str:
    """A released toolchain other than the local one: the newest in the module cache, else FALLBACK
    (selecting it downloads it)."""
    found = cached_toolchains()
    return found[-1] if found else FALLBACK


@pytest.fixture(scope="module")
def toolchain() -> str:
    """The other toolchain, obtained (skip with the reason when it cannot be)."""
    name = other_toolchain()
    probe = Path(os.environ.get("GOTRIM_CACHE_DIR", "/tmp"))
    env = dict(os.environ)
    try:
        os.environ["GOTOOLCHAIN"] = name
        select_toolchain(find_go(), probe)
    except GotrimError as exc:
        pytest.skip(f"{name} cannot be obtained here: {exc}")
    finally:
        os.environ.clear()
        os.environ.update(env)
    return name


def kept_binary_version(name: str) -> str:
    """`go version` of the binary `gotrim size` kept for a target named name."""
    builds = Path(os.environ["GOTRIM_CACHE_DIR"]) / "builds"
    exe = max(builds.glob(f"*/{name}"), key=lambda p: p.stat().st_mtime)
    out = subprocess.run([find_go().path, "version", str(exe)], capture_output=True, text=True).stdout
    return out.split(": ", 1)[1].strip()


def test_gotoolchain_selects_the_toolchain_that_builds_and_is_named(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, toolchain: str) -> None:
    mod = hello_module(tmp_path / "m")
    monkeypatch.setenv("GOTOOLCHAIN", toolchain)
    code, out, err = run(capsys, "size", str(mod), "--json")
    assert code == 0, err
    (doc,) = json.loads(out)
    assert doc["go_version"] == toolchain
    assert kept_binary_version("hello") == toolchain  # the binary gotrim measured was built by it


def test_go_mod_toolchain_line_is_honoured(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                           tmp_path: Path, toolchain: str) -> None:
    older = [t for t in cached_toolchains() if parse_version(t) < parse_version(toolchain)]  # type: ignore[operator]
    if not older:
        pytest.skip("needs two released toolchains in the module cache (a default and a newer toolchain line)")
    mod = hello_module(tmp_path / "m", f"\ntoolchain {toolchain}\n")
    # the default toolchain is the older one; go.mod's toolchain line asks for a newer one: the go command
    # switches up to it (GOTOOLCHAIN=<default>+auto, https://go.dev/doc/toolchain#select)
    monkeypatch.setenv("GOTOOLCHAIN", f"{older[-1]}+auto")
    code, out, err = run(capsys, "size", str(mod), "--json")
    assert code == 0, err
    assert json.loads(out)[0]["go_version"] == toolchain
    monkeypatch.setenv("GOTOOLCHAIN", older[-1])  # a fixed GOTOOLCHAIN ignores the toolchain line
    code, out, err = run(capsys, "size", str(mod), "--json")
    assert code == 0, err
    assert json.loads(out)[0]["go_version"] == older[-1]


def test_a_toolchain_that_cannot_be_obtained_is_a_one_line_error(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    mod = hello_module(tmp_path / "m")
    monkeypatch.setenv("GOTOOLCHAIN", "go1.99.0")
    monkeypatch.setenv("GOPROXY", "off")
    code, _, err = run(capsys, "why", "os", str(mod))
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error:"), err
    assert "go1.99.0" in lines[0] and "GOTOOLCHAIN=local" in lines[0]


def test_a_go_line_newer_than_the_local_toolchain_with_gotoolchain_local(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    mod = hello_module(tmp_path / "m")
    (mod / "go.mod").write_text("module example.com/tc\n\ngo 1.99\n")
    monkeypatch.setenv("GOTOOLCHAIN", "local")
    code, _, err = run(capsys, "why", "os", str(mod))
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2 and len(lines) == 1 and "requires go >= 1.99" in lines[0], err
    assert "GOTOOLCHAIN=auto" in lines[0]
