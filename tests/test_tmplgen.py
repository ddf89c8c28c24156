"""The template -> Go generator of the typed view (refactor/typed/tmplgen): its Go tests run the real
text/template and html/template next to the generated code on generated data."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from refactor.toolchain import find_go

TYPED = Path(__file__).resolve().parent.parent / "refactor" / "typed"


@pytest.mark.go
def test_tmplgen_is_gofmt_and_vet_clean_and_passes_its_go_tests() -> None:
    go = find_go()
    gofmt = Path(go.path).with_name("gofmt")
    listed = subprocess.run([str(gofmt), "-l", "tmplgen"], cwd=TYPED, capture_output=True, text=True)
    assert listed.returncode == 0 and listed.stdout == "", listed.stdout + listed.stderr
    env = {**go.environ(), "GOFLAGS": "", "GOWORK": "off"}
    vet = subprocess.run([go.path, "vet", "./tmplgen/..."], cwd=TYPED, capture_output=True, text=True, env=env)
    assert vet.returncode == 0, vet.stderr
    test = subprocess.run([go.path, "test", "-count=1", "./tmplgen/..."], cwd=TYPED, capture_output=True,
                          text=True, env=env, timeout=1200)
    assert test.returncode == 0, test.stdout[-6000:] + test.stderr[-2000:]
