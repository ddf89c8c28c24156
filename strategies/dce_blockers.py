"""Remove what switches off the linker's method dead-code elimination (DCE) in a binary.

Before: cmd/report -> render.Items -> text/template.(*Template).Execute -> evalField <ReflectMethod>
After:  render.Items writes with fmt.Fprintf; no reflect method lookup is reachable, so the linker
        drops every exported method nothing calls (go-toolchain.md §3.2).

Per blocker, in order of preference:
- a known upstream build tag (refactor/data/upstream_tags.toml) added to the target's configuration;
- in the main module, a text/template or html/template whose templates only substitute fields,
  rewritten to plain fmt calls;
- the main module's import of `plugin` guarded by `//go:build !no_dynamic_plugins`, with a stub;
- otherwise a Refusal naming the exact call site and the options.
The true gain appears only once the last blocker is gone; `merge_plans` joins candidates so the
combined effect can be measured as a ceiling.
"""

from __future__ import annotations

import ast
import functools
import re
import tomllib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from refactor.candidate import Candidate, Proposal, Refusal, Strategy, candidate_id
from refactor.config import CONFIG_FILE, Settings, Target
from refactor.dce import first_match
from refactor.edit import add_constraint, add_import, new_file, or_constraint, remove_import
from refactor.errors import EditError, SourceError
from refactor.gosource import GoFile, parse_file
from refactor.graph import BuildGraph, Package
from refactor.linker import DceReport, SymbolIndex
from refactor.plan import FileChange, Plan, apply_edits, merge_plans
from refactor.project import Needs, Project

NAME = "dce-blockers"
PLUGIN_TAG = "no_dynamic_plugins"
# Share of the binary that method DCE typically saves (go-toolchain.md §3.2: 16-25 %, 21 % measured;
# dynamic linking keeps even unexported methods: about half of a small binary, §3.3).
REFLECT_SHARE = 0.15
DYNLINK_SHARE = 0.30
TEMPLATE_PACKAGES = ("text/template", "html/template")


# ---------------------------------------------------------------------------------------------
# Catalogue


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


# ---------------------------------------------------------------------------------------------
# Propose


def propose(project: Project, settings: Settings) -> Iterator[Proposal]:
    """Candidates for every blocker of every target whose DCE report was loaded (never builds)."""
    del settings
    for target in project.targets:
        report = project.dce[target]
        if report.method_dce:
            continue
        graph = project.graphs[target]
        blockers = _blocker_count(report)
        if report.reflect_blocker is not None:
            yield from _reflect_blocker(project, target, graph, report, blockers)
        if report.dynlink.active:
            yield from _plugin_blocker(project, target, graph, report, blockers)


def _blocker_count(report: DceReport) -> int:
    """Known blockers: the certain root cause, unsure further roots, and dynamic linking."""
    n = 1 if report.reflect_blocker else 0
    n += sum(1 for b in report.dumpdep.possible if not b.retained)
    return n + (1 if report.dynlink.active else 0)


def _estimate(project: Project, graph: BuildGraph, report: DceReport, blockers: int, share: float,
              removes: Sequence[str] = ()) -> tuple[int, str]:
    """Bytes and confidence. The packages the change removes (and what only they import) go in
    any case, by the size table; the method-DCE gain, a share of the rest, comes only when this
    was the last blocker."""
    size = project.sizes[report.target]
    cut = 0
    if removes:
        cut = size.removal_estimate(graph.removed_by(cut_packages=[p for p in removes if p in graph.packages]))
    if blockers <= 1:
        return cut + int((report.binary_bytes - cut) * share), "medium"
    return cut, "low"


def _chain_packages(graph: BuildGraph, chain: Sequence[str]) -> list[str]:
    """The packages of a symbol chain, in order, without repeats."""
    index = SymbolIndex.from_graph(graph)
    out: list[str] = []
    for sym in chain:
        p = index.package(sym)
        if p and p not in out and p != "runtime":
            out.append(p)
    return out


