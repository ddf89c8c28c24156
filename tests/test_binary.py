"""Tests for refactor.binary: symbol-name mapping, SizeTable, and attribution of real builds."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from refactor.binary import (
    BUILDINFO,
    CGO,
    FUNCDATA,
    GENERATED,
    STRINGS,
    TYPES,
    SizeTable,
    attribute,
    build,
    size_table,
    symbol_owners,
)
from refactor.config import Target
from refactor.errors import GoError

KNOWN = [
    "runtime", "net/http", "net", "fmt", "slices", "sync/atomic", "internal/sync", "errors", "io",
    "gopkg.in/yaml.v3", "crypto/internal/entropy/v1.0.0", "vendor/golang.org/x/net/dns/dnsmessage",
    "github.com/containerd/containerd/v2/internal/cri/server/images", "k8s.io/cri-api/pkg/apis/runtime/v1",
    "example.com/app/cmd/app", "example.com/app/lib", "example.com/a b",
]
MAIN = "example.com/app/cmd/app"

# (symbol name as recorded in go-toolchain.md and real binaries, expected owner)
CASES = [
    ("time.parse", ("pkg", "time")),
    ("gopkg.in/yaml%2ev3.yaml_parser_scan_flow_scalar", ("pkg", "gopkg.in/yaml.v3")),
    ("gopkg.in/yaml%2ev3.(*parser).parse.func1", ("pkg", "gopkg.in/yaml.v3")),
    ("crypto/internal/entropy/v1%2e0%2e0.Seed", ("pkg", "crypto/internal/entropy/v1.0.0")),
    ("main.main", ("pkg", MAIN)),
    ("main.T.Hello.func1.2", ("pkg", MAIN)),
    ("main..inittask", ("pkg", MAIN)),
    ("net/http.(*Server).Serve", ("pkg", "net/http")),
    ("net/http.HandlerFunc.ServeHTTP-fm", ("pkg", "net/http")),
    ("net/http.init.0", ("pkg", "net/http")),
    ("example.com/app/lib.(*Greeter).Greet", ("pkg", "example.com/app/lib")),
    ("vendor/golang.org/x/net/dns/dnsmessage.(*Parser).Question", ("pkg", "vendor/golang.org/x/net/dns/dnsmessage")),
    # promoted unexported method whose name contains another package's path
    ("github.com/containerd/containerd/v2/internal/cri/server/images.GRPCCRIImageService."
     "k8s.io/cri-api/pkg/apis/runtime/v1.mustEmbedUnimplementedImageServiceServer",
     ("pkg", "github.com/containerd/containerd/v2/internal/cri/server/images")),
    # generics: attributed to the generic's package, whatever the brackets contain
    ("slices.symMergeCmpFunc[go.shape.struct { net.addr net.IPAddr; net.addrAttr net.ipAttr }]",
     ("pkg", "slices")),
    ("sync/atomic.(*Pointer[go.shape.struct { net/http.x int }]).Load", ("pkg", "sync/atomic")),
    ("internal/sync..dict.HashTrieMap[interface {},interface {}]", ("pkg", "internal/sync")),
    ("net/http.(*http2Server[go.shape.int]).Get", ("pkg", "net/http")),
    # itabs and generated equality: the concrete type's package
    ("go:itab.*errors.errorString,error", ("pkg", "errors")),
    ("go:itab.*net/http.response,net/http.ResponseWriter", ("pkg", "net/http")),
    ("go:itab.*gopkg.in/yaml%2ev3.parser,io.Reader", ("pkg", "gopkg.in/yaml.v3")),
    ("type:.eq.net/http.Request", ("pkg", "net/http")),
    ("type:.eq.[2]net.IPAddr", ("pkg", "net")),
    ("type:.eq.struct { net.addr net.IPAddr; x int }", ("pkg", "net")),
    ("type:.eq.[2]interface {}", ("bucket", GENERATED)),
    ("type:.eq.go.shape.struct { a int }", ("bucket", GENERATED)),
    ("type:.namedata.*func()", ("bucket", TYPES)),
    ("type:*", ("bucket", TYPES)),
    ("go:string.*", ("bucket", STRINGS)),
    ("go:func.*", ("bucket", FUNCDATA)),
    ("go:buildinfo", ("bucket", BUILDINFO)),
    ("go:main.inittasks", ("bucket", GENERATED)),
    ("go:struct { io.Reader; io.WriterTo }.Read", ("bucket", GENERATED)),
    ("gclocals·g2BeySu+wFnoycgXfElmcg==", ("bucket", FUNCDATA)),
    ("$f64.3ff0000000000000", ("bucket", GENERATED)),
    ("aeshashbody", ("bucket", CGO)),
    ("x_cgo_munmap.cold", ("bucket", CGO)),
    ("completed.0", ("bucket", CGO)),
    ("net(.text)", ("pkg", "net")),
    # not in the graph (linknamed from runtime): the gosym rule still names it
    ("os/signal.signal_enable", ("pkg", "os/signal")),
    # objabi.PathToPrefix escapes: spaces anywhere, dots after the last slash
    ("example.com/a%20b.F", ("pkg", "example.com/a b")),
    ("example.com/unknown%2ev2.F", ("pkg", "example.com/unknown.v2")),
]


@pytest.fixture(scope="module")
def owners() -> dict[str, tuple[str, str]]:
    """The core's owner of every CASES name, asked in one call."""
    names = [name for name, _ in CASES]
    return dict(zip(names, symbol_owners(names, KNOWN, MAIN, go=_go()), strict=True))


