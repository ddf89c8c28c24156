"""Targets (one binary in one build configuration) and run settings; reads gotrim.toml."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from refactor.errors import UsageError

CONFIG_FILE = "gotrim.toml"


@dataclass(frozen=True)
class Target:
    """One binary in one configuration: the only way go commands learn GOOS/GOARCH/tags/cgo."""

    main: str  # import path of the main package
    goos: str
    goarch: str
    tags: tuple[str, ...] = ()
    cgo: bool = True
    ldflags: str = ""

    def env(self) -> dict[str, str]:
        """Environment overrides for go commands run for this target."""
        return {"GOOS": self.goos, "GOARCH": self.goarch, "CGO_ENABLED": "1" if self.cgo else "0"}

    def build_flags(self) -> list[str]:
        """Flags shared by go list and go build for this target."""
        return ["-tags", ",".join(self.tags)] if self.tags else []

    @property
    def name(self) -> str:
        """Short name of the binary, as `go build` names it: the last element of the main package path,
        or the one before a major-version suffix (example.com/yq/v4 -> yq; cmd/go's DefaultExecName)."""
        parts = self.main.rstrip("/").split("/")
        if len(parts) > 1 and _is_version_element(parts[-1]):
            return parts[-2]
        return parts[-1]

    @property
    def platform(self) -> str:
        return f"{self.goos}/{self.goarch}"

    @property
    def label(self) -> str:
        """Human label: `lite linux/amd64 tags=a,b nocgo`."""
        parts = [self.name, self.platform] if self.name else [self.platform]  # a configuration: no main
        if self.tags:
            parts.append("tags=" + ",".join(self.tags))
        if not self.cgo:
            parts.append("nocgo")
        return " ".join(parts)

    def with_tags(self, *extra: str) -> Target:
        """This target with extra build tags (deduplicated, order kept)."""
        tags = tuple(dict.fromkeys((*self.tags, *extra)))
        return replace(self, tags=tags)


@dataclass(frozen=True)
class TargetSpec:
    """What the user asked for before main packages are resolved: patterns, platforms, tags."""

    mains: tuple[str, ...] = ()  # import paths or ./relative patterns; empty = every main package
    platforms: tuple[tuple[str, str], ...] = ()  # empty = host platform
    tags: tuple[str, ...] = ()
    cgo: bool | None = None  # None = go's default for the platform
    ldflags: str = ""


@dataclass(frozen=True)
class Settings:
    """What a run's analysis reads besides its targets, as a value; strategies read it, never globals.

    Targets travel separately (load's specs); which strategies run and which candidates are shown
    (--strategy, --min-bytes, --top) are suggest's business, applied to the ranked, merged candidates:
    a strategy proposes everything it finds, whatever its estimate.
    """

    root: Path
    new_package_names: dict[str, str] = field(default_factory=dict)  # split: package -> new package name
    cache_dir: Path | None = None  # where attributed sizes and kept builds are remembered; None: nowhere
    guard_tags: dict[str, str] = field(default_factory=dict)  # guard: default tag or heavy import path -> tag
    jobs: int | None = None  # builds at once (--jobs); None: builds.link_slots()


def parse_assignments(items: Sequence[str], what: str) -> dict[str, str]:
    """`KEY=VALUE` flags as a dict; a UsageError names the one that is malformed."""
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise UsageError(f"{what} {item!r} is not KEY=VALUE")
        out[key.strip()] = value.strip()
    return out


def _is_version_element(s: str) -> bool:
    """v2, v3, ... (not v0, v1, v01): a module's major-version suffix."""
    return len(s) >= 2 and s[0] == "v" and s[1] != "0" and s[1:].isdigit() and s != "v1"


def default_cache_dir() -> Path:
    """$GOTRIM_CACHE_DIR, else $XDG_CACHE_HOME/gotrim, else ~/.cache/gotrim."""
    if os.environ.get("GOTRIM_CACHE_DIR"):
        return Path(os.environ["GOTRIM_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "gotrim"


def parse_platform(text: str) -> tuple[str, str]:
    """`linux/amd64` -> ("linux", "amd64"); raises UsageError on other shapes."""
    parts = text.strip().split("/")
    if len(parts) != 2 or not all(parts):
        raise UsageError(f"platform {text!r} is not GOOS/GOARCH (for example linux/amd64)")
    return parts[0], parts[1]


def parse_tags(text: str | Iterable[str]) -> tuple[str, ...]:
    """Comma- or space-separated build tags, validated like go's isValidTag."""
    items = text.replace(",", " ").split() if isinstance(text, str) else list(text)
    for tag in items:
        if not tag or not all(c.isalnum() or c in "_." for c in tag):
            raise UsageError(f"build tag {tag!r} is not valid: use letters, digits, '_' and '.'")
    return tuple(dict.fromkeys(items))


def read_config(root: Path) -> dict[str, object] | None:
    """gotrim.toml at `root` as parsed TOML, or None when there is no file."""
    path = root / CONFIG_FILE
    if not path.is_file():
        return None
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: not valid TOML ({exc}); fix the file or remove it") from exc


def load_specs(root: Path) -> tuple[TargetSpec, ...] | None:
    """The `[[target]]` tables of gotrim.toml at `root`, or None when there is no file (or it only
    sets budgets: `[budget]`, read by refactor.budget)."""
    path = root / CONFIG_FILE
    data = read_config(root)
    if data is None or ("target" not in data and "budget" in data):
        return None
    tables = data.get("target", [])
    if not isinstance(tables, list) or not tables:
        raise UsageError(f"{path}: expected one or more [[target]] tables")
    specs = []
    for i, t in enumerate(tables, 1):
        if not isinstance(t, dict):
            raise UsageError(f"{path}: [[target]] #{i} is not a table")
        unknown = set(t) - {"main", "platforms", "tags", "cgo", "ldflags", "budget", "smoke"}
        if unknown:
            raise UsageError(f"{path}: [[target]] #{i} has unknown keys {sorted(unknown)}; "
                             "known: main, platforms, tags, cgo, ldflags, budget, smoke")
        main = t.get("main")
        if not isinstance(main, str) or not main:
            raise UsageError(f"{path}: [[target]] #{i} needs main = \"./cmd/NAME\"")
        platforms = tuple(parse_platform(p) for p in _str_list(t.get("platforms", []), path, "platforms"))
        tags = parse_tags(_str_list(t.get("tags", []), path, "tags"))
        cgo = t.get("cgo")
        if cgo is not None and not isinstance(cgo, bool):
            raise UsageError(f"{path}: [[target]] #{i} cgo must be true or false")
        ldflags = t.get("ldflags", "")
        specs.append(TargetSpec(mains=(main,), platforms=platforms, tags=tags, cgo=cgo, ldflags=str(ldflags)))
    load_smoke(root)  # a malformed smoke key is bad input now, not after the builds
    return tuple(specs)


@dataclass(frozen=True)
class SmokeSpec:
    """A `[[target]]`'s smoke command: arguments its binary is run with after a change (refactor.smoke).

    args None: the default (`--help`, or no arguments when HEAD's binary exits non-zero on it
    without printing anything); enabled False: `smoke = false`, not run.
    """

    main: str  # as written in gotrim.toml: ./cmd/NAME or an import path
    args: tuple[str, ...] | None = None
    enabled: bool = True


def load_smoke(root: Path) -> tuple[SmokeSpec, ...]:
    """The `smoke` keys of gotrim.toml's `[[target]]` tables at root (none without the file):
    `smoke = ["--version"]` (arguments), `smoke = []` (no arguments) or `smoke = false` (not run)."""
    data = read_config(root)
    tables = data.get("target", []) if data is not None else []
    out = []
    for i, t in enumerate(tables if isinstance(tables, list) else [], 1):
        if not isinstance(t, dict) or "smoke" not in t or not isinstance(t.get("main"), str):
            continue
        value = t["smoke"]
        if value is False:
            out.append(SmokeSpec(t["main"], None, enabled=False))
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            out.append(SmokeSpec(t["main"], tuple(value)))
        else:
            raise UsageError(f"{root / CONFIG_FILE}: [[target]] #{i} smoke must be a list of arguments "
                             '(smoke = ["--help"]; [] for none) or false')
    return tuple(out)


def specs_from_flags(
    mains: Sequence[str], platforms: Sequence[str], tags: str | None, cgo: bool | None
) -> TargetSpec | None:
    """A spec from command-line flags, or None when no target flag was given."""
    if not mains and not platforms and tags is None and cgo is None:
        return None
    return TargetSpec(
        mains=tuple(mains),
        platforms=tuple(parse_platform(p) for p in platforms),
        tags=parse_tags(tags or ""),
        cgo=cgo,
    )


def _str_list(value: object, path: Path, key: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UsageError(f"{path}: {key} must be a list of strings")
    return list(value)
