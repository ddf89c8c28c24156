"""Build a target and attribute the bytes of the binary to packages, modules, sections and named buckets."""

from __future__ import annotations

import contextlib
import gc
import mmap
import os
import pickle
import re
import struct
import subprocess
import sys
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any

from refactor.config import Target
from refactor.table import Column, Table
from refactor.toolchain import DEFAULT_TIMEOUT, Go

JSON_VERSION = 1

# A binary is read through mmap (no copy of tens of megabytes; both processes share the page cache);
# everything here only indexes, slices, finds and unpacks, which bytes and mmap do alike.
Bytes = bytes | mmap.mmap

# Named buckets: bytes that belong to no package but whose nature is known.
DWARF = "dwarf"
SYMTAB = "symtab+strtab"
PCLN = "pclntab header/tables"
FUNCDATA = "funcdata (shared)"
TYPES = "runtime type metadata"
STRINGS = "strings"
PADDING = "padding"
HEADERS = "elf headers"
BUILDINFO = "buildinfo"
CGO = "cgo/C"
GENERATED = "compiler-generated"
DYNAMIC = "dynamic linking"

NOT_ELF_NOTE = ("size attribution supports ELF binaries; build for linux (or another ELF GOOS) to see "
                "bytes per package; this file is reported as one unattributed block")

_SHT_NOBITS = 8
_STT_SECTION, _STT_FILE = 3, 4
_PAD_MAX = 256  # an uncovered run up to this size made of one filler byte is alignment padding
_PCLN_MAGICS = (0xFFFFFFF1, 0xFFFFFFF0)
# Paint tiers, in order of precedence: a byte goes to the first tier that claims it. Package symbols
# (and the ELF headers), then the per-function pclntab pieces, then type descriptors (walked in a
# worker process for big binaries), then carriers and shared symbols, then whole known sections.
# The types tier is not collected here: _type_ranges paints it on its own (possibly in a child).
_T_SYMBOLS, _T_PCLN, _T_SHARED, _T_SECTIONS = range(4)

_SECTION_BUCKETS = {
    ".symtab": SYMTAB, ".strtab": SYMTAB, ".shstrtab": HEADERS, ".go.buildinfo": BUILDINFO,
    ".go.fipsinfo": BUILDINFO, ".gopclntab": PCLN, ".typelink": TYPES, ".itablink": TYPES,
    ".go.module": TYPES, ".interp": DYNAMIC, ".plt": DYNAMIC, ".got": DYNAMIC, ".got.plt": DYNAMIC,
    ".dynamic": DYNAMIC, ".dynsym": DYNAMIC, ".dynstr": DYNAMIC, ".hash": DYNAMIC, ".gnu.hash": DYNAMIC,
    ".gnu.version": DYNAMIC, ".gnu.version_r": DYNAMIC, ".eh_frame": CGO, ".eh_frame_hdr": CGO,
    ".init": CGO, ".fini": CGO, ".init_array": CGO, ".fini_array": CGO, ".ctors": CGO, ".dtors": CGO,
    ".tdata": CGO,
}
# Runtime symbols that are really tables of the whole binary, not code or data of package runtime.
_SPECIAL_SYMBOLS = {
    "runtime.findfunctab": PCLN, "runtime.pclntab": PCLN, "runtime.typelink": TYPES,
    "runtime.itablink": TYPES, "runtime.firstmoduledata": TYPES, "runtime.textsectionmap": PCLN,
    "go:buildinfo": BUILDINFO, "go:buildinfo.ref": BUILDINFO, "go:fipsinfo": BUILDINFO,
}
_FUNCDATA_SUFFIXES = (".arginfo0", ".arginfo1", ".argliveinfo", ".stkobj", ".opendefer", ".wrapinfo")


def build(
    go: Go, root: Path, target: Target, out: Path, *, extra_ldflags: str = "",
    timeout: float = DEFAULT_TIMEOUT,
) -> Path:
    """`go build -trimpath` the target into `out` (run in `root` with its env); GoError carries stderr."""
    out = out.resolve()
    go.run(build_args(target, out, extra_ldflags), cwd=root, target=target, timeout=timeout,
           what=f"go build {target.main}")
    return out


def build_args(target: Target, out: Path, extra_ldflags: str = "") -> list[str]:
    """The arguments of `go build` for a target's binary at out (-trimpath, the target's flags)."""
    ldflags = " ".join(f for f in (target.ldflags.strip(), extra_ldflags.strip()) if f)
    args = ["build", "-trimpath", "-o", str(out), *target.build_flags()]
    if ldflags:
        args.append("-ldflags=" + ldflags)
    args.append(target.main)
    return args


