"""check and diff without Go: budgets, gotrim.lock, causes, violations, the reports, build info,
the working-tree snapshot, and bad input on the command line."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from refactor import __version__
from refactor.budget import Amount, Budgets, load_budgets, match_pattern, parse_amount
from refactor.buildinfo import module_of, parse_version_m
from refactor.check import evaluate
from refactor.cli import main
from refactor.config import Target
from refactor.diff import DiffResult, Side, compare, pair
from refactor.errors import UsageError
from refactor.facts import STD, BinaryFacts, DceState, GoMod, Hop
from refactor.lockfile import Lock, read_lock, write_lock
from refactor.review import COMMENT_LIMIT, check_view, diff_view, render
from tests.conftest import git

APP = Target(main="example.com/m/cmd/app", goos="linux", goarch="amd64")


class FakeView:
    """An ImportView over a literal graph: {package: [imports]}, sites for main-module edges."""

    def __init__(self, graph: dict[str, list[str]], root: str = APP.main) -> None:
        self.graph, self.root = graph, root

    def edges(self) -> Iterator[tuple[str, str]]:
        for p, qs in self.graph.items():
            for q in qs:
                yield p, q

    def imports(self, p: str) -> tuple[str, ...]:
        return tuple(self.graph.get(p, ()))

    def site(self, p: str, q: str) -> str:
        return f"{p.removeprefix('example.com/m/')}/x.go:{len(q)}" if p.startswith("example.com/m") else ""

    def chain(self, pkg: str) -> tuple[Hop, ...]:
        # breadth-first from the root
        prev: dict[str, str] = {self.root: ""}
        queue = [self.root]
        while queue:
            p = queue.pop(0)
            for q in self.graph.get(p, ()):
                if q not in prev:
                    prev[q] = p
                    queue.append(q)
        if pkg not in prev:
            return ()
        path = [pkg]
        while prev[path[-1]]:
            path.append(prev[path[-1]])
        path.reverse()
        return tuple(Hop(a, a, self.site(a, b) if b else "") for a, b in zip(path, [*path[1:], ""], strict=True))


def binary(graph: dict[str, list[str]], sizes: dict[str, int], *, dce: DceState | None = None,
           go: str = "go1.26.8", gomod: GoMod | None = None, versions: dict[str, str] | None = None,
           target: Target = APP, view: bool = True) -> BinaryFacts:
    packages = {p: ("example.com/m" if p.startswith("example.com/m") else
                    "example.com/lib" if p.startswith("example.com/lib") else STD) for p in graph}
    modules: dict[str, int] = {}
    for p, n in sizes.items():
        modules[packages[p]] = modules.get(packages[p], 0) + n
    return BinaryFacts(target=target, go_version=go, file_bytes=sum(sizes.values()) + 1000, packages=packages,
                       module_bytes=modules, package_bytes=dict(sizes), module_versions=versions or {},
                       gomod=gomod or GoMod(go="1.22"), dce=dce or DceState(method_dce=True),
                       view=FakeView(graph) if view else None)  # type: ignore[arg-type]


BASE_GRAPH = {APP.main: ["example.com/m/util", "fmt"], "example.com/m/util": ["strings"], "fmt": [], "strings": []}
BASE_SIZES = {APP.main: 100, "example.com/m/util": 50, "fmt": 3000, "strings": 2000}


def heavy() -> tuple[dict[str, list[str]], dict[str, int]]:
    graph = {**BASE_GRAPH, "example.com/m/util": ["strings", "net/http"], "net/http": ["crypto/tls"],
             "crypto/tls": []}
    return graph, {**BASE_SIZES, "net/http": 400_000, "crypto/tls": 200_000}


# ---------------------------------------------------------------------------------------------
# compare


def test_a_new_import_edge_is_the_cause_with_chain_and_site() -> None:
    change = compare(binary(BASE_GRAPH, BASE_SIZES), binary(*heavy()))
    (c,) = [c for c in change.causes if c.kind == "import-added"]
    assert c.summary.startswith("example.com/m/util -> net/http at util/x.go:8")
    assert c.bytes == 600_000 and set(c.packages) == {"net/http", "crypto/tls"}
    assert [h.name for h in c.chain] == [APP.main, "example.com/m/util", "net/http"]
    assert change.added == ("crypto/tls", "net/http")
    assert [d.name for d in change.packages] == ["net/http", "crypto/tls"]  # biggest first
    # and the other way round: the import removed, with the bytes it took
    back = compare(binary(*heavy()), binary(BASE_GRAPH, BASE_SIZES))
    (r,) = [c for c in back.causes if c.kind == "import-removed"]
    assert r.bytes == -600_000 and r.summary.startswith("example.com/m/util -> net/http")


def test_no_change_no_cause() -> None:
    change = compare(binary(BASE_GRAPH, BASE_SIZES), binary(BASE_GRAPH, BASE_SIZES))
    assert change.causes == () and change.delta_bytes == 0 and not change.changed


def test_dce_flip_plugin_go_and_module_causes() -> None:
    blocker = DceState(method_dce=False, reflect_blocker="text/template.(*state).evalField",
                       chain=(Hop("main.main", APP.main, "cmd/app/main.go:9"), Hop("text/template.(*state).evalField")))
    graph = {**BASE_GRAPH, APP.main: ["example.com/m/util", "fmt", "plugin"], "plugin": []}
    sizes = {**BASE_SIZES, "plugin": 3000}
    after = binary(graph, sizes, dce=blocker, gomod=GoMod(go="1.23", toolchain="go1.26.8"),
                   versions={"example.com/lib": "v1.1.0"})
    before = binary(BASE_GRAPH, BASE_SIZES, versions={"example.com/lib": "v1.0.0"})
    kinds = {c.kind: c for c in compare(before, after).causes}
    assert kinds["dce-off"].site == "cmd/app/main.go:9" and "evalField" in kinds["dce-off"].summary
    assert kinds["plugin-linked"].chain[-1].name == "plugin"
    assert "1.22 -> 1.23" in kinds["go-directive"].summary
    assert "(none) -> go1.26.8" in kinds["toolchain-directive"].summary
    assert "example.com/lib v1.0.0 -> v1.1.0" in kinds["module-version"].summary
    back = {c.kind for c in compare(after, before).causes}
    assert {"dce-on", "plugin-gone"} <= back


def test_standard_library_changes_of_another_toolchain_are_not_causes() -> None:
    graph = {**BASE_GRAPH, "strings": ["internal/new"], "internal/new": []}
    after = binary(graph, {**BASE_SIZES, "internal/new": 10}, go="go1.27.0")
    before = binary(BASE_GRAPH, BASE_SIZES, go="go1.26.8")
    assert {c.kind for c in compare(before, after, ignore_std=True).causes} == {"toolchain"}
    assert "import-added" in {c.kind for c in compare(before, after).causes}


def test_targets_on_one_side_only() -> None:
    other = Target("example.com/m/cmd/new", "linux", "amd64")
    changes = pair([binary(BASE_GRAPH, BASE_SIZES)],
                   [binary(BASE_GRAPH, BASE_SIZES), binary(BASE_GRAPH, BASE_SIZES, target=other)])
    assert [c.target for c in changes] == [APP, other]
    assert not changes[0].changed and changes[1].causes[0].kind == "target-added"
    gone = pair([binary(BASE_GRAPH, BASE_SIZES, target=other)], [])
    assert gone[0].causes[0].kind == "target-removed" and gone[0].causes[0].bytes is not None
    assert gone[0].causes[0].bytes < 0


def test_without_a_graph_new_packages_are_listed() -> None:
    change = compare(binary(BASE_GRAPH, BASE_SIZES, view=False), binary(*heavy(), view=False))
    (c,) = change.causes
    assert c.kind == "packages-added" and c.summary.startswith("2 package(s) not linked before: net/http")


# ---------------------------------------------------------------------------------------------
# Budgets


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_budgets_parse_and_merge(tmp_path: Path) -> None:
    write(tmp_path / "gotrim.toml", """
