"""Go-aware edit helpers: each returns the Edits (refactor.plan) of one change to one parsed file.

Helpers return lists of Edit computed from one parse; apply them with apply_edits (which refuses
overlaps). Files with syntax errors are never rewritten: helpers raise SourceError on them. The
formatting rule for everything gotrim writes (format_change) is here too.
"""

from __future__ import annotations

import ast
import functools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from refactor.errors import EditError, SourceError
from refactor.gosource import (
    BuildExpr,
    GoFile,
    Import,
    ImportDecl,
    ImportLines,
    analyze,
    format_build_expr,
    guess_package_name,
    import_local_candidates,
    parse_build_expr,
    parse_plus_build,
    plus_build_lines,
)
from refactor.plan import Edit, FileChange, Plan

# ---------------------------------------------------------------------------------------------------------
# line helpers


def _line_start(src: bytes, pos: int) -> int:
    return src.rfind(b"\n", 0, pos) + 1


def _line_end(src: bytes, pos: int) -> int:
    i = src.find(b"\n", pos)
    return len(src) if i < 0 else i + 1


def _nl(f: GoFile, text: bytes) -> bytes:
    """Text with the file's line endings."""
    text = text.replace(b"\r\n", b"\n")
    return text.replace(b"\n", b"\r\n") if f.crlf else text


def _is_blank(src: bytes, start: int, end: int) -> bool:
    return not src[start:end].strip()


def _delete_ranges(src: bytes, ranges: Iterable[tuple[int, int]], bounds: tuple[int, int] | None = None) -> list[Edit]:
    """Delete byte ranges as whole lines where they are, dropping one blank line where two would meet.

    bounds are the offsets of the enclosing group's `(` and `)` lines; lines next to them count as edges.
    """
    whole: list[tuple[int, int]] = []
    exact: list[Edit] = []
    for s, e in sorted(ranges):
        ls = _line_start(src, s)
        le = _line_end(src, e) if e > s else e
        if _is_blank(src, ls, s) and _is_blank(src, e, le):
            whole.append((ls, le))
        else:
            exact.append(Edit(s, e, b""))
    merged: list[list[int]] = []
    for s, e in whole:
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    # absorb blank lines between deleted runs so adjacent deletions become one run
    runs: list[list[int]] = []
    for s, e in merged:
        if runs and _is_blank(src, runs[-1][1], s):
            gap = src[runs[-1][1]:s]
            if gap.count(b"\n") <= 1:
                runs[-1][1] = e
                continue
        runs.append([s, e])
    lo_edge = _line_end(src, bounds[0]) if bounds else 0
    hi_edge = _line_start(src, bounds[1]) if bounds else len(src)
    edits: list[Edit] = []
    for s, e in runs:
        prev_s = _line_start(src, s - 1) if s > lo_edge else None
        next_e = _line_end(src, e) if e < hi_edge else None
        prev_blank = prev_s is not None and _is_blank(src, prev_s, s)
        next_blank = next_e is not None and _is_blank(src, e, next_e)
        prev_ok = prev_s is None or prev_blank
        next_ok = next_e is None or next_blank
        if prev_ok and next_ok and (prev_blank or next_blank):
            if next_blank and next_e is not None:
                e = next_e
            elif prev_s is not None:
                s = prev_s
        edits.append(Edit(s, e, b""))
    return edits + exact


# ---------------------------------------------------------------------------------------------------------
# imports


def _is_std(path: str) -> bool:
    return "." not in path.split("/", 1)[0]


def _spec_text(path: str, name: str | None) -> bytes:
    return (f'{name} "{path}"' if name else f'"{path}"').encode()


