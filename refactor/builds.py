"""Target builds started early, so that the link (mostly one core) overlaps gotrim's own loading.

`gotrim size` needs two things per target: the build graph (`go list`) and the built binary. The
build does not depend on the graph, so it starts as soon as the targets are known and links while
`go list` runs and its JSON is parsed. At most `slots` builds run at once (a link of a big binary
takes gigabytes); the next one starts when a finished one is released.

With a cache directory, each target builds into a directory of its own under `<cache>/builds`
that is kept between runs: `go build -o` onto an up-to-date binary does not link again, and the
size cache knows the binary by its build ID, so a second `gotrim size` on unchanged code costs a
go list and a no-op go build. The KEEP_BUILDS most recently used directories stay, within
KEEP_BYTES; a directory another gotrim holds (a lock file) is built beside, in a temporary one.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from refactor import attribcore
from refactor.binary import build_args
from refactor.config import Target
from refactor.errors import GoError
from refactor.toolchain import DEFAULT_TIMEOUT, Go

KEEP_BUILDS = 16
KEEP_BYTES = 2 << 30  # and at most 2 GiB of them (the newest is kept whatever its size)
LINK_GIB = 4  # memory to allow per concurrent link (a 180 MB binary's link peaks at 2.2 GB)


def link_slots(cpus: int | None = None, ram_bytes: int | None = None) -> int:
    """How many builds to run at once: a link is mostly one core and gigabytes of memory, so half
    the CPUs, within LINK_GIB per link, and never fewer than two."""
    cpus = cpus if cpus is not None else (os.cpu_count() or 2)
    if ram_bytes is None:
        try:
            ram_bytes = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (AttributeError, ValueError, OSError):  # not POSIX: assume enough
            ram_bytes = 1 << 62
    return max(2, min(cpus // 2, ram_bytes // (LINK_GIB << 30)))


# below this per-process limit the collector stays as go sets it: a large link would collect more often
# than at GOGC=100 (its live heap past half the limit), or all the time (past the limit)
MIN_COLLECTOR_LIMIT = 2 << 30


def collector_env(go_version: tuple[int, int, int], ram_bytes: int | None = None,
                  cpus: int | None = None) -> dict[str, str]:
    """The environment of gotrim's own builds, links and go lists: the collector off below a memory limit
    (GOGC=off, GOMEMLIMIT: go1.19 and later).

    The linker keeps most of what it allocates, so its collections free little: off, bench/seed's link
    takes 0.25 CPU-s less (1.71 -> 1.62 s) for 100 MB more (787 MB), and suggest, whose work shares the
    cores with it, 0.075 s less; its go list 0.12 -> 0.08 CPU-s. A compile allocates much more than it
    keeps: off, a cold build of seed took 53 s instead of 70, but modernc.org/sqlite/lib's compile peaked
    at 1.7 GB instead of 0.66. So the limit is per process, for all of them at once: three quarters of
    the memory shared by the builds at once (link_slots) times the compiles each runs (one per CPU).
    Where that is below MIN_COLLECTOR_LIMIT (under ~11 GiB on two cores, or with many cores for little
    memory each), nothing changes; nor when the user sets GOGC or GOMEMLIMIT: their setting stands."""
    if "GOGC" in os.environ or "GOMEMLIMIT" in os.environ or go_version < (1, 19, 0):
        return {}
    if ram_bytes is None:
        try:
            ram_bytes = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (AttributeError, ValueError, OSError):  # not POSIX: leave go's settings
            return {}
    cpus = cpus if cpus is not None else (os.cpu_count() or 2)
    limit = ram_bytes * 3 // 4 // (link_slots(cpus, ram_bytes) * cpus)
    if limit < MIN_COLLECTOR_LIMIT:
        return {}
    return {"GOGC": "off", "GOMEMLIMIT": str(limit)}


def _lock(folder: Path) -> IO[bytes] | None:
    """An exclusive lock on folder (its `.lock` file), or None if another process holds it or
    locks are not available here."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no kept builds
        return None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        f = (folder / ".lock").open("wb")
    except OSError:
        return None
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        f.close()
        return None
    return f


def kept_folder(cache_dir: Path | None, kind: str, root: Path, target: Target, prefix: str
                ) -> tuple[Path, IO[bytes] | None]:
    """The folder of one target's builds of a kind (`builds`, `links`) under the cache, locked (the lock
    is returned: closing it releases the folder) and marked most recently used; or a new temporary one
    (lock None) when there is no cache or another gotrim holds that folder."""
    if cache_dir is not None:
        key = hashlib.sha256(f"{root.resolve()}\0{target!r}".encode()).hexdigest()[:20]
        kept = cache_dir / kind / key
        lock = _lock(kept)
        if lock is not None:
            with contextlib.suppress(OSError):
                os.utime(kept)  # most recently used
            return kept, lock
    return Path(tempfile.mkdtemp(prefix=prefix)), None