def _reflect_blocker(project: Project, target: Target, graph: BuildGraph, report: DceReport,
                     blockers: int) -> Iterator[Proposal]:
    root = report.reflect_blocker
    assert root is not None
    chain_pkgs = _chain_packages(graph, root.chain)
    found = False
    for sw in _matching_switches(graph, report, root.chain, chain_pkgs):
        found = True
        yield _switch_proposal(project, target, report, sw, blockers, root.symbol)
    if found:
        return
    main_pkgs = [p for p in chain_pkgs if graph.packages[p].main_module]
    if any(p in TEMPLATE_PACKAGES for p in chain_pkgs) and main_pkgs:
        yield from _template_rewrite(project, target, graph, report, main_pkgs, blockers)
        return
    yield _explain(project, target, graph, report, chain_pkgs)


def _matching_switches(graph: BuildGraph, report: DceReport, chain: Sequence[str],
                       chain_pkgs: Sequence[str]) -> Iterator[Switch]:
    """Catalogue switches whose module is linked and whose removal takes the chain apart."""
    for sw in catalogue():
        if sw.module not in report.modules and not any(
                (graph.packages[p].module or "") == sw.module for p in chain_pkgs):
            continue
        if any(sym.startswith(prefix) for sym in chain for prefix in sw.symbols):
            yield sw
            continue
        cuts = [c for c in sw.cuts if c[0] in graph.packages and c[1] in graph.packages]
        if cuts:
            gone = graph.removed_by(cuts)
            if any(p in gone for p in chain_pkgs):
                yield sw


def _switch_proposal(project: Project, target: Target, report: DceReport, sw: Switch, blockers: int,
                     what: str) -> Proposal:
    version = report.modules.get(sw.module, "")
    summary = f"build {target.name} with -tags {sw.tag} ({sw.module})"
    if not sw.released:
        return Refusal(NAME, (target,), summary,
                       f"{what} comes from {sw.module}; the tag {sw.tag} that removes it is not released "
                       f"({sw.source}). Options: vendor a patched copy, or avoid the call path.")
    if version and not sw.version_ok(version):
        rng = f">= {sw.min_version}" + (f", < {sw.max_version}" if sw.max_version else "")
        return Refusal(NAME, (target,), summary,
                       f"{sw.module} is {version}; the tag {sw.tag} exists in {rng} ({sw.source})")
    changes = tag_config_changes(project, (target,), sw.tag)
    est, confidence = _estimate(project, project.graphs[target], report, blockers,
                                DYNLINK_SHARE if "plugin" in sw.removes else REFLECT_SHARE)
    explanation = (f"{what} is reached through {sw.module} {version}. The build tag {sw.tag} removes "
                   f"{sw.removes}.\nSource: {sw.source}\nChecked: {sw.verified}\n"
                   + _last_blocker_note(blockers))
    return Candidate(
        id=candidate_id(NAME, f"{target}|tag|{sw.module}|{sw.tag}"), strategy=NAME, targets=(target,),
        summary=summary, explanation=explanation, estimated_bytes=est, confidence=confidence,
        plan=Plan(title=f"Build {target.name} with the {sw.tag} tag", changes=tuple(changes)),
        variant_tags=(sw.tag,),
        details={"kind": "upstream-tag", "module": sw.module, "version": version, "tag": sw.tag,
                 "source": sw.source, "blocker": what},
    )


def _last_blocker_note(blockers: int) -> str:
    if blockers <= 1:
        return "This is the only blocker found: method DCE comes back once it is gone."
    return (f"{blockers} blockers are known; the size drops only when the last is gone "
            "(measure the combined candidates for the ceiling).")


