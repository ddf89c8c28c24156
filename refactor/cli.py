"""The gotrim command line: parse arguments, call one function, print. Exit 0 ok, 1 finding, 2 usage."""

from __future__ import annotations

import contextlib
import functools
import json
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import click

from refactor import __version__
from refactor.config import Settings, TargetSpec, default_cache_dir, specs_from_flags
from refactor.errors import GotrimError, UsageError
from refactor.load import LoadProgress, Warm, effective_specs, load
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
                     help="Main package to analyse (./cmd/NAME or import path); repeatable. "
                          "Default: gotrim.toml, else every main package of the module.")(f)
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
             cgo: bool | None, needs: Needs, *, warm: Sequence[Warm] = (), progress: LoadProgress | None = None,
             reuse: bool = False, remember: bool = False, **settings: Any) -> Project:
    go = find_go()
    root = repo.resolve()
    s = Settings(root=root, cache_dir=default_cache_dir(), **settings)
    flag_spec: TargetSpec | None = specs_from_flags(mains, platforms, tags, cgo)
    return load(go, s, effective_specs(s, flag_spec), needs, warm=warm, progress=progress, reuse=reuse,
                remember=remember)


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
def size(repo: Path, mains: tuple[str, ...], platforms: tuple[str, ...], tags: str | None, cgo: bool | None,
         as_json: bool, by: str, top: int) -> None:
    """Bytes of each built binary per package, module or section; or of one shipped BINARY.

    Builds every target (with -trimpath; several at once, from before go list has answered) and
    attributes the file's bytes from the symbol table, the pclntab and the type data. What cannot
    be attributed is shown as such, never hidden. Each target's last build is kept (builds/ in
    $GOTRIM_CACHE_DIR, else ~/.cache/gotrim), so unchanged code is not linked again.

    Given a Go binary instead of a repository, reads the build settings Go recorded in it
    (`go version -m`: GOOS, GOARCH, -tags, CGO_ENABLED, -trimpath, -ldflags) and attributes it
    without a build graph (packages from its symbol names).
    """
    from refactor.binary import size_table

    if repo.is_file():
        if mains or platforms or tags is not None or cgo is not None:
            raise UsageError("--target/--platform/--tags/--cgo choose what to build; a binary was built "
                             "already: give it alone")
        return _size_binary(repo, as_json, by, top)
    with load_progress(as_json) as progress:  # the loader starts linking before go list has answered
        project = _project(repo, mains, platforms, tags, cgo, Needs.SIZE, progress=progress)
    tables = [(t, replace(size_table(project.sizes[t], top=top, by=by), title=f"{t.label}: bytes by {by}"))
              for t in project.targets]
    if as_json:
        docs = [{"target": t.label, "main": t.main, "goos": t.goos, "goarch": t.goarch, "tags": list(t.tags),
                 "cgo": t.cgo, **table.json_data()} for t, table in tables]
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
def dce(repo: Path, mains: tuple[str, ...], platforms: tuple[str, ...], tags: str | None, cgo: bool | None,
        as_json: bool, fail: bool) -> int:
    """What switches off the linker's method dead-code elimination in each binary.

    Builds each target with -ldflags=-dumpdep and reports the first function marked
    <ReflectMethod> (reflect Method/MethodByName with a non-constant name, as text/template
    does) with its call chain, and whether `plugin` is linked with cgo (dynamic-linking mode, which
    keeps every method of every type), with the import chain that brings it in.
    """
    from refactor.dce import dce_report

    with load_progress(as_json) as progress:
        project = _project(repo, mains, platforms, tags, cgo, Needs.DCE_REPORT, progress=progress)
    table, found = dce_report(project)
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
def check(repo: Path, mains: tuple[str, ...], platforms: tuple[str, ...], tags: str | None, cgo: bool | None,
          update: bool, fmt: str, as_json: bool, output: Path | None, max_chars: int) -> int:
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
    root = repo.resolve()
    budgets = load_budgets(root)  # bad budgets and a missing lock fail before any build
    lock = None if update else read_lock(lock_path(root))
    flags = specs_from_flags(mains, platforms, tags, cgo) is not None
    quiet = fmt != "text" and output is None
    with load_progress(quiet) as progress:
        project = _project(repo, mains, platforms, tags, cgo, FACTS, progress=progress)
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
def diff(base: str, head: str | None, repo: Path, use_merge_base: bool, mains: tuple[str, ...],
         platforms: tuple[str, ...], tags: str | None, cgo: bool | None, fmt: str, as_json: bool,
         output: Path | None, max_chars: int) -> int:
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
    go = find_go()
    if Path(base).is_file() or (head is not None and Path(head).is_file()):
        if head is None or not (Path(base).is_file() and Path(head).is_file()):
            raise UsageError("give two binaries (gotrim diff OLD_BINARY NEW_BINARY) or two commits")
        if mains or platforms or tags is not None or cgo is not None:
            raise UsageError("--target/--platform/--tags/--cgo choose what to build; two binaries were built "
                             "already: give them alone")
        result = diff_binaries(go, Path(base), Path(head), default_cache_dir())
    else:
        flag_spec = specs_from_flags(mains, platforms, tags, cgo)
        result = diff_commits(go, repo, base, head, flag_spec, default_cache_dir(), progress_for(quiet),
                              use_merge_base=use_merge_base)
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
@click.option("--no-cache", is_flag=True, help="Recompute even when this HEAD and configuration are cached.")
@click.option("--combine", is_flag=True,
              help="Also show the shown candidates together as one more row (estimated as one cut: savings "
                   "do not add); with --measure it is measured too.")
