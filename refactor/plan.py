"""Plans as data: byte-range edits, file changes, and the plan of one candidate (diff, write, merge).

A Plan is what a strategy proposes: the exact bytes of every file it creates, changes or deletes,
computed before anything is written. `Plan.diff()` is both the dry-run output and the golden file of
the tests. Applying edits that overlap is always an error, never a silent choice of one of them
(golang.org/x/tools/internal/diff does the same).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from refactor.errors import EditError


@dataclass(frozen=True)
class Edit:
    """Replace src[start:end] with new (an insertion when start == end)."""

    start: int
    end: int
    new: bytes


def apply_edits(src: bytes, edits: Iterable[Edit]) -> bytes:
    """Apply non-overlapping edits; insertions at one offset keep their given order. EditError on overlap
    (two edits of the same bytes included, even when they agree)."""
    indexed = sorted(enumerate(edits), key=lambda ie: (ie[1].start, ie[1].end, ie[0]))
    out: list[bytes] = []
    pos = 0
    for _, e in indexed:
        if not 0 <= e.start <= e.end <= len(src):
            raise EditError(f"edit [{e.start}, {e.end}) is outside the file (0..{len(src)})")
        if e.start < pos:
            raise EditError(f"overlapping edits at byte {e.start}: refusing to guess which one wins")
        out.append(src[pos:e.start])
        out.append(e.new)
        pos = e.end
    out.append(src[pos:])
    return b"".join(out)


@dataclass(frozen=True)
class FileChange:
    """One file's bytes before and after; None means the file does not exist (create/delete)."""

    path: str  # relative to the module root, posix
    before: bytes | None
    after: bytes | None
    # copied as it is from elsewhere (a dependency module's file in a patched copy): not gotrim's text,
    # so neither formatted nor checked as gotrim's
    verbatim: bool = False


@dataclass(frozen=True)
class Plan:
    """The exact file changes of one candidate refactor (at most one change per path)."""

    title: str
    changes: tuple[FileChange, ...]

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for c in self.changes:
            if c.path in seen:
                raise EditError(f"{c.path}: changed twice by one plan")
            seen.add(c.path)

    def files(self) -> list[str]:
        """Paths that the plan changes, sorted."""
        return sorted(c.path for c in self.changes if c.before != c.after)

    def same_as(self) -> tuple[tuple[str, bytes | None, bytes | None], ...]:
        """What makes two plans the same change (equal for equal diffs): the changed files' contents,
        by path. A key that costs no diff."""
        return tuple(sorted((c.path, c.before, c.after) for c in self.changes if c.before != c.after))

    def diff(self) -> str:
        """A unified diff in `git diff` form (a/ b/ prefixes, /dev/null), files sorted by path."""
        return "".join(_file_diff(c) for c in sorted(self.changes, key=lambda c: c.path))

    def write_to(self, root: Path) -> None:
        """Write the changes into the tree at root: files created, rewritten or deleted."""
        for change in self.changes:
            dst = root / change.path
            if change.after is None:
                dst.unlink()
            else:
                dst.parent.mkdir(parents=True, exist_ok=True)
                dst.write_bytes(change.after)


def merge_plans(plans: Sequence[Plan], title: str = "") -> Plan:
    """One Plan applying every plan's changes; EditError when two change the same lines differently.

    Changes to the same file merge when their edits touch separate lines of the common original (as
    git merges non-overlapping hunks); creating the same new file twice merges only when identical.
    """
    by_path: dict[str, list[FileChange]] = {}
    for plan in plans:
        for ch in plan.changes:
            by_path.setdefault(ch.path, []).append(ch)
    merged: list[FileChange] = []
    for path, changes in by_path.items():
        first = changes[0]
        if len(changes) == 1:
            merged.append(first)
            continue
        if any(c.before != first.before for c in changes):
            raise EditError(f"{path}: the plans start from different contents")
        if first.before is None or any(c.after is None for c in changes):
            afters = {c.after for c in changes}
            if len(afters) != 1:
                raise EditError(f"{path}: created or deleted differently by two plans")
            merged.append(first)
            continue
        merged.append(FileChange(path, first.before, _merge_text(path, first.before,
                                                                  [c.after or b"" for c in changes])))
    return Plan(title=title or " + ".join(p.title for p in plans), changes=tuple(merged))


def _merge_text(path: str, base: bytes, versions: Sequence[bytes]) -> bytes:
    base_lines = base.splitlines(keepends=True)
    hunks: list[tuple[int, int, list[bytes]]] = []
    for v in dict.fromkeys(versions):
        new_lines = v.splitlines(keepends=True)
        sm = difflib.SequenceMatcher(a=base_lines, b=new_lines, autojunk=False)
        for tag, i1, i2, j1, j2 in sm.get_opcodes():
            if tag != "equal":
                hunks.append((i1, i2, new_lines[j1:j2]))
    hunks.sort(key=lambda h: (h[0], h[1]))
    for (a1, a2, _), (b1, b2, _) in zip(hunks, hunks[1:], strict=False):
        if b1 < a2 or (a1 == b1 and (a1 == a2 or b1 == b2)):
            raise EditError(f"{path}: two plans change the same lines (near line {b1 + 1})")
    out: list[bytes] = []
    pos = 0
    for i1, i2, lines in hunks:
        out.extend(base_lines[pos:i1])
        out.extend(lines)
        pos = i2
    out.extend(base_lines[pos:])
    return b"".join(out)


def _file_diff(c: FileChange) -> str:
    if c.before == c.after:
        return ""
    head = [f"diff --git a/{c.path} b/{c.path}\n"]
    if c.before is None:
        head.append("new file mode 100644\n")
    elif c.after is None:
        head.append("deleted file mode 100644\n")
    old = "/dev/null" if c.before is None else f"a/{c.path}"
    new = "/dev/null" if c.after is None else f"b/{c.path}"
    if _binary(c.before) or _binary(c.after):  # as git diff says it (a copied module's images, archives)
        return "".join(head) + f"Binary files {old} and {new} differ\n"
    a = _diff_lines(c.before)
    b = _diff_lines(c.after)
    if not a and not b:
        return "".join(head)
    out = head + [f"--- {old}\n", f"+++ {new}\n"]
    for i, line in enumerate(difflib.unified_diff(a, b, n=3, lineterm="")):
        if i < 2:
            continue  # difflib's own file header
        if line.startswith("@@"):
            out.append(line + "\n")
        elif line.endswith("\n"):
            out.append(line)
        else:
            out.append(line + "\n\\ No newline at end of file\n")
    return "".join(out)


def _binary(data: bytes | None) -> bool:
    """Content a diff does not show line by line: a NUL in its first 8000 bytes (git's test), or not
    UTF-8 (the diff goes into JSON and terminals as text)."""
    if not data:
        return False
    if b"\0" in data[:8000]:
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def _diff_lines(data: bytes | None) -> list[str]:
    """Lines split on \\n only (a CR stays content), with their line ends."""
    if not data:
        return []
    parts = data.split(b"\n")
    lines = [p.decode("utf-8", "surrogateescape") + "\n" for p in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1].decode("utf-8", "surrogateescape"))
    return lines
