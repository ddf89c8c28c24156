"""Find `go`, select the toolchain the go command would use in a module, and run go commands with it.

gotrim honours GOTOOLCHAIN and the `go`/`toolchain` lines of go.mod and go.work exactly as the go
command does (https://go.dev/doc/toolchain, cmd/go/internal/toolchain/select.go): once per module
context it runs `go env` there with the user's environment, which makes the go command switch (and
download, through the module proxy, if it must) to the toolchain it selects and report that
toolchain's GOROOT and GOVERSION. Every later command runs that toolchain's own `go` binary
(GOROOT/bin/go) with GOTOOLCHAIN=local, GOROOT and GOWORK pinned, so that builds, go list, vet,
gofmt and gotrim's Go helpers all use one toolchain and never switch again behind gotrim's back.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from refactor.config import Target
from refactor.errors import GoError, UsageError

MIN_VERSION = (1, 22)
LAUNCHER_MIN_VERSION = (1, 21)  # the first go command that switches toolchains
DEFAULT_TIMEOUT = 1800.0
SELECT_TIMEOUT = 900.0  # `go env` may download a toolchain first
# What `go env` reports in a module context (the selected toolchain's own answers).
CONTEXT_VARS = ("GOROOT", "GOVERSION", "GOMOD", "GOWORK", "GOOS", "GOARCH", "CGO_ENABLED", "GOMODCACHE",
                "GOTOOLCHAIN")
_INTERNAL = ("GOTOOLCHAIN_INTERNAL_SWITCH_VERSION", "GOTOOLCHAIN_INTERNAL_SWITCH_COUNT")


class ToolchainError(UsageError):
    """The toolchain the go command selects cannot be obtained or cannot build the module."""


@dataclass(frozen=True)
class Go:
    """A Go toolchain on this machine, and the environment every command of a module context gets.

    env holds the pinned settings (GOTOOLCHAIN=local, and for a selected toolchain GOROOT and
    GOWORK); they win over the user's environment, and a target's GOOS/GOARCH/CGO_ENABLED win over them.
    """

    path: str
    version: tuple[int, int, int]
    env: tuple[tuple[str, str], ...] = (("GOTOOLCHAIN", "local"),)
    goroot: str = ""  # GOROOT of this toolchain ("" when not asked)

    @property
    def version_text(self) -> str:
        return "go" + ".".join(str(v) for v in self.version)

    @property
    def gowork(self) -> str | None:
        """The GOWORK this toolchain's commands run with (None: the user's)."""
        return dict(self.env).get("GOWORK")

    def environ(self, target: Target | None = None, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The process environment for a go command: the user's, the pinned settings, the target's."""
        env = {k: v for k, v in os.environ.items() if k not in _INTERNAL}
        env.update(self.env)
        if target is not None:
            env.update(target.env())
        if extra:
            env.update(extra)
        return env

    def with_env(self, **values: str) -> Go:
        """This toolchain with more pinned settings (e.g. GOWORK)."""
        env = dict(self.env)
        env.update(values)
        return replace(self, env=tuple(sorted(env.items())))

    def relocated(self, old: Path, new: Path) -> Go:
        """This toolchain for a copy of the repository at `new` (a scratch worktree of `old`): a pinned
        GOWORK inside old points into new."""
        work = self.gowork
        if not work or work == "off":
            return self
        try:
            rel = Path(work).relative_to(old)
        except ValueError:
            return self
        return self.with_env(GOWORK=str(new / rel))

    def run(
        self,
        args: Sequence[str],
        *,
        cwd: Path,
        target: Target | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        check: bool = True,
        what: str = "",
    ) -> subprocess.CompletedProcess[str]:
        """Run `go args...` in cwd; raise GoError (with go's stderr) when it fails and check is set."""
        argv = (self.path, *args)
        try:
            proc = subprocess.run(
                argv, cwd=cwd, env=self.environ(target, env), capture_output=True, text=True,
                timeout=timeout, errors="replace",
            )
        except subprocess.TimeoutExpired as exc:
            raise GoError(f"`go {' '.join(args[:2])}` took longer than {timeout:.0f}s", argv=argv) from exc
        if check and proc.returncode != 0:
            label = what or f"go {' '.join(args[:1])}"
            where = f" for {target.label}" if target else ""
            raise GoError(f"{label} failed{where}", stderr=proc.stderr, argv=argv)
        return proc

    def env_values(self, cwd: Path, *names: str) -> dict[str, str]:
        """`go env -json NAMES...` as a dict."""
        out = self.run(["env", "-json", *names], cwd=cwd).stdout
        return {k: str(v) for k, v in json.loads(out).items()}

    def platforms(self, cwd: Path) -> frozenset[tuple[str, str]]:
        """The GOOS/GOARCH pairs this toolchain supports (`go tool dist list`)."""
        return _dist_list(self.path, str(cwd), self.env)


