"""Thin wrapper kept for old command lines: `python bench/bench_commands.py ...` is `python -m bench.commands ...`."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.commands import main  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main())