def _explain(project: Project, target: Target, graph: BuildGraph, report: DceReport,
             chain_pkgs: Sequence[str]) -> Refusal:
    """No safe rewrite: the call site in the main module and the options."""
    from refactor.dce import frames

    root = report.reflect_blocker
    assert root is not None
    fr = frames(project, graph, root)
    mine = [f for f in fr if f.file]
    site = f" at {mine[-1].site} ({mine[-1].short})" if mine else ""
    culprit_pkg = next((p for p in reversed(chain_pkgs) if p != "reflect"), chain_pkgs[-1] if chain_pkgs else "")
    call = _reflect_call_site(project, graph, culprit_pkg)
    options = [
        "call the methods through a map[string]func or a switch instead of reflect",
        "or pass a constant name to MethodByName (the linker then keeps only methods of that name, Go >= 1.22)",
        "or guard the feature with a build tag when this binary does not need it (guard-with-tag)",
    ]
    if graph.packages.get(culprit_pkg) is not None and not graph.packages[culprit_pkg].main_module:
        options.append(f"or ask {graph.packages[culprit_pkg].module or culprit_pkg} for a build tag "
                       "(as grpc's grpcnotrace)")
    where = f"{call[0]}:{call[1]}" if call else root.symbol
    return Refusal(NAME, (target,), f"{target.name}: {root.symbol} disables method DCE{site}",
                   f"reflect method call at {where}, reached from the entry point through "
                   f"{' -> '.join(chain_pkgs)}. Options: " + "; ".join(options) + ".")


_REFLECT_CALL = re.compile(r"\.(MethodByName|Method)\(")


def _reflect_call_site(project: Project, graph: BuildGraph, pkg_path: str) -> tuple[str, int] | None:
    """The first `.MethodByName(`/`.Method(` call in a main-module package (file, line)."""
    pkg = graph.packages.get(pkg_path)
    if pkg is None or not pkg.main_module:
        return None
    return first_match(project, pkg, _REFLECT_CALL)


# ---------------------------------------------------------------------------------------------
# Build tag in the target's configuration


def tag_config_changes(project: Project, targets: Sequence[Target], *tags: str) -> list[FileChange]:
    """Add tags to these targets in gotrim.toml (created if absent), and to Makefile -tags and
    .goreleaser tags lists."""
    root = project.root
    changes = [_gotrim_toml_change(root, project.module.path, project.targets, targets, tags)]
    for names, add in ((("Makefile", "makefile", "GNUmakefile"), add_make_tag),
                       ((".goreleaser.yaml", ".goreleaser.yml"), add_goreleaser_tag)):
        for name in names:
            path = root / name
            if not path.is_file():
                continue
            before = path.read_bytes()
            text = before.decode("utf-8", "replace")
            for tag in tags:
                text = add(text, tag)
            if text.encode() != before:
                changes.append(FileChange(name, before, text.encode()))
    return changes


def combined_plan(project: Project, target: Target, candidates: Sequence[Candidate]) -> Plan:
    """Every candidate of one target applied together (the ceiling); config files get every tag once."""
    config = {CONFIG_FILE, "Makefile", "makefile", "GNUmakefile", ".goreleaser.yaml", ".goreleaser.yml"}
    plans = [Plan(c.plan.title, tuple(ch for ch in c.plan.changes if ch.path not in config)) for c in candidates]
    tags = tuple(dict.fromkeys(t for c in candidates for t in c.variant_tags))
    merged = merge_plans(plans, title=f"All method-DCE fixes for {target.name}")
    extra = tag_config_changes(project, (target,), *tags) if tags else []
    return Plan(merged.title, merged.changes + tuple(extra))


def _gotrim_toml_change(root: Path, module: str, targets: Sequence[Target], tagged: Sequence[Target],
                        tags: Sequence[str]) -> FileChange:
    path = root / CONFIG_FILE
    before = path.read_bytes() if path.is_file() else None
    if before is not None:
        text = before.decode("utf-8")
        for target in tagged:
            for tag in tags:
                text = add_toml_tag(text, module, target, tag)
        return FileChange(CONFIG_FILE, before, text.encode())
    # A new gotrim.toml lists every current target, so the ones without the tag are still analysed.
    text = "# Targets analysed by gotrim (written when a build tag was added for one of them).\n"
    for t in dict.fromkeys((*targets, *tagged)):
        text = _toml_append(text, module, t, tags if t in tagged else ())
    return FileChange(CONFIG_FILE, None, text.encode())


