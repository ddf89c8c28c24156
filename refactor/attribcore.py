"""gotrim's compiled attribution core: the Go program in refactor/attrib, built once per Go toolchain.

Attributing a binary means reading every symbol, every pclntab function record and every runtime type
descriptor of it: hundreds of thousands of small records, about 0.9 s of CPU in Python for a 40 MB
binary against 0.1 s in Go. So that walk is a small Go program (standard library only) that gotrim
builds with the user's own `go` the first time it is needed (refactor.gotools: the tools folder, a
digest of its sources and of the toolchain, a lock, pruning).
"""

from __future__ import annotations

from pathlib import Path

from refactor import gotools
from refactor.gotools import tools_dir
from refactor.toolchain import Go

__all__ = ["SOURCE", "KEEP", "executable", "prepare", "tools_dir"]

SOURCE = Path(__file__).resolve().parent / "attrib"
KEEP = gotools.KEEP
_built: dict[tuple[str, str], Path] = {}  # (go path, tools folder) -> executable, in this process


def _tool() -> gotools.GoTool:
    return gotools.GoTool("attrib", SOURCE, "gotrim's attribution core", "refactor/attrib", KEEP)


def executable(go: Go) -> Path:
    """The attribution core for this toolchain, built now if it is not yet (GoError if that fails)."""
    return gotools.executable(_tool(), go, _built)


def prepare(go: Go) -> None:
    """Build the core in the background if it is missing (a first run hides it under its own link)."""
    gotools.prepare(_tool(), go, _built)
