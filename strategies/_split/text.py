"""Byte-level rewrites of Go files that keep them gofmt-clean: line deletions, import blocks, renames."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tree_sitter import Node

from refactor.errors import EditError
from refactor.gosource import syntax_tree
from refactor.plan import Edit as _Edit
from refactor.plan import apply_edits
from strategies._split.source import Import, Source

Edit = tuple[int, int, bytes]


def apply(src: bytes, edits: Iterable[Edit]) -> bytes:
    """Apply (start, end, new) edits with the shared apply_edits (which refuses overlaps)."""
    return apply_edits(src, (_Edit(s, e, new) for s, e, new in edits))


def _lines(src: bytes) -> list[bytes]:
    return src.splitlines(keepends=True)


def remove_lines(src: bytes, ranges: Sequence[tuple[int, int]], replacements: dict[int, bytes] | None = None,
                 inserts: dict[int, bytes] | None = None) -> bytes:
    """Delete whole-line byte ranges and keep blank lines gofmt-clean around each deleted run.

    `replacements` maps a range start to text put where that range was (forwarders); `inserts`
    maps a line start to text put before that line.
    """
    replacements = replacements or {}
    inserts = inserts or {}
    lines = _lines(src)
    offsets = [0]
    for ln in lines:
        offsets.append(offsets[-1] + len(ln))
    index = {off: i for i, off in enumerate(offsets)}
    dead = [False] * len(lines)
    put: dict[int, bytes] = {}
    for start, end in ranges:
        if start not in index or end not in index:
            raise EditError(f"range {start}-{end} does not cover whole lines")
        for i in range(index[start], index[end]):
            dead[i] = True
        if start in replacements:
            put[index[start]] = replacements[start]
    # A blank line between two deleted runs goes with them (unless text is put there).
    for i, ln in enumerate(lines):
        if not dead[i] and not ln.strip() and 0 < i < len(lines) - 1 and dead[i - 1] and dead[i + 1] \
                and (i + 1) not in put:
            dead[i] = True
    before_line = {index[k]: v for k, v in inserts.items() if k in index}
    out: list[bytes] = []
    i = 0
    while i <= len(lines):
        if i in before_line:
            out.append(before_line[i])
        if i == len(lines):
            break
        if not dead[i]:
            out.append(lines[i])
            i += 1
            continue
        j = i
        text = b""
        while j < len(lines) and dead[j]:
            text += put.get(j, b"")
            j += 1
        if text:
            out.append(text)
        else:
            prev_blank = not out or not out[-1].strip()
            next_blank = j >= len(lines) or not lines[j].strip()
            if prev_blank and next_blank:
                if j < len(lines):
                    j += 1  # drop the blank line after the run
                elif out:
                    out.pop()  # run at the end of the file: drop the blank line before it
        i = j
    return b"".join(out)


@dataclass(frozen=True)
class ImportChange:
    """What to do to a file's imports: remove paths, repoint one path, add paths."""

    remove: frozenset[str] = frozenset()
    repoint: tuple[tuple[str, str, str | None], ...] = ()  # (old path, new path, new explicit name)
    add: tuple[tuple[str, str | None], ...] = ()  # (path, explicit name)


