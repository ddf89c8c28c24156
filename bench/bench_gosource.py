"""Index every non-testdata .go file of $(go env GOROOT)/src with gosource and report throughput and memory.

Usage: python bench/bench_gosource.py [--jobs N] [--root DIR]
Prints files, MB, seconds, MB/s, peak RSS, the tree-sitter parse-only rate for comparison (the floor),
files with syntax errors, and the machine's load average (the figures scale with it).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from refactor.gosource import GoFile, _parser_and_query, parse_file  # noqa: E402


def go_files(root: Path) -> list[Path]:
    """Every .go file under root, testdata directories excluded."""
    out: list[Path] = []
    for d, dirs, files in os.walk(root):
        dirs[:] = sorted(x for x in dirs if x != "testdata")
        out.extend(Path(d) / f for f in sorted(files) if f.endswith(".go"))
    return out


def index_chunk(paths: list[str]) -> tuple[int, int]:
    """Parse a chunk in a worker; returns (decls, files with errors)."""
    decls = errs = 0
    for p in paths:
        f = parse_file(p, Path(p).read_bytes())
        decls += len(f.decls)
        errs += bool(f.errors)
    return decls, errs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--root", type=Path)
    args = ap.parse_args()
    root = args.root or Path(subprocess.run(["go", "env", "GOROOT"], capture_output=True, text=True,
                                             check=True).stdout.strip()) / "src"
    paths = go_files(root)
    srcs = [(str(p.relative_to(root)), p.read_bytes()) for p in paths]
    total = sum(len(s) for _, s in srcs)
    mb = total / 1e6
    load = os.getloadavg()
    parser, _ = _parser_and_query()
    t0 = time.perf_counter()
    for _, s in srcs:
        parser.parse(s)
    t_parse = time.perf_counter() - t0
    t0 = time.perf_counter()
    if args.jobs > 1:
        chunks = [[str(root / r) for r, _ in srcs[i::args.jobs * 8]] for i in range(args.jobs * 8)]
        with ProcessPoolExecutor(args.jobs) as pool:
            results = list(pool.map(index_chunk, chunks))
        n_decls = sum(r[0] for r in results)
        n_err = sum(r[1] for r in results)
    else:
        index: list[GoFile] = [parse_file(r, s) for r, s in srcs]  # kept alive: peak memory of a full index
        n_decls = sum(len(f.decls) for f in index)
        n_err = sum(bool(f.errors) for f in index)
    secs = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if args.jobs > 1:
        peak_mb = max(peak_mb, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
    print(f"root            {root}")
    print(f"files           {len(srcs)}")
    print(f"MB              {mb:.1f}")
    print(f"declarations    {n_decls}")
    print(f"syntax errors   {n_err} files")
    print(f"jobs            {args.jobs}")
    print(f"seconds         {secs:.1f}")
    print(f"MB/s            {mb / secs:.2f}")
    print(f"parse-only MB/s {mb / t_parse:.2f}  (tree-sitter alone, one process: the floor)")
    print(f"peak RSS        {peak_mb:.0f} MB")
    print(f"load average    {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} (2 cores)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