def _main_matches(value: str, module: str, target: Target) -> bool:
    v = value.strip().rstrip("/")
    if v.startswith("./") or v == ".":
        v = module + v[1:]
    return v == target.main


def add_toml_tag(text: str, module: str, target: Target, tag: str) -> str:
    """gotrim.toml text with `tag` in the tags of the [[target]] for this main package (added if none)."""
    lines = text.splitlines(keepends=True)
    starts = [i for i, ln in enumerate(lines) if ln.strip() == "[[target]]"]
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        # a table ends at the next header of any kind
        for j in range(start + 1, end):
            if lines[j].lstrip().startswith("["):
                end = j
                break
        main_line = next((j for j in range(start + 1, end) if re.match(r"\s*main\s*=", lines[j])), None)
        if main_line is None:
            continue
        m = re.match(r'\s*main\s*=\s*"([^"]*)"', lines[main_line])
        if not m or not _main_matches(m.group(1), module, target):
            continue
        for j in range(start + 1, end):
            tm = re.match(r'(\s*tags\s*=\s*\[)(.*)(\]\s*(#.*)?)$', lines[j].rstrip("\n"))
            if tm:
                items = [s.strip() for s in tm.group(2).split(",") if s.strip()]
                if f'"{tag}"' in items:
                    return text
                items.append(f'"{tag}"')
                lines[j] = tm.group(1) + ", ".join(items) + tm.group(3) + "\n"
                return "".join(lines)
        lines.insert(main_line + 1, f'tags = ["{tag}"]\n')
        return "".join(lines)
    return _toml_append(text, module, target, (tag,))


def _toml_append(text: str, module: str, target: Target, extra_tags: Sequence[str]) -> str:
    """gotrim.toml text with a [[target]] table for the target appended."""
    rel = target.main[len(module):] if target.main.startswith(module) else target.main
    main = "." + rel if rel.startswith("/") else (rel or ".")
    block = f'[[target]]\nmain = "{main}"\n'
    block += f'platforms = ["{target.platform}"]\n'
    tags = tuple(dict.fromkeys((*target.tags, *extra_tags)))
    if tags:
        block += "tags = [" + ", ".join(f'"{t}"' for t in tags) + "]\n"
    block += f"cgo = {'true' if target.cgo else 'false'}\n"
    if target.ldflags:
        block += f"ldflags = {go_quote(target.ldflags)}\n"
    sep = "" if not text or text.endswith("\n\n") else ("\n" if text.endswith("\n") else "\n\n")
    return text + sep + block


_MAKE_TAGS = re.compile(r"""(-tags(?:=|\s+))(["']?)([A-Za-z0-9_.,\s]*?[A-Za-z0-9_.]|\$[({]\w+[)}])\2(?=\s|$|["'])""")


def add_make_tag(text: str, tag: str) -> str:
    """A Makefile with `tag` added to every literal `-tags` list (or the variable it names)."""
    variables: set[str] = set()

    def repl(m: re.Match[str]) -> str:
        value = m.group(3)
        if value.startswith("$"):
            variables.add(value[2:-1])
            return m.group(0)
        items = re.split(r"[,\s]+", value)
        if tag in items:
            return m.group(0)
        sep = "," if ("," in value or " " not in value) else " "
        if sep == " " and not m.group(2):
            sep = ","
        return f"{m.group(1)}{m.group(2)}{value}{sep}{tag}{m.group(2)}"

    out = _MAKE_TAGS.sub(repl, text)
    for var in variables:
        pat = re.compile(rf"^(\s*{re.escape(var)}\s*(?:\?|:|::|\+)?=)([^\n]*)$", re.M)

        def add(m: re.Match[str]) -> str:
            value = m.group(2).rstrip()
            if tag in re.split(r"[,\s]+", value.strip()):
                return m.group(0)
            if not value.strip():
                return f"{m.group(1)} {tag}"
            sep = "," if "," in value else " "
            return f"{m.group(1)}{value}{sep}{tag}"

        out = pat.sub(add, out, count=1)
    return out


