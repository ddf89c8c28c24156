"""Record the Projects the toolchain-free golden tests replay: `python3 -m tests.record [NAME...]`.

Each scenario loads a fixture as suggest does (go list, one -dumpdep build per target, attributed,
the type-checked view) and writes tests/data/projects/NAME.json (refactor.record). Run it after a
change to a fixture or to what the loader records; the golden files themselves are shared with the
tests that build with Go.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from refactor.config import Settings, TargetSpec
from refactor.load import load
from refactor.project import Needs
from refactor.record import record
from refactor.toolchain import find_go

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixture_repos"
DATA = Path(__file__).resolve().parent / "data" / "projects"

# name -> (fixture, the targets its golden tests use)
SCENARIOS: dict[str, tuple[str, TargetSpec]] = {
    "split": ("split", TargetSpec(mains=("./cmd/lite",))),
    "splitcycle": ("splitcycle", TargetSpec(mains=("./cmd/lite",))),
    "splittyped": ("splittyped", TargetSpec(mains=("./cmd/lite",))),
    "guard": ("guard", TargetSpec(mains=("./cmd/agent", "./cmd/server"))),
    "blockers": ("blockers", TargetSpec()),
    "clean": ("clean", TargetSpec()),
    "nested": ("nested", TargetSpec(mains=("./tools/cmd/lite",))),  # a nested module's binary
    "workspace": ("workspace", TargetSpec(mains=("./app/cmd/app",))),  # a go.work of two modules
}


def main(names: list[str]) -> int:
    go = find_go()
    for name in names or list(SCENARIOS):
        fixture, spec = SCENARIOS[name]
        with tempfile.TemporaryDirectory(prefix="gotrim-record-") as tmp:
            # a repository of its own, as the tests copy it: the fixture's directory is the top (inside
            # gotrim's checkout, the top would be gotrim's and every module of it would be found)
            root = Path(tmp) / fixture
            shutil.copytree(FIXTURES / fixture, root)
            subprocess.run(["git", "init", "-q"], cwd=root, check=True)
            project = load(go, Settings(root=root), [spec], Needs.SUGGEST | Needs.TYPED)
            data = record(project)
        DATA.mkdir(parents=True, exist_ok=True)
        path = DATA / f"{name}.json"
        path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)} ({len(project.targets)} targets)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
