"""Reports of suggest and apply: one view model rendered as JSON, Markdown, HTML and commit messages.

Everything here is pure except reading templates from refactor/templates. The view model is plain
JSON-ready data (documented, versioned, in docs/report-schema.md); the Markdown and HTML reports and
the `--json` output are all renderings of it, so they never disagree.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import textwrap
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from refactor import __version__
from refactor.candidate import Candidate, Refusal
from refactor.config import Target
from refactor.measure import Measurement
from refactor.table import Column, Table, count, human_bytes

if TYPE_CHECKING:
    from refactor.project import Project
    from refactor.suggest import Suggestions

SCHEMA = "gotrim.suggest/v1"
FORMATS = ("json", "markdown", "html")
TOP_PACKAGES = 200  # packages per target kept in the view model (the rest is counted as "other")
TREEMAP_MAX_RECTS = 40  # rectangles per treemap before the rest is grouped into "other"
TREEMAP_MIN_FRACTION = 0.004  # packages below this share of the binary go into "other"
TREEMAP_WIDTH = 960.0
TREEMAP_HEIGHT = 420.0
SUBJECT_MAX = 72
BODY_WIDTH = 72
REMOVED_SHOWN = 15
TEMPLATES = Path(__file__).resolve().parent / "templates"


# ---------------------------------------------------------------------------------------------
# Input: plain facts, so reports are testable without Go.


@dataclass(frozen=True)
class TargetFacts:
    """What a report needs to know of one target: its label, file size and heaviest packages."""

    label: str
    main: str
    platform: str
    file_bytes: int
    packages: dict[str, int] = field(default_factory=dict, hash=False)  # import path -> bytes, top N
    unattributed_bytes: int = 0
    tags: tuple[str, ...] = ()
    buckets: dict[str, int] = field(default_factory=dict, hash=False)  # named non-package bytes (dwarf, ...)
    go_version: str = ""  # the toolchain that built it (and its rebuilds), e.g. go1.26.8


@dataclass(frozen=True)
class ReportInput:
    """Everything a suggest report renders: module, targets, candidates, refusals, measurements."""

    module: str
    targets: tuple[TargetFacts, ...]
    candidates: tuple[Candidate, ...]
    refusals: tuple[Refusal, ...] = ()
    measurements: Mapping[str, Measurement] = field(default_factory=dict, hash=False)


def target_facts(target: Target, file_bytes: int, packages: Mapping[str, int], unattributed_bytes: int = 0,
                 buckets: Mapping[str, int] | None = None, top: int = TOP_PACKAGES, go_version: str = ""
                 ) -> TargetFacts:
    """Facts of one target from its sizes: the `top` heaviest packages are kept."""
    heaviest = sorted(packages.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    return TargetFacts(label=target.label, main=target.main, platform=target.platform, file_bytes=file_bytes,
                       packages=dict(heaviest), unattributed_bytes=unattributed_bytes, tags=target.tags,
                       buckets=dict(buckets or {}), go_version=go_version)


def report_input(project: Project, suggestions: Suggestions,
                 measurements: Mapping[str, Measurement]) -> ReportInput:
    """Fill a ReportInput from a loaded Project (sizes come from its build cache)."""
    facts = []
    for t in project.targets:
        table = project.sizes[t]
        facts.append(target_facts(t, table.file_bytes, table.packages, table.unattributed, table.buckets,
                                  go_version=project.go_of(t).version_text))
    return ReportInput(module=project.module.path, targets=tuple(facts), candidates=suggestions.candidates,
                       refusals=suggestions.refusals, measurements=dict(measurements))


# ---------------------------------------------------------------------------------------------
# The view model.


def view(facts: ReportInput, *, repo: str, head: str | None, verbose: bool) -> dict[str, Any]:
    """The JSON-ready view model of a suggest run (schema gotrim.suggest/v1)."""
    by_label = {t.label: t for t in facts.targets}
    candidates = [_candidate_view(i, c, facts.measurements.get(c.id), by_label, verbose)
                  for i, c in enumerate(facts.candidates, 1)]
    measured = [c["measurement"] for c in candidates if c["measurement"] is not None]
    return {
        "schema": SCHEMA,
        "generator": {"name": "gotrim", "version": __version__},
        "repo": repo,
        "module": facts.module,
        "head": head,
        "verbose": verbose,
        "summary": {
            "candidates": len(candidates),
            "largest_estimated_bytes": max((c.estimated_bytes for c in facts.candidates), default=0),
            "measured": len(measured),
            "verified": sum(1 for m in measured if m["verified"]),
            "ok": sum(1 for m in measured if m["ok"]),
            "largest_saved_bytes": max((m["saved_bytes"] for m in measured if m["ok"]), default=0),
            "refusals": len(facts.refusals),
        },
        "go_versions": sorted({t.go_version for t in facts.targets if t.go_version}),
        "targets": [_target_view(t) for t in facts.targets],
        "candidates": candidates,
        "refusals": [_refusal_view(r) for r in facts.refusals],
    }


def _target_view(t: TargetFacts) -> dict[str, Any]:
    listed = sum(t.packages.values()) + sum(t.buckets.values())
    return {
        "label": t.label,
        "main": t.main,
        "platform": t.platform,
        "tags": list(t.tags),
        "go_version": t.go_version,
        "file_bytes": t.file_bytes,
        "unattributed_bytes": t.unattributed_bytes,
        "other_bytes": max(0, t.file_bytes - listed - t.unattributed_bytes),
        "packages": [{"path": p, "bytes": b} for p, b in sorted(t.packages.items(), key=lambda kv: (-kv[1], kv[0]))],
        "buckets": [{"name": n, "bytes": b} for n, b in sorted(t.buckets.items(), key=lambda kv: (-kv[1], kv[0]))],
    }


def _candidate_view(rank: int, c: Candidate, m: Measurement | None, by_label: Mapping[str, TargetFacts],
                    verbose: bool) -> dict[str, Any]:
    labels = [t.label for t in c.targets]
    binary_bytes = sum(by_label[label].file_bytes for label in labels if label in by_label)
    plan = c.plan
    out: dict[str, Any] = {
        "rank": rank,
        "id": c.id,
        "strategy": c.strategy,
        "targets": labels,
        "summary": c.summary,
        "title": str(getattr(plan, "title", "") or c.summary),
        "explanation": c.explanation,
        "estimated_bytes": c.estimated_bytes,
        "binary_bytes": binary_bytes,
        "estimated_percent": _percent(c.estimated_bytes, binary_bytes),
        "confidence": c.confidence,
        "removes": list(c.removes),
        "variant_tags": list(c.variant_tags),
        "trade_off": c.cost,
        "warning": c.warning or None,
        "files": list(plan.files()),
        "details": _jsonable(c.details.for_json()),
        "measurement": _measurement_view(m, by_label) if m is not None else None,
        "diff": plan.diff() if verbose else None,
    }
    return out


def _measurement_view(m: Measurement, by_label: Mapping[str, TargetFacts] | None = None) -> dict[str, Any]:
    before = sum(t.before_bytes for t in m.targets)
    built = {label: f.go_version for label, f in (by_label or {}).items()}
    return {
        "ok": m.ok,
        "verified": m.verified,
        "first_error": m.first_error,
        "saved_bytes": m.saved_bytes,
        "saved_percent": _percent(m.saved_bytes, before),
        "seconds": round(m.seconds, 2),
        "steps": [s.for_json() for s in m.steps],
        "at_head": list(m.at_head),
        "smoke": [r.for_json() for r in m.smoke],
        "smoke_lines": smoke_lines([r.for_json() for r in m.smoke]),
        "targets": [{"target": t.target, "variant_tags": list(t.variant_tags), "go_version": built.get(t.target, ""),
                     "before_bytes": t.before_bytes, "after_bytes": t.after_bytes, "saved_bytes": t.saved_bytes,
                     "saved_percent": _percent(t.saved_bytes, t.before_bytes),
                     "packages_before": t.packages_before, "packages_after": t.packages_after,
                     "removed": list(t.removed), "added": list(t.added)} for t in m.targets],
        "others": [{"target": t.target, "before_bytes": t.before_bytes, "after_bytes": t.after_bytes,
                    "grew_bytes": t.after_bytes - t.before_bytes} for t in m.others],
        "notes": list(m.notes),
    }


def _refusal_view(r: Refusal) -> dict[str, Any]:
    return {"strategy": r.strategy, "targets": [t.label for t in r.targets], "summary": r.summary,
            "reason": r.reason, "estimated_bytes": r.estimated_bytes}


def _percent(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole > 0 else None


def _jsonable(value: object) -> Any:
    """Candidate details as JSON data: tuples and sets become lists, unknown objects their str."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return [_jsonable(v) for v in sorted(value, key=str)]
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Target):
        return value.label
    return str(value)