def add_goreleaser_tag(text: str, tag: str) -> str:
    """A .goreleaser.yaml with `tag` appended to every `tags:` list of its builds."""
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r"^(\s*)tags:\s*(\[(.*)\])?\s*$", line.rstrip("\n"))
        if m and m.group(2) is not None:
            items = [s.strip() for s in (m.group(3) or "").split(",") if s.strip()]
            if tag not in [s.strip("\"'") for s in items]:
                items.append(tag)
            out.append(f"{m.group(1)}tags: [{', '.join(items)}]\n")
            i += 1
            continue
        if m:
            out.append(line)
            i += 1
            items_indent = None
            present = False
            while i < len(lines) and re.match(r"^\s*-\s", lines[i]):
                im = re.match(r"^(\s*)-\s*(.*?)\s*$", lines[i])
                assert im is not None
                items_indent = im.group(1)
                present = present or im.group(2).strip("\"'") == tag
                out.append(lines[i])
                i += 1
            if items_indent is not None and not present:
                out.append(f"{items_indent}- {tag}\n")
            continue
        out.append(line)
        i += 1
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# text/template and html/template with field-only templates -> fmt


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


def go_quote(s: str) -> str:
    """A Go interpreted string literal for s."""
    out = ['"']
    for ch in s:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def go_string_value(literal: str) -> str | None:
    """The value of a Go string literal (interpreted or raw), or None when it is not one."""
    literal = literal.strip()
    if literal.startswith("`") and literal.endswith("`") and len(literal) >= 2:
        return literal[1:-1].replace("\r", "")
    if literal.startswith('"') and literal.endswith('"'):
        try:
            value = ast.literal_eval(literal)
        except (SyntaxError, ValueError):
            return None
        return value if isinstance(value, str) else None
    return None


_TEMPLATE_VAR = re.compile(
    r"^var\s+(?P<var>\w+)\s*=\s*(?P<q>\w+)\.Must\(\s*(?P=q)\.New\((?P<name>[^()]*)\)\s*\.Parse\((?P<src>.*)\)\s*\)\s*$",
    re.S)


@dataclass(frozen=True)
class _TemplateUse:
    file: str  # relative to the module root
    var: str
    pkg_import: str
    template: FieldTemplate


def _template_rewrite(project: Project, target: Target, graph: BuildGraph, report: DceReport,
                      main_pkgs: Sequence[str], blockers: int) -> Iterator[Proposal]:
    """Rewrite field-only templates of the chain's main-module packages to fmt calls."""
    done = False
    for pkg_path in reversed(main_pkgs):
        pkg = graph.packages[pkg_path]
        try:
            result = rewrite_templates(project, pkg)
        except (SourceError, EditError) as exc:
            yield Refusal(NAME, (target,), f"{target.name}: templates of {pkg_path} not rewritten", str(exc))
            continue
        if result is None:
            continue
        changes, uses, refusal = result
        if refusal:
            yield Refusal(NAME, (target,), f"{target.name}: templates of {pkg_path} not rewritten", refusal)
            continue
        done = True
        removes = tuple(p for p in TEMPLATE_PACKAGES if p in graph.packages and _only_via(graph, p, pkg_path))
        est, confidence = _estimate(project, graph, report, blockers, REFLECT_SHARE, removes)
        names = ", ".join(f"{u.var} ({u.file})" for u in uses)
        yield Candidate(
            id=candidate_id(NAME, f"{target}|template|{pkg_path}"), strategy=NAME, targets=(target,),
            summary=f"write {pkg_path}'s field-only templates with fmt instead of {uses[0].pkg_import}",
            explanation=(f"{report.reflect_blocker.symbol if report.reflect_blocker else ''} "
                         f"(reflect method lookup in {uses[0].pkg_import}) is reached from {pkg_path}. "
                         f"The templates {names} only substitute fields, so fmt.Fprintf writes the same "
                         "bytes (values print with fmt's %v, as templates do"
                         + ("; html.EscapeString escapes them as html/template does in text context"
                            if uses[0].pkg_import == "html/template" else "")
                         + ").\n" + _last_blocker_note(blockers)),
            estimated_bytes=est, confidence=confidence,
            plan=Plan(title=f"Replace field-only templates in {pkg_path} with fmt", changes=tuple(changes)),
            removes=removes,
            details={"kind": "template-rewrite", "package": pkg_path, "templates": [u.var for u in uses]},
        )
    if not done:
        yield _explain(project, target, graph, report, _chain_packages(graph, report.reflect_blocker.chain)
                       if report.reflect_blocker else [])


