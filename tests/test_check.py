"""`gotrim check` and `gotrim diff` on a fixture history: each commit changes the binary one way
(fixture_repos/gate/_history), and check must fail with that cause, diff must name it.

The history is built once per test module: the base commit (with gotrim.lock), then one branch per
step, each a single commit on top of the base.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from refactor.cli import main
from tests.conftest import FIXTURES, git

pytestmark = pytest.mark.go

GATE = FIXTURES / "gate"
STEPS = ("01-heavy-import", "02-template", "03-plugin", "04-go-directive", "05-broken")


def gotrim(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def line_of(path: Path, needle: str) -> int:
    """The 1-based line of the first line of path that contains needle."""
    for i, line in enumerate(path.read_text().splitlines(), 1):
        if needle in line:
            return i
    raise AssertionError(f"{needle!r} not in {path}")


def user_state(repo: Path) -> str:
    """A hash of everything of the user's a diff must not touch: files, index bytes, HEAD, refs, stash."""
    h = hashlib.sha256()
    for p in sorted(repo.rglob("*")):
        rel = p.relative_to(repo).as_posix()
        if rel.startswith(".git/") or rel == ".git":
            continue
        h.update(rel.encode())
        if p.is_file():
            h.update(p.read_bytes())
    h.update((repo / ".git" / "index").read_bytes())
    for args in (["rev-parse", "HEAD"], ["symbolic-ref", "-q", "HEAD"], ["for-each-ref"], ["stash", "list"],
                 ["worktree", "list", "--porcelain"], ["status", "--porcelain", "--untracked-files=all"]):
        h.update(subprocess.run(["git", "--no-optional-locks", *args], cwd=repo, capture_output=True,
                                text=True).stdout.encode())
    return h.hexdigest()


def cgo_on(repo: Path) -> bool:
    out = subprocess.run(["go", "env", "CGO_ENABLED"], cwd=repo, capture_output=True, text=True).stdout
    return out.strip() == "1"


def overlay(step: str, repo: Path) -> None:
    """Write a step's files over the repository, with new mtimes (copy2 would keep the fixture's old
    ones, and git could then take a same-size edit, go 1.22 -> 1.23, for unchanged)."""
    shutil.copytree(GATE / "_history" / step, repo, dirs_exist_ok=True, copy_function=shutil.copy)


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """fixture_repos/gate as a git repository: `main` (base + gotrim.lock) and one branch per step."""
    repo = tmp_path_factory.mktemp("history") / "gate"
    shutil.copytree(GATE, repo, ignore=shutil.ignore_patterns("_history"))
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    assert main(["check", "--update", str(repo)]) == 0
    assert (repo / "gotrim.lock").is_file()
    git(repo, "add", "gotrim.lock")
    git(repo, "commit", "-q", "-m", "lock the sizes")
    for step in STEPS:
        git(repo, "checkout", "-q", "-b", step, "main")
        overlay(step, repo)
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", f"step {step}")
    git(repo, "checkout", "-q", "main")
    return repo


def check_json(capsys: pytest.CaptureFixture[str], repo: Path, branch: str) -> tuple[int, dict[str, Any]]:
    git(repo, "checkout", "-q", branch)
    try:
        code, out, err = gotrim(capsys, "check", str(repo), "--json")
    finally:
        git(repo, "checkout", "-q", "main")
    assert code in (0, 1), err
    return code, json.loads(out)


