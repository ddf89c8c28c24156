"""Rebuild a repository of several modules from the Go module proxy, as a git repository.

A module zip holds one module: a repository's nested modules (their own go.mod) are left out of it
and published as modules of their own. Laid out again at their directories, with the `replace =>
../x` directives their go.mod files keep, they form the repository their authors work in, which is
the shape issue 16 §1 is about (a binary in a nested module using its siblings through replace).

    python -m bench.modrepo DEST --preset etcd
    python -m bench.modrepo DEST --module go.etcd.io/etcd/api/v3@v3.7.4=api [...]

Downloads with `go mod download -json` (the module cache), copies each module's files (writable) to
DEST/DIR, and commits the lot in a new git repository at DEST. Prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

PRESETS: dict[str, list[str]] = {
    # etcd v3.7.4: etcdctl, etcdutl and the server (etcd) are binaries of nested modules that use the
    # api, client and pkg modules through `replace => ../x`; the repository's root module is not
    # published, so the top holds no go.mod. go.mod: go 1.26.0, toolchain go1.26.11.
    "etcd": [f"go.etcd.io/etcd/{m}/v3@v3.7.4={d}" for m, d in (
        ("api", "api"), ("client/pkg", "client/pkg"), ("pkg", "pkg"), ("server", "server"),
        ("etcdutl", "etcdutl"), ("etcdctl", "etcdctl"))] + ["go.etcd.io/etcd/client/v3@v3.7.4=client/v3"],
}


def download(spec: str) -> Path:
    """The module's directory in the module cache (downloaded if needed)."""
    proc = subprocess.run(["go", "mod", "download", "-json", spec], capture_output=True, text=True,
                          env={**os.environ, "GOFLAGS": "-mod=mod"})
    info = json.loads(proc.stdout or "{}")
    if proc.returncode != 0 or info.get("Error") or not info.get("Dir"):
        raise SystemExit(f"go mod download {spec}: {info.get('Error') or proc.stderr.strip()}")
    return Path(info["Dir"])


def build(dest: Path, modules: list[str]) -> dict[str, object]:
    if dest.exists() and any(dest.iterdir()):
        raise SystemExit(f"{dest} exists and is not empty")
    dest.mkdir(parents=True, exist_ok=True)
    laid = []
    for item in modules:
        spec, _, rel = item.partition("=")
        src = download(spec)
        dst = dest / rel
        shutil.copytree(src, dst, dirs_exist_ok=True)
        for p in [dst, *dst.rglob("*")]:  # the module cache is read-only
            p.chmod(p.stat().st_mode | stat.S_IWUSR)
        laid.append({"module": spec, "dir": rel})
    env = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.invalid",
           "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.invalid"}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "modules from the proxy"]):
        subprocess.run(["git", *args], cwd=dest, check=True, env=env)
    return {"dest": str(dest), "modules": laid}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dest", type=Path)
    ap.add_argument("--preset", choices=sorted(PRESETS))
    ap.add_argument("--module", action="append", default=[], metavar="PATH@VERSION=DIR")
    args = ap.parse_args(argv)
    modules = (PRESETS[args.preset] if args.preset else []) + args.module
    if not modules:
        ap.error("give --preset or --module")
    print(json.dumps(build(args.dest.resolve(), modules), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
