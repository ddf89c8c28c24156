"""Verification against HEAD and smoke runs (refactor.measure, refactor.baseline, refactor.smoke).

Fast tests read go's output and judge binaries' runs without building anything; the `go` ones verify
candidates on fixture_repos/headfail (broken at HEAD on windows, an unformatted file, a vet finding)
and fixture_repos/registry (a command registry whose feature file, guarded by a stub returning nil,
builds and vets but panics at start).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from refactor import baseline, report, smoke
from refactor.candidate import Candidate
from refactor.config import Settings, load_smoke
from refactor.errors import GoError, UsageError
from refactor.gooutput import compare, message_key, parse_errors, parse_vet_json
from refactor.plan import FileChange, Plan
from tests.conftest import FIXTURES, git

# ---------------------------------------------------------------------------------------------
# go's output as findings


BUILD_STDERR = """\
# example.com/x/internal/winsvc
internal/winsvc/svc_windows.go:4:42: undefined: registerService
internal/winsvc/svc_windows.go:9:2: cannot use x (variable of type int) as string value in return statement
	have (int)
	want (string)
# example.com/x/cmd/app
cmd/app/main.go:5:2: no required module provides package example.com/gone; to add it:
	go get example.com/gone
"""


def test_build_errors_keep_go_continuation_lines_and_remedy() -> None:
    found = parse_errors(BUILD_STDERR)
    assert [f.package for f in found] == ["example.com/x/internal/winsvc"] * 2 + ["example.com/x/cmd/app"]
    assert found[1].text.endswith("\thave (int)\n\twant (string)")
    assert found[2].display == ("cmd/app/main.go:5:2: no required module provides package example.com/gone; "
                                "to add it: go get example.com/gone")


def test_an_import_chain_is_shown_with_its_reason() -> None:
    """caddy: a guarded package left without files failed `go build ./...` with `package .../caddytest`,
    the first line; why was on the next ones."""
    (one,) = parse_errors("package example.com/m/cmd/app\n\timports example.com/m/standard: build constraints "
                          "exclude all Go files in /tmp/x/standard\n")
    assert one.display == ("package example.com/m/cmd/app imports example.com/m/standard: build constraints "
                           "exclude all Go files in /tmp/x/standard")
    (hops,) = parse_errors("package a\n\timports b\n\timports c: no Go files\n")
    assert hops.display == "package a imports ... imports c: no Go files"


def test_module_downloads_are_not_build_errors() -> None:
    """tailscale at HEAD fails go build ./... (an old x/tools on go1.26); a candidate's worktree first
    downloads modules: `go: downloading ...` lines are progress, the failure is the same as HEAD's."""
    err = "# golang.org/x/tools/internal/tokeninternal\nt.go:64:9: invalid array length -delta * delta\n"
    head = parse_errors(err)
    now = parse_errors("go: downloading golang.org/x/oauth2 v0.16.0\ngo: downloading k8s.io/api v0.29.1\n" + err)
    assert [f.key for f in now] == [f.key for f in head] and len(now) == 1


def test_the_same_error_on_another_line_or_in_another_package_is_not_new() -> None:
    head = parse_errors("# p\np/a.go:4:42: undefined: registerService\n")
    moved = parse_errors("# q\nq/b.go:17:3: undefined: registerService\n")
    new, old = compare(moved, head)
    assert not new and old == head  # HEAD's own finding is what the report names
    twice = moved + parse_errors("# q\nq/b.go:20:3: undefined: registerService\n")
    new, old = compare(twice, head)
    assert len(new) == 1 and len(old) == 1  # a second one is new
    assert message_key("vet: a/b.go:3:9: x declared at a/c.go:12:2") == "x declared at <pos>"


def test_vet_json_findings_and_errors() -> None:
    stdout = (
        '{\n\t"example.com/x/a": {\n\t\t"printf": [{"posn": "/wt/a/a.go:5:24", "end": "/wt/a/a.go:5:26",\n'
        '\t\t\t"message": "fmt.Printf format %d has arg \\"x\\" of wrong type string"}]\n\t}\n}\n'
        '{"example.com/x/b": {"lostcancel": [{"posn": "/wt/b/b.go:6:17",\n'
        '"message": "the cancel function is not used"}]}}\n')
    found = parse_vet_json(stdout, ["/wt"])
    assert [f.display for f in found] == ['a/a.go:5:24: fmt.Printf format %d has arg "x" of wrong type string',
                                          "b/b.go:6:17: the cancel function is not used"]
    assert found[0].key.startswith("printf: ") and "/wt" not in found[0].text


