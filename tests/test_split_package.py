"""split_package: golden diffs per fixture, refusals, and (marked go) each candidate applied and rebuilt."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from refactor.candidate import Candidate, Refusal
from refactor.config import Settings, TargetSpec
from refactor.load import load
from refactor.project import Project
from refactor.toolchain import find_go
from strategies.split_package import STRATEGY, Direction, SplitDetails
from strategies.split_package import propose as split_propose
from tests.conftest import FIXTURES
from tests.goldens import split_text

pytestmark = pytest.mark.go  # loading a project runs go list and builds each target once


def _load(root: Path, mains: tuple[str, ...], platforms: tuple[tuple[str, str], ...] = (),
          names: dict[str, str] | None = None) -> Project:
    settings = Settings(root=root, new_package_names=names or {})
    return load(find_go(), settings, [TargetSpec(mains=mains, platforms=platforms)], STRATEGY.needs)


def _propose(project: Project) -> tuple[list[Candidate], list[Refusal]]:
    out = list(split_propose(project, project.settings))
    return [c for c in out if isinstance(c, Candidate)], [r for r in out if isinstance(r, Refusal)]


def _go(root: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["go", *args], cwd=root, capture_output=True, text=True,
                          env={**os.environ, "GOTOOLCHAIN": "local", **(env or {})})


def _size(root: Path, main: str, out: Path) -> int:
    proc = _go(root, "build", "-o", str(out), main)
    assert proc.returncode == 0, proc.stderr
    return out.stat().st_size


def test_strategy_is_exported() -> None:
    assert STRATEGY.name == "split-package" and STRATEGY.propose is split_propose


def test_a_main_package_at_the_module_root_is_an_importer_like_any_other(fixture_repo: Callable[[str], Path]
                                                                           ) -> None:
    """node_exporter, hey, yq: the binary's main package is the module's root directory. Its files are
    the split's users (split crashed on node_exporter: it saw none, the index naming the root ".")."""
    root = fixture_repo("split")
    for name in ("main.go", "main_test.go"):
        (root / "cmd/lite" / name).rename(root / name)
    cands, _ = _propose(_load(root, (".",)))
    light = [c for c in cands if isinstance(c.details, SplitDetails) and c.details.direction is Direction.LIGHT]
    assert light, [c.summary for c in cands]
    assert "internal/util/greeting" in light[0].details.new_package
    assert "main.go" in light[0].plan.files()  # the root's main.go is repointed to the new package


def test_the_new_package_is_not_named_twice_after_p(fixture_repo: Callable[[str], Path]) -> None:
    """The file the light part mostly comes from is named after P itself (gotify's database/database.go):
    the new package is P/core, not P/utilutil."""
    root = fixture_repo("split")
    (root / "internal/util/greeting.go").rename(root / "internal/util/util.go")
    cands, _ = _propose(_load(root, ("./cmd/lite",)))
    light = [c for c in cands if isinstance(c.details, SplitDetails) and c.details.direction is Direction.LIGHT]
    assert light and light[0].details.new_package.endswith("internal/util/core"), [c.summary for c in cands]


def test_split_golden(fixture_repo: Callable[[str], Path], golden: Callable[[str, str], None]) -> None:
    root = fixture_repo("split")
    cands, refusals = _propose(_load(root, ("./cmd/lite",)))
    assert cands, "expected candidates on the split fixture"
    top = cands[0]
    assert isinstance(top.details, SplitDetails) and top.details.direction is Direction.LIGHT
    assert "internal/util/greeting" in top.details.new_package
    assert any("util.init (typecheck.go)" in lost for lost in top.details.lost)
    assert top.confidence != "high"  # the init side effect lowers it
    assert any(isinstance(c.details, SplitDetails) and c.details.direction is Direction.HEAVY for c in cands)
    # The light code needs splitlib: cutting that edge is refused and left to the guard strategy.
    assert any("splitlib" in r.summary and "guard" in r.reason for r in refusals)
    golden("split_package/split.diff", split_text(cands, refusals))


