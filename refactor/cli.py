"""The gotrim command line: parse arguments, call one function, print. Exit 0 ok, 1 finding, 2 usage."""

from __future__ import annotations

import contextlib
import errno
import functools
import json
import os
import re
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import click

from refactor import __version__
from refactor.candidate import Ahead, Warm
from refactor.config import Settings, TargetSpec, default_cache_dir, specs_from_flags
from refactor.errors import GoError, GotrimError, UsageError
from refactor.load import LoadProgress, effective_specs, load
from refactor.project import Needs, Project
from refactor.table import Table, human_bytes
from refactor.toolchain import find_go

F = TypeVar("F", bound=Callable[..., Any])


class _LazyConsole:
    """A rich Console made on first use: importing rich costs ~30 ms that `--json` runs never need
    (and that would otherwise delay the start of every command's first go build)."""

    def __init__(self, stderr: bool) -> None:
        self._stderr = stderr
        self._console: Any = None

    @property
    def console(self) -> Any:
        """The rich Console itself (for rich objects that take one, such as Progress)."""
        if self._console is None:
            from rich.console import Console

            if self._stderr:
                self._console = Console(stderr=True, highlight=False, soft_wrap=True)
            else:  # a pipe gets wide lines rather than rich's 80 columns, so that import paths never wrap
                self._console = Console(highlight=False, soft_wrap=True,
                                        width=None if sys.stdout.isatty() else 240)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.console, name)


out: Any = _LazyConsole(stderr=False)
err: Any = _LazyConsole(stderr=True)


def escape(text: str) -> str:
    """rich markup escaping (imported when first needed)."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def target_options(f: F, *, file_okay: bool = False) -> F:
    """REPO and the options that choose targets, shared by every command."""
    repo = click.Path(file_okay=file_okay, path_type=Path)
    f = click.argument("repo", type=repo, default=".", required=False)(f)
    return target_flags(f)


def target_flags(f: F) -> F:
    """The options that choose targets."""
    f = click.option("--target", "-t", "mains", multiple=True, metavar="PKG",
                     help="Main package to analyse: a directory relative to REPO (./cmd/NAME, "
                          "./tools/cmd/NAME in a nested module) or an import path; repeatable. Default: "
                          "gotrim.toml, else every main package of every module in REPO (nested modules and "
                          "go.work modules included).")(f)
    f = click.option("--platform", "-p", "platforms", multiple=True, metavar="GOOS/GOARCH",
                     help="Platform to build for; repeatable. Default: the host's.")(f)
    f = click.option("--tags", default=None, metavar="a,b", help="Build tags, comma-separated.")(f)
    f = click.option("--cgo/--no-cgo", default=None, help="Force CGO_ENABLED (default: go's default).")(f)
    return f


def override_options(f: F) -> F:
    """Names a change would otherwise choose itself; give the same ones to suggest and apply."""
    f = click.option("--package-name", "package_names", multiple=True, metavar="PKG=NAME",
                     help="Name of the new package split-package creates next to PKG (import path).")(f)
    f = click.option("--guard-tag", "guard_tags", multiple=True, metavar="DEFAULT=TAG",
                     help="Build tag guard-with-tag uses instead of DEFAULT (its proposed tag or the "
                          "heavy import path).")(f)
    return f


def overrides(package_names: Sequence[str], guard_tags: Sequence[str]) -> dict[str, Any]:
    from refactor.config import parse_assignments, parse_tags

    tags = parse_assignments(guard_tags, "--guard-tag")
    for tag in tags.values():
        parse_tags(tag)
    return {"new_package_names": parse_assignments(package_names, "--package-name"), "guard_tags": tags}


def json_option(f: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(f)


def jobs_option(f: F) -> F:
    return click.option("--jobs", "-j", type=click.IntRange(min=1), default=None, metavar="N",
                        help="Builds (links) at once, sharing one GOCACHE. Default: half the CPUs, within "
                             "4 GiB of memory per link, at least 2.")(f)


def shard_option(f: F) -> F:
    return click.option("--shard", "shard_text", default=None, metavar="I/N",
                        help="Build only shard I of N of the targets and write a part (JSON) for "
                             "`gotrim merge` (docs/sharding.md).")(f)


def _shard(text: str | None) -> Any:
    from refactor.shard import Shard

    return Shard.parse(text) if text is not None else None


def _write_part(doc: Any, output: Path | None) -> None:
    from refactor.shard import write_part

    text = write_part(doc, output)
    if text is not None:
        sys.stdout.write(text)
    else:
        err.print(f"wrote {escape(str(output))}")


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="gotrim")
@click.option("--debug", is_flag=True, help="Show tracebacks and go commands on errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Find heavy dependencies that Go binaries pull in without need, propose the refactors that
    cut them (package split, build-tag guard, method-DCE blockers), apply them on a git branch and
    measure the bytes saved.

    \b
    Start with:  gotrim suggest            ranked candidates for every main package
                 gotrim apply ID --dry-run the diff of one candidate
                 gotrim apply ID           a new branch with that change, verified
    """
    ctx.obj = {"debug": debug}


def _project(repo: Path, mains: Sequence[str], platforms: Sequence[str], tags: str | None,
             cgo: bool | None, needs: Needs, *, warm: Sequence[Warm] = (), ahead: Sequence[Ahead] = (),
             progress: LoadProgress | None = None, reuse: bool = False, remember: bool = False,
             settled: Callable[[Project], bool] | None = None, **settings: Any) -> Project:
    go, s, specs = _setup(repo, mains, platforms, tags, cgo, **settings)
    try:
        return load(go, s, specs, needs, warm=warm, ahead=ahead, progress=progress, reuse=reuse, remember=remember,
                    settled=settled)
    except GoError as exc:
        if "error obtaining VCS status" not in exc.stderr:
            raise
        # go stamps builds with the repository's git status: it fails where git refuses the repository
        from refactor.gitstate import unsafe_repository

        probe = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=s.root, capture_output=True, text=True)
        refused = unsafe_repository(probe.stderr)
        if refused is None:
            raise
        raise UsageError(f"{refused}; or build without VCS stamping: GOFLAGS=-buildvcs=false") from exc


def _setup(repo: Path, mains: Sequence[str], platforms: Sequence[str], tags: str | None, cgo: bool | None,
           **settings: Any) -> tuple[Any, Settings, tuple[TargetSpec, ...]]:
    """The toolchain, the run's Settings and the target specs (flags, else gotrim.toml); first sweeps
    what killed gotrim runs left in the repository."""
    sweep(repo)
    go = find_go()
    s = Settings(root=repo.resolve(), cache_dir=default_cache_dir(), **settings)
    flag_spec: TargetSpec | None = specs_from_flags(mains, platforms, tags, cgo)
    return go, s, effective_specs(s, flag_spec)