@pytest.mark.go
@pytest.mark.parametrize(("name", "expected"), CASES)
def test_symbol_owner(owners: dict[str, tuple[str, str]], name: str, expected: tuple[str, str]) -> None:
    assert owners[name] == expected


def _table() -> SizeTable:
    return SizeTable(
        file_bytes=1000, packages={"net/http": 500, "main/x": 100, "gopkg.in/yaml.v3": 50},
        buckets={"dwarf": 200, "padding": 50}, sections={".text": 600, ".rodata": 400},
        unattributed=100, modules={"std": 500, "example.com/x": 100, "gopkg.in/yaml.v3": 50},
        unattributed_sections={".rodata": 100}, notes=("n",),
    )


def test_size_table_methods_and_json() -> None:
    t = _table()
    assert t.coverage == pytest.approx(0.9)
    assert t.package_bytes(["net/http", "gopkg.in/yaml.v3", "nope"]) == 550
    assert t.top(1) == [("net/http", 500)]
    again = SizeTable.from_json(json.loads(json.dumps(t.to_json())))
    assert again == t
    with pytest.raises(ValueError):
        SizeTable.from_json({**t.to_json(), "version": 99})


def test_removal_estimate_shares_buckets_and_unattributed() -> None:
    t = SizeTable(file_bytes=1100, packages={"net/http": 500, "main/x": 100, "gopkg.in/yaml.v3": 50},
                  buckets={"dwarf": 200, "padding": 50, "elf headers": 100}, unattributed=100)
    # own 500 + (dwarf 200 + padding 50 + unattributed 100) * 500 / 650; elf headers do not scale
    assert t.removal_estimate(["net/http", "nope"]) == 500 + round(350 * 500 / 650)
    assert t.removal_estimate(["nope"]) == 0
    assert SizeTable(file_bytes=10, unattributed=10).removal_estimate(["net/http"]) == 0


@pytest.mark.parametrize("by", ["package", "module", "section"])
def test_size_table_rows(by: str) -> None:
    tab = size_table(_table(), 2, by)
    names = [r["name"] for r in tab.rows]
    assert names[-1] == "unattributed" and tab.rows[-1]["bytes"] == 100
    assert any("coverage 90.0%" in n for n in tab.notes)
    if by == "package":
        assert names[:2] == ["net/http", "main/x"]
        assert "(1 more packages)" in names
        assert sum(r["bytes"] for r in tab.rows) == 1000
    json.dumps(tab.json_data())