@dataclass(frozen=True)
class SizeTable:
    """Bytes of one binary per package, module, section and named bucket; `unattributed` is never hidden."""

    file_bytes: int
    packages: dict[str, int] = field(default_factory=dict)
    buckets: dict[str, int] = field(default_factory=dict)
    sections: dict[str, int] = field(default_factory=dict)
    unattributed: int = 0
    modules: dict[str, int] = field(default_factory=dict)
    unattributed_sections: dict[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def coverage(self) -> float:
        """Fraction of the file's bytes attributed to a package or a named bucket."""
        return 1.0 if self.file_bytes == 0 else (self.file_bytes - self.unattributed) / self.file_bytes

    @property
    def package_total(self) -> int:
        """Bytes attributed to some package."""
        return sum(self.packages.values())

    def package_bytes(self, paths: Iterable[str]) -> int:
        """Sum of the bytes of the given import paths (unknown paths count 0)."""
        return sum(self.packages.get(p, 0) for p in set(paths))

    def removal_estimate(self, paths: Iterable[str]) -> int:
        """Bytes the file loses when these packages leave it: their own bytes plus their share of the
        buckets that grow with code (DWARF, symbol table, pclntab tables, strings, type data, padding).

        Packages own only about 60 % of a default build; the rest scales with them, so counting the
        package bytes alone underestimates a cut by a third or more. The unattributed bytes are shared
        out too: they are the packages' file-local data (static temporaries and variables the linker
        keeps out of the symbol table), which leave with them (bench/results.md, 2026-11-26 accuracy:
        every measured cut was larger than the estimate, by 1-2 points less with this share).
        """
        own = self.package_bytes(paths)
        total = self.package_total
        if not own or not total:
            return own
        fixed = {"elf headers", "buildinfo", "cgo/C", "dynamic linking"}
        scalable = sum(v for k, v in self.buckets.items() if k not in fixed) + self.unattributed
        return own + round(scalable * own / total)

    def top(self, n: int) -> list[tuple[str, int]]:
        """The n heaviest packages, heaviest first (ties by import path)."""
        return sorted(self.packages.items(), key=lambda kv: (-kv[1], kv[0]))[:n]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (inverse of from_json)."""
        return {
            "version": JSON_VERSION, "file_bytes": self.file_bytes, "coverage": round(self.coverage, 6),
            "unattributed": self.unattributed, "packages": dict(self.packages),
            "buckets": dict(self.buckets), "sections": dict(self.sections), "modules": dict(self.modules),
            "unattributed_sections": dict(self.unattributed_sections), "notes": list(self.notes),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SizeTable:
        """Rebuild a SizeTable from to_json() output."""
        if data.get("version") != JSON_VERSION:
            raise ValueError(f"size table JSON version {data.get('version')!r} is not {JSON_VERSION}")

        def ints(key: str) -> dict[str, int]:
            """A str->int dict from one JSON key."""
            return {str(k): int(v) for k, v in dict(data.get(key, {})).items()}

        return cls(
            file_bytes=int(data["file_bytes"]), packages=ints("packages"), buckets=ints("buckets"),
            sections=ints("sections"), unattributed=int(data["unattributed"]), modules=ints("modules"),
            unattributed_sections=ints("unattributed_sections"),
            notes=tuple(str(n) for n in data.get("notes", ())),
        )


# ---------------------------------------------------------------------------------------------------------
# Symbol names -> packages (go-toolchain.md §4.2)


def path_to_prefix(path: str) -> str:
    """objabi.PathToPrefix: the symbol prefix the compiler uses for an import path."""
    slash = path.rfind("/")
    out = []
    for i, ch in enumerate(path.encode()):
        if ch <= 0x20 or (ch == 0x2E and i > slash) or ch in (0x25, 0x22) or ch >= 0x7F:
            out.append(f"%{ch:02x}")
        else:
            out.append(chr(ch))
    return "".join(out)


_GENERATED_INITIALS = frozenset("gt$")  # go:, go.shape., gclocals·, type:, $f64. ...
_UNESCAPE = re.compile(r"%([0-9a-fA-F]{2})")
_C_SUFFIX = re.compile(r"(?:cold|part|isra|constprop|lto_priv|localalias|\d)")
_TOKEN = re.compile(r"[A-Za-z0-9_./%~+-]+")


def _unescape(prefix: str) -> str:
    """Undo %xx escapes of a symbol prefix."""
    if "%" not in prefix:
        return prefix
    return _UNESCAPE.sub(lambda m: chr(int(m.group(1), 16)), prefix).encode("latin-1", "replace").decode(
        "utf-8", "replace")


def _strip_brackets(name: str) -> str:
    """Remove every balanced [...] group (generic instantiation arguments)."""
    out = []
    depth = 0
    for ch in name:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth = max(0, depth - 1)
        elif depth == 0:
            out.append(ch)
    return "".join(out)


class SymbolMapper:
    """Maps Go symbol names to ('pkg', import path) or ('bucket', name) with the known-prefix rule."""

    def __init__(self, packages: Iterable[str], main_import_path: str) -> None:
        self.main = main_import_path
        self.prefixes: dict[str, str] = {path_to_prefix(p): p for p in packages}
        self.prefixes["main"] = main_import_path
        self._cache: dict[str, tuple[str, str]] = {}

    def package_of(self, name: str) -> str | None:
        """The import path owning a symbol, or None for generated/C/linker symbols."""
        kind, value = self.owner(name)
        return value if kind == "pkg" else None

    def owner(self, name: str) -> tuple[str, str]:
        """('pkg', import path) or ('bucket', bucket name) for a symbol name."""
        hit = self._cache.get(name)
        if hit is None:
            hit = self._owner(name)
            if len(self._cache) < 1_000_000:
                self._cache[name] = hit
        return hit

    def _owner(self, name: str) -> tuple[str, str]:
        """Uncached owner(): the rules of go-toolchain.md §4.2 in order."""
        special = _SPECIAL_SYMBOLS.get(name)
        if special:
            return ("bucket", special)
        if name[:1] not in _GENERATED_INITIALS:  # a plain package symbol: none of the prefixes below
            return self._package_owner(name)
        if name.startswith("go:itab."):
            concrete = name[len("go:itab."):].split(",", 1)[0]
            return self._type_owner(concrete, GENERATED)
        if name.startswith("type:."):
            for gen in ("type:.eq.", "type:.hash."):
                if name.startswith(gen):
                    return self._type_owner(name[len(gen):], GENERATED)
            return ("bucket", TYPES)
        if name.startswith("type:"):
            return self._type_owner(name[len("type:"):], TYPES)
        if name.startswith("go:string."):
            return ("bucket", STRINGS)
        if name.startswith("go:func.") or name.startswith("gclocals·"):
            return ("bucket", FUNCDATA)
        if name.startswith(("go:", "go.shape.", "$f64.", "$f32.", "$i64.", "$i32.")):
            return ("bucket", GENERATED)
        return self._package_owner(name)

    def _package_owner(self, name: str) -> tuple[str, str]:
        """Owner of a symbol with none of the generated prefixes: a package's, or C's."""
        if name.endswith(")") and "(." in name:  # C object sections of a cgo package: `net(.text)`
            pkg = self.prefixes.get(name[:name.index("(.")])
            return ("pkg", pkg) if pkg is not None else ("bucket", CGO)
        if "." not in name:
            return ("bucket", CGO)
        pkg = self._prefix(name)
        if pkg is not None:
            return ("pkg", pkg)
        pkg = self._fallback(name)
        if pkg is None or ("/" not in pkg and _C_SUFFIX.match(name, len(pkg) + 1)):
            return ("bucket", CGO)  # `x_cgo_munmap.cold`, `completed.0`: C compiler labels
        return ("pkg", pkg)

    def _type_owner(self, text: str, default: str) -> tuple[str, str]:
        """Owner of a type written in a symbol: the package of its first qualified identifier."""
        if text.startswith("go.shape."):
            return ("bucket", GENERATED)
        stripped = text.lstrip("*[]0123456789")
        if stripped.startswith("map["):
            stripped = stripped[4:]
        pkg = self._prefix(stripped)
        if pkg is not None:
            return ("pkg", pkg)
        for tok in _TOKEN.findall(text):
            if "." in tok and not tok.startswith("go.shape"):
                pkg = self._prefix(tok)
                if pkg is not None:
                    return ("pkg", pkg)
        return ("bucket", default)

    def _prefix(self, name: str) -> str | None:
        """Longest known prefix of `name` that ends at a '.', as an import path."""
        if "[" in name:
            name = _strip_brackets(name)
        # Escaped prefixes have no '.' after their last '/', so the prefix ending at the first '.'
        # after the name's last '/' is the longest one whenever it is known (the usual case).
        dot = name.find(".", name.rfind("/") + 1)
        if dot > 0:
            hit = self.prefixes.get(name[:dot])
            if hit is not None:
                return hit
        best = None
        i = name.find(".")
        prefixes = self.prefixes
        while i > 0:
            hit = prefixes.get(name[:i])
            if hit is not None:
                best = hit
            i = name.find(".", i + 1)
        return best

    def _fallback(self, name: str) -> str | None:
        """debug/gosym's PackageName rule with the '(' fix, for packages missing from the graph."""
        name = _strip_brackets(name)
        paren = name.find("(")
        head = name if paren < 0 else name[:paren]
        slash = head.rfind("/")
        dot = name.find(".", slash + 1)
        if dot <= 0:
            return None
        pkg = _unescape(name[:dot])
        return self.main if pkg == "main" else pkg


# ---------------------------------------------------------------------------------------------------------
# ELF reading


@dataclass(frozen=True)
class _Section:
    """One ELF section header."""
    name: str
    type: int
    addr: int
    offset: int
    size: int
    flags: int
    link: int

    @property
    def file_size(self) -> int:
        """Bytes the section occupies in the file (0 for NOBITS)."""
        return 0 if self.type == _SHT_NOBITS else self.size


class _Elf:
    """The parts of an ELF file attribution needs, read with struct over one bytes object."""

    def __init__(self, data: Bytes) -> None:
        self.data = data
        self.view = memoryview(data)
        self.is64 = data[4] == 2
        self.e = "<" if data[5] == 1 else ">"
        e = self.e
        if self.is64:
            self.phoff, self.shoff, _flags, ehsize, phentsize, phnum, shentsize, shnum, shstrndx = (
                struct.unpack_from(e + "QQIHHHHHH", data, 32))
        else:
            self.phoff, self.shoff, _flags, ehsize, phentsize, phnum, shentsize, shnum, shstrndx = (
                struct.unpack_from(e + "IIIHHHHHH", data, 28))
        self.ehsize, self.phentsize, self.phnum = ehsize, phentsize, phnum
        self.shentsize, self.shnum = shentsize, shnum
        self.ptr = 8 if self.is64 else 4
        raw = []
        for i in range(shnum):
            off = self.shoff + i * shentsize
            if self.is64:
                name, typ, flags, addr, offset, size, link = struct.unpack_from(e + "IIQQQQI", data, off)
            else:
                name, typ, flags, addr, offset, size, link = struct.unpack_from(e + "IIIIIII", data, off)
            raw.append((name, typ, flags, addr, offset, size, link))
        strtab = raw[shstrndx] if 0 < shstrndx < len(raw) else None
        self.sections: list[_Section] = []
        for name_off, typ, flags, addr, offset, size, link in raw:
            name = self._cstr(strtab[4] + name_off) if strtab else ""
            self.sections.append(_Section(name, typ, addr, offset, size, flags, link))
        self.by_name = {s.name: s for s in self.sections if s.name}
        alloc = [s for s in self.sections if s.addr and s.flags & 2]
        alloc.sort(key=lambda s: s.addr)
        self._alloc = alloc
        self._alloc_starts = [s.addr for s in alloc]

    def _cstr(self, off: int) -> str:
        """The NUL-terminated string at a file offset."""
        end = self.data.find(b"\0", off)
        return self.data[off:end if end >= 0 else len(self.data)].decode("utf-8", "replace")

    def word(self, off: int) -> int:
        """A pointer-sized word at a file offset."""
        return int(struct.unpack_from(self.e + ("Q" if self.is64 else "I"), self.data, off)[0])

    def section_at(self, addr: int) -> _Section | None:
        """The allocated section containing virtual address addr."""
        i = bisect_right(self._alloc_starts, addr) - 1
        if i >= 0:
            s = self._alloc[i]
            if addr < s.addr + s.size:
                return s
        return None

    def file_off(self, addr: int) -> int | None:
        """File offset of a virtual address in a section with file bytes, else None."""
        s = self.section_at(addr)
        if s is None or s.type == _SHT_NOBITS:
            return None
        return s.offset + addr - s.addr

    def symbols(self) -> list[tuple[str, int, int, int, int]]:
        """(name, value, size, shndx, type) of every .symtab symbol; empty without .symtab."""
        sec = self.by_name.get(".symtab")
        if sec is None or sec.type == _SHT_NOBITS:
            return []
        strsec = self.sections[sec.link] if 0 < sec.link < len(self.sections) else None
        if strsec is None:
            return []
        data, e = self.data, self.e
        base = strsec.offset
        out = []
        # Elf64_Sym is (name, info, other, shndx, value, size); Elf32_Sym is (name, value, size, info, other, shndx).
        if self.is64:
            fmt, entsize = struct.Struct(e + "IBBHQQ"), 24
            rows = ((n, v, sz, i, sh) for n, i, _o, sh, v, sz in fmt.iter_unpack(
                self.view[sec.offset:sec.offset + sec.size - sec.size % entsize]))
        else:
            fmt, entsize = struct.Struct(e + "IIIBBH"), 16
            rows = ((n, v, sz, i, sh) for n, v, sz, i, _o, sh in fmt.iter_unpack(
                self.view[sec.offset:sec.offset + sec.size - sec.size % entsize]))
        for name_off, value, size, info, shndx in rows:
            typ = info & 0xF
            if typ in (_STT_SECTION, _STT_FILE) or name_off == 0:
                continue
            start = base + name_off
            end = data.find(b"\0", start)
            out.append((data[start:end].decode("utf-8", "replace"), value, size, shndx, typ))
        return out


# ---------------------------------------------------------------------------------------------------------
# Interval painting: every claim is a file-offset range with an owner; earlier tiers win.


class _Painter:
    """Disjoint, sorted file ranges with owners; a tier only fills what earlier tiers left."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.owners: list[int] = []

    def paint(self, claims: list[tuple[int, int, int]]) -> None:
        """Add one tier of (start, end, owner) claims; within a tier the first claim wins.

        Adjacent painted ranges of one owner are merged: totals and gaps stay the same, and the
        later tiers and the accounting walk far fewer ranges (a Go binary's tables are long runs
        of one package).
        """
        claims.sort()
        if not self.starts:
            self._paint_empty(claims)
            return
        tier = _Painter()
        tier._paint_empty(claims)  # the tier resolved on its own, then laid under what is painted
        self.paint_under(tier.starts, tier.ends, tier.owners)

    def paint_under(self, t_starts: list[int], t_ends: list[int], t_owners: list[int]) -> None:
        """Fill the unpainted bytes with a tier already resolved on its own (sorted, disjoint)."""
        starts, ends = self.starts, self.ends
        n = len(starts)
        new: list[tuple[int, int, int]] = []
        for s, e, o in zip(t_starts, t_ends, t_owners, strict=True):
            i = bisect_right(ends, s)
            while s < e:
                if i < n and starts[i] < e:
                    if starts[i] > s:
                        new.append((s, starts[i], o))
                    s = max(s, ends[i])
                    i += 1
                else:
                    new.append((s, e, o))
                    s = e
        if len(new) <= 256:  # a few pieces: insert them in place
            for s, e, o in new:
                i = bisect_right(starts, s)
                starts.insert(i, s)
                ends.insert(i, e)
                self.owners.insert(i, o)
            return
        merged = sorted(list(zip(starts, ends, self.owners, strict=True)) + new)  # disjoint: no clipping
        self.starts = list(map(itemgetter(0), merged))
        self.ends = list(map(itemgetter(1), merged))
        self.owners = list(map(itemgetter(2), merged))

    def _paint_empty(self, claims: list[tuple[int, int, int]]) -> None:
        """paint() into an empty painter: clip each sorted claim to what the earlier ones left."""
        starts, ends, owners = self.starts, self.ends, self.owners
        cursor = -1
        last = -1
        for s, e, o in claims:
            if s < cursor:
                s = cursor
            if s >= e:
                continue
            if s == cursor and o == last:
                ends[-1] = e
            else:
                starts.append(s)
                ends.append(e)
                owners.append(o)
                last = o
            cursor = e


class _Owners:
    """Interns owners as small ints: ('pkg', path) or ('bucket', name)."""

    def __init__(self) -> None:
        self.ids: dict[tuple[str, str], int] = {}
        self.items: list[tuple[str, str]] = []

    def __call__(self, kind: str, name: str) -> int:
        """The id of an owner, interned."""
        key = (kind, name)
        i = self.ids.get(key)
        if i is None:
            i = self.ids[key] = len(self.items)
            self.items.append(key)
        return i


# ---------------------------------------------------------------------------------------------------------
# Attribution


def attribute_cached(path: Path, packages: Mapping[str, str | None], main_import_path: str,
                     cache_dir: Path | None, *, job: TypesJob | None = None) -> SizeTable:
    """attribute(), remembered under cache_dir by the binary's content: an unchanged binary (the
    usual case between `suggest`, `size` and `apply`) is not attributed twice. None: no cache.
    job: a TypesJob spawned earlier (during the build); this call owns it from now on."""
    if cache_dir is None:
        return attribute(path, packages, main_import_path, job=job)
    try:
        with _mapped(Path(path)) as data:
            job = _engage(job, None, Path(path), main_import_path, len(data))  # it walks while we hash
            return _attribute_cached(data, packages, main_import_path, cache_dir, job)
    finally:
        if job is not None:
            job.close()  # (again: closing twice is harmless)


def _attribute_cached(data: Bytes, packages: Mapping[str, str | None], main_import_path: str,
                      cache_dir: Path, job: TypesJob | None) -> SizeTable:
    import hashlib
    import json

    from refactor import __version__, code_digest

    try:
        # go build stamps a digest of the file's content into its build ID: reading the note is much
        # cheaper than hashing tens of megabytes. Only gotrim's own fresh builds come here (never a
        # file stripped or packed after the build); the size is in the key all the same. Without a
        # standard ID (a redacted one, another linker) the content is hashed.
        build_id = go_build_id(data)
        h = hashlib.sha256(f"{build_id} {len(data)}".encode() if build_id else data)
        h.update(json.dumps([__version__, code_digest(), JSON_VERSION, main_import_path,
                             sorted(packages.items(), key=str)], default=str).encode())
        entry = cache_dir / "sizes" / f"{h.hexdigest()[:32]}.json"
        try:
            return SizeTable.from_json(json.loads(entry.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError):
            pass
        table = _attribute(data, packages, main_import_path, job)
    finally:
        if job is not None:
            job.close()
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        tmp = entry.with_suffix(".tmp")
        tmp.write_text(json.dumps(table.to_json()), encoding="utf-8")
        tmp.replace(entry)
        _prune_cache(entry.parent, keep=256)
    except OSError:
        pass  # a read-only or full cache directory only costs time
    return table


_BUILD_ID = re.compile(rb"[A-Za-z0-9_-]{20}(?:/[A-Za-z0-9_-]{20}){3}")


def go_build_id(data: Bytes) -> str | None:
    """The build ID `go build` wrote into an ELF executable (its last part digests the file's
    content), or None when there is none in the standard four-part form."""
    if len(data) < 64 or data[:4] != b"\x7fELF":
        return None
    try:
        sec = _Elf(data).by_name.get(".note.go.buildid")
    except (struct.error, IndexError):
        return None
    if sec is None or sec.size < 16:
        return None
    e = "<" if data[5] == 1 else ">"
    namesz, descsz, _typ = struct.unpack_from(e + "III", data, sec.offset)
    desc = sec.offset + 12 + (namesz + 3) // 4 * 4
    raw = data[desc:desc + descsz]
    return raw.decode() if _BUILD_ID.fullmatch(raw) else None


def _prune_cache(folder: Path, keep: int) -> None:
    files = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in files[keep:]:
        old.unlink(missing_ok=True)


def attribute(path: Path, packages: Mapping[str, str | None], main_import_path: str, *,
              parallel: bool | None = None, job: TypesJob | None = None) -> SizeTable:
    """Attribute every byte of the binary at `path` to a package, a named bucket or `unattributed`.

    parallel: walk the type descriptors in a second process while this one reads the symbol table
    and the pclntab (the result is the same either way). None: only for binaries of at least
    PARALLEL_MIN_BYTES on a machine with more than one CPU. job: a TypesJob spawned earlier (so
    that its start-up overlapped the build); this call owns it.
    """
    path = Path(path)
    job = _engage(job, parallel, path, main_import_path, path.stat().st_size)
    try:
        with _mapped(path) as data:
            return _attribute(data, packages, main_import_path, job)
    finally:
        if job is not None:
            job.close()


@contextlib.contextmanager
def _mapped(path: Path) -> Iterator[Bytes]:
    """The file's bytes, mapped read-only (read into memory when it cannot be mapped, e.g. empty)."""
    with open(path, "rb") as f:
        try:
            m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        except (ValueError, OSError):
            yield f.read()
            return
        try:
            yield m
        finally:
            with contextlib.suppress(BufferError):  # a view still held somewhere: the mapping goes with it
                m.close()


def _attribute(data: Bytes, packages: Mapping[str, str | None], main_import_path: str,
               job: TypesJob | None) -> SizeTable:
    if len(data) < 64 or data[:4] != b"\x7fELF":
        return SizeTable(file_bytes=len(data), unattributed=len(data),
                         unattributed_sections={"(not ELF)": len(data)} if data else {},
                         notes=(NOT_ELF_NOTE,))
    gc_was_on = gc.isenabled()
    gc.disable()  # hundreds of thousands of tuples and no cycles: the collector would only rescan them
    try:
        return _Attributor(data, packages, main_import_path).run(job)
    finally:
        if gc_was_on:
            gc.enable()


PARALLEL_MIN_BYTES = 16 << 20


def _engage(job: TypesJob | None, parallel: bool | None, path: Path, main_import_path: str,
            size: int) -> TypesJob | None:
    """The job that will walk this binary's types (started now if needed), or None: walk here."""
    if parallel is None:
        parallel = (os.cpu_count() or 1) > 1 and size >= PARALLEL_MIN_BYTES
    if not parallel:
        if job is not None:
            job.close()
        return None
    job = job or TypesJob.spawn()
    if job is not None and not job.send(path, main_import_path):
        job.close()
        return None
    return job


class TypesJob:
    """A child Python that walks one binary's type descriptors (see _types_worker) while the
    caller reads the symbols and the pclntab. Spawn it early (its start-up costs ~0.1 s, hidden
    under a link); send it the binary once built."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc

    @classmethod
    def spawn(cls) -> TypesJob | None:
        """Start the child, or None when no interpreter can be started (the caller walks itself)."""
        if not sys.executable:
            return None
        root = str(Path(__file__).resolve().parent.parent)
        code = f"import sys; sys.path.insert(0, {root!r}); from refactor.binary import _types_worker; _types_worker()"
        try:
            proc = subprocess.Popen([sys.executable, "-I", "-S", "-c", code], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        except OSError:
            return None
        return cls(proc)

    def send(self, path: Path, main_import_path: str) -> bool:
        """Ask the child for the binary at path; False if it is gone."""
        stdin = self.proc.stdin
        if stdin is None:
            return False  # already asked
        self.proc.stdin = None  # closed below: communicate() must not touch it
        try:
            with stdin:
                stdin.write(os.fsencode(path.resolve()) + b"\0" + main_import_path.encode())
        except OSError:
            return False
        return True

    def result(self) -> _TypeRanges | None:
        """The child's painted type ranges, or None if it failed (the caller then walks itself)."""
        try:
            out, _ = self.proc.communicate(timeout=600)
        except (OSError, ValueError, subprocess.TimeoutExpired):
            return None
        if self.proc.returncode != 0:
            return None
        try:
            res = pickle.loads(out)
        except Exception:  # noqa: BLE001 - any bad answer means: do it here
            return None
        return res if isinstance(res, tuple) and len(res) == 5 else None

    def close(self) -> None:
        """Stop the child if it still runs, and release its pipes."""
        if self.proc.poll() is None:
            self.proc.kill()
        for f in (self.proc.stdin, self.proc.stdout):
            if f is not None and not f.closed:
                f.close()
        self.proc.wait()


# (starts, ends, owner indices, owners as (kind, name), notes): one tier painted on its own.
_TypeRanges = tuple[list[int], list[int], list[int], list[tuple[str, str]], list[str]]


def _types_worker() -> None:
    """Child entry point: reads `PATH\\0MAIN` on stdin, writes the pickled _TypeRanges on stdout."""
    gc.disable()
    request = sys.stdin.buffer.read()  # the parent closes stdin after one request
    if not request:
        return  # closed unused: the binary was small, or its size was cached
    raw_path, _, raw_main = request.partition(b"\0")
    main = raw_main.decode()
    with _mapped(Path(os.fsdecode(raw_path))) as data:
        elf = _Elf(data)
        symaddr: dict[str, tuple[int, int]] = {}
        md = _locate_moduledata(elf, symaddr)
        if md is None:  # stripped of .gopclntab's section header or of moduledata: names are the way
            for name, value, size, _shndx, _typ in elf.symbols():
                symaddr.setdefault(name, (value, size))
            md = _locate_moduledata(elf, symaddr)
        result = _type_ranges(elf, md, symaddr, main)
    sys.stdout.buffer.write(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))


