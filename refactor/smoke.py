"""Smoke runs: a built binary run once with a harmless command, judged for crashes and compared with HEAD.

A binary that builds and vets can still die on its first run: a guard's stub that returns nil into a
command registry, a split that loses an `init` registration. Verification runs each rebuilt binary
with its smoke command and fails on a Go panic, a `fatal error:` or death by a signal, naming the
panic's first frame in the user's code.

The run: the target's smoke arguments (gotrim.toml `[[target]] smoke = [...]`; default `--help`),
argv[0] the binary's short name, stdin /dev/null, the working directory, HOME, TMPDIR and the XDG
directories a fresh scratch directory, a small fixed environment (PATH, LANG=C, TZ=UTC, TERM=dumb,
NO_COLOR=1: nothing of the user's credentials), a timeout (SMOKE_TIMEOUT), the whole process group
killed after it. Output is compared with the scratch directory's path replaced by `$SCRATCH`, the
binary's directory by `$BIN`, and clock readings (the log package's `2026/12/06 22:02:50` prefix,
RFC 3339 times) by `$TIME`.

The default, `--help`: Go's flag package, cobra, urfave/cli and kingpin all print usage and exit
without doing anything (the flag package with status 0 since Go 1.15, golang/go#37533; 2 before).
When the HEAD binary exits non-zero on `--help` without printing anything (a program that reads no
flags and refuses the argument), the run falls back to no arguments. HEAD decides the arguments;
the candidate's binary is run with the same ones.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

SMOKE_TIMEOUT = 10.0  # seconds; a program still running then is stopped (a server: not a failure)
STOP_GRACE = 5.0  # seconds a program still running at the timeout has to stop on SIGTERM before SIGKILL
DEFAULT_ARGS = ("--help",)
KEEP_OUTPUT = 8_000  # characters of each stream kept for reports and for showing a difference
SCRATCH = "$SCRATCH"
BIN = "$BIN"  # the directory of the binary run
TIME = "$TIME"  # a clock reading: two runs a second apart print different ones
# the log package's date and time (LstdFlags, Lmicroseconds) and RFC 3339 readings (log/slog, time.Time)
_CLOCK = re.compile(r"\b\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)?"
                    r"|\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?")

_PANIC = re.compile(r"^panic: (.*)$", re.MULTILINE)
_GOROUTINE = re.compile(r"^goroutine \d+ \[", re.MULTILINE)
_FATAL = re.compile(r"^fatal error: (.*)$", re.MULTILINE)
_SIGNAL_REPORT = re.compile(r"^(SIG[A-Z]+: .*)$", re.MULTILINE)  # the runtime's report of a signal in C code


@dataclass(frozen=True)
class Run:
    """One run of a binary: how it ended, what it printed (normalized), whether it crashed and where."""

    args: tuple[str, ...]
    exit_code: int | None  # None when killed (by a signal, or at the timeout)
    signal: str  # "SIGSEGV" when a signal killed it (not gotrim's kill at the timeout), else ""
    timed_out: bool
    stdout: str  # the first KEEP_OUTPUT characters
    stderr: str
    digest: str  # of the whole normalized output and the exit status
    crash: str  # "panic: ...", "fatal error: ...", "killed by SIGSEGV", or ""
    frame: str  # the panic's first frame in the user's code: "internal/x/y.go:12 (x.F)", or ""
    seconds: float
    # still running at the timeout: whether SIGTERM stopped it within STOP_GRACE (None: not asked, or not
    # timed out); a server whose slim build does not stop on it lost its shutdown (nats-server's)
    stopped: bool | None = None

    @property
    def printed(self) -> bool:
        return bool(self.stdout.strip() or self.stderr.strip())

    def for_json(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_json(d: Mapping[str, Any]) -> Run:
        return Run(args=tuple(d["args"]), exit_code=d["exit_code"], signal=d["signal"], timed_out=d["timed_out"],
                   stdout=d["stdout"], stderr=d["stderr"], digest=d["digest"], crash=d["crash"], frame=d["frame"],
                   seconds=d["seconds"], stopped=d.get("stopped"))

    def ending(self) -> str:
        """How the run ended, in words."""
        if self.timed_out:
            how = "killed" if self.stopped is None else "stopped by SIGTERM" if self.stopped else \
                "did not stop on SIGTERM: killed"
            return f"still running at the timeout ({how})"
        if self.signal:
            return f"killed by {self.signal}"
        return f"exit status {self.exit_code}"


def smoke_env(scratch: Path) -> dict[str, str]:
    """The environment of a smoke run: fixed, and every user directory inside scratch."""
    tmp = scratch / "tmp"
    for d in (tmp, scratch / ".config", scratch / ".cache", scratch / ".local" / "share", scratch / ".local" / "state"):
        d.mkdir(parents=True, exist_ok=True)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(scratch), "TMPDIR": str(tmp),
           "XDG_CONFIG_HOME": str(scratch / ".config"), "XDG_CACHE_HOME": str(scratch / ".cache"),
           "XDG_DATA_HOME": str(scratch / ".local" / "share"), "XDG_STATE_HOME": str(scratch / ".local" / "state"),
           "LANG": "C", "LC_ALL": "C", "TZ": "UTC", "TERM": "dumb", "NO_COLOR": "1"}
    if os.name == "nt":  # a Windows process needs these to start at all
        for k in ("SYSTEMROOT", "WINDIR", "COMSPEC", "PATHEXT"):
            if k in os.environ:
                env[k] = os.environ[k]
        env.update({"USERPROFILE": str(scratch), "APPDATA": str(scratch / ".config"),
                    "LOCALAPPDATA": str(scratch / ".cache"), "TEMP": str(tmp), "TMP": str(tmp)})
    return env


def run(exe: Path, name: str, args: Sequence[str], *, module_paths: Sequence[str] = (),
        timeout: float = SMOKE_TIMEOUT) -> Run:
    """Run exe once as `name args...` in a fresh scratch directory (removed after); see the module doc."""
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="gotrim-smoke-") as tmp:
        scratch = Path(tmp) / "home"
        scratch.mkdir()
        out_path, err_path = Path(tmp) / "stdout", Path(tmp) / "stderr"
        timed_out = False
        with out_path.open("wb") as out, err_path.open("wb") as err:
            proc = subprocess.Popen([name, *args], executable=str(exe), cwd=scratch, env=smoke_env(scratch),
                                    stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                    start_new_session=os.name != "nt", preexec_fn=_die_with_parent())
            stopped: bool | None = None
            try:
                rc = proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
                stopped = _stop(proc)
                rc = proc.wait()
            finally:
                if proc.poll() is None:
                    _kill(proc)
                    proc.wait()
            if os.name != "nt":  # what the program started in its session goes too
                with contextlib.suppress(OSError):
                    os.killpg(proc.pid, signal.SIGKILL)
        seconds = time.monotonic() - t0
        subst = _substitutions(scratch, exe.parent)
        stdout, h_out = _read(out_path, subst)
        stderr, h_err = _read(err_path, subst)
    sig = ""
    exit_code: int | None = rc
    if timed_out:
        exit_code = None
    elif rc < 0:
        exit_code = None
        with contextlib.suppress(ValueError):
            sig = signal.Signals(-rc).name
        sig = sig or f"signal {-rc}"
    digest = hashlib.sha256(f"{exit_code}\0{sig}\0{timed_out}\0{h_out}\0{h_err}".encode()).hexdigest()[:24]
    crash = crash_of(stdout + "\n" + stderr, sig)
    frame = first_frame(stderr, module_paths) if crash.startswith(("panic", "fatal")) else ""
    return Run(tuple(args), exit_code, sig, timed_out, stdout, stderr, digest, crash, frame, seconds, stopped)


def baseline(exe: Path, name: str, args: Sequence[str] | None, *, module_paths: Sequence[str] = (),
             timeout: float = SMOKE_TIMEOUT) -> tuple[tuple[str, ...], Run, bool]:
    """HEAD's run: (the arguments chosen, the run, whether a second run printed the same).

    args None is the default: `--help`, or no arguments when `--help` exits non-zero without a word."""
    chosen = tuple(args) if args is not None else DEFAULT_ARGS
    first = run(exe, name, chosen, module_paths=module_paths, timeout=timeout)
    if args is None and first.exit_code not in (0, None) and not first.printed and not first.crash:
        chosen = ()
        first = run(exe, name, chosen, module_paths=module_paths, timeout=timeout)
    again = run(exe, name, chosen, module_paths=module_paths, timeout=timeout)
    return chosen, first, first.digest == again.digest


def _die_with_parent() -> Callable[[], None] | None:
    """On Linux, a child that gets SIGKILL when gotrim dies (kill -9, SIGTERM): a smoke-run server
    must not outlive the run."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):
        return None

    def set_pdeathsig() -> None:
        prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG

    return set_pdeathsig


