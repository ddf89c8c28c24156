"""The installed package has every module, template and data file, and the Go sources of the
attribution core (a plain `pip install .`)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_carries_every_source_template_and_catalogue(tmp_path: Path) -> None:
    # Build from a clean copy: a stale build/ folder in the checkout would hide a missing package.
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "refactor", "strategies"):
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(path, src / name)
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
                           "-w", str(tmp_path), str(src)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    (wheel,) = tmp_path.glob("gotrim-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    wanted = {p.relative_to(ROOT).as_posix() for d in ("refactor", "strategies") for p in (ROOT / d).rglob("*")
              if p.is_file() and (p.suffix in (".py", ".j2", ".toml", ".go") or p.name == "go.mod")
              and "__pycache__" not in p.parts}
    assert wanted, "no sources found"
    assert "refactor/attrib/go.mod" in wanted and "refactor/attrib/main.go" in wanted
    assert wanted <= names, sorted(wanted - names)