def _type_ranges(elf: _Elf, md: _Moduledata | None, symaddr: Mapping[str, tuple[int, int]],
                 main: str) -> _TypeRanges:
    """The types tier painted on its own, with its own owner numbering (the same in either process)."""
    own = _Owners()
    claims: list[tuple[int, int, int]] = []
    notes: list[str] = []
    _type_claims(elf, md, symaddr, main, own, claims, notes)
    painter = _Painter()
    painter.paint(claims)
    return painter.starts, painter.ends, painter.owners, own.items, notes


class _Attributor:
    """One attribution run over one ELF file."""

    def __init__(self, data: Bytes, packages: Mapping[str, str | None], main_import_path: str) -> None:
        self.elf = _Elf(data)
        self.data = data
        self.packages = packages
        self.main = main_import_path
        self.mapper = SymbolMapper(list(packages) + [main_import_path], main_import_path)
        self.own = _Owners()
        self.notes: list[str] = []
        self.tiers: list[list[tuple[int, int, int]]] = [[], [], [], []]  # indexed by _T_*
        self.syms = self.elf.symbols()
        self.symaddr: dict[str, tuple[int, int]] = {}
        for name, value, size, _shndx, _typ in self.syms:
            self.symaddr.setdefault(name, (value, size))
        self._dir_pkg: dict[str, int | None] = {}
        self.md: _Moduledata | None = None

    # helpers
    def claim(self, tier: int, start: int, end: int, owner: int) -> None:
        """Record a (start, end) file range for owner in a tier."""
        if end > start:
            self.tiers[tier].append((start, end, owner))

    def name_owner(self, name: str) -> int:
        """Owner id of a symbol name."""
        return self.own(*self.mapper.owner(name))

    def run(self, job: TypesJob | None = None) -> SizeTable:
        """Collect every claim, paint tiers in order, and sum. With a job, the types tier comes
        from that child process, walked while this one reads the symbols and the pclntab."""
        elf = self.elf
        self._headers()
        self._sections()
        if self.syms:
            self._symtab()
        else:
            self.notes.append("no .symtab (built with -s?): code and data sizes come from pclntab only")
        self._pclntab()
        painter = _Painter()
        painter.paint(self.tiers[_T_SYMBOLS])
        painter.paint(self.tiers[_T_PCLN])
        ranges = job.result() if job is not None else None
        if ranges is None:  # no child, or it failed: the same walk here
            ranges = _type_ranges(elf, self.md, self.symaddr, self.main)
        starts, ends, owners, items, notes = ranges
        ids = [self.own(kind, name) for kind, name in items]
        painter.paint_under(starts, ends, [ids[o] for o in owners])
        self.notes.extend(notes)
        painter.paint(self.tiers[_T_SHARED])
        painter.paint(self.tiers[_T_SECTIONS])
        return self._account(painter, elf)

    def _headers(self) -> None:
        """ELF header, program headers and section headers."""
        elf = self.elf
        hdr = self.own("bucket", HEADERS)
        self.claim(_T_SYMBOLS, 0, elf.ehsize, hdr)
        self.claim(_T_SYMBOLS, elf.phoff, elf.phoff + elf.phentsize * elf.phnum, hdr)
        self.claim(_T_SYMBOLS, elf.shoff, elf.shoff + elf.shentsize * elf.shnum, hdr)

    def _sections(self) -> None:
        """Tier 2: whole sections whose nature is known (DWARF, symtab, notes, dynamic linking)."""
        for s in self.elf.sections:
            if not s.file_size:
                continue
            bucket = _SECTION_BUCKETS.get(s.name)
            if bucket is None:
                if s.name.startswith((".debug_", ".zdebug_")):
                    bucket = DWARF
                elif s.name.startswith(".note"):
                    bucket = HEADERS
                elif s.name.startswith(".rela") or s.name.startswith(".rel."):
                    bucket = DYNAMIC
            if bucket is not None:
                self.claim(_T_SECTIONS, s.offset, s.offset + s.file_size, self.own("bucket", bucket))

    def _symtab(self) -> None:
        """Tier 0 for symbols of a package, tier 1 for carriers and generated symbols."""
        secs = self.elf.sections
        # per section index: (file offset - address, end of its file bytes), None without file bytes
        where = [(sec.offset - sec.addr, sec.offset + sec.size) if sec.type != _SHT_NOBITS and sec.size else None
                 for sec in secs]
        nsec = len(secs)
        carriers = {"type:*": TYPES, "go:string.*": STRINGS, "go:func.*": FUNCDATA, "go:funcdesc": GENERATED,
                    "go:funcdescrel": GENERATED, "runtime.gcbits.*": TYPES, "go:typerel.*": TYPES}
        starts: list[int] = []
        pkg_add, shared_add = self.tiers[_T_SYMBOLS].append, self.tiers[_T_SHARED].append
        owner_of, own = self.mapper.owner, self.own
        funcdata = own("bucket", FUNCDATA)
        for name, value, size, shndx, _typ in self.syms:
            if size <= 0 and name not in carriers:
                continue
            w = where[shndx] if 0 < shndx < nsec else None
            if w is None:
                continue
            off = value + w[0]
            if name in carriers:
                # Carrier symbols have size 0 (or cover their pieces): the range runs to the next symbol.
                if not size:
                    if not starts:
                        starts = sorted({v for _n, v, _s, _x, _t in self.syms if v})
                    sec = secs[shndx]
                    size = _next_start(starts, value, sec.addr + sec.size) - value
                if size > 0:
                    shared_add((off, off + size, own("bucket", carriers[name])))
                continue
            end = off + size
            if end > w[1]:
                end = w[1]
            kind, owner = owner_of(name)
            if kind != "pkg":
                shared_add((off, end, own(kind, owner)))
            elif name.endswith(_FUNCDATA_SUFFIXES):
                shared_add((off, end, funcdata))
            else:
                pkg_add((off, end, own(kind, owner)))

    def _pclntab(self) -> None:
        """Per-function pclntab pieces (tier 0) and code ranges when there is no symtab."""
        elf = self.elf
        sec = elf.by_name.get(".gopclntab")
        found = _pclntab_at(elf, self.symaddr)
        if found is None:
            self.notes.append("no pclntab found: function tables stay unattributed")
            return
        base, base_addr = found
        data, e = self.data, elf.e
        magic = struct.unpack_from(e + "I", data, base)[0]
        if magic not in _PCLN_MAGICS:
            self.notes.append(f"pclntab magic {magic:#x} is not Go 1.18+: function tables stay unattributed")
            return
        ptr = data[base + 7]
        w = "Q" if ptr == 8 else "I"
        nfunc, _nfiles, _text0, nameoff, cuoff, fileoff, pcoff, funcoff = struct.unpack_from(
            e + "8" + w, data, base + 8)
        hdr_end = 8 + 8 * ptr
        pcln_bucket = self.own("bucket", PCLN)
        self.claim(_T_PCLN, base, base + hdr_end, pcln_bucket)
        regions = sorted({nameoff, cuoff, fileoff, pcoff, funcoff})
        pcln_end = sec.size if sec is not None else 0

        def region_end(start: int) -> int:
            """End offset of the pclntab region starting at start."""
            i = regions.index(start)
            return regions[i + 1] if i + 1 < len(regions) else pcln_end

        md = self.md = _moduledata(elf, base_addr, nameoff)
        # functab: nfunc+1 (entryoff, funcoff) pairs, then the _func records
        ftab = base + funcoff
        pairs = list(struct.iter_unpack(e + "II", data[ftab:ftab + 8 * (nfunc + 1)]))
        if len(pairs) < nfunc + 1:
            self.notes.append("pclntab function table is truncated: function tables stay unattributed")
            return
        func_hdr = struct.Struct(e + "IiiIIIIIIiBBBB")
        add = self.tiers[_T_PCLN].append
        # funcnametab: every NUL-terminated name (inlined functions' names included); a run of names
        # of one owner is one claim
        ns, ne = base + nameoff, base + region_end(nameoff)
        name_ids: dict[int, int] = {}  # offset in funcnametab -> owner id
        owner_of = self.name_owner
        pos, run_s, run_e, run_o = 0, 0, 0, -1
        for raw in data[ns:ne].split(b"\0"):
            n = len(raw)
            if n:
                o = name_ids[pos] = owner_of(raw.decode("utf-8", "replace"))
                a, b = ns + pos, min(ns + pos + n + 1, ne)
                if o == run_o and a == run_e:
                    run_e = b
                else:
                    if run_e > run_s:
                        add((run_s, run_e, run_o))
                    run_s, run_e, run_o = a, b, o
            pos += n + 1
        if run_e > run_s:
            add((run_s, run_e, run_o))
        func_owner: list[int] = []
        pc_first: dict[int, int] = {}
        fd_first: dict[int, int] = {}
        cu_first: dict[int, int] = {}
        pc_set, fd_set, cu_set = pc_first.setdefault, fd_first.setdefault, cu_first.setdefault
        rec_offsets: list[int] = []
        unpack_hdr = func_hdr.unpack_from
        run_i, run_o = 0, -1  # functab entries: 8 bytes each, a run of one owner is one claim
        for i in range(nfunc):
            foff = ftab + pairs[i][1]
            (_entry, name_off, _args, _dr, pcsp, pcfile, pcln, npcdata, cu, _line, _fid, _flag, _pad,
             nfuncdata) = unpack_hdr(data, foff)
            known = name_ids.get(name_off)
            if known is None:  # not at a name boundary (never seen in practice): read it where it points
                end = data.find(b"\0", ns + name_off)
                known = owner_of(data[ns + name_off:end].decode("utf-8", "replace"))
            o = known
            func_owner.append(o)
            if o != run_o:
                if i > run_i:
                    add((ftab + 8 * run_i, ftab + 8 * i, run_o))
                run_i, run_o = i, o
            rec_offsets.append(foff)
            if pcsp:
                pc_set(pcsp, o)
            if pcfile:
                pc_set(pcfile, o)
            if pcln:
                pc_set(pcln, o)
            if npcdata:
                for t in struct.unpack_from(e + f"{npcdata}I", data, foff + 44):
                    if t:
                        pc_set(t, o)
            if nfuncdata:
                for t in struct.unpack_from(e + f"{nfuncdata}I", data, foff + 44 + 4 * npcdata):
                    if t != 0xFFFFFFFF:
                        fd_set(t, o)
            cu_set(cu, o)
        if nfunc > run_i:
            add((ftab + 8 * run_i, ftab + 8 * nfunc, run_o))
        # the sentinel pair (end of text) belongs to the table itself
        self.claim(_T_PCLN, ftab + 8 * nfunc, ftab + 8 * nfunc + 8, pcln_bucket)
        # _func records: each runs to the next record (alignment included)
        order = sorted(range(nfunc), key=rec_offsets.__getitem__)
        recs_end = base + region_end(funcoff)
        run_s, run_e, run_o = 0, 0, -1
        for j, k in enumerate(order):
            a = rec_offsets[k]
            b = rec_offsets[order[j + 1]] if j + 1 < nfunc else recs_end
            if b <= a or b - a > 4096:
                b = a + 44
            o = func_owner[k]
            if o == run_o and a == run_e:
                run_e = b
            else:
                if run_e > run_s:
                    add((run_s, run_e, run_o))
                run_s, run_e, run_o = a, b, o
        if run_e > run_s:
            add((run_s, run_e, run_o))
        # pctab: tables are contiguous, so each runs to the next referenced offset
        self._split_table(base + pcoff, base + region_end(pcoff), pc_first)
        # cutab: per compile unit, uint32 file indices
        cu_bytes = {4 * k: v for k, v in cu_first.items()}
        self._split_table(base + cuoff, base + region_end(cuoff), cu_bytes)
        # filetab: each file name goes to the package of its directory
        fs, fe = base + fileoff, base + region_end(fileoff)
        pos = fs
        while pos < fe:
            end = data.find(b"\0", pos, fe)
            if end < 0:
                break
            if end > pos:
                owner = self._file_owner(data[pos:end].decode("utf-8", "replace"))
                if owner is not None:
                    self.claim(_T_PCLN, pos, end + 1, owner)
            pos = end + 1
        # funcdata in go:func.*
        gofunc = md.gofunc if md else self.symaddr.get("go:func.*", (0, 0))[0]
        if gofunc:
            go_end_addr = 0
            if "go:func.*" in self.symaddr and self.symaddr["go:func.*"][1]:
                go_end_addr = gofunc + self.symaddr["go:func.*"][1]
            elif md and md.findfunctab > gofunc:
                go_end_addr = md.findfunctab
            gofunc_off = elf.file_off(gofunc)
            if gofunc_off is not None and go_end_addr:
                self._split_table(gofunc_off, gofunc_off + go_end_addr - gofunc, fd_first)
        if md and md.findfunctab:
            ff = elf.file_off(md.findfunctab)
            if ff is not None:
                self.claim(_T_SHARED, ff, ff + (base + pcln_end - ff if md.findfunctab > base_addr else 0), pcln_bucket)
        # code, when .symtab is missing: entry i runs to entry i+1, trailing int3 filler is padding
        if not self.syms:
            text = md.text if md else (elf.by_name[".text"].addr if ".text" in elf.by_name else 0)
            pad = self.own("bucket", PADDING)
            for i in range(nfunc):
                a = elf.file_off(text + pairs[i][0])
                b = elf.file_off(text + pairs[i + 1][0] - 1)
                if a is None or b is None:
                    continue
                b += 1
                body = data[a:b]
                keep = len(body.rstrip(b"\xcc")) if elf_machine_x86(data) else len(body)
                self.claim(_T_PCLN, a, a + keep, func_owner[i])
                self.claim(_T_PCLN, a + keep, b, pad)

    def _split_table(self, start: int, end: int, first: Mapping[int, int]) -> None:
        """Split [start, end) at the referenced offsets; each piece goes to its first referrer."""
        offs = sorted(o for o in first if 0 <= start + o < end)
        add = self.tiers[_T_PCLN].append
        run_s, run_o = -1, -1  # pieces are contiguous: a run of one owner is one claim
        for o in offs:
            owner = first[o]
            if owner != run_o:
                if run_s >= 0:
                    add((run_s, start + o, run_o))
                run_s, run_o = start + o, owner
        if run_s >= 0 and end > run_s:
            add((run_s, end, run_o))

    def _file_owner(self, fname: str) -> int | None:
        """The package owning a source file path from the filetab, by its directory."""
        slash = fname.rfind("/")
        d = fname[:slash] if slash > 0 else ""
        if d in self._dir_pkg:
            return self._dir_pkg[d]
        owner: int | None = None
        parts = [p.split("@", 1)[0] for p in d.split("/")] if d else []
        for k in range(len(parts)):
            cand = "/".join(parts[k:])
            if cand in self.packages or cand == self.main:
                owner = self.own("pkg", cand)
                break
        self._dir_pkg[d] = owner
        return owner

    def _account(self, painter: _Painter, elf: _Elf) -> SizeTable:
        """Sum painted ranges per owner; uncovered bytes become padding or per-section unattributed."""
        size = len(self.data)
        totals = [0] * len(self.own.items)
        gaps: list[tuple[int, int]] = []
        cursor = 0
        for s, e, o in zip(painter.starts, painter.ends, painter.owners, strict=True):  # sorted, disjoint
            totals[o] += e - s
            if s > cursor:
                gaps.append((cursor, s))
            cursor = e
        if cursor < size:
            gaps.append((cursor, size))
        ranges = sorted((s.offset, s.offset + s.file_size, s.name) for s in elf.sections if s.file_size)
        sec_starts = [r[0] for r in ranges]
        padding = 0
        unattributed: dict[str, int] = {}
        data = self.data
        for gs, ge in gaps:
            pos = gs
            while pos < ge:
                i = bisect_right(sec_starts, pos) - 1
                if i >= 0 and pos < ranges[i][1]:
                    end = ranges[i][1]
                    if end > ge:
                        end = ge
                    n = end - pos
                    # a short run of one filler byte (zero, int3, nop) inside a section is alignment
                    if n <= _PAD_MAX and data[pos] in _FILLERS and not data[pos:end].lstrip(data[pos:pos + 1]):
                        padding += n
                    else:
                        where = ranges[i][2] or "(unnamed section)"
                        unattributed[where] = unattributed.get(where, 0) + n
                else:  # between sections: file alignment
                    end = sec_starts[i + 1] if i + 1 < len(sec_starts) else size
                    if end > ge:
                        end = ge
                    padding += end - pos
                pos = end
        packages: dict[str, int] = {}
        buckets: dict[str, int] = {}
        for (kind, name), n in zip(self.own.items, totals, strict=True):
            if not n:
                continue
            target = packages if kind == "pkg" else buckets
            target[name] = target.get(name, 0) + n
        if padding:
            buckets[PADDING] = buckets.get(PADDING, 0) + padding
        modules: dict[str, int] = {}
        for pkg, n in packages.items():
            # a package named by symbols only (runtime/cgo, or linknamed into runtime) is std if its path is
            outside = None if "." not in pkg.split("/", 1)[0] else "?"
            mod = self.packages.get(pkg, outside)
            key = "std" if mod is None else str(mod)
            modules[key] = modules.get(key, 0) + n
        unknown = sorted(p for p in packages if p not in self.packages and p != self.main)
        if unknown:
            self.notes.append(f"{len(unknown)} symbol package(s) not in the build graph (module std if the "
                              "path is standard, else '?'): "
                              + ", ".join(unknown[:5]) + (" ..." if len(unknown) > 5 else ""))
        sections: dict[str, int] = {}
        for sec in elf.sections:
            if sec.file_size and sec.name:
                sections[sec.name] = sections.get(sec.name, 0) + sec.file_size
        return SizeTable(
            file_bytes=size, packages=packages, buckets=buckets, sections=sections,
            unattributed=sum(unattributed.values()), modules=modules,
            unattributed_sections=unattributed, notes=tuple(self.notes),
        )