def test_new_package_name_override(fixture_repo: Callable[[str], Path]) -> None:
    root = fixture_repo("split")
    project = _load(root, ("./cmd/lite",), names={"example.com/split/internal/util": "lite"})
    cands, _ = _propose(project)
    assert all(isinstance(c.details, SplitDetails) and c.details.new_package == "example.com/split/internal/util/lite"
               for c in cands)


def test_splitcycle_refused_with_references(fixture_repo: Callable[[str], Path],
                                            golden: Callable[[str, str], None]) -> None:
    root = fixture_repo("splitcycle")
    cands, refusals = _propose(_load(root, ("./cmd/lite",)))
    assert cands == []
    reasons = " ".join(r.reason for r in refusals)
    assert "import cycle" in reasons
    for ref in ("core.Name -> core.Default", "core.banner -> core.Service", "core.(*Service).ServeHTTP -> core.Name"):
        assert ref in reasons
    golden("split_package/splitcycle.diff", split_text(cands, refusals))


def test_clean_proposes_nothing(fixture_repo: Callable[[str], Path]) -> None:
    if not (FIXTURES / "clean").is_dir():
        pytest.skip("fixture_repos/clean has not landed yet")
    root = fixture_repo("clean")
    cands, _ = _propose(_load(root, ()))
    assert cands == []


def _applied_builds_and_shrinks(root: Path, cand: Candidate, work: Path, base: dict[str, int], tmp_path: Path
                                ) -> int:
    """Write cand's plan into a copy of root: it builds (linux, windows), vets, is gofmt-clean, lite
    shrinks and loses the cut package, full does not grow. lite's new size."""
    subprocess.run(["cp", "-a", str(root), str(work)], check=True)
    cand.plan.write_to(work)
    for goos in ("linux", "windows"):
        proc = _go(work, "build", "./...", env={"GOOS": goos, "GOARCH": "amd64"})
        assert proc.returncode == 0, f"{cand.summary} ({goos}): {proc.stderr}"
    touched = sorted({"./" + str(Path(p).parent) for p in cand.plan.files()})
    proc = _go(work, "vet", *touched)
    assert proc.returncode == 0, f"{cand.summary}: {proc.stderr}"
    fmt = subprocess.run(["gofmt", "-l", "."], cwd=work, capture_output=True, text=True)
    assert fmt.stdout == "", f"{cand.summary}: not gofmt-clean: {fmt.stdout}"
    lite = _size(work, "./cmd/lite", tmp_path / "lite.bin")
    assert lite < base["./cmd/lite"], cand.summary
    full = _size(work, "./cmd/full", tmp_path / "full.bin")
    assert full <= base["./cmd/full"] * 1.01, cand.summary
    deps = set(_go(work, "list", "-deps", "./cmd/lite").stdout.split())
    assert isinstance(cand.details, SplitDetails)
    q = cand.details.edges[0][1]
    assert q not in deps, f"{cand.summary}: {q} still in lite's deps"
    return lite


def test_split_candidates_build_and_shrink(fixture_repo: Callable[[str], Path], tmp_path: Path) -> None:
    root = fixture_repo("split")
    cands, _ = _propose(_load(root, ("./cmd/lite",)))
    base = {m: _size(root, m, tmp_path / "base.bin") for m in ("./cmd/lite", "./cmd/full")}
    for i, cand in enumerate(cands):
        lite = _applied_builds_and_shrinks(root, cand, tmp_path / f"c{i}", base, tmp_path)
        if i == 0:
            assert lite <= base["./cmd/lite"] * 0.5, f"top candidate removed less than 50 %: {lite}"


# -- splittyped: what only the type-checked view decides (issue 16 §2) ---------------------------------

TYPED = "example.com/splittyped/internal"


def _by_summary(cands: list[Candidate], package: str, direction: Direction) -> Candidate | None:
    return next((c for c in cands if isinstance(c.details, SplitDetails) and c.details.package == package
                 and c.details.direction is direction), None)