def _only_via(graph: BuildGraph, imported: str, importer: str) -> bool:
    return imported in graph.removed_by([(importer, imported)])


def rewrite_templates(project: Project, pkg: Package
                      ) -> tuple[list[FileChange], list[_TemplateUse], str] | None:
    """FileChanges turning the package's field-only template vars into fmt calls.

    None when the package has no template var; a non-empty reason string when one cannot be rewritten.
    """
    files: dict[str, tuple[Path, bytes, GoFile]] = {}
    for name in pkg.go_files:
        path = Path(pkg.dir) / name
        gf = project.sources.file(project.rel(pkg, name))
        files[name] = (path, gf.src, gf)
    uses: list[_TemplateUse] = []
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
                uses.append(_TemplateUse(gf.path, d.name, imp.path, ft))
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


def _rewrite_file(src: bytes, gf: GoFile, by_var: dict[str, _TemplateUse]) -> tuple[bytes, str]:
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


# ---------------------------------------------------------------------------------------------
# plugin


def _plugin_blocker(project: Project, target: Target, graph: BuildGraph, report: DceReport,
                    blockers: int) -> Iterator[Proposal]:
    chain = list(report.dynlink.chain)
    found = False
    for sw in _matching_switches(graph, report, (), chain):
        found = True
        yield _switch_proposal(project, target, report, sw, blockers, "the std plugin package")
    if found:
        return
    importer = chain[-2] if len(chain) >= 2 else None
    pkg = graph.packages.get(importer) if importer else None
    if pkg is None or not pkg.main_module:
        yield Refusal(NAME, (target,), f"{target.name}: plugin linked through {importer}",
                      f"{' -> '.join(chain)}: the import of plugin is outside the main module and no known "
                      "build tag removes it. Options: build with CGO_ENABLED=0 (plugin then has no effect); "
                      "guard the main module's import of the first package of the chain with a build tag; "
                      "ask upstream for a tag (as containerd's no_dynamic_plugins).")
        return
    try:
        changes = guard_plugin_import(project, pkg, PLUGIN_TAG)
    except (SourceError, EditError) as exc:
        yield Refusal(NAME, (target,), f"{target.name}: plugin import of {pkg.import_path} not guarded",
                      str(exc))
        return
    est, confidence = _estimate(project, graph, report, blockers, DYNLINK_SHARE, ("plugin",))
    files = ", ".join(c.path for c in changes)
    yield Candidate(
        id=candidate_id(NAME, f"{target}|plugin|{pkg.import_path}"), strategy=NAME, targets=(target,),
        summary=f"guard {pkg.import_path}'s import of plugin with !{PLUGIN_TAG}",
        explanation=(f"{' -> '.join(chain)}: with cgo on, linking plugin puts the linker in dynamic-linking "
                     "mode, which keeps every method (even unexported) of every reachable type. Building "
                     f"with -tags {PLUGIN_TAG} drops the import; the stub returns an error from the "
                     f"plugin-loading functions. Files: {files}.\n" + _last_blocker_note(blockers)),
        estimated_bytes=est, confidence=confidence,
        plan=Plan(title=f"Guard the plugin import of {pkg.import_path} with a build tag",
                  changes=tuple([*changes, *tag_config_changes(project, (target,), PLUGIN_TAG)])),
        removes=("plugin",), variant_tags=(PLUGIN_TAG,),
        details={"kind": "plugin-guard", "package": pkg.import_path, "tag": PLUGIN_TAG},
    )


