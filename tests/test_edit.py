"""Table tests for edits, plans and the Go-aware edit helpers (exact bytes, plus must-not-change inputs)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from refactor.edit import (
    add_constraint,
    add_import,
    delete_decls,
    gofmt,
    gofmt_check,
    insert_decls,
    new_file,
    or_constraint,
    remove_import,
    remove_unused_imports,
    rename_decl,
    rename_qualifier,
    rename_refs,
    requalify,
    unqualify,
)
from refactor.errors import EditError, SourceError
from refactor.gosource import parse_file
from refactor.plan import Edit, FileChange, Plan, apply_edits

GROUPED = b"""package x

import (
	"fmt"
	"os"

	"example.com/z"
)

var _ = fmt.Println
var _ = os.Args
var _ = z.X
"""

DECLS = b"""package x

// A doc
func A() {}

// B doc
func B() {}

var (
	// c
	c = 1
	d = 2 // d
)

const (
	E = iota
	F
	G
)
"""


def run(helper: Callable[..., Any], src: bytes, *args: Any) -> bytes:
    f = parse_file("x.go", src)
    result = helper(f, *args)
    edits = result[0] if isinstance(result, tuple) else result
    return apply_edits(src, edits)


# --- apply_edits -------------------------------------------------------------------------------------------


def test_apply_edits_back_to_front() -> None:
    assert apply_edits(b"abcdef", [Edit(4, 5, b"E"), Edit(0, 1, b"AA"), Edit(2, 2, b"+")]) == b"AAb+cdEf"


def test_apply_edits_insertions_keep_order() -> None:
    assert apply_edits(b"ab", [Edit(1, 1, b"1"), Edit(1, 1, b"2"), Edit(1, 2, b"B")]) == b"a12B"


@pytest.mark.parametrize("edits", [
    pytest.param([Edit(0, 3, b""), Edit(2, 4, b"")], id="overlap"),
    pytest.param([Edit(0, 3, b""), Edit(1, 1, b"x")], id="insert-inside"),
    pytest.param([Edit(0, 2, b"x"), Edit(0, 2, b"y")], id="same-range"),
    pytest.param([Edit(5, 9, b"")], id="outside"),
])
def test_apply_edits_refuses(edits: list[Edit]) -> None:
    with pytest.raises(EditError):
        apply_edits(b"abcdef", edits)


def test_empty_plan_is_identity() -> None:
    assert apply_edits(GROUPED, []) == GROUPED
    assert Plan("nothing", (FileChange("a.go", GROUPED, GROUPED),)).diff() == ""


# --- imports -----------------------------------------------------------------------------------------------

ADD_IMPORT = [
    pytest.param(GROUPED, ("io",), GROUPED.replace(b'\t"fmt"\n', b'\t"fmt"\n\t"io"\n'), id="std-block-middle"),
    pytest.param(GROUPED, ("zz",), GROUPED.replace(b'\t"os"\n', b'\t"os"\n\t"zz"\n'), id="std-block-end"),
    pytest.param(GROUPED, ("bufio",), GROUPED.replace(b'\t"fmt"\n', b'\t"bufio"\n\t"fmt"\n'), id="std-block-start"),
    pytest.param(GROUPED, ("example.com/a",), GROUPED.replace(b'\t"example.com/z"\n',
                 b'\t"example.com/a"\n\t"example.com/z"\n'), id="third-party-block"),
    pytest.param(b'package x\n\nimport "fmt"\n\nvar _ = fmt.Println\n', ("io",),
                 b'package x\n\nimport "fmt"\nimport "io"\n\nvar _ = fmt.Println\n', id="second-single"),
    pytest.param(b"package x\n\nfunc f() {}\n", ("io",), b'package x\n\nimport "io"\n\nfunc f() {}\n', id="no-imports"),
    pytest.param(b"package x\n\nfunc f() { var fmt int; _ = fmt }\n", ("fmt",),
                 b'package x\n\nimport fmt2 "fmt"\n\nfunc f() { var fmt int; _ = fmt }\n', id="name-collision"),
    pytest.param(b'package x\n\n// #include <stdio.h>\nimport "C"\n\nfunc f() {}\n', ("fmt",),
                 b'package x\n\n// #include <stdio.h>\nimport "C"\n\nimport "fmt"\n\nfunc f() {}\n', id="cgo-preamble"),
    pytest.param(b'package x\n\nimport (\n\t"fmt"\n\t// os doc\n\t"os"\n)\n', ("io",),
                 b'package x\n\nimport (\n\t"fmt"\n\t"io"\n\t// os doc\n\t"os"\n)\n', id="before-doc-comment"),
    pytest.param(b'package x\r\n\r\nimport "fmt"\r\n', ("io",),
                 b'package x\r\n\r\nimport "fmt"\r\nimport "io"\r\n', id="crlf"),
    pytest.param(b'package x\n\nimport "fmt"\n', ("example.com/v", "vv"),
                 b'package x\n\nimport "fmt"\nimport vv "example.com/v"\n', id="explicit-name"),
    pytest.param(b'package x\n\nimport (\n\t"fmt"\n\t"os"\n)\n', ("example.com/v",),
                 b'package x\n\nimport (\n\t"fmt"\n\t"os"\n\n\t"example.com/v"\n)\n', id="new-third-party-block"),
    pytest.param(b'package x\n\nimport (\n\t"example.com/v"\n\t"example.com/w"\n)\n', ("os",),
                 b'package x\n\nimport (\n\t"os"\n\n\t"example.com/v"\n\t"example.com/w"\n)\n', id="new-std-block"),
]


@pytest.mark.parametrize(("src", "args", "expected"), ADD_IMPORT)
def test_add_import(src: bytes, args: tuple[str, ...], expected: bytes) -> None:
    assert run(add_import, src, *args) == expected


def test_add_import_names() -> None:
    f = parse_file("x.go", GROUPED)
    assert add_import(f, "fmt") == ([], "fmt")
    assert add_import(f, "math/rand/v2")[1] == "rand"
    assert add_import(f, "example.com/os")[1] == "os2"


REMOVE_IMPORT = [
    pytest.param(GROUPED, "example.com/z",
                 GROUPED.replace(b'\t"os"\n\n\t"example.com/z"\n', b'\t"os"\n'), id="last-block-empties"),
    pytest.param(GROUPED, "fmt", GROUPED.replace(b'\t"fmt"\n', b""), id="from-block"),
    pytest.param(b'package x\n\nimport "fmt"\n\nfunc f() {}\n', "fmt", b"package x\n\nfunc f() {}\n", id="single"),
    pytest.param(b'package x\n\nimport (\n\t"fmt"\n)\n\nfunc f() {}\n', "fmt", b"package x\n\nfunc f() {}\n",
                 id="group-empties"),
    pytest.param(b'package x\n\nimport (\n\t"fmt"\n\t// doc\n\t"os" // why\n)\n', "os",
                 b'package x\n\nimport (\n\t"fmt"\n)\n', id="with-comments"),
    pytest.param(b'package x\n\nimport "a"\nimport "b"\n\nvar v = 1\n', "a",
                 b'package x\n\nimport "b"\n\nvar v = 1\n', id="one-of-two-decls"),
    pytest.param(b'package x\n\nimport "fmt"\n', "fmt", b"package x\n", id="at-eof"),
]


@pytest.mark.parametrize(("src", "path", "expected"), REMOVE_IMPORT)
def test_remove_import(src: bytes, path: str, expected: bytes) -> None:
    assert run(remove_import, src, path) == expected


def test_remove_unused_imports() -> None:
    src = b'package x\n\nimport (\n\t"fmt"\n\t"os"\n\t_ "embed"\n)\n\nfunc f() { os := 1; _ = os; fmt.Println() }\n'
    assert run(remove_unused_imports, src) == src.replace(b'\t"os"\n', b"")


# --- constraints -------------------------------------------------------------------------------------------

ADD_CONSTRAINT = [
    pytest.param(b"// Copyright\n\npackage x\n", "!no_x", b"//go:build !no_x\n\n// Copyright\n\npackage x\n", id="new"),
    pytest.param(b"\xef\xbb\xbfpackage x\n", "!no_x", b"\xef\xbb\xbf//go:build !no_x\n\npackage x\n", id="after-bom"),
    pytest.param(b"//go:build linux\n\npackage x\n", "!no_x", b"//go:build linux && !no_x\n\npackage x\n", id="and"),
    pytest.param(b"//go:build a || b\n\npackage x\n", "!no_x", b"//go:build (a || b) && !no_x\n\npackage x\n",
                 id="parens-around-or"),
    pytest.param(b"//go:build a || b\n// +build a b\n\npackage x\n", "!no_x",
                 b"//go:build (a || b) && !no_x\n// +build a b\n// +build !no_x\n\npackage x\n", id="plus-build"),
    pytest.param(b"//go:build linux\n// +build linux\n\npackage x\n", "!no_x",
                 b"//go:build linux && !no_x\n// +build linux,!no_x\n\npackage x\n", id="plus-build-one-line"),
    pytest.param(b"//go:build a\n// +build a\n\npackage x\n", "(b || c) && d || e",
                 b"//go:build a && ((b || c) && d || e)\n\npackage x\n".replace(b"(b || c) && d || e",
                                                                                  b"((b || c) && d) || e"),
                 id="plus-build-dropped-when-complex"),
    pytest.param(b"// +build linux\n\npackage x\n", "!no_x",
                 b"//go:build linux && !no_x\n// +build linux,!no_x\n\npackage x\n", id="plus-build-only"),
    pytest.param(b"//go:build linux\r\n\r\npackage x\r\n", "!no_x",
                 b"//go:build linux && !no_x\r\n\r\npackage x\r\n", id="crlf"),
]


@pytest.mark.parametrize(("src", "term", "expected"), ADD_CONSTRAINT)
def test_add_constraint(src: bytes, term: str, expected: bytes) -> None:
    assert run(add_constraint, src, term) == expected


@pytest.mark.parametrize(("src", "term", "expected"), [
    pytest.param(b"//go:build linux\n\npackage x\n", "a && b", b"//go:build linux || (a && b)\n\npackage x\n", id="or"),
    pytest.param(b"package x\n", "a", b"package x\n", id="unconstrained-stays"),
])
def test_or_constraint(src: bytes, term: str, expected: bytes) -> None:
    assert run(or_constraint, src, term) == expected


def test_add_constraint_refuses_go_version() -> None:
    with pytest.raises(EditError):
        add_constraint(parse_file("x.go", b"package x\n"), "go1.21")


# --- declarations ------------------------------------------------------------------------------------------

DELETE = [
    pytest.param(["A"], DECLS.replace(b"// A doc\nfunc A() {}\n\n", b""), id="func-with-doc"),
    pytest.param(["A", "B"], DECLS.replace(b"// A doc\nfunc A() {}\n\n// B doc\nfunc B() {}\n\n", b""), id="two"),
    pytest.param(["c"], DECLS.replace(b"\t// c\n\tc = 1\n", b""), id="spec-in-group"),
    pytest.param(["d"], DECLS.replace(b"\td = 2 // d\n", b""), id="spec-trailing-comment"),
    pytest.param(["c", "d", "B"], DECLS.replace(b"// B doc\nfunc B() {}\n\nvar (\n\t// c\n\tc = 1\n\td = 2 // d\n)\n\n",
                                                 b""), id="group-empties"),
    pytest.param(["E"], DECLS.replace(b"\tE = iota", b"\t_ = iota"), id="iota-keeps-numbering"),
    pytest.param(["G"], DECLS.replace(b"\tG\n", b""), id="iota-last"),
    pytest.param(["E", "F", "G"], DECLS.replace(b"\n\nconst (\n\tE = iota\n\tF\n\tG\n)\n", b"\n"), id="at-eof"),
]


@pytest.mark.parametrize(("keys", "expected"), DELETE)
def test_delete_decls(keys: list[str], expected: bytes) -> None:
    assert run(delete_decls, DECLS, keys) == expected


def test_delete_one_of_multi_name_spec() -> None:
    assert run(delete_decls, b"package x\n\nvar a, b = f()\n", ["a"]) == b"package x\n\nvar _, b = f()\n"


def test_insert_decls() -> None:
    assert run(insert_decls, DECLS, b"func Z() {}\n") == DECLS + b"\nfunc Z() {}\n"
    assert run(insert_decls, DECLS, b"func Z() {}", "A") == DECLS.replace(
        b"func A() {}\n", b"func A() {}\n\nfunc Z() {}\n")
    crlf = b"package x\r\n"
    assert run(insert_decls, crlf, b"func Z() {\n}\n") == b"package x\r\n\r\nfunc Z() {\r\n}\r\n"


RENAME_SRC = b"""package x