def add_import(
    f: GoFile, path: str, name: str | None = None, *, pkg_name: str | None = None,
    taken: Collection[str] = (),
) -> tuple[list[Edit], str]:
    """Import path (no-op if imported); returns the edits and the local name to use in code.

    pkg_name is the package's real name (else guessed from the path); taken lists names declared in
    other files of the package, which the local name must not collide with.
    """
    f.check()
    default = pkg_name or dict(f.import_names).get(path) or guess_package_name(path)
    for imp in f.imports:
        if imp.path == path and imp.name not in ("_", "."):
            local = imp.local_name(default)
            if name is None or name == local:
                return [], local
    a = analyze(f.path, f.src, f.import_names)
    used = set(a.bindings) | {n for d in f.decls for n in (d.name,)} | set(taken)
    for imp in f.imports:
        if imp.path != path:
            used.update(import_local_candidates(imp, dict(f.import_names).get(imp.path)))
    local = name or default
    explicit = name
    if name is None and local in used:
        n = 2
        while f"{default}{n}" in used:
            n += 1
        local = explicit = f"{default}{n}"
    spec = _spec_text(path, explicit)
    return _insert_import(f, path, explicit, spec), local


def _insert_import(f: GoFile, path: str, name: str | None, spec: bytes) -> list[Edit]:
    src = f.src
    nl = f.newline
    groups = [d for d in f.import_decls if d.lparen is not None and d.rparen is not None
              and d.specs and not any(s.path == "C" for s in d.specs)
              and src.count(b"\n", d.lparen, d.rparen) >= 2]
    if groups:
        return [_insert_into_group(f, groups, path, name, spec)]
    # With only single-spec declarations, add one more after the last: gofmt-clean, and remove_import
    # restores the original bytes exactly (converting to a group would not round-trip).
    singles = [d for d in f.import_decls if d.lparen is None and d.specs and d.specs[0].path != "C"]
    if f.import_decls:
        last = f.import_decls[-1]
        pos = _line_end(src, last.end)
        lead = b"" if src[:pos].endswith(b"\n") else nl
        sep = nl if last.specs and last.specs[0].path == "C" or not singles else b""
        return [Edit(pos, pos, lead + sep + b"import " + spec + nl)]
    pos = _line_end(src, f.package_end)
    lead = b"" if src[:pos].endswith(b"\n") else nl
    return [Edit(pos, pos, lead + nl + b"import " + spec + nl)]


def _blocks(src: bytes, d: ImportDecl) -> list[list[Import]]:
    """The blank-line-separated blocks of an import group."""
    blocks: list[list[Import]] = [[]]
    prev_end: int | None = None
    for s in d.specs:
        if prev_end is not None:
            gap = src[_line_end(src, prev_end):_line_start(src, s.start)]
            if any(not ln.strip() for ln in gap.split(b"\n")[:-1]):
                blocks.append([])
        blocks[-1].append(s)
        prev_end = s.end
    return [b for b in blocks if b]


def _insert_into_group(
    f: GoFile, groups: Sequence[ImportDecl], path: str, name: str | None, spec: bytes
) -> Edit:
    src = f.src
    nl = f.newline
    std = _is_std(path)
    choices = [(g, b) for g in groups for b in _blocks(src, g)]
    same = [(g, b) for g, b in choices if all(_is_std(s.path) == std for s in b)]
    if not same:  # a new block: std imports first, others last (as goimports groups them)
        g = groups[0] if std else groups[-1]
        assert g.lparen is not None and g.rparen is not None
        line = b"\t" + spec + nl
        if std:
            pos = _line_end(src, g.lparen)
            return Edit(pos, pos, line + nl)
        pos = _line_start(src, g.rparen)
        return Edit(pos, pos, nl + line)
    g, block = same[0] if std else same[-1]
    key = (path, name or "")
    indent = src[_line_start(src, block[0].start):block[0].start]
    if not _is_blank(src, 0, len(indent)):
        indent = b"\t"
    after = None
    for s in block:
        if (s.path, s.name or "") <= key:
            after = s
    if after is None:
        first = block[0]
        pos = _line_start(src, first.start)
        # step above a doc comment of the first spec
        while True:
            prev = _line_start(src, pos - 1) if pos > 0 else 0
            line = src[prev:pos].strip()
            if pos > 0 and line.startswith(b"//") and prev > (g.lparen or 0):
                pos = prev
                continue
            break
    else:
        pos = _line_end(src, after.end)  # after a trailing comment on the spec's line, too
    return Edit(pos, pos, indent + spec + nl)


def remove_import(f: GoFile, path: str) -> list[Edit]:
    """Remove every import of path; an emptied import declaration goes too, without stray blank lines."""
    f.check()
    return _remove_specs(f, {s.start for s in f.imports if s.path == path})