_FILLERS = frozenset((0, 0xCC, 0x90))  # zero, int3, nop


def _next_start(starts: list[int], value: int, limit: int) -> int:
    """The first symbol address after value, capped at limit."""
    i = bisect_right(starts, value)
    return min(starts[i], limit) if i < len(starts) else limit


def elf_machine_x86(data: Bytes) -> bool:
    """True for x86 ELF files (whose code padding is int3)."""
    machine = struct.unpack_from("<H" if data[5] == 1 else ">H", data, 18)[0]
    return int(machine) in (3, 62)


@dataclass(frozen=True)
class _Moduledata:
    """The runtime.firstmoduledata fields attribution uses."""
    text: int
    types: int
    etypes: int
    gofunc: int
    findfunctab: int


def _pclntab_at(elf: _Elf, symaddr: Mapping[str, tuple[int, int]]) -> tuple[int, int] | None:
    """(file offset, address) of the pclntab: its section, else the runtime.pclntab symbol."""
    sec = elf.by_name.get(".gopclntab")
    if sec is not None and sec.file_size:
        return sec.offset, sec.addr
    addr = symaddr.get("runtime.pclntab", (0, 0))[0]
    off = elf.file_off(addr) if addr else None
    return None if off is None else (off, addr)


def _locate_moduledata(elf: _Elf, symaddr: Mapping[str, tuple[int, int]]) -> _Moduledata | None:
    """runtime.firstmoduledata, found from the pclntab header (Go 1.18+ layouts)."""
    found = _pclntab_at(elf, symaddr)
    if found is None:
        return None
    base, base_addr = found
    if struct.unpack_from(elf.e + "I", elf.data, base)[0] not in _PCLN_MAGICS:
        return None
    ptr = elf.data[base + 7]
    nameoff = struct.unpack_from(elf.e + ("Q" if ptr == 8 else "I"), elf.data, base + 8 + 3 * ptr)[0]
    return _moduledata(elf, base_addr, nameoff)


