"""Build a target and attribute the bytes of the binary to packages, modules, sections and named buckets.

The attribution itself (symbols, pclntab, type descriptors, painting, accounting) is the compiled core
in refactor/attrib (see refactor.attribcore); this module builds binaries, remembers attributions by
the binary's build ID, and renders the tables.
"""

from __future__ import annotations

import contextlib
import json
import mmap
import re
import struct
import subprocess
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from refactor.config import Target
from refactor.errors import GoError
from refactor.table import Column, Table
from refactor.toolchain import DEFAULT_TIMEOUT, Go, find_go

JSON_VERSION = 1

# A binary is read through mmap (no copy of tens of megabytes).
Bytes = bytes | mmap.mmap

# Named buckets (the core's names): bytes that belong to no package but whose nature is known.
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

NOT_EXECUTABLE_NOTE = ("size attribution reads ELF, PE and Mach-O binaries; this file is none of them and is "
                "reported as one unattributed block")


def build(
    go: Go, root: Path, target: Target, out: Path, *, extra_ldflags: str = "",
    timeout: float = DEFAULT_TIMEOUT,
) -> Path:
    """`go build -trimpath` the target into `out` (run in `root` with its env); GoError carries stderr."""
    out = out.resolve()
    from refactor.builds import collector_env

    go.run(build_args(go, root, target, out, extra_ldflags), cwd=root, target=target, timeout=timeout,
           env=collector_env(go.version), what=f"go build {target.main}")
    return out


