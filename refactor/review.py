"""Reports of `gotrim diff` and `gotrim check` for review: one view model, rendered as text, JSON,
Markdown (a pull-request comment within GitHub's 65,536 characters) and HTML.

The view model is plain JSON-ready data (schema `gotrim.diff/v1`, docs/check.md); the other formats
are renderings of it, so they never disagree.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from refactor import __version__
from refactor.diff import KIND_TEXT as _KIND_TEXT
from refactor.diff import DiffResult, TargetChange
from refactor.facts import BinaryFacts
from refactor.report import fence, html_text, md_cell
from refactor.table import human_bytes

if TYPE_CHECKING:
    from refactor.check import CheckResult

SCHEMA = "gotrim.diff/v1"
FORMATS = ("text", "json", "markdown", "html")
COMMENT_LIMIT = 65_536  # GitHub's limit on the body of an issue or pull-request comment
MARKER = "<!-- gotrim-size-report -->"  # lets a workflow find and update its own comment
SIGNIFICANT = 0.01  # reports list the packages and modules whose change is at least 1 % of the biggest
TEMPLATES = Path(__file__).resolve().parent / "templates"
# (causes per binary, package and module rows per binary) tried in turn until the comment fits
_CAPS = ((20, 40), (12, 25), (8, 15), (5, 10), (3, 5), (2, 3), (1, 0))


# ---------------------------------------------------------------------------------------------
# The view model


def diff_view(result: DiffResult) -> dict[str, Any]:
    """The document of `gotrim diff`."""
    targets = [_target_view(c, ()) for c in result.changes]
    return _document("diff", result.module, result.base.for_json(), result.head.for_json(), targets,
                     list(result.notes), check=None)


def check_view(result: CheckResult) -> dict[str, Any]:
    """The document of `gotrim check`: a diff from gotrim.lock to the working tree, plus violations."""
    targets = []
    for c in result.changes:
        mine = [v for v in result.violations if v.target == c.label]
        targets.append(_target_view(c, mine, result.budgets.get(c.label)))
    base = {"ref": "gotrim.lock", "commit": None,
            "description": f"gotrim.lock (gotrim {result.lock.gotrim_version}, {result.lock.go_version})"}
    head = {"ref": "working tree", "commit": None, "description": "the working tree"}
    check = {"ok": result.ok, "violations": [v.for_json() for v in result.violations],
             "lock": {"path": result.lock.path.name, "gotrim_version": result.lock.gotrim_version,
                      "go_version": result.lock.go_version}}
    return _document("check", result.module, base, head, targets, list(result.notes), check=check)


def _document(kind: str, module: str, base: Mapping[str, Any], head: Mapping[str, Any],
              targets: list[dict[str, Any]], notes: list[str], check: Mapping[str, Any] | None) -> dict[str, Any]:
    targets.sort(key=lambda t: (not t["violations"], t["status"] == "unchanged", -abs(t["delta_bytes"] or 0),
                                t["label"]))
    changed = [t for t in targets if t["status"] != "unchanged"]
    known = [t["delta_bytes"] for t in targets if t["delta_bytes"] is not None]
    return {
        "schema": SCHEMA, "generator": {"name": "gotrim", "version": __version__}, "kind": kind,
        "module": module, "base": dict(base), "head": dict(head),
        "summary": {"targets": len(targets), "changed": len(changed),
                    "grew": sum(1 for t in targets if (t["delta_bytes"] or 0) > 0),
                    "shrank": sum(1 for t in targets if (t["delta_bytes"] or 0) < 0),
                    "delta_bytes": sum(known), "causes": sum(len(t["causes"]) for t in targets),
                    "violations": sum(len(t["violations"]) for t in targets)},
        "targets": targets, "notes": notes, "check": dict(check) if check is not None else None,
    }


def _side(f: BinaryFacts | None) -> dict[str, Any] | None:
    if f is None:
        return None
    return {"file_bytes": f.file_bytes, "go_version": f.go_version, "go_directive": f.gomod.go or None,
            "toolchain_directive": f.gomod.toolchain or None, "dce": f.dce.for_json(),
            "packages": len(f.packages), "modules": len(set(f.packages.values()) | set(f.module_bytes)),
            "settings": dict(f.settings)}


def _target_view(c: TargetChange, violations: Sequence[Any], budget: Any = None) -> dict[str, Any]:
    t = c.target
    delta = c.delta_bytes
    before = c.before.file_bytes if c.before else None
    status = ("added" if c.before is None else "removed" if c.after is None
              else "changed" if c.changed else "unchanged")
    return {
        "label": t.label, "main": t.main, "platform": t.platform, "tags": list(t.tags), "cgo": t.cgo,
        "status": status, "before": _side(c.before), "after": _side(c.after),
        "delta_bytes": delta,
        "delta_percent": round(100 * delta / before, 2) if delta is not None and before else None,
        "causes": [x.for_json() for x in c.causes],
        "packages": [d.for_json() for d in c.packages], "modules": [d.for_json() for d in c.modules],
        "other_delta_bytes": (delta - sum(d.delta for d in c.modules)) if delta is not None and c.modules else None,
        "added_packages": list(c.added), "removed_packages": list(c.removed),
        "violations": [v.for_json() for v in violations],
        "budget": budget.for_json() if budget is not None else None,
    }


# ---------------------------------------------------------------------------------------------
# Rendering


def render(view: Mapping[str, Any], fmt: str, *, limit: int = COMMENT_LIMIT) -> str:
    """The document as text, json, markdown (at most `limit` characters) or html."""
    if fmt == "json":
        return json.dumps(view, indent=2, ensure_ascii=False) + "\n"
    if fmt == "text":
        return render_text(view)
    if fmt == "markdown":
        return render_markdown(view, limit=limit)
    if fmt == "html":
        return _environment().get_template("diff.html.j2").render(v=view, kind_text=_KIND_TEXT)
    raise ValueError(f"unknown format {fmt!r}: choose from {', '.join(FORMATS)}")


def render_markdown(view: Mapping[str, Any], *, limit: int = COMMENT_LIMIT) -> str:
    """A pull-request comment: the biggest changes first; what does not fit within `limit`
    characters is counted, never silently dropped. Rows and causes go first, then the sections of
    the smallest changes, then (only if it must) rows of the summary table."""
    template = _environment().get_template("diff.md.j2")
    n = len(view["targets"])
    text = ""
    attempts = [(n, detail, causes, rows) for detail in _halvings(n) for causes, rows in _CAPS]
    attempts += [(summary, 0, 1, 0) for summary in _halvings(n)]
    for summary, detail, causes, rows in attempts:
        text = template.render(v=_trim(view, summary, detail, causes, rows), kind_text=_KIND_TEXT, marker=MARKER)
        if len(text) <= limit:
            return text
    return text[: max(0, limit - 200)] + "\n\n… (cut: the report does not fit in a comment; see the JSON)\n"


def _halvings(n: int) -> list[int]:
    out = [n]
    while out[-1] > 0:
        out.append(out[-1] // 2)
    return out


def _trim(view: Mapping[str, Any], n_summary: int, n_detail: int, causes: int, rows: int) -> dict[str, Any]:
    """A copy of the view with at most these many summary rows, detailed sections, causes and
    package/module rows; the rest counted."""
    v = dict(view)
    shown = []
    for i, t in enumerate(view["targets"][:n_summary]):
        t = dict(t)
        t["detail"] = i < n_detail
        t["more_causes"] = max(0, len(t["causes"]) - causes)
        t["causes"] = [_trim_cause(c, 12 if causes > 3 else 4) for c in t["causes"][:causes]]
        for key in ("packages", "modules"):
            n = min(rows, _significant(t[key]))
            rest = t[key][n:]
            t[f"more_{key}"] = {"count": len(rest), "delta_bytes": sum(d["delta_bytes"] for d in rest)}
            t[key] = t[key][:n]
        shown.append(t)
    rest = view["targets"][n_summary:]
    v["targets"] = shown
    v["more_targets"] = {"count": len(rest), "delta_bytes": sum(t["delta_bytes"] or 0 for t in rest),
                         "changed": sum(1 for t in rest if t["status"] != "unchanged")}
    hidden = [t for t in shown if not t["detail"] and (t["status"] != "unchanged" or t["violations"])]
    v["more_details"] = len(hidden)
    return v


def _significant(deltas: Sequence[Mapping[str, Any]]) -> int:
    """How many rows (biggest change first) change by at least SIGNIFICANT of the biggest one: the
    bytes that only moved between packages (a few dozen, here and there) are counted, not listed."""
    if not deltas:
        return 0
    floor = abs(deltas[0]["delta_bytes"]) * SIGNIFICANT
    return max(1, sum(1 for d in deltas if abs(d["delta_bytes"]) >= floor))


def _trim_cause(c: Mapping[str, Any], hops: int) -> dict[str, Any]:
    c = dict(c)
    chain = list(c["chain"])
    if len(chain) > hops:  # keep both ends: where it starts (main) and what it reaches
        c["chain"] = [*chain[: hops // 2], {"name": f"… {len(chain) - hops} more", "package": None, "site": None},
                      *chain[-(hops - hops // 2):]]
    return c


def signed(n: int | None) -> str:
    """+1.5 KiB / -3.0 MiB / 0 B; empty for None."""
    if n is None:
        return ""
    return ("+" if n > 0 else "") + human_bytes(n)


def percent(p: float | None) -> str:
    return "" if p is None else f"{p:+.1f} %"


def headline(v: Mapping[str, Any]) -> str:
    """One sentence: what was compared, how many binaries changed, and (check) whether it passed."""
    s = v["summary"]
    n = s["targets"]
    text = (f"{n} binar{'y' if n == 1 else 'ies'} of {v['module']}: {s['changed']} changed"
            f" ({s['grew']} grew, {s['shrank']} shrank), {signed(s['delta_bytes']) or '0 B'} in all")
    if v["check"] is not None:
        k = s["violations"]
        text += ". Budgets hold" if v["check"]["ok"] else f". {k} violation{'' if k == 1 else 's'}"
    return text + "."


def render_text(v: Mapping[str, Any]) -> str:
    """Plain text for a terminal or a CI log."""
    lines: list[str] = []
    if v["kind"] == "check":
        c = v["check"]
        lines.append(f"gotrim check against {v['base']['description']}: "
                     + ("budgets hold" if c["ok"] else f"{len(c['violations'])} violation(s)"))
    else:
        lines.append(f"gotrim diff {v['base']['description']} -> {v['head']['description']}")
    for t in v["targets"]:
        lines.append("")
        mark = "" if v["kind"] != "check" else ("✗ " if t["violations"] else "✓ ")
        lines.append(mark + _target_line(t))
        known = {c["summary"] for c in t["causes"]}
        if t["violations"]:
            lines.append("  violations:")
        for viol in t["violations"]:
            lines.append(f"    {viol['rule']}: {viol['message']}")
            for cause in viol["causes"]:  # causes of the change are listed once, below
                if cause["summary"] not in known:
                    lines.extend(_cause_lines(cause, "      "))
        if t["causes"]:
            lines.append("  causes:")
            for cause in t["causes"]:
                lines.extend(_cause_lines(cause, "    "))
        if t["packages"] or t["modules"]:
            what = "packages" if t["packages"] else "modules"
            deltas = t[what]
            n = min(10, _significant(deltas))
            lines.append(f"  biggest changes ({what}):")
            for d in deltas[:n]:
                lines.append(f"    {signed(d['delta_bytes']):>12}  {d['name']}")
            rest = deltas[n:]
            if rest:
                lines.append(f"    {signed(sum(d['delta_bytes'] for d in rest)):>12}  ({len(rest)} more {what})")
            if what == "modules" and t["other_delta_bytes"]:
                lines.append(f"    {signed(t['other_delta_bytes']):>12}  (no module: runtime tables, symbol names, "
                             "type data, padding)")
    for note in v["notes"]:
        lines.append("")
        lines.append(f"note: {note}")
    return "\n".join(lines) + "\n"


def _target_line(t: Mapping[str, Any]) -> str:
    b, a = t["before"], t["after"]
    if b is None:
        return f"{t['label']}: new, {a['file_bytes']:,} bytes, method DCE {a['dce']['state']}"
    if a is None:
        return f"{t['label']}: gone (was {b['file_bytes']:,} bytes)"
    dce = a["dce"]["state"] if a["dce"]["state"] == b["dce"]["state"] else f"{b['dce']['state']} -> {a['dce']['state']}"
    return (f"{t['label']}: {b['file_bytes']:,} -> {a['file_bytes']:,} bytes ({t['delta_bytes']:+,}"
            f"{', ' + percent(t['delta_percent']) if t['delta_percent'] is not None else ''}), method DCE {dce}")


def _cause_lines(c: Mapping[str, Any], indent: str) -> list[str]:
    size = f" ({signed(c['bytes'])})" if c["bytes"] else ""
    lines = [f"{indent}{_KIND_TEXT.get(c['kind'], c['kind'])}: {c['summary']}{size}"]
    if c["chain"]:
        hops = [h["name"] + (f" ({h['site']})" if h["site"] else "") for h in c["chain"]]
        lines.append(f"{indent}  via " + " -> ".join(hops))
    return lines


def main_cause(t: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The cause a summary row shows: a violation's first cause, else the first cause."""
    for v in t["violations"]:
        if v["causes"]:
            return v["causes"][0]  # type: ignore[no-any-return]
    return t["causes"][0] if t["causes"] else None


