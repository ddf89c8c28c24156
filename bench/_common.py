"""Helpers shared by the benchmarks: run gotrim in a child Python, time it, parse labels."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "fixture_repos" / "split"

# The child runs gotrim's click entry point and reports its own wall time and peak RSS on stderr.
# RUSAGE_CHILDREN is the largest go child (compile, link, vet) that gotrim waited for.
CHILD = ("import gc, resource, sys, time\n"
         "from refactor.cli import leave, main\n"
         "gc.disable()\n"
         "t = time.perf_counter()\n"
         "rc = main(sys.argv[1:])\n"
         "s = time.perf_counter() - t\n"
         "me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
         "kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
         "print(f'BENCH {rc or 0} {s:.3f} {me} {kids}', file=sys.stderr)\n"
         "leave(rc or 0)\n")  # as the gotrim command exits (refactor.cli.entry)


def compile_gotrim() -> None:
    """Compile gotrim's modules to bytecode (their __pycache__ folders, ignored by git), as `pip install`
    does and as a first run does unless PYTHONDONTWRITEBYTECODE is set (this machine sets it: without
    this, every timed run would compile gotrim's Python again: all of it takes 0.2 s here)."""
    import compileall

    for package in ("refactor", "strategies"):
        compileall.compile_dir(str(ROOT / package), quiet=1)


def run_gotrim(args: list[str], cwd: Path = ROOT, *, keep_cache: bool = False,
               parses: Path | None = None, cache: Path | None = None) -> dict[str, object]:
    """One gotrim command in a child Python: exit code, seconds, peak RSS of Python and of go, stdout.

    seconds is the child's whole life (interpreter start and imports included: what a user waits
    for); main_seconds only the call of gotrim's main().

    Unless keep_cache, gotrim's size cache (attributions remembered by binary content) points at a
    fresh empty folder, so every run pays the attribution as a first run on that binary would; parses
    (a folder) is linked into it as its parse cache (refactor.parsecache: the module cache's files, kept
    by content, as Go's build cache keeps compiled packages), to time a run on a warm machine. cache (a
    folder): gotrim's whole cache is that folder, kept between runs (sizes, kept links and their models,
    parses: refactor.linkcache), the plan cache still bypassed by --no-cache. The
    compiled attribution core is built once per toolchain, not per run: it is built here first
    (untimed) and every run shares it, as every run on a user's machine does.
    """
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
           "GOTRIM_TOOLS_DIR": str(_core_dir())}
    with tempfile.TemporaryDirectory(prefix="bench-gotrim-cache-") as folder:
        if cache is not None:
            env["GOTRIM_CACHE_DIR"] = str(cache)
        elif not keep_cache:
            env["GOTRIM_CACHE_DIR"] = folder
            if parses is not None:
                parses.mkdir(parents=True, exist_ok=True)
                os.symlink(parses, Path(folder) / "parses")
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", CHILD, *args], capture_output=True, text=True, cwd=cwd,
                              env=env)
        process_seconds = time.perf_counter() - t0
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("BENCH ")]
    if not lines:
        raise RuntimeError(f"gotrim {' '.join(args)} died:\n{proc.stderr[-3000:]}")
    _, rc, secs, rss, kids = lines[-1].split()
    return {"rc": int(rc), "seconds": process_seconds, "main_seconds": float(secs), "rss_kib": int(rss),
            "go_rss_kib": int(kids), "stdout": proc.stdout, "stderr": proc.stderr}


def _core_dir() -> Path:
    """The tools folder holding gotrim's attribution core and type-checked view for the go on PATH, built
    if missing (built once per toolchain on a user's machine too: not timed)."""
    from refactor import attribcore, typed
    from refactor.toolchain import find_go

    go = find_go()
    typed.executable(go)
    return attribcore.executable(go).parent


def timed(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    """Seconds of one command that must succeed (output discarded)."""
    t = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env={**os.environ, **(env or {})})
    return time.perf_counter() - t


def parse_label(label: str) -> dict[str, object]:
    """`lite linux/amd64 tags=a,b nocgo` -> name, env, build flags (inverse of Target.label)."""
    parts = label.split()
    name = parts[0] if "/" not in parts[0] else ""
    platform = next(p for p in parts if "/" in p and "=" not in p)
    goos, goarch = platform.split("/")
    tags = next((p.split("=", 1)[1] for p in parts if p.startswith("tags=")), "")
    env = {"GOOS": goos, "GOARCH": goarch}
    if "nocgo" in parts:
        env["CGO_ENABLED"] = "0"
    return {"name": name, "env": env, "flags": ["-tags", tags] if tags else []}


def load_json(text: str) -> dict[str, object]:
    """The JSON document a gotrim --json command printed (progress lines go to stderr)."""
    return json.loads(text[text.index("{"):])


def load_avg() -> str:
    """The 1/5/15-minute load averages, to print beside timings."""
    return " ".join(f"{x:.1f}" for x in os.getloadavg())