def guard_plugin_import(project: Project, pkg: Package, tag: str) -> list[FileChange]:
    """Guard the files of pkg importing plugin with !tag; OR the tag into a sibling stub or write one."""
    parsed: dict[str, tuple[bytes, GoFile]] = {}
    for name in pkg.go_files:
        gf = project.sources.file(project.rel(pkg, name))
        parsed[name] = (gf.src, gf)
    guarded = [n for n, (_, gf) in parsed.items() if any(i.path == "plugin" for i in gf.imports)]
    if not guarded:
        raise SourceError(f"{pkg.import_path}: no file of this configuration imports plugin")
    changes: list[FileChange] = []
    needed: dict[str, tuple[str, bytes, GoFile]] = {}  # name -> (kind, text, file)
    for name in guarded:
        src, gf = parsed[name]
        gf.check()
        changes.append(FileChange(gf.path, src, apply_edits(src, add_constraint(gf, f"!{tag}"))))
        others = [g for n, (_, g) in parsed.items() if n not in guarded]
        used_elsewhere = {r.name for g in others for d in g.decls for r in d.refs if r.qualifier is None}
        for d in gf.decls:
            if d.kind in ("init",) or d.name == "_":
                continue
            if d.exported or d.name in used_elsewhere:
                needed[d.key] = (d.kind, src, gf)
    # Reuse a sibling file that already defines every needed name under a build constraint (a stub),
    # usually one this configuration ignores (plugins_other.go for plugins_unix.go).
    names = {gf.decl(k).name for k, (_, _, gf) in needed.items()}
    siblings = dict(parsed)
    for name in pkg.ignored_go_files:
        if name.endswith("_test.go"):
            continue
        gf = project.sources.file(project.rel(pkg, name))
        siblings[name] = (gf.src, gf)
    for name, (src, gf) in sorted(siblings.items()):
        if name in guarded or gf.constraint is None or gf.constraint.expr is None or gf.package != pkg.name:
            continue
        if names <= {d.name for d in gf.decls}:
            changes.append(FileChange(gf.path, src, apply_edits(src, or_constraint(gf, tag))))
            return changes
    if not names:
        return changes
    # Otherwise write a stub file with the opposite constraint.
    for name in guarded:
        src, gf = parsed[name]
        stub = _stub_file(gf, src, tag, {k for k, v in needed.items() if v[2] is gf})
        stem = name[:-3]
        stub_name = f"{stem}_{tag}.go"
        if stub_name in pkg.go_files or stub_name in pkg.ignored_go_files:
            raise EditError(f"{stub_name} exists already in {pkg.dir}")
        path = project.rel(pkg, stub_name)
        changes.append(FileChange(path, None, stub))
    return changes


