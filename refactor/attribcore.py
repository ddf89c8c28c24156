"""gotrim's compiled attribution core: the Go program in refactor/attrib, built once per Go toolchain.

Attributing a binary means reading every symbol, every pclntab function record and every runtime type
descriptor of it: hundreds of thousands of small records, about 0.9 s of CPU in Python for a 40 MB
binary against 0.1 s in Go. So that walk is a small Go program (standard library only) that gotrim
builds with the user's own `go` the first time it is needed, into the tools folder
($GOTRIM_TOOLS_DIR, else <cache>/tools), named by a digest of its sources and of the toolchain, so an
upgrade of either builds it again. Concurrent gotrim processes build it once (a lock); a failed build
is reported with go's stderr.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from refactor.config import default_cache_dir
from refactor.errors import GoError, GotrimError
from refactor.toolchain import Go

SOURCE = Path(__file__).resolve().parent / "attrib"
BUILD_TIMEOUT = 600.0
KEEP = 4  # builds kept in the tools folder (one per toolchain and gotrim version in use)
_built: dict[tuple[str, str], Path] = {}  # (go path, tools folder) -> executable, in this process
_mutex = threading.Lock()


def tools_dir() -> Path:
    """Where built helpers live: $GOTRIM_TOOLS_DIR, else the tools folder of gotrim's cache."""
    env = os.environ.get("GOTRIM_TOOLS_DIR")
    return Path(env) if env else default_cache_dir() / "tools"


def _digest(go: Go) -> str:
    if not (SOURCE / "go.mod").is_file():
        raise GotrimError(f"gotrim's attribution core sources are missing from {SOURCE}: reinstall gotrim")
    h = hashlib.sha256(f"{go.path}\0{go.version_text}\0".encode())
    for f in sorted(SOURCE.iterdir()):
        if f.suffix == ".go" or f.name == "go.mod":
            h.update(f.name.encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def _path(go: Go) -> Path:
    return tools_dir() / f"attrib-{_digest(go)}{'.exe' if sys.platform == 'win32' else ''}"


def executable(go: Go) -> Path:
    """The attribution core for this toolchain, built now if it is not yet (GoError if that fails)."""
    key = (go.path, str(tools_dir()))
    with _mutex:
        hit = _built.get(key)
        if hit is not None and hit.exists():
            return hit
        exe = _path(go)
        if not exe.exists():
            _build(go, exe)
        _built[key] = exe
        return exe


def prepare(go: Go) -> None:
    """Build the core in the background if it is missing (a first run hides it under its own link)."""
    try:
        missing = not _path(go).exists()
    except (OSError, GotrimError):
        return
    if missing:
        threading.Thread(target=_quietly, args=(go,), daemon=True).start()


def _quietly(go: Go) -> None:
    with contextlib.suppress(Exception):  # executable() reports the failure when it is needed
        executable(go)


def _build(go: Go, exe: Path) -> None:
    try:
        exe.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise GoError(f"cannot create {exe.parent} for gotrim's attribution core ({exc}); "
                      "set GOTRIM_TOOLS_DIR to a writable folder") from exc
    with _locked(exe.parent / ".lock"):
        if exe.exists():  # another process built it while this one waited
            return
        fd, tmp = tempfile.mkstemp(prefix=exe.name + ".", suffix=".tmp", dir=exe.parent)
        os.close(fd)
        # The user's settings for their own module must not reach this one: no GOFLAGS, no go.env
        # file, no workspace, the host platform, no cgo.
        env = {**os.environ, "GOTOOLCHAIN": "local", "GOENV": "off", "GOFLAGS": "", "GOWORK": "off",
               "GO111MODULE": "on", "CGO_ENABLED": "0", "GOOS": "", "GOARCH": ""}
        argv = (go.path, "build", "-trimpath", "-o", tmp, ".")
        try:
            proc = subprocess.run(argv, cwd=SOURCE, env=env, capture_output=True, text=True, errors="replace",
                                  timeout=BUILD_TIMEOUT)
            if proc.returncode != 0:
                raise GoError("building gotrim's attribution core (refactor/attrib) failed", stderr=proc.stderr,
                              argv=argv)
            os.replace(tmp, exe)
            _prune(exe.parent)
        except subprocess.TimeoutExpired as exc:
            raise GoError(f"building gotrim's attribution core took longer than {BUILD_TIMEOUT:.0f}s",
                          argv=argv) from exc
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _prune(folder: Path) -> None:
    """Keep the KEEP most recent builds; drop temporary files a killed build left over an hour ago."""
    import time

    with contextlib.suppress(OSError):
        now = time.time()
        for f in folder.glob("attrib-*.tmp"):
            if now - f.stat().st_mtime > 3600:
                f.unlink(missing_ok=True)
        built = sorted((f for f in folder.glob("attrib-*") if not f.name.endswith(".tmp")),
                       key=lambda f: f.stat().st_mtime, reverse=True)
        for old in built[KEEP:]:
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