def test_size_table_rejects_bad_by() -> None:
    with pytest.raises(ValueError):
        size_table(_table(), 5, "file")


def test_not_an_executable(tmp_path: Path) -> None:
    p = tmp_path / "prog"
    p.write_bytes(b"#!/bin/sh\n" + b"echo hello\n" * 50)
    t = attribute(p, {"runtime": None}, "example.com/x")
    assert t.file_bytes == 560 and t.unattributed == 560 and t.coverage == 0
    assert "ELF, PE and Mach-O" in t.notes[0]


# ---------------------------------------------------------------------------------------------------------
# Real builds

GO_MOD = "module example.com/sz\n\ngo 1.22\n"
LIB = """package lib

import "strings"

type Greeter struct{ Name string; seen map[string]int }

func (g *Greeter) Greet(who string) string {
	if g.seen == nil { g.seen = map[string]int{} }
	g.seen[who]++
	return strings.Repeat("hello ", 2) + who + " from " + g.Name
}
"""
MAIN_GO = """package main

import (
	"fmt"
	"net/http"

	"example.com/sz/lib"
)

func main() {
	g := &lib.Greeter{Name: "sz"}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, g.Greet(r.URL.Path)) })
	_ = http.ListenAndServe("127.0.0.1:0", nil)
}
"""


def _go():  # type: ignore[no-untyped-def]
    from refactor.toolchain import find_go

    if shutil.which("go") is None and not Path("/usr/local/go/bin/go").exists():
        pytest.skip("no go toolchain")
    env = dict(os.environ)
    if shutil.which("go") is None:
        env["GOTRIM_GO"] = "/usr/local/go/bin/go"
    return find_go(env)


def _list_packages(go, root: Path, target: Target) -> dict[str, str | None]:  # type: ignore[no-untyped-def]
    out = go.run(["list", "-deps", "-json=ImportPath,Module", target.main], cwd=root, target=target).stdout
    dec = json.JSONDecoder()
    pos, res = 0, {}
    while True:
        while pos < len(out) and out[pos].isspace():
            pos += 1
        if pos >= len(out):
            return res
        obj, pos = dec.raw_decode(out, pos)
        res[obj["ImportPath"]] = (obj.get("Module") or {}).get("Path")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    go = _go()
    root = tmp_path_factory.mktemp("sz")
    (root / "go.mod").write_text(GO_MOD)
    (root / "lib").mkdir()
    (root / "lib" / "lib.go").write_text(LIB)
    (root / "main.go").write_text(MAIN_GO)
    target = Target(main="example.com/sz", goos="linux", goarch="amd64", cgo=False)
    pkgs = _list_packages(go, root, target)
    full = build(go, root, target, root / "out" / "full.bin")
    stripped = build(go, root, target, root / "out" / "stripped.bin", extra_ldflags="-s -w")
    return {"go": go, "root": root, "target": target, "pkgs": pkgs, "full": full, "stripped": stripped}


def _check_sums(t: SizeTable, path: Path) -> None:
    assert t.file_bytes == path.stat().st_size
    assert sum(t.packages.values()) + sum(t.buckets.values()) + t.unattributed == t.file_bytes
    assert sum(t.unattributed_sections.values()) == t.unattributed
    assert sum(t.modules.values()) == sum(t.packages.values())


