"""A module proxy on disk for offline tests: modules from a fixture's `_modules/<path>@<version>/`
served through GOPROXY=file://..., with a private module cache (the dependency patch tests read a
dependency from the module cache, as gotrim does on real repositories).

    python3 -m tests.goproxy fixture_repos/deppatch   # prints the go.sum lines of its _modules
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
import zipfile
from pathlib import Path


def _module_dirs(fixture: Path) -> list[tuple[str, str, Path]]:
    """(module path, version, directory) of each module under fixture/_modules."""
    root = fixture / "_modules"
    out = []
    for d in sorted(p for p in root.rglob("*@*") if p.is_dir()):
        path, version = d.relative_to(root).as_posix().rsplit("@", 1)
        out.append((path, version, d))
    return out


def _files(d: Path) -> list[tuple[str, bytes]]:
    return [(p.relative_to(d).as_posix(), p.read_bytes()) for p in sorted(d.rglob("*")) if p.is_file()]


def hash1(files: list[tuple[str, bytes]]) -> str:
    """golang.org/x/mod/sumdb/dirhash.Hash1 of (name, content) pairs."""
    summary = "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in sorted(files))
    return "h1:" + base64.b64encode(hashlib.sha256(summary.encode()).digest()).decode()


def go_sum(fixture: Path) -> str:
    """The go.sum lines of the fixture's modules."""
    lines = []
    for path, version, d in _module_dirs(fixture):
        files = _files(d)
        prefix = f"{path}@{version}/"
        lines.append(f"{path} {version} {hash1([(prefix + n, b) for n, b in files])}\n")
        mod = next(b for n, b in files if n == "go.mod")
        lines.append(f"{path} {version}/go.mod {hash1([('go.mod', mod)])}\n")
    return "".join(lines)


def serve(fixture: Path, proxy: Path) -> None:
    """Lay out fixture's modules as a module proxy in proxy (GOPROXY=file://proxy)."""
    for path, version, d in _module_dirs(fixture):
        at = proxy / path / "@v"
        at.mkdir(parents=True, exist_ok=True)
        files = _files(d)
        (at / "list").write_text(version + "\n")
        (at / f"{version}.info").write_text(json.dumps({"Version": version, "Time": "2026-01-01T00:00:00Z"}))
        (at / f"{version}.mod").write_bytes(next(b for n, b in files if n == "go.mod"))
        with zipfile.ZipFile(at / f"{version}.zip", "w") as z:
            for name, data in files:
                z.writestr(f"{path}@{version}/{name}", data)


def environment(fixture: Path, tmp: Path) -> dict[str, str]:
    """The environment for go commands on the fixture: its modules from a proxy in tmp, a module cache
    in tmp (writable, so pytest can remove it), no checksum database."""
    proxy = tmp / "proxy"
    serve(fixture, proxy)
    return {"GOPROXY": proxy.absolute().as_uri(), "GOSUMDB": "off", "GOMODCACHE": str((tmp / "modcache").absolute()),
            "GOFLAGS": "-modcacherw", "GONOSUMDB": "", "GOPRIVATE": "", "GONOPROXY": ""}


if __name__ == "__main__":
    sys.stdout.write(go_sum(Path(sys.argv[1])))
