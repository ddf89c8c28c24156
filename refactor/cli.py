"""The gotrim command line: parse arguments, call one function, print. Exit 0 ok, 1 finding, 2 usage."""

from __future__ import annotations

import json
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table as RichTable

from refactor import __version__
from refactor.config import Settings, TargetSpec, specs_from_flags
from refactor.errors import GotrimError
from refactor.project import Project, effective_specs, load
from refactor.table import Table, human_bytes
from refactor.toolchain import find_go

F = TypeVar("F", bound=Callable[..., Any])

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False)


def target_options(f: F) -> F:
    """REPO and the options that choose targets, shared by every command."""
    repo = click.Path(file_okay=False, path_type=Path)
    f = click.argument("repo", type=repo, default=".", required=False)(f)
    f = click.option("--target", "-t", "mains", multiple=True, metavar="PKG",
                     help="Main package to analyse (./cmd/NAME or import path); repeatable. "
                          "Default: gotrim.toml, else every main package of the module.")(f)
    f = click.option("--platform", "-p", "platforms", multiple=True, metavar="GOOS/GOARCH",
                     help="Platform to build for; repeatable. Default: the host's.")(f)
    f = click.option("--tags", default=None, metavar="a,b", help="Build tags, comma-separated.")(f)
    f = click.option("--cgo/--no-cgo", default=None, help="Force CGO_ENABLED (default: go's default).")(f)
    return f


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
             cgo: bool | None, **settings: Any) -> Project:
    go = find_go()
    root = repo.resolve()
    s = Settings(root=root, **settings)
    flag_spec: TargetSpec | None = specs_from_flags(mains, platforms, tags, cgo)
    return load(go, s, effective_specs(s, flag_spec))


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

    project = _project(repo, mains, platforms, tags, cgo)
    emit(why_table(project, package), as_json)


@cli.command()
@target_options
@json_option
@click.option("--by", type=click.Choice(["package", "module", "section"]), default="package",
              show_default=True, help="Group bytes by package, module or ELF section.")
@click.option("--top", "top", type=click.IntRange(min=1), default=25, show_default=True, help="Rows to show.")
def size(repo: Path, mains: tuple[str, ...], platforms: tuple[str, ...], tags: str | None, cgo: bool | None,
         as_json: bool, by: str, top: int) -> None:
    """Bytes of each built binary per package, module or section.

    Builds every target (with -trimpath, into a temporary directory) and attributes the file's
    bytes from the symbol table, the pclntab and the type data. What cannot be attributed is shown
    as such, never hidden.
    """
    from refactor.binary import size_table

    project = _project(repo, mains, platforms, tags, cgo)
    tables = [size_table(project.size(t, progress_for(as_json)), top=top, by=by, title=t.label)
              for t in project.targets]
    if as_json:
        out.file.write(json.dumps([t.json_data() for t in tables], indent=2) + "\n")
    else:
        for table in tables:
            emit(table, False)


def progress_for(quiet: bool) -> Callable[[str], None]:
    """A callback that prints one status line per step on stderr (silent for JSON output)."""
    def say(msg: str) -> None:
        if not quiet:
            err.print(f"[dim]{msg}[/dim]")
    return say


def emit(table: Table, as_json: bool) -> None:
    """Print a Table as a rich table (to stdout) or JSON."""
    if as_json:
        out.file.write(json.dumps(table.json_data(), indent=2, sort_keys=False) + "\n")
        return
    rt = RichTable(title=table.title, title_justify="left", show_edge=False, pad_edge=False, box=None,
                   header_style="bold")
    for col in table.columns:
        rt.add_column(col.header, justify="right" if col.align == "right" else "left",
                      overflow="fold")
    for row in table.rows:
        rt.add_row(*(_cell(row.get(c.key), c.kind) for c in table.columns))
    out.print(rt)
    for note in table.notes:
        out.print(f"[dim]{note}[/dim]")
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
    return code if isinstance(code, int) else 0
