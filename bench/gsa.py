"""gotrim's per-package attribution against go-size-analyzer (gsa) on the same binary.

    python -m bench.gsa [MODULE_DIR] [--main ./cmd/trace-agent] [--gsa PATH] [--gsa-version v1.11.0] [--top 20]

Builds the target with `go build -trimpath` (what `gotrim size` builds, so the file is byte for byte
the one gotrim attributes: the two file sizes are printed to check), runs `gsa -f json` on it and
`gotrim size --json` on the module, and prints side by side: the share of the file each puts on
packages (the headline of issue 19), gotrim's named buckets and unattributed rest, gsa's bytes left
in sections, the top N packages with the relative difference, and the time each takes on the
binary (gotrim's attribution core through refactor.binary.attribute, its first call untimed since
it builds the core, median of --runs; gsa's whole run, median of --runs), with their ratio. gsa
nests sub-packages (`io` holds `io/fs`) and its `size` includes them, so a package's own bytes are
its size minus its sub-packages' sizes.

gsa comes from --gsa, else `gsa` on PATH, else `go install github.com/Zxilly/go-size-analyzer/cmd/gsa@VERSION`
into a temporary GOBIN, else (the install looks the module's version list up, which the module
proxy may refuse) from its source: `go mod download` of that version and `go build ./cmd/gsa` in
it (both need the module proxy; deleted afterwards). When none works the gotrim side is still
printed, with "gsa": null and the reason, and the exit status is 0 (so the smoke test can run
offline); --require-gsa makes it 1.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench._common import FIXTURE, ROOT, load_avg, run_gotrim

GSA_MODULE = "github.com/Zxilly/go-size-analyzer/cmd/gsa"
GSA_VERSION = "v1.11.0"  # the newest the module proxy served when this was written


def find_gsa(explicit: str | None, version: str, tmp: Path, *, from_source: bool = True) -> tuple[str | None, str]:
    """A gsa executable and how it was found (or None and why not); from_source: build it from its
    module's source when `go install` fails (a minute the first time)."""
    if explicit:
        return explicit, "given"
    on_path = shutil.which("gsa")
    if on_path:
        return on_path, "PATH"
    gobin = tmp / "gobin"
    env = {**os.environ, "GOBIN": str(gobin), "GOFLAGS": ""}
    proc = subprocess.run(["go", "install", f"{GSA_MODULE}@{version}"], capture_output=True, text=True, env=env,
                          cwd=tmp)
    if proc.returncode == 0:
        return str(gobin / "gsa"), f"go install @{version}"
    installed = _why(proc.stderr)
    if not from_source:
        return None, f"go install failed: {installed}"
    # from its source: the module at that version, built with its own go.mod and go.sum
    root = GSA_MODULE.removesuffix("/cmd/gsa")
    dl = subprocess.run(["go", "mod", "download", "-json", f"{root}@{version}"], capture_output=True, text=True,
                        env=env, cwd=tmp)
    try:
        src = json.loads(dl.stdout).get("Dir") if dl.stdout.strip() else None
    except json.JSONDecodeError:
        src = None
    if not src:
        return None, f"go install failed: {installed}; go mod download failed: {_why(dl.stderr + dl.stdout)}"
    built = subprocess.run(["go", "build", "-o", str(gobin / "gsa"), "./cmd/gsa"], capture_output=True, text=True,
                           env={**env, "GOFLAGS": "-mod=mod"}, cwd=src)
    if built.returncode != 0:
        return None, f"go install failed: {installed}; building the source failed: {_why(built.stderr)}"
    return str(gobin / "gsa"), f"built from its source @{version}"


def _why(stderr: str) -> str:
    # URLs are dropped from the message so that a report pasted into a file names no host
    return re.sub(r"\S+://\S+", "<url>", " ".join(stderr.split()))[:300]


