"""Parsed files, remembered between runs (issue 19 §4).

guard-with-tag reads a few hundred files of dependency modules and the standard library on a large
binary (about 1 s of suggest's time on bench/seed), and the loader parses every file of the packages
the targets build from the repository (restic: 442 files, 1-1.5 s); reading a parse back takes a sixth
of the time. An entry is keyed by gotrim's own code (code_digest: a new parser never reads an old
entry), the tree-sitter-go version, the file's path, the package names its parse used and its bytes,
so it can never be stale: an edited file of the repository is simply another entry. Entries live under
`<cache dir>/parses/<code digest>/`; a build of gotrim removes the folders of others unused for a week,
and, once a day, its own entries written more than a week ago (those of files edited since are never
read again; the others are parsed and written once more).

Like the size cache (and Go's build cache), it stays on with --no-cache: it holds facts of file
contents, not results of a HEAD. Any error reading or writing it falls back to a parse.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import pickle
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from refactor.gosource import GoFile

T = TypeVar("T")

_DIR = "parses"


class ParseCache:
    """Parsed GoFiles, under one folder."""

    def __init__(self, cache_dir: Path) -> None:
        self._root = cache_dir / _DIR
        self._pruned = False

    @functools.cached_property
    def _keyed(self) -> tuple[bytes, Path]:
        """The salt of every key and this build's folder, from gotrim's code digest and the grammar's
        compiled binding (its path, size and time: an upgrade or a reinstall changes them; reading the
        installed version instead imports importlib.metadata, ~30 ms beside the link): found on first
        use, not when the loader makes the cache (~25 ms the targets' builds would wait for)."""
        import tree_sitter_go

        from refactor import code_digest

        binding = Path(tree_sitter_go.__file__).parent
        try:
            grammar = ",".join(f"{p.name}:{st.st_size}:{st.st_mtime_ns}"
                               for p in sorted(binding.glob("_binding*")) for st in [p.stat()]) or "?"
        except OSError:
            grammar = "?"
        digest = code_digest()
        folder = self._root / digest[:16]
        with contextlib.suppress(OSError):
            os.utime(folder)  # in use (the prune of another build goes by this time)
        return f"{digest}\0{grammar}\0".encode(), folder

    @property
    def dir(self) -> Path:
        return self._keyed[1]

    def get(self, path: str, src: bytes, names: Mapping[str, str], parse: Callable[[], GoFile]) -> GoFile:
        """The parse of path (its bytes src, its imports' package names), from the cache or parse()."""
        return self._get(path, src, names, "", parse, lambda found: isinstance(found, GoFile) and found.src == src)

    def summary(self, path: str, src: bytes, names: Mapping[str, str], kind: str, make: Callable[[], T],
                valid: Callable[[Any], bool]) -> T:
        """A small fact of the parse of path (kind names it: SourceIndex.qualified_refs), from the cache
        or make(): read back far faster than the whole parse when that is all a reader wants."""
        return self._get(path, src, names, kind, make, valid)

    def _get(self, path: str, src: bytes, names: Mapping[str, str], kind: str, make: Callable[[], T],
             valid: Callable[[Any], bool]) -> T:
        h = hashlib.sha256(self._keyed[0])
        h.update(path.encode() + b"\0" + repr(sorted(names.items())).encode() + b"\0" + kind.encode() + b"\0")
        h.update(src)
        key = h.hexdigest()
        entry = self.dir / key[:2] / f"{key[2:]}.pickle"
        try:
            with entry.open("rb") as f:
                found = pickle.load(f)
            if valid(found):
                return found  # type: ignore[no-any-return]
        except (OSError, pickle.PickleError, EOFError, AttributeError, ValueError, TypeError):
            pass
        made = make()
        self._put(entry, made)
        return made

    def _put(self, entry: Path, parsed: object) -> None:
        try:
            if not self._pruned:
                self._pruned = True
                self._prune()
            entry.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=entry.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                pickle.dump(parsed, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, entry)
        except OSError:
            pass  # a read-only or full cache: parse again next time

    def _prune(self) -> None:
        """Remove the folders other builds of gotrim wrote and have not used for a week (their parser
        may differ: never read here; two builds used in turn keep theirs), and, at most once a day,
        this folder's entries written more than a week ago."""
        parent = self.dir.parent
        if not parent.is_dir():
            return
        now = time.time()
        week_ago = now - 7 * 24 * 3600
        for d in parent.iterdir():
            try:
                if d != self.dir and d.is_dir() and d.stat().st_mtime < week_ago:
                    shutil.rmtree(d, ignore_errors=True)
            except OSError:
                continue
        marker = self.dir / ".pruned"
        try:
            if marker.stat().st_mtime > now - 24 * 3600:
                return
        except OSError:
            pass
        for sub in self.dir.iterdir() if self.dir.is_dir() else ():
            if not sub.is_dir():
                continue
            with os.scandir(sub) as entries:
                for e in entries:
                    with contextlib.suppress(OSError):
                        if e.stat().st_mtime < week_ago:
                            os.unlink(e.path)
        with contextlib.suppress(OSError):
            marker.touch()
