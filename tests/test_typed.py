"""Tests for refactor.typed: the type-checked view (a Go program over go/types) and its Python side."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from refactor import gotools, typed
from refactor.config import Target
from refactor.gosource import parse_file
from refactor.toolchain import Go, find_go
from refactor.typed import (
    EmbeddedStep,
    FieldSelection,
    MethodImpl,
    ObjectRef,
    StructLiteral,
    TypedView,
    TypeRef,
    load_typed,
)

MOD = "example.com/tv"
SHOP, MODEL, BROKEN = f"{MOD}/shop", f"{MOD}/model", f"{MOD}/broken"

FILES = {
    "go.mod": f"module {MOD}\n\ngo 1.22\n",
    "model/model.go": """package model

// Record has an unexported field: only model may set it in a literal.
type Record struct {
	ID   int
	name string
}

// New builds a Record.
func New(id int, name string) Record { return Record{ID: id, name: name} }

// Name returns the name.
func (r Record) Name() string { return r.name }
""",
    "shop/shop.go": """package shop

import (
	"fmt"
	"io"
	"strings"

	"example.com/tv/model"
)

// Light and Heavy both have a field called name.
type Light struct{ name string }

type Heavy struct {
	name string
	w    io.Writer
}

func LightName(l Light) string   { return l.name }
func HeavyName(h *Heavy) string  { return h.name }
func Build() Light               { return Light{name: "x"} }
func Record() model.Record       { return model.Record{ID: 1} }
func RecordName(r model.Record) string { return r.Name() }

type base struct{ id int }

func (b *base) ID() int { return b.id }

type Item struct {
	*base
	Label string
}

func ItemID(i Item) int { return i.id + i.ID() }

type Sink struct{}

func (Sink) Write(p []byte) (int, error) { return len(p), nil }

func NewHeavy() *Heavy { return &Heavy{name: "h", w: Sink{}} }

var Default io.Writer = &Sink{}

type Command struct {
	Name string
	Run  func()
}

var Commands = []Command{{Name: "hello", Run: func() { fmt.Println(strings.ToUpper("hi")) }}}

var Upper = strings.ToUpper("x")

var registry = map[string]func(){}

func init() { registry["x"] = func() { fmt.Println("later") } }
""",
    "shop/os_windows.go": "package shop\n\nfunc Platform() string { return \"windows\" }\n",
    "shop/os_other.go": "//go:build !windows\n\npackage shop\n\nfunc Platform() string { return \"other\" }\n",
    "broken/broken.go": "package broken\n\nfunc F() int { return \"x\" }\n\nfunc G() int { return F() }\n",
    "cmd/app/main.go": """package main

import (
	"fmt"

	"example.com/tv/broken"
	"example.com/tv/shop"
)