[budget]
max_growth = "2%"
forbid = ["plugin"]
dce = "on"
tolerance = "4 KiB"

[[target]]
main = "./cmd/app"
platforms = ["linux/amd64"]
[target.budget]
max_bytes = "40 MB"
forbid = ["k8s.io/..."]
drift = "report"

[[target]]
main = "./cmd/other"
""")
    budgets = load_budgets(tmp_path)
    b = budgets.for_target("example.com/m", APP)
    assert b.max_bytes == 40_000_000 and b.max_growth == Amount(percent=2.0) and b.dce == "on"
    assert b.forbid == ("plugin", "k8s.io/...") and b.drift == "report" and b.tolerance == Amount(bytes=4096)
    other = budgets.for_target("example.com/m", Target("example.com/m/cmd/other", "linux", "amd64"))
    assert other.max_bytes is None and other.forbid == ("plugin",) and other.drift == "fail"
    arm = budgets.for_target("example.com/m", Target(APP.main, "linux", "arm64"))
    assert arm.max_bytes is None  # the [[target]] table names linux/amd64 only


@pytest.mark.parametrize("text, needle", [
    ('[budget]\nmax_growth = "5 potatoes"\n', "max_growth = '5 potatoes' is not bytes"),
    ('[budget]\nmax_bytes = "5%"\n', "max_bytes = '5%' is not bytes"),
    ('[budget]\ncolour = 1\n', "unknown keys ['colour']"),
    ('[budget]\ndce = "off"\n', 'dce must be "on"'),
    ('[budget]\nforbid = [1]\n', "list of import-path patterns"),
    ('[[target]]\nmain = "./cmd/app"\nbudget = {max_growth = -1}\n', "must not be negative"),
    ('[budget\n', "not valid TOML"),
])
def test_budgets_that_do_not_parse(tmp_path: Path, text: str, needle: str) -> None:
    write(tmp_path / "gotrim.toml", text)
    with pytest.raises(UsageError, match="gotrim.toml") as exc:
        load_budgets(tmp_path)
    assert needle in str(exc.value)


def test_amounts_and_patterns() -> None:
    assert parse_amount(1_000, "x", percent=False) == Amount(bytes=1000)
    assert parse_amount("1.5 MiB", "x", percent=False) == Amount(bytes=1572864)
    assert parse_amount("2.5 %", "x", percent=True).of(1000) == 25
    assert match_pattern("k8s.io/...", "k8s.io") and match_pattern("k8s.io/...", "k8s.io/client-go/rest")
    assert not match_pattern("k8s.io/...", "k8s.iox/a") and match_pattern("plugin", "plugin")
    assert match_pattern(".../internal/...", "a/internal/b") and not match_pattern("net", "net/http")


# ---------------------------------------------------------------------------------------------
# gotrim.lock and evaluate


def locked(tmp_path: Path, facts: BinaryFacts) -> Lock:
    write_lock(tmp_path / "gotrim.lock", [facts])
    return read_lock(tmp_path / "gotrim.lock")


def test_lock_round_trip(tmp_path: Path) -> None:
    f = binary(*heavy(), versions={"example.com/lib": "v1.0.0"})
    lock = locked(tmp_path, f)
    text = (tmp_path / "gotrim.lock").read_text()
    assert '"schema": "gotrim.lock/v1"' in text and '\n            "net/http",\n' in text  # one per line
    (g,) = lock.targets
    assert g.target == f.target and g.file_bytes == f.file_bytes and dict(g.packages) == dict(f.packages)
    assert dict(g.module_bytes) == dict(f.module_bytes) and g.package_bytes is None
    assert g.module_versions == {"example.com/lib": "v1.0.0"} and g.gomod.go == "1.22"
    write_lock(tmp_path / "again.lock", [f])
    assert (tmp_path / "again.lock").read_text() == text  # deterministic


def test_lock_bad_input(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"no gotrim.lock .*gotrim check --update"):
        read_lock(tmp_path / "gotrim.lock")
    write(tmp_path / "gotrim.lock", '{"schema": "gotrim.lock/v9"}')
    with pytest.raises(UsageError, match="schema 'gotrim.lock/v9'.*regenerate"):
        read_lock(tmp_path / "gotrim.lock")
    write(tmp_path / "gotrim.lock", '{"schema": "gotrim.lock/v1", "targets": [{}]}')
    with pytest.raises(UsageError, match="damaged"):
        read_lock(tmp_path / "gotrim.lock")


def budgets(text: str, tmp_path: Path) -> Budgets:
    write(tmp_path / "gotrim.toml", text)
    return load_budgets(tmp_path)


def rules_of(result: Any) -> list[str]:
    return [v.rule for v in result.violations]


def test_evaluate_budgets_and_drift(tmp_path: Path) -> None:
    lock = locked(tmp_path, binary(BASE_GRAPH, BASE_SIZES))
    b = budgets('[budget]\nmax_growth = "10%"\nmax_bytes = 100000\nforbid = ["net/..."]\n', tmp_path)
    result = evaluate("example.com/m", lock, [binary(*heavy())], b)
    assert rules_of(result) == ["max_bytes", "max_growth", "forbid", "drift"]
    growth = result.violations[1]
    assert growth.causes[0].kind == "import-added" and "util/x.go:8" in growth.causes[0].summary
    forbid = result.violations[2]
    assert "net/http" in forbid.message and forbid.causes[0].site == "util/x.go:8"
    assert any("check --update" in n for n in result.notes)
    # the same change with drift = "report" and no budget: passes, the change is still shown
    relaxed = evaluate("example.com/m", lock, [binary(*heavy())], budgets('[budget]\ndrift = "report"\n', tmp_path))
    assert result.changes[0].causes and relaxed.ok and relaxed.changes[0].causes


def test_tolerances(tmp_path: Path) -> None:
    base = binary(BASE_GRAPH, BASE_SIZES)
    lock = locked(tmp_path, base)
    grown = binary(BASE_GRAPH, {**BASE_SIZES, "fmt": 3000 + 600})  # +600 bytes on 6,150: +9.8 %
    strict = budgets('[budget]\nmax_growth = 0\ntolerance = 0\n', tmp_path)
    assert rules_of(evaluate("example.com/m", lock, [grown], strict)) == ["max_growth"]
    noise = budgets('[budget]\nmax_growth = 0\ntolerance = 1000\n', tmp_path)
    assert evaluate("example.com/m", lock, [grown], noise).ok
    # another Go release: toolchain_tolerance (default 5 %) instead, and a note
    other = binary(BASE_GRAPH, {**BASE_SIZES, "fmt": 3000 + 250}, go="go1.27.0")
    res = evaluate("example.com/m", lock, [other], budgets('[budget]\nmax_growth = 0\n', tmp_path))
    assert res.ok and any("built with go1.26.8, this is go1.27.0" in n for n in res.notes)
    res = evaluate("example.com/m", lock, [grown], budgets('[budget]\nmax_growth = 0\ntolerance = 0\n'
                                                           'toolchain_tolerance = "50%"\n', tmp_path))
    assert not res.ok  # the same toolchain: the toolchain tolerance does not apply


def test_dce_budget_and_other_gotrim_version(tmp_path: Path) -> None:
    lock_path = tmp_path / "gotrim.lock"
    write_lock(lock_path, [binary(BASE_GRAPH, BASE_SIZES)])
    doc = json.loads(lock_path.read_text())
    doc["generator"]["version"] = "0.0.1"
    lock_path.write_text(json.dumps(doc))
    lock = read_lock(lock_path)
    off = binary(BASE_GRAPH, BASE_SIZES, dce=DceState(method_dce=False, reflect_blocker="x.F",
                                                      chain=(Hop("main.main", site="main.go:3"), Hop("x.F"))))
    res = evaluate("example.com/m", lock, [off], budgets('[budget]\ndce = "on"\n', tmp_path))
    assert rules_of(res) == ["dce", "drift"]
    assert res.violations[0].causes[0].site == "main.go:3"
    assert any("written by gotrim 0.0.1" in n and __version__ in n for n in res.notes)


def test_a_target_missing_from_the_lock(tmp_path: Path) -> None:
    lock = locked(tmp_path, binary(BASE_GRAPH, BASE_SIZES))
    arm = binary(BASE_GRAPH, BASE_SIZES, target=Target(APP.main, "linux", "arm64"))
    with pytest.raises(UsageError, match=r"no entry for app linux/arm64.*check --update"):
        evaluate("example.com/m", lock, [arm], Budgets())


# ---------------------------------------------------------------------------------------------
# Reports


def many_targets(n_targets: int, n_packages: int) -> DiffResult:
    changes = []
    for i in range(n_targets):
        t = Target(f"example.com/m/cmd/app{i}", "linux", "amd64")
        graph = {t.main: [f"example.com/lib/p{k}" for k in range(n_packages)],
                 **{f"example.com/lib/p{k}": [] for k in range(n_packages)}}
        before_sizes = {t.main: 100, **{f"example.com/lib/p{k}": 1000 + k for k in range(n_packages)}}
        after_sizes = {t.main: 100, **{f"example.com/lib/p{k}": 1000 + 2 * k + i for k in range(n_packages)}}
        changes.append(compare(binary(graph, before_sizes, target=t, view=False),
                               binary(graph, after_sizes, target=t, view=False)))
    return DiffResult("example.com/m", Side("main", "a" * 40, "aaaa (base)"), Side("HEAD", "b" * 40, "bbbb (head)"),
                      tuple(changes))


def table_rows(markdown: str, header_prefix: str) -> list[list[str]]:
    """The rows of the Markdown table whose header starts with header_prefix, as cells."""
    lines = markdown.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith(header_prefix))
    assert set(lines[start + 1].replace("|", "").replace("-", "").replace(":", "").strip()) == set()
    width = lines[start].count("|")
    rows = []
    for ln in lines[start + 2:]:
        if not ln.startswith("|"):
            break
        assert ln.replace("\\|", "").count("|") == width, ln
        rows.append([c.strip() for c in ln.strip("|").split(" | ")])
    return rows


def test_markdown_is_a_table_biggest_change_first() -> None:
    result = DiffResult("example.com/m", Side("main", "a" * 40, "base"), Side("HEAD", None, "head"),
                        (compare(binary(BASE_GRAPH, BASE_SIZES), binary(*heavy())),))
    md = render(diff_view(result), "markdown")
    (row,) = table_rows(md, "| binary |")
    assert row[0] == "`app linux/amd64`" and row[3].startswith("**+585.9 KiB")
    assert "new import" in row[5] and "util/x.go:8" in row[5]
    packages = table_rows(md, "| package |")
    assert [r[0] for r in packages] == ["`net/http`", "`crypto/tls`"]
    assert "`example.com/m/util` (`util/x.go:8`) → `net/http`" in md


def test_markdown_fits_a_comment_and_counts_the_rest() -> None:
    result = many_targets(30, 600)
    md = render(diff_view(result), "markdown")
    assert len(md) <= COMMENT_LIMIT
    assert "more packages" in md
    full = render(diff_view(result), "json")
    assert len(json.loads(full)["targets"][0]["packages"]) == 600  # JSON keeps everything
    small = render(diff_view(result), "markdown", limit=10_000)
    assert len(small) <= 10_000 and "more changed binaries without details" in small
    assert len(table_rows(small, "| binary |")) == 30  # every binary keeps its summary row
    tiny = render(diff_view(result), "markdown", limit=2_500)
    assert len(tiny) <= 2_500 and "more binaries (" in tiny


def test_html_and_text_and_check_view(tmp_path: Path) -> None:
    lock = locked(tmp_path, binary(BASE_GRAPH, BASE_SIZES))
    res = evaluate("example.com/m", lock, [binary(*heavy())], budgets('[budget]\nforbid = ["net/http"]\n', tmp_path))
    view = check_view(res)
    assert view["kind"] == "check" and view["check"]["ok"] is False
    assert [v["rule"] for v in view["targets"][0]["violations"]] == ["forbid", "drift"]

    class Collect(HTMLParser):
        text = ""

        def handle_data(self, data: str) -> None:
            self.text += data

    page = render(view, "html")
    parser = Collect()
    parser.feed(page)
    assert page.startswith("<!DOCTYPE html>") and "forbidden package net/http" in parser.text
    md = render(view, "markdown")
    assert "## gotrim check: ❌ 2 violations" in md
    assert table_rows(md, "| binary | rule |")[0][1] == "`forbid`"
    text = render(view, "text")
    assert "✗ app linux/amd64" in text and "forbid: forbidden package net/http" in text


# ---------------------------------------------------------------------------------------------
# Build info of a binary


VERSION_M = """/tmp/app: go1.26.8
\tpath\texample.com/m/cmd/app
\tmod\texample.com/m\t(devel)\t
\tdep\texample.com/lib\tv1.2.0\th1:abc=
\tdep\texample.com/old\tv0.1.0
\t=>\t./local\t(devel)\t
\tbuild\t-buildmode=exe
\tbuild\t-ldflags="-s -w -X main.version=1"
\tbuild\t-tags=netgo,osusergo
\tbuild\tCGO_ENABLED=0
\tbuild\tGOARCH=arm64
\tbuild\tGOOS=linux
"""


def test_parse_version_m() -> None:
    info = parse_version_m(VERSION_M)
    assert info.go_version == "go1.26.8" and info.path == "example.com/m/cmd/app"
    assert info.deps == {"example.com/lib": "v1.2.0", "example.com/old": "(devel)"}
    assert info.replaced == {"example.com/old": "./local (devel)"}
    assert info.ldflags == "-s -w -X main.version=1" and info.tags == ("netgo", "osusergo") and not info.cgo
    t = info.target()
    assert (t.goos, t.goarch, t.main, t.ldflags) == ("linux", "arm64", "example.com/m/cmd/app",
                                                     "-s -w -X main.version=1")
    assert info.found()["-tags"] == "netgo,osusergo"
    mods = info.modules()
    assert module_of("example.com/lib/sub", mods) == "example.com/lib"
    assert module_of("example.com/m/cmd/app", mods) == "example.com/m"
    assert module_of("net/http", mods) is None and module_of("other.org/x", mods) == "?"


# ---------------------------------------------------------------------------------------------
# The working tree, copied into a scratch worktree


def test_copy_working_tree_reads_only(tmp_path: Path) -> None:
    from refactor.gitstate import repo_state
    from refactor.workspace import copy_working_tree, open_workspace

    repo = tmp_path / "r"
    (repo / "sub").mkdir(parents=True)
    for name in ("a.txt", "b.txt", "c.txt", "sub/d.txt"):
        write(repo / name, name)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "one")
    write(repo / "a.txt", "changed")  # modified, unstaged
    (repo / "b.txt").unlink()  # deleted
    git(repo, "mv", "c.txt", "sub/c2.txt")  # renamed, staged
    write(repo / "sub/new.txt", "untracked")
    write(repo / ".gitignore", "ignored.txt\n")
    write(repo / "ignored.txt", "not copied")
    index = (repo / ".git" / "index").read_bytes()
    status = git(repo, "--no-optional-locks", "status", "--porcelain")
    state = repo_state(repo)
    assert state is not None
    with open_workspace(state) as ws:
        changed = copy_working_tree(state, ws)
        files = {p.relative_to(ws.path).as_posix(): p.read_text() for p in ws.path.rglob("*")
                 if p.is_file() and ".git" not in p.parts}
    assert files == {"a.txt": "changed", "sub/c2.txt": "c.txt", "sub/d.txt": "sub/d.txt",
                     "sub/new.txt": "untracked", ".gitignore": "ignored.txt\n"}
    assert set(changed) >= {"a.txt", "b.txt", "c.txt", "sub/c2.txt", "sub/new.txt"}
    assert (repo / ".git" / "index").read_bytes() == index
    assert git(repo, "--no-optional-locks", "status", "--porcelain") == status
    assert not list(tmp_path.glob("gotrim-wt-*")) and "gotrim" not in git(repo, "worktree", "list")


# ---------------------------------------------------------------------------------------------
# Bad input on the command line: one line, exit 2, before any build


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    cap = capsys.readouterr()
    lines = [ln for ln in cap.err.splitlines() if ln.strip()]
    assert code != 2 or (len(lines) == 1 and lines[0].startswith("error:")), cap.err
    return code, cap.err


def test_check_bad_input(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    repo = tmp_path / "m"
    repo.mkdir()
    code, err = run(capsys, "check", str(repo))
    assert code == 2 and "no gotrim.lock" in err and "gotrim check --update" in err
    write(repo / "gotrim.toml", '[budget]\nmax_growth = "lots"\n')
    code, err = run(capsys, "check", str(repo))
    assert code == 2 and "max_growth = 'lots' is not bytes" in err
    write(repo / "gotrim.toml", '[budget]\nmax_growth = "1%"\n')
    write(repo / "gotrim.lock", '{"schema": "gotrim.lock/v0"}')
    code, err = run(capsys, "check", str(repo))
    assert code == 2 and "regenerate it with `gotrim check --update`" in err


def test_diff_bad_input(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    exe = write(tmp_path / "exe", "not a binary")
    if shutil.which("git"):
        code, err = run(capsys, "diff", str(exe), "main", "-C", str(tmp_path))
        assert code == 2 and "two binaries" in err
    code, err = run(capsys, "size", str(exe), "--target", "./cmd/x")
    assert code == 2 and "give it alone" in err


@pytest.mark.go
def test_size_of_a_file_without_build_info(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    exe = write(tmp_path / "exe", "not a binary")
    code, err = run(capsys, "size", str(exe))
    assert code == 2 and "has no Go build information" in err
    assert subprocess.run(["git", "--version"], capture_output=True).returncode == 0