def code(text: object, cell: bool = False) -> str:
    """A Markdown code span that its text cannot close early; `cell`: safe inside a table cell."""
    s = " ".join(str(text).split())
    if cell:
        s = s.replace("|", "\\|")
    longest = run = 0
    for ch in s:
        run = run + 1 if ch == "`" else 0
        longest = max(longest, run)
    f = "`" * (longest + 1)
    pad = " " if s.startswith("`") or s.endswith("`") else ""
    return f"{f}{pad}{s}{pad}{f}"


def chain_md(chain: Sequence[Mapping[str, Any]]) -> str:
    """`a` → `b` (`file:line`) → `c`, for Markdown text (not a table cell)."""
    parts = []
    for h in chain:
        part = md_cell(h["name"]) if h["name"].startswith("… ") else code(h["name"])
        if h.get("site"):
            part += f" ({code(h['site'])})"
        parts.append(part)
    return " → ".join(parts)


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default_for_string=False,
                                            default=False),
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, undefined=jinja2.StrictUndefined,
    )
    env.filters["human"] = human_bytes
    env.filters["signed"] = signed
    env.filters["pct"] = percent
    env.filters["md"] = md_cell
    env.filters["html_text"] = html_text
    env.filters["fence"] = fence
    env.filters["bytes"] = lambda n: "" if n is None else f"{n:,}"
    env.filters["chain_md"] = chain_md
    env.filters["code"] = code
    env.globals["headline"] = headline
    env.globals["main_cause"] = main_cause
    return env