@dataclass(frozen=True)
class Selection:
    """The toolchain the go command selects in one directory, pinned, and what `go env` said there."""

    go: Go
    values: Mapping[str, str] = field(default_factory=dict)

    @property
    def gomod(self) -> Path | None:
        v = self.values.get("GOMOD", "")
        return Path(v) if v and v not in (os.devnull, "/dev/null", "NUL") else None

    @property
    def gowork(self) -> Path | None:
        v = self.values.get("GOWORK", "")
        return Path(v) if v and v != "off" else None


def find_go(environ: Mapping[str, str] | None = None) -> Go:
    """The `go` named by GOTRIM_GO, else the one on PATH (the go command that selects toolchains):
    Go >= 1.21 required. Commands run with it directly use it as it is (GOTOOLCHAIN=local); a
    module's commands run with the toolchain select_toolchain finds."""
    environ = os.environ if environ is None else environ
    path = environ.get("GOTRIM_GO") or shutil.which("go", path=environ.get("PATH"))
    if not path:
        raise UsageError("no `go` on PATH: install Go >= 1.22 (https://go.dev/dl) or set GOTRIM_GO")
    version, goroot = _identity(path)
    return Go(path=path, version=version, goroot=goroot)


def select_toolchain(launcher: Go, cwd: Path, gowork: str | None = None) -> Selection:
    """The toolchain the go command selects in cwd with the user's GOTOOLCHAIN (and GOWORK, unless
    gowork overrides it: a go.work path, or "off"), as a Go whose commands all run that toolchain's
    own `go` with GOTOOLCHAIN=local, GOROOT and GOWORK pinned. Runs `go env` once, which downloads the
    toolchain when the go command would. ToolchainError (one line: which toolchain, what to do) when it
    cannot be obtained, is older than gotrim supports, or is older than go.mod/go.work require."""
    env = {k: v for k, v in os.environ.items() if k not in _INTERNAL}
    if gowork is not None:
        env["GOWORK"] = gowork
    argv = (launcher.path, "env", "-json", *CONTEXT_VARS)
    try:
        proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, errors="replace",
                              timeout=SELECT_TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        raise ToolchainError(f"`go env` in {cwd} took longer than {SELECT_TIMEOUT:.0f}s (downloading a "
                             "toolchain?): check the module proxy (GOPROXY), or set GOTOOLCHAIN=local") from exc
    except OSError as exc:
        raise UsageError(f"cannot run {launcher.path}: {exc}; set GOTRIM_GO to a working go binary") from exc
    if proc.returncode != 0:
        raise _selection_error(launcher, cwd, env, proc.stderr)
    values = {k: str(v) for k, v in json.loads(proc.stdout or "{}").items()}
    goroot = values.get("GOROOT", "")
    version = parse_version(values.get("GOVERSION", ""))
    exe = Path(goroot) / "bin" / ("go.exe" if sys.platform == "win32" else "go")
    if not goroot or version is None or not exe.is_file():
        raise ToolchainError(f"the go command in {cwd} reports GOROOT={goroot!r} GOVERSION="
                             f"{values.get('GOVERSION', '')!r}: fix the Go installation or set GOTRIM_GO")
    if version[:2] < MIN_VERSION:
        raise ToolchainError(f"{cwd}: the go command selects go{'.'.join(map(str, version))} (GOTOOLCHAIN="
                             f"{values.get('GOTOOLCHAIN', '')}); gotrim needs Go >= 1.22: set GOTOOLCHAIN to a "
                             "newer release")
    work = values.get("GOWORK", "")
    pinned = (("GOROOT", goroot), ("GOTOOLCHAIN", "local"), ("GOWORK", work if work else "off"))
    # No switch: keep running the go command gotrim was given (GOTRIM_GO may wrap it); after a switch,
    # the selected toolchain's own go.
    same = bool(launcher.goroot) and _same_dir(launcher.goroot, goroot)
    go = Go(path=launcher.path if same else str(exe), version=version, env=pinned, goroot=goroot)
    sel = Selection(go=go, values=values)
    _check_required(sel, cwd)
    return sel


def _same_dir(a: str, b: str) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return a == b


def _check_required(sel: Selection, cwd: Path) -> None:
    """ToolchainError when go.work (or go.mod) needs a newer Go than the selected one: the go command
    then refuses every build (GOTOOLCHAIN=local, or a GOTOOLCHAIN naming an older release)."""
    file = sel.gowork or sel.gomod
    if file is None:
        return
    version = go_directive(file)
    need = parse_version("go" + version) if version else None
    if need is None or need <= sel.go.version:
        return
    mode = sel.values.get("GOTOOLCHAIN", "")
    raise ToolchainError(f"{file} requires go >= {version} but GOTOOLCHAIN={mode} selects "
                         f"{sel.go.version_text}: set GOTOOLCHAIN=auto so that the go command downloads "
                         f"go{version}, or install it and set GOTOOLCHAIN=go{version}")


