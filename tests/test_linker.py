"""The -dumpdep parser on recorded excerpts, symbol->package mapping, build info and ldflags."""

from __future__ import annotations

from pathlib import Path

import pytest

from refactor.config import Target
from refactor.linker import (
    UNKNOWN,
    SymbolIndex,
    dumpdep_ldflags,
    parse_buildinfo,
    parse_dumpdep,
    parse_edge,
    path_to_prefix,
    split_flags,
    strip_brackets,
)

DATA = Path(__file__).parent / "data" / "dumpdep"


def read(name: str) -> list[str]:
    return (DATA / name).read_text(encoding="utf-8").splitlines(keepends=True)


@pytest.mark.parametrize(("side", "expected"), [
    pytest.param("main.F", ("main.F", ""), id="plain"),
    pytest.param("main.F <ReflectMethod>", ("main.F", "<ReflectMethod>"), id="reflect"),
    pytest.param("type:main.T <UsedInIface>", ("type:main.T", "<UsedInIface>"), id="iface"),
    pytest.param("main.F <UsedInIface><ReflectMethod>", ("main.F", "<UsedInIface><ReflectMethod>"), id="both"),
    pytest.param("type:struct { a int; b <-chan int }", ("type:struct { a int; b <-chan int }", ""),
                 id="spaces"),
    pytest.param("main.f[go.shape.struct { A int }] <ReflectMethod>",
                 ("main.f[go.shape.struct { A int }]", "<ReflectMethod>"), id="spaces-flag"),
    pytest.param("main.cmp[<T>]", ("main.cmp[<T>]", ""), id="angle-not-a-flag"),
])
def test_split_flags(side: str, expected: tuple[str, str]) -> None:
    assert split_flags(side) == expected


@pytest.mark.parametrize(("line", "expected"), [
    pytest.param("_ -> _rt0_amd64_linux\n", ("_", "", "_rt0_amd64_linux", ""), id="root"),
    pytest.param(" -> go:info.main.T.Hello$abstract\n", ("", "", "go:info.main.T.Hello$abstract", ""),
                 id="empty-source"),
    pytest.param("a <ReflectMethod> -> b\r\n", ("a", "<ReflectMethod>", "b", ""), id="crlf"),
])
def test_parse_edge(line: str, expected: tuple[str, str, str, str]) -> None:
    assert parse_edge(line) == expected


@pytest.mark.parametrize("line", ["# example.com/tpl", "", "main.go:3:2: undefined: x", "a -> "])
def test_parse_edge_other_lines(line: str) -> None:
    assert parse_edge(line) is None


def test_text_template_root_cause() -> None:
    dump = parse_dumpdep(read("text_template.txt"))
    root = dump.root_cause
    assert root is not None and root.certain
    assert root.symbol == "text/template.(*state).evalField"
    assert root.chain[0] == "_rt0_amd64_linux"
    assert root.chain[-1] == root.symbol
    assert "main.main" in root.chain
    assert root.chain.index("main.main") < root.chain.index("text/template.(*Template).execute")
    assert dump.other_lines == ("# example.com/tpl",)


def test_text_template_later_flags_are_possible_and_retained() -> None:
    dump = parse_dumpdep(read("text_template.txt"))
    names = [b.symbol for b in dump.possible]
    assert names[0] == "reflect.(*Value).Method"
    assert all(not b.certain for b in dump.possible)
    # Every later flag of this program is reached through a kept method of reflect.Value/rtype.
    assert all(b.retained for b in dump.possible)
    assert dump.flagged == 1 + len(dump.possible)


def test_edge_cases_spaces_empty_source_and_repeats() -> None:
    dump = parse_dumpdep(read("edge_cases.txt"))
    root = dump.root_cause
    assert root is not None
    assert root.symbol == "main.lookup[go.shape.struct { A int; B string }]"
    assert root.chain == ("_rt0_amd64_linux", "main.main", "main.call[go.shape.struct { A int; B string }]",
                          root.symbol)
    by_name = {b.symbol: b for b in dump.possible}
    assert by_name["main.T.Name"].retained  # type:main.T -> main.T.Name
    assert not by_name["main.init.0"].retained
    assert by_name["main.init.0"].chain == ("go:main.inittasks", "main.init.0")
    assert by_name["main.orphan"].chain == (UNKNOWN, "main.orphan")  # empty source: parent unknown
    assert dump.flagged == 4  # the repeated init.0 line counts once


def test_no_reflect_method_means_no_root() -> None:
    dump = parse_dumpdep(["# x\n", "_ -> _rt0_amd64_linux\n", "_rt0_amd64_linux -> main.main\n"])
    assert dump.root_cause is None and dump.possible == () and dump.flagged == 0
    assert dump.lines == 3


def test_possible_is_capped() -> None:
    lines = ["_ -> main.main\n"] + [f"main.main -> main.f{i} <ReflectMethod>\n" for i in range(50)]
    dump = parse_dumpdep(lines, max_possible=5)
    assert dump.root_cause is not None and dump.root_cause.symbol == "main.f0"
    assert len(dump.possible) == 5 and dump.flagged == 50