def gsa_packages(data: dict) -> dict[str, int]:
    """Own file bytes per import path from gsa's JSON: sizes of nested sub-packages subtracted, and the
    package's symbols in memory-only sections (.bss, .noptrbss), which gsa counts in a package's size
    but take no byte of the file (a 32 MiB buffer of crypto/internal/fips140/drbg in .noptrbss)."""
    memory = [(int(s["addr"]), int(s["addr_end"])) for s in data.get("sections") or [] if s.get("only_in_memory")]

    def in_memory(addr: int) -> bool:
        return any(lo <= addr < hi for lo, hi in memory)

    out: dict[str, int] = {}

    def walk(pkg: dict) -> None:
        subs = list((pkg.get("subPackages") or {}).values())
        bss = sum(int(sym["size"]) for sym in pkg.get("symbols") or [] if in_memory(int(sym.get("addr") or 0)))
        own = int(pkg["size"]) - sum(int(s["size"]) for s in subs) - bss
        out[pkg["name"]] = out.get(pkg["name"], 0) + own
        for s in subs:
            walk(s)

    for p in (data.get("packages") or {}).values():
        walk(p)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("module", nargs="?", default=str(ROOT / "bench" / "seed"))
    ap.add_argument("--main", default="./cmd/trace-agent")
    ap.add_argument("--gsa", help="path of a gsa executable")
    ap.add_argument("--gsa-version", default=GSA_VERSION)
    ap.add_argument("--runs", type=int, default=3, help="timed runs of each attribution (median)")
    ap.add_argument("--top", type=int, default=20)
    ap.add_argument("--require-gsa", action="store_true")
    ap.add_argument("--smoke", action="store_true",
                    help="fixture_repos/split ./cmd/lite, and no build of gsa from its source")
    ns = ap.parse_args(argv)
    if ns.smoke:
        ns.module, ns.main = str(FIXTURE), "./cmd/lite"
    module = Path(ns.module).resolve()
    r = run_gotrim(["size", str(module), "-t", ns.main, "--json"])
    if r["rc"] != 0:
        print(f"gotrim size exited {r['rc']}:\n{r['stderr'][-2000:]}", file=sys.stderr)
        return 1
    doc = json.loads(str(r["stdout"]))[0]
    size = doc["size"]
    gt_pkgs: dict[str, int] = size["packages"]
    file_bytes = int(size["file_bytes"])
    out: dict[str, object] = {
        "module": str(module.relative_to(ROOT)) if module.is_relative_to(ROOT) else str(module), "main": ns.main,
        "load_before": load_avg(),
        "gotrim": {"file_bytes": file_bytes, "packages_bytes": sum(gt_pkgs.values()),
                   "package_share_percent": round(100 * sum(gt_pkgs.values()) / file_bytes, 2),
                   "packages_and_buckets_bytes": sum(gt_pkgs.values()) + sum(size["buckets"].values()),
                   "buckets": dict(sorted(size["buckets"].items(), key=lambda kv: -kv[1])),
                   "unattributed": size["unattributed"], "packages": len(gt_pkgs),
                   "size_command_seconds": round(float(r["seconds"]), 2)},
        "gsa": None,
    }
    with tempfile.TemporaryDirectory(prefix="bench-gsa-") as tmp_s:
        tmp = Path(tmp_s)
        binary = tmp / "bin"
        subprocess.run(["go", "build", "-trimpath", "-o", str(binary), ns.main], cwd=module, check=True)
        gotrim_side = out["gotrim"]
        assert isinstance(gotrim_side, dict)
        gotrim_side["attribute_seconds"] = time_attribution(module, ns.main, binary, ns.runs)
        exe, how = find_gsa(ns.gsa, ns.gsa_version, tmp, from_source=not ns.smoke)
        out["gsa_source"] = how
        if exe:
            report = tmp / "gsa.json"
            seconds, proc = [], None
            for _ in range(ns.runs):
                t = time.perf_counter()
                proc = subprocess.run([exe, "-f", "json", "-o", str(report), str(binary)], capture_output=True,
                                      text=True)
                seconds.append(time.perf_counter() - t)
            assert proc is not None
            if proc.returncode != 0 or not report.exists():
                out["gsa_source"] = how + "; gsa failed: " + " ".join(proc.stderr.split())[:300]
            else:
                data = json.loads(report.read_text())
                pk = gsa_packages(data)
                gsa_file = binary.stat().st_size
                in_sections = {sec["name"]: int(sec["file_size"]) - int(sec.get("known_size") or 0)
                               for sec in data.get("sections") or [] if int(sec.get("file_size") or 0)}
                out["gsa"] = {"file_bytes": gsa_file, "reported_size": data.get("size"),
                              "packages_bytes": sum(pk.values()),
                              "package_share_percent": round(100 * sum(pk.values()) / gsa_file, 2),
                              "left_in_sections": dict(sorted(((k, v) for k, v in in_sections.items() if v > 0),
                                                              key=lambda kv: -kv[1])[:8]),
                              "packages": len(pk), "seconds": round(statistics.median(seconds), 3)}
                out["speed_ratio_gotrim_to_gsa"] = round(
                    float(gotrim_side["attribute_seconds"]) / statistics.median(seconds), 3)
                rows = []
                for path, b in sorted(gt_pkgs.items(), key=lambda kv: -kv[1])[:ns.top]:
                    g = pk.get(path)
                    rows.append({"package": path, "gotrim": b, "gsa": g,
                                 "diff_percent": round(100 * (b - g) / g, 1) if g else None})
                out["top"] = rows
                out["within_5_percent"] = sum(1 for x in rows if x["diff_percent"] is not None
                                              and abs(float(x["diff_percent"])) <= 5)
    out["load_after"] = load_avg()
    if out["gsa"] is None:
        out["top"] = [{"package": p, "gotrim": b, "gsa": None, "diff_percent": None}
                      for p, b in sorted(gt_pkgs.items(), key=lambda kv: -kv[1])[:ns.top]]
    print(json.dumps(out, indent=2))
    return 1 if ns.require_gsa and out["gsa"] is None else 0


def time_attribution(module: Path, main: str, binary: Path, runs: int) -> float:
    """Median seconds of gotrim's attribution of binary (refactor.binary.attribute: its compiled core),
    the first call untimed (it may build the core)."""
    from refactor.binary import attribute

    listed = subprocess.run(["go", "list", "-deps", "-json=ImportPath,Module", main], cwd=module,
                            capture_output=True, text=True, check=True).stdout
    packages: dict[str, str | None] = {}
    dec, pos = json.JSONDecoder(), 0
    while True:
        while pos < len(listed) and listed[pos].isspace():
            pos += 1
        if pos >= len(listed):
            break
        obj, pos = dec.raw_decode(listed, pos)
        packages[obj["ImportPath"]] = (obj.get("Module") or {}).get("Path")
    main_path = subprocess.run(["go", "list", "-f", "{{.ImportPath}}", main], cwd=module, capture_output=True,
                               text=True, check=True).stdout.strip()
    attribute(binary, packages, main_path)
    seconds = []
    for _ in range(max(1, runs)):
        t = time.perf_counter()
        attribute(binary, packages, main_path)
        seconds.append(time.perf_counter() - t)
    return round(statistics.median(seconds), 3)


if __name__ == "__main__":
    raise SystemExit(main())
