"""gotrim: find heavy dependencies in Go binaries, propose the refactors that cut them, measure."""

__version__ = "0.1.0"


def code_digest() -> str:
    """A digest of gotrim's own source (cached per process). Caches key on it: results written by
    another build of gotrim (an upgrade, a development checkout) are never served by this one."""
    if _DIGEST:
        return _DIGEST[0]
    import hashlib
    from pathlib import Path

    h = hashlib.sha256()
    for root in (Path(__file__).parent, Path(__file__).parent.parent / "strategies"):
        for path in sorted(root.rglob("*")):
            if path.suffix in (".py", ".toml", ".j2") and path.is_file():
                h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    _DIGEST.append(h.hexdigest())
    return _DIGEST[0]


_DIGEST: list[str] = []
