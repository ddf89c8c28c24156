"""Dependency patches: a guard (or any change) inside a module from the module proxy, shipped now as a
patched copy in the repository and sent upstream as a patch (issue 18 §4).

Users ask library maintainers one by one for build tags that drop heavy dependencies, and ship forks
while the change is reviewed. A dependency patch is both:

- the module at its required version copied into the repository, `third_party/<module path>/`, every
  file of it (licence files, go.mod, assembly and embedded files), with the change applied; a
  `replace <module path> => ./third_party/<module path>` in go.mod; the tag, when the change has one,
  in the targets' build configuration (gotrim.toml, Makefile, goreleaser);
- `third_party/<module path>.patch`: the same change against the module's own tree (paths relative to
  its root, `git apply`-able there), under a commit message that states the bytes the change saves
  (estimated when proposed; `apply` writes the measured figures into it before it commits).

The module's files are read from the module cache through the source index (which never changes
under a module version); nothing here writes anything: the result is FileChanges.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from refactor.buildconfig import tag_config_changes
from refactor.config import Target
from refactor.errors import GotrimError
from refactor.plan import FileChange, Plan

if TYPE_CHECKING:
    from refactor.project import Project

THIRD_PARTY = "third_party"
# A copy larger than this is not proposed (the upstream patch is the way for such a module).
MAX_FILES = 3000
MAX_BYTES = 32 << 20


class NotPatchable(GotrimError):
    """A dependency module cannot be copied into the repository; the message says why."""


@dataclass(frozen=True)
class DependencyPatch:
    """The upstream side of a dependency patch: what the patch file says, and where it is."""

    module: str
    version: str
    dest: str  # the copy's directory, relative to the repository's top (as Plan paths are)
    patch_path: str  # the patch file, relative to the repository's top
    tag: str | None  # the build tag the change introduces; None for a change that needs none
    subject: str  # the commit message's first line
    body: str  # the commit message's other lines (why, what the tag leaves out)
    originals: tuple[tuple[str, bytes | None], ...]  # the changed files as the module has them (relative)

    def text(self, figures: Sequence[str], plan: Plan) -> bytes:
        """The patch file: the commit message (subject, body, the figures), then the change against the
        module's own tree, read from the copy in plan (as gotrim formatted it)."""
        copies = {c.path: c.after for c in plan.changes}
        diff = Plan(self.subject, tuple(FileChange(rel, before, copies.get(f"{self.dest}/{rel}"))
                                        for rel, before in self.originals)).diff()
        lines = [self.subject, "", self.body.rstrip(), ""]
        lines += [*figures, ""]
        lines += [f"Against {self.module}@{self.version}: `git apply` this file in the module's tree,",
                  "then commit with the message above.", "", "---", ""]
        # a blank context line as an empty line (git's diff.suppressBlankEmpty), which `git apply` and
        # patch read as the same: the patch file is committed, and " " is trailing whitespace to
        # `git diff --check`, pre-commit hooks and `git apply` of the commit that adds it
        diff = re.sub(r"^ $", "", diff, flags=re.M)
        return ("\n".join(lines) + diff).encode()


def module_version(module_dir: str) -> str | None:
    """The version of a module from its directory in the module cache (`.../name@v1.2.3`), or None."""
    base = os.path.basename(os.path.normpath(module_dir))
    if "@" not in base:
        return None
    version = base.rsplit("@", 1)[1]
    return version if re.fullmatch(r"v\d+\.\d+\.\d+\S*", version) else None


def tag_for(module: str, feature: str) -> str:
    """The build tag a patch of module introduces: named after the module (`getter_omit_s3`)."""
    elems = [e for e in module.split("/") if e and not re.fullmatch(r"v\d+", e)]
    name = re.sub(r"[^0-9A-Za-z_]", "_", (elems[-1] if elems else "module").removeprefix("go-")).lower()
    return f"{name}_omit_{feature}"