def test_go_errors_keep_go_remedy_on_one_line() -> None:
    tidy = GoError("go build failed", stderr="go: updates to go.mod needed; to update it:\n\tgo mod tidy\n")
    assert str(tidy) == "go build failed: go: updates to go.mod needed; to update it: go mod tidy"
    vendor = GoError("go list failed", stderr="go: inconsistent vendoring in /x:\n\tgithub.com/a/b@v1: is "
                     "explicitly required in go.mod\n\n\tTo sync the vendor directory, run:\n\t\tgo mod vendor\n")
    assert str(vendor) == "go list failed: go: inconsistent vendoring in /x (go says to run `go mod vendor`)"


# ---------------------------------------------------------------------------------------------
# smoke runs, judged without Go

PANIC = """\
panic: runtime error: invalid memory address or nil pointer dereference
[signal SIGSEGV: segmentation violation code=0x1 addr=0x18 pc=0x48a211]

goroutine 1 [running]:
fmt.Fprintf({0x4f2a40, 0xc000012345}, {0x4e1a2b, 0xc}, {0xc00001e0c0, 0x2, 0x2})
	fmt/print.go:225 +0x1d
example.com/registry/internal/cmds.Usage()
	example.com/registry/internal/cmds/cmds.go:34 +0x1b2
main.main()
	example.com/registry/cmd/tool/main.go:14 +0x39
"""


def test_a_panic_names_its_first_frame_in_the_module() -> None:
    assert smoke.crash_of(PANIC, "") == "panic: runtime error: invalid memory address or nil pointer dereference"
    assert smoke.first_frame(PANIC, ["example.com/registry"]) == "internal/cmds/cmds.go:34 (cmds.Usage)"
    assert smoke.first_frame(PANIC) == "example.com/registry/internal/cmds/cmds.go:34 (cmds.Usage)"
    assert smoke.crash_of("fatal error: all goroutines are asleep - deadlock!\n", "") .startswith("fatal error: all")
    assert smoke.crash_of("panic: not really\n", "") == ""  # no goroutine trace: a message, not a panic
    assert smoke.crash_of("", "SIGKILL") == "killed by SIGKILL"


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and process groups")
def test_a_smoke_run_is_isolated_and_bounded(tmp_path: Path) -> None:
    py = Path(sys.executable)
    code = "import os,sys; print(os.environ['HOME'], os.getcwd(), sys.stdin.read() == ''); print(len(os.environ))"
    run = smoke.run(py, "py", ["-c", code])
    home, cwd, empty = run.stdout.split("\n")[0].split()
    assert home == cwd == smoke.SCRATCH and empty == "True" and run.exit_code == 0 and not run.crash
    assert smoke.run(py, "py", ["-c", code]).digest == run.digest  # paths replaced: the same each time
    killed = smoke.run(py, "py", ["-c", "import os; os.kill(os.getpid(), 11)"])
    assert killed.signal == "SIGSEGV" and killed.crash == "killed by SIGSEGV" and killed.exit_code is None
    slow = smoke.run(py, "py", ["-c", "import time; print('up', flush=True); time.sleep(60)"], timeout=1)
    assert slow.timed_out and not slow.crash and slow.stdout == "up\n" and slow.seconds < 30
    assert "differs" not in smoke.difference(run, run) and smoke.difference(run, killed).startswith("killed by")