def _remove_specs(f: GoFile, starts: set[int]) -> list[Edit]:
    src = f.src
    edits: list[Edit] = []
    whole: list[tuple[int, int]] = []
    for d in f.import_decls:
        gone = [s for s in d.specs if s.start in starts]
        if not gone:
            continue
        if len(gone) == len(d.specs) or d.lparen is None:
            whole.append((d.start, d.end))
            continue
        assert d.lparen is not None and d.rparen is not None
        ranges = []
        for s in gone:
            ranges.append((_doc_start(src, s.start, d.lparen), _trailing(src, s.end)))
        edits += _delete_ranges(src, ranges, (d.lparen, d.rparen))
    if whole:
        edits += _delete_ranges(src, whole)
    return edits


def _doc_start(src: bytes, start: int, floor: int) -> int:
    """Start of the `//` comment lines directly above start (below the line of floor)."""
    pos = _line_start(src, start)
    first = start
    while pos > 0:
        prev = _line_start(src, pos - 1)
        line = src[prev:pos]
        if prev <= floor or not line.strip().startswith(b"//"):
            break
        pos = prev
        first = prev + len(line) - len(line.lstrip())
    return first


def _trailing(src: bytes, end: int) -> int:
    """End of a `//` comment that follows end on the same line, else end."""
    rest = src[end:_line_end(src, end)].rstrip(b"\r\n")
    return end + len(rest) if rest.strip().startswith(b"//") else end


def remove_unused_imports(f: GoFile, import_names: Mapping[str, str] | None = None) -> list[Edit]:
    """Drop imports whose local name the file no longer uses (never `_`, `.` or "C")."""
    f.check()
    names = dict(f.import_names)
    names.update(import_names or {})
    a = analyze(f.path, f.src, tuple(sorted(names.items())))
    used = {o.qualifier for o in a.occs if o.qualifier is not None}
    gone = set()
    for imp in f.imports:
        if imp.name in ("_", ".") or imp.path == "C":
            continue
        if not used.intersection(import_local_candidates(imp, names.get(imp.path))):
            gone.add(imp.start)
    return _remove_specs(f, gone) if gone else []


# ---------------------------------------------------------------------------------------------------------
# build constraints


def add_constraint(f: GoFile, term: str) -> list[Edit]:
    """AND term into the file's build constraint (adding a `//go:build` line when there is none)."""
    return _combine_constraint(f, term, "and")


def or_constraint(f: GoFile, term: str) -> list[Edit]:
    """OR term into the file's build constraint (a no-op when the file has none: it always builds)."""
    return _combine_constraint(f, term, "or")


def _tags(x: BuildExpr) -> list[str]:
    if x[0] == "tag":
        return [str(x[1])]
    return [t for sub in x[1:] for t in _tags(sub)]


def _combine_constraint(f: GoFile, term: str, op: str) -> list[Edit]:
    f.check()
    t = parse_build_expr(term)
    if any(tag.startswith("go1.") for tag in _tags(t)):
        raise EditError(f"refusing to add {term!r}: go1.x terms change the file's language version")
    nl = f.newline
    c = f.constraint
    if c is None:
        if op == "or":
            return []
        pos = 3 if f.bom else 0
        return [Edit(pos, pos, b"//go:build " + format_build_expr(t).encode() + nl + nl)]
    if c.expr is not None:
        old = parse_build_expr(c.expr)
    else:
        old = parse_plus_build(f.src[c.plus_build[0][0]:c.plus_build[0][1]].decode("utf-8", "replace"))
        for s, e in c.plus_build[1:]:
            old = ("and", old, parse_plus_build(f.src[s:e].decode("utf-8", "replace")))
    new = (op, old, t)
    line = b"//go:build " + format_build_expr(new).encode() + nl
    edits = []
    if c.expr is not None:
        edits.append(Edit(c.line_start, c.line_end, line))
    else:
        edits.append(Edit(c.line_start, c.line_start, line))
    if c.plus_build:
        lines = plus_build_lines(new)
        first = True
        for s, e in c.plus_build:
            text = b"".join(ln.encode() + nl for ln in lines) if first and lines is not None else b""
            edits.append(Edit(s, e, text))
            first = False
    return edits