def build_args(go: Go, root: Path, target: Target, out: Path, extra_ldflags: str = "") -> list[str]:
    """The arguments of `go build` for a target's binary at out, run in root (-trimpath, the target's
    flags; a link the user's own builds never replay: refactor.gobuild)."""
    from refactor.gobuild import link_args

    ldflags = " ".join(f for f in (target.ldflags.strip(), extra_ldflags.strip()) if f)
    return link_args(go, root, target, out, ldflags)


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
    # per package, its bytes that a `-ldflags=-s -w` link leaves out (DWARF, symbol table entries)
    debug_packages: dict[str, int] = field(default_factory=dict)
    # per section, the bytes of it attributed to some package
    package_sections: dict[str, int] = field(default_factory=dict)
    # per package, its bytes that exist only in dynamic-linking mode (.dynsym and friends, `local.` entries)
    dynamic_packages: dict[str, int] = field(default_factory=dict)

    @property
    def coverage(self) -> float:
        """Fraction of the file's bytes attributed to a package or a named bucket."""
        return 1.0 if self.file_bytes == 0 else (self.file_bytes - self.unattributed) / self.file_bytes

    @property
    def package_total(self) -> int:
        """Bytes attributed to some package."""
        return sum(self.packages.values())

    @property
    def package_share(self) -> float:
        """Fraction of the file's bytes attributed to packages (the named buckets and the unattributed
        rest are the remainder)."""
        return 0.0 if self.file_bytes == 0 else self.package_total / self.file_bytes

    def package_bytes(self, paths: Iterable[str]) -> int:
        """Sum of the bytes of the given import paths (unknown paths count 0)."""
        return sum(self.packages.get(p, 0) for p in set(paths))

    def removal_estimate(self, paths: Iterable[str]) -> int:
        """Bytes the file loses when these packages leave it: their own bytes plus their share of the
        buckets that grow with code (what is left of DWARF, symbol table, pclntab tables, strings,
        type data, padding) and of the unattributed bytes.

        A package's own bytes include its DWARF unit, symbol table entries, strings and the unowned
        data it refers to, so packages hold 95-99 % of a default build and the shared remainder is
        small (it was about 40 % before issue 19). What a package-set estimate still misses is code
        of the packages that stay which only the removed ones reached (bench/results.md,
        2026-12-06: 86-95 % of the measured saving of the fixture and seed splits).
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
            "package_share": round(self.package_share, 6),
            "unattributed": self.unattributed, "packages": dict(self.packages),
            "buckets": dict(self.buckets), "sections": dict(self.sections), "modules": dict(self.modules),
            "unattributed_sections": dict(self.unattributed_sections), "notes": list(self.notes),
            "debug_packages": dict(self.debug_packages), "package_sections": dict(self.package_sections),
            "dynamic_packages": dict(self.dynamic_packages),
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
            debug_packages=ints("debug_packages"), package_sections=ints("package_sections"),
            dynamic_packages=ints("dynamic_packages"),
        )



# ---------------------------------------------------------------------------------------------------------
# Attribution


def attribute_cached(path: Path, packages: Mapping[str, str | None], main_import_path: str,
                     cache_dir: Path | None, *, go: Go | None = None) -> SizeTable:
    """attribute(), remembered under cache_dir by the binary's content: an unchanged binary (the
    usual case between `suggest`, `size` and `apply`) is not attributed twice. None: no cache."""
    if cache_dir is None:
        return attribute(path, packages, main_import_path, go=go)
    with _mapped(Path(path)) as data:
        return _attribute_cached(Path(path), data, packages, main_import_path, cache_dir, go)


def _attribute_cached(path: Path, data: Bytes, packages: Mapping[str, str | None], main_import_path: str,
                      cache_dir: Path, go: Go | None) -> SizeTable:
    entry = _sizes_entry(data, packages, main_import_path, cache_dir)
    try:
        return SizeTable.from_json(json.loads(entry.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError):
        pass
    table = _attribute(path, data, packages, main_import_path, go)
    _keep_table(entry, table)
    return table


def _sizes_entry(data: Bytes, packages: Mapping[str, str | None], main_import_path: str, cache_dir: Path) -> Path:
    import hashlib

    from refactor import __version__, code_digest

    # go build's ID names the build's inputs (its first three parts: the main package's action and
    # output, the link's action) and then digests the file: reading the note is much cheaper than
    # hashing tens of megabytes. The key takes the inputs' part, so the linker's output, which holds a
    # placeholder digest until go stamps it (load attributes it that early), and the file go leaves are
    # one entry. Only gotrim's own fresh builds come here (never a file stripped or packed after the
    # build); the size is in the key all the same. Without a standard ID (a redacted one, another
    # linker) the content is hashed.
    build_id = go_build_id(data)
    inputs = build_id.rsplit("/", 1)[0] if build_id else None
    h = hashlib.sha256(f"{inputs} {len(data)}".encode() if inputs else data)
    h.update(json.dumps([__version__, code_digest(), JSON_VERSION, main_import_path,
                         sorted(packages.items(), key=str)], default=str).encode())
    return cache_dir / "sizes" / f"{h.hexdigest()[:32]}.json"


def _keep_table(entry: Path, table: SizeTable) -> None:
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        tmp = entry.with_suffix(".tmp")
        tmp.write_text(json.dumps(table.to_json()), encoding="utf-8")
        tmp.replace(entry)
        _prune_cache(entry.parent, keep=256)
    except OSError:
        pass  # a read-only or full cache directory only costs time


_BUILDINFO_MAGIC = b"\xff Go buildinf:"


def embedded_modinfo(path: Path) -> str | None:
    """The module information `go version -m` prints of an ELF executable (path, mod, dep, => and build
    lines), read from its .go.buildinfo section as debug/buildinfo does for Go >= 1.18 (the strings
    inline); None when it is not there in that form (another format, an older toolchain)."""
    try:
        with _mapped(path) as data:
            if len(data) < 64 or data[:4] != b"\x7fELF":
                return None
            found = _section(data, ".go.buildinfo")
            if found is None or found[1] < 32:
                return None
            at = found[0]
            if data[at:at + 14] != _BUILDINFO_MAGIC or not data[at + 15] & 2:  # flagsVersionInline
                return None
            at += 32
            strings = []
            for _ in range(2):  # the Go version, then the module information
                n, shift = 0, 0
                while True:
                    b = data[at]
                    at += 1
                    n |= (b & 0x7F) << shift
                    shift += 7
                    if b < 0x80:
                        break
                strings.append(bytes(data[at:at + n]))
                at += n
    except (OSError, IndexError, struct.error):
        return None
    mod = strings[1]
    if len(mod) >= 33 and mod[-17:-16] == b"\n":  # the 16-byte sentinels around it
        mod = mod[16:-16]
    return mod.decode("utf-8", "replace")


_BUILD_ID = re.compile(rb"[A-Za-z0-9_-]{20}(?:/[A-Za-z0-9_-]{20}){3}")


def go_build_id(data: Bytes) -> str | None:
    """The build ID `go build` wrote into an ELF executable (its last part digests the file's
    content), or None when there is none in the standard four-part form."""
    if len(data) < 64 or data[:4] != b"\x7fELF":
        return None
    try:
        found = _section(data, ".note.go.buildid")
    except (struct.error, IndexError):
        return None
    if found is None or found[1] < 16:
        return None
    offset = found[0]
    e = "<" if data[5] == 1 else ">"
    namesz, descsz, _typ = struct.unpack_from(e + "III", data, offset)
    desc = offset + 12 + (namesz + 3) // 4 * 4
    raw = data[desc:desc + descsz]
    return raw.decode() if _BUILD_ID.fullmatch(raw) else None


def _section(data: Bytes, name: str) -> tuple[int, int] | None:
    """(file offset, size) of the ELF section called name, or None."""
    is64, e = data[4] == 2, "<" if data[5] == 1 else ">"
    if is64:
        shoff, = struct.unpack_from(e + "Q", data, 40)
        shentsize, shnum, shstrndx = struct.unpack_from(e + "HHH", data, 58)
        fmt = e + "IIQQQQ"
    else:
        shoff, = struct.unpack_from(e + "I", data, 32)
        shentsize, shnum, shstrndx = struct.unpack_from(e + "HHH", data, 46)
        fmt = e + "IIIIII"
    headers = [struct.unpack_from(fmt, data, shoff + i * shentsize) for i in range(shnum)]
    if not 0 < shstrndx < shnum:
        return None
    strtab = headers[shstrndx][4]
    want = name.encode() + b"\0"
    for name_off, _typ, _flags, _addr, offset, size in headers:
        if data[strtab + name_off:strtab + name_off + len(want)] == want:
            return offset, size
    return None


def _prune_cache(folder: Path, keep: int) -> None:
    files = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in files[keep:]:
        old.unlink(missing_ok=True)


def attribute(path: Path, packages: Mapping[str, str | None], main_import_path: str, *,
              go: Go | None = None) -> SizeTable:
    """Attribute every byte of the binary at `path` to a package, a named bucket or `unattributed`.

    packages: the build graph's import paths and their modules (None: standard library). The work is
    done by the compiled core (refactor.attribcore), built with `go` (default: find_go()) on first use.
    """
    path = Path(path)
    with _mapped(path) as data:
        return _attribute(path, data, packages, main_import_path, go)


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


def _attribute(path: Path, data: Bytes, packages: Mapping[str, str | None], main_import_path: str,
               go: Go | None) -> SizeTable:
    if not is_executable(data):
        return SizeTable(file_bytes=len(data), unattributed=len(data),
                         unattributed_sections={"(not an executable)": len(data)} if data else {},
                         notes=(NOT_EXECUTABLE_NOTE,))
    request = {"packages": [[p, m] for p, m in packages.items()], "main": main_import_path}
    out = _core(go, ["attribute", str(path.resolve())], request)
    return SizeTable.from_json(json.loads(out))


_MACHO_MAGICS = (b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe")


def is_executable(data: Bytes) -> bool:
    """An ELF (linux, the BSDs...), PE (windows) or Mach-O (darwin, ios) file, by its magic number."""
    return len(data) >= 64 and (data[:4] == b"\x7fELF" or data[:2] == b"MZ" or data[:4] in _MACHO_MAGICS)


def symbol_owners(names: Iterable[str], packages: Iterable[str], main_import_path: str, *,
                  go: Go | None = None) -> list[tuple[str, str]]:
    """The owner of each symbol name, as the core maps them: ('pkg', import path) or ('bucket', name)
    (the rules of go-toolchain.md §4.2)."""
    request = {"packages": [[p, None] for p in packages], "main": main_import_path, "names": list(names)}
    return [(str(k), str(v)) for k, v in json.loads(_core(go, ["owners"], request))]


def _core(go: Go | None, args: list[str], request: Mapping[str, Any]) -> str:
    """Run the attribution core with a JSON request on stdin; its stdout, or GoError."""
    from refactor import attribcore

    exe = attribcore.executable(go or find_go())
    argv = (str(exe), *args)
    try:
        proc = subprocess.run(argv, input=json.dumps(request), capture_output=True, text=True, errors="replace",
                              timeout=DEFAULT_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GoError(f"gotrim's attribution core could not run: {exc}", argv=argv) from exc
    if proc.returncode != 0:
        raise GoError("gotrim's attribution core failed", stderr=proc.stderr, argv=argv)
    return proc.stdout


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
    notes = [f"{table.package_share:.1%} of {table.file_bytes:,} file bytes attributed to packages; coverage "
             f"{table.coverage:.1%} with the named buckets; {table.unattributed:,} B unattributed"]
    if table.unattributed_sections:
        worst = sorted(table.unattributed_sections.items(), key=lambda kv: -kv[1])[:4]
        notes.append("unattributed by section: " + ", ".join(f"{k} {v:,} B" for k, v in worst))
    notes.extend(table.notes)
    return Table(title=f"size by {by}", columns=columns, rows=rows, notes=notes,
                 data={"by": by, "rows": rows, "size": table.to_json()})
