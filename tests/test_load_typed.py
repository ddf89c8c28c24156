import shutil
from pathlib import Path

import pytest

from refactor.config import Settings, TargetSpec
from refactor.load import load
from refactor.project import Needs
from refactor.toolchain import find_go

FIX = Path(__file__).resolve().parent.parent / "fixture_repos" / "split"


@pytest.mark.go
def test_loader_types_the_module_packages_of_each_target(tmp_path: Path) -> None:
    """Needs.TYPED gives each target the typed view of its main-module packages, with the
    declarations the source model knows, keyed alike."""
    root = tmp_path / "split"
    shutil.copytree(FIX, root)
    go = find_go()
    project = load(go, Settings(root=root), (TargetSpec(mains=("./cmd/lite",)),), Needs.WHY | Needs.TYPED)
    (target,) = project.targets
    view = project.typed[target]
    assert view is not None
    util = view.package("example.com/split/internal/util")
    assert util is not None and util.ok
    assert util.decl("Greeting") is not None
    main = view.package("example.com/split/cmd/lite")
    assert main is not None and main.ok
    assert "example.com/split/internal/util" in {o.package for d in main.decls for o in d.uses_objects}


@pytest.mark.go
def test_a_target_that_does_not_list_with_export_data_has_no_view(tmp_path: Path) -> None:
    """Not loading the typed view is not a failure: strategies fall back to names."""
    root = tmp_path / "split"
    shutil.copytree(FIX, root)
    project = load(find_go(), Settings(root=root), (TargetSpec(mains=("./cmd/lite",)),), Needs.WHY)
    assert dict(project.typed) == {}


@pytest.mark.go
def test_with_the_builds_the_view_is_the_same_started_beside_the_attribution(tmp_path: Path) -> None:
    """suggest's load (one -dumpdep build per target) starts each target's typed view once it is built:
    the view is the one a load without builds gets."""
    root = tmp_path / "split"
    shutil.copytree(FIX, root)
    go = find_go()
    spec = (TargetSpec(mains=("./cmd/lite",)),)
    built = load(go, Settings(root=root), spec, Needs.SUGGEST | Needs.TYPED)
    plain = load(go, Settings(root=root), spec, Needs.WHY | Needs.TYPED)
    (target,) = built.targets
    a, b = built.typed[target], plain.typed[target]
    assert a is not None and b is not None and a.packages == b.packages
    assert target in built.dce and target in built.sizes


def test_typed_view_starts_when_the_link_starts(tmp_path: Path) -> None:
    """The typed view's go list -export is started once the -work build's link folder holds its
    importcfg (every package compiled), not before, and never after the build has ended."""
    import threading
    import time

    from refactor.load import _at_link_start

    exe = tmp_path / "bin"
    stream = tmp_path / "bin.dumpdep"
    work = tmp_path / "go-build1"
    started = threading.Event()
    built = threading.Event()
    seen: list[Path] = []

    def at(cfg: Path) -> None:
        seen.append(cfg)
        started.set()

    watcher = threading.Thread(target=_at_link_start, args=(exe, built, at))
    watcher.start()
    time.sleep(0.1)
    stream.write_bytes(f"WORK={work}\n".encode())  # go build has begun: compiling
    time.sleep(0.1)
    assert not started.is_set(), "started before the link"
    (work / "b001").mkdir(parents=True)
    (work / "b001" / "importcfg.link").write_text("packagefile fmt=/x.a\n")
    assert started.wait(5), "not started at the link"
    watcher.join(5)
    assert seen == [work / "b001" / "importcfg.link"]

    late = threading.Event()
    built2 = threading.Event()
    exe2 = tmp_path / "other"
    watcher = threading.Thread(target=_at_link_start, args=(exe2, built2, lambda _cfg: late.set()))
    watcher.start()
    built2.set()  # the build ended (it failed, or its link was never seen)
    watcher.join(5)
    assert not watcher.is_alive() and not late.is_set()