def sweep(repo: Path) -> None:
    """Remove the scratch worktrees killed gotrim runs left registered in repo's repository (the
    first thing of every command that reads a repository; refactor.scratch)."""
    from refactor.scratch import sweep_worktrees

    if repo.is_dir():
        sweep_worktrees(repo)


@cli.command()
@click.argument("package")
@target_options
@json_option
def why(package: str, repo: Path, mains: tuple[str, ...], platforms: tuple[str, ...], tags: str | None,
        cgo: bool | None, as_json: bool) -> None:
    """Every shortest import chain from each binary's main package to PACKAGE.

    Hops inside the main module show the file:line of the import spec. PACKAGE may be an import
    path or a unique suffix of one (`http` matches net/http when nothing else ends so).
    """
    from refactor.why import why_table

    project = _project(repo, mains, platforms, tags, cgo, Needs.WHY)
    emit(why_table(project, package), as_json)


@cli.command()
@functools.partial(target_options, file_okay=True)
@json_option
@click.option("--by", type=click.Choice(["package", "module", "section"]), default="package",
              show_default=True, help="Group bytes by package, module or ELF section.")
@click.option("--top", "top", type=click.IntRange(min=1), default=25, show_default=True, help="Rows to show.")
@jobs_option
@shard_option
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="With --shard: write the part to FILE instead of stdout.")
def size(repo: Path, mains: tuple[str, ...], platforms: tuple[str, ...], tags: str | None, cgo: bool | None,
         as_json: bool, by: str, top: int, jobs: int | None, shard_text: str | None, output: Path | None) -> None:
    """Bytes of each built binary per package, module or section; or of one shipped BINARY.

    Builds every target (with -trimpath; several at once, from before go list has answered) and
    attributes the file's bytes from the symbol table, the pclntab and the type data. What cannot
    be attributed is shown as such, never hidden. Each target's last build is kept (builds/ in
    $GOTRIM_CACHE_DIR, else ~/.cache/gotrim), so unchanged code is not linked again.

    Given a Go binary instead of a repository, reads the build settings Go recorded in it
    (`go version -m`: GOOS, GOARCH, -tags, CGO_ENABLED, -trimpath, -ldflags) and attributes it
    without a build graph (packages from its symbol names).
    """
    if repo.is_file():
        if mains or platforms or tags is not None or cgo is not None:
            raise UsageError("--target/--platform/--tags/--cgo choose what to build; a binary was built "
                             "already: give it alone")
        if shard_text is not None:
            raise UsageError("--shard splits the targets of a repository; a binary is one: give it alone")
        return _size_binary(repo, as_json, by, top)
    shard = _shard(shard_text)
    if output is not None and shard is None:
        raise UsageError("--output goes with --shard (the part's file); without it, redirect stdout")
    if shard is not None:
        from refactor.shard import Run, facts_part

        go, s, specs = _setup(repo, mains, platforms, tags, cgo, jobs=jobs)
        with load_progress(False) as progress:
            doc = facts_part(go, s, specs, Needs.SIZE, Run("size", shard, s.root,
                                                             {"json": as_json, "by": by, "top": top}),
                             progress, graphs=False)
        _write_part(doc, output)
        return None
    with load_progress(as_json) as progress:  # the loader starts linking before go list has answered
        project = _project(repo, mains, platforms, tags, cgo, Needs.SIZE, progress=progress, jobs=jobs)
    print_sizes(project.targets, project.sizes, {t: project.go_of(t).version_text for t in project.targets},
                as_json=as_json, by=by, top=top)
    return None


def print_sizes(targets: Sequence[Any], sizes: Any, versions: Mapping[Any, str], *, as_json: bool, by: str,
                top: int) -> None:
    """size's output: one table (or JSON document) per target, in target order, naming the go version
    that built each."""
    from refactor.binary import size_table

    tables = [(t, replace(size_table(sizes[t], top=top, by=by),
                          title=f"{t.label}: bytes by {by} (built with {versions[t]})"))
              for t in targets]
    if as_json:
        docs = [{"target": t.label, "main": t.main, "goos": t.goos, "goarch": t.goarch, "tags": list(t.tags),
                 "cgo": t.cgo, "go_version": versions[t], **table.json_data()}
                for t, table in tables]
        sys.stdout.write(json.dumps(docs, indent=2) + "\n")
    else:
        for _, table in tables:
            emit(table, False)


def _size_binary(exe: Path, as_json: bool, by: str, top: int) -> None:
    from refactor.binary import size_table
    from refactor.buildinfo import attribute_file, read_buildinfo

    go = find_go()
    info = read_buildinfo(go, exe)
    table = attribute_file(go, exe, info, default_cache_dir())
    found = info.found()
    target = info.target()
    shown = size_table(table, top=top, by=by)
    if as_json:
        doc = {"binary": str(exe), "build_settings": found, "settings": dict(info.settings),
               "modules": info.modules(), "target": {"label": target.label, "main": target.main,
                                                     "goos": target.goos, "goarch": target.goarch,
                                                     "tags": list(target.tags), "cgo": target.cgo},
               **shown.json_data()}
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
        return
    from refactor.table import Column, Table

    rows = [{"setting": k, "value": v} for k, v in found.items()]
    emit(Table(title=f"{exe.name}: build settings found (go version -m)",
               columns=[Column("setting", "setting"), Column("value", "value")], rows=rows), False)
    emit(replace(shown, title=f"{target.label}: bytes by {by} (packages from symbol names, no build graph)"),
         False)


@cli.command()
@target_options
@json_option
@click.option("--fail", is_flag=True, help="Exit with status 1 when a blocker is found (for CI).")
@click.option("--all", "all_blockers", is_flag=True,
              help="Every blocker, not just the first: fix each in a scratch git worktree, rebuild, repeat.")
@jobs_option
def dce(repo: Path, mains: tuple[str, ...], platforms: tuple[str, ...], tags: str | None, cgo: bool | None,
        as_json: bool, fail: bool, all_blockers: bool, jobs: int | None) -> int:
    """What switches off the linker's method dead-code elimination in each binary.

    Builds each target with -ldflags=-dumpdep and reports the first function marked
    <ReflectMethod> (reflect Method/MethodByName with a non-constant name, as text/template
    does) with its call chain, and whether `plugin` is linked with cgo (dynamic-linking mode, which
    keeps every method of every type), with the import chain that brings it in.

    The linker names only the first blocker with certainty. --all fixes it (as `gotrim suggest`
    would) in a scratch git worktree, rebuilds, and repeats until method DCE is on or a blocker has
    no fix: every blocker is listed, with the bytes each fix measured. Your checkout is not touched.
    """
    from refactor.dce import dce_report

    needs = Needs.DCE_REPORT | Needs.TYPED if all_blockers else Needs.DCE_REPORT
    if all_blockers:
        from refactor.workspace import require_repo

        require_repo(repo.resolve())  # before any build: --all works in a scratch git worktree
    with load_progress(as_json) as progress:
        project = _project(repo, mains, platforms, tags, cgo, needs, progress=progress, remember=all_blockers,
                           jobs=jobs)
    loops = None
    if all_blockers:
        from refactor.dceloop import cached_loop

        say = progress_for(as_json)
        loops = {t: cached_loop(project, t, progress=say) for t in project.targets if not project.dce[t].method_dce}
    table, found = dce_report(project, loops)
    emit(table, as_json)
    return 1 if (fail and found) else 0


