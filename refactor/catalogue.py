"""The catalogue of upstream build tags that remove a method-DCE blocker (refactor/data/upstream_tags.toml).

Kept as data: each row names the module, the tag, what it removes, where that is documented, the
module versions that have it, and how to recognise the blocker (import edges it cuts, symbols).
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True)
class Switch:
    """One upstream build tag that removes a blocker inside a module (a row of upstream_tags.toml)."""

    module: str
    tag: str
    removes: str
    source: str
    verified: str
    min_version: str = ""
    max_version: str = ""
    cuts: tuple[tuple[str, str], ...] = ()
    symbols: tuple[str, ...] = ()
    released: bool = True

    def version_ok(self, version: str) -> bool:
        """True when `version` is inside [min_version, max_version); local replacements count as in."""
        v = semver_key(version)
        if v is None:
            return True
        if self.min_version and v < (semver_key(self.min_version) or ()):
            return False
        return not (self.max_version and v >= (semver_key(self.max_version) or ()))


@functools.lru_cache(maxsize=1)
def catalogue() -> tuple[Switch, ...]:
    """The upstream switches shipped with gotrim."""
    text = resources.files("refactor").joinpath("data/upstream_tags.toml").read_text(encoding="utf-8")
    return parse_catalogue(text)


def parse_catalogue(text: str) -> tuple[Switch, ...]:
    """Switches from the TOML text of a catalogue."""
    out = []
    for row in tomllib.loads(text).get("switch", []):
        out.append(Switch(
            module=row["module"], tag=row["tag"], removes=row["removes"], source=row["source"],
            verified=row.get("verified", ""), min_version=row.get("min_version", ""),
            max_version=row.get("max_version", ""),
            cuts=tuple((a, b) for a, b in row.get("cuts", [])), symbols=tuple(row.get("symbols", [])),
            released=row.get("released", True),
        ))
    return tuple(out)


def semver_key(version: str) -> tuple[int, ...] | None:
    """`v1.62.0` -> (1, 62, 0, 1); pre-releases sort before the release; None for `(devel)`."""
    m = re.match(r"^v(\d+)\.(\d+)\.(\d+)(-)?", version)
    if not m:
        return None
    return int(m.group(1)), int(m.group(2)), int(m.group(3)), 0 if m.group(4) else 1