@pytest.mark.skipif(sys.platform == "win32", reason="a shell script as the program")
def test_the_default_smoke_command_falls_back_to_no_arguments(tmp_path: Path) -> None:
    silent = tmp_path / "silent"
    silent.write_text('#!/bin/sh\n[ "$1" = --help ] && exit 3\necho "ran with $# arguments"\n')
    silent.chmod(0o755)
    args, run, stable = smoke.baseline(silent, "silent", None)
    assert args == () and run.stdout == "ran with 0 arguments\n" and stable
    args, run, _ = smoke.baseline(silent, "silent", ["--help"])  # configured: no fallback
    assert args == ("--help",) and run.exit_code == 3
    chatty = tmp_path / "chatty"
    chatty.write_text('#!/bin/sh\necho "unknown flag $1" >&2\nexit 2\n')
    chatty.chmod(0o755)
    args, run, _ = smoke.baseline(chatty, "chatty", None)  # refused with a message: that is its output
    assert args == ("--help",) and run.stderr == "unknown flag --help\n"
    clock = tmp_path / "clock"
    clock.write_text("#!/bin/sh\ndate +%s%N\n")
    clock.chmod(0o755)
    assert not smoke.baseline(clock, "clock", None)[2]  # output that varies between runs is noticed


@pytest.mark.skipif(sys.platform == "win32", reason="a shell script as the program")
def test_clock_readings_in_the_output_are_not_a_difference(tmp_path: Path) -> None:
    """The log package's prefix (a program that logs its error on --help, as fixture blockers' pluggable
    does) and RFC 3339 times change between two runs: they are compared as $TIME."""
    logs = tmp_path / "logs"
    logs.write_text('#!/bin/sh\necho "$(date +%Y/%m/%d\\ %H:%M:%S.%N) plugin.Open(\\"$1\\"): failed" >&2\n'
                    'echo "time=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ) level=INFO"\nexit 1\n')
    logs.chmod(0o755)
    a, b = smoke.run(logs, "logs", ["--help"]), smoke.run(logs, "logs", ["--help"])
    assert a.stderr.endswith(' plugin.Open("--help"): failed\n') and a.stderr.startswith(smoke.TIME)
    assert a.stdout == f"time={smoke.TIME} level=INFO\n"
    assert a.digest == b.digest and smoke.difference(a, b) == ""


def test_smoke_key_of_gotrim_toml(tmp_path: Path) -> None:
    (tmp_path / "gotrim.toml").write_text(textwrap.dedent("""\
        [[target]]
        main = "./cmd/a"
        smoke = ["version", "--short"]
        [[target]]
        main = "./cmd/b"
        smoke = false
        [[target]]
        main = "./cmd/c"
        """))
    specs = load_smoke(tmp_path)
    assert [(s.main, s.args, s.enabled) for s in specs] == [("./cmd/a", ("version", "--short"), True),
                                                           ("./cmd/b", None, False)]
    (tmp_path / "gotrim.toml").write_text('[[target]]\nmain = "./cmd/a"\nsmoke = "--help"\n')
    with pytest.raises(UsageError, match="smoke must be a list"):
        load_smoke(tmp_path)


def test_table_cell_names_the_steps_already_failing_at_head() -> None:
    cell = report.verified_text(True, "", ["gofmt -l: a.go", "go vet (linux/amd64): x", "go vet (windows/amd64): x"])
    assert cell == "✓ (already failing at HEAD: gofmt -l, go vet)"


# ---------------------------------------------------------------------------------------------
# gofmt: gotrim's own lines only; CRLF kept

UNFORMATTED = b"package p\n\nfunc A() int { return  1 }\n\nfunc B() int {\n\treturn 2\n}\n"


@pytest.mark.go
def test_gofmt_fails_only_on_what_gotrim_wrote_and_keeps_crlf() -> None:
    from refactor.edit import format_changes
    from refactor.measure import gofmt_check

    # the user's unformatted line stays; gotrim's new function is formatted: not a failure
    edited = UNFORMATTED + b"\nfunc C() int {\n\treturn 3\n}\n"
    (change,) = format_changes([FileChange("p/p.go", UNFORMATTED, edited)])
    assert b"return  1" in (change.after or b"")
    assert gofmt_check([change]) == ([], ["p/p.go"])
    # a line gotrim wrote unformatted is a regression, named by line
    bad = FileChange("p/p.go", UNFORMATTED, UNFORMATTED + b"\nfunc C() int { return  3 }\n")
    regressions, _ = gofmt_check([bad])
    assert regressions == ["p/p.go:9: not gofmt-clean where gotrim wrote it"]
    # a new file must be clean as a whole
    assert gofmt_check([FileChange("p/q.go", None, b"package p\nvar  X = 1\n")])[0]
    # CRLF round trip: the editor writes CRLF into a CRLF file, and the check accepts it
    crlf = UNFORMATTED.replace(b"\n", b"\r\n")
    (c2,) = format_changes([FileChange("p/p.go", crlf, crlf.replace(b"package p", b"//go:build !x\r\n\r\npackage p")
                                       + b"func C() int {\n\treturn 3\n}\n")])
    assert c2.after is not None and c2.after.count(b"\n") == c2.after.count(b"\r\n")
    assert gofmt_check([c2]) == ([], ["p/p.go"])
    lf_inside = FileChange("p/p.go", crlf, crlf + b"func C() int {\n\treturn 3\n}\n")
    assert gofmt_check([lf_inside])[0] == ["p/p.go: CRLF at HEAD, but gotrim wrote LF lines"]
    # the editor's output is a fixed point of its own rule (the check and format_changes agree)
    assert format_changes([change]) == (change,) and format_changes([c2]) == (c2,)