def review_options(f: F) -> F:
    """--format/--json/--output of check and diff."""
    f = click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown", "html"]), default="text",
                     show_default=True, help="Output format (markdown: a pull-request comment).")(f)
    f = json_option(f)
    f = click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
                     help="Write the report to FILE instead of stdout.")(f)
    f = click.option("--max-chars", type=click.IntRange(min=1000), default=65_536, show_default=True,
                     help="Markdown: at most this many characters (GitHub's comment limit); the smallest "
                          "changes are counted instead of listed.")(f)
    return f


def check_output(output: Path | None) -> None:
    """UsageError, before any build, unless the report can be written to output (-o)."""
    if output is None:
        return
    folder = output.parent if str(output.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"cannot write {output}: directory {folder} does not exist; create it or choose "
                         "another -o")
    if output.is_dir():
        raise UsageError(f"cannot write {output}: it is a directory; give a file name with -o")
    if not os.access(folder, os.W_OK) or (output.exists() and not os.access(output, os.W_OK)):
        raise UsageError(f"cannot write {output}: permission denied; choose another -o")


def _write_report(text: str, output: Path | None) -> None:
    if output:
        output.write_text(text, encoding="utf-8")
        err.print(f"wrote {escape(str(output))}")
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


@cli.command()
@target_options
@click.option("--update", is_flag=True,
              help="Write gotrim.lock from this build (commit it); budgets that need no lock are still checked.")
@review_options
@jobs_option
@shard_option
def check(repo: Path, mains: tuple[str, ...], platforms: tuple[str, ...], tags: str | None, cgo: bool | None,
          update: bool, fmt: str, as_json: bool, output: Path | None, max_chars: int, jobs: int | None,
          shard_text: str | None) -> int:
    """CI gate: each binary against gotrim.lock and the budgets of gotrim.toml.

    Builds every target (one -dumpdep build each) and compares it with its entry in gotrim.lock:
    packages, bytes per module, method DCE, go version. Fails (exit 1) on each broken budget
    (max_bytes, max_growth, forbid, dce = "on") and, unless drift = "report", on any package,
    DCE, go.mod or module-version change the lock does not record, each with its cause. Byte
    noise within the tolerances never fails. Exit 2 on bad input (no lock: `--update` makes one).
    """
    from refactor import review
    from refactor.budget import load_budgets
    from refactor.check import run_check
    from refactor.facts import FACTS
    from refactor.lockfile import lock_path, read_lock

    fmt = "json" if as_json else fmt
    shard = _shard(shard_text)
    check_output(output)
    root = repo.resolve()
    if update and root.is_dir() and not os.access(root, os.W_OK):
        raise UsageError(f"cannot write gotrim.lock in {root}: the directory is read-only; run --update in a "
                         "writable checkout (check without --update only reads)")
    budgets = load_budgets(root)  # bad budgets and a missing lock fail before any build
    lock = None if update else read_lock(lock_path(root))
    flags = specs_from_flags(mains, platforms, tags, cgo) is not None
    quiet = fmt != "text" and output is None
    if shard is not None:  # the lock is compared (and, with --update, written) by `gotrim merge`
        from refactor.shard import Run, facts_part

        go, s, specs = _setup(repo, mains, platforms, tags, cgo, jobs=jobs)
        options = {"update": update, "keep_others": flags, "format": fmt, "max_chars": max_chars}
        with load_progress(False) as progress:
            doc = facts_part(go, s, specs, FACTS, Run("check", shard, s.root, options), progress)
        _write_part(doc, output)
        return 0
    with load_progress(quiet) as progress:
        project = _project(repo, mains, platforms, tags, cgo, FACTS, progress=progress, jobs=jobs)
    result = run_check(project, root, lock, budgets, update=update, keep_others=flags)
    if update:
        err.print(f"wrote {escape(str(lock_path(root)))} ({len(result.changes)} target(s)); commit it")
    _write_report(review.render(review.check_view(result), fmt, limit=max_chars), output)
    return 0 if result.ok else 1


@cli.command()
@click.argument("base")
@click.argument("head", required=False)
@click.option("--repo", "-C", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="The repository (or module directory inside it).")
@click.option("--merge-base", "use_merge_base", is_flag=True,
              help="Compare HEAD with its merge base with BASE (what a branch changes, whatever BASE did since).")
@target_flags
@review_options
@jobs_option
@shard_option
def diff(base: str, head: str | None, repo: Path, use_merge_base: bool, mains: tuple[str, ...],
         platforms: tuple[str, ...], tags: str | None, cgo: bool | None, fmt: str, as_json: bool,
         output: Path | None, max_chars: int, jobs: int | None, shard_text: str | None) -> int:
    """What changed in each binary between BASE and HEAD, and why.

    BASE and HEAD are commits (branches, tags, origin/main...); without HEAD, the working tree
    with its uncommitted changes. Both are built in scratch git worktrees for every target and
    platform (your checkout, index, branches and stash are not touched). Shows the bytes per
    package and module, and the causes: new and removed import edges with their chain and the
    file:line of the import, method-DCE flips with the blocker's chain, plugin linked or gone,
    go.mod go/toolchain and module version changes.

    BASE and HEAD may also be two built binaries (OLD NEW): the byte part only, from their
    symbols and build information.
    """
    from refactor import review
    from refactor.diff import diff_binaries, diff_commits

    fmt = "json" if as_json else fmt
    quiet = fmt != "text" and output is None
    shard = _shard(shard_text)
    check_output(output)
    sweep(repo)
    go = find_go()
    if Path(base).is_file() or (head is not None and Path(head).is_file()):
        if shard is not None:
            raise UsageError("--shard splits the targets of two commits; two binaries are compared at once")
        if head is None or not (Path(base).is_file() and Path(head).is_file()):
            raise UsageError("give two binaries (gotrim diff OLD_BINARY NEW_BINARY) or two commits")
        if mains or platforms or tags is not None or cgo is not None:
            raise UsageError("--target/--platform/--tags/--cgo choose what to build; two binaries were built "
                             "already: give them alone")
        result = diff_binaries(go, Path(base), Path(head), default_cache_dir())
    elif shard is not None:
        from refactor.shard import diff_part

        options = {"format": fmt, "max_chars": max_chars, "base": base, "head": head,
                   "merge_base": use_merge_base}
        doc = diff_part(go, repo, base, head, specs_from_flags(mains, platforms, tags, cgo), default_cache_dir(),
                        shard, options, use_merge_base=use_merge_base, jobs=jobs)
        _write_part(doc, output)
        return 0
    else:
        flag_spec = specs_from_flags(mains, platforms, tags, cgo)
        result = diff_commits(go, repo, base, head, flag_spec, default_cache_dir(), progress_for(quiet),
                              use_merge_base=use_merge_base, jobs=jobs)
    _write_report(review.render(review.diff_view(result), fmt, limit=max_chars), output)
    return 0


