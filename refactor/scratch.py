"""gotrim's scratch space, its cleanup on SIGTERM, and the sweep of what killed gotrim processes left.

Every command runs with a temporary directory of its own, `gotrim-run-<pid>-<start>-<ns>-XXXX` in the
system's temporary directory, and makes every other temporary directory of the run inside it:
tempfile's default directory and TMPDIR point there for the command's duration, so the worktrees,
the -dumpdep and measurement directories, the smoke runs' homes and go's own work directories all
live under it. It is removed when the command ends, on error, Ctrl-C, and SIGTERM or SIGHUP (what
`timeout`, CI cancellation and systemd send): the handler stops gotrim's child processes and unwinds
like Ctrl-C, so every context manager cleans up.

The name says which process owns the directory: its pid, its start time (so that a reused pid is not
taken for the owner) and its pid namespace (a directory of another container's process, sharing
/tmp, is never judged). At every command start, the run directories of owners that no longer run
(kill -9, a crash, a power cut) are removed; the scratch worktrees they registered in a repository
are removed by refactor.workspace.prune_stale with the same test, at the start of every command
that reads a repository.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

SIGNALS = tuple(getattr(signal, n) for n in ("SIGTERM", "SIGHUP") if hasattr(signal, n))  # (no SIGHUP on Windows)
RUN_PREFIX = "gotrim-run-"
WORKTREE_PREFIX = "gotrim-wt-"  # refactor.workspace makes its worktrees at <tmp>/gotrim-wt-XXXX/wt
_RUN_NAME = re.compile(rf"^{re.escape(RUN_PREFIX)}(\d+)-(\d+)-(\d+)-")
OWNER = re.compile(r"gotrim pid (\d+)(?: start (\d+) ns (\d+))?")  # in a worktree's lock reason


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP arrived: unwind like Ctrl-C (every cleanup runs), then exit 128 + signal."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _proc_stat(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat after the command name (field 3 onwards), or None."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rfind(")") + 2:].split()


def start_time(pid: int) -> int:
    """When the process started (clock ticks since boot, /proc/PID/stat field 22); 0 when unknown."""
    fields = _proc_stat(pid)
    return int(fields[19]) if fields and len(fields) > 19 else 0


@functools.lru_cache(maxsize=1)
def pid_namespace() -> int:
    """The inode of this process's pid namespace; 0 when unknown (not Linux)."""
    try:
        return os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return 0


def owner() -> str:
    """`<pid>-<start>-<ns>` of this process."""
    return f"{os.getpid()}-{start_time(os.getpid())}-{pid_namespace()}"


def lock_reason() -> str:
    """The reason a scratch worktree is locked with: names this process (OWNER parses it)."""
    return f"gotrim pid {os.getpid()} start {start_time(os.getpid())} ns {pid_namespace()}"


def alive(pid: int, start: int = 0, ns: int = 0) -> bool:
    """Whether the owner still runs. True when it cannot be told: another pid namespace, no /proc."""
    if pid == os.getpid():
        return True
    if ns and pid_namespace() and ns != pid_namespace():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by another user
    fields = _proc_stat(pid)
    if fields and fields[0] in ("Z", "X"):
        return False  # a zombie: killed, not yet reaped by its parent
    if start and fields and len(fields) > 19:
        return int(fields[19]) == start
    return True


def owner_alive(text: str) -> bool | None:
    """For a lock reason or run directory name: whether its gotrim owner runs; None if it names none."""
    m = OWNER.search(text) or _RUN_NAME.search(text)
    if m is None:
        return None
    return alive(int(m.group(1)), int(m.group(2) or 0), int(m.group(3) or 0))


def dead_run_dir(path: Path) -> bool:
    """Whether path is (or lies inside) the run directory of a gotrim process that no longer runs."""
    for part in path.parts:
        if part.startswith(RUN_PREFIX):
            return owner_alive(part) is False
    return False


def sweep_temp(base: Path | None = None) -> list[Path]:
    """Remove the run directories of gotrim processes that no longer run; returns them."""
    base = base or Path(tempfile.gettempdir())
    removed: list[Path] = []
    try:
        entries = list(base.iterdir())
    except OSError:
        return removed
    for entry in entries:
        if entry.name.startswith(RUN_PREFIX) and owner_alive(entry.name) is False and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