def _stop(proc: subprocess.Popen[bytes]) -> bool | None:
    """Ask a program still running at the timeout to stop (SIGTERM, as a service manager does), kill it
    if it has not within STOP_GRACE: whether it stopped (None where there is no SIGTERM)."""
    if os.name == "nt":
        _kill(proc)
        return None
    with contextlib.suppress(OSError):
        proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=STOP_GRACE)
        return True
    except subprocess.TimeoutExpired:
        _kill(proc)
        return False


def _kill(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(OSError):
        if os.name != "nt":
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()


def _substitutions(scratch: Path, bindir: Path) -> list[tuple[str, str]]:
    """Paths that differ between two runs and their stand-ins, longest first."""
    pairs = {str(scratch): SCRATCH, os.path.realpath(scratch): SCRATCH, str(bindir): BIN,
             os.path.realpath(bindir): BIN}
    return sorted(pairs.items(), key=lambda kv: len(kv[0]), reverse=True)


def _read(path: Path, subst: Sequence[tuple[str, str]]) -> tuple[str, str]:
    """(the first KEEP_OUTPUT characters, a digest of the whole), with the run's paths replaced."""
    h = hashlib.sha256()
    kept = ""
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            text = chunk.decode("utf-8", "replace")
            for old, new in subst:
                text = text.replace(old, new)
            text = _CLOCK.sub(TIME, text)
            h.update(text.encode())
            if len(kept) < KEEP_OUTPUT:
                kept += text[:KEEP_OUTPUT - len(kept)]
    return kept, h.hexdigest()


def crash_of(output: str, sig: str) -> str:
    """What killed the program, from its output and the signal: a Go panic, a fatal error, a signal."""
    m = _PANIC.search(output)
    if m and _GOROUTINE.search(output, m.end()):
        return "panic: " + m.group(1).strip()
    m = _FATAL.search(output)
    if m:
        return "fatal error: " + m.group(1).strip()
    m = _SIGNAL_REPORT.search(output)
    if m and _GOROUTINE.search(output, m.end()):
        return m.group(1).strip()
    if sig:
        return f"killed by {sig}"
    return ""


def first_frame(stderr: str, module_paths: Sequence[str] = ()) -> str:
    """The first frame of the crashing goroutine in the user's code (main, or a package of one of
    module_paths), as `file:line (pkg.Func)` with the file relative to its module; else the first
    frame outside the standard library; else the first frame."""
    frames = _frames(stderr)
    if not frames:
        return ""

    def mine(pkg: str) -> bool:
        return pkg == "main" or any(pkg == m or pkg.startswith(m + "/") for m in module_paths if m)

    def std(pkg: str) -> bool:
        return "." not in pkg.split("/", 1)[0]

    pick = (next((f for f in frames if mine(f[0])), None) if module_paths else None) \
        or next((f for f in frames if not std(f[0])), None)
    pkg, func, loc = pick or frames[0]
    for m in sorted(module_paths, key=len, reverse=True):
        if m and loc.startswith(m + "/"):
            loc = loc[len(m) + 1:]
            break
    return f"{loc} ({func})"


def _frames(stderr: str) -> list[tuple[str, str, str]]:
    """(package, short function, file:line) of the first goroutine's frames in a Go traceback."""
    lines = stderr.splitlines()
    start = next((i for i, ln in enumerate(lines) if _GOROUTINE.match(ln)), None)
    if start is None:
        return []
    out = []
    i = start + 1
    while i + 1 < len(lines):
        fn, loc = lines[i], lines[i + 1]
        if not fn.strip() or fn.startswith("goroutine "):
            break
        if fn.startswith("created by ") or not loc.startswith("\t"):
            i += 1
            continue
        name = fn[:fn.rfind("(")] if fn.endswith(")") and "(" in fn else fn
        slash = name.rfind("/")
        dot = name.find(".", slash + 1)
        pkg = name[:dot] if dot > 0 else name
        short = name[slash + 1:]
        where = loc.strip().split(" +0x", 1)[0]
        out.append((pkg, short, where))
        i += 2
    return out


def difference(head: Run, now: Run) -> str:
    """How now's run differs from head's: the exit, or the first differing line; "" when the same."""
    if head.digest == now.digest:
        return ""
    if (head.exit_code, head.signal, head.timed_out) != (now.exit_code, now.signal, now.timed_out):
        return f"{now.ending()} (at HEAD: {head.ending()})"
    for stream, a, b in (("stdout", head.stdout, now.stdout), ("stderr", head.stderr, now.stderr)):
        if a == b:
            continue
        al, bl = a.splitlines(), b.splitlines()
        for n, (x, y) in enumerate(zip(al, bl, strict=False), 1):
            if x != y:
                return f"{stream} line {n}: {y.strip()[:120]!r} (at HEAD: {x.strip()[:120]!r})"
        n = min(len(al), len(bl)) + 1
        if len(bl) > len(al):
            return f"{stream} line {n}: {bl[n - 1].strip()[:120]!r} (at HEAD: no such line)"
        return f"{stream} line {n}: missing (at HEAD: {al[n - 1].strip()[:120]!r})"
    return "the output differs after the first characters kept"