# ---------------------------------------------------------------------------------------------
# Rendering.


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default_for_string=False,
                                            default=False),
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, undefined=jinja2.StrictUndefined,
    )
    env.filters["human"] = human_bytes
    env.filters["md"] = md_cell
    env.filters["html_text"] = html_text
    env.filters["pct"] = _pct_text
    env.filters["fence"] = fence
    env.filters["bytes"] = lambda n: f"{n:,}"
    return env


def render(v: Mapping[str, Any], fmt: str) -> str:
    """The view model as json, markdown or html text."""
    if fmt == "json":
        return json.dumps(v, indent=2, ensure_ascii=False) + "\n"
    if fmt == "markdown":
        return _environment().get_template("report.md.j2").render(v=v, rows=markdown_rows(v),
                                                                   summary_line=summary_line(v))
    if fmt == "html":
        return _environment().get_template("report.html.j2").render(
            v=v, rows=markdown_rows(v), summary_line=summary_line(v), maps=treemaps(v),
            min_fraction=TREEMAP_MIN_FRACTION)
    raise ValueError(f"unknown report format {fmt!r}: choose from {', '.join(FORMATS)}")


def render_suggestions(project: Project, found: Suggestions, shown: Sequence[Candidate],
                       measurements: Mapping[str, Measurement], *, fmt: str, verbose: bool) -> str:
    """The suggest report of the shown candidates (refusals from all found) in one format."""
    from refactor.suggest import Suggestions

    picked = Suggestions(tuple(shown), found.refusals, found.head)
    facts = report_input(project, picked, measurements)
    return render(view(facts, repo=project.root.name, head=found.head, verbose=verbose), fmt)


