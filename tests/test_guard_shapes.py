"""guard-with-tag on the shapes of issue 18 (fixture_repos/shapes): each candidate is applied, both
variants are built for two platforms, both linux binaries are run (the default one's output equals
HEAD's; the slim one does not panic and lacks the feature), and the slim one drops the heavy packages."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from refactor.candidate import Candidate, Refusal
from refactor.config import Settings, TargetSpec
from refactor.edit import format_plan, gofmt_path
from refactor.load import load
from refactor.project import Needs, Project
from refactor.toolchain import find_go
from strategies.guard_with_tag import GuardDetails, propose
from tests.conftest import unsized

PLATFORMS = (("linux", "amd64"), ("windows", "amd64"))


def project_for(root: Path, mains: tuple[str, ...], needs: Needs = Needs.WHY | Needs.TYPED) -> Project:
    return unsized(load(find_go(), Settings(root=root), [TargetSpec(mains=mains)], needs))


def proposals(project: Project) -> tuple[list[Candidate], list[Refusal]]:
    out = list(propose(project, project.settings))
    return [c for c in out if isinstance(c, Candidate)], [r for r in out if isinstance(r, Refusal)]


def go(root: Path, *args: str, goos: str = "linux", goarch: str = "amd64") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GOOS": goos, "GOARCH": goarch, "GOTOOLCHAIN": "local", "CGO_ENABLED": "0"}
    return subprocess.run(["go", *args], cwd=root, env=env, capture_output=True, text=True)


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


def run(exe: Path, args: Sequence[str], env: dict[str, str] | None = None) -> Run:
    proc = subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL,
                          env={**os.environ, **(env or {})})
    return Run(proc.returncode, proc.stdout, proc.stderr)


def build(root: Path, main: str, out: Path, tags: str = "", goos: str = "linux", goarch: str = "amd64") -> Path:
    proc = go(root, "build", "-tags", tags, "-o", str(out), main, goos=goos, goarch=goarch)
    assert proc.returncode == 0, f"build {main} {goos}/{goarch} tags={tags!r}: {proc.stderr}"
    return out


def check_both_variants(root: Path, tmp_path: Path, c: Candidate, main: str, runs: Sequence[Sequence[str]],
                        heavy: Sequence[str]) -> list[Run]:
    """Apply c, build both variants on two platforms, run the linux ones; the slim runs (for more checks)."""
    head = build(root, main, tmp_path / "head")
    format_plan(c.plan, gofmt_path()).write_to(root)  # as suggest does
    fmt = subprocess.run(["gofmt", "-l", "."], cwd=root, capture_output=True, text=True)
    assert fmt.stdout == "", fmt.stdout
    (tag,) = c.variant_tags
    for goos, goarch in PLATFORMS:
        for tags in ("", tag):
            build(root, main, tmp_path / f"x-{goos}-{tags}", tags, goos, goarch)
    vet = go(root, "vet", "-tags", tag, main)
    assert vet.returncode == 0, vet.stderr
    full = build(root, main, tmp_path / "full")
    slim = build(root, main, tmp_path / "slim", tag)
    slim_runs = []
    for args in runs:
        assert run(full, args) == run(head, args), args
        got = run(slim, args)
        assert "panic:" not in got.err and "goroutine " not in got.err, (args, got)
        slim_runs.append(got)
    deps = set(go(root, "list", "-deps", "-tags", tag, main).stdout.split())
    assert not deps & set(heavy), sorted(deps & set(heavy))
    assert set(heavy) <= set(go(root, "list", "-deps", main).stdout.split())
    assert slim.stat().st_size < full.stat().st_size * 0.8
    return slim_runs


def one(cands: Sequence[Candidate], path: str) -> Candidate:
    found = [c for c in cands if isinstance(c.details, GuardDetails) and path in c.details.files]
    assert len(found) == 1, [c.summary for c in cands]
    return found[0]


@pytest.mark.go
def test_drifted_stub_for_other_platforms_in_package_main(fixture_repo: Callable[[str], Path], tmp_path: Path
                                                         ) -> None:
    """§2: probe_linux.go (net/http) has a !linux stub whose signatures drifted; the tag is OR-ed into it
    and its signatures repaired, in package main, so every platform builds with and without the tag."""
    root = fixture_repo("shapes")
    cands, _ = proposals(project_for(root, ("./cmd/probe",)))
    c = one(cands, "cmd/probe/probe_linux.go")
    assert [ch.path for ch in c.plan.changes if ch.before is None] == []  # the existing stub is reused
    assert "probeAll had drifted" in c.explanation
    slim = check_both_variants(root, tmp_path, c, "./cmd/probe", [[], ["-url", "http://127.0.0.1:1/"]],
                               ["net/http", "crypto/tls"])
    assert slim[1].code == 1 and "probing needs Linux" in slim[1].err  # the module's own stub answers
    stub = (root / "cmd/probe/probe_other.go").read_text()
    assert stub.startswith(f"//go:build !linux || {c.variant_tags[0]}\n")


@pytest.mark.go
def test_registrations_move_into_the_guarded_file(fixture_repo: Callable[[str], Path], tmp_path: Path) -> None:
    """§3: serve.go's command, map entry and init registration move into serve.go: the slim tool lists
    no serve command (no nil in the table), has no status format and one hook fewer."""
    root = fixture_repo("shapes")
    cands, _ = proposals(project_for(root, ("./cmd/tool",)))
    c = one(cands, "cmd/tool/serve.go")
    # nothing of the rest calls a failing stub: the slim build only lacks what registered itself
    assert c.confidence == "high" and isinstance(c.details, GuardDetails) and len(c.details.registrations) == 3
    stub = next(ch.after for ch in c.plan.changes if ch.before is None)
    assert stub is not None and b"var serveCmd" not in stub  # no nil left for the table
    slim = check_both_variants(root, tmp_path, c, "./cmd/tool", [[], ["status", "404"], ["echo", "a"]],
                               ["net/http"])
    assert "serve" not in slim[0].out and "formats: [text]" in slim[0].out and "hooks: 1" in slim[0].out
    assert slim[1].code == 2 and "unknown command status" in slim[1].err
    assert slim[2].out == "a\n"


@pytest.mark.go
def test_an_edge_between_the_modules_own_packages_is_guarded(fixture_repo: Callable[[str], Path], tmp_path: Path
                                                            ) -> None:
    """§5: cmd/deployer's push.go imports the module's own internal/deploy (net/http, crypto/tls in every
    file of it): the guard goes on push.go, the slim deployer prints its plan and cannot push."""
    root = fixture_repo("shapes")
    cands, _ = proposals(project_for(root, ("./cmd/deployer",)))
    c = one(cands, "cmd/deployer/push.go")
    assert isinstance(c.details, GuardDetails) and c.details.heavy == "example.com/shapes/internal/deploy"
    slim = check_both_variants(root, tmp_path, c, "./cmd/deployer",
                               [[], ["-push", "http://127.0.0.1:1", "prod"]],
                               ["example.com/shapes/internal/deploy", "net/http", "crypto/tls"])
    assert slim[0].out == "plan: staging\n"
    assert slim[1].code == 1 and "deploy is not built in" in slim[1].err


def test_an_own_package_already_behind_a_tag_reuses_it(tmp_path: Path) -> None:
    """§5: where the module already has a stub and a tag for that feature, the candidate builds with it."""
    from tests.test_guard_with_tag import write_module

    root = write_module(tmp_path / "o", {
        "go.mod": "module example.com/o\n\ngo 1.22\n",
        "cmd/o/main.go": "package main\n\nimport \"os\"\n\nfunc main() {\n\tif len(os.Args) > 1 {\n"
                         "\t\t_ = push(os.Args[1])\n\t}\n}\n",
        "cmd/o/push.go": "//go:build !o_nopush\n\npackage main\n\nimport \"example.com/o/internal/up\"\n\n"
                         "func push(u string) error { return up.Send(u) }\n",
        "cmd/o/push_stub.go": "//go:build o_nopush\n\npackage main\n\nimport \"errors\"\n\n"
                              "func push(u string) error { return errors.New(\"no push\") }\n",
        "internal/up/up.go": "package up\n\nimport \"net/http\"\n\n// Send gets u.\n"
                             "func Send(u string) error {\n\t_, err := http.Get(u)\n\treturn err\n}\n",
    })
    cands, _ = proposals(project_for(root, ("./cmd/o",), Needs.WHY))
    (c,) = cands
    assert isinstance(c.details, GuardDetails) and c.details.existing_tag and c.variant_tags == ("o_nopush",)


@pytest.mark.go
def test_decouple_an_enum_before_guarding(fixture_repo: Callable[[str], Path], tmp_path: Path) -> None:
    """§1: main maps a flag to generated RPC code's enum and the options struct every build needs has a
    field of that enum: both move to a mirror of the enum in the module, the RPC file is guarded, and the
    default build behaves as before (same output, same error for a bad flag value)."""
    root = fixture_repo("shapes")
    cands, refusals = proposals(project_for(root, ("./cmd/client",)))
    c = one(cands, "internal/client/rpc.go")
    assert isinstance(c.details, GuardDetails) and c.details.heavy == "example.com/shapes/internal/rpcpb"
    assert "internal/client/rpcpb_mirror.go" in c.plan.files() and "cmd/client/main.go" in c.plan.files()
    slim = check_both_variants(
        root, tmp_path, c, "./cmd/client",
        [["hello"], ["-v", "-compression", "gzip", "hi"], ["-compression", "bad", "x"],
         ["-addr", "http://127.0.0.1:1/", "-compression", "zstd", "x"], ["-addr", "http://127.0.0.1:1/", "x"]],
        ["example.com/shapes/internal/rpcpb", "net/http"])
    assert slim[1].out == "compression: GZIP\ndelivering 2 bytes\nhi\n"  # the mirror's String method
    assert slim[2].code == 2 and 'unknown compression "bad"' in slim[2].err
    assert slim[4].code == 1 and "rpcpb is not built in" in slim[4].err


@pytest.mark.go
def test_suggest_and_apply_name_the_trade_off_and_the_tag(fixture_repo: Callable[[str], Path],
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """The JSON says what a guard costs; apply's last line names the tag to build the slim binary with."""
    import json

    from refactor.cli import main

    root = fixture_repo("shapes")
    assert main(["suggest", str(root), "-t", "./cmd/tool", "-s", "guard-with-tag", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    (cand,) = [c for c in doc["candidates"] if "cmd/tool/serve.go" in c["details"]["files"]]
    assert cand["trade_off"] == "feature" and cand["warning"] is None and cand["confidence"] == "high"
    assert len(cand["details"]["registrations"]) == 3 and cand["details"]["dependency"] is None
    assert main(["apply", cand["id"], str(root), "-t", "./cmd/tool", "-s", "guard-with-tag", "--no-verify"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1].startswith("build tool with -tags shapes_omit_http"), lines
