"""Size budgets for `gotrim check`, read from gotrim.toml: global `[budget]` and per `[[target]]`.

```toml
[budget]                      # every target
max_growth = "2%"             # against gotrim.lock: bytes (200000, "512 KiB") or a percentage
forbid = ["plugin", "k8s.io/..."]   # import-path patterns, Go's `...` wildcard
dce = "on"                    # method dead-code elimination must stay on
tolerance = "16 KiB"          # byte noise never counted as growth (default 16 KiB)
toolchain_tolerance = "5%"    # the same, when gotrim.lock was built by another Go version
drift = "fail"                # "fail": packages, DCE, go/toolchain lines or module versions that differ
                              # from gotrim.lock fail the check; "report": only shown

[[target]]
main = "./cmd/agent"
[target.budget]               # this target's keys win over [budget]; forbid lists add up
max_bytes = "40 MiB"
```
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from refactor.config import CONFIG_FILE, Target, TargetSpec, load_specs, read_config
from refactor.errors import UsageError

KEYS = ("max_bytes", "max_growth", "forbid", "dce", "tolerance", "toolchain_tolerance", "drift")
DEFAULT_TOLERANCE_BYTES = 16 * 1024  # the linker rounds segments to pages; cgo's C compiler varies by machine
DEFAULT_TOOLCHAIN_TOLERANCE_PERCENT = 5.0  # a new Go release moves a binary by a few percent
_UNITS = {"": 1, "b": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3, "kib": 1024, "mib": 1024**2, "gib": 1024**3}
_AMOUNT = re.compile(r"^\s*([0-9][0-9_]*(?:\.[0-9]+)?)\s*([a-zA-Z%]*)\s*$")


@dataclass(frozen=True)
class Amount:
    """A number of bytes, or a percentage of some size."""

    bytes: int | None = None
    percent: float | None = None

    def of(self, base: int) -> int:
        """The amount in bytes, a percentage taken of `base`."""
        if self.percent is not None:
            return int(base * self.percent / 100)
        return self.bytes or 0

    @property
    def text(self) -> str:
        if self.percent is not None:
            return f"{self.percent:g}%"
        return f"{self.bytes:,} B"


@dataclass(frozen=True)
class Budget:
    """The limits that apply to one target (global `[budget]` merged with the target's own)."""

    max_bytes: int | None = None
    max_growth: Amount | None = None
    forbid: tuple[str, ...] = ()
    dce: str | None = None  # "on" or None
    tolerance: Amount = Amount(bytes=DEFAULT_TOLERANCE_BYTES)
    toolchain_tolerance: Amount = Amount(percent=DEFAULT_TOOLCHAIN_TOLERANCE_PERCENT)
    drift: str = "fail"  # "fail" | "report"

    def for_json(self) -> dict[str, object]:
        return {"max_bytes": self.max_bytes, "max_growth": self.max_growth.text if self.max_growth else None,
                "forbid": list(self.forbid), "dce": self.dce, "tolerance": self.tolerance.text,
                "toolchain_tolerance": self.toolchain_tolerance.text, "drift": self.drift}


@dataclass(frozen=True)
class Budgets:
    """Every budget of gotrim.toml: the global table and each `[[target]]` table's, with its spec."""

    common: Mapping[str, object] = field(default_factory=dict)
    per_spec: tuple[tuple[TargetSpec, Mapping[str, object]], ...] = ()

    def for_target(self, module_path: str | Callable[[str], str], target: Target) -> Budget:
        """The budget of a target: [budget], then every [[target]] table that describes it."""
        merged: dict[str, object] = dict(self.common)
        for spec, table in self.per_spec:
            if spec_describes(spec, module_path, target):
                forbid: tuple[str, ...] = (*_strings(merged.get("forbid")), *_strings(table.get("forbid")))
                merged.update(table)
                if forbid:
                    merged["forbid"] = tuple(dict.fromkeys(forbid))
        return Budget(**merged)  # type: ignore[arg-type]

    @property
    def empty(self) -> bool:
        return not self.common and not any(t for _s, t in self.per_spec)


def _strings(value: object) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, tuple | list) else ()


def load_budgets(root: Path) -> Budgets:
    """The budgets of gotrim.toml at root (none when there is no file); UsageError names a bad key."""
    data = read_config(root)
    if data is None:
        return Budgets()
    path = root / CONFIG_FILE
    common = parse_budget(data.get("budget", {}), f"{path}: [budget]")
    per_spec: list[tuple[TargetSpec, Mapping[str, object]]] = []
    if "target" in data:
        specs = load_specs(root) or ()
        tables = data.get("target")
        assert isinstance(tables, list)
        for i, (spec, table) in enumerate(zip(specs, tables, strict=True), 1):
            own = parse_budget(table.get("budget", {}), f"{path}: [[target]] #{i} budget")
            per_spec.append((spec, own))
    return Budgets(common=common, per_spec=tuple(per_spec))