@pytest.mark.go
def test_attribute_full_build(built: dict[str, object]) -> None:
    path = built["full"]
    assert isinstance(path, Path)
    pkgs = built["pkgs"]
    assert isinstance(pkgs, dict)
    t = attribute(path, pkgs, "example.com/sz")
    _check_sums(t, path)
    assert t.coverage >= 0.9, t.unattributed_sections
    for pkg in ("net/http", "example.com/sz/lib", "example.com/sz", "runtime"):
        assert t.packages.get(pkg, 0) > 0, pkg
    assert "main" not in t.packages
    assert t.buckets.get("dwarf", 0) > 0 and t.buckets.get("symtab+strtab", 0) > 0
    assert t.modules["std"] > t.modules["example.com/sz"] > 0
    assert "?" not in t.modules, t.notes  # std packages named only by symbols (runtime/cgo) count as std
    assert ".bss" not in t.sections and ".text" in t.sections
    assert t.top(1)[0][0] == "runtime"
    # issue 19: nine tenths of an unstripped binary on packages, DWARF and the symbol table included
    assert t.package_share >= 0.9, (t.buckets, t.unattributed_sections)
    for section in (".debug_info", ".debug_line", ".symtab", ".strtab", ".rodata", ".text"):
        assert t.package_sections[section] >= 0.85 * t.sections[section], section
    assert set(t.debug_packages) <= set(t.packages) and t.debug_packages["net/http"] > 0
    again = SizeTable.from_json(json.loads(json.dumps(t.to_json())))
    assert again == t


@pytest.mark.go
def test_attribute_stripped_build(built: dict[str, object]) -> None:
    path, full = built["stripped"], built["full"]
    assert isinstance(path, Path) and isinstance(full, Path)
    pkgs = built["pkgs"]
    assert isinstance(pkgs, dict)
    t = attribute(path, pkgs, "example.com/sz")
    _check_sums(t, path)
    assert "symtab+strtab" not in t.buckets and "dwarf" not in t.buckets
    for pkg in ("net/http", "example.com/sz/lib", "example.com/sz"):
        assert t.packages.get(pkg, 0) > 0, pkg
    assert t.coverage >= 0.8, t.unattributed_sections
    # code and pclntab are the same with or without -s -w: package figures less what -s -w drops (the
    # package's DWARF and symbol table entries) agree within a few percent
    f = attribute(full, pkgs, "example.com/sz")
    assert t.debug_packages == {} and f.debug_packages["net/http"] > 0
    loaded = f.packages["net/http"] - f.debug_packages["net/http"]
    assert t.packages["net/http"] == pytest.approx(loaded, rel=0.1)


@pytest.mark.go
@pytest.mark.parametrize(("goos", "goarch"), [("windows", "amd64"), ("darwin", "arm64")])
def test_attribute_pe_and_macho_builds(built: dict[str, object], goos: str, goarch: str) -> None:
    go, root, linux = built["go"], built["root"], built["full"]
    assert isinstance(root, Path) and isinstance(linux, Path)
    target = Target(main="example.com/sz", goos=goos, goarch=goarch, cgo=False)
    pkgs = _list_packages(go, root, target)
    path = build(go, root, target, root / "out" / f"{goos}.bin")  # type: ignore[arg-type]
    assert path.read_bytes()[:2] in (b"MZ", b"\xcf\xfa")  # PE, 64-bit little-endian Mach-O
    t = attribute(path, pkgs, "example.com/sz", go=go)  # type: ignore[arg-type]
    _check_sums(t, path)
    assert t.coverage >= 0.95, t.unattributed_sections
    for pkg in ("net/http", "example.com/sz/lib", "example.com/sz", "runtime"):
        assert t.packages.get(pkg, 0) > 0, pkg
    assert t.buckets.get("symtab+strtab", 0) > 0  # (Mach-O: dyld's tables and the code signature too)
    assert t.package_share >= 0.9, (t.buckets, t.unattributed_sections)
    assert t.package_sections[".zdebug_info"] >= 0.9 * t.sections[".zdebug_info"]  # compressed DWARF, by unit
    assert t.debug_packages["net/http"] > 0
    # the same code weighs about the same in each format (within 512 B for lib's 1.3 KB: PE's copy of the
    # map[string]int group types lib makes is unnamed data that lib's own data refers to, so it is lib's;
    # in ELF they are named symbols, charged elsewhere)
    elf = attribute(linux, _list_packages(go, root, built["target"]), "example.com/sz", go=go)  # type: ignore[arg-type]
    for pkg in ("net/http", "example.com/sz/lib"):
        assert abs(t.packages[pkg] - elf.packages[pkg]) <= max(0.25 * elf.packages[pkg], 512), pkg