# ---------------------------------------------------------------------------------------------------------
# declarations


def delete_decls(f: GoFile, keys: Iterable[str]) -> list[Edit]:
    """Delete declarations with their doc comments; an emptied group goes whole, keeping gofmt spacing.

    Deleting some names of a multi-name spec, or a const whose removal would renumber an iota block,
    blanks the names to `_` instead.
    """
    f.check()
    want = set(keys)
    missing = want - {d.key for d in f.decls}
    if missing:
        raise EditError(f"{f.path}: no declaration {sorted(missing)[0]!r}")
    a = analyze(f.path, f.src, f.import_names)
    by_spec: dict[int, list[str]] = {}
    for d in f.decls:
        by_spec.setdefault(d.spec_start, []).append(d.key)
    gone_units = {i for i, u in enumerate(a.units) if set(by_spec.get(u.spec_start, [])) <= want
                  and want.intersection(by_spec.get(u.spec_start, []))}
    partial = {i for i, u in enumerate(a.units) if i not in gone_units
               and want.intersection(by_spec.get(u.spec_start, []))}
    src = f.src
    edits: list[Edit] = []
    blank_names: list[int] = []
    top: list[tuple[int, int]] = []
    groups: dict[tuple[int, int], list[int]] = {}
    for i, u in enumerate(a.units):
        if u.group is not None:
            groups.setdefault(u.group, []).append(i)
    for i in partial:
        u = a.units[i]
        keys_here = by_spec[u.spec_start]
        for (_name, pos), key in zip(u.names, keys_here, strict=False):
            if key in want and pos >= 0:
                blank_names.append(pos)
    for i in sorted(gone_units):
        u = a.units[i]
        if u.group is None:
            top.append((u.start, u.end))
    for grp, members in groups.items():
        dead = [i for i in members if i in gone_units]
        if not dead:
            continue
        if len(dead) == len(members):
            top.append(grp)
            continue
        text = src[grp[0]:grp[1]]
        ranges = []
        for i in dead:
            u = a.units[i]
            later = [j for j in members if j > i]
            keep_later = [j for j in later if j not in gone_units]
            if u.kind == "const" and keep_later and (
                b"iota" in text or any(not a.units[j].has_value for j in keep_later)
            ):
                blank_names.extend(pos for _, pos in u.names if pos >= 0)
            else:
                ranges.append((u.start, u.end))
        lparen = src.find(b"(", grp[0])
        rparen = src.rfind(b")", 0, grp[1])
        edits += _delete_ranges(src, ranges, (lparen, rparen))
    edits += _delete_ranges(src, top)
    for pos in blank_names:
        end = pos
        while end < len(src) and (chr(src[end]).isalnum() or src[end] == 0x5F or src[end] >= 0x80):
            end += 1
        edits.append(Edit(pos, end, b"_"))
    return edits


def insert_decls(f: GoFile, text: bytes, after_key: str | None = None) -> list[Edit]:
    """Insert declaration text at the end of the file, or after declaration after_key, blank-line separated."""
    f.check()
    src = f.src
    nl = f.newline
    body = _nl(f, text.strip(b"\r\n") + b"\n")
    if after_key is None:
        lead = nl if src.endswith(b"\n") else nl + nl
        return [Edit(len(src), len(src), lead + body)]
    d = f.decl(after_key)
    end = d.group_end if d.group_end is not None else d.end
    pos = _line_end(src, end)
    lead = b"" if src[:pos].endswith(b"\n") else nl
    return [Edit(pos, pos, lead + nl + body)]


def _units_for(f: GoFile, decl_keys: Iterable[str] | None) -> set[int] | None:
    if decl_keys is None:
        return None
    want = set(decl_keys)
    starts = {d.spec_start for d in f.decls if d.key in want}
    a = analyze(f.path, f.src, f.import_names)
    return {i for i, u in enumerate(a.units) if u.spec_start in starts}