def patch_plan(project: Project, *, module: str, module_dir: str, changes: Mapping[str, bytes | None],
               tag: str | None, targets: Sequence[Target], subject: str, body: str, figures: Sequence[str]
               ) -> tuple[list[FileChange], DependencyPatch]:
    """The file changes of a dependency patch, and its upstream side.

    changes: the change to the module, by absolute path of its files in the module cache (None: deleted;
    a path that is not there yet: a new file). tag: the build tag the targets are then built with (written
    into their build configuration), None when the change needs none (it keeps every feature).
    figures: the lines stating the (estimated) bytes.
    NotPatchable when the module cannot be copied (not in the module cache, replaced already, vendored,
    too large, or its copy's directory is taken).
    """
    version = module_version(module_dir)
    if version is None:
        raise NotPatchable(f"{module} is not read from the module cache ({module_dir}): no version to copy")
    try:
        Path(module_dir).resolve().relative_to(project.root.resolve())
        raise NotPatchable(f"{module} is in this repository already: change it there")
    except ValueError:
        pass
    # the copy and the replace go into the module that builds the targets (Plan paths from the top)
    homes = {project.module_of(t).dir for t in targets} or {project.module.dir}
    if len(homes) > 1:
        raise NotPatchable(f"the targets are built in {len(homes)} modules: a replace patches one of them")
    root = homes.pop()
    rel = root.resolve().relative_to(project.root.resolve()).as_posix() if root != project.root else "."
    prefix = "" if rel in ("", ".") else rel + "/"
    sources = project.sources
    gomod = sources.source(prefix + "go.mod").decode("utf-8", "replace")
    if re.search(rf"^\s*(replace\s+)?{re.escape(module)}(\s+v\S+)?\s*=>", gomod, re.M):
        raise NotPatchable(f"go.mod replaces {module} already: change the replacement")
    if (root / "vendor" / "modules.txt").is_file():
        raise NotPatchable("the module vendors its dependencies: a replace needs `go mod vendor` again")
    dest = f"{THIRD_PARTY}/{module}"
    if (root / dest).exists():
        raise NotPatchable(f"{dest} exists already")
    files = sources.tree(module_dir)
    if len(files) > MAX_FILES:
        raise NotPatchable(f"{module}@{version} has {len(files)} files: too many to copy; send the patch upstream")
    out: list[FileChange] = []
    originals: list[tuple[str, bytes | None]] = []
    total = 0
    base = Path(module_dir)
    for rel in files:
        full = str(base / rel)
        original = sources.source(full)
        total += len(original)
        if full in changes:
            after = changes[full]
            originals.append((rel, original))
            if after is not None:
                out.append(FileChange(f"{prefix}{dest}/{rel}", None, after))
        else:
            out.append(FileChange(f"{prefix}{dest}/{rel}", None, original, verbatim=True))
    if total > MAX_BYTES:
        raise NotPatchable(f"{module}@{version} is {total >> 20} MiB: too large to copy; send the patch upstream")
    for full, after in sorted(changes.items()):
        rel = os.path.relpath(full, module_dir).replace(os.sep, "/")
        if rel.startswith("..") or rel in files or after is None:
            continue
        originals.append((rel, None))
        out.append(FileChange(f"{prefix}{dest}/{rel}", None, after))
    newline = "" if gomod.endswith("\n") else "\n"
    replaced = f"{gomod}{newline}\n// {module} patched by gotrim: {dest}.patch says how, and why.\n" \
               f"replace {module} => ./{dest}\n"
    out.append(FileChange(prefix + "go.mod", gomod.encode(), replaced.encode()))
    if tag is not None:
        out.extend(tag_config_changes(project, targets, tag))
    patch = DependencyPatch(module=module, version=version, dest=prefix + dest, patch_path=f"{prefix}{dest}.patch",
                            tag=tag,
                            subject=subject, body=body, originals=tuple(sorted(originals)))
    out.append(FileChange(patch.patch_path, None, patch.text(figures, Plan(subject, tuple(out)))))
    return out, patch


def measured_figures(results: Sequence[tuple[str, int, int]], tag: str | None) -> list[str]:
    """The lines of a patch's message that state the bytes: (target label, before, after) each."""
    out = []
    for label, before, after in results:
        saved = before - after
        share = f", {saved / before * 100:.1f} %" if before else ""
        built = f" built with -tags {tag}" if tag else ""
        out.append(f"Measured on {label}{built}: {before:,} -> {after:,} bytes "
                   f"({saved:,} bytes saved{share}).")
    return out