func main() { fmt.Println(shop.LightName(shop.Build()), shop.Platform(), broken.G()) }
""",
}


def _go() -> Go:
    return find_go()


def _target(goos: str = "linux", cgo: bool = False) -> Target:
    return Target(main=f"{MOD}/cmd/app", goos=goos, goarch="amd64", cgo=cgo)


@pytest.fixture(scope="module")
def module(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("typed") / "tv"
    for name, src in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(src)
    return root


@pytest.fixture(scope="module")
def view(module: Path) -> TypedView:
    return load_typed(_go(), module, _target())


def _shop(name: str) -> TypeRef:
    return TypeRef(SHOP, name)


@pytest.mark.go
def test_fields_of_the_same_unexported_name_resolve_to_their_own_types(view: TypedView) -> None:
    shop = view.package(SHOP)
    assert shop is not None and shop.ok, shop
    light, heavy = shop.decl("LightName"), shop.decl("HeavyName")
    assert light is not None and heavy is not None
    assert light.field_selections == (FieldSelection(_shop("Light"), "name"),)
    assert heavy.field_selections == (FieldSelection(_shop("Heavy"), "name"),)
    assert light.members_of(_shop("Light")) == {"name"} and not light.members_of(_shop("Heavy"))


@pytest.mark.go
def test_embedded_promotion_names_the_declaring_type_and_the_path(view: TypedView) -> None:
    shop = view.package(SHOP)
    assert shop is not None
    d = shop.decl("ItemID")
    assert d is not None
    via = (EmbeddedStep(_shop("Item"), "base"),)
    assert d.field_selections == (FieldSelection(_shop("base"), "id", via),)
    (m,) = d.method_selections
    assert (m.type, m.method, m.pointer, m.interface, m.mode, m.path) == (_shop("base"), "ID", True, False, "call", via)
    assert d.fields_used() == {(_shop("base"), "id"), (_shop("Item"), "base")}
    r = shop.decl("RecordName")
    assert r is not None and [(m.type, m.method) for m in r.method_selections] == [(TypeRef(MODEL, "Record"), "Name")]


@pytest.mark.go
def test_conversions_to_interfaces_name_the_methods_they_reach(view: TypedView) -> None:
    shop = view.package(SHOP)
    assert shop is not None
    writer = TypeRef("io", "Writer")
    heavy = shop.decl("NewHeavy")
    assert heavy is not None
    (conv,) = heavy.iface_conversions  # Sink{} into the io.Writer field of a Heavy literal
    assert (conv.concrete, conv.pointer, conv.interface, conv.interface_text) == (_shop("Sink"), False, writer,
                                                                                 "io.Writer")
    assert conv.methods == (MethodImpl("Write", _shop("Sink"), False),)
    default = shop.decl("Default")
    assert default is not None
    assert [(c.concrete, c.pointer, c.interface) for c in default.iface_conversions] == [(_shop("Sink"), True, writer)]
    light = shop.decl("LightName")
    assert light is not None and light.iface_conversions == ()


@pytest.mark.go
def test_struct_literals_say_which_unexported_fields_they_set(view: TypedView) -> None:
    shop, model = view.package(SHOP), view.package(MODEL)
    assert shop is not None and model is not None
    build, record, new = shop.decl("Build"), shop.decl("Record"), model.decl("New")
    assert build is not None and record is not None and new is not None
    assert build.struct_literals == (StructLiteral(_shop("Light"), True, ("name",), ("name",)),)
    assert record.struct_literals == (StructLiteral(TypeRef(MODEL, "Record"), True, ("ID",), ()),)
    assert new.struct_literals[0].unexported == ("name",)
    assert ObjectRef(MODEL, "Record", "type") in record.uses_objects


@pytest.mark.go
def test_a_command_table_of_closures_does_not_run_at_startup_a_call_does(view: TypedView) -> None:
    shop = view.package(SHOP)
    assert shop is not None
    commands, upper, registry = shop.decl("Commands"), shop.decl("Upper"), shop.decl("registry")
    assert commands is not None and upper is not None and registry is not None
    assert not commands.runs_at_startup and commands.startup_calls == ()
    # the closure's calls are still uses of the declaration (they run when the command does)
    assert ObjectRef("strings", "ToUpper", "func") in commands.uses_objects
    assert upper.runs_at_startup
    assert [(c.kind, c.package, c.name) for c in upper.startup_calls] == [("func", "strings", "ToUpper")]
    assert not registry.runs_at_startup
    (init,) = shop.inits
    init_decl = shop.decl(init)
    assert init == "init#shop/shop.go#0" and init_decl is not None and init_decl.runs_at_startup
    assert init_decl.startup_calls == ()  # it stores a closure; fmt.Println runs later
    assert [d.key for d in shop.startup_decls()] == ["Upper", init]


@pytest.mark.go
def test_a_package_that_does_not_type_check_is_reported_not_fatal(view: TypedView) -> None:
    broken, app = view.package(BROKEN), view.package(f"{MOD}/cmd/app")
    assert broken is not None and app is not None
    assert not broken.ok and broken.error_count == 1 and "broken.go:3:" in broken.errors[0]
    g = broken.decl("G")
    assert g is not None and g.uses_objects == {ObjectRef(BROKEN, "F", "func")}
    assert not app.ok and any(BROKEN in e for e in app.errors)  # no export data for what it imports
    assert "cannot use" in view.list_errors[BROKEN]  # the compiler's own words, from go list
    shop = view.package(SHOP)
    assert shop is not None and shop.ok


@pytest.mark.go
def test_keys_and_offsets_are_those_of_the_source_model(view: TypedView, module: Path) -> None:
    seen = 0
    for pkg in view:
        files = {d.file for d in pkg.decls}
        for rel in sorted(files):
            model = parse_file(rel, (module / rel).read_bytes())
            assert [(d.key, d.spec_start, d.spec_end) for d in model.decls] == \
                [(d.key, d.start, d.end) for d in pkg.decls if d.file == rel]
            src = (module / rel).read_bytes()
            assert all(src[d.name_start:d.name_end].decode() == d.name for d in pkg.decls if d.file == rel)
            seen += len(model.decls)
    assert seen > 20


@pytest.mark.go
def test_the_targets_configuration_and_the_packages_asked_for(module: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    go = _go()
    monkeypatch.chdir(module.parent)
    linux = load_typed(go, Path(module.name), _target(), import_paths=[SHOP])  # keys relative to it all the same
    assert set(linux.packages) == {SHOP} and linux.package(MODEL) is None
    platform = linux.packages[SHOP].decl("Platform")
    assert platform is not None and platform.file == "shop/os_other.go"
    windows = load_typed(go, module, _target("windows"), import_paths=[SHOP])
    platform = windows.packages[SHOP].decl("Platform")
    assert platform is not None and platform.file == "shop/os_windows.go"
    assert windows.list_seconds > 0 and windows.check_seconds > 0
    assert windows.toolchain == go.version_text


@pytest.mark.go
def test_cgo_files_are_checked_as_written(tmp_path: Path) -> None:
    go = _go()
    if not (subprocess.run([go.path, "env", "CC"], capture_output=True, text=True).stdout.strip()):
        pytest.skip("no C compiler configured")
    (tmp_path / "go.mod").write_text("module example.com/c\n\ngo 1.22\n")
    (tmp_path / "main.go").write_text("package main\n\nfunc main() { println(twice(2)) }\n")
    (tmp_path / "c.go").write_text('package main\n\n// static int tw(int x) { return 2 * x; }\nimport "C"\n\n'
                                   "func twice(x int) int { return int(C.tw(C.int(x))) }\n")
    try:
        view = load_typed(go, tmp_path, Target("example.com/c", "linux", "amd64", cgo=True))
    except Exception as exc:  # a machine without a working C toolchain cannot build cgo export data
        pytest.skip(f"cgo build not available: {exc}")
    pkg = view.package("example.com/c")
    assert pkg is not None and pkg.ok and pkg.fake_import_c, pkg
    main, twice = pkg.decl("main"), pkg.decl("twice")
    assert main is not None and twice is not None and twice.file == "c.go"
    assert ObjectRef("example.com/c", "twice", "func") in main.uses_objects


@pytest.mark.go
def test_view_json_is_the_answer_parse_view_reads_back(view: TypedView) -> None:
    """A recorded Project keeps its typed view as the program's answer (refactor.record)."""
    again = typed.parse_view(typed.view_json(view))
    assert again.packages == view.packages and again.toolchain == view.toolchain
    assert any(d.struct_literals or d.iface_conversions or d.startup_calls for p in again for d in p.decls)


