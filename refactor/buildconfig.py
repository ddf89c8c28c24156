"""Editing a module's build configuration: gotrim.toml targets, Makefile -tags, goreleaser tags.

A candidate whose slim build needs a build tag (a guard, an upstream switch) also changes where the
project's builds are configured, so the tag is not lost after the merge: the target's table in
gotrim.toml (the file is created, listing every current target, when there is none), every literal
`-tags` list of a Makefile (or the variable it names), and every `tags:` list of .goreleaser.yaml.
Each editor is a pure function of the file's text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from refactor.config import CONFIG_FILE, Target
from refactor.edit import go_quote
from refactor.plan import FileChange

if TYPE_CHECKING:
    from refactor.project import Project

MAKEFILES = ("Makefile", "makefile", "GNUmakefile")
GORELEASER = (".goreleaser.yaml", ".goreleaser.yml")
FILES = frozenset((CONFIG_FILE, *MAKEFILES, *GORELEASER))  # every file tag_config_changes may change


Names = str | tuple[Callable[[str], str], Callable[[str], str]]
"""How gotrim.toml's `main` values name main packages: the module's path (`./x` is below it), or
(value -> import path, import path -> value) for a repository of several modules."""


def tag_config_changes(project: Project, targets: Sequence[Target], *tags: str) -> list[FileChange]:
    """Add tags to these targets in gotrim.toml (created if absent), and to Makefile -tags and
    .goreleaser tags lists; the files are those of REPO's directory (paths relative to the top)."""
    root = project.settings.root
    prefix = _rel_prefix(root, project.root)
    names: Names = (project.import_pattern, project.main_value) if len(project.modules) > 1 else project.module.path
    changes = [_gotrim_toml_change(root, names, project.targets, targets, tags, prefix)]
    for files, add in ((MAKEFILES, add_make_tag), (GORELEASER, add_goreleaser_tag)):
        for name in files:
            path = root / name
            if not path.is_file():
                continue
            before = path.read_bytes()
            text = before.decode("utf-8", "replace")
            for tag in tags:
                text = add(text, tag)
            if text.encode() != before:
                changes.append(FileChange(prefix + name, before, text.encode()))
    return changes


def _rel_prefix(root: Path, top: Path) -> str:
    """`dir/` of REPO relative to the repository's top ("" when they are the same)."""
    try:
        rel = root.resolve().relative_to(top).as_posix()
    except ValueError:
        return ""
    return "" if rel in ("", ".") else rel + "/"


def _gotrim_toml_change(root: Path, module: Names, targets: Sequence[Target], tagged: Sequence[Target],
                        tags: Sequence[str], prefix: str = "") -> FileChange:
    path = root / CONFIG_FILE
    before = path.read_bytes() if path.is_file() else None
    if before is not None:
        text = before.decode("utf-8")
        for target in tagged:
            for tag in tags:
                text = add_toml_tag(text, module, target, tag)
        return FileChange(prefix + CONFIG_FILE, before, text.encode())
    # A new gotrim.toml lists every current target, so the ones without the tag are still analysed.
    text = "# Targets analysed by gotrim (written when a build tag was added for one of them).\n"
    for t in dict.fromkeys((*targets, *tagged)):
        text = _toml_append(text, module, t, tags if t in tagged else ())
    return FileChange(prefix + CONFIG_FILE, None, text.encode())


def _main_matches(value: str, module: Names, target: Target) -> bool:
    v = value.strip().rstrip("/")
    if not isinstance(module, str):
        return module[0](v or ".") == target.main
    if v.startswith("./") or v == ".":
        v = module + v[1:]
    return v == target.main


def add_toml_tag(text: str, module: Names, target: Target, tag: str) -> str:
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


def _toml_append(text: str, module: Names, target: Target, extra_tags: Sequence[str]) -> str:
    """gotrim.toml text with a [[target]] table for the target appended."""
    if isinstance(module, str):
        rel = target.main[len(module):] if target.main.startswith(module) else target.main
        main = "." + rel if rel.startswith("/") else (rel or ".")
    else:
        main = module[1](target.main)
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


_TOP_KEY = re.compile(r"^([A-Za-z_][\w-]*)\s*:")  # a top-level key of a YAML file (`builds:`)


def add_goreleaser_tag(text: str, tag: str) -> str:
    """A .goreleaser.yaml with `tag` appended to every `tags:` list of its builds (under the top-level
    `builds:` only: go-task's winget section has a `tags:` list of package keywords), and a `tags:` list
    given to each build that has none (go-task's release build)."""
    return _add_build_tags_lists(_append_build_tags(text, tag), tag)


def _add_build_tags_lists(text: str, tag: str) -> str:
    """A `tags: [tag]` block list at the end of each item of the top-level `builds:` list without one."""
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    section, item_indent = "", None
    item: list[str] = []

    def flush() -> None:
        if item and item_indent is not None:
            keys = " " * (len(item_indent) + 2)
            key = rf"^(?:{re.escape(item_indent)}- |{keys})"
            # (not a build goreleaser skips: frp's `- skip: true`)
            if not any(re.match(key + r"(?:tags\s*:|skip\s*:\s*true\b)", ln) for ln in item):
                end = len(item)
                while end > 1 and not item[end - 1].strip():
                    end -= 1
                if not item[end - 1].endswith("\n"):
                    item[end - 1] += "\n"
                item[end:end] = [f"{keys}tags:\n", f"{keys}  - {tag}\n"]
        out.extend(item)
        item.clear()

    for line in lines:
        top = _TOP_KEY.match(line)
        if top:
            flush()
            section, item_indent = top.group(1), None
            out.append(line)
            continue
        m = re.match(r"^(\s*)- ", line) if section == "builds" else None
        if m and (item_indent is None or m.group(1) == item_indent):
            flush()
            item_indent = m.group(1)
        (item if section == "builds" and item_indent is not None else out).append(line)
    flush()
    return "".join(out)


def _append_build_tags(text: str, tag: str) -> str:
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    section = ""
    i = 0
    while i < len(lines):
        line = lines[i]
        top = _TOP_KEY.match(line)
        if top:
            section = top.group(1)
        m = re.match(r"^(\s*)tags:\s*(\[(.*)\])?\s*$", line.rstrip("\n")) if section == "builds" else None
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