def summary_line(v: Mapping[str, Any]) -> str:
    """One sentence: how many candidates, the biggest estimate, and what measuring found."""
    s = v["summary"]
    n = s["candidates"]
    where = f" at {v['head'][:12]}" if v["head"] else ""
    targets = ", ".join(t["label"] for t in v["targets"])
    text = f"{n} candidate{'' if n == 1 else 's'} for {v['module']}{where} ({targets or 'no targets'})"
    if not n:
        return text + "."
    top = max(v["candidates"], key=lambda c: c["estimated_bytes"])
    share = f", {_pct_text(top['estimated_percent'])} of the binary" if top["estimated_percent"] is not None else ""
    text += f"; the largest cuts an estimated {human_bytes(top['estimated_bytes'])}{share}."
    if s["measured"]:
        text += f" {s['measured']} measured, {s['ok']} verified and smaller"
        text += f", up to {human_bytes(s['largest_saved_bytes'])} saved." if s["ok"] else "."
    else:
        text += " Not measured: run gotrim suggest --measure to verify."
    return text


def markdown_rows(v: Mapping[str, Any]) -> list[dict[str, str]]:
    """One row of display text per candidate (shared by the Markdown and HTML tables)."""
    rows = []
    for c in v["candidates"]:
        m = c["measurement"]
        est = human_bytes(c["estimated_bytes"])
        if c["estimated_percent"] is not None:
            est += f" ({_pct_text(c['estimated_percent'])})"
        measured = verified = ""
        if m is not None:
            if m["targets"]:
                if m["saved_bytes"] >= 0:  # a saving, like the estimate beside it
                    measured = human_bytes(m["saved_bytes"])
                    if m["saved_percent"] is not None:
                        measured += f" ({_pct_text(m['saved_percent'])})"
                else:
                    measured = f"grew {human_bytes(-m['saved_bytes'])}"
            verified = verified_text(m["ok"], m["first_error"], m["at_head"])
        rows.append({"id": c["id"], "strategy": c["strategy"], "targets": ", ".join(c["targets"]),
                     "estimated": est, "measured": measured, "verified": verified, "summary": c["summary"]})
    return rows


def verified_text(ok: bool, first_error: str, at_head: Sequence[str]) -> str:
    """The verified cell: ✓ or ✗ with the first error, and which steps already fail at HEAD."""
    text = "✓" if ok else "✗ " + (first_error or "failed")
    if at_head:
        steps = ", ".join(dict.fromkeys(a.split(": ", 1)[0].split(" (", 1)[0] for a in at_head))
        text += f" (already failing at HEAD: {steps})"
    return text


def smoke_lines(smoke: Sequence[Mapping[str, Any]]) -> list[str]:
    """One line per smoke run of a measurement view: what ran and how it compares with HEAD."""
    out = []
    for r in smoke:
        build = "slim build" if r["build"] == "slim" else "default build"
        if not r["ran"]:
            out.append(f"{r['target']} ({build}): {r['reason']}")
            continue
        command = " ".join([r["target"].split(" ", 1)[0], *r["args"]])
        if r["crash"]:
            where = f" at {r['frame']}" if r["frame"] else ""
            same = " (the same at HEAD)" if r["head_crash"] == r["crash"] else ""
            out.append(f"`{command}` ({r['target']}, {build}): {r['crash']}{where}{same}")
        elif r["same_as_head"] is None:
            out.append(f"`{command}` ({r['target']}, {build}): no crash; {r['reason'] or 'not compared with HEAD'}")
        elif r["same_as_head"]:
            out.append(f"`{command}` ({r['target']}, {build}): same output as HEAD")
        elif r["build"] == "slim":
            out.append(f"`{command}` ({r['target']}, {build}): no crash; output differs from HEAD's (expected)")
        else:
            out.append(f"`{command}` ({r['target']}, {build}): output differs from HEAD's: {r['difference']}")
    return out


def _pct_text(p: float | None) -> str:
    return "" if p is None else f"{p:.1f} %"


def md_cell(text: object) -> str:
    """Text safe inside a Markdown table cell: one line, no pipes, no raw HTML."""
    s = " ".join(str(text).split())
    return (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")
            .replace("`", "&#96;"))


