"""The source index: Go's own file rules, checked against go list on every fixture and several platforms."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from refactor.config import Target
from refactor.gosource import parse_file
from refactor.sources import BuildContext, SourceIndex, build_expr, ignore_patterns, walk_module
from tests.conftest import FIXTURES


@pytest.mark.parametrize(("name", "goos", "goarch", "ok"), [
    ("x.go", "linux", "amd64", True),
    ("linux.go", "windows", "amd64", True),  # a suffix needs a prefix
    ("x_linux.go", "windows", "amd64", False),
    ("x_linux.go", "android", "arm64", True),
    ("x_windows_amd64.go", "windows", "amd64", True),
    ("x_windows_amd64.go", "windows", "arm64", False),
    ("x_arm64_test.go", "linux", "arm64", True),
    ("x_solaris.go", "illumos", "amd64", True),
    ("x_foo.go", "plan9", "386", True),
])
def test_file_name_suffixes(name: str, goos: str, goarch: str, ok: bool) -> None:
    assert BuildContext(goos, goarch).good_os_arch_file(name) is ok


def test_constraints_and_plus_build_blank_line_rule() -> None:
    ctx = BuildContext("linux", "amd64", tags=("feat",), cgo=False, go_minor=22)
    cases = {
        b"//go:build linux && feat\n\npackage p\n": True,
        b"//go:build unix && !cgo && go1.22 && !go1.23\n\npackage p\n": True,
        b"//go:build windows\n// +build linux\n\npackage p\n": False,  # //go:build decides alone
        b"// +build windows\n\npackage p\n": False,
        b"// +build windows\npackage p\n": True,  # no blank line after it: a doc comment
        b"//go:build ignore\n\npackage p\n": False,
        b'package p\n\nimport "C"\n': False,  # cgo is off
        b"//go:build amd64.v1\n\npackage p\n": True,
    }
    for src, want in cases.items():
        assert ctx.matches("x.go", parse_file("x.go", src)) is want, src
    assert build_expr(parse_file("x.go", b"package p\n")) is None


def test_ignore_directives_as_cmd_go_reads_them(tmp_path: Path) -> None:
    assert ignore_patterns(b"module m\n\nignore ./node_modules\nignore (\n\tfoo // c\n\tpkg/bar/\n)\n") == (
        ("/node_modules/",), ("/foo/", "/pkg/bar/"))
    files = {
        "go.mod": "module example.com/m\n\ngo 1.25\n\nignore ./top\nignore gen\n",
        "a.go": "package m\n", "top/t.go": "package top\n", "x/top/t.go": "package top\n",
        "x/gen/g.go": "package gen\n", "gen/g.go": "package gen\n", "testdata/t.go": "package t\n",
        "_old/o.go": "package o\n", ".hidden/h.go": "package h\n", "vendor/v/v.go": "package v\n",
        "nested/go.mod": "module example.com/nested\n", "nested/n.go": "package n\n", "_x.go": "package m\n",
        "b_test.go": "package m\n",
    }
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    assert walk_module(tmp_path) == ["a.go", "b_test.go", "x/top/t.go"]


def test_importers_and_tags_in_use(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "a.go").write_text('//go:build !m_omit_http\n\npackage a\n\nimport "net/http"\n\n'
                                         'var _ = http.Get\n')
    (tmp_path / "a" / "a_test.go").write_text('package a\n\nimport _ "net/http"\n')
    (tmp_path / "b.go").write_text('package m\n\n// "net/http" in a comment only\n')
    index = SourceIndex.scan(tmp_path, "example.com/m")
    assert [f.path for f in index.importers("net/http")] == ["a/a.go", "a/a_test.go"]
    assert [f.path for f in index.importers("net/http", tests=False)] == ["a/a.go"]
    assert index.tags_in_use() == {"m_omit_http": ["a/a.go"]}
    assert index.import_path("a") == "example.com/m/a" and index.dir_of("example.com/m/a") == "a"


def _go_list(root: Path, target: Target) -> list[dict[str, object]]:
    env = {**os.environ, "GOTOOLCHAIN": "local", **target.env()}
    out = subprocess.run(["go", "list", "-e", "-json=Dir,ImportPath,GoFiles,CgoFiles,IgnoredGoFiles,TestGoFiles,"
                          "XTestGoFiles", *target.build_flags(), "./..."], cwd=root, env=env, capture_output=True,
                         text=True, check=True).stdout
    dec = json.JSONDecoder()
    objs, i = [], 0
    while i < len(out):
        if out[i].isspace():
            i += 1
            continue
        obj, i = dec.raw_decode(out, i)
        objs.append(obj)
    return objs


@pytest.mark.go
@pytest.mark.parametrize("fixture", ["split", "splitcycle", "guard", "blockers", "clean"])
def test_selection_agrees_with_go_list(fixture: str) -> None:
    root = FIXTURES / fixture
    version = subprocess.run(["go", "env", "GOVERSION"], capture_output=True, text=True).stdout
    minor = int(version.strip().removeprefix("go").split(".")[1])
    index = SourceIndex.scan(root, "example.com/" + fixture, go_minor=minor)
    configs = [Target("", "linux", "amd64"), Target("", "linux", "amd64", cgo=False),
               Target("", "windows", "amd64", cgo=False), Target("", "darwin", "arm64"),
               Target("", "plan9", "amd64", cgo=False), Target("", "linux", "arm64", ("guard_omit_http",))]
    for target in configs:
        listed = _go_list(root, target)
        dirs = set()
        for pkg in listed:
            rel = index.rel(str(pkg["Dir"]))
            dirs.add(rel)
            want = sorted([*pkg.get("GoFiles", []), *pkg.get("CgoFiles", [])])  # type: ignore[misc]
            got = sorted(f.path.rsplit("/", 1)[-1] for f in index.selected(rel, target))
            assert got == want, (fixture, target.label, rel)
            ignored = sorted(n for n in pkg.get("IgnoredGoFiles", []) if not n.endswith("_test.go"))  # type: ignore[attr-defined]
            assert sorted(f.path.rsplit("/", 1)[-1] for f in index.excluded(rel, target)) == ignored
            tests = sorted([*pkg.get("TestGoFiles", []), *pkg.get("XTestGoFiles", [])])  # type: ignore[misc]
            got_tests = sorted(f.path.rsplit("/", 1)[-1] for f in index.selected(rel, target, tests=True)
                               if f.path.endswith("_test.go"))
            assert got_tests == tests, (fixture, target.label, rel)
        assert dirs == set(index.dirs()), (fixture, target.label)


def test_a_directory_named_with_dot_slash_is_listed_once(tmp_path: Path) -> None:
    """`.`, `./cmd/x/` and `cmd/x` name the same directory: every file is in the index once, by one name."""
    (tmp_path / "go.mod").write_text("module example.com/m\n\ngo 1.22\n", encoding="utf-8")
    (tmp_path / "main.go").write_text("package main\n\nfunc main() {}\n", encoding="utf-8")
    (tmp_path / "_tools").mkdir()
    (tmp_path / "_tools" / "t.go").write_text("package tools\n", encoding="utf-8")
    index = SourceIndex.scan(tmp_path, "example.com/m", modules=[(".", "example.com/m")],
                             package_dirs=[".", "./_tools/", "_tools"])
    assert index.files == ("_tools/t.go", "main.go")
    assert index.modules == (("", "example.com/m"),)
    assert index.dir_files("") == index.dir_files(".") == index.dir_files("./") == ["main.go"]
    assert index.import_path(".") == "example.com/m" and index.import_path("./_tools") == "example.com/m/_tools"
    assert index.module_dir(".") == ""


def test_parse_cache_serves_parsed_files_and_never_a_stale_entry(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A dependency's file, and a file of the repository, is parsed once and read back in the next run;
    changed bytes, another build of gotrim or a damaged entry get a parse."""
    import refactor.sources as sources_mod
    from refactor.parsecache import ParseCache

    repo, dep = tmp_path / "repo", tmp_path / "modcache" / "dep@v1.0.0"
    repo.mkdir()
    dep.mkdir(parents=True)
    (repo / "own.go").write_bytes(b"package own\n\nfunc Own() {}\n")
    lib = dep / "lib.go"
    lib.write_bytes(b"package lib\n\nimport \"fmt\"\n\nfunc Hello() { fmt.Println(1) }\n")
    cache = tmp_path / "cache"
    calls: list[str] = []

    def counting(path: str, src: bytes, names: object = None) -> object:
        calls.append(path)
        return parse_file(path, src, names)  # type: ignore[arg-type]

    monkeypatch.setattr(sources_mod, "parse_file", counting)

    def index() -> SourceIndex:
        idx = SourceIndex(repo, "example.com/repo", ["own.go"])
        idx.parse_cache = ParseCache(cache)
        return idx

    first = index().file(str(lib))
    assert calls == [str(lib)] and [d.name for d in first.decls] == ["Hello"]
    again = index().file(str(lib))
    assert calls == [str(lib)], "the second run parsed a file the cache holds"
    assert again.src == first.src and [d.key for d in again.decls] == [d.key for d in first.decls]
    assert [d.refs for d in again.decls] == [d.refs for d in first.decls]
    index().file("own.go")
    index().file("own.go")
    assert calls.count("own.go") == 1, "a file of the repository was parsed again, unchanged"
    (repo / "own.go").write_bytes(b"package own\n\nfunc Edited() {}\n")
    assert [d.name for d in index().file("own.go").decls] == ["Edited"] and calls.count("own.go") == 2
    lib.write_bytes(b"package lib\n\nfunc Bye() {}\n")
    assert [d.name for d in index().file(str(lib)).decls] == ["Bye"]
    for entry in cache.rglob("*.pickle"):
        entry.write_bytes(b"not a pickle")
    assert [d.name for d in index().file(str(lib)).decls] == ["Bye"]
    n, ours = len(calls), ParseCache(cache).dir
    monkeypatch.setattr("refactor.code_digest", lambda: "f" * 64)  # another build of gotrim
    index().file(str(lib))
    assert len(calls) == n + 1, "another build of gotrim read this build's entry"
    assert ours.exists(), "a build used this week lost its folder to another build"
    os.utime(ours, (0, 0))  # not used for a long time
    lib.write_bytes(b"package lib\n\nfunc Again() {}\n")  # (a write prunes)
    index().file(str(lib))
    assert not ours.exists(), "a folder unused for a week was not removed"