import "example.com/q"

type T struct{ N int }

func f(N int) int { return N + g() }

func h() T { _ = q.Old; return T{N: g()} }
"""


def test_rename_refs() -> None:
    out = run(rename_refs, RENAME_SRC, "g", "G")
    assert out == RENAME_SRC.replace(b"g()", b"G()")
    out = run(rename_refs, RENAME_SRC, "Old", "New", "q")
    assert out == RENAME_SRC.replace(b"q.Old", b"q.New")
    f = parse_file("x.go", RENAME_SRC)
    assert rename_refs(f, "N", "M", struct_types={"T"}) == []  # a parameter and a field key: not refs
    assert apply_edits(RENAME_SRC, rename_decl(f, "h", "H")) == RENAME_SRC.replace(b"func h()", b"func H()")


def test_requalify_and_unqualify() -> None:
    f = parse_file("x.go", RENAME_SRC)
    out = apply_edits(RENAME_SRC, requalify(f, {"g", "T"}, "p", ["h"], struct_types={"T"}))
    assert out == RENAME_SRC.replace(b"func h() T { _ = q.Old; return T{N: g()} }",
                                     b"func h() p.T { _ = q.Old; return p.T{N: p.g()} }")
    out = apply_edits(RENAME_SRC, unqualify(f, "q", {"Old"}))
    assert out == RENAME_SRC.replace(b"q.Old", b"Old")


# --- must not change ---------------------------------------------------------------------------------------

UNCHANGED: list[Any] = [
    pytest.param(add_import, GROUPED, ("fmt",), id="already-imported"),
    pytest.param(remove_import, GROUPED, ("nothere",), id="remove-absent"),
    pytest.param(remove_unused_imports, GROUPED, (), id="all-used"),
    pytest.param(remove_unused_imports, b'package x\n\nimport (\n\t_ "embed"\n\t. "fmt"\n\t"C"\n)\n', (),
                 id="blank-dot-C"),
    pytest.param(or_constraint, b"package x\n", ("a",), id="or-unconstrained"),
    pytest.param(delete_decls, DECLS, ([],), id="delete-nothing"),
    pytest.param(rename_refs, RENAME_SRC, ("absent", "x"), id="rename-absent"),
    pytest.param(requalify, RENAME_SRC, ({"N"}, "p", ["f"]), id="requalify-param"),
]


@pytest.mark.parametrize(("helper", "src", "args"), UNCHANGED)
def test_unchanged(helper: Callable[..., Any], src: bytes, args: tuple[Any, ...]) -> None:
    assert run(helper, src, *args) == src


def test_syntax_error_files_are_refused() -> None:
    f = parse_file("bad.go", b"package x\n\nfunc f( {\n")
    for call in (lambda: add_import(f, "fmt"), lambda: add_constraint(f, "a"), lambda: delete_decls(f, [])):
        with pytest.raises(SourceError, match="bad.go:3"):
            call()


def test_preserves_line_directives_and_cgo() -> None:
    src = b'package x\n\n/*\n#include <stdlib.h>\n*/\nimport "C"\n\n//line foo.go:10\nfunc A() {}\n\nfunc B() {}\n'
    out = run(delete_decls, src, ["B"])
    assert out == src.replace(b"\n\nfunc B() {}\n", b"\n")
    out = run(add_constraint, src, "cgo")
    assert out == b"//go:build cgo\n\n" + src


# --- new files and plans -----------------------------------------------------------------------------------


def test_new_file() -> None:
    assert new_file("p", [("fmt", None), ("example.com/z", "zz"), ("bufio", None)], b"func F() {}\n",
                    b"//go:build no_x") == (
        b'//go:build no_x\n\npackage p\n\nimport (\n\t"bufio"\n\t"fmt"\n\n\tzz "example.com/z"\n)\n\nfunc F() {}\n'
    )
    assert new_file("p", [("fmt", None)], b"") == b'package p\n\nimport "fmt"\n'
    assert new_file("p", [], b"\nvar V = 1\n") == b"package p\n\nvar V = 1\n"


def test_plan_diff() -> None:
    plan = Plan("t", (
        FileChange("b.go", b"package b\n\nvar x = 1\n", b"package b\n\nvar x = 2\n"),
        FileChange("a.go", None, b"package a\n"),
        FileChange("c.go", b"package c", None),
    ))
    assert plan.files() == ["a.go", "b.go", "c.go"]
    assert plan.diff() == (
        "diff --git a/a.go b/a.go\nnew file mode 100644\n--- /dev/null\n+++ b/a.go\n@@ -0,0 +1 @@\n+package a\n"
        "diff --git a/b.go b/b.go\n--- a/b.go\n+++ b/b.go\n@@ -1,3 +1,3 @@\n package b\n \n-var x = 1\n+var x = 2\n"
        "diff --git a/c.go b/c.go\ndeleted file mode 100644\n--- a/c.go\n+++ /dev/null\n@@ -1 +0,0 @@\n"
        "-package c\n\\ No newline at end of file\n"
    )


def test_plan_diff_names_binary_files_as_git_does() -> None:
    """A copied module's image (NUL bytes) or a file that is not UTF-8 is named, not shown line by line:
    the diff stays text (restic's dependency patch copied cobra's PNG into the JSON report)."""
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
    plan = Plan("t", (
        FileChange("assets/logo.png", None, png),
        FileChange("doc.txt", b"caf\xe9\n", b"caf\xe9s\n"),
        FileChange("a.go", None, b"package a\n"),
    ))
    assert plan.diff() == (
        "diff --git a/a.go b/a.go\nnew file mode 100644\n--- /dev/null\n+++ b/a.go\n@@ -0,0 +1 @@\n+package a\n"
        "diff --git a/assets/logo.png b/assets/logo.png\nnew file mode 100644\n"
        "Binary files /dev/null and b/assets/logo.png differ\n"
        "diff --git a/doc.txt b/doc.txt\nBinary files a/doc.txt and b/doc.txt differ\n"
    )
    plan.diff().encode("utf-8")  # no lone surrogates left


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_plan_diff_applies_with_git(tmp_path: Path) -> None:
    (tmp_path / "b.go").write_bytes(b"package b\r\n\r\nvar x = 1\r\n")
    (tmp_path / "c.go").write_bytes(b"package c")
    plan = Plan("t", (
        FileChange("b.go", b"package b\r\n\r\nvar x = 1\r\n", b"package b\r\n\r\nvar x = 2\r\n"),
        FileChange("sub/a.go", None, b"package a\n"),
        FileChange("c.go", b"package c", None),
    ))
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run(["git", "apply", "-"], cwd=tmp_path, input=plan.diff().encode(), check=True)
    assert (tmp_path / "b.go").read_bytes() == b"package b\r\n\r\nvar x = 2\r\n"
    assert (tmp_path / "sub/a.go").read_bytes() == b"package a\n"
    assert not (tmp_path / "c.go").exists()


# --- gofmt agrees ------------------------------------------------------------------------------------------

@pytest.mark.go
def test_outputs_are_gofmt_clean() -> None:
    outputs: dict[str, bytes] = {}
    tables: list[tuple[str, Any]] = [("add_import", ADD_IMPORT), ("remove_import", REMOVE_IMPORT),
                                     ("add_constraint", ADD_CONSTRAINT), ("delete", DELETE)]
    for name, table in tables:
        for p in table:
            outputs[f"{name}-{p.id}"] = p.values[-1]
    outputs["new_file"] = new_file("p", [("fmt", None), ("example.com/z", None)], b"var _ = fmt.X\n")
    for name in list(outputs):
        if name.endswith(("crlf", "bom", "collision")):
            del outputs[name]  # gofmt rewrites CRLF and BOMs; the collision input is not gofmt-formatted
    assert gofmt_check(outputs) == {}
    assert gofmt(b"package x\nvar  a = 1\n") == b"package x\n\nvar a = 1\n"


def test_rename_qualifier() -> None:
    src = (b'package p\n\nimport "example.com/util"\n\n'
           b"func f(x T) int {\n\tutil.A()\n\t{\n\t\tutil := x\n\t\t_ = util.B\n\t}\n\treturn util.B\n}\n")
    f = parse_file("p.go", src)
    out = apply_edits(src, rename_qualifier(f, "util", "greeting"))
    assert out.count(b"greeting.") == 2 and b"_ = util.B" in out  # a shadowing local is left alone
    only = apply_edits(src, rename_qualifier(f, "util", "g", {"B"}))
    assert b"util.A()" in only and b"return g.B" in only


# ---------------------------------------------------------------------------------------------------------
# What gotrim writes is gofmt-clean, without reformatting the user's own code


def test_format_changes_new_and_clean_files() -> None:
    from refactor.edit import format_changes

    new = FileChange("n.go", None, b"package x\nvar  a = 1\n")
    clean_before = b"package x\n\nvar a = 1\n"
    edited = FileChange("c.go", clean_before, clean_before + b"func  f( ) {}\n")
    other = FileChange("README", b"a", b"b  c")
    out = format_changes((new, edited, other))
    assert out[0].after == b"package x\n\nvar a = 1\n"
    assert out[1].after == clean_before + b"\nfunc f() {}\n" and out[1].before == clean_before
    assert out[2] is other


def test_format_changes_leaves_the_users_unformatted_lines() -> None:
    from refactor.edit import format_changes

    before = b"package x\n\nvar  keep   = 1\n\nfunc g() {}\n"
    after = before.replace(b"func g() {}\n", b"func g() {}\nfunc  h( ) {}\n")
    (out,) = format_changes((FileChange("u.go", before, after),))
    assert out.after == b"package x\n\nvar  keep   = 1\n\nfunc g() {}\nfunc h() {}\n"


def test_format_changes_keeps_crlf() -> None:
    from refactor.edit import format_changes

    before = b"package x\r\n\r\nvar a = 1\r\n"
    (out,) = format_changes((FileChange("w.go", before, before + b"var  b = 2\r\n"),))
    assert out.after == b"package x\r\n\r\nvar a = 1\r\nvar b = 2\r\n"


def test_format_changes_refuses_text_that_does_not_parse() -> None:
    from refactor.edit import format_plans

    bad = Plan("bad", (FileChange("b.go", None, b"package x\nfunc {\n"),))
    good = Plan("good", (FileChange("g.go", None, b"package x\n"),))
    out = format_plans([bad, good])
    assert isinstance(out[0], SourceError) and "b.go" in str(out[0]) and out[1] == good


# ---------------------------------------------------------------------------------------------------------
# Whole-line deletions and import rewrites (what split-package moves code with)


@pytest.mark.parametrize(("src", "ranges", "expected"), [
    pytest.param(b"package x\n\nvar a = 1\n\nvar b = 2\n\nvar c = 3\n", [(22, 32)],
                 b"package x\n\nvar a = 1\n\nvar c = 3\n", id="middle"),
    pytest.param(b"package x\n\nvar a = 1\n\nvar b = 2\n", [(22, 32)], b"package x\n\nvar a = 1\n", id="at-eof"),
    pytest.param(b"package x\n\nvar a = 1\n\nvar b = 2\n\nvar c = 3\n", [(11, 21), (33, 43)],
                 b"package x\n\nvar b = 2\n", id="two-runs"),
])
def test_delete_lines(src: bytes, ranges: list[tuple[int, int]], expected: bytes) -> None:
    from refactor.edit import delete_lines

    assert apply_edits(src, delete_lines(src, ranges)) == expected


def test_delete_lines_replaces_and_refuses_partial_lines() -> None:
    from refactor.edit import delete_lines

    src = b"package x\n\nfunc A() {}\n"
    out = apply_edits(src, delete_lines(src, [(11, 23)], {11: b"var A = y.A\n"}))
    assert out == b"package x\n\nvar A = y.A\n"
    with pytest.raises(EditError):
        delete_lines(src, [(12, 23)])


def test_rewrite_imports_repoints_removes_and_adds_in_sorted_runs() -> None:
    from refactor.edit import ImportChange, rewrite_imports

    src = b'package x\n\nimport (\n\t"fmt"\n\t"os"\n\n\t"example.com/m/a"\n)\n'
    f = parse_file("x.go", src)
    change = ImportChange(remove=frozenset({"os"}), repoint=(("example.com/m/a", "example.com/m/a/b", None),),
                          add=(("example.com/m/c", "cc"),))
    out = apply_edits(src, rewrite_imports(f, change))
    assert out == b'package x\n\nimport (\n\t"fmt"\n\n\t"example.com/m/a/b"\n\tcc "example.com/m/c"\n)\n'
    bare = parse_file("y.go", b"package y\n")
    assert apply_edits(bare.src, rewrite_imports(bare, ImportChange(add=(("fmt", None),)))) == \
        b'package y\n\nimport "fmt"\n'