def test_parse_dumpdep_is_lazy() -> None:
    """The parser consumes an iterator once; it never needs the whole stream as a list."""
    def stream() -> object:
        yield "_ -> main.main\n"
        yield "main.main -> main.f <ReflectMethod>\n"
    dump = parse_dumpdep(stream())  # type: ignore[arg-type]
    assert dump.root_cause is not None and dump.root_cause.chain == ("main.main", "main.f")


@pytest.mark.parametrize(("path", "prefix"), [
    ("gopkg.in/yaml.v3", "gopkg.in/yaml%2ev3"),
    ("crypto/internal/entropy/v1.0.0", "crypto/internal/entropy/v1%2e0%2e0"),
    ("github.com/a.b/c", "github.com/a.b/c"),
    ("text/template", "text/template"),
])
def test_path_to_prefix(path: str, prefix: str) -> None:
    assert path_to_prefix(path) == prefix


def test_symbol_index() -> None:
    idx = SymbolIndex({"main": "example.com/x/cmd/report", "text/template": "text/template",
                       "gopkg.in/yaml%2ev3": "gopkg.in/yaml.v3", "reflect": "reflect",
                       "github.com/a/b": "github.com/a/b", "github.com/a/b/c": "github.com/a/b/c"})
    assert idx.package("main.main") == "example.com/x/cmd/report"
    assert idx.package("text/template.(*state).evalField") == "text/template"
    assert idx.package("gopkg.in/yaml%2ev3.(*parser).parse") == "gopkg.in/yaml.v3"
    assert idx.package("type:*reflect.rtype") == "reflect"
    assert idx.package("github.com/a/b/c.F[go.shape.struct { x github.com/a/b.T }]") == "github.com/a/b/c"
    assert idx.package("go:main.inittasks") is None
    assert idx.package("_rt0_amd64_linux") is None
    assert strip_brackets("f[a[b]].g[c]") == "f.g"


def test_dumpdep_ldflags_merges() -> None:
    t = Target(main="example.com/x", goos="linux", goarch="amd64")
    assert dumpdep_ldflags(t) == "-dumpdep"
    assert dumpdep_ldflags(Target(main="m", goos="linux", goarch="amd64", ldflags="-s -w -X 'main.v=1 2'")) \
        == "-s -w -X 'main.v=1 2' -dumpdep"
    assert dumpdep_ldflags(Target(main="m", goos="linux", goarch="amd64", ldflags="-dumpdep")) == "-dumpdep"


def test_parse_buildinfo_replacements_win() -> None:
    text = ("/tmp/x: go1.26.8\n\tpath\texample.com/x\n\tmod\texample.com/x\t(devel)\t\n"
            "\tdep\tgoogle.golang.org/grpc\tv1.64.0\th1:abc=\n"
            "\tdep\tgithub.com/google/go-cmp\tv0.6.0\th1:x=\n\t=>\t../cmp\t(devel)\t\n")
    assert parse_buildinfo(text) == {"example.com/x": "(devel)", "google.golang.org/grpc": "v1.64.0",
                                     "github.com/google/go-cmp": "(devel)"}


def test_follow_reads_a_file_while_it_is_written(tmp_path: Path) -> None:
    import subprocess
    import sys

    from refactor.linker import _lines, follow

    writer = ("import sys, time\n"
              "out = sys.stdout.buffer\n"
              "for i in range(300):\n"
              "    out.write(f'a{i} -> b{i}\\n'.encode()); out.flush()\n"
              "    if i % 100 == 0: time.sleep(0.05)\n"
              "out.write('é'.encode()[:1]); out.flush(); time.sleep(0.05)\n"  # a character cut in two
              "out.write('é'.encode()[1:] + b' last, no newline'); out.flush()\n")
    path = tmp_path / "stream"
    with path.open("wb") as sink, path.open("rb") as source:
        proc = subprocess.Popen([sys.executable, "-c", writer], stdout=sink)
        lines = list(_lines(follow(source, proc)))
    assert proc.returncode == 0
    assert lines == [f"a{i} -> b{i}" for i in range(300)] + ["é last, no newline"]


def test_replay_dumpdep_takes_the_first_blocker_as_the_root_cause() -> None:
    """A link without -dumpdep: the replay's blockers (certain first) stand for the stream's marks."""
    from refactor.linker import replay_dumpdep

    blockers = [("text/template.(*state).evalField", ("_rt0_amd64_linux", "main.main",
                                                      "text/template.(*state).evalField"), True),
                ("reflect.(*Value).Method", ("main.main", "type:reflect.Value", "reflect.(*Value).Method"), False),
                *((f"main.f{i}", ("main.main", f"main.f{i}"), False) for i in range(30))]
    dump = replay_dumpdep(blockers, total=40)
    assert dump.root_cause is not None and dump.root_cause.certain and not dump.root_cause.retained
    assert dump.root_cause.chain[-1] == dump.root_cause.symbol == "text/template.(*state).evalField"
    assert dump.possible[0].symbol == "reflect.(*Value).Method" and dump.possible[0].retained
    assert not any(b.certain for b in dump.possible) and len(dump.possible) == 20
    assert dump.flagged == 40 and dump.lines == 0
    empty = replay_dumpdep([], total=0)
    assert empty.root_cause is None and empty.possible == () and empty.flagged == 0
