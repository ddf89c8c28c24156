"""text/template and html/template variables whose templates only substitute fields, rewritten to fmt.

A template executed with reflection is what most often switches off the linker's method dead-code
elimination. One that only prints fields (`{{.Name}}: {{.Count}}`) writes the same bytes as
fmt.Fprintf with %v (html.EscapeString for html/template in text context), without reflect.
rewrite_templates finds a package's `var t = template.Must(template.New(..).Parse(..))` variables,
checks that every use is `t.Execute(w, data)`, and returns the file changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from refactor.edit import add_import, go_quote, go_string_value, remove_import
from refactor.errors import EditError
from refactor.gosource import GoFile, parse_file
from refactor.graph import Package
from refactor.plan import FileChange, apply_edits
from refactor.project import Project

TEMPLATE_PACKAGES = ("text/template", "html/template")


@dataclass(frozen=True)
class FieldTemplate:
    """A template parsed into literal text and field paths: ("text", s) or ("field", ".A.B")."""

    parts: tuple[tuple[str, str], ...]


_ACTION = re.compile(r"\{\{(-\s)?(.*?)(\s-)?\}\}", re.S)
_FIELD_PATH = re.compile(r"^\.(?:[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)?$")


def parse_field_template(text: str) -> FieldTemplate | None:
    """The template as text and field substitutions, or None when it uses anything else."""
    parts: list[tuple[str, str]] = []
    pos = 0
    trim_next = False
    for m in _ACTION.finditer(text):
        lit = text[pos:m.start()]
        if trim_next:
            lit = lit.lstrip(" \t\r\n")
        if m.group(1):
            lit = lit.rstrip(" \t\r\n")
        if lit:
            parts.append(("text", lit))
        body = m.group(2).strip()
        if not _FIELD_PATH.match(body):
            return None
        parts.append(("field", body))
        trim_next = bool(m.group(3))
        pos = m.end()
    tail = text[pos:]
    if trim_next:
        tail = tail.lstrip(" \t\r\n")
    if "{{" in tail or "}}" in tail:
        return None
    if tail:
        parts.append(("text", tail))
    return FieldTemplate(tuple(parts))


def _html_text_context(ft: FieldTemplate) -> bool:
    """True when every substitution sits in HTML text (not in a tag, attribute, script or style)."""
    seen = ""
    for kind, value in ft.parts:
        if kind == "text":
            seen += value
            continue
        low = seen.lower()
        if low.rfind("<") > low.rfind(">"):
            return False
        if low.rfind("<script") > low.rfind("</script") or low.rfind("<style") > low.rfind("</style"):
            return False
    return True


_TEMPLATE_VAR = re.compile(
    r"^var\s+(?P<var>\w+)\s*=\s*(?P<q>\w+)\.Must\(\s*(?P=q)\.New\((?P<name>[^()]*)\)\s*\.Parse\((?P<src>.*)\)\s*\)\s*$",
    re.S)


@dataclass(frozen=True)
class TemplateUse:
    """One template variable of a package, its import and its parsed text."""

    file: str  # relative to the module root
    var: str
    pkg_import: str
    template: FieldTemplate


def rewrite_templates(project: Project, pkg: Package
                      ) -> tuple[list[FileChange], list[TemplateUse], str] | None:
    """FileChanges turning the package's field-only template vars into fmt calls.

    None when the package has no template var; a non-empty reason string when one cannot be rewritten.
    """
    files: dict[str, tuple[Path, bytes, GoFile]] = {}
    for name in pkg.go_files:
        path = Path(pkg.dir) / name
        gf = project.sources.file(project.rel(pkg, name))
        files[name] = (path, gf.src, gf)
    uses: list[TemplateUse] = []
    new_src: dict[str, bytes] = {}
    for _name, (_, src, gf) in sorted(files.items()):
        tmpl_imports = [i for i in gf.imports if i.path in TEMPLATE_PACKAGES]
        if not tmpl_imports:
            continue
        for imp in tmpl_imports:
            q = imp.name or "template"
            for d in gf.decls:
                if d.kind != "var":
                    continue
                text = src[d.spec_start:d.spec_end].decode()
                m = _TEMPLATE_VAR.match(("var " + text) if not text.startswith("var") else text)
                if not m or m.group("q") != q:
                    continue
                value = _string_value(m.group("src").strip(), files)
                if value is None:
                    return [], [], f"{d.name}: the template text is not a string constant"
                ft = parse_field_template(value)
                if ft is None:
                    return [], [], (f"{d.name} uses template actions other than field substitution "
                                    "(if/range/pipelines/functions): rewrite by hand or keep it")
                if imp.path == "html/template" and not _html_text_context(ft):
                    return [], [], f"{d.name}: a substitution sits inside a tag, attribute, script or style"
                uses.append(TemplateUse(gf.path, d.name, imp.path, ft))
    if not uses:
        return None
    by_var = {u.var: u for u in uses}
    for name, (_, src, gf) in sorted(files.items()):
        out, reason = _rewrite_file(src, gf, by_var)
        if reason:
            return [], uses, reason
        if out != src:
            new_src[name] = out
    changes = [FileChange(files[n][2].path, files[n][1], b) for n, b in sorted(new_src.items())]
    return changes, uses, ""


def _string_value(expr: str, files: dict[str, tuple[Path, bytes, GoFile]]) -> str | None:
    value = go_string_value(expr)
    if value is not None:
        return value
    if re.fullmatch(r"\w+", expr):
        for _, src, gf in files.values():
            for d in gf.decls:
                if d.kind == "const" and d.name == expr:
                    m = re.match(rf"\s*{expr}\s*(?:string\s*)?=\s*(.*)$", src[d.spec_start:d.spec_end].decode(),
                                 re.S)
                    if m:
                        return go_string_value(m.group(1))
    return None


def _call_args(text: str, open_paren: int) -> tuple[list[str], int] | None:
    """Top-level comma-separated arguments of the call whose '(' is at open_paren, and the end index."""
    depth = 0
    args: list[str] = []
    start = open_paren + 1
    i = open_paren
    in_str: str | None = None
    while i < len(text):
        ch = text[i]
        if in_str:
            if ch == "\\" and in_str == '"':
                i += 2
                continue
            if ch == in_str:
                in_str = None
        elif ch in "\"`'":
            in_str = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                args.append(text[start:i].strip())
                return args, i + 1
        elif ch == "," and depth == 1:
            args.append(text[start:i].strip())
            start = i + 1
        i += 1
    return None


_SIMPLE_EXPR = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")


def _rewrite_file(src: bytes, gf: GoFile, by_var: dict[str, TemplateUse]) -> tuple[bytes, str]:
    """One file with template vars removed and their Execute calls written with fmt."""
    text = src.decode("utf-8")
    edits: list[tuple[int, int, str]] = []
    need_fmt = need_html = need_helper = False
    for d in gf.decls:
        if d.kind == "var" and d.name in by_var:
            start, end = _byte_to_char(src, d.start), _byte_to_char(src, d.end)
            while end < len(text) and text[end] == "\n":
                end += 1
            edits.append((start, end, ""))
    for var, use in by_var.items():
        for m in re.finditer(rf"(?<![\w.]){re.escape(var)}\b", text):
            if any(s <= m.start() < e for s, e, _ in edits):
                continue
            call = re.match(rf"{re.escape(var)}\s*\.\s*Execute\s*\(", text[m.start():])
            if not call:
                return src, (f"{var} is used other than as {var}.Execute(w, data) "
                             f"({gf.path}:{text.count(chr(10), 0, m.start()) + 1})")
            parsed = _call_args(text, m.start() + call.end() - 1)
            if parsed is None or len(parsed[0]) != 2:
                return src, f"{var}.Execute call at {gf.path} could not be read"
            (w, data), call_end = parsed
            fields = [v for k, v in use.template.parts if k == "field"]
            if len(fields) > 1 and not _SIMPLE_EXPR.match(data):
                return src, (f"{var}.Execute at {gf.path}:{text.count(chr(10), 0, m.start()) + 1} passes "
                             f"`{data}`: bind it to a variable first")
            html = use.pkg_import == "html/template"
            fmt_str, args = _format(use.template, data, html)
            need_fmt = True
            need_html = need_html or (html and bool(args))
            call_text = f"fmt.Fprintf({w}, {go_quote(fmt_str)}{''.join(', ' + a for a in args)})"
            line_start = text.rfind("\n", 0, m.start()) + 1
            stmt = text[line_start:m.start()].strip() == "" and text[call_end:].split("\n", 1)[0].strip() == ""
            if not stmt:
                call_text = f"fprintfError({call_text})"
                need_helper = True
            edits.append((m.start(), call_end, call_text))
    if not edits:
        return src, ""
    for s, e, new in sorted(edits, reverse=True):
        text = text[:s] + new + text[e:]
    still = {u.pkg_import for u in by_var.values()}
    out = text.encode()
    for imp in parse_file(gf.path, out).imports:
        if imp.path in still:
            q = imp.name or "template"
            if not re.search(rf"(?<![\w.]){re.escape(q)}\.", _code_only(out.decode())):
                gf2 = parse_file(gf.path, out)
                out = apply_edits(out, remove_import(gf2, imp.path))
    for path, needed in (("fmt", need_fmt), ("html", need_html)):
        if needed:
            gf2 = parse_file(gf.path, out)
            imp_edits, local = add_import(gf2, path)
            if local != path:
                raise EditError(f"{gf.path}: the name {path} is taken; cannot import {path}")
            out = apply_edits(out, imp_edits)
    if need_helper:
        out = out.rstrip(b"\n") + (b"\n\n// fprintfError returns the error of a fmt.Fprintf call, as "
                                   b"Template.Execute returned only an error.\n"
                                   b"func fprintfError(_ int, err error) error { return err }\n")
    return out, ""


def _byte_to_char(src: bytes, pos: int) -> int:
    return len(src[:pos].decode("utf-8", "replace"))


def _code_only(text: str) -> str:
    """Go text with comments and string literals blanked (for identifier searches)."""
    return re.sub(r'//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"|`[^`]*`', '""', text, flags=re.S)


def _format(ft: FieldTemplate, data: str, html: bool) -> tuple[str, list[str]]:
    fmt_parts: list[str] = []
    args: list[str] = []
    for kind, value in ft.parts:
        if kind == "text":
            fmt_parts.append(value.replace("%", "%%"))
            continue
        expr = data + ("" if value == "." else value)
        if html:
            fmt_parts.append("%s")
            args.append(f"html.EscapeString(fmt.Sprint({expr}))")
        else:
            fmt_parts.append("%v")
            args.append(expr)
    return "".join(fmt_parts), args