def test_parse_view_refuses_another_format_version() -> None:
    from refactor.errors import GoError

    with pytest.raises(GoError, match="reinstall gotrim"):
        typed.parse_view('{"version": 99, "packages": []}')


def test_pruning_keeps_other_helpers_builds(tmp_path: Path) -> None:
    for name in ("attrib-a", "attrib-b", "typed-a", "typed-b", "typed-c"):
        (tmp_path / name).write_bytes(b"")
    for i, name in enumerate(("typed-a", "typed-b", "typed-c")):
        os.utime(tmp_path / name, (1_000_000 + i, 1_000_000 + i))
    gotools._prune(tmp_path, gotools.GoTool("typed", tmp_path, "t", "t", keep=2))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["attrib-a", "attrib-b", "typed-b", "typed-c"]


@pytest.mark.go
def test_the_program_is_built_once_per_toolchain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOTRIM_TOOLS_DIR", str(tmp_path / "tools"))
    monkeypatch.setenv("GOFLAGS", "-mod=vendor -tags=nosuchtag")  # the user's settings do not reach it
    monkeypatch.setattr(typed, "_built", {})
    go = _go()
    exe = typed.executable(go)
    assert exe.parent == tmp_path / "tools" and exe.name.startswith("typed-")
    stamp = exe.stat().st_mtime_ns
    monkeypatch.setattr(typed, "_built", {})
    assert typed.executable(go) == exe and exe.stat().st_mtime_ns == stamp
    proc = subprocess.run([str(exe), "nosuchcommand"], capture_output=True, text=True)
    assert proc.returncode == 2 and "decls" in proc.stderr