def test_splittyped_golden(fixture_repo: Callable[[str], Path], golden: Callable[[str, str], None]) -> None:
    """Fields and methods of the same unexported name on two types no longer refuse a split; a
    literal of a staying type moves the type or refuses at the literal's position; a method reached
    through an interface counts as used."""
    root = fixture_repo("splittyped")
    cands, refusals = _propose(_load(root, ("./cmd/lite",)))
    for c in cands:
        assert isinstance(c.details, SplitDetails) and c.details.resolution == "types"
    for d in (Direction.LIGHT, Direction.HEAVY):
        assert _by_summary(cands, f"{TYPED}/store", d) is not None, d
    assert not any("selects unexported" in r.reason for r in refusals)
    heavy = _by_summary(cands, f"{TYPED}/report", Direction.HEAVY)
    assert heavy is not None and isinstance(heavy.details, SplitDetails)
    assert {"Count (parse.go)", "Stats (title.go)", "Stats.String (title.go)"} <= set(heavy.details.moved)
    assert "internal/report/parse.go:14:15" in heavy.explanation
    assert _by_summary(cands, f"{TYPED}/job", Direction.LIGHT) is None
    assert _by_summary(cands, f"{TYPED}/job", Direction.HEAVY) is None
    job = [r.reason for r in refusals if "/job ->" in r.summary]
    assert len(job) == 2 and all("internal/job/feed.go:17:28" in r and "id" in r for r in job), job
    shape = [r.reason for r in refusals if "/shape ->" in r.summary]
    assert len(shape) == 2 and all("Square.Describe" in r and "guard" in r for r in shape), shape
    golden("split_package/splittyped.diff", split_text(cands, refusals))


def test_splittyped_candidates_build_and_shrink(fixture_repo: Callable[[str], Path], tmp_path: Path) -> None:
    root = fixture_repo("splittyped")
    cands, _ = _propose(_load(root, ("./cmd/lite",)))
    assert len(cands) >= 4
    base = {m: _size(root, m, tmp_path / "base.bin") for m in ("./cmd/lite", "./cmd/full")}
    for i, cand in enumerate(cands):
        _applied_builds_and_shrinks(root, cand, tmp_path / f"c{i}", base, tmp_path)
        proc = _go(tmp_path / f"c{i}", "run", "./cmd/full", "http://127.0.0.1:1", "cmd/lite/main.go")
        assert "declarations per file cmd/lite/main.go:" in proc.stdout, f"{cand.summary}: {proc.stdout}{proc.stderr}"


def test_units_from_shared_model() -> None:
    from refactor.gosource import parse_file

    src = (b"//go:build linux\n\n// Package p is documented.\npackage p\n\nimport (\n\t// fmt doc\n\t\"fmt\"\n)\n\n"
           b"const (\n\tA = iota\n\tB\n)\n\nvar (\n\t// x doc\n\tx = fmt.Sprint(A)\n\ty, z int\n)\n\n"
           b"type T struct{ f int }\n\nfunc (t *T) M(v ...int) { buf := x; _ = buf }\n")
    s = parse_file("p.go", src, {"fmt": "fmt"})
    assert s.header == b"//go:build linux\n\n" and s.constraint is not None and s.constraint.expr == "linux"
    assert s.package == "p"
    assert [(i.path, src[i.start:i.end]) for i in s.import_lines] == [("fmt", b'\t// fmt doc\n\t"fmt"\n')]
    assert [(u.kind, u.names, u.grouped) for u in s.units] == [
        ("const", ("A", "B"), False), ("var", ("x",), True), ("var", ("y", "z"), True),
        ("type", ("T",), False), ("method", ("M",), False)]
    x = s.units[1]
    assert x.text == b"// x doc\nvar x = fmt.Sprint(A)\n" and ("fmt", "Sprint") in x.refs and (None, "A") in x.refs
    m = s.units[4]
    assert m.key == "p.go:T.M" and m.label == "(*T).M" and m.signature is not None
    assert m.signature.params_text == "(v ...int)" and (None, "x") in m.refs and (None, "buf") not in m.refs
    assert s.units[3].fields == {"f"}