@pytest.mark.go
@pytest.mark.skipif(not hasattr(__import__("os"), "pidfd_open"), reason="the linker's exit is seen on Linux only")
def test_the_attribution_starts_on_the_linkers_output_before_go_moves_it(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """_linked sees the link process exit and hard-links its a.out before go stamps the build ID and
    moves it: the same size as the binary go leaves, attributed alike, and kept under the final file's
    key for size and apply; a build that has ended gives None."""
    import threading

    from refactor.binary import attribute
    from refactor.config import Target
    from refactor.linker import start_link
    from refactor.load import _at_link_start, _linked

    root = tmp_path / "split"
    shutil.copytree(FIX, root)
    go = find_go()
    target = Target(main="./cmd/lite", goos="linux", goarch="amd64")
    exe = tmp_path / "out" / "lite"
    exe.parent.mkdir()
    link = start_link(go, root, target, exe, keep_work=True, dumpdep=False)
    built = threading.Event()
    got: list[Path | None] = []
    watcher = threading.Thread(target=_at_link_start,
                               args=(exe, built, lambda cfg: got.append(_linked(cfg, link.proc, exe, built))))
    watcher.start()
    assert link.proc.wait(120) == 0
    built.set()
    watcher.join(5)
    assert len(got) == 1 and got[0] is not None, "the link's exit was not seen"
    early = got[0]
    assert early.stat().st_size == exe.stat().st_size and early.stat().st_ino == exe.stat().st_ino
    packages = {"example.com/split/cmd/lite": "example.com/split"}
    table = attribute(early, packages, "example.com/split/cmd/lite")
    assert table.packages == attribute(exe, packages, "example.com/split/cmd/lite").packages
    from refactor import binary

    # the linker's output as load attributes it (go's placeholder for the file's digest, the last part
    # of the build ID, not yet stamped: the hard link is the final file by now, so a copy shows it) is
    # the final file's cache entry too
    final = exe.read_bytes()
    stamped = binary.go_build_id(final)
    assert stamped is not None
    placeholder = stamped.rsplit("/", 1)[0] + "/" + stamped.split("/", 1)[0]
    before = tmp_path / "unstamped"
    before.write_bytes(final.replace(stamped.encode(), placeholder.encode()))
    assert binary.go_build_id(before.read_bytes()) == placeholder
    assert binary.attribute_cached(before, packages, "example.com/split/cmd/lite", tmp_path / "cache") == table

    def refused(*_args: object) -> None:
        raise AssertionError("attributed again")

    monkeypatch.setattr(binary, "_attribute", refused)
    assert binary.attribute_cached(exe, packages, "example.com/split/cmd/lite", tmp_path / "cache") == table
    assert _linked(tmp_path / "nowhere" / "importcfg.link", link.proc, exe, threading.Event()) is None  # go exited


@pytest.mark.go
@pytest.mark.parametrize(("fixture", "main"), [("split", "./cmd/lite"), ("templates", "./cmd/both")])
def test_typed_view_from_the_links_archives_equals_go_lists(tmp_path: Path, fixture: str, main: str) -> None:
    """The typed view built on the archives the link reads (listed_from_link) is the one built on go list
    -export's: same answers, same errors; and an importcfg missing a package is refused, not guessed."""
    import subprocess

    from refactor.typed import listed_from_link, load_typed

    root = tmp_path / fixture
    shutil.copytree(FIX.parent / fixture, root)
    go = find_go()
    project = load(go, Settings(root=root), (TargetSpec(mains=(main,)),), Needs.GRAPHS)
    (target,) = project.targets
    graph, module = project.graphs[target], project.module_of(target).dir
    built = subprocess.run(["go", "build", "-work", "-trimpath", "-o", str(tmp_path / "bin"), main], cwd=module,
                           capture_output=True, text=True, env=go.environ(target), check=True)
    work = next(line[5:] for line in built.stderr.splitlines() if line.startswith("WORK="))
    importcfg = (Path(work) / "b001" / "importcfg.link").read_text()
    shutil.rmtree(work, ignore_errors=True)
    wanted = graph.editable_packages()
    listed = listed_from_link(graph, importcfg)
    by_go_list = load_typed(go, module, target, wanted, key_root=project.root)
    by_link = load_typed(go, module, target, wanted, key_root=project.root, listed=listed)
    assert by_link.answers == by_go_list.answers and by_link.list_errors == by_go_list.list_errors
    assert by_link.package(wanted[0]) is not None
    short = "\n".join(line for line in importcfg.splitlines() if not line.startswith("packagefile fmt="))
    with pytest.raises(ValueError, match="fmt"):
        listed_from_link(graph, short)
