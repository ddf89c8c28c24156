"""gotrim's per-package attribution against go-size-analyzer (gsa) on the same binary.

    python -m bench.gsa [MODULE_DIR] [--main ./cmd/trace-agent] [--gsa PATH] [--gsa-version latest] [--top 20]

Builds the target with `go build -trimpath` (what `gotrim size` builds, so the file is byte for byte
the one gotrim attributes: the two file sizes are printed to check), runs `gsa -f json` on it and
`gotrim size --json` on the module, and prints the total each attributes to packages (gotrim: its
packages, and its packages plus named buckets), and the top N packages of gotrim beside gsa's figure
with the relative difference. gsa nests sub-packages (`io` holds `io/fs`) and its `size` includes
them, so a package's own bytes are its size minus its sub-packages' sizes.

gsa comes from --gsa, else `gsa` on PATH, else `go install github.com/Zxilly/go-size-analyzer/cmd/gsa`
into a temporary GOBIN (deleted afterwards; needs the module proxy). When none works the gotrim side
is still printed, with "gsa": null and the reason, and the exit status is 0 (so the smoke test can
run offline); --require-gsa makes it 1.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench._common import FIXTURE, ROOT, run_gotrim

GSA_MODULE = "github.com/Zxilly/go-size-analyzer/cmd/gsa"


def find_gsa(explicit: str | None, version: str, tmp: Path) -> tuple[str | None, str]:
    """A gsa executable and how it was found (or None and why not)."""
    if explicit:
        return explicit, "given"
    on_path = shutil.which("gsa")
    if on_path:
        return on_path, "PATH"
    gobin = tmp / "gobin"
    proc = subprocess.run(["go", "install", f"{GSA_MODULE}@{version}"], capture_output=True, text=True,
                          env={**os.environ, "GOBIN": str(gobin)}, cwd=tmp)
    if proc.returncode != 0:
        # URLs are dropped from the message so that a report pasted into a file names no host
        return None, "go install failed: " + re.sub(r"\S+://\S+", "<url>", " ".join(proc.stderr.split()))[:300]
    return str(gobin / "gsa"), f"go install @{version}"


def gsa_packages(data: dict) -> dict[str, int]:
    """Own bytes per import path from gsa's JSON (sizes of nested sub-packages subtracted)."""
    out: dict[str, int] = {}

    def walk(pkg: dict) -> None:
        subs = list((pkg.get("subPackages") or {}).values())
        out[pkg["name"]] = out.get(pkg["name"], 0) + int(pkg["size"]) - sum(int(s["size"]) for s in subs)
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
    ap.add_argument("--gsa-version", default="latest")
    ap.add_argument("--top", type=int, default=20)
    ap.add_argument("--require-gsa", action="store_true")
    ap.add_argument("--smoke", action="store_true", help="fixture_repos/split ./cmd/lite")
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
    out: dict[str, object] = {
        "module": str(module.relative_to(ROOT)) if module.is_relative_to(ROOT) else str(module), "main": ns.main,
        "gotrim": {"file_bytes": size["file_bytes"], "packages_bytes": sum(gt_pkgs.values()),
                   "packages_and_buckets_bytes": sum(gt_pkgs.values()) + sum(size["buckets"].values()),
                   "packages": len(gt_pkgs)},
        "gsa": None,
    }
    with tempfile.TemporaryDirectory(prefix="bench-gsa-") as tmp_s:
        tmp = Path(tmp_s)
        exe, how = find_gsa(ns.gsa, ns.gsa_version, tmp)
        out["gsa_source"] = how
        if exe:
            binary = tmp / "bin"
            subprocess.run(["go", "build", "-trimpath", "-o", str(binary), ns.main], cwd=module, check=True)
            report = tmp / "gsa.json"
            proc = subprocess.run([exe, "-f", "json", "-o", str(report), str(binary)], capture_output=True,
                                  text=True)
            if proc.returncode != 0 or not report.exists():
                out["gsa_source"] = how + "; gsa failed: " + " ".join(proc.stderr.split())[:300]
            else:
                data = json.loads(report.read_text())
                pk = gsa_packages(data)
                out["gsa"] = {"file_bytes": binary.stat().st_size, "reported_size": data.get("size"),
                              "packages_bytes": sum(pk.values()), "packages": len(pk)}
                rows = []
                for path, b in sorted(gt_pkgs.items(), key=lambda kv: -kv[1])[:ns.top]:
                    g = pk.get(path)
                    rows.append({"package": path, "gotrim": b, "gsa": g,
                                 "diff_percent": round(100 * (b - g) / g, 1) if g else None})
                out["top"] = rows
                out["within_5_percent"] = sum(1 for x in rows if x["diff_percent"] is not None
                                              and abs(float(x["diff_percent"])) <= 5)
    if out["gsa"] is None:
        out["top"] = [{"package": p, "gotrim": b, "gsa": None, "diff_percent": None}
                      for p, b in sorted(gt_pkgs.items(), key=lambda kv: -kv[1])[:ns.top]]
    print(json.dumps(out, indent=2))
    return 1 if ns.require_gsa and out["gsa"] is None else 0


if __name__ == "__main__":
    raise SystemExit(main())