def parse_budget(table: object, where: str) -> dict[str, object]:
    """One budget table as Budget keyword arguments (only the keys it sets)."""
    if not isinstance(table, dict):
        raise UsageError(f"{where} must be a table, e.g. [budget] with max_growth = \"2%\"")
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise UsageError(f"{where} has unknown keys {unknown}; known: {', '.join(KEYS)}")
    out: dict[str, object] = {}
    for key, value in table.items():
        at = f"{where} {key} = {value!r}"
        if key == "max_bytes":
            amount = parse_amount(value, at, percent=False)
            out[key] = amount.bytes
        elif key in ("max_growth", "tolerance", "toolchain_tolerance"):
            out[key] = parse_amount(value, at, percent=True)
        elif key == "forbid":
            items = [value] if isinstance(value, str) else value
            if not isinstance(items, list) or not all(isinstance(v, str) and v.strip() for v in items):
                raise UsageError(f"{at} must be a list of import-path patterns, e.g. [\"plugin\", \"k8s.io/...\"]")
            out[key] = tuple(v.strip() for v in items)
        elif key == "dce":
            if value not in ("on", "any"):
                raise UsageError(f"{at}: dce must be \"on\" (method dead-code elimination required) or \"any\"")
            out[key] = "on" if value == "on" else None
        elif key == "drift":
            if value not in ("fail", "report"):
                raise UsageError(f"{at}: drift must be \"fail\" or \"report\"")
            out[key] = value
    return out


def parse_amount(value: object, where: str, *, percent: bool) -> Amount:
    """200000, "512 KiB", "40MB" (and, when allowed, "2%" or "2.5 %") as an Amount."""
    if isinstance(value, bool):
        raise UsageError(f"{where} is not a size")
    if isinstance(value, int):
        if value < 0:
            raise UsageError(f"{where} must not be negative")
        return Amount(bytes=value)
    if isinstance(value, str):
        m = _AMOUNT.match(value)
        if m:
            number, unit = float(m.group(1).replace("_", "")), m.group(2).lower()
            if unit == "%" and percent:
                return Amount(percent=number)
            if unit in _UNITS:
                return Amount(bytes=int(number * _UNITS[unit]))
    example = 'bytes (200000, "512 KiB")' + (' or a percentage ("2%")' if percent else "")
    raise UsageError(f"{where} is not {example}")


def match_pattern(pattern: str, import_path: str) -> bool:
    """Go's package pattern match (cmd/go pkgpattern.MatchPattern): `...` matches any string, and
    `x/...` matches x itself too."""
    if "..." not in pattern:
        return pattern == import_path
    expr = re.escape(pattern).replace(r"\.\.\.", ".*")
    if expr.endswith("/.*"):
        expr = expr[:-3] + "(/.*)?"
    return re.fullmatch(expr, import_path) is not None


def spec_describes(spec: TargetSpec, module_path: str | Callable[[str], str], target: Target) -> bool:
    """True when the target is one of those a `[[target]]` table resolves to."""
    if spec.platforms and (target.goos, target.goarch) not in spec.platforms:
        return False
    if spec.tags != target.tags or spec.ldflags != target.ldflags:
        return False
    if spec.cgo is not None and spec.cgo != target.cgo:
        return False
    if not spec.mains:
        return True
    return any(match_pattern(_as_import_pattern(m, module_path), target.main) for m in spec.mains)


def _as_import_pattern(pattern: str, module_path: str | Callable[[str], str]) -> str:
    """A `main` pattern as an import-path pattern: module_path is the module's path (`./x` below it),
    or the repository's resolver (Project.import_pattern: `./tools/cmd/x` in whichever module holds it)."""
    if callable(module_path):
        return module_path(pattern)
    if pattern == ".":
        return module_path
    if pattern.startswith("./"):
        return module_path + "/" + pattern[2:].rstrip("/")
    return pattern


def forbidden(patterns: Sequence[str], packages: Sequence[str]) -> list[tuple[str, str]]:
    """(pattern, package) for every package a pattern forbids, in package order."""
    return [(pat, p) for p in packages for pat in patterns if match_pattern(pat, p)]
