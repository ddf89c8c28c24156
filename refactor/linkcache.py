"""Analysis links kept between runs, and the reachability models of their inputs.

suggest links each target with `-work` so that the replay (refactor.estimate.Replay) reads the link's
objects while the linker runs. With a cache directory, that link writes into a folder of its own under
`<cache>/links`, kept between runs, as `gotrim size` keeps its builds (refactor.builds): `go build -o`
onto an up-to-date binary does not link again. The replay's model and the link's importcfg are kept
under `<cache>/models`, named by the binary's build ID (the part that names the link's inputs: every
archive, flag and the toolchain), the target and gotrim's own code. So a run whose link inputs did not
change (a commit that leaves this binary's packages as they were, a rerun with the plan cache off)
reads the model back instead of replaying, and the binary's sizes come from the size cache: no link.

A kept binary whose model is not kept (a run stopped before it saved one, a model pruned) is removed
before the build, so that the build links it and the replay runs.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from refactor.config import Target

KEEP_MODELS = 32  # models (1.5 MB for bench/seed's 39 MB binary); their importcfgs go with them


@dataclass(frozen=True)
class Kept:
    """A model kept for a link's inputs: the replay's answer as it printed it (and its file, which the
    core serves walks of), and the link's importcfg."""

    model: str
    importcfg: str
    path: Path
    key: str


class LinkFolder:
    """Where one target's analysis link writes: a folder kept under `<cache>/links` (locked while in
    use), or a temporary one when there is no cache or another gotrim holds it. Used like
    tempfile.TemporaryDirectory: the context gives its name; leaving it (or cleanup()) removes all of a
    temporary folder, and all but the binary of a kept one."""

    def __init__(self, cache_dir: Path | None, root: Path, target: Target) -> None:
        from refactor.builds import kept_folder

        self.cache_dir = cache_dir
        self.target = target
        self.kept_model: Kept | None = None  # the model kept for the binary found there (it may be current)
        self._closed = False
        folder, self._lock = kept_folder(cache_dir, "links", root, target, "gotrim-dce-")
        self.name = str(folder)
        if self._lock is not None:
            self._forget_unless_kept()

    @property
    def kept(self) -> bool:
        return self._lock is not None

    @property
    def exe(self) -> Path:
        return Path(self.name) / self.target.name

    def current_model(self) -> Kept | None:
        """After the build, when it did not link: the model kept for the binary now there (the one found
        before the build, if the binary is still the same build)."""
        kept = self.kept_model
        return kept if kept is not None and _key(self.exe, self.target) == kept.key else None

    def _forget_unless_kept(self) -> None:
        """Remove the binary left by an earlier run unless its model is kept: the build then links."""
        if self.exe.is_file() and self.cache_dir is not None:
            self.kept_model = saved(self.cache_dir, self.exe, self.target)
            if self.kept_model is None:
                self.exe.unlink(missing_ok=True)

    def __enter__(self) -> str:
        return self.name

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
                 ) -> None:
        self.cleanup()

    def cleanup(self) -> None:
        """Remove what the link left (once: a second call does nothing)."""
        if self._closed:
            return
        self._closed = True
        if self._lock is None:
            shutil.rmtree(self.name, ignore_errors=True)
            return
        with contextlib.suppress(OSError):
            for entry in Path(self.name).iterdir():
                if entry.name in (self.target.name, ".lock"):
                    continue
                if entry.is_dir():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)
        self._lock.close()  # releases the lock
        self._lock = None
        from refactor.builds import KEEP_BUILDS, _prune

        if self.cache_dir is not None:
            _prune(self.cache_dir / "links", KEEP_BUILDS)


def _key(exe: Path, target: Target) -> str | None:
    """The models' name for the binary at exe: its build ID's inputs part, the target and gotrim's code;
    None when the binary has no standard build ID (then nothing is kept)."""
    from refactor import code_digest
    from refactor.binary import _mapped, go_build_id

    try:
        with _mapped(exe) as data:
            build_id = go_build_id(data)
    except (OSError, ValueError):
        return None
    if not build_id:
        return None
    inputs = build_id.rsplit("/", 1)[0]
    return hashlib.sha256(f"{inputs}\0{target!r}\0{code_digest()}".encode()).hexdigest()[:32]


def saved(cache_dir: Path, exe: Path, target: Target) -> Kept | None:
    """The model kept for the inputs of the binary at exe, or None."""
    key = _key(exe, target)
    if key is None:
        return None
    folder = cache_dir / "models"
    path = folder / f"{key}.model"
    try:
        importcfg = (folder / f"{key}.importcfg").read_text(encoding="utf-8")
        model = path.read_text(encoding="utf-8")
        os.utime(path)  # most recently used (the prune goes by this time)
    except (OSError, UnicodeDecodeError):
        return None
    return Kept(model, importcfg, path, key) if model.strip() else None


def save(cache_dir: Path, exe: Path, target: Target, model: str, importcfg: str) -> None:
    """Keep the model and importcfg of the link that made the binary at exe (best effort: a read-only or
    full cache only costs the next run its replay)."""
    key = _key(exe, target)
    if key is None:
        return
    folder = cache_dir / "models"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for suffix, text in ((".importcfg", importcfg), (".model", model)):  # the model last: saved() reads both
            tmp = folder / f"{key}{suffix}.tmp{os.getpid()}"
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(folder / f"{key}{suffix}")
        models = sorted(folder.glob("*.model"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in models[KEEP_MODELS:]:
            old.unlink(missing_ok=True)
            old.with_suffix(".importcfg").unlink(missing_ok=True)
        for stray in folder.glob("*.tmp*"):  # a run killed while it wrote
            if stray.stat().st_mtime < time.time() - 3600:
                stray.unlink(missing_ok=True)
    except OSError:
        pass


def archives_present(importcfg: str) -> bool:
    """Whether every archive an importcfg names is still there (the build cache trims what it has not
    used for days; a package compiled by that build was read from its work folder, gone since)."""
    for line in importcfg.splitlines():
        if line.startswith("packagefile ") and not os.path.isfile(line.partition("=")[2]):
            return False
    return True