def rename_refs(
    f: GoFile, old: str, new: str, qualifier: str | None = None, decl_keys: Iterable[str] | None = None,
    *, struct_types: Collection[str] = (),
) -> list[Edit]:
    """Rename references `qualifier.old` (or unqualified same-package `old`) to new, scope-aware.

    struct_types names same-package struct types: keys of their composite literals are fields, not refs.
    """
    f.check()
    a = analyze(f.path, f.src, f.import_names)
    units = _units_for(f, decl_keys)
    out = []
    for o in a.occs:
        if o.qualifier != qualifier or o.name != old or (units is not None and o.unit not in units):
            continue
        if o.key_type and o.key_type in struct_types:
            continue
        out.append(Edit(o.name_start, o.name_end, new.encode()))
    return out


def rename_decl(f: GoFile, key: str, new: str) -> list[Edit]:
    """Rename the declaring identifier of one declaration (not its references: see rename_refs)."""
    f.check()
    d = f.decl(key)
    a = analyze(f.path, f.src, f.import_names)
    for u in a.units:
        if u.spec_start == d.spec_start:
            for name, pos in u.names:
                if name == d.name and pos >= 0:
                    return [Edit(pos, pos + len(name.encode()), new.encode())]
    raise EditError(f"{f.path}: cannot find the name of {key!r}")


def requalify(
    f: GoFile, names: Collection[str], qualifier: str, decl_keys: Iterable[str] | None = None,
    *, struct_types: Collection[str] = (),
) -> list[Edit]:
    """Turn unqualified references to names into qualifier.Name (for code moving to another package)."""
    f.check()
    a = analyze(f.path, f.src, f.import_names)
    units = _units_for(f, decl_keys)
    pre = qualifier.encode() + b"."
    out = []
    for o in a.occs:
        if o.qualifier is not None or o.name not in names or o.in_receiver:
            continue
        if units is not None and o.unit not in units:
            continue
        if o.key_type and o.key_type in struct_types:
            continue
        out.append(Edit(o.name_start, o.name_start, pre))
    return out


def rename_qualifier(f: GoFile, old: str, new: str, names: Collection[str] | None = None) -> list[Edit]:
    """Rewrite `old.Name` as `new.Name` where old is the local name of an import (for repointing an import)."""
    f.check()
    a = analyze(f.path, f.src, f.import_names)
    return [
        Edit(o.op_start, o.op_start + len(old.encode()), new.encode())
        for o in a.occs
        if o.qualifier == old and (names is None or o.name in names)
    ]


def unqualify(
    f: GoFile, qualifier: str, names: Collection[str] | None = None, decl_keys: Iterable[str] | None = None
) -> list[Edit]:
    """Turn qualifier.Name into Name (for code moving into the package it referred to)."""
    f.check()
    a = analyze(f.path, f.src, f.import_names)
    units = _units_for(f, decl_keys)
    return [
        Edit(o.op_start, o.name_start, b"")
        for o in a.occs
        if o.qualifier == qualifier and (names is None or o.name in names)
        and (units is None or o.unit in units)
    ]


# ---------------------------------------------------------------------------------------------------------
# whole lines and import declarations (code that moves declarations between files)


def delete_lines(src: bytes, ranges: Sequence[tuple[int, int]], replacements: Mapping[int, bytes] | None = None,
                 inserts: Mapping[int, bytes] | None = None) -> list[Edit]:
    """Delete whole-line byte ranges, keeping blank lines gofmt-clean around each deleted run.

    `replacements` maps a range start to text put where that range was (forwarders); `inserts` maps
    a line start to text put before that line. EditError when a range does not cover whole lines.
    """
    replacements = replacements or {}
    inserts = inserts or {}
    lines = src.splitlines(keepends=True)
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
    out: list[int | bytes] = []  # the new file: kept line numbers and new text, in order

    def text_of(piece: int | bytes) -> bytes:
        return lines[piece] if isinstance(piece, int) else piece

    i = 0
    while i <= len(lines):
        if i in before_line:
            out.append(before_line[i])
        if i == len(lines):
            break
        if not dead[i]:
            out.append(i)
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
            prev_blank = not out or not text_of(out[-1]).strip()
            next_blank = j >= len(lines) or not lines[j].strip()
            if prev_blank and next_blank:
                if j < len(lines):
                    j += 1  # drop the blank line after the run
                elif out:
                    out.pop()  # run at the end of the file: drop the blank line before it
        i = j
    edits: list[Edit] = []
    line, pending = 0, b""
    for piece in out:
        if isinstance(piece, bytes):
            pending += piece
            continue
        if piece > line or pending:
            edits.append(Edit(offsets[line], offsets[piece], pending))
        line, pending = piece + 1, b""
    if line < len(lines) or pending:
        edits.append(Edit(offsets[line], offsets[len(lines)], pending))
    return edits