def go_directive(file: Path) -> str:
    """The version of a go.mod's or go.work's `go` line (as go list's Module.GoVersion), "" without one."""
    return directive(file, r"^\s*go\s+(\d+\.\d+(?:\.\d+)?(?:rc\d+)?)\s*(?://.*)?$")


def directive(file: Path, pattern: str, group: int = 1) -> str:
    """group of the first line of a go.mod or go.work that matches pattern ("" when none does or the file
    cannot be read)."""
    try:
        text = file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    m = re.search(pattern, text, re.M)
    return m.group(group) if m else ""


def _selection_error(launcher: Go, cwd: Path, env: Mapping[str, str], stderr: str) -> UsageError:
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    last = lines[-1] if lines else "go env failed"
    mode = env.get("GOTOOLCHAIN") or "the go.env default"
    if "invalid GOTOOLCHAIN" in stderr:
        return UsageError(f"{last.removeprefix('go: ')}: set GOTOOLCHAIN to local, auto, path or a release "
                          "such as go1.25.0")
    m = re.search(r"download(?:ing)? (go1[^\s:]*)", stderr)
    if m:
        wanted = m.group(1)
        why = f"GOTOOLCHAIN={env['GOTOOLCHAIN']}" if env.get("GOTOOLCHAIN", "").startswith("go1") else \
            "the go or toolchain line of go.mod/go.work"
        return ToolchainError(f"the go command selects {wanted} in {cwd} ({why}) and cannot obtain it "
                              f"({last.removeprefix('go: ')}): make the module proxy reachable (GOPROXY), "
                              f"put {wanted} on PATH, or set GOTOOLCHAIN=local to build with "
                              f"{launcher.version_text}")
    return ToolchainError(f"`go env` failed in {cwd} (GOTOOLCHAIN: {mode}): {last.removeprefix('go: ')}")


@functools.lru_cache(maxsize=8)
def _identity(path: str) -> tuple[tuple[int, int, int], str]:
    """The go command's own version and GOROOT (GOTOOLCHAIN=local: no switch): read off its installation
    when it is a release's bin/go (GOROOT is then the directory above bin/, as the go command finds it)
    and no GOROOT is set, else from `go env` (a wrapper, a development build)."""
    known = _installed_identity(path)
    if known is not None:
        return known
    try:
        out = subprocess.run([path, "env", "-json", "GOVERSION", "GOROOT"], capture_output=True, text=True,
                             timeout=60, env={**os.environ, "GOTOOLCHAIN": "local"}).stdout
    except OSError as exc:
        raise UsageError(f"cannot run {path}: {exc}; set GOTRIM_GO to a working go binary") from exc
    try:
        values = {k: str(v) for k, v in json.loads(out or "{}").items()}
    except ValueError:
        values = {}
    version = parse_version(values.get("GOVERSION", ""))
    if version is None:
        raise UsageError(f"{path} did not report a Go version (got {out.strip()[:80]!r}); set GOTRIM_GO")
    if version[:2] < LAUNCHER_MIN_VERSION:
        raise UsageError(f"{path} is go{'.'.join(map(str, version))}; gotrim needs Go >= 1.22")
    return version, values.get("GOROOT", "")


def _installed_identity(path: str) -> tuple[tuple[int, int, int], str] | None:
    if os.environ.get("GOROOT"):
        return None
    exe = Path(os.path.realpath(shutil.which(path) or path))
    root = exe.parent.parent
    if exe.parent.name != "bin" or exe.name not in ("go", "go.exe") or not (root / "src" / "cmd" / "go").is_dir():
        return None
    try:
        first = (root / "VERSION").read_text(encoding="utf-8").split("\n", 1)[0].strip()
    except OSError:
        return None
    version = parse_version(first) if re.fullmatch(r"go\d+\.\d+(\.\d+)?", first) else None
    if version is None or version[:2] < LAUNCHER_MIN_VERSION:
        return None  # (go env says why)
    return version, str(root)


def parse_version(text: str) -> tuple[int, int, int] | None:
    """`go1.26.6` / `go1.22` / `go1.23rc1` / `devel go1.27-abc` -> (1, 26, 6)."""
    m = re.match(r"(?:devel\s+)?go(\d+)\.(\d+)(?:\.(\d+))?", text)
    if not m:
        return None
    return int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)


@functools.lru_cache(maxsize=4)
def _dist_list(go: str, cwd: str, env: tuple[tuple[str, str], ...] = ()) -> frozenset[tuple[str, str]]:
    out = subprocess.run([go, "tool", "dist", "list"], cwd=cwd, capture_output=True, text=True, timeout=120,
                         env={**os.environ, **dict(env), "GOTOOLCHAIN": "local"})
    pairs = set()
    for line in out.stdout.split():
        goos, _, goarch = line.partition("/")
        if goarch:
            pairs.add((goos, goarch))
    return frozenset(pairs)