def import_edits(f: Source, change: ImportChange) -> list[Edit]:
    """Edits that rewrite the file's import declarations; runs stay sorted as gofmt wants."""
    repoint = {old: (new, name) for old, new, name in change.repoint}
    add = list(change.add)
    edits: list[Edit] = []
    decls = list(f.import_decls)
    if not decls:
        if add:
            body = _render_imports([[_spec_line(p, n) for p, n in sorted(add)]], len(add) > 1)
            edits.append((f.package_end, f.package_end, b"\n" + body))
        return edits
    for di, (start, end, _paren) in enumerate(decls):
        specs = [imp for imp in f.imports if start <= imp.start < end]
        runs: list[list[bytes]] = [[]]
        text = f.src[start:end]
        if not any(imp.grouped for imp in specs):
            for imp in specs:
                item = _respec(f, imp, repoint, change.remove)
                if item:
                    runs[-1].append(item)
        else:
            open_at = text.index(b"(") + 1
            close_at = text.rindex(b")")
            body = text[open_at:close_at]
            pos = start + open_at
            pending = b""
            for ln in _lines(body):
                line_start = pos
                pos += len(ln)
                found = next((s for s in specs if s.start <= line_start < s.end), None)
                if found is None:
                    if not ln.strip():
                        if runs[-1]:
                            runs.append([])
                    elif ln.strip().startswith(b"//"):
                        pending += ln
                    continue
                if found.start != line_start:
                    continue  # later line of a multi-line spec
                item = _respec(f, found, repoint, change.remove)
                if item:
                    runs[-1].append(pending + item)
                pending = b""
        if di == len(decls) - 1 and add:
            items = [_spec_line(p, n) for p, n in add]
            target = next((r for r in reversed(runs) if any(_is_module_path(_path_of(x)) for x in r)), None)
            if target is None:
                runs.append(items)
            else:
                target.extend(items)
        runs = [sorted(r, key=_path_of) for r in runs if r]
        count = sum(len(r) for r in runs)
        if count == 0:
            edits.append((start, end, b""))
        else:
            new = _render_imports(runs, count > 1 or any(imp.grouped for imp in specs))
            if new != text:
                edits.append((start, end, new))
    return edits


def _respec(f: Source, imp: Import, repoint: dict[str, tuple[str, str | None]], remove: frozenset[str]
            ) -> bytes:
    if imp.path in remove:
        return b""
    line = f.src[imp.start:imp.end]
    if imp.path in repoint:
        new, name = repoint[imp.path]
        return _spec_line(new, name if name is not None else imp.name)
    # A spec line of a one-line `import "x"` declaration: keep only the spec part.
    stripped = line.strip()
    if stripped.startswith(b"import "):
        stripped = stripped[len(b"import "):]
    return b"\t" + stripped + b"\n"


def _spec_line(path: str, name: str | None) -> bytes:
    return (b"\t" + (name.encode() + b" " if name else b"") + b'"' + path.encode() + b'"\n')


def _path_of(item: bytes) -> str:
    last = item.rstrip(b"\n").split(b"\n")[-1]
    q = last.find(b'"')
    return last[q + 1:last.find(b'"', q + 1)].decode() if q >= 0 else ""


def _is_module_path(path: str) -> bool:
    return "." in path.split("/")[0]


def _render_imports(runs: list[list[bytes]], grouped: bool) -> bytes:
    if not grouped:
        return b"import " + runs[0][0].strip() + b"\n"
    return b"import (\n" + b"\n".join(b"".join(r) for r in runs) + b")\n"


# ---------------------------------------------------------------------------------------------
# Identifier sites


def ident_sites(src: bytes, names: Iterable[str], ranges: Sequence[tuple[int, int]] | None = None,
                with_fields: bool = False) -> list[tuple[int, int, str]]:
    """(start, end, name) of unqualified identifiers with one of these names (declarations included)."""
    wanted = set(names)
    out: list[tuple[int, int, str]] = []
    kinds = {"identifier", "type_identifier"} | ({"field_identifier"} if with_fields else set())
    for n in _walk(syntax_tree(src)):
        if n.type not in kinds:
            continue
        text = (n.text or b"").decode()
        if text not in wanted:
            continue
        parent = n.parent
        if parent is not None and parent.type == "selector_expression" and \
                parent.child_by_field_name("field") == n and not with_fields:
            continue
        if parent is not None and parent.type == "qualified_type" and parent.child_by_field_name("name") == n:
            continue
        if ranges is not None and not any(a <= n.start_byte < b for a, b in ranges):
            continue
        out.append((n.start_byte, n.end_byte, text))
    return out


def _walk(node: Node) -> Iterable[Node]:
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.children))