def rules(doc: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for v in doc["check"]["violations"]:
        out.setdefault(v["rule"], []).append(v)
    return out


def causes(doc: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [c for t in doc["targets"] for c in t["causes"] if c["kind"] == kind]


def test_check_holds_at_the_locked_commit(capsys: pytest.CaptureFixture[str], history: Path) -> None:
    code, out, err = gotrim(capsys, "check", str(history))
    assert code == 0, out + err
    assert "budgets hold" in out and "✓ app " in out


def test_check_heavy_import(capsys: pytest.CaptureFixture[str], history: Path) -> None:
    code, doc = check_json(capsys, history, "01-heavy-import")
    assert code == 1
    by_rule = rules(doc)
    assert set(by_rule) == {"max_growth", "drift"}, by_rule
    line = line_of(GATE / "_history/01-heavy-import/cmd/app/main.go", '"example.com/gate/internal/fetch"')
    (grew,) = by_rule["max_growth"]
    assert "max_growth 10%" in grew["message"]
    new_import = [c for c in grew["causes"] if c["kind"] == "import-added"]
    assert new_import, grew
    c = new_import[0]
    assert c["site"] == f"cmd/app/main.go:{line}"
    assert "example.com/gate/cmd/app -> example.com/gate/internal/fetch" in c["summary"]
    assert "net/http" in c["packages"] and c["bytes"] > 0  # bytes of the packages it brings, this build
    assert [h["name"] for h in c["chain"]] == ["example.com/gate/cmd/app", "example.com/gate/internal/fetch"]
    assert any(x["causes"][0]["kind"] == "import-added" for x in by_rule["drift"])


def test_check_template_execution(capsys: pytest.CaptureFixture[str], history: Path) -> None:
    code, doc = check_json(capsys, history, "02-template")
    assert code == 1
    by_rule = rules(doc)
    assert "dce" in by_rule and "drift" in by_rule, by_rule
    (dce,) = by_rule["dce"]
    (blocker,) = dce["causes"]
    assert blocker["kind"] == "dce-off"
    assert blocker["chain"][-1]["name"].startswith("text/template.")
    line = line_of(GATE / "_history/02-template/internal/greet/greet.go", "hello.Execute")
    sites = [h["site"] for h in blocker["chain"] if h["site"]]
    assert any(s.startswith("internal/greet/greet.go:") for s in sites), blocker["chain"]
    assert line > 0
    flips = [v["causes"][0] for v in by_rule["drift"] if v["causes"][0]["kind"] == "dce-off"]
    assert flips, "the DCE flip is drift from the lock"
    imports = [v["causes"][0] for v in by_rule["drift"] if v["causes"][0]["kind"] == "import-added"]
    import_line = line_of(GATE / "_history/02-template/internal/greet/greet.go", '"text/template"')
    assert any(c["site"] == f"internal/greet/greet.go:{import_line}" for c in imports), imports


def test_check_plugin_import(capsys: pytest.CaptureFixture[str], history: Path) -> None:
    code, doc = check_json(capsys, history, "03-plugin")
    assert code == 1
    by_rule = rules(doc)
    (forbid,) = by_rule["forbid"]
    assert "plugin" in forbid["message"]
    (chain_cause,) = forbid["causes"]
    names = [h["name"] for h in chain_cause["chain"]]
    assert names[-2:] == ["example.com/gate/internal/ext", "plugin"]
    line = line_of(GATE / "_history/03-plugin/internal/ext/ext.go", '"plugin"')
    assert chain_cause["site"] == f"internal/ext/ext.go:{line}"
    assert causes(doc, "plugin-linked")
    if cgo_on(history):  # dynamic-linking mode only with cgo on
        (dce,) = by_rule["dce"]
        assert "plugin" in dce["causes"][0]["summary"]
        assert [h["name"] for h in dce["causes"][0]["chain"]][-1] == "plugin"


def test_check_go_directive(capsys: pytest.CaptureFixture[str], history: Path) -> None:
    code, doc = check_json(capsys, history, "04-go-directive")
    assert code == 1
    by_rule = rules(doc)
    assert set(by_rule) == {"drift"}, by_rule  # a few bytes of GODEBUG defaults are noise, not growth
    (cause,) = [v["causes"][0] for v in by_rule["drift"]]
    assert cause["kind"] == "go-directive" and "1.22 -> 1.23" in cause["summary"]


def test_check_tolerates_a_lock_from_another_toolchain(capsys: pytest.CaptureFixture[str], history: Path) -> None:
    """A lock written by another gotrim and Go release: said so; noise (growth within the toolchain
    tolerance, standard-library packages that differ) does not fail."""
    lock_file = history / "gotrim.lock"
    original = lock_file.read_text()
    doc = json.loads(original)
    doc["generator"]["version"] = "0.0.1"
    doc["go"] = "go1.25.0"
    (t,) = doc["targets"]
    t["go"] = "go1.25.0"
    t["file_bytes"] = int(t["file_bytes"] / 1.13)  # grew 13 %: over max_growth 10 %, within 10 % + 5 %
    std = t["modules"]["std"]["packages"]
    std.remove("unicode/utf8")
    std.append("internal/gone")
    lock_file.write_text(json.dumps(doc, indent=2))
    try:
        code, out, err = gotrim(capsys, "check", str(history))
    finally:
        lock_file.write_text(original)
    assert code == 0, out + err
    assert "written by gotrim 0.0.1" in out and "built with go1.25.0" in out


def test_diff_names_the_new_import(capsys: pytest.CaptureFixture[str], history: Path) -> None:
    before = user_state(history)
    code, out, err = gotrim(capsys, "diff", "main", "01-heavy-import", "-C", str(history), "--json")
    assert code == 0, err
    assert user_state(history) == before
    doc = json.loads(out)
    assert doc["schema"] == "gotrim.diff/v1" and doc["base"]["ref"] == "main"
    (t,) = doc["targets"]
    assert t["delta_bytes"] > 0 and t["after"]["file_bytes"] > t["before"]["file_bytes"]
    (c,) = [c for c in t["causes"] if c["kind"] == "import-added"]
    line = line_of(GATE / "_history/01-heavy-import/cmd/app/main.go", '"example.com/gate/internal/fetch"')
    assert c["site"] == f"cmd/app/main.go:{line}"
    assert c["bytes"] > 0 and "net/http" in c["packages"]
    pkgs = {d["name"]: d for d in t["packages"]}
    assert pkgs["net/http"]["before_bytes"] is None and pkgs["net/http"]["after_bytes"] > 0
    assert t["packages"][0]["delta_bytes"] >= t["packages"][-1]["delta_bytes"]
    assert "net/http" in t["added_packages"]


@pytest.mark.parametrize("step, kind, needle", [
    ("02-template", "dce-off", "text/template."),
    ("04-go-directive", "go-directive", "go 1.22 -> 1.23"),
])
def test_diff_names_the_cause(capsys: pytest.CaptureFixture[str], history: Path, step: str, kind: str,
                              needle: str) -> None:
    code, out, err = gotrim(capsys, "diff", "main", step, "-C", str(history), "--json")
    assert code == 0, err
    (t,) = json.loads(out)["targets"]
    (c,) = [c for c in t["causes"] if c["kind"] == kind]
    assert needle in c["summary"]
    if kind == "dce-off":
        assert t["before"]["dce"]["method_dce"] is True and t["after"]["dce"]["method_dce"] is False
        assert any(h["site"].startswith("internal/greet/greet.go:") for h in c["chain"] if h["site"])
        assert t["delta_bytes"] > 0


def test_diff_of_the_working_tree(capsys: pytest.CaptureFixture[str], history: Path) -> None:
    """HEAD omitted: the uncommitted plugin change (a modified and an untracked file) is what is
    compared, and it stays uncommitted, exactly as it was."""
    overlay("03-plugin", history)
    try:
        assert "?? internal/" in git(history, "status", "--porcelain")
        before = user_state(history)
        code, out, err = gotrim(capsys, "diff", "main", "-C", str(history), "--format", "markdown")
        assert code == 0, err
        assert user_state(history) == before
    finally:
        git(history, "checkout", "-q", "--", ".")
        git(history, "clean", "-fdq")
    assert "**plugin linked**" in out
    line = line_of(GATE / "_history/03-plugin/internal/ext/ext.go", '"plugin"')
    assert f"`internal/ext/ext.go:{line}`" in out
    header = next(i for i, ln in enumerate(out.splitlines()) if ln.startswith("| binary |"))
    lines = out.splitlines()
    assert lines[header + 1].startswith("|---")
    assert lines[header + 2].startswith("| `app ") and lines[header + 2].count(" | ") == 5
    if cgo_on(history):
        assert "**method DCE off**" in out


def test_diff_of_a_commit_that_does_not_build(capsys: pytest.CaptureFixture[str], history: Path) -> None:
    sha = git(history, "rev-parse", "05-broken").strip()
    before = user_state(history)
    code, _, err = gotrim(capsys, "diff", "main", "05-broken", "-C", str(history))
    assert user_state(history) == before
    assert code == 2 and "Traceback" not in err
    assert f"{sha[:12]} (step 05-broken) does not build" in err
    code, _, err = gotrim(capsys, "diff", "no-such-branch", "-C", str(history))
    assert code == 2 and "no-such-branch is not a commit" in err


def test_diff_and_size_of_two_built_binaries(capsys: pytest.CaptureFixture[str], history: Path,
                                             tmp_path: Path) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    subprocess.run(["go", "build", "-trimpath", "-o", str(old), "./cmd/app"], cwd=history, check=True)
    git(history, "checkout", "-q", "01-heavy-import")
    try:
        subprocess.run(["go", "build", "-trimpath", "-tags", "netgo", "-o", str(new), "./cmd/app"], cwd=history,
                       check=True)
    finally:
        git(history, "checkout", "-q", "main")
    code, out, err = gotrim(capsys, "diff", str(old), str(new), "--json")
    assert code == 0, err
    (t,) = json.loads(out)["targets"]
    assert t["delta_bytes"] == new.stat().st_size - old.stat().st_size
    (added,) = [c for c in t["causes"] if c["kind"] == "packages-added"]
    assert "net/http" in added["packages"] and "example.com/gate/internal/fetch" in added["packages"]
    assert any(c["kind"] == "build-settings" and "-tags" in c["summary"] for c in t["causes"])
    code, out, err = gotrim(capsys, "size", str(new), "--json", "--by", "module")
    assert code == 0, err
    doc = json.loads(out)
    found = doc["build_settings"]
    assert found["GOOS"] and found["GOARCH"] and found["-tags"] == "netgo" and found["-trimpath"] == "true"
    assert "not recorded" in found["-ldflags"]
    assert doc["target"]["main"] == "example.com/gate/cmd/app"
    mods = {r["name"] for r in doc["rows"] if r["kind"] == "module"}
    assert {"std", "example.com/gate"} <= mods
    assert doc["size"]["coverage"] > 0.9