def _stub_file(gf: GoFile, src: bytes, tag: str, keys: Iterable[str]) -> bytes:
    """A stub defining the needed declarations of gf without plugin: functions return an error."""
    plugin_names = {i.name or "plugin" for i in gf.imports if i.path == "plugin"}
    body: list[str] = []
    for key in sorted(keys, key=lambda k: gf.decl(k).start):
        d = gf.decl(key)
        text = src[d.start:d.end].decode()
        if any(re.search(rf"(?<![\w.]){re.escape(q)}\.", _code_only(_signature(text, d.kind)))
               for q in plugin_names):
            raise EditError(f"{gf.path}: {d.name} mentions the plugin package in its declaration; "
                            "it cannot have a stub without it")
        if d.kind in ("func", "method"):
            body.append(_stub_func(text, tag))
        else:
            if any(re.search(rf"(?<![\w.]){re.escape(q)}\.", _code_only(text)) for q in plugin_names):
                raise EditError(f"{gf.path}: {d.name} uses the plugin package")
            body.append(text if text.lstrip().startswith(("var", "const", "type")) else
                        f"{d.kind} {text}")
    code = "\n\n".join(body)
    imports: list[tuple[str, str | None]] = []
    names = dict(gf.import_names)
    for imp in gf.imports:
        if imp.path == "plugin":
            continue
        q = imp.local_name(names.get(imp.path) or imp.path.rsplit("/", 1)[-1])
        if re.search(rf"(?<![\w.]){re.escape(q)}\.", _code_only(code)):
            imports.append((imp.path, imp.name))
    if "errors.New(" in code and not any(p == "errors" for p, _ in imports):
        imports.append(("errors", None))
    header = f"//go:build {tag}\n\n// Stub used when built with -tags {tag}: no dynamic Go plugins.".encode()
    return new_file(gf.package, imports, code.encode(), header=header)


def _signature(text: str, kind: str) -> str:
    if kind not in ("func", "method"):
        return text
    brace = _body_brace(text)
    return text if brace < 0 else text[:brace]


def _body_brace(text: str) -> int:
    """Index of the '{' opening a function body in a declaration's text (doc comment included)."""
    m = re.search(r"^func\b", text, re.M)
    start = m.start() if m else 0
    depth = 0
    i = start
    while i < len(text):
        ch = text[i]
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "{" and depth == 0:
            # `interface{}` / `struct{}` in a signature: skip a brace directly after those keywords
            if re.search(r"(interface|struct)\s*$", text[start:i]):
                close = text.find("}", i)
                i = close + 1
                continue
            return i
        i += 1
    return -1


def _stub_func(text: str, tag: str) -> str:
    """A function declaration with the same signature whose body returns zero values and an error."""
    brace = _body_brace(text)
    sig = text[:brace].rstrip()
    m = re.search(r"^func\b", sig, re.M)
    func_sig = sig[m.start():] if m else sig
    results = _results(func_sig)
    msg = go_quote(f"dynamic plugins are not supported: built with -tags {tag}")
    if not results:
        stmt = f"panic({msg})"
    else:
        vals = [f"*new({t})" for t in results]
        if results[-1] == "error":
            vals[-1] = f"errors.New({msg})"
        stmt = "return " + ", ".join(vals)
    return f"{sig} {{\n\t{stmt}\n}}"


def _results(sig: str) -> list[str]:
    """The result types of a func signature text (names dropped)."""
    # find the parameter list's closing paren (after the receiver and the name)
    i = sig.find("(")
    if sig.startswith("func (") or sig.startswith("func("):
        i = _close(sig, i) + 1
        i = sig.find("(", i)
    end = _close(sig, i)
    rest = sig[end + 1:].strip()
    if not rest:
        return []
    if rest.startswith("("):
        inner = rest[1:_close(rest, 0)]
        parts = _split_top(inner)
        types = []
        for p in parts:
            words = p.strip().split(None, 1)
            types.append(words[1] if len(words) == 2 and re.fullmatch(r"\w+", words[0])
                         and not words[1].startswith((".", "[")) else p.strip())
        return types
    return [rest]


def _close(s: str, i: int) -> int:
    depth = 0
    for j in range(i, len(s)):
        if s[j] in "([{":
            depth += 1
        elif s[j] in ")]}":
            depth -= 1
            if depth == 0:
                return j
    return len(s) - 1


def _split_top(s: str) -> list[str]:
    out, depth, start = [], 0, 0
    for i, ch in enumerate(s):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(s[start:i])
            start = i + 1
    out.append(s[start:])
    return [p for p in out if p.strip()]


STRATEGY = Strategy(
    name=NAME,
    summary="Remove what disables the linker's method dead-code elimination (upstream tag, rewrite, guard)",
    propose=propose,
    needs=Needs.GRAPHS | Needs.SOURCES | Needs.SIZES | Needs.DCE,
)