def html_text(text: object) -> str:
    """Text safe inside raw HTML of a Markdown file (the <summary> of a <details> block)."""
    return " ".join(str(text).split()).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fence(text: str, info: str = "text") -> str:
    """A fenced code block that text cannot close early (a fence longer than any backtick run)."""
    longest = run = 0
    for ch in text:
        run = run + 1 if ch == "`" else 0
        longest = max(longest, run)
    f = "`" * max(3, longest + 1)
    return f"{f}{info}\n{text.rstrip()}\n{f}"


# ---------------------------------------------------------------------------------------------
# Squarified treemaps (Bruls, Huizing, van Wijk 2000), laid out here and drawn as inline SVG.


@dataclass(frozen=True)
class Rect:
    """One laid-out rectangle of a treemap: what it stands for, its bytes and its geometry."""

    name: str
    bytes: int
    x: float
    y: float
    w: float
    h: float
    kind: str = "package"  # "package" | "other" | "unattributed"

    @property
    def area(self) -> float:
        return self.w * self.h


Box = tuple[float, float, float, float]  # x, y, width, height


def squarify(values: Sequence[float], x: float, y: float, w: float, h: float) -> list[Box]:
    """Lay out positive values (heaviest first) in the rectangle; areas proportional to values."""
    total = sum(values)
    if total <= 0 or w <= 0 or h <= 0:
        return [(x, y, 0.0, 0.0) for _ in values]
    scale = w * h / total
    areas = [v * scale for v in values]
    out: list[Box] = []
    i = 0
    while i < len(areas):
        short = min(w, h)
        row = [areas[i]]
        j = i + 1
        while j < len(areas) and _worst([*row, areas[j]], short) <= _worst(row, short):
            row.append(areas[j])
            j += 1
        s = sum(row)
        if j == len(areas):  # the last row takes whatever is left, absorbing float drift
            s = w * h
        if w >= h:  # a column on the left, filled top to bottom
            cw = s / h if h else 0.0
            off = y
            for k, a in enumerate(row):
                rh = h - (off - y) if k == len(row) - 1 else (a / cw if cw else 0.0)
                out.append((x, off, cw, rh))
                off += rh
            x, w = x + cw, w - cw
        else:  # a row along the top, filled left to right
            rh = s / w if w else 0.0
            off = x
            for k, a in enumerate(row):
                rw = w - (off - x) if k == len(row) - 1 else (a / rh if rh else 0.0)
                out.append((off, y, rw, rh))
                off += rw
            y, h = y + rh, h - rh
        i = j
    return out


def _worst(row: Sequence[float], side: float) -> float:
    s = sum(row)
    if s <= 0 or side <= 0:
        return math.inf
    side2, s2 = side * side, s * s
    return max(max(side2 * r / s2, s2 / (side2 * r)) if r > 0 else math.inf for r in row)


def group_small(entries: Mapping[str, int], total_bytes: int, *, buckets: Mapping[str, int] | None = None,
                max_rects: int = TREEMAP_MAX_RECTS, min_fraction: float = TREEMAP_MIN_FRACTION,
                ) -> list[tuple[str, int, str]]:
    """(name, bytes, kind) heaviest first: big packages and buckets, the rest of the file as "other"."""
    limit = total_bytes * min_fraction
    items = [(p, b, "package") for p, b in entries.items() if b > 0]
    items += [(n, b, "bucket") for n, b in (buckets or {}).items() if b > 0]
    items.sort(key=lambda e: (-e[1], e[0]))
    kept = [e for e in items if e[1] >= limit][:max_rects]
    small = sum(1 for e in items if e[2] == "package") - sum(1 for e in kept if e[2] == "package")
    other = total_bytes - sum(e[1] for e in kept)
    if other > 0:
        kept.append((f"other ({small} smaller packages and the rest)" if small else "other", other, "other"))
    kept.sort(key=lambda e: -e[1])
    return kept


def layout(entries: Sequence[tuple[str, int, str]], width: float, height: float) -> list[Rect]:
    """Rectangles of a squarified treemap of the entries in a width x height box."""
    boxes = squarify([float(b) for _, b, _ in entries], 0.0, 0.0, width, height)
    return [Rect(name, b, x, y, w, h, kind) for (name, b, kind), (x, y, w, h) in zip(entries, boxes, strict=True)]


def after_entries(packages: Mapping[str, int], buckets: Mapping[str, int], before_bytes: int,
                  after_bytes: int, removed: Iterable[str]) -> tuple[dict[str, int], dict[str, int]]:
    """The before map without the removed packages, scaled to the measured after size (packages, buckets)."""
    gone = set(removed)
    remaining = before_bytes - sum(b for p, b in packages.items() if p in gone)
    if remaining <= 0:
        return {}, {}
    k = after_bytes / remaining
    return ({p: round(b * k) for p, b in packages.items() if p not in gone},
            {n: round(b * k) for n, b in buckets.items()})


