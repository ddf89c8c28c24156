"""A printable table that is also JSON: every table command returns one of these."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Column:
    """A column: header text, alignment, and how a cell is printed."""

    header: str
    key: str
    align: str = "left"  # "left" | "right"
    kind: str = "text"  # "text" | "bytes" | "percent" | "int"


@dataclass(frozen=True)
class Table:
    """Rows of dicts keyed by column key; `data` is the JSON document (defaults to the rows)."""

    title: str
    columns: Sequence[Column]
    rows: Sequence[dict[str, Any]]
    notes: Sequence[str] = ()
    data: Any = field(default=None)

    def json_data(self) -> Any:
        return self.data if self.data is not None else {"title": self.title, "rows": list(self.rows)}


def human_bytes(n: int) -> str:
    """1536 -> '1.5 KiB'; exact byte counts stay in JSON."""
    sign = "-" if n < 0 else ""
    v = float(abs(n))
    for unit in ("B", "KiB", "MiB", "GiB"):
        if v < 1024 or unit == "GiB":
            return f"{sign}{v:.0f} {unit}" if unit == "B" else f"{sign}{v:.1f} {unit}"
        v /= 1024
    return f"{n} B"


def count(n: int, noun: str) -> str:
    """`1 package`, `2 packages`."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