def test_new_package_is_imported_renamed_where_a_parameter_shadows_it(tmp_path: Path) -> None:
    """Regression (bench/large cmd/tiny): `func Partition(region string)` forwarding to package region."""
    root = tmp_path / "m"
    files = {
        "go.mod": "module example.com/m\n\ngo 1.22\n",
        "internal/cloud/region.go": (
            "package cloud\n\n// Region is the default region.\nfunc Region() string { return \"eu-west-1\" }\n\n"
            "// Partition names the partition of a region.\nfunc Partition(region string) string {\n"
            "\tif region == \"\" {\n\t\tregion = Region()\n\t}\n\treturn \"aws:\" + region\n}\n"),
        "internal/cloud/fetch.go": (
            "package cloud\n\nimport \"net/http\"\n\n// Fetch gets a URL.\n"
            "func Fetch(url string) (*http.Response, error) { return http.Get(url) }\n"),
        "cmd/tiny/main.go": (
            "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/m/internal/cloud\"\n)\n\n"
            "func main() { fmt.Println(cloud.Partition(\"\")) }\n"),
        "cmd/fetch/main.go": (
            "package main\n\nimport \"example.com/m/internal/cloud\"\n\n"
            "func main() { _, _ = cloud.Fetch(\"http://localhost\") }\n"),
    }
    _applied_cuts_net_http(root, files, "light part")


def test_warm_computes_what_propose_reads(fixture_repo: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
                                          ) -> None:
    from refactor.graph import BuildGraph
    from strategies.split_package import STRATEGY, warm

    root = fixture_repo("split")
    project = _load(root, ("./cmd/lite",))
    cold, _ = _propose(project)
    project = _load(root, ("./cmd/lite",))
    assert STRATEGY.warm is warm
    warm(project)  # suggest runs this while the targets link

    def no_second_computation(*_args: object) -> None:
        raise AssertionError("propose recomputed the dominators warm had computed")

    monkeypatch.setattr(BuildGraph, "_dominator_tree", no_second_computation)
    warmed, _ = _propose(project)
    assert [c.plan.diff() for c in warmed] == [c.plan.diff() for c in cold] and warmed


def test_moved_code_reaches_p_under_a_name_no_local_shadows(tmp_path: Path) -> None:
    """Regressions (node_exporter's collector, `collector := &perfCollector{...}` beside perfCPUsFlag, and
    perf's tests calling canTestPerf): code moved out of P that uses P's names imports P under another
    name where a local bears P's name; a moved test takes the helpers of its file it calls (copied when a
    test that stays calls them too)."""
    files = {
        "go.mod": "module example.com/m\n\ngo 1.22\n",
        "internal/cloud/region.go": (
            "package cloud\n\n// Region is the default region.\nfunc Region() string { return \"eu-west-1\" }\n\n"
            "var defaultURL = \"http://localhost\"\n"),
        "internal/cloud/fetch.go": (
            "package cloud\n\nimport \"net/http\"\n\n// Fetch gets the default URL.\n"
            "func Fetch() (*http.Response, error) {\n\tcloud := defaultURL + \"/\"\n"
            "\treturn http.Get(cloud + Region())\n}\n"),
        # a moved test calls a helper of its file, which a test that stays calls too (canTestPerf)
        "internal/cloud/fetch_test.go": (
            "package cloud\n\nimport \"testing\"\n\nfunc canTest(t *testing.T) { t.Helper() }\n\n"
            "func TestFetch(t *testing.T) {\n\tcanTest(t)\n\t_ = Fetch\n}\n\n"
            "func TestRegion(t *testing.T) {\n\tcanTest(t)\n\t_ = Region()\n}\n"),
        "cmd/tiny/main.go": (
            "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/m/internal/cloud\"\n)\n\n"
            "func main() { fmt.Println(cloud.Region()) }\n"),
        "cmd/fetch/main.go": (
            "package main\n\nimport \"example.com/m/internal/cloud\"\n\n"
            "func main() { _, _ = cloud.Fetch() }\n"),
    }
    _applied_cuts_net_http(tmp_path / "m", files, "heavy part")


