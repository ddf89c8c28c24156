"""The DCE loop on fixture_repos/templates, as a user runs it: suggest's combined candidate, apply, then
`gotrim dce --fail` passes on the branch, the binary is smaller and prints the same bytes as HEAD's.

cmd/both has three blockers in three packages (a package-level template, a template built in a
function, a reflect lookup by name): each fix alone saves almost nothing; cmd/custom executes a
template given on the command line (the method-free fork); cmd/page is html/template from embedded
files with attributes.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from refactor.apply import apply
from refactor.candidate import Candidate
from refactor.cli import cli
from refactor.config import Settings, Target, TargetSpec
from refactor.dceloop import LoopResult, with_loops
from refactor.load import load
from refactor.project import Needs, Project
from refactor.suggest import propose_all
from refactor.toolchain import find_go
from strategies.dce_blockers import STRATEGY, DceDetails, Fix
from tests.conftest import FIXTURES, git

MAINS = ("./cmd/both", "./cmd/custom", "./cmd/page")
INPUTS = {
    "both": [[], ["Total"], ["Describe"], ["Nope"]],
    "custom": [[], ["-format={{.Name}} {{range .Tags}}[{{.}}]{{end}} {{.Meta.owner}}\n"],
               ["-format={{printf \"%q\" .Name}}{{if .Size}} big{{end}}\n"]],
    "page": [[]],
}


def templates_repo(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """A one-commit git copy of fixture_repos/templates."""
    import shutil

    root = tmp_path_factory.mktemp(name) / "templates"
    shutil.copytree(FIXTURES / "templates", root)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "fixture")
    return root


def loop_over(repo: Path, tmp_path_factory: pytest.TempPathFactory, mains: tuple[str, ...]
              ) -> tuple[Project, list[Candidate], dict[str, LoopResult]]:
    """The project of mains, dce-blockers' proposals and the DCE loop's candidates and results."""
    settings = Settings(root=repo, cache_dir=tmp_path_factory.mktemp("cache"))
    project = load(find_go(), settings, [TargetSpec(mains=mains)], Needs.SUGGEST, remember=True)
    found = propose_all(project, [STRATEGY])
    combined, results = with_loops(project, found.candidates)
    return project, combined, {r.target.name: r for r in results}


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return templates_repo(tmp_path_factory, "loop")


@pytest.fixture(scope="module")
def looped(repo: Path, tmp_path_factory: pytest.TempPathFactory
           ) -> tuple[Project, list[Candidate], dict[str, LoopResult]]:
    return loop_over(repo, tmp_path_factory, MAINS)


def _target(project: Project, name: str) -> Target:
    (t,) = [t for t in project.targets if t.name == name]
    return t


@pytest.mark.go
def test_three_blockers_are_fixed_one_after_the_other(looped: tuple[Project, list[Candidate], dict[str, LoopResult]]
                                                      ) -> None:
    project, combined, results = looped
    both = results["both"]
    assert both.method_dce and not both.remaining
    assert len(both.steps) == 2  # the reflect table, then both packages' templates in one rewrite
    first, last = both.steps
    assert first.bytes_before - first.bytes_after < 0.01 * first.bytes_before  # alone: almost nothing
    assert both.bytes_after < 0.8 * both.bytes_before
    assert {first.fix, last.fix} == {"reflect-table", "template-rewrite"}
    (cand,) = [c for c in combined if c.targets == (_target(project, "both"),)]
    assert cand.estimated_bytes == both.saved_bytes and cand.confidence == "high"
    assert isinstance(cand.details, DceDetails) and cand.details.fix is Fix.ALL_BLOCKERS
    assert cand.details.method_dce and len(cand.details.steps) == 2
    files = set(cand.plan.files())
    assert {"internal/render/render.go", "internal/help/help.go", "internal/lookup/lookup.go"} <= files
    custom = results["custom"]
    assert custom.method_dce and [s.fix for s in custom.steps] == ["template-fork"]


@pytest.mark.go
def test_dce_all_lists_every_blocker(repo: Path, looped: object) -> None:
    del looped  # the loop results are remembered: this run reuses them
    res = CliRunner().invoke(cli, ["dce", "--all", "--json", "-t", "./cmd/both", str(repo)], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    import json

    (entry,) = json.loads(res.stdout)["targets"]
    steps = entry["all_blockers"]["steps"]
    assert len(steps) == 2 and entry["all_blockers"]["method_dce_after"]
    assert any(s["blocker"].endswith("lookup.Value") for s in steps)
    assert any(s["blocker"] == "text/template.(*state).evalField" for s in steps)


def _run(exe: Path, args: list[str]) -> tuple[int, str, str]:
    p = subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def apply_and_build(project: Project, cand: Candidate, repo: Path, tmp_path: Path, name: str, branch: str
                    ) -> tuple[Path, Path, Path]:
    """cand applied on branch and checked out at tmp_path/wt: vet and gofmt clean, `dce --fail` passes, the
    binary (built with the candidate's tags) under 85 % of HEAD's; (worktree, HEAD's binary, the new one)."""
    target = _target(project, name)
    done = apply(project, cand, branch=branch, verify=False)
    assert done.sha is not None
    wt = tmp_path / "wt"
    git(repo, "worktree", "add", "-q", str(wt), branch)
    go = find_go()
    env = {"GOFLAGS": ""}
    go.run(["vet", "./..."], cwd=wt, env=env)
    fmt = subprocess.run([str(Path(go.path).with_name("gofmt")), "-l", "."], cwd=wt, capture_output=True, text=True)
    assert fmt.stdout == ""
    res = CliRunner().invoke(cli, ["dce", "--fail", "-t", f"./cmd/{name}", str(wt)], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    before, after = tmp_path / "before", tmp_path / "after"
    go.run(["build", "-trimpath", "-o", str(before), f"./cmd/{name}"], cwd=repo, env=env)
    go.run(["build", "-trimpath", "-o", str(after), *target.with_tags(*cand.variant_tags).build_flags(),
            f"./cmd/{name}"], cwd=wt, env=env)
    assert after.stat().st_size < 0.85 * before.stat().st_size
    return wt, before, after


@pytest.mark.go
@pytest.mark.parametrize("name", ["both", "custom", "page"])
def test_applied_candidate_switches_dce_on_and_keeps_the_output(
        looped: tuple[Project, list[Candidate], dict[str, LoopResult]], repo: Path, tmp_path: Path, name: str) -> None:
    project, combined, _ = looped
    (cand,) = [c for c in combined if c.targets == (_target(project, name),)]
    wt, before, after = apply_and_build(project, cand, repo, tmp_path, name, f"dce-{name}")
    try:
        for args in INPUTS[name]:
            assert _run(after, args) == _run(before, args), args
    finally:
        git(repo, "worktree", "remove", "--force", str(wt))
    assert not git(repo, "status", "--porcelain")  # the user's checkout is untouched
    assert os.path.exists(repo / "internal" / "render" / "render.go")


@pytest.mark.go
def test_suggest_names_the_fixes_min_bytes_hides(repo: Path) -> None:
    """The reflect table of cmd/both saves ~0 B alone: it is below --min-bytes, and said so (§6)."""
    res = CliRunner().invoke(cli, ["suggest", "-s", "dce-blockers", "-t", "./cmd/both", str(repo)],
                             catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert "switch method DCE back on in both (2 steps)" in res.stdout
    assert "1 method-DCE fix estimated below --min-bytes" in res.stdout
    assert "reflect method lookup(s) of example.com/templates/internal/lookup" in res.stdout


@pytest.mark.go
def test_a_rerun_reads_its_candidates_back_as_they_were(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """suggest again on the same HEAD reads the facts and the candidates back: no typed view is made,
    the DCE loop is not merged in a second time (cmd/custom's one-step loop replaces its candidate, whose
    estimate before the builds must stay the strategy's), and the report is the same."""
    import json

    import refactor.dceloop
    import refactor.load

    args = ["suggest", "-s", "dce-blockers", "-t", "./cmd/custom", "--json", "-v", str(repo)]
    first = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert first.exit_code == 0, first.output
    assert "Estimated before these builds" in first.stdout

    def again(*args: object, **kwargs: object) -> None:
        raise AssertionError("made again on a rerun")

    monkeypatch.setattr(refactor.load, "_typed_views", again)
    monkeypatch.setattr(refactor.dceloop, "cached_loop", again)
    second = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert second.exit_code == 0, second.output
    assert json.loads(second.stdout) == json.loads(first.stdout)


def test_an_upgrade_is_kept_when_the_blocker_is_left_only_through_other_code() -> None:
    """frp (cobra v1.8.0 -> v1.10.2): the same text/template function stays a blocker, reached from frp's
    own config templates instead of cobra's. The upgrade did its part and is kept; it was reverted as
    "still has it" when only the function was compared."""
    from refactor.config import Target
    from refactor.dceloop import _still_through
    from refactor.linker import Blocker, DceReport, Dumpdep, Dynlink

    eval_field = "text/template.(*state).evalField"

    def report(*chain: str) -> DceReport:
        root = Blocker(symbol=eval_field, chain=(*chain, eval_field), certain=True, retained=False)
        return DceReport(target=Target(main="example.com/frpc", goos="linux", goarch="amd64"),
                         dumpdep=Dumpdep(lines=1, root_cause=root, possible=(), flagged=1),
                         dynlink=Dynlink(plugin_linked=False, cgo=False, platform_supported=True), modules={})

    cobra = "github.com/spf13/cobra"
    through_cobra = report("main.main", f"{cobra}.(*Command).Execute", f"{cobra}.tmpl",
                           "text/template.(*Template).Execute")
    through_frp = report("main.main", "github.com/fatedier/frp/pkg/config.RenderWithTemplate",
                         "text/template.(*Template).Execute")
    assert _still_through(through_cobra, "reflect", eval_field, cobra)
    assert not _still_through(through_frp, "reflect", eval_field, cobra)
    assert not _still_through(through_frp, "reflect", "reflect.Value.MethodByName", cobra)  # another blocker
    assert _still_through(report(), "reflect", eval_field, cobra)  # no chain to tell: still there