def _prune(builds: Path, keep: int, keep_bytes: int = KEEP_BYTES) -> None:
    """Remove the least recently used build directories beyond `keep` of them or `keep_bytes`
    (never a locked one)."""
    def used(d: Path) -> float:
        try:
            return d.stat().st_mtime
        except OSError:  # removed meanwhile
            return 0.0

    try:
        dirs = sorted((d for d in builds.iterdir() if d.is_dir()), key=used, reverse=True)
    except OSError:
        return
    total = 0
    for i, d in enumerate(dirs):
        try:
            total += sum(f.stat().st_size for f in d.iterdir() if f.is_file())
        except OSError:  # removed meanwhile (another gotrim's prune)
            continue
        if i == 0 or (i < keep and total <= keep_bytes):
            continue
        lock = _lock(d)
        if lock is not None:
            with lock:
                shutil.rmtree(d, ignore_errors=True)


class _Build:
    """One `go build` running in its own directory: a kept one under the cache, or a temporary one."""

    def __init__(self, go: Go, root: Path, target: Target, cache_dir: Path | None = None) -> None:
        self.target = target
        self.dir, self.lock = kept_folder(cache_dir, "builds", root, target, "gotrim-")
        self.out = self.dir / target.name
        self.argv = (go.path, *build_args(go, root, target, self.out.resolve()))
        self.stderr: IO[str] | None = None
        try:
            self.stderr = (self.dir / "go-build.stderr").open("w+", encoding="utf-8", errors="replace")
            # its own process group: stopping it stops its compilers and linker too, which would
            # otherwise go on writing into the run's temporary directory as it is removed
            self.proc = subprocess.Popen(self.argv, cwd=root, env=go.environ(target, collector_env(go.version)),
                                         stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=self.stderr,
                                         start_new_session=os.name == "posix")
        except OSError:
            self._remove()
            raise

    def wait(self, timeout: float) -> Path:
        """The built binary; GoError (with go's stderr) if the build failed or took too long."""
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            self._kill()
            raise GoError(f"`go build` took longer than {timeout:.0f}s", argv=self.argv) from exc
        if rc != 0:
            assert self.stderr is not None
            self.stderr.seek(0)
            raise GoError(f"go build {self.target.main} failed for {self.target.label}",
                          stderr=self.stderr.read(), argv=self.argv)
        return self.out

    def close(self) -> None:
        """Stop what still runs; remove a temporary directory, unlock a kept one."""
        if self.proc.poll() is None:
            self._kill()
        self._remove()

    def _kill(self) -> None:
        """The go command and every process of its group (compile, link)."""
        if os.name == "posix":
            with contextlib.suppress(OSError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.kill()
        self.proc.wait()

    def _remove(self) -> None:
        if self.stderr is not None:
            self.stderr.close()
        if self.lock is None:
            shutil.rmtree(self.dir, ignore_errors=True)
            return
        with contextlib.suppress(OSError):
            (self.dir / "go-build.stderr").unlink()
        self.lock.close()  # releases the lock
        self.lock = None


class BackgroundBuilds:
    """Builds of a project's targets, started ahead of need, at most `slots` at a time (link_slots()).

    Each target comes with the toolchain and module directory that build it (its module's context).
    """

    def __init__(self, targets: Sequence[tuple[Target, Go, Path]], *, slots: int | None = None,
                 cache_dir: Path | None = None) -> None:
        self.cache_dir = cache_dir
        self.where: dict[Target, tuple[Go, Path]] = {t: (go, root) for t, go, root in targets}
        for go in dict.fromkeys(go for go, _ in self.where.values()):
            attribcore.prepare(go)  # built once per toolchain: a first run builds it beside the link
        self.slots = max(1, slots if slots is not None else link_slots())
        self.queue: list[Target] = list(self.where)
        self.running: dict[Target, _Build] = {}
        self._fill()

    def _start(self, t: Target) -> _Build:
        go, root = self.where[t]
        return _Build(go, root, t, self.cache_dir)

    def _fill(self) -> None:
        while self.queue and len(self.running) < self.slots:
            t = self.queue.pop(0)
            self.running[t] = self._start(t)

    def retarget(self, targets: Sequence[tuple[Target, Go, Path]]) -> None:
        """The targets really wanted: builds of others (or of the same target in another context)
        stop, missing ones are queued in order."""
        wanted = {t: (go, root) for t, go, root in targets}
        for t in [t for t in self.running if wanted.get(t) != self.where.get(t)]:
            self.running.pop(t).close()
        self.where = wanted
        self.queue = [t for t in wanted if t not in self.running]
        self._fill()

    def has(self, target: Target) -> bool:
        return target in self.running or target in self.queue

    def wait(self, target: Target, timeout: float = DEFAULT_TIMEOUT) -> Path:
        """The target's binary (built, or started now if it was still queued); it stays until
        release(target)."""
        build = self.running.get(target)
        if build is None:
            self.queue.remove(target)
            build = self.running[target] = self._start(target)
        try:
            exe = build.wait(timeout)
        except BaseException:
            self.running.pop(target).close()
            raise
        return exe

    def release(self, target: Target) -> None:
        """Remove a finished target's build and start the next queued one."""
        build = self.running.pop(target, None)
        if build is not None:
            build.close()
        self._fill()

    def close(self) -> None:
        """Stop every build and remove every temporary directory (on error, interrupt, or when
        done); kept ones beyond KEEP_BUILDS go too."""
        self.queue.clear()
        for build in self.running.values():
            build.close()
        self.running.clear()
        if self.cache_dir is not None:
            _prune(self.cache_dir / "builds", KEEP_BUILDS)