@cli.command()
@target_options
@click.option("--strategy", "-s", "strategy_names", multiple=True, metavar="NAME",
              help="Run only this strategy (split-package, guard-with-tag, dce-blockers); repeatable.")
@click.option("--min-bytes", type=click.IntRange(min=0), default=16384, show_default=True,
              help="Hide candidates estimated below this many bytes.")
@click.option("--top", type=click.IntRange(min=1), default=None, help="Show (and measure) only the first N.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "markdown", "html"]), default="table",
              show_default=True, help="Output format.")
@json_option
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the report to FILE instead of stdout.")
@click.option("--verbose", "-v", is_flag=True, help="Also print each candidate's explanation and refusals.")
@click.option("--measure", is_flag=True,
              help="Verify and measure each shown candidate in a scratch git worktree (builds every platform).")
@click.option("--test", "run_tests", is_flag=True, help="With --measure, also run go test on touched packages.")
@click.option("--no-cache", is_flag=True,
              help="Recompute even when this HEAD and configuration are cached. What is kept by the build's own "
                   "inputs is still reused (a binary go finds up to date is not linked again, and its sizes and "
                   "reachability model are read back); remove the cache folder (GOTRIM_CACHE_DIR) to start over.")
@click.option("--combine", is_flag=True,
              help="Also show the shown candidates together as one more row (estimated as one cut: savings "
                   "do not add); with --measure it is measured too.")
@override_options
@jobs_option
@shard_option
@click.option("--candidates", "candidates_file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              default=None, metavar="FILE",
              help="With --measure --shard: the merged facts (`gotrim merge --combined FILE`) whose candidates "
                   "the shards measure, without building anything else.")
def suggest(repo: Path, mains: tuple[str, ...], platforms: tuple[str, ...], tags: str | None, cgo: bool | None,
            strategy_names: tuple[str, ...], min_bytes: int, top: int | None, fmt: str, as_json: bool,
            output: Path | None, verbose: bool, measure: bool, run_tests: bool, no_cache: bool,
            package_names: tuple[str, ...], guard_tags: tuple[str, ...], jobs: int | None,
            shard_text: str | None, candidates_file: Path | None, combine: bool = False) -> int:
    """Ranked candidates that cut bytes from each binary, with estimates and reasons.

    Runs every strategy for every target (see --help of the root command), merges the same change
    proposed for several targets, and ranks by estimated bytes. Ids are stable for the same HEAD
    and configuration; pass one to `gotrim apply`.
    """
    from refactor.suggest import filtered, remember_listed, strategies_later

    fmt = "json" if as_json else fmt
    quiet = fmt != "table" and output is None
    strategies, needs, warm, ahead = strategies_later(strategy_names)
    check_output(output)
    shard = _shard(shard_text)
    if candidates_file is not None and (shard is None or not measure):
        raise UsageError("--candidates goes with --measure --shard I/N (the measuring stage, docs/sharding.md)")
    if shard is not None:
        return _suggest_shard(repo, mains, platforms, tags, cgo, strategies, shard, candidates_file, output,
                              measure=measure, run_tests=run_tests, jobs=jobs,
                              options={"min_bytes": min_bytes, "top": top, "format": fmt, "verbose": verbose},
                              settings=overrides(package_names, guard_tags))
    if measure:  # before any build: --measure needs a repository with a commit
        from refactor.workspace import require_repo

        require_repo(repo.resolve())
    project, found = _analysed(repo, mains, platforms, tags, cgo, strategies, needs, warm, ahead, quiet=quiet,
                               reuse=not no_cache, jobs=jobs, **overrides(package_names, guard_tags))
    remember_listed(project, found, {"mains": list(mains), "platforms": list(platforms), "tags": tags, "cgo": cgo,
                                     "package_names": list(package_names), "guard_tags": list(guard_tags),
                                     "strategy_names": list(strategy_names)})
    shown = filtered(found, min_bytes, top)
    if combine:
        from refactor.combine import combined

        row = combined(project, shown)
        if isinstance(row, str):
            err.print(f"--combine: {escape(row)}")
        else:
            shown = [*shown, row]
    measurements = _measure_all(project, shown, run_tests, quiet) if measure else {}
    return print_suggestions(project, found, shown, measurements, fmt=fmt, output=output, verbose=verbose,
                             min_bytes=min_bytes)


