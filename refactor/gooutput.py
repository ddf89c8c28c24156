"""What go build, go vet and gofmt report, as findings that can be compared with the same step at HEAD.

A finding is one error or diagnostic: the package it is in, its text as go printed it (continuation
lines kept: they carry go's remedy) and a key without positions, so that the same error on another
line, or moved to another package by a split, is recognised as the same one. Comparison is by
multiset of keys: a candidate introduces a finding when it has more of that key than HEAD has.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from refactor.errors import with_remedy

MAX_OUTPUT = 16_000  # characters of go's output kept per step (JSON, -v, --debug)

_LEAD_POS = re.compile(r"^(?:vet: )?[^\s:]*\.go:\d+(?::\d+)?:\s*")
_POS = re.compile(r"[^\s:()\"'`]+\.go:\d+(?::\d+)?")


@dataclass(frozen=True)
class Finding:
    """One error or diagnostic of a go command."""

    package: str  # import path ("" when go did not say: module-level errors)
    text: str  # as go printed it, continuation lines included, paths relative to the module
    key: str  # what is compared with HEAD: the message without positions

    @property
    def display(self) -> str:
        """The first line, with go's remedy when the following lines give one. An import chain
        (`package A` then `imports B: why` lines) is one line: its first package, its last, and why."""
        lines = [ln.strip() for ln in self.text.splitlines() if ln.strip()]
        first = lines[0]
        chain = [ln for ln in lines[1:] if ln.startswith("imports ")]
        if re.fullmatch(r"package \S+", first) and chain:
            hops = " imports ..." if len(chain) > 1 else ""
            first = f"{first}{hops} {chain[-1]}"
        return with_remedy(first, self.text)


def message_key(text: str) -> str:
    """The message of a finding without its position or any other file:line in it."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if not lines:
        return ""
    lines[0] = _LEAD_POS.sub("", lines[0])
    return " ".join(_POS.sub("<pos>", ln) for ln in lines)


def relative(text: str, roots: Iterable[str]) -> str:
    """text with every `ROOT/` prefix removed (the scratch worktree's path differs from run to run)."""
    for root in sorted({r.rstrip("/") for r in roots if r}, key=len, reverse=True):
        text = text.replace(root + "/", "").replace(root, ".")
    return text


_PROGRESS = ("go: downloading ", "go: extracting ", "go: finding ")


def parse_errors(stderr: str) -> list[Finding]:
    """go build (or go vet's stderr): `# pkg` headers, then error lines; an indented line continues
    the error above it."""
    out: list[Finding] = []
    pkg = ""
    lines: list[str] = []

    def flush() -> None:
        if lines:
            text = "\n".join(lines)
            out.append(Finding(pkg, text, message_key(text)))
            lines.clear()

    for line in stderr.splitlines():
        if not line.strip() or line.startswith(_PROGRESS):
            continue  # the go command fetching modules says so on stderr; it is no error of the build
        if line.startswith("# "):
            flush()
            pkg = line[2:].strip()
            continue
        if line[0] in " \t" and lines:
            lines.append(line.rstrip())
            continue
        flush()
        lines.append(line.rstrip())
    flush()
    return out


def parse_vet_json(stdout: str, roots: Iterable[str] = ()) -> list[Finding]:
    """go vet -json: one JSON object per package, {pkg: {analyzer: [{posn, message}] | {error}}}."""
    out: list[Finding] = []
    dec = json.JSONDecoder()
    i = 0
    roots = list(roots)
    while i < len(stdout):
        j = stdout.find("{", i)
        if j < 0:
            break
        try:
            obj, i = dec.raw_decode(stdout, j)
        except json.JSONDecodeError:
            i = stdout.find("\n", j)
            if i < 0:
                break
            continue
        if not isinstance(obj, dict):
            continue
        for pkg, analyzers in obj.items():
            if not isinstance(analyzers, dict):
                continue
            for name, diags in analyzers.items():
                items = diags if isinstance(diags, list) else [diags]
                for d in items:
                    if not isinstance(d, dict):
                        continue
                    msg = str(d.get("message") or d.get("error") or "")
                    posn = relative(str(d.get("posn") or ""), roots)
                    text = f"{posn}: {msg}" if posn else msg
                    out.append(Finding(str(pkg), relative(text, roots), f"{name}: {message_key(msg)}"))
    return out


def compare(now: Sequence[Finding], head: Sequence[Finding]) -> tuple[list[Finding], list[Finding]]:
    """(findings the candidate brings, HEAD's findings that it has too), by multiset of keys. The
    second list holds HEAD's own findings, as HEAD reports them (where they are at HEAD)."""
    left: dict[str, list[Finding]] = {}
    for f in head:
        left.setdefault(f.key, []).append(f)
    new: list[Finding] = []
    old: list[Finding] = []
    for f in now:
        same = left.get(f.key)
        if same:
            old.append(same.pop(0))
        else:
            new.append(f)
    return new, old


def summary(findings: Sequence[Finding], limit: int = 1) -> str:
    """`pkg: first finding (and N more)` for a table cell."""
    if not findings:
        return ""
    shown = []
    for f in findings[:limit]:
        shown.append(f"{f.package}: {f.display}" if f.package else f.display)
    more = len(findings) - limit
    return "; ".join(shown) + (f" (and {more} more)" if more > 0 else "")


def clip(text: str, limit: int = MAX_OUTPUT) -> str:
    """text cut to limit characters at a line end, saying how much was left out."""
    text = text.strip("\n")
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit("\n", 1)[0]
    return cut + f"\n... ({len(text) - len(cut):,} more characters)"