def test_parse_cache_drops_entries_written_a_week_ago_once_a_day(tmp_path: Path) -> None:
    """An edited file's old entries are never read again: a write prunes the entries written more than a
    week ago (at most once a day), and keeps the others."""
    import time

    from refactor.parsecache import ParseCache

    (tmp_path / "repo").mkdir()
    cache = tmp_path / "cache"

    def parse(name: str, text: bytes) -> None:
        (tmp_path / "repo" / name).write_bytes(text)
        idx = SourceIndex(tmp_path / "repo", "example.com/repo", [name])
        idx.parse_cache = ParseCache(cache)
        idx.file(name)

    parse("a.go", b"package a\n\nfunc A() {}\n")
    parse("b.go", b"package a\n\nfunc B() {}\n")
    old, recent = sorted(cache.rglob("*.pickle"))
    long_ago = time.time() - 8 * 24 * 3600
    os.utime(old, (long_ago, long_ago))
    parse("c.go", b"package a\n\nfunc C() {}\n")
    assert old.exists(), "pruned twice in one day"
    os.utime(ParseCache(cache).dir / ".pruned", (long_ago, long_ago))
    parse("d.go", b"package a\n\nfunc D() {}\n")
    assert not old.exists() and recent.exists() and len(list(cache.rglob("*.pickle"))) == 3


