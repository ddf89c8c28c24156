"""The `go build` command line of every binary gotrim links, so that the user's own builds never see it.

cmd/go keeps a link's output (what the linker printed) in GOCACHE under the main package's compile
action ID, whatever the -ldflags, and prints it again when a later `go build -o bin/x` finds bin/x up
to date (cmd/go/internal/work/buildid.go: updateBuildID stores `link-stdout`, useCache replays it).
With -trimpath, -ldflags is not part of that ID either. So after gotrim linked a target with
`-ldflags=-dumpdep`, the user's next plain `go build -trimpath -o bin/x ./cmd/x` onto an up-to-date
bin/x printed the whole -dumpdep stream (tens of thousands of lines).

Every gotrim link therefore compiles the main package under an action ID of its own: an `-overlay`
maps one of the main package's (non-cgo) Go files to a copy with a comment appended. File contents
are hashed into the compile action ID; the overlay is not recorded in the binary's build information
and the compiled code is the same, so the binary has the same size (only its build IDs differ). The
comment names the -ldflags, so a -dumpdep link and a plain one do not replay each other's output
either. The copy's path does not matter to the action ID: an unchanged target stays up to date.
"""

from __future__ import annotations

import hashlib
import json
import shlex
from pathlib import Path

from refactor.config import Target
from refactor.toolchain import Go


def link_args(go: Go, cwd: Path, target: Target, out: Path, ldflags: str = "",
              main: tuple[Path, str] | None = None, *, overlay: bool = True) -> list[str]:
    """`go build` arguments (without `go`) that link target's binary at out with -trimpath, the target's
    tags and the given -ldflags (whole), under a compile action ID of gotrim's own for the main package.
    The overlay's files are written beside out (`.<name>.overlay/`), in gotrim's own directory. main: the
    main package's folder and first non-cgo Go file, when the caller's build graph has them (else a
    `go list -find` asks). Not overlay: a link whose linker prints nothing (no -dumpdep), which the
    user's builds may replay harmlessly, under the main package's own action ID."""
    args = ["build", "-trimpath", "-o", str(out), *target.build_flags()]
    if ldflags:
        args.append("-ldflags=" + ldflags)
    written = write_overlay(go, cwd, target, out.parent / f".{out.name}.overlay", ldflags, main) if overlay else None
    if written is not None:
        args.append("-overlay=" + str(written))
    args.append(target.main)
    return args


def write_overlay(go: Go, cwd: Path, target: Target, folder: Path, ldflags: str,
                  main: tuple[Path, str] | None = None) -> Path | None:
    """The overlay file for target's main package (see the module doc), or None when the package has no
    non-cgo Go file or cannot be listed (the build then says why)."""
    if main is None:
        proc = go.run(["list", "-find", "-json=Dir,GoFiles", *target.build_flags(), target.main], cwd=cwd,
                      target=target, check=False)
        try:
            info = json.loads(proc.stdout) if proc.returncode == 0 else {}
        except ValueError:
            return None
        files = info.get("GoFiles") or []
        if not info.get("Dir") or not files:
            return None
        main = (Path(info["Dir"]), files[0])
    source = main[0] / main[1]
    replace = _user_overlay(go)
    try:
        text = Path(replace.get(str(source)) or source).read_bytes()
    except OSError:
        return None
    flavour = hashlib.sha256(ldflags.encode()).hexdigest()[:12]
    copy = folder / main[1]
    try:
        folder.mkdir(parents=True, exist_ok=True)
        copy.write_bytes(text + f"\n// gotrim's own link (ldflags {flavour}): see refactor/gobuild.py\n".encode())
        replace[str(source)] = str(copy)
        path = folder / "overlay.json"
        path.write_text(json.dumps({"Replace": replace}), encoding="utf-8")
    except OSError:
        return None
    return path


def _user_overlay(go: Go) -> dict[str, str]:
    """The Replace map of an -overlay in the user's GOFLAGS (ours replaces it on the command line, so
    it is merged in), else {}."""
    flags = go.environ().get("GOFLAGS", "")
    try:
        words = shlex.split(flags)
    except ValueError:
        return {}
    for i, w in enumerate(words):
        value = None
        if w.startswith(("-overlay=", "--overlay=")):
            value = w.split("=", 1)[1]
        elif w in ("-overlay", "--overlay") and i + 1 < len(words):
            value = words[i + 1]
        if value:
            try:
                data = json.loads(Path(value).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                return {}
            replace = data.get("Replace") if isinstance(data, dict) else None
            return {str(k): str(v) for k, v in replace.items()} if isinstance(replace, dict) else {}
    return {}