@override_options
def suggest(repo: Path, mains: tuple[str, ...], platforms: tuple[str, ...], tags: str | None, cgo: bool | None,
            strategy_names: tuple[str, ...], min_bytes: int, top: int | None, fmt: str, as_json: bool,
            output: Path | None, verbose: bool, measure: bool, run_tests: bool, no_cache: bool,
            package_names: tuple[str, ...], guard_tags: tuple[str, ...], combine: bool = False) -> int:
    """Ranked candidates that cut bytes from each binary, with estimates and reasons.

    Runs every strategy for every target (see --help of the root command), merges the same change
    proposed for several targets, and ranks by estimated bytes. Ids are stable for the same HEAD
    and configuration; pass one to `gotrim apply`.
    """
    from refactor import report
    from refactor.suggest import filtered, strategies_named, suggestions

    fmt = "json" if as_json else fmt
    quiet = fmt != "table" and output is None
    strategies = strategies_named(strategy_names)
    with load_progress(quiet) as progress:
        project = _project(repo, mains, platforms, tags, cgo, Needs.SUGGEST,
                           warm=[s.warm for s in strategies if s.warm is not None], progress=progress,
                           reuse=not no_cache, remember=True, **overrides(package_names, guard_tags))
    found = suggestions(project, strategies, progress_for(quiet), use_cache=not no_cache)
    shown = filtered(found, min_bytes, top)
    if combine:
        from refactor.combine import combined

        row = combined(project, shown)
        if isinstance(row, str):
            err.print(f"--combine: {escape(row)}")
        else:
            shown = [*shown, row]
    measurements = _measure_all(project, shown, run_tests, quiet) if measure else {}
    if fmt == "table":
        if shown:
            emit(report.candidate_table(project, shown, measurements), False)
        if verbose:
            for line in report.explanations(shown, found.refusals, measurements):
                out.print(line, markup=False)
        if not shown and found.refusals and not verbose:
            n = len(found.refusals)
            out.print(f"no candidates; {n} change{'s' if n != 1 else ''} considered and refused: -v says why")
        elif not shown:
            out.print("no candidates: nothing heavy is pulled in without need (or try --min-bytes 0 -v)")
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
@click.option("--allow-dirty", is_flag=True,
              help="Proceed from HEAD even when uncommitted changes touch the plan's files.")
@click.option("--worktree", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Keep the worktree at PATH for inspection (default: a temporary one, removed).")
@click.option("--test", "run_tests", is_flag=True, help="Also run go test on the touched packages.")
@override_options
def apply(candidate_id: str, repo: Path, mains: tuple[str, ...], platforms: tuple[str, ...], tags: str | None,
          cgo: bool | None, strategy_names: tuple[str, ...], dry_run: bool, branch: str | None,
          no_verify: bool, allow_dirty: bool, worktree: Path | None, run_tests: bool,
          package_names: tuple[str, ...], guard_tags: tuple[str, ...]) -> int:
    """Apply candidate ID on a new branch, verified and measured; your checkout is not touched.

    The change is written into a scratch git worktree of HEAD, checked (gofmt, go build ./... for
    every configured platform, go vet, a rebuild of each target) and committed with the measured
    bytes in the message. Only then is the branch created. Use the target options you gave
    `gotrim suggest`, so that the id means the same candidate.
    """
    from refactor.apply import apply as apply_candidate
    from refactor.apply import branch_name, check_branch
    from refactor.suggest import find, strategies_named, suggestions

    strategies = strategies_named(strategy_names)
    if branch is not None and not dry_run:
        check_branch(repo.resolve(), branch)  # before any build
    say = progress_for(False)
    with load_progress(False) as progress:
        project = _project(repo, mains, platforms, tags, cgo, Needs.SUGGEST,
                           warm=[s.warm for s in strategies if s.warm is not None], progress=progress,
                           reuse=True, remember=True, **overrides(package_names, guard_tags))
    candidate = find(suggestions(project, strategies, say), candidate_id)
    if dry_run:
        sys.stdout.write(candidate.plan.diff())
        return 0
    done = apply_candidate(project, candidate, branch=branch_name(candidate, branch), verify=not no_verify,
                           allow_dirty=allow_dirty, worktree=worktree, test=run_tests, progress=say)
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
    return 0


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
    """A callback that prints one status line per step on stderr (silent for JSON output)."""
    def say(msg: str) -> None:
        if not quiet:
            err.print(f"[dim]{msg}[/dim]")
    return say


def emit(table: Table, as_json: bool) -> None:
    """Print a Table as a rich table (to stdout) or JSON."""
    if as_json:
        sys.stdout.write(json.dumps(table.json_data(), indent=2, sort_keys=False) + "\n")
        return
    from rich.table import Table as RichTable

    rt = RichTable(title=escape(table.title), title_justify="left", show_edge=False, pad_edge=False, box=None,
                   header_style="bold")
    for col in table.columns:
        rt.add_column(col.header, justify="right" if col.align == "right" else "left",
                      overflow="fold")
    for row in table.rows:
        rt.add_row(*(escape(_cell(row.get(c.key), c.kind)) for c in table.columns))
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


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: run the CLI, map GotrimError to `error: ...` and exit status 2."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    if debug:  # accepted anywhere on the line, not only before the command
        args = ["--debug", *(a for a in args if a != "--debug")]
    try:
        code = cli.main(args=args, prog_name="gotrim", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code or 0)
    except click.ClickException as exc:
        exc.show()
        return 2
    except click.Abort:
        err.print("aborted")
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
        err.print(f"[bold red]internal error:[/bold red] {escape(type(exc).__name__)}: {escape(str(exc))} "
                  "(rerun with --debug for the traceback, and please report it)")
        return 3
    return code if isinstance(code, int) else 0