# ---------------------------------------------------------------------------------------------
# fixture_repos/headfail: already failing at HEAD, and a good candidate still verified


@pytest.fixture(scope="module")
def headfail(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """fixture_repos/headfail as a git repository, its greet.go with CRLF line endings."""
    repo = tmp_path_factory.mktemp("hf") / "headfail"
    shutil.copytree(FIXTURES / "headfail", repo)
    greet = repo / "internal/greet/greet.go"
    greet.write_bytes(greet.read_bytes().replace(b"\n", b"\r\n"))
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "fixture")
    return repo


@pytest.mark.go
def test_a_good_candidate_is_verified_although_head_already_fails(
        capsys: pytest.CaptureFixture[str], headfail: Path) -> None:
    from refactor.cli import main

    baseline.forget()
    # both directions of the split leave the same code in app (equal estimates): measure both, check the light one
    assert main(["suggest", str(headfail), "--measure", "--top", "2", "--json"]) == 0, capsys.readouterr().err
    doc = json.loads(capsys.readouterr().out)
    (c,) = [c for c in doc["candidates"] if "light part" in c["summary"]]
    m = c["measurement"]
    assert c["strategy"] == "split-package" and m["ok"], m["first_error"]
    at_head = "\n".join(m["at_head"])
    assert "gofmt -l: internal/greet/greet.go" in at_head  # the user's `http.Get( url )`
    assert "go build ./... (windows/amd64" in at_head and "undefined: registerService" in at_head
    assert "go vet (linux/amd64)" in at_head and "fmt.Sprintf call needs 1 arg but has 2 args" in at_head
    steps = {s["name"]: s for s in m["steps"]}
    win = next(s for n, s in steps.items() if n.startswith("go build ./... (windows"))
    assert win["ok"] and "registerService" in win["output"]
    smokes = {(r["target"].split()[1], r["build"]): r for r in m["smoke"]}
    assert smokes[("linux/amd64", "default")]["same_as_head"] is True
    assert smokes[("linux/amd64", "default")]["args"] == ["bob"]  # gotrim.toml's smoke
    assert not smokes[("windows/amd64", "default")]["ran"]  # built, not run
    assert "not run" in smokes[("windows/amd64", "default")]["reason"]
    assert baseline.computed, "HEAD's results were not computed"

    # apply after suggest --measure: HEAD's results come from the repository's cache, not again
    baseline.forget()
    assert main(["apply", c["id"], str(headfail), "--branch", "hf"]) == 0, capsys.readouterr().err
    capsys.readouterr()
    assert baseline.computed == []
    message = git(headfail, "log", "-1", "--format=%B", "hf")
    assert "Already failing at HEAD, not because of this change:" in message
    assert "Smoke runs:" in message and "same output as HEAD" in message
    greet = subprocess.run(["git", "show", "hf:internal/greet/greet.go"], cwd=headfail, capture_output=True,
                           check=True).stdout
    assert greet.count(b"\n") == greet.count(b"\r\n") > 0, "greet.go lost its CRLF line endings"
    assert b"http.Get( url )" in greet  # the user's own formatting, untouched
    moved = subprocess.run(["git", "show", "hf", "--", "internal/greet"], cwd=headfail, capture_output=True,
                           text=True, check=True).stdout
    assert "+\treturn msg" in moved  # the moved Hello, in a new file that gotrim gofmts