@pytest.mark.go
def test_build_error_carries_stderr(built: dict[str, object]) -> None:
    go, root, target = built["go"], built["root"], built["target"]
    assert isinstance(root, Path) and isinstance(target, Target)
    (root / "broken").mkdir(exist_ok=True)
    (root / "broken" / "main.go").write_text("package main\n\nfunc main() { undefined() }\n")
    bad = Target(main="./broken", goos=target.goos, goarch=target.goarch, cgo=False)
    with pytest.raises(GoError) as err:
        build(go, root, bad, root / "out" / "broken.bin")  # type: ignore[arg-type]
    assert "undefined" in err.value.stderr


def test_attribution_is_cached_by_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import refactor.binary as binary

    exe = tmp_path / "prog"
    exe.write_bytes(b"not an elf file, but bytes all the same")
    calls = []
    real = binary._attribute

    def counting(*args: object) -> binary.SizeTable:
        calls.append(args)
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(binary, "_attribute", counting)
    cache = tmp_path / "cache"
    first = binary.attribute_cached(exe, {"main": None}, "example.com/m", cache)
    again = binary.attribute_cached(exe, {"main": None}, "example.com/m", cache)
    assert first == again and len(calls) == 1
    exe.write_bytes(b"a different binary")
    binary.attribute_cached(exe, {"main": None}, "example.com/m", cache)
    assert len(calls) == 2
    binary.attribute_cached(exe, {"main": None}, "example.com/m", None)  # no cache dir: always attributes
    assert len(calls) == 3