def descendants(pid: int) -> list[int]:
    """Every process started by pid, directly or not (Linux: /proc/PID/task/*/children); deepest last."""
    out: list[int] = []
    todo = [pid]
    while todo:
        p = todo.pop()
        kids: list[int] = []
        for task in Path(f"/proc/{p}/task").glob("*"):
            with contextlib.suppress(OSError, ValueError):
                kids.extend(int(k) for k in (task / "children").read_text().split())
        out.extend(kids)
        todo.extend(kids)
    return out


def stop_children() -> None:
    """Kill every process gotrim started (go, its compilers and linker, smoke runs)."""
    if not sys.platform.startswith("linux"):
        return
    for pid in reversed(descendants(os.getpid())):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def _on_signal(signum: int, frame: FrameType | None) -> None:
    for sig in SIGNALS:  # one unwinding: a second signal must not cut the cleanup short
        signal.signal(sig, signal.SIG_IGN)
    stop_children()
    raise Terminated(signum)


@contextlib.contextmanager
def run_scope() -> Iterator[Path | None]:
    """The command's run directory (see the module doc): sweeps dead runs' directories, makes this
    one, routes temporary files into it and SIGTERM/SIGHUP into Terminated; undone on exit."""
    base = Path(tempfile.gettempdir())
    sweep_temp(base)
    try:
        run_dir: Path | None = Path(tempfile.mkdtemp(prefix=f"{RUN_PREFIX}{owner()}-", dir=base))
    except OSError:  # no writable temporary directory: the command says so when it needs one
        run_dir = None
    saved_tempdir, saved_env = tempfile.tempdir, os.environ.get("TMPDIR")
    handlers: dict[signal.Signals, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for sig in SIGNALS:
            handlers[sig] = signal.signal(sig, _on_signal)
    if run_dir is not None:
        tempfile.tempdir = str(run_dir)
        os.environ["TMPDIR"] = str(run_dir)
    try:
        yield run_dir
    finally:
        for sig in handlers:  # the cleanup below runs to its end
            signal.signal(sig, signal.SIG_IGN)
        tempfile.tempdir = saved_tempdir
        if saved_env is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = saved_env
        if run_dir is not None:
            shutil.rmtree(run_dir, ignore_errors=True)
        for sig, h in handlers.items():
            signal.signal(sig, h)


# ---------------------------------------------------------------------------------------------
# Scratch worktrees registered in the user's repository (refactor.workspace makes them)


def remove_worktree(top: Path, path: Path) -> None:
    """Remove a gotrim worktree, its directory and its registration in the repository; never raises."""
    def git_(*args: str) -> None:
        subprocess.run(["git", *args], cwd=top, capture_output=True)

    git_("worktree", "unlock", str(path))
    git_("worktree", "remove", "--force", "--force", str(path))
    if path.name == "wt" and path.parent.name.startswith(WORKTREE_PREFIX):
        _rmtree(path.parent)
    elif _is_scratch(path):
        _rmtree(path)
    _forget(top, path)


def _forget(top: Path, path: Path) -> None:
    """Drop the registration of worktree `path` (its admin directory under .git/worktrees) when its
    directory is gone; only that one (a `git worktree prune` would forget the user's missing ones too)."""
    if path.exists():
        return
    from refactor.gitstate import git_common_dir

    common = git_common_dir(top)
    if common is None:
        return
    for admin in (common / "worktrees").glob("*"):
        try:
            gitdir = (admin / "gitdir").read_text(encoding="utf-8").strip()
        except OSError:
            continue
        if Path(gitdir).parent.resolve() == path.resolve():
            _rmtree(admin)


def _is_scratch(path: Path) -> bool:
    """A worktree gotrim made in a temporary directory (never a --worktree PATH the user chose)."""
    return any(p.startswith((WORKTREE_PREFIX, RUN_PREFIX)) for p in path.parts)


def sweep_worktrees(top: Path) -> list[Path]:
    """Remove the scratch worktrees of gotrim processes that no longer run (kill -9, a crash), with
    their registration in the repository: locked by a gotrim that is gone, or (unlocked) inside the
    run directory of one. Plain git, no writes unless there is something to remove."""
    proc = subprocess.run(["git", "--no-optional-locks", "worktree", "list", "--porcelain"], cwd=top,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        return []
    removed = []
    for entry in proc.stdout.split("\n\n"):
        fields = dict((line.split(" ", 1) + [""])[:2] for line in entry.splitlines() if line)
        if "worktree" not in fields:
            continue
        path = Path(fields["worktree"])
        owner = owner_alive(fields["locked"]) if "locked" in fields else None
        if owner is False or (owner is None and dead_run_dir(path)):
            remove_worktree(top, path)
            removed.append(path)
    return removed


def _rmtree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