def test_qualified_refs_of_a_dependency_file_are_read_back_without_its_parse(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What a file selects per qualifier (guard-with-tag reads it of every importer of a dependency
    package) is kept beside the parse: a later run reads it without loading or making the parse, and
    a changed file is read again."""
    import refactor.sources as sources_mod
    from refactor.parsecache import ParseCache
    from refactor.sources import qualified_refs_of

    repo, dep = tmp_path / "repo", tmp_path / "modcache" / "dep@v1.0.0"
    repo.mkdir()
    dep.mkdir(parents=True)
    lib = dep / "lib.go"
    lib.write_bytes(b'package lib\n\nimport (\n\tf "fmt"\n\t_ "embed"\n\t"strings"\n)\n\n'
                    b'// f.Sprintf in a comment is no reference\n'
                    b'func Hello() string { return f.Sprint(strings.ToUpper("x")) + f.Sprintln() }\n')
    cache = tmp_path / "cache"

    def index() -> SourceIndex:
        idx = SourceIndex(repo, "example.com/repo", [])
        idx.parse_cache = ParseCache(cache)
        return idx

    imports, refs = index().qualified_refs(str(lib))
    assert imports == (("fmt", "f"), ("embed", "_"), ("strings", None))
    assert refs == {"f": frozenset({"Sprint", "Sprintln"}), "strings": frozenset({"ToUpper"})}
    assert (imports, refs) == qualified_refs_of(index().file(str(lib)))

    def no_parse(*_: object) -> object:
        raise AssertionError("parsed again")

    monkeypatch.setattr(sources_mod, "parse_file", no_parse)
    monkeypatch.setattr(ParseCache, "get", no_parse)  # nor the whole parse read back
    assert index().qualified_refs(str(lib)) == (imports, refs)
    monkeypatch.undo()
    lib.write_bytes(b'package lib\n\nimport "os"\n\nfunc Bye() { os.Exit(0) }\n')
    assert index().qualified_refs(str(lib)) == ((("os", None),), {"os": frozenset({"Exit"})})