@pytest.mark.go
def test_a_split_that_changes_the_output_fails_the_smoke_run(headfail: Path) -> None:
    from refactor.load import effective_specs, load
    from refactor.measure import verify_and_measure
    from refactor.project import Needs
    from refactor.suggest import propose_all, strategies_named
    from refactor.toolchain import find_go
    from refactor.workspace import open_workspace, require_repo

    settings = Settings(root=headfail)
    strategies = strategies_named(["split-package"])
    project = load(find_go(), settings, effective_specs(settings, None),
                   Needs.GRAPHS | Needs.SOURCES | Needs.SIZES | Needs.TYPED)
    light = next(c for c in propose_all(project, strategies).candidates if "light part" in c.summary)
    # deliberately broken: the moved Hello greets differently; it builds, vets and is gofmt-clean
    changes = tuple(FileChange(ch.path, ch.before, ch.after.replace(b'"Hello, %s."', b'"Howdy, %s."'))
                    if ch.before is None and ch.after and b'"Hello, %s."' in ch.after else ch
                    for ch in light.plan.changes)
    assert changes != light.plan.changes
    broken = replace(light, id="broken0", plan=Plan(light.plan.title, changes))
    with open_workspace(require_repo(headfail)) as ws:
        m = verify_and_measure(project, ws, broken)
    assert not m.verified
    failed = next(s for s in m.steps if not s.ok)
    assert failed.name == "smoke app linux/amd64", m.first_error
    assert "output differs from HEAD's" in failed.detail and "Howdy, bob." in failed.detail
    assert "Hello, bob." in failed.detail
    assert all(s.ok for s in m.steps if s.name.startswith(("gofmt", "go build", "go vet", "rebuild")))


# ---------------------------------------------------------------------------------------------
# fixture_repos/registry: a guard whose stub returns nil panics at start


STUB_NIL = b"//go:build noserve\n\npackage cmds\n\nfunc newServe() Command { return nil }\n"
STUB_OK = b'//go:build noserve\n\npackage cmds\n\nfunc newServe() Command { return unavailable{"serve"} }\n'


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    from refactor.load import effective_specs, load
    from refactor.project import Needs
    from refactor.toolchain import find_go

    repo = tmp_path_factory.mktemp("reg") / "registry"
    shutil.copytree(FIXTURES / "registry", repo)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "fixture")
    settings = Settings(root=repo)
    project = load(find_go(), settings, effective_specs(settings, None), Needs.GRAPHS | Needs.SIZES)
    return repo, project


def guard(project: object, stub: bytes) -> Candidate:
    from refactor.project import Project

    assert isinstance(project, Project)
    serve = project.root / "internal/cmds/serve.go"
    before = serve.read_bytes()
    plan = Plan("guard internal/cmds/serve.go", (
        FileChange("internal/cmds/serve.go", before, b"//go:build !noserve\n\n" + before),
        FileChange("internal/cmds/serve_stub.go", None, stub)))
    return Candidate(id="guard00", strategy="guard-with-tag", targets=project.targets, summary="guard serve.go",
                     explanation="", estimated_bytes=0, confidence="low", plan=plan, variant_tags=("noserve",))


@pytest.mark.go
def test_a_stub_returning_nil_builds_and_vets_but_the_smoke_run_fails(registry: tuple[Path, object]) -> None:
    from refactor.measure import verify_and_measure
    from refactor.project import Project
    from refactor.workspace import open_workspace, require_repo

    repo, project = registry
    assert isinstance(project, Project)
    with open_workspace(require_repo(repo)) as ws:
        bad = verify_and_measure(project, ws, guard(project, STUB_NIL))
        ws.reset()
        good = verify_and_measure(project, ws, guard(project, STUB_OK))
    failed = next(s for s in bad.steps if not s.ok)
    assert failed.name == "smoke tool linux/amd64 tags=noserve (slim build)", bad.first_error
    assert all(s.ok for s in bad.steps if s.name.startswith(("gofmt", "go build", "go vet", "rebuild")))
    assert "`tool --help`: panic: runtime error: invalid memory address or nil pointer dereference" in failed.detail
    assert "at internal/cmds/cmds.go:" in failed.detail and "(cmds.Usage)" in failed.detail
    assert "goroutine 1 [running]" in failed.output
    (run,) = bad.smoke
    assert run.build == "slim" and run.crash.startswith("panic:") and run.frame.endswith("(cmds.Usage)")

    # the same guard with a stub that stands in properly: the slim build prints something else (expected),
    # the default build prints exactly what HEAD's binary prints
    assert good.verified, good.first_error
    runs = {r.build: r for r in good.smoke}
    assert runs["slim"].same_as_head is False and not runs["slim"].crash
    assert runs["default"].same_as_head is True and runs["default"].args == ("--help",)