@pytest.mark.go
def test_the_core_is_built_once_and_ignores_the_users_go_settings(
        built: dict[str, object], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from refactor import attribcore

    go, path, pkgs = built["go"], built["full"], built["pkgs"]
    assert isinstance(path, Path) and isinstance(pkgs, dict)
    monkeypatch.setenv("GOTRIM_TOOLS_DIR", str(tmp_path / "tools"))
    # settings meant for the user's module would break a build of the core's own
    monkeypatch.setenv("GOFLAGS", "-mod=vendor -tags=nosuchtag")
    monkeypatch.setenv("GOOS", "windows")
    monkeypatch.setattr(attribcore, "_built", {})
    tools = tmp_path / "tools"
    tools.mkdir()
    for i in range(attribcore.KEEP + 1):  # builds for other toolchains, and what a killed build left
        old = tools / f"attrib-old{i}"
        old.write_bytes(b"")
        os.utime(old, (1_000_000 + i, 1_000_000 + i))
    stale = tools / "attrib-x.123.tmp"
    stale.write_bytes(b"")
    os.utime(stale, (1_000_000, 1_000_000))
    exe = attribcore.executable(go)  # type: ignore[arg-type]
    assert exe.parent == tools and exe.name.startswith("attrib-")
    kept = sorted(p.name for p in tools.iterdir() if not p.name.startswith("."))
    assert kept == sorted([exe.name] + [f"attrib-old{i}" for i in range(2, attribcore.KEEP + 1)])
    stamp = exe.stat().st_mtime_ns
    monkeypatch.setattr(attribcore, "_built", {})
    assert attribcore.executable(go) == exe and exe.stat().st_mtime_ns == stamp  # type: ignore[arg-type]
    # the same binary gives the same table, whichever run asks
    assert attribute(path, pkgs, "example.com/sz", go=go) == attribute(path, pkgs, "example.com/sz")  # type: ignore[arg-type]


@pytest.mark.go
def test_a_malformed_binary_is_one_line_error(built: dict[str, object], tmp_path: Path) -> None:
    path = built["full"]
    assert isinstance(path, Path)
    cut = tmp_path / "cut.bin"
    head = bytearray(path.read_bytes()[:4096])
    head[40:48] = (1 << 40).to_bytes(8, "little")  # section headers far past the end of the file
    cut.write_bytes(head)
    with pytest.raises(GoError) as err:
        attribute(cut, {"runtime": None}, "example.com/sz", go=built["go"])  # type: ignore[arg-type]
    assert "attribution core failed" in str(err.value) and "malformed ELF" in str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.go
def test_go_build_id_names_the_content(built: dict[str, object]) -> None:
    from refactor.binary import go_build_id

    path, stripped = built["full"], built["stripped"]
    assert isinstance(path, Path) and isinstance(stripped, Path)
    ident = go_build_id(path.read_bytes())
    assert ident is not None and len(ident.split("/")) == 4
    assert go_build_id(stripped.read_bytes()) not in (None, ident)
    assert go_build_id(b"MZ" + b"\0" * 100) is None
    redacted = path.read_bytes().replace(ident.encode(), b"redacted".ljust(len(ident), b"\0"))
    assert go_build_id(redacted) is None


@pytest.mark.go
def test_the_core_sources_are_gofmt_clean_vet_clean_and_pass_their_go_tests() -> None:
    import subprocess

    from refactor import attribcore

    go = _go()
    gofmt = Path(go.path).with_name("gofmt")
    listed = subprocess.run([str(gofmt), "-l", "."], cwd=attribcore.SOURCE, capture_output=True, text=True)
    assert listed.returncode == 0 and listed.stdout == "", listed.stdout + listed.stderr
    env = {**go.environ(), "GOFLAGS": "", "GOWORK": "off"}
    vet = subprocess.run([go.path, "vet", "."], cwd=attribcore.SOURCE, capture_output=True, text=True, env=env)
    assert vet.returncode == 0, vet.stderr
    test = subprocess.run([go.path, "test", "."], cwd=attribcore.SOURCE, capture_output=True, text=True, env=env)
    assert test.returncode == 0, test.stdout + test.stderr


def test_missing_core_sources_say_reinstall(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from refactor import attribcore
    from refactor.errors import GotrimError
    from refactor.toolchain import Go

    monkeypatch.setattr(attribcore, "SOURCE", tmp_path / "attrib")
    monkeypatch.setattr(attribcore, "_built", {})
    monkeypatch.setenv("GOTRIM_TOOLS_DIR", str(tmp_path / "tools"))
    with pytest.raises(GotrimError, match="reinstall gotrim"):
        attribcore.executable(Go(path="/nonexistent/go", version=(1, 26, 0)))
    attribcore.prepare(Go(path="/nonexistent/go", version=(1, 26, 0)))  # quietly nothing


# ---------------------------------------------------------------------------------------------------------
# Issue 19: attribution that leaves with the packages a cut removes

HEAVY_STEP = """
func f{i}(s string, n int) string {{
	if n%{m} == {r} {{
		return s + "-case-{i}-{pad}"
	}}
	for k := 0; k < n%{m2}; k++ {{
		s = s[len(s)/2:] + "{i}" + s[:len(s)/2]
	}}
	return s
}}
"""
MAIN_WITH = """package main

import (
	"fmt"
	"os"

	"example.com/dw/heavy"
)

func main() {
	if len(os.Args) > 1 {
		fmt.Println(heavy.Run(os.Args[1]))
	}
}
"""


@pytest.fixture(scope="module")
def with_and_without(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """One program built with and without a package of its own (`heavy`, 150 functions and their strings)."""
    go = _go()
    root = tmp_path_factory.mktemp("dw")
    (root / "go.mod").write_text("module example.com/dw\n\ngo 1.22\n")
    (root / "heavy").mkdir()
    steps = "".join(f"\ts = f{i}(s, len(s))\n" for i in range(150))
    funcs = "".join(HEAVY_STEP.format(i=i, m=i + 3, r=i % 3, m2=i + 5, pad="x" * (i % 17)) for i in range(150))
    head = "package heavy\n\n// Run applies every step to s.\nfunc Run(s string) string {\n"
    (root / "heavy" / "heavy.go").write_text(f"{head}{steps}\treturn s\n}}\n{funcs}")
    for name, text in (("with", MAIN_WITH),
                       ("without", MAIN_WITH.replace('\n\t"example.com/dw/heavy"\n', "\n")
                        .replace("heavy.Run(os.Args[1])", "os.Args[1]"))):
        (root / "cmd" / name).mkdir(parents=True)
        (root / "cmd" / name / "main.go").write_text(text)
    out: dict[str, object] = {}
    for name in ("with", "without"):
        target = Target(main=f"./cmd/{name}", goos="linux", goarch="amd64", cgo=False)
        path = build(go, root, target, root / "out" / name)
        out[name] = attribute(path, _list_packages(go, root, target), f"example.com/dw/cmd/{name}", go=go)
    return out


def _debug_bytes(t: SizeTable) -> int:
    """Bytes of the sections a -s -w link leaves out."""
    return sum(n for s, n in t.sections.items() if s.startswith((".debug_", ".zdebug_")) or s in (".symtab", ".strtab"))


@pytest.mark.go
def test_dwarf_and_symbols_of_a_removed_package_leave_with_it(with_and_without: dict[str, SizeTable]) -> None:
    a, b = with_and_without["with"], with_and_without["without"]
    heavy = "example.com/dw/heavy"
    assert heavy not in b.packages and a.debug_packages[heavy] > 0
    # what the package's DWARF and symbol table entries were attributed, the file lost
    lost = _debug_bytes(a) - _debug_bytes(b)
    assert a.debug_packages[heavy] == pytest.approx(lost, rel=0.2)
    # and so for the whole package: its bytes are what the file loses without it (sections are
    # aligned in the file, so not to the byte)
    assert a.packages[heavy] == pytest.approx(a.file_bytes - b.file_bytes, rel=0.2)
    assert a.removal_estimate([heavy]) == pytest.approx(a.file_bytes - b.file_bytes, rel=0.2)


@pytest.mark.go
@pytest.mark.parametrize("main", ["./cmd/full", "./cmd/lite"])
def test_fixture_binaries_are_nine_tenths_on_packages(main: str, tmp_path: Path) -> None:
    go = _go()
    root = Path(__file__).resolve().parent.parent / "fixture_repos" / "split"
    target = Target(main=main, goos="linux", goarch="amd64", cgo=False)
    pkgs = _list_packages(go, root, target)
    path = build(go, root, target, tmp_path / "bin")
    t = attribute(path, pkgs, "example.com/split/" + main[2:], go=go)
    _check_sums(t, path)
    assert t.package_share >= 0.9, (t.buckets, t.unattributed_sections)
    assert not [p for p in t.packages if p.startswith("local.")] and "?" not in t.modules


@pytest.mark.go
def test_dynamic_linking_local_symbols_go_to_their_packages(tmp_path: Path) -> None:
    """plugin linked with cgo on: every global function also gets a `local.<name>` symbol; each is its
    package's, not a pseudo-package `local.<pkg>` of module `?`."""
    if not (shutil.which("gcc") or shutil.which("cc")):
        pytest.skip("cgo needs a C compiler")
    go = _go()
    root = Path(__file__).resolve().parent.parent / "fixture_repos" / "blockers"
    target = Target(main="./cmd/pluggable", goos="linux", goarch="amd64", cgo=True)
    pkgs = _list_packages(go, root, target)
    assert "plugin" in pkgs
    path = build(go, root, target, tmp_path / "bin")
    t = attribute(path, pkgs, "example.com/blockers/cmd/pluggable", go=go)
    _check_sums(t, path)
    assert not [p for p in t.packages if p.startswith("local")], t.notes
    assert "?" not in t.modules, t.notes
    assert t.packages["example.com/blockers/internal/plugins"] > 0 and t.packages["plugin"] > 0
    assert t.package_share >= 0.9, (t.buckets, t.unattributed_sections)


@pytest.mark.go
def test_module_information_is_read_off_the_elf_file_as_go_version_m_prints_it(built: dict[str, object]) -> None:
    """module_versions reads .go.buildinfo itself (no `go version -m` after the link); the lines are
    the ones go prints, and a file that is no ELF executable goes to go version -m."""
    from refactor.binary import embedded_modinfo
    from refactor.linker import module_versions, parse_buildinfo

    go, root, full = built["go"], built["root"], built["full"]
    assert isinstance(root, Path) and isinstance(full, Path)
    printed = go.run(["version", "-m", str(full)], cwd=root).stdout  # type: ignore[attr-defined]
    read = embedded_modinfo(full)
    assert read is not None and [ln.strip() for ln in read.splitlines()] == \
        [ln.strip() for ln in printed.splitlines()[1:]]
    assert "mod\texample.com/sz" in read and "build\t-trimpath=true" in read
    assert embedded_modinfo(root / "go.mod") is None
    assert module_versions(go, root, full) == parse_buildinfo(printed)  # type: ignore[arg-type]


EMB_ASSETS = """package assets

import _ "embed"

//go:embed blob.bin
var Blob string
"""
EMB_TABLES = """package tables

// Table is pointer-free data (.noptrdata): its words are numbers, whatever they look like.
var Table = [{n}]uint64{{{values}}}

// At is one word of Table.
func At(i int) uint64 {{ return Table[i%len(Table)] }}
"""
EMB_MAIN = """package main

import (
	"fmt"
	"os"

	"example.com/emb/assets"
	"example.com/emb/tables"
)

func main() {
	fmt.Println(len(assets.Blob), tables.At(len(os.Args)))
}
"""


def _blob_address(path: Path) -> int:
    """Where assets.Blob's bytes are: the data word of its string header."""
    from elftools.elf.elffile import ELFFile

    with path.open("rb") as f:
        elf = ELFFile(f)
        sym = elf.get_section_by_name(".symtab").get_symbol_by_name("example.com/emb/assets.Blob")[0]
        for sec in elf.iter_sections():
            if sec["sh_addr"] <= sym["st_value"] < sec["sh_addr"] + sec["sh_size"]:
                f.seek(sec["sh_offset"] + sym["st_value"] - sec["sh_addr"])
                return int.from_bytes(f.read(8), "little")
    raise AssertionError("assets.Blob not found")


@pytest.mark.go
def test_words_of_pointer_free_data_do_not_cut_embedded_files(tmp_path: Path) -> None:
    """A table in .noptrdata whose numbers happen to be addresses inside an embedded file (x/text's
    norm and bidi tries did this to frp's web UI) takes none of the file's bytes: the file stays its
    package's, which refers to its start."""
    go = _go()
    root = tmp_path / "emb"
    (root / "assets").mkdir(parents=True)
    (root / "tables").mkdir()
    (root / "cmd" / "emb").mkdir(parents=True)
    (root / "go.mod").write_text("module example.com/emb\n\ngo 1.22\n")
    blob = bytes((i * 131 + (i >> 8) * 7) % 251 for i in range(256 * 1024))
    (root / "assets" / "blob.bin").write_bytes(blob)
    (root / "assets" / "assets.go").write_text(EMB_ASSETS)
    (root / "cmd" / "emb" / "main.go").write_text(EMB_MAIN)
    n = 64
    target = Target(main="./cmd/emb", goos="linux", goarch="amd64", cgo=False)

    def built(values: list[int], name: str) -> Path:
        (root / "tables" / "tables.go").write_text(EMB_TABLES.format(n=n, values=", ".join(map(str, values))))
        return build(go, root, target, tmp_path / name)

    # the same code and sizes with other numbers: the layout, and so the file's address, stay
    start = _blob_address(built([(1 << 40) + i for i in range(n)], "plain"))
    path = built([start + 4096 * (i + 1) for i in range(n)], "aliased")
    assert _blob_address(path) == start
    t = attribute(path, _list_packages(go, root, target), "example.com/emb/cmd/emb", go=go)
    _check_sums(t, path)
    assert t.packages["example.com/emb/assets"] >= 0.98 * len(blob), t.packages
    assert t.packages["example.com/emb/tables"] < 8 * 1024, t.packages
