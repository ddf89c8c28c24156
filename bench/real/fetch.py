"""Lay out one catalogue program as a writable git repository, from the Go module proxy.

    python -m bench.real.fetch NAME [--dest bench/work/real/NAME] [--force] [--no-download]

Each module of the entry's layout is downloaded with `go mod download -json MODULE@VERSION` (the user's
GOPROXY, GOFLAGS=-mod=mod) and its directory copied to its place under DEST (a nested module inside
its parent, as in the repository), then `git init` and one commit, so gotrim's apply and --measure
can use it, then `go mod download` in the entry's workdir. Prints DEST. Importing this module runs
nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.real.catalog import CatalogError, Module, Program, find

ROOT = Path(__file__).resolve().parent.parent.parent
WORK = ROOT / "bench" / "work" / "real"


class FetchError(RuntimeError):
    """A step of the fetch failed; the message says which and what go said."""


def go_env(program: Program, workdir: Path | None = None) -> dict[str, str]:
    """The environment for the program's go commands: its toolchain when it names one, -mod=mod.

    In workspace mode (a go.work in workdir or above it) the go command refuses -mod=mod; it gets
    -mod=readonly, since a module zip keeps vendor/modules.txt but not vendor/ (k8s.io/kubernetes),
    which would otherwise switch the workspace to vendor mode.
    """
    in_workspace = workdir is not None and any((d / "go.work").is_file() for d in [workdir, *workdir.parents])
    env = {**os.environ, "GOFLAGS": "-mod=readonly" if in_workspace else "-mod=mod"}
    if program.toolchain:
        env["GOTOOLCHAIN"] = program.toolchain
    return env


def download(module: Module, env: dict[str, str]) -> Path:
    """The module cache directory of module@version, downloaded if needed."""
    with tempfile.TemporaryDirectory(prefix="gotrim-fetch-") as tmp:  # outside any go.mod
        proc = subprocess.run(["go", "mod", "download", "-json", f"{module.module}@{module.version}"],
                              cwd=tmp, env={**env, "GOTOOLCHAIN": "local", "GOWORK": "off"},
                              capture_output=True, text=True)
    try:
        info = json.loads(proc.stdout)
    except json.JSONDecodeError:
        info = {"Error": proc.stderr.strip() or f"go mod download exited {proc.returncode}"}
    if info.get("Error") or not info.get("Dir"):
        raise FetchError(f"go mod download {module.module}@{module.version}: {info.get('Error', '?')}")
    return Path(info["Dir"])


def _writable(path: Path) -> None:
    for p in [path, *path.rglob("*")]:
        if not p.is_symlink():
            p.chmod(p.stat().st_mode | stat.S_IWUSR)


def lay_out(program: Program, dest: Path, env: dict[str, str]) -> None:
    """Copy every module of the layout into dest, parents before the modules nested in them."""
    for module in sorted(program.modules(), key=lambda m: len(Path(m.dir).parts) if m.dir != "." else 0):
        src = download(module, env)
        target = dest / module.dir
        shutil.copytree(src, target, dirs_exist_ok=True, symlinks=True)
    _writable(dest)
    # a module zip keeps vendor/modules.txt but not the vendored packages: left alone, it switches a
    # plain `go build` (gotrim's, a user's) to vendor mode, which then finds nothing (distribution v3)
    for modules_txt in dest.rglob("vendor/modules.txt"):
        vendor = modules_txt.parent
        if not any(p.is_dir() for p in vendor.iterdir()):
            shutil.rmtree(vendor)


def git_commit(dest: Path, program: Program) -> None:
    """git init and one commit of everything, with a fixed identity and date (reproducible ids).

    Files the module zip lacks but the build needs (the output of a repository's own build step, such
    as a web UI embedded with //go:embed) come in a second commit, as empty placeholders.
    """
    env = {**os.environ, "GIT_AUTHOR_NAME": "gotrim bench", "GIT_AUTHOR_EMAIL": "bench@gotrim.invalid",
           "GIT_COMMITTER_NAME": "gotrim bench", "GIT_COMMITTER_EMAIL": "bench@gotrim.invalid",
           "GIT_AUTHOR_DATE": "2000-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2000-01-01T00:00:00Z"}
    message = f"{program.module}@{program.version} from the module proxy (gotrim bench: {program.name})"
    steps = [["init", "-q", "-b", "main"], ["add", "-A", "-f"], ["commit", "-q", "--no-gpg-sign", "-m", message]]
    for args in steps:
        _git(dest, args, env)
    if program.generated:
        for rel in program.generated:
            path = dest / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("")
        _git(dest, ["add", "-f", *program.generated], env)
        _git(dest, ["commit", "-q", "--no-gpg-sign", "-m", "placeholders for files the repository's build generates"],
             env)


def _git(dest: Path, args: list[str], env: dict[str, str]) -> None:
    proc = subprocess.run(["git", *args], cwd=dest, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise FetchError(f"git {args[0]} in {dest}: {proc.stderr.strip()}")


def fetch(program: Program, dest: Path, *, force: bool = False, mod_download: bool = True) -> Path:
    """Lay out program in dest as a one-commit git repository; return the directory of its mains."""
    if dest.exists():
        if not force:
            raise FetchError(f"{dest} exists; pass --force to replace it or --dest to choose another")
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    env = go_env(program)
    try:
        lay_out(program, dest, env)
        git_commit(dest, program)
    except BaseException:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    workdir = dest / program.workdir
    if mod_download:
        # Not fatal: go.mod may require a module the proxy does not serve that no build needs (a tool's
        # dependency); go build fetches what it needs and names a missing module itself.
        proc = subprocess.run(["go", "mod", "download"], cwd=workdir, env=go_env(program, workdir),
                              capture_output=True, text=True)
        if proc.returncode != 0:
            print(f"warning: go mod download in {workdir} failed (the build may still work): "
                  f"{proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else proc.returncode}",
                  file=sys.stderr)
    return workdir


def main(argv: list[str] | None = None) -> int:
    """Command line: fetch NAME into --dest (default bench/work/real/NAME) and print the path."""
    parser = argparse.ArgumentParser(prog="python -m bench.real.fetch", description=__doc__.splitlines()[0])
    parser.add_argument("name", help="catalogue entry (bench/real/catalog.toml)")
    parser.add_argument("--dest", type=Path, help="where to lay it out (default bench/work/real/NAME)")
    parser.add_argument("--force", action="store_true", help="replace DEST if it exists")
    parser.add_argument("--no-download", action="store_true", help="skip `go mod download` of dependencies")
    args = parser.parse_args(argv)
    try:
        program = find(args.name)
        dest = (args.dest or WORK / program.name).resolve()
        workdir = fetch(program, dest, force=args.force, mod_download=not args.no_download)
    except (CatalogError, FetchError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(workdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
