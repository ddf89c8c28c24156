"""Verification steps at HEAD: computed once per HEAD, configuration and toolchain, and remembered.

A candidate fails only for breakage it brings, so a step that fails on the candidate is run again
on HEAD (go build ./... of that configuration, go vet of those packages, go test), and a smoke run
is compared with the HEAD binary's. Each HEAD result is computed when first needed, in the same
scratch worktree (reset to HEAD, then the plan written back), and kept:

- in this process, for every later candidate of a `suggest --measure` run;
- on disk, under the repository's gotrim cache (`.git/gotrim/head/`), keyed by the repository,
  the HEAD commit, the module, the step and its configuration, the toolchain (path and version),
  the go environment that changes builds (GOFLAGS, GOEXPERIMENT, GOWORK, ...) and gotrim's
  version, so that `apply` after `suggest --measure` does not do it again.

A read-only repository keeps them in memory only.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from refactor import __version__

if TYPE_CHECKING:
    from refactor.plan import Plan
    from refactor.project import Project
    from refactor.workspace import Workspace

VERSION = 1  # of the stored results; bump when their shape or meaning changes
KEEP = 2000  # result files kept on disk (the oldest go first)
ENV_KEYS = ("GOFLAGS", "GOEXPERIMENT", "GOWORK", "GOTOOLCHAIN", "GODEBUG", "GOAMD64", "GOARM", "GOARM64",
            "GO386", "GOPPC64", "GORISCV64", "CC", "CXX", "CGO_CFLAGS", "CGO_LDFLAGS", "GOPROXY", "GOPRIVATE",
            "GONOSUMDB", "GOINSECURE", "GOPATH", "GOMODCACHE")

_MEMORY: dict[str, dict[str, Any]] = {}
computed: list[str] = []  # the keys computed (not found) in this process, in order: for tests and --debug


class HeadResults:
    """HEAD's results of verification steps for one worktree, computed on demand and cached.

    written tells whether the worktree holds the plan (then HEAD work resets it and writes the plan
    back afterwards) or is still at HEAD.
    """

    def __init__(self, project: Project, ws: Workspace, plan: Plan, *, written: bool,
                 progress: Callable[[str], None] | None = None) -> None:
        self.project = project
        self.ws = ws
        self.plan = plan
        self.written = written
        self.say = progress or (lambda _m: None)
        self._base = self._base_key()

    def _base_key(self) -> str:
        go = self.project.go
        env = {k: os.environ.get(k, "") for k in ENV_KEYS}
        parts = [str(VERSION), __version__, str(self.ws.state.top.resolve()), self.ws.commit_sha,
                 self.ws.state.module_rel or ".", go.path, go.version_text, json.dumps(env, sort_keys=True)]
        return "\0".join(parts)

    def key(self, kind: str, *parts: str) -> str:
        """The cache key of one step's result."""
        return hashlib.sha256("\0".join((self._base, kind, *parts)).encode()).hexdigest()[:32]

    def get(self, kind: str, parts: tuple[str, ...], compute: Callable[[Path], dict[str, Any]],
            what: str = "") -> tuple[dict[str, Any], bool]:
        """(the result, whether it was cached): from memory, else from disk, else compute(module dir)
        with the worktree at HEAD."""
        k = self.key(kind, *parts)
        hit = _MEMORY.get(k)
        if hit is None:
            hit = self._read(k)
        if hit is not None:
            _MEMORY[k] = hit
            return hit, True
        self.say(f"{what or kind} at HEAD")
        with self.at_head() as module_dir:
            result = compute(module_dir)
        _MEMORY[k] = result
        computed.append(k)
        self._write(k, result)
        return result, False

    @contextlib.contextmanager
    def at_head(self) -> Iterator[Path]:
        """The worktree at HEAD for the duration (the plan written back after, if it was)."""
        if not self.written:
            yield self.ws.module_dir
            return
        self.ws.reset()
        try:
            yield self.ws.module_dir
        finally:
            self.ws.write(self.plan)

    def _folder(self) -> Path | None:
        from refactor.load import cache_dir

        folder = cache_dir(self.project)
        return folder / "head" if folder is not None else None

    def _read(self, key: str) -> dict[str, Any] | None:
        folder = self._folder()
        if folder is None:
            return None
        try:
            data = json.loads((folder / f"{key}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def _write(self, key: str, result: dict[str, Any]) -> None:
        folder = self._folder()
        if folder is None:
            return
        try:
            folder.mkdir(parents=True, exist_ok=True)
            tmp = folder / f"{key}.{os.getpid()}.tmp"
            tmp.write_text(json.dumps(result), encoding="utf-8")
            tmp.replace(folder / f"{key}.json")
            _prune(folder)
        except OSError:  # a read-only repository: remembered in this process only
            pass


def _prune(folder: Path) -> None:
    files = sorted(folder.glob("*.json"), key=lambda f: f.stat().st_mtime, reverse=True)
    for f in files[KEEP:]:
        with contextlib.suppress(OSError):
            f.unlink()


def forget() -> None:
    """Drop what this process remembers (tests: to see that the disk cache is read)."""
    _MEMORY.clear()
    computed.clear()