def _moduledata(elf: _Elf, pclntab_addr: int, funcname_off: int) -> _Moduledata | None:
    """runtime.firstmoduledata, found by its first two words (pcHeader, funcnametab pointers)."""
    p = elf.ptr
    fmt = elf.e + ("QQ" if p == 8 else "II")
    needle = struct.pack(fmt, pclntab_addr, pclntab_addr + funcname_off)
    for name in (".go.module", ".noptrdata", ".data"):
        s = elf.by_name.get(name)
        if s is None or not s.file_size:
            continue
        pos = elf.data.find(needle, s.offset, s.offset + s.file_size)
        while pos >= 0 and (pos - s.offset) % p:
            pos = elf.data.find(needle, pos + 1, s.offset + s.file_size)
        if pos < 0:
            continue

        def word(i: int, at: int = pos) -> int:
            """A pointer-sized word at a file offset."""
            return elf.word(at + i * p)

        # words: pcHeader, 6 slices (3 words each), findfunctab, minpc, maxpc, text, etext, ...
        findfunctab = word(19)
        text = word(22)
        types, etypes, gofunc = word(37), word(38), word(40)
        return _Moduledata(text=text, types=types, etypes=etypes, gofunc=gofunc, findfunctab=findfunctab)
    return None


_KIND_ARRAY, _KIND_CHAN, _KIND_FUNC, _KIND_IFACE, _KIND_MAP, _KIND_PTR, _KIND_SLICE = 17, 18, 19, 20, 21, 22, 23
_KIND_STRUCT = 25
_TFLAG_UNCOMMON = 1


