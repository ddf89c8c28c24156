"""The linker's `-dumpdep` stream: ReflectMethod roots with their chains, and dynamic-linking mode.

Why method dead-code elimination (DCE) is off for a binary, in the linker's own words
(`cmd/link/internal/ld/deadcode.go`, go-toolchain.md §3):

- `mark(sym, parent)` prints `FROM -> TO` once, when TO first becomes reachable, so the stream is a
  reachability *tree*: `parent[to]` taken from first occurrences gives one witness chain per symbol.
- A TO flagged `<ReflectMethod>` is a function calling `reflect.Value.Method`/`MethodByName` with a
  non-constant name. The first one in the stream is the root cause; later ones may only be
  consequences of the methods the linker then keeps (whydeadcode's README: only the first is real).
- With `plugin` linked and cgo on (and, since Go 1.26, a platform that supports -buildmode=plugin),
  the linker is in dynamic-linking mode and keeps every method of every reachable type, with no
  `<ReflectMethod>` line at all (`lib.go` canUsePlugins).
"""

from __future__ import annotations

import codecs
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, BinaryIO

from refactor.builds import collector_env
from refactor.config import Target
from refactor.errors import GoError
from refactor.graph import BuildGraph
from refactor.toolchain import Go

REFLECT_METHOD = "<ReflectMethod>"
USED_IN_IFACE = "<UsedInIface>"
ENTRY = "_"  # the FROM of root symbols
UNKNOWN = "?"  # a chain hop whose parent was not recorded (noise symbol or unnamed parent)
MAX_POSSIBLE = 20
MAX_CHAIN = 4096

# Platforms where -buildmode=plugin works (src/internal/platform/supported.go, go1.26).
PLUGIN_PLATFORMS = frozenset({
    "linux/amd64", "linux/arm", "linux/arm64", "linux/386", "linux/loong64", "linux/riscv64",
    "linux/s390x", "linux/ppc64le", "android/amd64", "android/386", "darwin/amd64", "darwin/arm64",
    "freebsd/amd64",
})

_FLAGS = re.compile(r" ((?:<UsedInIface>)?(?:<ReflectMethod>)?)$")

# Symbols that are leaves of the reachability tree for our purpose (DWARF, strings, funcdata): not
# stored, which keeps the parent map about a third smaller on large binaries.
_NOISE_PREFIXES = ("go:info.", "go:string.", "go:cuinfo.", "go:range.", "go:loc.", "go:debuglines.",
                   "gclocals·", "go:sha256.", "go:fipsinfo")
_NOISE_SUFFIXES = (".arginfo0", ".arginfo1", ".argliveinfo", ".stkobj", ".opendefer", ".wrapinfo")


@dataclass(frozen=True)
class Blocker:
    """A `<ReflectMethod>` symbol and one chain of symbols from the entry point down to it."""

    symbol: str
    chain: tuple[str, ...]  # entry-point side first, `symbol` last; UNKNOWN marks a lost parent
    certain: bool  # only the first flagged symbol of the stream is certain
    retained: bool  # reached through a type's method: probably a consequence, not a cause

    def edges(self) -> Iterator[tuple[str, str]]:
        """Consecutive (caller, callee) pairs of the chain."""
        return zip(self.chain, self.chain[1:], strict=False)


@dataclass(frozen=True)
class Dumpdep:
    """What one `-dumpdep` stream says about method DCE."""

    lines: int
    root_cause: Blocker | None
    possible: tuple[Blocker, ...]  # later flagged symbols (at most MAX_POSSIBLE)
    flagged: int  # distinct flagged symbols in all
    other_lines: tuple[str, ...] = ()  # lines that are not dumpdep edges (headers, errors), a few


@dataclass(frozen=True)
class Dynlink:
    """Whether the linker runs in dynamic-linking mode because `plugin` is linked with cgo on."""

    plugin_linked: bool
    cgo: bool
    platform_supported: bool  # always True before Go 1.26 (no platform check then)
    chain: tuple[str, ...] = ()  # shortest import chain main -> plugin

    @property
    def active(self) -> bool:
        return self.plugin_linked and self.cgo and self.platform_supported