def test_smoke_output_ignores_the_log_packages_time_prefix(tmp_path: Path) -> None:
    from refactor.smoke import _read

    a, b = tmp_path / "a", tmp_path / "b"
    a.write_text("2026/12/06 22:08:08 usage: full URL\nat 2026/12/06 22:08:08 inside a line\n")
    b.write_text("2026/12/06 22:08:10 usage: full URL\nat 2026/12/06 22:08:08 inside a line\n")
    assert _read(a, [])[1] == _read(b, [])[1] and _read(a, [])[0].startswith("$TIME usage")
    b.write_text("2026/12/06 22:08:10 usage: full URL\nat 2026/12/06 22:08:10 inside a line\n")
    assert _read(a, [])[1] == _read(b, [])[1]  # a clock reading inside a line too
    b.write_text("2026/12/06 22:08:10 usage: full URL\nat last inside a line\n")
    assert _read(a, [])[1] != _read(b, [])[1]  # the rest of the output still counts


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_a_program_still_running_at_the_timeout_is_asked_to_stop(monkeypatch: pytest.MonkeyPatch) -> None:
    py = Path(sys.executable)
    polite = smoke.run(py, "py", ["-c", "import time; print('up', flush=True); time.sleep(60)"], timeout=1)
    assert polite.timed_out and polite.stopped is True and "stopped by SIGTERM" in polite.ending()
    monkeypatch.setattr(smoke, "STOP_GRACE", 1.0)
    deaf = smoke.run(py, "py", ["-c", "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                                      "print('up', flush=True); time.sleep(60)"], timeout=1)
    assert deaf.timed_out and deaf.stopped is False and "did not stop on SIGTERM" in deaf.ending()
    assert deaf.seconds < 30


def test_a_slim_server_that_ends_or_does_not_shut_down_fails_its_smoke_run() -> None:
    """nats-server's c759340 passed verification: started with -js its slim build exited 1 at once
    (`Can't start JetStream: ... archive is not built in`) while HEAD's ran on, and without -js it did
    not stop on SIGTERM (a stub left a goroutine's WaitGroup undone). Both now fail."""
    from refactor.measure import _StepFailed, _Verification

    def ran(**kw: Any) -> smoke.Run:
        base = dict(args=("-js",), exit_code=None, signal="", timed_out=True, stdout="", stderr="", digest="h",
                    crash="", frame="", seconds=10.0, stopped=True)
        return smoke.Run(**{**base, **kw})

    v = object.__new__(_Verification)
    v.smoke = []
    head = ran()
    with pytest.raises(_StepFailed, match="exit status 1 .*the slim build stops where HEAD's runs on"):
        v.judge_smoke("nats-server linux/amd64", True, ran(exit_code=1, timed_out=False, stopped=None, digest="x",
                                                           stderr="[FTL] Can't start JetStream"), head, True, "")
    with pytest.raises(_StepFailed, match="did not stop on SIGTERM.*does not shut down"):
        v.judge_smoke("nats-server linux/amd64", True, ran(stopped=False, digest="y"), head, True, "")
    with pytest.raises(_StepFailed, match="it does not shut down"):
        v.judge_smoke("nats-server linux/amd64", False, ran(stopped=False), head, True, "")
    # still running and stopped as HEAD's: a slim server passes; so does a HEAD run from before SIGTERM
    v.judge_smoke("nats-server linux/amd64", True, ran(digest="z"), head, True, "")
    v.judge_smoke("nats-server linux/amd64", True, ran(stopped=False), ran(stopped=None), True, "")