def treemaps(v: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Per target: the before treemap and one after treemap per measured candidate, ready to draw."""
    out = []
    for t in v["targets"]:
        pkgs = {p["path"]: p["bytes"] for p in t["packages"]}
        buckets = {b["name"]: b["bytes"] for b in t["buckets"]}
        buckets["unattributed"] = buckets.get("unattributed", 0) + t["unattributed_bytes"]
        before = layout(group_small(pkgs, t["file_bytes"], buckets=buckets), TREEMAP_WIDTH, TREEMAP_HEIGHT)
        afters = []
        for c in v["candidates"]:
            m = c["measurement"]
            if m is None:
                continue
            for r in m["targets"]:
                if r["target"] != t["label"] or t["file_bytes"] <= 0:
                    continue
                after_pkgs, after_buckets = after_entries(pkgs, buckets, t["file_bytes"], r["after_bytes"],
                                                          r["removed"])
                height = TREEMAP_HEIGHT * min(1.0, r["after_bytes"] / t["file_bytes"])
                rects = layout(group_small(after_pkgs, r["after_bytes"], buckets=after_buckets),
                               TREEMAP_WIDTH, height)
                afters.append({"candidate": c["id"], "summary": c["summary"], "result": r,
                               "height": height, "rects": [_draw(x, v["module"]) for x in rects]})
        out.append({"target": t, "width": TREEMAP_WIDTH, "height": TREEMAP_HEIGHT,
                    "rects": [_draw(x, v["module"]) for x in before], "afters": afters})
    return out


def _draw(r: Rect, module: str) -> dict[str, Any]:
    """A rectangle with its fill colour and the label lines that fit inside it."""
    lines: list[str] = []
    if r.w >= 24 and r.h >= 14:
        short = {"package": r.name.rsplit("/", 1)[-1], "other": "other"}.get(r.kind, r.name)
        for name in (r.name, short):
            if _text_width(name) <= r.w - 6:
                lines = [name]
                break
        if lines and r.h >= 28 and _text_width(human_bytes(r.bytes)) <= r.w - 6:
            lines.append(human_bytes(r.bytes))
    return {"name": r.name, "bytes": r.bytes, "kind": r.kind, "x": round(r.x, 2), "y": round(r.y, 2),
            "w": round(r.w, 2), "h": round(r.h, 2), "fill": _colour(r, module), "lines": lines,
            "tooltip": f"{r.name}: {human_bytes(r.bytes)} ({r.bytes:,} bytes)"}


def _text_width(text: str) -> float:
    return 6.2 * len(text)  # 11px sans-serif, generous average advance


def _colour(r: Rect, module: str) -> str:
    if r.kind == "other":
        return "#d9d9d9"
    if r.kind == "bucket":
        return "#eeeeee" if r.name == "unattributed" else "#e3e3e8"
    first = r.name.split("/", 1)[0]
    shade = int(hashlib.sha1(r.name.encode()).hexdigest()[:2], 16) % 24
    if r.name == module or r.name.startswith(module + "/"):
        return f"hsl({120 + shade}, 45%, {70 - shade // 3}%)"  # the main module: greens
    if "." not in first:
        return f"hsl({200 + shade}, 55%, {72 - shade // 3}%)"  # the standard library: blues
    return f"hsl({25 + shade}, 70%, {70 - shade // 3}%)"  # other modules: oranges


# ---------------------------------------------------------------------------------------------
# Commit messages.


def commit_message(candidate: Candidate, measurement: Measurement | None, *, module: str,
                   target_packages: Mapping[str, Mapping[str, int]] | None = None,
                   target_bytes: Mapping[str, int] | None = None,
                   built_with: Mapping[str, str] | None = None,
                   module_dirs: Mapping[str, tuple[str, str]] | None = None) -> str:
    """The commit message for an applied candidate: subject, why, measured bytes, how to reproduce.

    target_packages (target label -> import path -> bytes before the change) lists the heaviest removed
    packages first, for each target; target_bytes (label -> file size before) gives every target's size
    when the change was not measured; built_with (label -> go version) names the toolchain that built
    them; module_dirs (label -> (module directory relative to the repository's top, module path)) says
    where a target of another module than `module` is built.
    """
    title = str(getattr(candidate.plan, "title", "") or "")
    subject, full = subject_line(title, candidate.summary, module)
    why = [wrap(full)] if full else []
    if candidate.explanation.strip():
        why.append(wrap(candidate.explanation))
    chains = [] if " -> " in candidate.explanation else _chains(candidate.details.import_chains())
    if chains:
        why.append("\n".join(chains))
    numbers = _measured_lines(candidate, measurement) if measurement else _estimated_lines(candidate,
                                                                                              target_bytes or {})
    return _environment().get_template("commit_message.txt.j2").render(
        subject=subject, why=why, measured=measurement is not None, numbers=numbers,
        removed=_removed_paragraphs(candidate, measurement, target_packages or {}),
        reproduce=_reproduce_lines(candidate, module, module_dirs or {}), candidate=candidate, version=__version__,
        toolchains=", ".join(sorted({v for label, v in (built_with or {}).items()
                                     if v and label in {t.label for t in candidate.targets}})),
        first_error=measurement.first_error if measurement else "",
    ).rstrip("\n") + "\n"


def subject_line(title: str, summary: str, module: str = "") -> tuple[str, str]:
    """A subject of at most 72 chars (plan title, else summary; paths relative to the module), and the full
    text when it had to be shortened. Shortened whole phrases at a time, never mid-phrase: a sub-package
    path written from its parent (`x/y/z: light part to z/light`), a parenthesis dropped, the text cut at
    its last clause boundary (`: `, `; `, `, `), long paths by their last two elements, only then at a word."""
    options = [_relative(" ".join(s.split()).rstrip("."), module) for s in (title, summary) if s and s.strip()]
    if not options:
        return "Cut a heavy dependency", ""
    for s in options:
        if len(s) <= SUBJECT_MAX:
            return s, ""
    full = options[0]
    for s in options:
        for short in _shorter(s):
            if len(short) <= SUBJECT_MAX:
                return short, full + "."
    s = options[0]
    cut = s[:SUBJECT_MAX + 1].rsplit(" ", 1)[0] if " " in s[:SUBJECT_MAX + 1] else s[:SUBJECT_MAX]
    return cut[:SUBJECT_MAX].rstrip(" ,;:-"), full + "."


def _shorter(s: str) -> Iterator[str]:
    """Shorter forms of a subject, each a whole phrase (see subject_line)."""
    paths = re.findall(r"[\w.-]+(?:/[\w.-]+)+", s)
    for p in paths:  # a path under an earlier one, from that one's last element: util/greeting
        for q in paths:
            if q != p and q.startswith(p + "/") and s.index(p) < s.index(q):
                s = s.replace(" " + q, " " + p.rsplit("/", 1)[-1] + q[len(p):])
    yield s
    bare = re.sub(r"\s*\([^()]*\)", "", s).strip()
    yield bare
    for text in (bare, s):
        head = text[:SUBJECT_MAX + 1]
        for sep in (": ", "; ", ", "):
            i = head.rfind(sep)
            if i >= 20 and sep != ": ":
                yield text[:i]
        if head.find(": ") >= 0:  # the part before the colon names what changes (`split x/y`)
            yield text[:text.find(": ")]
    # last, long paths by their last two elements: `Guard the plugin import of .../plugins/loader with ...`
    yield re.sub(r"[\w.-]+(?:/[\w.-]+){2,}", lambda m: ".../" + "/".join(m.group(0).split("/")[-2:]), bare)


def _relative(text: str, module: str) -> str:
    """Import paths inside the module written relative to it, as Go commit subjects do (`internal/util`)."""
    if not module:
        return text
    return re.sub(rf"(?<![\w./-]){re.escape(module)}/", "", text)


def wrap(text: str, width: int = BODY_WIDTH) -> str:
    """Each line refilled at width with a hanging indent; line breaks kept; long tokens stay whole."""
    out: list[str] = []
    for line in text.strip("\n").splitlines():
        out.extend(_wrap_item(line.rstrip(), width) if line.strip() else [""])
    return "\n".join(out)


_LABEL = re.compile(r"^\s*([-*] |[\w .()/-]{1,40}: )")


def _wrap_item(line: str, width: int) -> list[str]:
    indent = line[: len(line) - len(line.lstrip())]
    body = line.strip()
    hang = indent + ("    " if " -> " in body else "  " if indent or _LABEL.match(line) else "")
    if " -> " in body and len(indent) + len(body) > width:  # an import chain: break after arrows
        hops = body.split(" -> ")
        lines, cur = [], indent + hops[0]
        for k, hop in enumerate(hops[1:], 2):
            room = width if k == len(hops) else width - 3  # leave room for a trailing " ->"
            if len(cur) + len(" -> " + hop) <= room:
                cur += " -> " + hop
            else:
                lines.append(cur + " ->")
                cur = hang + hop
        return [*lines, cur]
    return textwrap.wrap(body, width, initial_indent=indent, subsequent_indent=hang,
                         break_long_words=False, break_on_hyphens=False) or [indent]


def _chains(chains: Sequence[tuple[str, Sequence[str]]]) -> list[str]:
    """`Import chain LABEL:` paragraphs from a candidate's details, each chain wrapped at its arrows."""
    lines: list[str] = []
    for label, chain in chains:
        if not chain:
            continue
        lines.append(f"Import chain {label}:")
        lines.extend(_wrap_item("  " + " -> ".join(chain), BODY_WIDTH))
    return lines


def _measured_lines(c: Candidate, m: Measurement) -> list[str]:
    lines = []
    for r in m.targets:
        pct = abs(_percent(r.saved_bytes, r.before_bytes) or 0.0)
        sign = "-" if r.saved_bytes >= 0 else "+"
        lines.append(f"  {r.target}:")
        lines.append(f"    {r.before_bytes:,} -> {r.after_bytes:,} bytes "
                     f"({sign}{abs(r.saved_bytes):,} bytes, {sign}{pct:.1f} %)")
        if r.variant_tags:
            lines.append(f"    after built with -tags {','.join(r.variant_tags)}")
    for r in m.others:
        delta = r.after_bytes - r.before_bytes
        lines.append(f"  {r.target} (not a target of this change): {r.before_bytes:,} -> {r.after_bytes:,} "
                     f"bytes ({'+' if delta >= 0 else '-'}{abs(delta):,})")
    if not m.targets:
        lines.append("  no sizes: verification stopped before rebuilding")
    if m.first_error:
        lines.extend(_wrap_item("  Note: " + m.first_error, BODY_WIDTH))
    runs = smoke_lines([r.for_json() for r in m.smoke])
    if runs:
        lines.extend(["", "Smoke runs:"])
        for line in runs:
            lines.extend(_wrap_item("  - " + line.replace("`", ""), BODY_WIDTH))
    if m.at_head:
        lines.extend(["", "Already failing at HEAD, not because of this change:"])
        for line in m.at_head:
            lines.extend(_wrap_item("  - " + line, BODY_WIDTH))
    return lines


def _estimated_lines(c: Candidate, target_bytes: Mapping[str, int]) -> list[str]:
    labels = ", ".join(t.label for t in c.targets)
    lines = _wrap_item(f"  -{c.estimated_bytes:,} bytes estimated, summed over {labels}", BODY_WIDTH)
    for t in c.targets:
        if t.label in target_bytes:
            lines.append(f"  {t.label}: {target_bytes[t.label]:,} bytes before")
    return lines


def _removed_paragraphs(c: Candidate, m: Measurement | None,
                        target_packages: Mapping[str, Mapping[str, int]]) -> list[str]:
    """Packages that left each target (measured), or that are expected to leave (estimated), the
    heaviest first (by their bytes in those targets)."""
    groups: dict[tuple[str, ...], list[str]] = {}
    if m is not None:
        for r in m.targets:
            if r.removed:
                groups.setdefault(r.removed, []).append(r.target)
    elif c.removes:
        groups[tuple(c.removes)] = [t.label for t in c.targets]
    paras = []
    for paths, labels in groups.items():
        def weight(p: str, labels: list[str] = labels) -> int:
            return max((target_packages.get(label, {}).get(p, 0) for label in labels), default=0)

        removed = sorted(paths, key=lambda p: (-weight(p), p))
        verb = "removed from" if m is not None else "expected to leave"
        shown = ", ".join(removed[:REMOVED_SHOWN])
        more = f", and {len(removed) - REMOVED_SHOWN} more" if len(removed) > REMOVED_SHOWN else ""
        paras.append(wrap(f"{count(len(removed), 'package')} {verb} {', '.join(labels)}: {shown}{more}."))
    return paras


def _reproduce_lines(c: Candidate, module: str, module_dirs: Mapping[str, tuple[str, str]] | None = None
                     ) -> list[str]:
    """Shell commands that rebuild each target (before, and after when variant tags apply); a target of
    a nested module is built in its directory."""
    lines: list[str] = []
    seen: set[str] = set()
    for t in c.targets:
        rel, mod = (module_dirs or {}).get(t.label, ("", module))
        for after in ((False, True) if c.variant_tags else (False,)):
            tt = t.with_tags(*c.variant_tags) if after else t
            words = ([f"cd {rel} &&"] if rel else []) + _build_words(tt, mod)
            if " ".join(words) in seen:
                continue
            seen.add(" ".join(words))
            if c.variant_tags:
                lines.append(f"  # {'after' if after else 'before'}: {t.label}")
            lines.extend(_shell_wrap(words, BODY_WIDTH))
    return lines


def build_command(t: Target, module: str) -> str:
    """`GOOS=.. GOARCH=.. CGO_ENABLED=.. go build -trimpath [-tags] [-ldflags] -o /tmp/NAME ./cmd/NAME && ls -l`."""
    return " ".join(_build_words(t, module))


def _build_words(t: Target, module: str) -> list[str]:
    """The build command in groups that a line break must not split (a flag stays with its value)."""
    if t.main == module:
        pkg = "."
    elif t.main.startswith(module + "/"):
        pkg = "./" + t.main[len(module) + 1:]
    else:
        pkg = t.main
    words = [f"GOOS={t.goos}", f"GOARCH={t.goarch}", f"CGO_ENABLED={1 if t.cgo else 0}", "go build -trimpath"]
    if t.tags:
        words.append("-tags " + ",".join(t.tags))
    if t.ldflags.strip():
        words.append("-ldflags='" + t.ldflags.strip().replace("'", "'\\''") + "'")
    out = f"/tmp/{t.name}"
    return [*words, f"-o {out}", pkg, f"&& ls -l {out}"]


def _shell_wrap(words: Sequence[str], width: int, indent: str = "  ") -> list[str]:
    """A shell command split between word groups with backslash continuations so lines fit width."""
    lines: list[str] = []
    cur = ""
    for word in words:
        prefix = indent + ("    " if lines else "")
        if cur and len(prefix) + len(cur) + 1 + len(word) + 2 > width:
            lines.append(prefix + cur + " \\")
            cur = word
        else:
            cur = f"{cur} {word}" if cur else word
    lines.append(indent + ("    " if lines else "") + cur)
    return lines


# ---------------------------------------------------------------------------------------------
# The terminal table and verbose text of `gotrim suggest`.


def candidate_table(project: Project, shown: Sequence[Candidate],
                    measurements: Mapping[str, Measurement]) -> Table:
    """The suggest table: one row per candidate, estimates beside measurements."""
    sizes = {t.label: project.sizes[t].file_bytes for t in project.targets}
    rows = []
    for c in shown:
        m = measurements.get(c.id)
        whole = sum(sizes.get(t.label, 0) for t in c.targets)
        rows.append({  # one target per line, paths inside the module relative to it (shorter lines)
            "id": c.id, "strategy": c.strategy, "targets": "\n".join(t.label for t in c.targets),
            "estimated": c.estimated_bytes, "share": c.estimated_bytes / whole if whole else None,
            "measured": m.saved_bytes if m is not None and m.targets else None,
            "verified": "" if m is None else verified_text(m.ok, m.first_error, m.at_head),
            "confidence": c.confidence, "summary": _relative(c.summary, project.module.path),
        })
    columns = [Column("id", "id"), Column("strategy", "strategy"), Column("targets", "targets"),
               Column("estimated", "estimated", "right", "bytes"), Column("%", "share", "right", "percent"),
               Column("measured", "measured", "right", "bytes"), Column("verified", "verified"),
               Column("confidence", "confidence"), Column("summary", "summary")]
    if not measurements:
        columns = [c for c in columns if c.key not in ("measured", "verified")]
    data = {"schema": SCHEMA, "candidates": [c.for_json() for c in shown],
            "measurements": {k: m.for_json() for k, m in measurements.items()}}
    notes = ["gotrim apply ID --dry-run shows the diff; -v shows why"] if shown else []
    # the toolchain the go command selected (GOTOOLCHAIN, go.mod's go/toolchain lines) for each binary
    built: dict[str, list[str]] = {}
    for t in project.targets:
        built.setdefault(project.go_of(t).version_text, []).append(t.label)
    if len(built) == 1:
        notes.append(f"binaries built with {next(iter(built))}")
    elif built:
        notes.append("binaries built with " + "; ".join(f"{v} ({', '.join(labels)})" for v, labels in built.items()))
    for c in shown:
        m = measurements.get(c.id)
        for line in (m.at_head if m is not None else ()):
            notes.append(f"{c.id} already failing at HEAD, not because of this change: {line}")
    if any(len(c.targets) > 1 for c in shown):
        notes.insert(0, "estimated and measured bytes are summed over a candidate's targets "
                        "(the same binary for two platforms counts twice); % is of their summed size")
    return Table(title="Candidates", columns=columns, rows=rows, data=data, notes=tuple(notes))


def explanations(shown: Sequence[Candidate], refusals: Sequence[Refusal],
                 measurements: Mapping[str, Measurement] | None = None) -> Iterator[str]:
    """Lines of -v output: each candidate's explanation (and, when measured, the whole output of a
    step that failed or fails at HEAD too, and the smoke runs), then what was not proposed and why."""
    for c in shown:
        yield f"{c.id} {c.strategy}: {c.summary}"
        for line in c.explanation.strip().splitlines():
            yield "    " + line
        m = (measurements or {}).get(c.id)
        if m is not None:
            yield from _measurement_text(m)
        yield ""
    if refusals:
        yield "Not proposed:"
        for r in refusals:
            yield f"  {r.strategy} ({', '.join(t.label for t in r.targets)}): {r.summary}"
            yield f"      {r.reason}"


def _measurement_text(m: Measurement) -> Iterator[str]:
    """-v lines of a measurement: smoke runs, then each step that failed or fails at HEAD, in full."""
    runs = smoke_lines([r.for_json() for r in m.smoke])
    if runs:
        yield "    smoke runs:"
        for line in runs:
            yield "      " + line
    for s in m.steps:
        if s.ok and not s.at_head:
            continue
        head = "failed" if not s.ok else "passed; already failing at HEAD"
        yield f"    {s.name}: {head}: {s.detail if not s.ok else s.at_head}"
        for line in (s.output or "").splitlines():
            yield "      | " + line