@pytest.mark.go
def test_the_program_sources_are_gofmt_clean_vet_clean_and_pass_their_go_tests() -> None:
    go = _go()
    gofmt = Path(go.path).with_name("gofmt")
    listed = subprocess.run([str(gofmt), "-l", "."], cwd=typed.SOURCE, capture_output=True, text=True)
    assert listed.returncode == 0 and listed.stdout == "", listed.stdout + listed.stderr
    env = {**go.environ(), "GOFLAGS": "", "GOWORK": "off"}
    vet = subprocess.run([go.path, "vet", "./..."], cwd=typed.SOURCE, capture_output=True, text=True, env=env)
    assert vet.returncode == 0, vet.stderr
    test = subprocess.run([go.path, "test", "./..."], cwd=typed.SOURCE, capture_output=True, text=True, env=env)
    assert test.returncode == 0, test.stdout + test.stderr


@pytest.mark.go
def test_the_benchmark_runs_and_finds_the_keys_agree() -> None:
    import json
    import sys

    root = Path(__file__).resolve().parent.parent
    proc = subprocess.run([sys.executable, "-m", "bench.typed", "--smoke"], cwd=root, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads(proc.stdout)
    assert data["analysed_packages"] >= 2 and data["decls"] > 10 and data["not_ok"] == []
    assert data["files_mismatching_count"] == 0
    assert {"go_list_export_s", "program_s", "python_parse_s"} <= set(data)


@pytest.mark.go
def test_a_helper_build_keeps_its_go_work_directory_in_the_tools_folder(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A helper built in the background may outlive a command that fails: its go work directory is in
    the tools folder, not in the command's run directory (which the command removes), and go removes
    it when it is done."""
    import tempfile

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(run_dir))
    monkeypatch.setenv("TMPDIR", str(run_dir))
    monkeypatch.setenv("GOTRIM_TOOLS_DIR", str(tmp_path / "tools"))
    monkeypatch.setattr(typed, "_built", {})
    seen: list[dict[str, str]] = []
    real = subprocess.run

    def recording(argv: Any, **kw: Any) -> Any:
        seen.append(dict(kw.get("env") or {}))
        return real(argv, **kw)

    monkeypatch.setattr(gotools.subprocess, "run", recording)
    typed.executable(_go())
    (env,) = seen
    assert env["GOTMPDIR"] == env["TMPDIR"] == str(tmp_path / "tools" / ".work")
    assert not list(run_dir.iterdir()) and not list((tmp_path / "tools" / ".work").iterdir())