def _type_claims(elf: _Elf, md: _Moduledata | None, symaddr: Mapping[str, tuple[int, int]], main: str,
                 own: _Owners, claims: list[tuple[int, int, int]], notes: list[str]) -> None:
    """Claims of type descriptors, their names and itabs, reached from typelinks and itablinks."""
    types = md.types if md else symaddr.get("runtime.types", (0, 0))[0]
    etypes = md.etypes if md else symaddr.get("runtime.etypes", (0, 0))[0]
    if not types or etypes <= types:
        notes.append("type descriptors not found: they stay in one bucket or unattributed")
        return
    data = elf.data
    walker = _TypeWalker(elf, types, etypes, _go_minor(elf))
    roots: list[int] = []
    tl = elf.by_name.get(".typelink")
    if tl is not None and tl.file_size:
        roots.extend(types + o for (o,) in struct.iter_unpack(
            elf.e + "i", data[tl.offset:tl.offset + tl.size - tl.size % 4]))
    il = elf.by_name.get(".itablink")
    itabs: list[int] = []
    if il is not None and il.file_size:
        w = "Q" if elf.ptr == 8 else "I"
        itabs = [a for (a,) in struct.iter_unpack(
            elf.e + w, data[il.offset:il.offset + il.size - il.size % elf.ptr])]
    walker.walk(roots, itabs)
    walker.scan_gaps()
    pkg_ids: dict[int, int] = {}
    types_bucket = own("bucket", TYPES)
    add = claims.append
    for start, end, taddr in walker.claims:
        o = pkg_ids.get(taddr)
        if o is None:
            path = walker.package(taddr)
            if path == "go.shape":
                path = None
            elif path == "main":
                path = main
            o = pkg_ids[taddr] = own("pkg", path) if path else types_bucket
        if end > start:
            add((start, end, o))
    if walker.errors:
        notes.append(f"{walker.errors} type descriptor(s) could not be read")