def _suggest_shard(repo: Path, mains: Sequence[str], platforms: Sequence[str], tags: str | None, cgo: bool | None,
                   strategies: Sequence[Any], shard: Any, candidates_file: Path | None, output: Path | None, *,
                   measure: bool, run_tests: bool, jobs: int | None, options: dict[str, Any],
                   settings: dict[str, Any]) -> int:
    """suggest --shard I/N: the facts of a shard's targets, or (--measure --candidates) the
    measurements of its share of the merged candidates; a part either way."""
    from refactor.shard import Run, facts_part, measure_part, suggest_options

    go, s, specs = _setup(repo, mains, platforms, tags, cgo, jobs=jobs, **settings)
    recorded = suggest_options(strategies, s, options["min_bytes"], options["top"], options["format"],
                               options["verbose"])
    if not measure:
        with load_progress(False) as progress:
            doc = facts_part(go, s, specs, Needs.SUGGEST, Run("suggest", shard, s.root, recorded), progress)
    elif candidates_file is None:
        raise UsageError("--measure --shard measures the candidates of the whole matrix: first merge the "
                         "unmeasured shards (gotrim merge --combined FACTS.json PART.json...), then give "
                         "each measuring shard --candidates FACTS.json (docs/sharding.md)")
    else:
        try:
            facts = json.loads(candidates_file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise UsageError(f"--candidates {candidates_file}: not a JSON file ({exc})") from exc
        if not isinstance(facts, dict):
            raise UsageError(f"--candidates {candidates_file}: not a gotrim shard part")
        doc = measure_part(go, s, specs, shard, facts, recorded, run_tests,
                           lambda project, cs: _measure_all(project, cs, run_tests, False), progress_for(False))
    _write_part(doc, output)
    return 0


def print_suggestions(project: Project, found: Any, shown: Sequence[Any], measurements: dict[str, Any], *,
                      fmt: str, output: Path | None, verbose: bool, min_bytes: int = 0) -> int:
    """suggest's output in one format (table, json, markdown, html); 1 when a measured candidate failed.
    A method-DCE fix below min_bytes is named, never hidden silently."""
    from refactor import report

    if fmt == "table":
        if shown:
            emit(report.candidate_table(project, shown, measurements), False)
        hidden = [c for c in found.candidates if c.strategy == "dce-blockers" and c.estimated_bytes < min_bytes]
        if hidden:
            out.print(f"{len(hidden)} method-DCE fix{'es' if len(hidden) != 1 else ''} estimated below --min-bytes "
                      f"{min_bytes} (a fix saves little alone while another blocker remains): "
                      + "; ".join(f"{c.id} {c.summary} (~{human_bytes(c.estimated_bytes)})" for c in hidden)
                      + ". --min-bytes 0 lists them.", markup=False)
        if verbose:
            for line in report.explanations(shown, found.refusals, measurements):
                out.print(line, markup=False)
        if not shown and found.refusals and not verbose:
            n = len(found.refusals)
            out.print(f"no candidates; {n} change{'s' if n != 1 else ''} considered and refused: -v says why")
        elif not shown and not found.refusals:
            out.print("no candidates: nothing heavy is pulled in without need (or try --min-bytes 0 -v)")
        elif not shown:
            n = len(found.refusals)
            out.print(f"no candidates; the {n} change{'s' if n != 1 else ''} above {'were' if n != 1 else 'was'} "
                      "refused")
        text = None
    else:
        text = report.render_suggestions(project, found, shown, measurements, fmt=fmt, verbose=verbose)
    if text is not None:
        if output:
            output.write_text(text, encoding="utf-8")
            err.print(f"wrote {output}")
        else:
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
    failed = [m for m in measurements.values() if not m.ok]
    return 1 if failed else 0


def _analysed(repo: Path, mains: Sequence[str], platforms: Sequence[str], tags: str | None, cgo: bool | None,
              strategies: Sequence[Any], needs: Needs, warm: Sequence[Warm], ahead: Sequence[Ahead], *, quiet: bool,
              reuse: bool, jobs: int | None, **names: Any) -> tuple[Project, Any]:
    """The loaded project and what the strategies suggest on it, with the DCE loop's candidates
    (suggest and apply). With reuse, a HEAD and configuration analysed before are read back: the
    facts from the loader's cache, the candidates from suggest's; the typed views, which only the
    strategies read, are then not made (4 s of a rerun on nats-server)."""
    from refactor.suggest import load_cached, suggestions

    kept = []

    def settled(stage: Project) -> bool:
        found = load_cached(stage, strategies)
        if found is None or not (found.looped or not _loops(strategies)):
            return False  # (the DCE loop's choice of targets reads the typed view)
        kept.append(found)
        return True

    with load_progress(quiet) as progress:
        project = _project(repo, mains, platforms, tags, cgo, needs, warm=warm, ahead=ahead, progress=progress,
                           reuse=reuse, remember=True, jobs=jobs, settled=settled if reuse else None, **names)
    found = kept[0] if kept else suggestions(project, strategies, progress_for(quiet), use_cache=reuse)
    return project, _with_dce_loops(project, strategies, found, progress_for(quiet))


def _loops(strategies: Sequence[Any]) -> bool:
    return any(s.name == "dce-blockers" for s in strategies)


def _with_dce_loops(project: Project, strategies: Sequence[Any], found: Any, say: Callable[[str], None]) -> Any:
    """Suggestions with dce-blockers' combined candidates: for each target whose first method-DCE blocker
    has a fix, the DCE loop fixes every blocker in a scratch worktree (refactor.dceloop; remembered).
    Suggestions read back with their loops in are returned as they are."""
    from refactor.dceloop import with_loops
    from refactor.suggest import save, with_loop_candidates

    if not _loops(strategies) or found.looped:
        return found
    extra, _ = with_loops(project, found.candidates, progress=say)
    new = replace(with_loop_candidates(found, extra), looped=True)
    save(project, strategies, new)
    return new


def _measure_all(project: Project, candidates: Sequence[Any], run_tests: bool, quiet: bool) -> dict[str, Any]:
    from refactor.measure import verify_and_measure
    from refactor.workspace import open_workspace, require_repo

    state = require_repo(project.root)
    results = {}
    # a bar on a terminal; elsewhere (CI logs) one line per step, so a long measure is not silent
    with open_workspace(state) as ws, targets_progress(len(candidates), quiet) as (say, done):
        for c in candidates:
            ws.reset()

            def step(msg: str, c: Any = c) -> None:
                say(f"{c.id}: {msg}")
            results[c.id] = verify_and_measure(project, ws, c, test=run_tests, progress=step)
            done()
    return results


@cli.command()
@click.argument("candidate_id", metavar="ID")
@target_options
@click.option("--strategy", "-s", "strategy_names", multiple=True, metavar="NAME", hidden=True)
@click.option("--dry-run", is_flag=True, help="Print the unified diff; write nothing.")
@click.option("--branch", default=None, metavar="NAME", help="Branch to create (default gotrim/<strategy>/<id>).")
@click.option("--no-verify", is_flag=True, help="Commit without building, vetting and measuring first.")
@click.option("--skip-hooks", is_flag=True,
              help="Commit without running the repository's commit hooks (they run by default, as git commit "
                   "runs them).")
@click.option("--allow-dirty", is_flag=True,
              help="Apply even when uncommitted changes touch the plan's files: the change is then computed on "
                   "HEAD, and your edits stay in your working tree (not in the commit).")
@click.option("--worktree", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Keep the worktree at PATH for inspection (default: a temporary one, removed).")
@click.option("--test", "run_tests", is_flag=True, help="Also run go test on the touched packages.")
@override_options
@jobs_option
def apply(candidate_id: str, repo: Path, mains: tuple[str, ...], platforms: tuple[str, ...], tags: str | None,
          cgo: bool | None, strategy_names: tuple[str, ...], dry_run: bool, branch: str | None,
          no_verify: bool, skip_hooks: bool, allow_dirty: bool, worktree: Path | None, run_tests: bool,
          package_names: tuple[str, ...], guard_tags: tuple[str, ...], jobs: int | None) -> int:
    """Apply candidate ID on a new branch, verified and measured; your checkout is not touched.

    The change is written into a scratch git worktree of HEAD, checked (gofmt, go build ./... for
    every configured platform, go vet, a rebuild of each target) and committed with the measured
    bytes in the message, as `git commit` would (your identity, the repository's commit hooks). Only
    then is the branch created. Without target options, apply uses the ones `gotrim suggest` listed
    the id with, so that the id means the change suggest showed.
    """
    from refactor.apply import apply as apply_candidate
    from refactor.apply import branch_name, check_branch, check_default_branches, dirty_plan_files
    from refactor.suggest import find, recall_listed, same_change, strategies_later

    sweep(repo)
    cid = candidate_id.strip()
    if not re.fullmatch(r"[0-9a-fA-F]{1,40}", cid):
        raise UsageError(f"{candidate_id!r} is not a candidate id: give one that `gotrim suggest` lists "
                         "(7 hexadecimal digits, or the first few)")
    root = repo.resolve()
    given = {"mains": list(mains), "platforms": list(platforms), "tags": tags, "cgo": cgo,
             "package_names": list(package_names), "guard_tags": list(guard_tags),
             "strategy_names": list(strategy_names)}
    recorded = recall_listed(root, cid) if root.is_dir() else None
    if recorded is not None:  # options not given are those suggest listed the id with
        from refactor.suggest import options_text

        opts = recorded.get("options") or {}
        taken: dict[str, Any] = {}
        for keys in (("mains", "platforms", "tags", "cgo", "strategy_names"), ("package_names", "guard_tags")):
            if all(given[k] in (None, []) for k in keys):  # targets, and names, are taken as a whole
                taken.update({k: opts[k] for k in keys if opts.get(k) not in (None, [], "")})
        if taken:
            err.print(f"[dim]{escape(cid)}: using the options `gotrim suggest` listed it with: "
                      f"{escape(options_text(taken))}[/dim]")
            mains, platforms = tuple(taken.get("mains") or mains), tuple(taken.get("platforms") or platforms)
            tags, cgo = taken.get("tags", tags), taken.get("cgo", cgo)
            package_names = tuple(taken.get("package_names") or package_names)
            guard_tags = tuple(taken.get("guard_tags") or guard_tags)
            strategy_names = tuple(taken.get("strategy_names") or strategy_names)
    strategies, needs, warm, ahead = strategies_later(strategy_names)
    if not dry_run:  # what can be told before any build
        if recorded is not None and not allow_dirty:  # the files of the change suggest listed
            from refactor.workspace import require_repo

            dirty = sorted(set(recorded.get("files") or ()) & require_repo(root).dirty_files)
            if dirty:
                raise UsageError(f"uncommitted changes touch {', '.join(dirty)}: commit or stash them, or pass "
                                 "--allow-dirty to compute the change on HEAD (your edits then stay in your "
                                 "working tree)")
        if branch is not None:
            check_branch(root, branch)
        else:
            check_default_branches(root, cid, [s.name for s in strategies])
        if worktree is not None and worktree.exists() and any(worktree.iterdir()):
            raise UsageError(f"{worktree} exists and is not empty: choose another --worktree path")
    say = progress_for(False)
    options = {"mains": mains, "platforms": platforms, "tags": tags, "cgo": cgo,
               "package_names": package_names, "guard_tags": guard_tags}

    def analyse(at: Path) -> tuple[Project, Any]:
        project, listed = _analysed(at, mains, platforms, tags, cgo, strategies, needs, warm, ahead, quiet=False,
                                    reuse=True, jobs=jobs, **overrides(package_names, guard_tags))
        try:
            candidate = find(listed, cid)
        except UsageError as exc:
            if recorded is None:
                raise
            from refactor.suggest import options_text

            was = f"{cid} was listed by `gotrim suggest {options_text(recorded.get('options') or {})}`"
            summary = recorded.get("summary", "")
            # the same change refused now (a rule this gotrim has; a candidate's summary may go on with
            # what the slim build loses)
            refused = next((r for r in listed.refusals if r.strategy == recorded.get("strategy")
                            and (summary == r.summary or summary.startswith(f"{r.summary}; "))), None)
            if refused is not None:
                raise UsageError(f"{was} ({summary}); it is refused now: {refused.reason}") from exc
            raise UsageError(f"{was} ({summary}); with {options_text(given)} there is no such candidate now: "
                             "give apply the options given to suggest (or none), or run `gotrim suggest` "
                             "again") from exc
        renamed = (sorted(package_names), sorted(guard_tags)) != (
            sorted((recorded or {}).get("options", {}).get("package_names") or ()),
            sorted((recorded or {}).get("options", {}).get("guard_tags") or ()))
        if recorded is not None and not renamed and not same_change(recorded, candidate):
            # (names given with --package-name/--guard-tag change the change on purpose)
            from refactor.suggest import options_text

            raise UsageError(f"{cid} names another change with {options_text(options)} than the one `gotrim "
                             f"suggest {options_text(recorded.get('options') or {})}` listed "
                             f"({recorded.get('summary', '')}; here: {candidate.summary}): give apply the "
                             "options given to suggest (or none)")
        return project, candidate

    from refactor.gitstate import repo_state

    state = repo_state(root) if allow_dirty else None
    with contextlib.ExitStack() as stack:
        if state is not None and state.dirty_files:
            # --allow-dirty: the change is computed on HEAD (a scratch worktree of it); the user's
            # uncommitted edits stay in the working tree and are not part of it
            from refactor.workspace import open_workspace, require_repo

            err.print("[dim]uncommitted changes: computing the change on HEAD; your edits stay in your "
                      "working tree[/dim]")
            head_ws = stack.enter_context(open_workspace(require_repo(root)))
            try:
                project, candidate = analyse(head_ws.module_dir)
            except UsageError as exc:
                raise UsageError(f"at HEAD, {exc}; if the change needs your uncommitted edits, commit them "
                                 "first") from exc
        else:
            project, candidate = analyse(repo)
            dirty = [] if dry_run else dirty_plan_files(project, candidate)
            if dirty:
                raise UsageError(f"uncommitted changes touch {', '.join(dirty)}: commit or stash them, or pass "
                                 "--allow-dirty to compute the change on HEAD (your edits then stay in your "
                                 "working tree)")
        if dry_run:
            sys.stdout.write(candidate.plan.diff())
            return 0
        done = apply_candidate(project, candidate, branch=branch_name(candidate, branch), verify=not no_verify,
                               allow_dirty=allow_dirty, worktree=worktree, test=run_tests, progress=say,
                               hooks=not skip_hooks)
    m = done.measurement
    if not done.ok:
        first = m.first_error if m else ""
        err.print(f"[bold red]verification failed[/bold red] ({escape(first)}); no branch created")
        failed = next((s for s in m.steps if not s.ok), None) if m else None
        if failed is not None and failed.output and click.get_current_context().find_root().obj.get("debug"):
            err.print(failed.output, markup=False)
        return 1
    for line in (m.at_head if m else ()):
        err.print(f"[dim]already failing at HEAD, not because of this change: {escape(line)}[/dim]")
    saved = f", {human_bytes(m.saved_bytes)} saved (measured)" if m else ""
    out.print(f"branch [bold]{escape(done.branch)}[/bold] at {(done.sha or '')[:12]}{saved}")
    if worktree:
        out.print(f"worktree kept at {worktree}")
    if candidate.variant_tags:  # the last line: what to build the slim binaries with
        out.print(f"build {', '.join(t.name for t in candidate.targets)} with "
                  f"[bold]-tags {escape(','.join(candidate.variant_tags))}[/bold] for the slim binaries "
                  f"(without it they keep the feature)")
    return 0


@cli.command()
@click.argument("parts", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path),
                metavar="PART.json...")
@click.option("--repo", "-C", type=click.Path(file_okay=False, path_type=Path), default=Path("."), show_default=True,
              help="A checkout of the commit the parts are of (suggest, check and diff read its sources).")
@click.option("--format", "fmt", type=click.Choice(["table", "text", "json", "markdown", "html"]), default=None,
              help="Output format (default: the one the shards were given; size: table or json).")
@json_option
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the report to FILE instead of stdout.")
@click.option("--combined", type=click.Path(dir_okay=False, path_type=Path), default=None, metavar="FILE",
              help="suggest: also write every shard's facts and the candidates as one part, for "
                   "`suggest --measure --shard I/N --candidates FILE`.")
@click.option("--verbose", "-v", is_flag=True, help="suggest: also each candidate's explanation and refusals.")
@click.option("--max-chars", type=click.IntRange(min=1000), default=None,
              help="check/diff Markdown: at most this many characters (default: the shards').")
def merge(parts: tuple[Path, ...], repo: Path, fmt: str | None, as_json: bool, output: Path | None,
          combined: Path | None, verbose: bool, max_chars: int | None) -> int:
    """Join the parts that `--shard I/N` runs wrote into what one unsharded run prints.

    Every part must come from the same gotrim, Go release, commit, working-tree state and
    configuration, and each shard 1..N exactly once; otherwise merge refuses and says why. The
    builds are in the parts; merge runs the rest (suggest: the strategies, the merge of one change
    found for several targets, the ranking; check: the lock and budgets; diff: the pairing), so it
    needs a checkout of the same commit for suggest, check and diff, and Go for check and diff.
    See docs/sharding.md for the two-stage `suggest --measure` flow.
    """
    from refactor import merge as merging

    read = merging.read_parts(list(parts))
    command = read[0].command
    if as_json:
        fmt = "json"
    if combined is not None and command not in ("suggest", "measure"):
        raise UsageError("--combined writes the facts of suggest parts; these are " + command + " parts")
    if command in ("suggest", "measure"):
        try:
            go = find_go()
        except UsageError:
            go = None  # gofmt is still found on PATH; $GOROOT paths stay as the shards wrote them
        m = merging.merge_suggest(read, repo, go)
        if combined is not None:
            _write_part(m.combined, combined)
        chosen = {"text": "table"}.get(fmt or "", fmt) or str(m.options["format"])
        return print_suggestions(m.project, m.found, m.shown, m.measurements, fmt=chosen, output=output,
                                 verbose=verbose or bool(m.options["verbose"]), min_bytes=int(m.options["min_bytes"]))
    if command == "size":
        sm = merging.merge_size(read)
        if fmt not in (None, "table", "text", "json"):
            raise UsageError(f"size prints a table or JSON, not {fmt}")
        if output is not None:
            raise UsageError("size prints to stdout: redirect it")
        as_json = fmt == "json" if fmt is not None else bool(sm.options["json"])
        print_sizes(sm.targets, sm.sizes, sm.versions, as_json=as_json, by=str(sm.options["by"]),
                    top=int(sm.options["top"]))
        return 0
    from refactor import review

    go = find_go()
    if command == "check":
        result, options = merging.merge_check(read, repo, go)
        if options["update"]:
            from refactor.lockfile import lock_path

            err.print(f"wrote {escape(str(lock_path(merging.module_root(repo))))} ({len(result.changes)} target(s)); "
                      "commit it")
        view = review.check_view(result)
        code = 0 if result.ok else 1
    else:
        diffed, options = merging.merge_diff(read, repo, go)
        view = review.diff_view(diffed)
        code = 0
    chosen = {"table": "text"}.get(fmt or "", fmt) or str(options["format"])
    _write_report(review.render(view, chosen, limit=max_chars or int(options["max_chars"])), output)
    return code


@contextlib.contextmanager
def targets_progress(total: int, quiet: bool) -> Iterator[tuple[Callable[[str], None], Callable[[], None]]]:
    """(say, done) for work over `total` targets: on a terminal a transient bar (targets done,
    elapsed time, the current step), elsewhere one status line per step; silent if quiet."""
    if quiet or total < 2 or not err.console.is_terminal:
        yield progress_for(quiet), lambda: None
        return
    with _bar(quiet) as bar:
        task = bar.add_task("", total=total)
        yield (lambda msg: bar.update(task, description=msg)), (lambda: bar.advance(task))


@contextlib.contextmanager
def load_progress(quiet: bool) -> Iterator[LoadProgress]:
    """The loader's progress: on a terminal a transient bar of targets loaded (once there are two or
    more), elsewhere one status line per step; silent if quiet."""
    if quiet:
        yield LoadProgress()
        return
    if not err.console.is_terminal:
        HEARTBEAT.expect("reading the module (go list)")  # a cold cache: nothing to say for a while
        yield LoadProgress(step=progress_for(False))
        return
    with contextlib.ExitStack() as stack:
        state: dict[str, Any] = {}

        def targets(done: int, total: int) -> None:
            if total < 2:
                return
            if "bar" not in state:
                state["bar"] = stack.enter_context(_bar(False))
                state["task"] = state["bar"].add_task("", total=total)
            state["bar"].update(state["task"], completed=done, total=total)

        def step(msg: str) -> None:
            if "bar" in state:
                state["bar"].update(state["task"], description=msg)
            else:
                err.print(f"[dim]{escape(msg)}[/dim]")

        yield LoadProgress(step=step, targets=targets)


def _bar(quiet: bool) -> Any:
    """gotrim's transient progress bar on stderr: the step, the bar, done/total, elapsed time."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                    TimeElapsedColumn(), console=err.console, disable=quiet, transient=True)


def progress_for(quiet: bool) -> Callable[[str], None]:
    """A callback that prints one status line per step on stderr (silent for JSON output); where stderr
    is not a terminal, the heartbeat repeats the step while it lasts."""
    def say(msg: str) -> None:
        if not quiet:
            err.print(f"[dim]{escape(msg)}[/dim]")
            if not err.console.is_terminal:
                HEARTBEAT.said(msg)
    return say


class Heartbeat:
    """Where stderr is not a terminal (a CI log), a status line at least every `interval` seconds while
    a command works: the last step again, with how long it has taken so far. Started by the first
    status line, so silent (JSON) runs stay silent."""

    def __init__(self, interval: float = 10.0) -> None:
        self.interval = interval
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._msg = ""
        self._since = self._printed = 0.0

    def said(self, msg: str) -> None:
        """A status line was printed now."""
        self.expect(msg)

    def expect(self, msg: str) -> None:
        """Work on `msg` starts now (said or not): repeated if nothing is printed for a while."""
        with self._lock:
            self._msg, self._since = msg, time.monotonic()
            self._printed = self._since
            if self._thread is None:
                self._stop.clear()
                self._thread = threading.Thread(target=self._run, name="gotrim-heartbeat", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(min(1.0, self.interval / 4)):
            with self._lock:
                now = time.monotonic()
                if now - self._printed < self.interval:
                    continue
                self._printed = now
                line = f"still {self._msg} ({now - self._since:.0f} s)"
            err.print(f"[dim]{escape(line)}[/dim]")

    def close(self) -> None:
        """Stop (at the end of a command)."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join()


HEARTBEAT = Heartbeat()


def emit(table: Table, as_json: bool) -> None:
    """Print a Table as a rich table (to stdout) or JSON."""
    if as_json:
        sys.stdout.write(json.dumps(table.json_data(), indent=2, sort_keys=False) + "\n")
        return
    from rich.table import Table as RichTable

    rt = RichTable(title=escape(table.title), title_justify="left", show_edge=False, pad_edge=False, box=None,
                   header_style="bold")
    cells = [[_cell(row.get(c.key), c.kind) for c in table.columns] for row in table.rows]
    for i, col in enumerate(table.columns):
        # text wraps between words only: a column is never narrower than its longest word (an import
        # path, an id, a target), which a narrow terminal then shows whole on a longer line
        # (a cell of several lines, such as a candidate's targets, keeps each line whole)
        longest = max((len(w) for r in cells for w in (r[i].splitlines() if "\n" in r[i] else r[i].split())),
                      default=0)
        rt.add_column(col.header, justify="right" if col.align == "right" else "left", overflow="fold",
                      min_width=max(longest, len(col.header)))
    for r in cells:
        rt.add_row(*(escape(v) for v in r))
    out.print(rt)
    for note in table.notes:
        out.print(f"[dim]{escape(note)}[/dim]")
    out.print()


def _cell(value: Any, kind: str) -> str:
    if value is None or value == "":
        return ""
    if kind == "bytes" and isinstance(value, int):
        return human_bytes(value)
    if kind == "percent" and isinstance(value, float):
        return f"{value:.1%}"
    if kind == "int" and isinstance(value, int):
        return f"{value:,}"
    return str(value)


_PLACE_ERRNOS = frozenset({errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOSPC, errno.EDQUOT})


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: run the CLI, map GotrimError to `error: ...` and exit status 2.

    The command runs in a temporary directory of its own, removed at the end (also on Ctrl-C and
    SIGTERM); what killed runs left is swept first (refactor.scratch).

    Python's cyclic garbage collector is off while the command runs: what a run allocates (parsed
    files, graphs, the reachability model) is freed by reference counting, and the collector's passes
    over it cost 0.1 s of a 3.3 s suggest on bench/seed for no memory back (the same peak RSS)."""
    import gc

    from refactor import scratch

    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    if debug:  # accepted anywhere on the line, not only before the command
        args = ["--debug", *(a for a in args if a != "--debug")]
    collecting = gc.isenabled()
    gc.disable()
    try:
        with scratch.run_scope():
            try:
                return _main(args, debug)
            finally:
                HEARTBEAT.close()
    except scratch.Terminated as exc:  # raised by the handler during the scope's own cleanup
        return 128 + exc.signum
    finally:
        if collecting:
            gc.enable()


def entry() -> None:
    """The `gotrim` command (and `python -m refactor`): main(), then leave(). The collector is off before
    main() starts, which leaves it as it found it: turned back on, it would pass over all the run made
    (~27 ms after a suggest on bench/seed) just before os._exit frees it at once."""
    import gc

    gc.disable()
    leave(main())


def leave(code: int) -> None:
    """Exit with code at once. When main() returns it has removed all it made (its run directory, its
    worktrees) and its threads are done; what is left for the interpreter is freeing each object of
    the run, one by one (0.1 s after a suggest on bench/seed), which os._exit skips."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe (`gotrim suggest | head`) or stream
            stream.flush()
    os._exit(code)


