"""gotrim.lock: what each binary was when the lock was last updated, committed beside gotrim.toml.

JSON (schema `gotrim.lock/v1`, docs/check.md), written by `gotrim check --update`, one package per
line so that a pull request's diff of the lock reads like depaware's: which packages came or went.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from refactor import __version__
from refactor.config import Target
from refactor.errors import UsageError
from refactor.facts import STD, BinaryFacts, DceState, GoMod, target_key

LOCK_FILE = "gotrim.lock"
SCHEMA = "gotrim.lock/v1"


@dataclass(frozen=True)
class Lock:
    """A read gotrim.lock: who wrote it, with which toolchain, and each target's facts."""

    path: Path
    gotrim_version: str
    go_version: str
    targets: tuple[BinaryFacts, ...]

    def find(self, target: Target) -> BinaryFacts | None:
        key = target_key(target)
        for f in self.targets:
            if target_key(f.target) == key:
                return f
        return None


def lock_path(module_dir: Path) -> Path:
    return module_dir / LOCK_FILE


def to_json(facts: Sequence[BinaryFacts]) -> dict[str, Any]:
    """The lock document for these targets (deterministic: same facts, same bytes)."""
    go_versions = sorted({f.go_version for f in facts})
    return {"schema": SCHEMA, "generator": {"name": "gotrim", "version": __version__},
            "go": go_versions[0] if len(go_versions) == 1 else ", ".join(go_versions),
            "targets": [_target_json(f) for f in facts]}


def _target_json(f: BinaryFacts) -> dict[str, Any]:
    t = f.target
    modules: dict[str, dict[str, Any]] = {}
    for name in sorted(set(f.packages.values()) | set(f.module_bytes) | set(f.module_versions)):
        modules[name] = {"version": f.module_versions.get(name), "bytes": f.module_bytes.get(name, 0),
                         "packages": sorted(p for p, m in f.packages.items() if m == name)}
    return {
        "label": t.label, "main": t.main, "goos": t.goos, "goarch": t.goarch, "tags": list(t.tags),
        "cgo": t.cgo, "ldflags": t.ldflags, "go": f.go_version,
        "go_directive": f.gomod.go, "toolchain_directive": f.gomod.toolchain,
        "file_bytes": f.file_bytes,
        "dce": {"method_dce": f.dce.method_dce, "reflect_blocker": f.dce.reflect_blocker,
                "dynamic_linking": f.dce.dynamic_linking},
        "modules": modules,
    }


def write_lock(path: Path, facts: Sequence[BinaryFacts]) -> None:
    """Write gotrim.lock atomically."""
    text = json.dumps(to_json(facts), indent=2, ensure_ascii=False) + "\n"
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def read_lock(path: Path) -> Lock:
    """Read gotrim.lock; UsageError (exit 2) when it is missing or unreadable, saying what to do."""
    if not path.is_file():
        raise UsageError(f"no {LOCK_FILE} in {path.parent}: create it with `gotrim check --update` "
                         f"(on the base branch) and commit it")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise UsageError(f"{path} is not valid JSON ({exc}): regenerate it with `gotrim check --update`") from exc
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        found = data.get("schema") if isinstance(data, dict) else None
        raise UsageError(f"{path} has schema {found!r}, this gotrim {__version__} reads {SCHEMA}: "
                         "regenerate it with `gotrim check --update`")
    try:
        targets = tuple(_target_facts(t, str(data["go"])) for t in data["targets"])
        return Lock(path=path, gotrim_version=str(data["generator"]["version"]), go_version=str(data["go"]),
                    targets=targets)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise UsageError(f"{path} is damaged ({type(exc).__name__}: {exc}): regenerate it with "
                         "`gotrim check --update`") from exc


def _target_facts(t: dict[str, Any], go_version: str) -> BinaryFacts:
    target = Target(main=str(t["main"]), goos=str(t["goos"]), goarch=str(t["goarch"]),
                    tags=tuple(str(x) for x in t.get("tags", ())), cgo=bool(t["cgo"]),
                    ldflags=str(t.get("ldflags", "")))
    packages: dict[str, str] = {}
    module_bytes: dict[str, int] = {}
    versions: dict[str, str] = {}
    for name, m in dict(t["modules"]).items():
        for p in m.get("packages", ()):
            packages[str(p)] = name
        if int(m.get("bytes", 0)):
            module_bytes[name] = int(m["bytes"])
        if m.get("version") is not None and name != STD:
            versions[name] = str(m["version"])
    d = t.get("dce") or {}
    dce = DceState(method_dce=d.get("method_dce"), reflect_blocker=d.get("reflect_blocker"),
                   dynamic_linking=bool(d.get("dynamic_linking")))
    return BinaryFacts(target=target, go_version=str(t.get("go", go_version)), file_bytes=int(t["file_bytes"]),
                       packages=packages, module_bytes=module_bytes, package_bytes=None,
                       module_versions=versions,
                       gomod=GoMod(go=str(t.get("go_directive", "")), toolchain=str(t.get("toolchain_directive", ""))),
                       dce=dce)
