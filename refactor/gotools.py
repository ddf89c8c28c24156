"""Go helper programs shipped as source with gotrim (refactor/attrib, refactor/typed), built once per toolchain.

Each is a small module, standard library only, that gotrim builds with the toolchain of the module it
analyses (the one the go command selects there: refactor.toolchain) the first time it is needed, into
the tools folder ($GOTRIM_TOOLS_DIR, else <cache>/tools), named by a digest of its sources and of the
toolchain, so an upgrade of either builds it again. Concurrent gotrim processes build it once (a lock);
a failed build is reported with go's stderr; the KEEP most recent builds of each helper stay.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass
from pathlib import Path

from refactor.config import default_cache_dir
from refactor.errors import GoError, GotrimError
from refactor.toolchain import Go

BUILD_TIMEOUT = 600.0
KEEP = 4  # builds kept per helper (one per toolchain and gotrim version in use)
_mutex = threading.Lock()


@dataclass(frozen=True)
class GoTool:
    """One Go helper: executables are named `<name>-<digest>`; title and where name it in messages."""

    name: str
    source: Path
    title: str  # "gotrim's attribution core"
    where: str  # "refactor/attrib"
    keep: int = KEEP


def tools_dir() -> Path:
    """Where built helpers live: $GOTRIM_TOOLS_DIR, else the tools folder of gotrim's cache."""
    env = os.environ.get("GOTRIM_TOOLS_DIR")
    return Path(env) if env else default_cache_dir() / "tools"


def digest(tool: GoTool, go: Go) -> str:
    """A digest of the helper's sources (every .go file and go.mod, subpackages too) and of the toolchain."""
    if not (tool.source / "go.mod").is_file():
        raise GotrimError(f"{tool.title}'s sources are missing from {tool.source}: reinstall gotrim")
    h = hashlib.sha256(f"{go.path}\0{go.version_text}\0".encode())
    files = [f for f in tool.source.rglob("*") if f.is_file() and (f.suffix == ".go" or f.name == "go.mod")]
    for f in sorted(files, key=lambda f: f.relative_to(tool.source).as_posix()):
        h.update(f.relative_to(tool.source).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def built_path(tool: GoTool, go: Go) -> Path:
    """Where this toolchain's build of the helper is (or will be)."""
    return tools_dir() / f"{tool.name}-{digest(tool, go)}{'.exe' if sys.platform == 'win32' else ''}"


def executable(tool: GoTool, go: Go, built: MutableMapping[tuple[str, str], Path]) -> Path:
    """The helper for this toolchain, built now if it is not yet (GoError if that fails).

    built is the helper's memo in this process, keyed by (go path, tools folder).
    """
    key = (go.path, str(tools_dir()))
    with _mutex:
        hit = built.get(key)
        if hit is not None and hit.exists():
            return hit
        exe = built_path(tool, go)
        if not exe.exists():
            _build(tool, go, exe)
        built[key] = exe
        return exe


def prepare(tool: GoTool, go: Go, built: MutableMapping[tuple[str, str], Path]) -> None:
    """Build the helper in the background if it is missing (a first run hides it behind other work)."""
    try:
        missing = not built_path(tool, go).exists()
    except (OSError, GotrimError):
        return
    if missing:
        threading.Thread(target=_quietly, args=(tool, go, built), daemon=True).start()


def _quietly(tool: GoTool, go: Go, built: MutableMapping[tuple[str, str], Path]) -> None:
    with contextlib.suppress(Exception):  # executable() reports the failure when it is needed
        executable(tool, go, built)


def _build(tool: GoTool, go: Go, exe: Path) -> None:
    try:
        exe.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise GoError(f"cannot create {exe.parent} for {tool.title} ({exc}); "
                      "set GOTRIM_TOOLS_DIR to a writable folder") from exc
    with _locked(exe.parent / ".lock"):
        if exe.exists():  # another process built it while this one waited
            return
        fd, tmp = tempfile.mkstemp(prefix=exe.name + ".", suffix=".tmp", dir=exe.parent)
        os.close(fd)
        # The user's settings for their own module must not reach this one: no GOFLAGS, no go.env
        # file, no workspace, the host platform, no cgo.
        # The toolchain is the one given (its GOROOT pinned when it was selected for a module).
        # Its go work directory is in the tools folder, not in the command's run directory: a build
        # begun in the background (prepare) may still run when a failed command removes that directory
        # (go removes its work directory when it is done; _prune, one a killed build left).
        work = exe.parent / ".work"
        work.mkdir(exist_ok=True)
        env = {**go.environ(), "GOTOOLCHAIN": "local", "GOENV": "off", "GOFLAGS": "", "GOWORK": "off",
               "GO111MODULE": "on", "CGO_ENABLED": "0", "GOOS": "", "GOARCH": "", "TMPDIR": str(work),
               "GOTMPDIR": str(work)}
        # -buildvcs=false: gotrim's own sources may sit in a git checkout that git refuses to read
        # (another owner: "dubious ownership"), and a helper needs no VCS stamp
        argv = (go.path, "build", "-trimpath", "-buildvcs=false", "-o", tmp, ".")
        try:
            proc = subprocess.run(argv, cwd=tool.source, env=env, capture_output=True, text=True, errors="replace",
                                  timeout=BUILD_TIMEOUT)
            if proc.returncode != 0:
                raise GoError(f"building {tool.title} ({tool.where}) failed", stderr=proc.stderr, argv=argv)
            os.replace(tmp, exe)
            _prune(exe.parent, tool)
        except subprocess.TimeoutExpired as exc:
            raise GoError(f"building {tool.title} took longer than {BUILD_TIMEOUT:.0f}s", argv=argv) from exc
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _prune(folder: Path, tool: GoTool) -> None:
    """Keep the tool's most recent builds; drop temporary files a killed build left over an hour ago."""
    with contextlib.suppress(OSError):
        now = time.time()
        for f in folder.glob(f"{tool.name}-*.tmp"):
            if now - f.stat().st_mtime > 3600:
                f.unlink(missing_ok=True)
        for d in (folder / ".work").glob("go-build*"):
            if now - d.stat().st_mtime > 3600:
                shutil.rmtree(d, ignore_errors=True)
        built = sorted((f for f in folder.glob(f"{tool.name}-*") if not f.name.endswith(".tmp")),
                       key=lambda f: f.stat().st_mtime, reverse=True)
        for old in built[tool.keep:]:
            old.unlink(missing_ok=True)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on path, waiting for it (no locking where fcntl is missing)."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    with path.open("wb") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