# tflag < 64, align and field align powers of two up to 64, kind 1..26 (with the direct-iface and
# GC-program bits allowed, never 0x80), at offsets 20..23 of an abi.Type: a lookahead finds every
# position where a descriptor header could start, overlapping ones included.
_POW2 = b"\\x01\\x02\\x04\\x08\\x10\\x20\\x40"
_KINDS = b"\\x01-\\x1a\\x21-\\x3a\\x41-\\x5a\\x61-\\x7a"
_HEADER_BYTES = re.compile(b"(?=[\\x00-\\x3f][" + _POW2 + b"][" + _POW2 + b"][" + _KINDS + b"])")


class _TypeWalker:
    """Walks runtime type descriptors (internal/abi) from roots, recording the file ranges of each."""

    def __init__(self, elf: _Elf, types: int, etypes: int, go_minor: int) -> None:
        self.elf = elf
        self.data = elf.data
        self.types, self.etypes = types, etypes
        p = self.p = elf.ptr
        e = elf.e
        self.H = 4 * p + 16
        self.hdr = struct.Struct(e + ("QQIBBBBQQii" if p == 8 else "IIIBBBBIIii"))
        self.w = struct.Struct(e + ("Q" if p == 8 else "I"))
        self.i32 = struct.Struct(e + "i")
        self.u16 = struct.Struct(e + "HH")
        self.unc = struct.Struct(e + "iHHI")
        self.field = struct.Struct(e + ("QQQ" if p == 8 else "III"))  # abi.StructField: name, typ, offset
        self.imethod = struct.Struct(e + "ii")  # abi.Imethod: name, typ
        self.method = struct.Struct(e + "iiii")  # abi.Method: name, mtyp, ifn, tfn
        self.swiss = go_minor >= 24 or go_minor == 0
        base = elf.file_off(types)
        self.sec = elf.section_at(types)
        self.claims: list[tuple[int, int, int]] = []
        self.pkgpath: dict[int, str] = {}
        self.elem: dict[int, list[int]] = {}
        self.errors = 0
        self._names: set[int] = set()
        self._seen: set[int] = set()
        self._base = base

    def off(self, addr: int) -> int | None:
        """File offset of an address inside the types region."""
        if not self.types <= addr < self.etypes or self._base is None:
            return None
        return self._base + addr - self.types

    def walk(self, roots: list[int], itabs: list[int]) -> None:
        """Visit every type reachable from roots and the itabs' types."""
        seen = self._seen
        stack = list(roots)
        p = self.p
        for it in itabs:
            io = self.elf.file_off(it)
            if io is None:
                continue
            inter, typ = self.w.unpack_from(self.data, io)[0], self.w.unpack_from(self.data, io + p)[0]
            nfun = 1
            ifo = self.off(inter)
            if ifo is not None:
                nfun = max(1, self.w.unpack_from(self.data, ifo + self.H + 2 * p)[0])
            if nfun < 1 << 16:
                self.claims.append((io, io + 3 * p + nfun * p, typ))
            stack.extend((inter, typ))
        while stack:
            t = stack.pop()
            if t in seen:
                continue
            seen.add(t)
            try:
                stack.extend(self._visit(t))
            except (struct.error, IndexError, ValueError):
                self.errors += 1

    def scan_gaps(self) -> None:
        """Find descriptors no root reaches: try every aligned position left uncovered in the region."""
        if self._base is None:
            return
        p, H = self.p, self.H
        lo, hi = self._base, self._base + self.etypes - self.types
        covered = sorted([(s, e) for s, e, _t in self.claims if lo <= s < hi])
        gaps: list[tuple[int, int]] = []
        cur = lo
        for s, e in covered:
            if s > cur:
                gaps.append((cur, s))
            if e > cur:
                cur = e
        if cur < hi:
            gaps.append((cur, hi))
        seen, types = self._seen, self.types
        for gs, ge in gaps:
            # Only positions whose kind/align/tflag bytes could start a header are worth a look.
            nxt = gs
            for m in _HEADER_BYTES.finditer(self.data, gs + 20, ge - H + 24):
                pos = m.start() - 20
                if pos < nxt or (pos - lo) % p:
                    continue
                nxt = pos + p
                if types + pos - lo not in seen and self._plausible(pos):
                    n = len(self.claims)
                    self.walk([types + pos - lo], [])
                    if len(self.claims) > n:
                        nxt = pos + H

    def _plausible(self, o: int) -> bool:
        """Cheap checks that a type descriptor header starts at file offset o."""
        data = self.data
        kind, align, falign, tflag = data[o + 23], data[o + 21], data[o + 22], data[o + 20]
        if not 1 <= (kind & 0x1F) <= 26 or kind & 0x80 or tflag >= 64:
            return False
        if align not in (1, 2, 4, 8, 16, 32, 64) or falign not in (1, 2, 4, 8, 16, 32, 64):
            return False
        size, ptrbytes, _h, _tf, _a, _f, _k, _eq, _gc, str_off, ptr_to_this = self.hdr.unpack_from(data, o)
        if ptrbytes > size or size >= 1 << 40 or not 0 < str_off < self.etypes - self.types:
            return False
        if ptr_to_this and not 0 < ptr_to_this < self.etypes - self.types:
            return False
        no = self._base + str_off if self._base is not None else 0
        flags = data[no]
        if flags >= 16:
            return False
        try:
            n, pos = _varint(data, no + 1)
        except (ValueError, IndexError):
            return False
        if not 0 < n <= 4096:
            return False
        text = data[pos:pos + n]
        return text.isascii() and min(text) >= 0x20

    def _name(self, addr: int, owner: int) -> None:
        """Claim an abi.Name (flags, varint length, bytes, optional tag and pkgPath) for owner."""
        if not self.types <= addr < self.etypes or self._base is None:
            return
        o = self._base + addr - self.types
        if o in self._names:
            return
        self._names.add(o)
        data = self.data
        flags = data[o]
        n = data[o + 1]
        pos = o + 2 + n if n < 0x80 else sum(_varint(data, o + 1))
        if flags & 2:
            n = data[pos]
            pos = pos + 1 + n if n < 0x80 else sum(_varint(data, pos))
        if flags & 4:
            pos += 4
        self.claims.append((o, pos, owner))

    def _visit(self, t: int) -> list[int]:
        """Claim one type descriptor and return the types it references."""
        types, base = self.types, self._base
        if not types <= t < self.etypes or base is None:
            return []
        o = base + t - types
        data, p, H = self.data, self.p, self.H
        (_size, ptrbytes, _hash, tflag, _align, _falign, kind, _eq, gcdata, str_off,
         ptr_to_this) = self.hdr.unpack_from(data, o)
        kind &= 0x1F
        if not 1 <= kind <= 26:
            raise ValueError(f"bad kind {kind}")
        refs: list[int] = []
        word = self.w.unpack_from
        name = self._name
        claims = self.claims
        extra = 0
        tail: list[tuple[int, int]] = []  # (address, bytes) of arrays the descriptor points to
        if kind in (_KIND_PTR, _KIND_SLICE):
            extra = p
            refs.append(word(data, o + H)[0])
        elif kind == _KIND_STRUCT:
            extra = 4 * p
            name(word(data, o + H)[0], t)
            fptr, flen = word(data, o + H + p)[0], word(data, o + H + 2 * p)[0]
            if flen > 1 << 16:
                raise ValueError("too many struct fields")
            fo = self.off(fptr)
            if fo is not None and flen:
                tail.append((fptr, 3 * p * flen))
                for fname, ftyp, _foff in self.field.iter_unpack(data[fo:fo + 3 * p * flen]):
                    name(fname, t)
                    refs.append(ftyp)
        elif kind == _KIND_ARRAY:
            extra = 3 * p
            refs += [word(data, o + H)[0], word(data, o + H + p)[0]]
        elif kind == _KIND_CHAN:
            extra = 2 * p
            refs.append(word(data, o + H)[0])
        elif kind == _KIND_MAP:
            extra = 8 * p if self.swiss else 4 * p + 8
            refs += [word(data, o + H + k * p)[0] for k in range(3)]
        elif kind == _KIND_FUNC:
            extra = p
        elif kind == _KIND_IFACE:
            extra = 4 * p
            name(word(data, o + H)[0], t)
            mptr, mlen = word(data, o + H + p)[0], word(data, o + H + 2 * p)[0]
            if mlen > 1 << 16:
                raise ValueError("too many interface methods")
            mo = self.off(mptr)
            if mo is not None and mlen:
                tail.append((mptr, 8 * mlen))
                for name_off, typ_off in self.imethod.iter_unpack(data[mo:mo + 8 * mlen]):
                    name(types + name_off, t)
                    refs.append(types + typ_off)
        end = o + H + extra
        if tflag & _TFLAG_UNCOMMON:
            pkg_off, mcount, _xcount, moff = self.unc.unpack_from(data, end)
            uaddr = t + H + extra
            if pkg_off:
                po = self.off(types + pkg_off)
                if po is not None:
                    n, pos = _varint(data, po + 1)
                    self.pkgpath[t] = data[pos:pos + n].decode("utf-8", "replace")
                    name(types + pkg_off, t)
            end += 16
            if mcount and mcount < 1 << 16:
                tail.append((uaddr + moff, 16 * mcount))
                mo = self.off(uaddr + moff)
                if mo is not None:
                    for name_off, mtyp, _ifn, _tfn in self.method.iter_unpack(data[mo:mo + 16 * mcount]):
                        name(types + name_off, t)
                        if mtyp != 0 and mtyp != -1:
                            refs.append(types + mtyp)
        if kind == _KIND_FUNC:
            nin, nout = self.u16.unpack_from(data, o + H)
            nout &= 0x7FFF
            n = nin + nout
            if n:
                tail.append((t + (end - o), n * p))
                refs += [word(data, end + k * p)[0] for k in range(n)]
        claims.append((o, end, t))
        if ptrbytes and gcdata and not tflag & 16:
            go = self.elf.file_off(gcdata)
            if go is not None:
                claims.append((go, go + (ptrbytes // p + 7) // 8, t))
        etypes = self.etypes
        for addr, size in tail:
            if types <= addr < etypes:
                to = base + addr - types
                claims.append((to, to + size, t))
        name(types + str_off, t)
        if ptr_to_this:
            refs.append(types + ptr_to_this)
        if kind in (_KIND_ARRAY, _KIND_CHAN, _KIND_PTR, _KIND_SLICE, _KIND_MAP, _KIND_STRUCT) and refs:
            self.elem[t] = refs[:1] if kind != _KIND_MAP else refs[1:2] + refs[:1]
            if kind == _KIND_STRUCT:
                self.elem[t] = refs[:4]
        return [r for r in refs if types <= r < etypes]

    def package(self, t: int, depth: int = 0) -> str | None:
        """Import path owning a type: its own pkgPath, else its element's (for *T, []T, map[K]V, ...)."""
        path = self.pkgpath.get(t)
        if path:
            return path
        if depth > 8:
            return None
        for ref in self.elem.get(t, ()):
            path = self.package(ref, depth + 1)
            if path:
                return path
        return None


def _varint(data: Bytes, pos: int) -> tuple[int, int]:
    """(value, position after) of an encoding/binary uvarint."""
    v = shift = 0
    while True:
        b = data[pos]
        pos += 1
        v |= (b & 0x7F) << shift
        if b < 0x80:
            return v, pos
        shift += 7
        if shift > 35:
            raise ValueError("varint too long")


def _go_minor(elf: _Elf) -> int:
    """Go minor version from .go.buildinfo (`go1.26.8` -> 26), 0 when unknown."""
    s = elf.by_name.get(".go.buildinfo")
    if s is None or not s.file_size:
        return 0
    data = elf.data
    o = s.offset
    if data[o:o + 14] != b"\xff Go buildinf:" or not data[o + 15] & 2:
        return 0
    n, pos = _varint(data, o + 32)
    m = re.match(rb"go1\.(\d+)", data[pos:pos + n])
    return int(m.group(1)) if m else 0


# ---------------------------------------------------------------------------------------------------------
# Tables


def size_table(table: SizeTable, top: int, by: str) -> Table:
    """Rows of the heaviest packages, modules or sections, plus buckets, unattributed and coverage."""
    if by not in ("package", "module", "section"):
        raise ValueError(f"by must be package, module or section, not {by!r}")
    total = table.file_bytes or 1
    rows: list[dict[str, Any]] = []
    if by == "section":
        items = sorted(table.sections.items(), key=lambda kv: (-kv[1], kv[0]))
        for name, n in items[:top] if top else items:
            un = table.unattributed_sections.get(name, 0)
            rows.append({"name": name, "kind": "section", "bytes": n, "share": n / total,
                         "unattributed": un})
    else:
        source = table.packages if by == "package" else table.modules
        items = sorted(source.items(), key=lambda kv: (-kv[1], kv[0]))
        shown = items[:top] if top else items
        for name, n in shown:
            rows.append({"name": name, "kind": by, "bytes": n, "share": n / total})
        rest = items[len(shown):]
        if rest:
            n = sum(v for _k, v in rest)
            rows.append({"name": f"({len(rest)} more {by}s)", "kind": by, "bytes": n, "share": n / total})
        for name, n in sorted(table.buckets.items(), key=lambda kv: (-kv[1], kv[0])):
            rows.append({"name": f"[{name}]", "kind": "bucket", "bytes": n, "share": n / total})
    rows.append({"name": "unattributed", "kind": "unattributed", "bytes": table.unattributed,
                 "share": table.unattributed / total})
    columns = [Column(by, "name"), Column("bytes", "bytes", "right", "bytes"),
               Column("share", "share", "right", "percent")]
    if by == "section":
        columns.append(Column("unattributed", "unattributed", "right", "bytes"))
    notes = [f"coverage {table.coverage:.1%} of {table.file_bytes:,} file bytes attributed to a package "
             f"or a named bucket; {table.unattributed:,} B unattributed"]
    if table.unattributed_sections:
        worst = sorted(table.unattributed_sections.items(), key=lambda kv: -kv[1])[:4]
        notes.append("unattributed by section: " + ", ".join(f"{k} {v:,} B" for k, v in worst))
    notes.extend(table.notes)
    return Table(title=f"size by {by}", columns=columns, rows=rows, notes=notes,
                 data={"by": by, "rows": rows, "size": table.to_json()})