def _main(args: list[str], debug: bool) -> int:
    from refactor import scratch

    try:
        code = cli.main(args=args, prog_name="gotrim", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code or 0)
    except click.UsageError as exc:  # bad arguments: one line, like every other error
        where = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx is not None else ""
        err.print("[bold red]error:[/bold red] " + escape(exc.format_message().rstrip(".") + where))
        return 2
    except click.ClickException as exc:
        exc.show()
        return 2
    except (click.Abort, scratch.Terminated) as exc:  # click turns Ctrl-C (and so SIGTERM) into Abort
        cause = exc if isinstance(exc, scratch.Terminated) else exc.__cause__
        if isinstance(cause, scratch.Terminated):
            err.print(f"terminated by {cause}: stopped; nothing of this run is left behind")
            return 128 + cause.signum
        err.print("interrupted" if isinstance(cause, KeyboardInterrupt) else "aborted")
        return 130
    except KeyboardInterrupt:
        err.print("interrupted")
        return 130
    except GotrimError as exc:
        if debug:
            traceback.print_exc()
        err.print("[bold red]error:[/bold red] " + escape(str(exc)))
        stderr = getattr(exc, "stderr", "")
        if debug and stderr:
            err.print(stderr, markup=False)
        return exc.exit_status
    except SystemExit as exc:
        return int(exc.code or 0) if isinstance(exc.code, int) else 1
    except Exception as exc:  # a bug in gotrim: say so in one line, traceback only with --debug
        if debug:
            traceback.print_exc()
        if isinstance(exc, OSError) and exc.errno in _PLACE_ERRNOS:  # the machine's doing, not a bug
            where = f" {exc.filename}" if exc.filename else ""
            err.print(f"[bold red]error:[/bold red] cannot write{escape(str(where))}: {escape(exc.strerror or '')}; "
                      "make it writable (or free space) and run gotrim again")
            return 2
        err.print(f"[bold red]internal error:[/bold red] {escape(type(exc).__name__)}: {escape(str(exc))} "
                  "(rerun with --debug for the traceback, and please report it)")
        return 3
    return code if isinstance(code, int) else 0
