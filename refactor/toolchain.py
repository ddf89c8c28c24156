"""Find `go`, check its version, and run go commands under a target's environment."""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from refactor.config import Target
from refactor.errors import GoError, UsageError

MIN_VERSION = (1, 22)
DEFAULT_TIMEOUT = 1800.0


@dataclass(frozen=True)
class Go:
    """A Go toolchain on this machine."""

    path: str
    version: tuple[int, int, int]

    @property
    def version_text(self) -> str:
        return "go" + ".".join(str(v) for v in self.version)

    def environ(self, target: Target | None = None, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The process environment for a go command: the user's, plus the target's overrides."""
        env = dict(os.environ)
        env.setdefault("GOTOOLCHAIN", "local")  # never download another toolchain behind the user's back
        if target is not None:
            env.update(target.env())
        if extra:
            env.update(extra)
        return env

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
        return _dist_list(self.path, str(cwd))


def find_go(environ: Mapping[str, str] | None = None) -> Go:
    """The `go` named by GOTRIM_GO, else the one on PATH; Go >= 1.22 required."""
    environ = os.environ if environ is None else environ
    path = environ.get("GOTRIM_GO") or shutil.which("go", path=environ.get("PATH"))
    if not path:
        raise UsageError("no `go` on PATH: install Go >= 1.22 (https://go.dev/dl) or set GOTRIM_GO")
    return Go(path=path, version=_version(path))


@functools.lru_cache(maxsize=8)
def _version(path: str) -> tuple[int, int, int]:
    try:
        out = subprocess.run([path, "env", "GOVERSION"], capture_output=True, text=True, timeout=60,
                             env={**os.environ, "GOTOOLCHAIN": "local"}).stdout
    except OSError as exc:
        raise UsageError(f"cannot run {path}: {exc}; set GOTRIM_GO to a working go binary") from exc
    version = parse_version(out.strip())
    if version is None:
        raise UsageError(f"{path} did not report a Go version (got {out.strip()!r}); set GOTRIM_GO")
    if version[:2] < MIN_VERSION:
        raise UsageError(f"{path} is go{'.'.join(map(str, version))}; gotrim needs Go >= 1.22")
    return version


def parse_version(text: str) -> tuple[int, int, int] | None:
    """`go1.26.6` / `go1.22` / `go1.23rc1` -> (1, 26, 6)."""
    m = re.match(r"go(\d+)\.(\d+)(?:\.(\d+))?", text)
    if not m:
        return None
    return int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)


@functools.lru_cache(maxsize=4)
def _dist_list(go: str, cwd: str) -> frozenset[tuple[str, str]]:
    out = subprocess.run([go, "tool", "dist", "list"], cwd=cwd, capture_output=True, text=True, timeout=120,
                         env={**os.environ, "GOTOOLCHAIN": "local"})
    pairs = set()
    for line in out.stdout.split():
        goos, _, goarch = line.partition("/")
        if goarch:
            pairs.add((goos, goarch))
    return frozenset(pairs)