@dataclass(frozen=True)
class DceReport:
    """Method-DCE facts of one built target: the dumpdep findings, dynlink mode, module versions."""

    target: Target
    dumpdep: Dumpdep
    dynlink: Dynlink
    modules: dict[str, str] = field(default_factory=dict, compare=False, hash=False)  # path -> version
    binary_bytes: int = 0

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (inverse of from_json; the target is the caller's to record)."""
        def blocker(b: Blocker | None) -> dict[str, Any] | None:
            return None if b is None else {"symbol": b.symbol, "chain": list(b.chain), "certain": b.certain,
                                           "retained": b.retained}
        d, dl = self.dumpdep, self.dynlink
        return {"dumpdep": {"lines": d.lines, "root_cause": blocker(d.root_cause),
                            "possible": [blocker(b) for b in d.possible], "flagged": d.flagged,
                            "other_lines": list(d.other_lines)},
                "dynlink": {"plugin_linked": dl.plugin_linked, "cgo": dl.cgo,
                            "platform_supported": dl.platform_supported, "chain": list(dl.chain)},
                "modules": dict(self.modules), "binary_bytes": self.binary_bytes}

    @classmethod
    def from_json(cls, target: Target, data: Mapping[str, Any]) -> DceReport:
        """The report to_json wrote, for target."""
        def blocker(b: Mapping[str, Any] | None) -> Blocker | None:
            return None if b is None else Blocker(str(b["symbol"]), tuple(b["chain"]), bool(b["certain"]),
                                                  bool(b["retained"]))
        d, dl = data["dumpdep"], data["dynlink"]
        dump = Dumpdep(lines=int(d["lines"]), root_cause=blocker(d["root_cause"]),
                       possible=tuple(b for b in (blocker(x) for x in d["possible"]) if b is not None),
                       flagged=int(d["flagged"]), other_lines=tuple(d["other_lines"]))
        dyn = Dynlink(plugin_linked=bool(dl["plugin_linked"]), cgo=bool(dl["cgo"]),
                      platform_supported=bool(dl["platform_supported"]), chain=tuple(dl["chain"]))
        return cls(target=target, dumpdep=dump, dynlink=dyn, modules=dict(data["modules"]),
                   binary_bytes=int(data["binary_bytes"]))

    @property
    def method_dce(self) -> bool:
        """True when the linker can drop unused methods."""
        return self.dumpdep.root_cause is None and not self.dynlink.active

    @property
    def reflect_blocker(self) -> Blocker | None:
        """The root cause, unless it is only a consequence of dynamic linking.

        In dynamic-linking mode every type is UsedInIface and its methods are kept, so a reflect
        method such as reflect.Value.Method can be reached through a kept method: it goes away with
        the plugin import.
        """
        root = self.dumpdep.root_cause
        if root is not None and self.dynlink.active and root.retained:
            return None
        return root


def split_flags(side: str) -> tuple[str, str]:
    """`name <UsedInIface><ReflectMethod>` -> (name, flags); names may contain spaces."""
    if side.endswith(">"):
        m = _FLAGS.search(side)
        if m and m.group(1):
            return side[: m.start()], m.group(1)
    return side, ""


def parse_edge(line: str) -> tuple[str, str, str, str] | None:
    """One `FROM -> TO` line as (from, from_flags, to, to_flags); None for other lines."""
    line = line.rstrip("\r\n")
    i = line.find(" -> ")
    if i < 0:
        # A root whose parent has no name prints as " -> TO" (go-toolchain.md §3.1).
        return None
    src, src_flags = split_flags(line[:i])
    dst, dst_flags = split_flags(line[i + 4:])
    if not dst:
        return None
    return src, src_flags, dst, dst_flags


def _noise(name: str) -> bool:
    return name.startswith(_NOISE_PREFIXES) or name.endswith(_NOISE_SUFFIXES)


def _retained(chain: tuple[str, ...]) -> bool:
    """True when the chain goes through a method kept for its type (`type:pkg.T -> pkg.T.M`)."""
    return any(a.startswith("type:") and not b.startswith(("type:", "go:"))
               for a, b in zip(chain, chain[1:], strict=False))


def parse_dumpdep(lines: Iterable[str], max_possible: int = MAX_POSSIBLE) -> Dumpdep:
    """Read a `-dumpdep` stream once, keeping only a first-parent map (names interned)."""
    parent: dict[str, str] = {}
    flagged: set[str] = set()
    root: Blocker | None = None
    possible: list[Blocker] = []
    other: list[str] = []
    n = 0
    intern = sys.intern
    for line in lines:
        n += 1
        # Inlined parse_edge: this loop runs once per line of a stream of up to millions of lines.
        i = line.find(" -> ")
        dst = line[i + 4:].rstrip("\r\n") if i >= 0 else ""
        if not dst:
            if len(other) < 50 and line.strip():
                other.append(line.rstrip("\r\n"))
            continue
        dst_flags = ""
        if dst[-1] == ">":
            dst, dst_flags = split_flags(dst)
        if dst not in parent and not dst.startswith(_NOISE_PREFIXES) and not dst.endswith(_NOISE_SUFFIXES):
            src = line[:i]
            if src and src[-1] == ">":
                src = split_flags(src)[0]
            # Interned, a parent with many children is stored once (sys.intern strings are mortal).
            parent[intern(dst)] = intern(src)
        if dst_flags and dst_flags.endswith(REFLECT_METHOD) and dst not in flagged:
            flagged.add(dst)
            chain = _chain(parent, dst)
            if root is None:
                root = Blocker(dst, chain, certain=True, retained=_retained(chain))
            elif len(possible) < max_possible:
                possible.append(Blocker(dst, chain, certain=False, retained=_retained(chain)))
    return Dumpdep(lines=n, root_cause=root, possible=tuple(possible),
                   flagged=len(flagged), other_lines=tuple(other))


def _chain(parent: dict[str, str], sym: str) -> tuple[str, ...]:
    """Entry-first chain of first parents from the entry point to `sym`."""
    out = [sym]
    seen = {sym}
    cur = sym
    while len(out) < MAX_CHAIN:
        up = parent.get(cur)
        if up is None or up == "":
            out.append(UNKNOWN)
            break
        if up == ENTRY:
            break
        if up in seen:
            out.append(UNKNOWN)
            break
        seen.add(up)
        out.append(up)
        cur = up
    return tuple(reversed(out))


# ---------------------------------------------------------------------------------------------
# Building


def replay_dumpdep(blockers: Iterable[tuple[str, tuple[str, ...], bool]], total: int) -> Dumpdep:
    """What a link without -dumpdep says about method DCE, from the reachability replay's blockers
    (refactor/attrib/reach.go: reached <ReflectMethod> functions, those reached without any method the
    rule or dynamic linking keeps first, then those whose chain goes through no type's kept method). The
    first is the root cause, as the stream's first mark is; the rest are possible ones, as the stream's
    later marks are (retained when their chain goes through a kept method)."""
    found = [Blocker(sym, tuple(chain), certain=False, retained=_retained(tuple(chain)))
             for sym, chain, _ in blockers]
    root = replace(found[0], certain=True) if found else None
    return Dumpdep(lines=0, root_cause=root, possible=tuple(found[1:1 + MAX_POSSIBLE]), flagged=total)


def dumpdep_ldflags(target: Target, dumpdep: bool = True) -> str:
    """The target's own -ldflags with -dumpdep added (unless not dumpdep)."""
    flags = shlex.split(target.ldflags) if target.ldflags else []
    if dumpdep and "-dumpdep" not in flags:
        flags.append("-dumpdep")
    return " ".join(shlex.quote(f) for f in flags)


def build_args(go: Go, root: Path, target: Target, out: Path, dumpdep: bool = True,
               main: tuple[Path, str] | None = None) -> list[str]:
    """The `go build` arguments of a dumpdep build (same flags as a size build, plus -dumpdep; a link
    the user's own builds never replay: refactor.gobuild). main: the main package's folder and first Go
    file when the build graph has them. Without dumpdep the linker prints nothing for cmd/go to keep
    and replay, so the link needs no compile action ID of its own (no overlay)."""
    from refactor.gobuild import link_args

    return link_args(go, root, target, out, dumpdep_ldflags(target, dumpdep), main=main, overlay=dumpdep)


@dataclass
class StartedLink:
    """A build_with_dumpdep whose go build is running (start_link): build_with_dumpdep(started=) waits
    for it."""

    out: Path
    argv: tuple[str, ...]
    proc: subprocess.Popen[bytes]
    keep_work: bool
    dumpdep: bool

    @property
    def stream(self) -> Path:
        return self.out.parent / f"{self.out.name}.dumpdep"

    def abort(self) -> None:
        """Stop the build, and remove what it kept (go's work directory, the stream)."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        if self.keep_work:
            remove_work(self.stream)
        else:
            self.stream.unlink(missing_ok=True)


def start_link(go: Go, root: Path, target: Target, out: Path, graph: BuildGraph | None = None, *,
               keep_work: bool = False, dumpdep: bool = True) -> StartedLink:
    """Start build_with_dumpdep's go build (see there), go's output going to the stream file beside out.
    It needs no build graph without dumpdep: load starts it before `go list` has answered."""
    main = None
    if dumpdep and graph is not None and graph.main.dir and graph.main.go_files:
        main = (Path(graph.main.dir), graph.main.go_files[0])
    args = build_args(go, root, target, out, dumpdep, main)
    if keep_work:
        args.insert(1, "-work")
    argv = (go.path, *args)
    stream = out.parent / f"{out.name}.dumpdep"
    try:
        with stream.open("wb") as sink:  # the child holds its own descriptor
            # a kept work directory goes inside out's folder: removed with it, even by a kill before go
            # printed where it is
            env = go.environ(target, {**collector_env(go.version),
                                      **({"GOTMPDIR": str(out.parent)} if keep_work else {})})
            proc = subprocess.Popen(argv, cwd=root, env=env, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL, stderr=sink)
    except BaseException:
        stream.unlink(missing_ok=True)
        raise
    return StartedLink(out, argv, proc, keep_work, dumpdep)


def build_with_dumpdep(go: Go, root: Path, target: Target, out: Path,
                       graph: BuildGraph | None = None, *, keep_work: bool = False,
                       dumpdep: bool = True, started: StartedLink | None = None) -> DceReport:
    """Build the target to `out` with -dumpdep, reading the stream while the linker writes it.

    The stream (12 MB for a 39 MB binary) goes to a file beside `out`. While the link runs it is
    only scanned, in C, for a `<ReflectMethod>` mark: most binaries have none, and then nothing
    is parsed at all (a line-by-line parse costs 0.5 s of Python that competes with the link).
    At the first mark, the full parse (first parents, chains) starts from the top of the file and
    follows the linker to its end.

    keep_work (for refactor.estimate): build with `-work` and keep, beside `out`, the stream
    (`out.dumpdep`) and the link's importcfg (`out.importcfg`: the package archives), and go's work
    directory, which holds the archives of the packages this build compiled; the caller removes them
    (remove_work) once its replay has read them.

    Not dumpdep (with keep_work, for a replay that names the blockers itself): the link runs without
    -dumpdep, 0.45 s faster on a 39 MB binary (the linker writes each of its 200,000 lines with a
    system call), and the report's Dumpdep is empty until the caller puts the replay's in
    (replay_dumpdep).

    started: the same build, already started by start_link (its keep_work and dumpdep count).
    """
    link = started
    try:
        if link is None:
            link = start_link(go, root, target, out, graph, keep_work=keep_work, dumpdep=dumpdep)
        proc, stream = link.proc, link.stream
        try:
            dump = _read_dumpdep(stream, proc) if link.dumpdep else Dumpdep(lines=0, root_cause=None, possible=(),
                                                                             flagged=0)
            rc = proc.wait()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        if rc != 0 or not out.exists():
            with stream.open("rb") as f:  # go's errors (the stream is short then)
                errors = [ln for ln in parse_dumpdep(f.read().decode("utf-8", "replace").splitlines()).other_lines
                          if not ln.startswith("WORK=")]  # -work's line (keep_work) is no error
            what = "go build -ldflags=-dumpdep" if link.dumpdep else "go build"
            raise GoError(f"{what} failed for {target.label}", stderr="\n".join(errors), argv=link.argv)
    finally:
        if link is not None:
            if link.keep_work:
                _keep_work(link.stream, out)
            else:
                link.stream.unlink(missing_ok=True)
    modules = module_versions(go, root, out)
    return DceReport(target=target, dumpdep=dump, dynlink=detect_dynlink(go, target, graph),
                     modules=modules, binary_bytes=out.stat().st_size)


def _keep_work(stream: Path, out: Path) -> None:
    """After a `-work` build: copy the link's importcfg beside out."""
    import shutil

    work = _work_of(stream)
    if work is not None and (work / "b001" / "importcfg.link").is_file():
        shutil.copyfile(work / "b001" / "importcfg.link", out.parent / f"{out.name}.importcfg")


def remove_work(stream: Path) -> None:
    """Remove the go work directory a `-work` build's stream names (keep_work), then the stream."""
    import shutil

    work = _work_of(stream)
    if work is not None and work.name.startswith("go-build"):
        shutil.rmtree(work, ignore_errors=True)
    stream.unlink(missing_ok=True)


def _work_of(stream: Path) -> Path | None:
    """The WORK= directory on the first line of a `-work` build's stream, if it is there."""
    try:
        with stream.open("rb") as f:
            first = f.readline().decode("utf-8", "replace").strip()
    except OSError:
        return None
    return Path(first[len("WORK="):]) if first.startswith("WORK=") else None


def _read_dumpdep(stream: Path, proc: subprocess.Popen[bytes]) -> Dumpdep:
    """Scan the stream file as proc writes it; parse it fully only if a <ReflectMethod> shows."""
    mark = REFLECT_METHOD.encode()
    lines, carry = 0, b""
    with stream.open("rb") as f:
        for chunk in follow(f, proc):
            if mark in carry + chunk[:len(mark)] or mark in chunk:
                break
            lines += chunk.count(b"\n")
            carry = chunk[1 - len(mark):]
        else:
            return Dumpdep(lines=lines, root_cause=None, possible=(), flagged=0)
    with stream.open("rb") as f:
        return parse_dumpdep(_lines(follow(f, proc)))


def follow(f: BinaryIO, proc: subprocess.Popen[bytes], pause: float = 0.005) -> Iterator[bytes]:
    """Chunks of a file that proc is still writing, until it has exited and all is read."""
    while True:
        exited = proc.poll() is not None  # before the read: after the exit, one more read gets the rest
        chunk = f.read(1 << 16)
        if chunk:
            yield chunk
        elif exited:
            return
        else:
            time.sleep(pause)


def _lines(chunks: Iterable[bytes]) -> Iterator[str]:
    """Text lines of a chunked UTF-8 stream (a character or a line may straddle two chunks)."""
    decode = codecs.getincrementaldecoder("utf-8")(errors="replace").decode
    tail = ""
    for chunk in chunks:
        parts = (tail + decode(chunk)).split("\n")
        tail = parts.pop()
        yield from parts
    tail += decode(b"", final=True)
    if tail:
        yield tail


def detect_dynlink(go: Go, target: Target, graph: BuildGraph | None) -> Dynlink:
    """Dynamic-linking mode from the build graph: `plugin` linked, cgo on, platform supports plugins."""
    supported = go.version[:2] < (1, 26) or target.platform in PLUGIN_PLATFORMS
    if graph is None or "plugin" not in graph.packages:
        return Dynlink(plugin_linked=False, cgo=target.cgo, platform_supported=supported)
    chains = graph.why("plugin", limit=1)
    return Dynlink(plugin_linked=True, cgo=target.cgo, platform_supported=supported,
                   chain=tuple(chains[0]) if chains else ())


def module_versions(go: Go, root: Path, exe: Path) -> dict[str, str]:
    """Module path -> version from the binary's build info (`go version -m`, or the same text read off
    an ELF file); replacements win."""
    from refactor.binary import embedded_modinfo

    text = embedded_modinfo(exe)
    if text is None:
        text = go.run(["version", "-m", str(exe)], cwd=root, check=False).stdout
    return parse_buildinfo(text)


def parse_buildinfo(text: str) -> dict[str, str]:
    """`go version -m` output -> {module path: version}, the main module's included; a `=>` line
    replaces the dep above it (buildinfo.parse_version_m reads the lines)."""
    from refactor.buildinfo import parse_version_m

    info = parse_version_m(text)
    return {**({info.main_module: info.main_version} if info.main_module else {}), **info.deps}


# ---------------------------------------------------------------------------------------------
# Symbols -> packages


def path_to_prefix(import_path: str) -> str:
    """The linker's symbol prefix for a package (cmd/internal/objabi.PathToPrefix)."""
    slash = import_path.rfind("/")
    out = []
    for i, ch in enumerate(import_path):
        b = ord(ch)
        if b <= 0x20 or b >= 0x7F or ch in '%"' or (ch == "." and i > slash):
            out.append("".join(f"%{x:02x}" for x in ch.encode()))
        else:
            out.append(ch)
    return "".join(out)


_BRACKETS = re.compile(r"\[[^\[\]]*\]")


def strip_brackets(name: str) -> str:
    """A symbol name without its (nested) instantiation brackets."""
    prev = None
    while prev != name:
        prev, name = name, _BRACKETS.sub("", name)
    return name


@dataclass(frozen=True)
class SymbolIndex:
    """Maps symbol names to import paths by the longest known package prefix (go-toolchain.md §4.2)."""

    prefixes: dict[str, str]  # symbol prefix -> import path

    @classmethod
    def from_graph(cls, graph: BuildGraph) -> SymbolIndex:
        prefixes = {path_to_prefix(p): p for p in graph.packages}
        prefixes["main"] = graph.root
        return cls(prefixes)

    def package(self, symbol: str) -> str | None:
        """The import path a symbol belongs to, or None for generated, runtime-internal or C names."""
        name = symbol
        if name.startswith("type:"):
            name = name[len("type:"):].lstrip("*")
            if name.startswith((".eq.", ".hash.")):
                name = name.split(".", 2)[2].lstrip("*")
        if name.startswith(("go:", "go.shape.")):
            return None
        name = strip_brackets(name)
        paren = name.find("(")
        head = name if paren < 0 else name[:paren]
        best = None
        for i, ch in enumerate(head):
            if ch == "." and head[:i] in self.prefixes:
                best = self.prefixes[head[:i]]
        return best