@dataclass(frozen=True)
class ImportChange:
    """What to do to a file's imports: remove paths, repoint one path, add paths."""

    remove: frozenset[str] = frozenset()
    repoint: tuple[tuple[str, str, str | None], ...] = ()  # (old path, new path, new explicit name)
    add: tuple[tuple[str, str | None], ...] = ()  # (path, explicit name)


def rewrite_imports(f: GoFile, change: ImportChange) -> list[Edit]:
    """Edits that rewrite the file's import declarations; runs stay sorted as gofmt wants them, a new
    third-party import joins the run of module paths."""
    repoint = {old: (new, name) for old, new, name in change.repoint}
    add = list(change.add)
    edits: list[Edit] = []
    decls = list(f.import_decl_lines)
    if not decls:
        if add:
            body = _render_imports([[_spec_line(p, n) for p, n in sorted(add)]], len(add) > 1)
            pos = f.package_line_end
            edits.append(Edit(pos, pos, b"\n" + body))
        return edits
    imports = f.import_lines
    for di, (start, end, _paren) in enumerate(decls):
        specs = [imp for imp in imports if start <= imp.start < end]
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
            for ln in body.splitlines(keepends=True):
                line_start = pos
                pos += len(ln)
                found = next((sp for sp in specs if sp.start <= line_start < sp.end), None)
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
            target = next((r for r in reversed(runs) if any(not _is_std(_path_of(x)) for x in r)), None)
            if target is None:
                runs.append(items)
            else:
                target.extend(items)
        runs = [sorted(r, key=_path_of) for r in runs if r]
        count = sum(len(r) for r in runs)
        if count == 0:
            edits.append(Edit(start, end, b""))
        else:
            new = _render_imports(runs, count > 1 or any(imp.grouped for imp in specs))
            if new != text:
                edits.append(Edit(start, end, new))
    return edits