def test_a_moved_init_that_registers_with_what_stays_is_refused(tmp_path: Path) -> None:
    """Regression (node_exporter's perf collector: `func init() { registerCollector("perf", ...,
    NewPerfCollector) }`): moving the heavy part with its init would drop the registration from a target
    that keeps P's registry, so node_exporter lost the collector. That split is refused, and says what
    the init reaches (the light part, leaving the init in a package the target no longer imports, alike);
    an init that only sets up moved code still moves."""
    registry = {
        "go.mod": "module example.com/m\n\ngo 1.22\n",
        "internal/cloud/registry.go": (
            "package cloud\n\nimport \"sort\"\n\nvar backends = map[string]func() error{}\n\n"
            "func register(name string, f func() error) { backends[name] = f }\n\n"
            "// Names lists the registered backends.\nfunc Names() []string {\n\tvar out []string\n"
            "\tfor n := range backends {\n\t\tout = append(out, n)\n\t}\n\tsort.Strings(out)\n\treturn out\n}\n"),
        "internal/cloud/fetch.go": (
            "package cloud\n\nimport \"net/http\"\n\nfunc init() { register(\"http\", fetch) }\n\n"
            "func fetch() error {\n\t_, err := http.Get(\"http://localhost\")\n\treturn err\n}\n"),
        "cmd/tiny/main.go": (
            "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/m/internal/cloud\"\n)\n\n"
            "func main() { fmt.Println(cloud.Names()) }\n"),
    }
    root = tmp_path / "registers"
    for rel, text in registry.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    cands, refusals = _propose(_load(root, ("./cmd/tiny",)))
    # neither part moves: the heavy part would take the init along, the light part would leave it behind
    # in a package tiny no longer imports, and either way tiny would print [] where it printed [http]
    assert not cands, [c.summary for c in cands]
    for part in ("heavy part", "light part"):
        why = [r.reason for r in refusals if part in r.summary]
        assert why and "cloud.init (fetch.go) reaches cloud.backends" in why[0], [r.reason for r in refusals]
    # the same init setting up only what moves with it (and calling a standard package with no effect
    # elsewhere): the split is proposed, and it builds and cuts net/http; a moved variable defining a flag
    # is named among what the target no longer runs
    own = {**registry,
           "internal/cloud/fetch.go": (
               "package cloud\n\nimport (\n\t\"flag\"\n\t\"net/http\"\n\t\"time\"\n)\n\nvar client *http.Client\n\n"
               "var retries = flag.Int(\"fetch.retries\", 1, \"attempts per URL\")\n\n"
               "func init() { client = &http.Client{Timeout: 5 * time.Second} }\n\n"
               "// Fetch gets a URL.\nfunc Fetch(url string) (err error) {\n\tfor i := 0; i < *retries; i++ {\n"
               "\t\tif _, err = client.Get(url); err == nil {\n\t\t\treturn nil\n\t\t}\n\t}\n\treturn err\n}\n"),
           "cmd/fetch/main.go": (
               "package main\n\nimport \"example.com/m/internal/cloud\"\n\nfunc main() { _ = cloud.Fetch(\"\") }\n"),
           # tiny parses flags: -fetch.retries was one of them
           "cmd/tiny/main.go": (
               "package main\n\nimport (\n\t\"flag\"\n\t\"fmt\"\n\n\t\"example.com/m/internal/cloud\"\n)\n\n"
               "func main() {\n\tflag.Parse()\n\tfmt.Println(cloud.Names())\n}\n")}
    moved = _applied_cuts_net_http(tmp_path / "own", own, "heavy part")
    assert isinstance(moved.details, SplitDetails)
    assert moved.details.lost == ("cloud.init (fetch.go)", "cloud.retries initializer (fetch.go)"), moved.details.lost


def _applied_cuts_net_http(root: Path, files: dict[str, str], part: str) -> Candidate:
    """Write the module, apply the first split of this part proposed for ./cmd/tiny: it builds, it vets
    (its tests compile), and cmd/tiny no longer imports net/http. Returns that candidate."""
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    cands, _ = _propose(_load(root, ("./cmd/tiny",)))
    chosen = [c for c in cands if part in c.summary]
    assert chosen, [c.summary for c in cands]
    chosen[0].plan.write_to(root)
    proc = _go(root, "build", "./...")
    assert proc.returncode == 0, proc.stderr + chosen[0].plan.diff()
    vet = _go(root, "vet", "./...")
    assert vet.returncode == 0, vet.stderr + chosen[0].plan.diff()
    assert "net/http" not in _go(root, "list", "-deps", "./cmd/tiny").stdout.split()
    return chosen[0]