def _respec(f: GoFile, imp: ImportLines, repoint: Mapping[str, tuple[str, str | None]], remove: frozenset[str]
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
    return b"\t" + (name.encode() + b" " if name else b"") + b'"' + path.encode() + b'"\n'


def _path_of(item: bytes) -> str:
    last = item.rstrip(b"\n").split(b"\n")[-1]
    q = last.find(b'"')
    return last[q + 1:last.find(b'"', q + 1)].decode() if q >= 0 else ""


def _render_imports(runs: list[list[bytes]], grouped: bool) -> bytes:
    if not grouped:
        return b"import " + runs[0][0].strip() + b"\n"
    return b"import (\n" + b"\n".join(b"".join(r) for r in runs) + b")\n"


# ---------------------------------------------------------------------------------------------------------
# Go string literals


def go_quote(s: str) -> str:
    """A Go interpreted string literal for s."""
    out = ['"']
    for ch in s:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def go_string_value(literal: str) -> str | None:
    """The value of a Go string literal (interpreted or raw), or None when it is not one."""
    literal = literal.strip()
    if literal.startswith("`") and literal.endswith("`") and len(literal) >= 2:
        return literal[1:-1].replace("\r", "")
    if literal.startswith('"') and literal.endswith('"'):
        try:
            value = ast.literal_eval(literal)
        except (SyntaxError, ValueError):
            return None
        return value if isinstance(value, str) else None
    return None


# ---------------------------------------------------------------------------------------------------------
# new files and gofmt


def new_file(
    package: str, imports: Sequence[tuple[str, str | None]], body: bytes, header: bytes = b""
) -> bytes:
    """A new Go file: header (e.g. a `//go:build` line and blank line), package clause, imports, body."""
    out = [header.rstrip(b"\n") + b"\n\n"] if header.strip() else []
    out.append(f"package {package}\n".encode())
    specs = sorted(set(imports), key=lambda pn: (pn[0], pn[1] or ""))
    if len(specs) == 1:
        out.append(b"\nimport " + _spec_text(*specs[0]) + b"\n")
    elif specs:
        std = [s for s in specs if _is_std(s[0])]
        other = [s for s in specs if not _is_std(s[0])]
        blocks = [b"".join(b"\t" + _spec_text(*s) + b"\n" for s in blk) for blk in (std, other) if blk]
        out.append(b"\nimport (\n" + b"\n".join(blocks) + b")\n")
    text = body.strip(b"\n")
    if text:
        out.append(b"\n" + text + b"\n")
    return b"".join(out)


@functools.lru_cache(maxsize=4)
def gofmt_path(go_path: str | None = None) -> str:
    """The gofmt of the toolchain whose `go` is go_path (beside it in GOROOT/bin); else from PATH, else
    next to the `go` on PATH."""
    if go_path:
        beside = Path(go_path).with_name("gofmt")
        if beside.exists():
            return str(beside)
    found = shutil.which("gofmt")
    if found:
        return found
    goroot = os.environ.get("GOROOT")
    if not goroot and shutil.which("go"):
        goroot = subprocess.run(["go", "env", "GOROOT"], capture_output=True, text=True).stdout.strip()
    cand = Path(goroot or "/usr/local/go") / "bin" / "gofmt"
    if cand.exists():
        return str(cand)
    raise EditError("gofmt not found: put Go's bin directory on PATH")


def gofmt(src: bytes, binary: str | None = None) -> bytes:
    """gofmt's output for src; SourceError when gofmt rejects it."""
    proc = subprocess.run([binary or gofmt_path()], input=src, capture_output=True, timeout=120)
    if proc.returncode != 0:
        raise SourceError("gofmt: " + proc.stderr.decode("utf-8", "replace").strip())
    return proc.stdout


def gofmt_check(files: Mapping[str, bytes], binary: str | None = None) -> dict[str, bytes]:
    """The files (path -> content) that gofmt would change, with gofmt's output."""
    outs = gofmt_many(list(files.values()), binary)
    out: dict[str, bytes] = {}
    for (path, data), result in zip(files.items(), outs, strict=True):
        if isinstance(result, SourceError):
            raise result
        if result != data:
            out[path] = result
    return out


def gofmt_many(sources: Sequence[bytes], binary: str | None = None) -> list[bytes | SourceError]:
    """gofmt's output for each source (a SourceError where gofmt rejects it), from one `gofmt -w`
    whatever their number: each file is written to a folder of its own making and read back."""
    unique = list(dict.fromkeys(sources))
    done: dict[bytes, bytes | SourceError] = {}
    for src in unique:
        hit = _FORMATTED.get(src)
        if hit is not None:
            done[src] = hit
    todo = [s for s in unique if s not in done]
    if todo:
        gofmt_bin = binary or gofmt_path()
        with tempfile.TemporaryDirectory(prefix="gotrim-gofmt-") as tmp:
            names = {os.path.join(tmp, f"f{i}.go"): src for i, src in enumerate(todo)}
            for name, src in names.items():
                Path(name).write_bytes(src)
            proc = subprocess.run([gofmt_bin, "-w", *names], capture_output=True, timeout=600)
            errors: dict[str, list[str]] = {}
            for line in proc.stderr.decode("utf-8", "replace").splitlines():
                name = line.split(":", 1)[0]
                if name in names:
                    errors.setdefault(name, []).append(line[len(tmp) + 1:])
            if proc.returncode != 0 and not errors:
                raise SourceError("gofmt: " + proc.stderr.decode("utf-8", "replace").strip())
            for name, src in names.items():
                result: bytes | SourceError
                if name in errors:
                    result = SourceError("gofmt: " + "; ".join(errors[name][:3]))
                else:
                    result = Path(name).read_bytes()
                done[src] = result
                if len(_FORMATTED) < 4096:
                    _FORMATTED[src] = result
    return [done[s] for s in sources]


_FORMATTED: dict[bytes, bytes | SourceError] = {}  # gofmt's answers, by input (gofmt is a pure function)


def format_plans(plans: Sequence[Plan], binary: str | None = None) -> list[Plan | SourceError]:
    """format_plan for each plan (gofmt runs once for all of them); a SourceError in place of a plan
    whose Go text does not parse."""
    texts = [t for p in plans for c in p.changes if c.path.endswith(".go") and not c.verbatim
             for t in (c.before, c.after) if t is not None]
    gofmt_many([_lf(t) for t in texts], binary)  # one gofmt for all: format_plan then hits the cache
    out: list[Plan | SourceError] = []
    for p in plans:
        try:
            out.append(format_plan(p, binary))
        except SourceError as exc:
            out.append(exc)
    return out


def format_plan(plan: Plan, binary: str | None = None) -> Plan:
    """The plan with gotrim's text gofmt-clean (format_changes); SourceError when a Go file it writes
    does not parse."""
    changes = format_changes(plan.changes, binary)
    return plan if changes == plan.changes else Plan(plan.title, changes)


def format_changes(changes: Sequence[FileChange], binary: str | None = None) -> tuple[FileChange, ...]:
    """Go files as gotrim writes them: a new file gofmt'd; an edited file that was gofmt-clean gofmt'd
    after the edit; in a file the user left unformatted, only the lines gotrim changed are formatted
    (no wholesale reformatting of the user's code). CRLF files keep CRLF (gofmt writes LF).

    gofmt runs once for every file of the changes (gofmt_many)."""
    work: list[tuple[int, bytes | None, bytes, bool]] = []  # change index, LF before, LF after, crlf
    for i, c in enumerate(changes):
        if c.after is None or not c.path.endswith(".go") or c.verbatim:
            continue
        crlf = _is_crlf(c.before if c.before is not None else c.after)
        before = _lf(c.before) if c.before is not None and crlf else c.before
        after = _lf(c.after) if crlf else c.after
        work.append((i, before, after, crlf))
    if not work:
        return tuple(changes)
    inputs = [x for _, before, after, _ in work for x in ((before,) if before is not None else ()) + (after,)]
    formatted = dict(zip(inputs, gofmt_many(inputs, binary), strict=True))
    out = list(changes)
    for i, before, after, crlf in work:
        fa = formatted[after]
        if isinstance(fa, SourceError):
            raise SourceError(f"{changes[i].path}: gotrim's edit does not parse ({fa}); please report it")
        fb = formatted[before] if before is not None else None
        if before is None or fb == before or isinstance(fb, SourceError):
            new = fa
        else:
            new = _format_touched(before, after, fa)
        if crlf:
            new = new.replace(b"\n", b"\r\n")
        if new != changes[i].after:
            out[i] = FileChange(changes[i].path, changes[i].before, new, changes[i].verbatim)
    return tuple(out)


def _is_crlf(src: bytes) -> bool:
    nl = src.find(b"\n")
    return nl > 0 and src[nl - 1:nl] == b"\r"


def _lf(src: bytes) -> bytes:
    return src.replace(b"\r\n", b"\n")


def _format_touched(before: bytes, after: bytes, formatted: bytes) -> bytes:
    """after with only those of gofmt's changes that fall on lines gotrim changed (or beside them)."""
    import difflib

    b_lines = before.splitlines(keepends=True)
    a_lines = after.splitlines(keepends=True)
    f_lines = formatted.splitlines(keepends=True)
    touched: set[int] = set()
    for tag, _i1, _i2, j1, j2 in difflib.SequenceMatcher(a=b_lines, b=a_lines, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        touched.update(range(j1, j2))
        if j1 == j2:  # a deletion: the lines it joins may need a blank line more or less
            touched.update((j1 - 1, j1))
    out: list[bytes] = []
    pos = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a_lines, b=f_lines, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        near = range(i1, i2) if i2 > i1 else range(i1 - 1, i1 + 1)
        if not touched.intersection(near):
            continue
        out.extend(a_lines[pos:i1])
        out.extend(f_lines[j1:j2])
        pos = i2
    out.extend(a_lines[pos:])
    return b"".join(out)
