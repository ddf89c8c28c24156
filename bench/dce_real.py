"""Method DCE on public Go programs: one candidate of `gotrim suggest`, applied unaided, switches it on.

    python -m bench.dce_real [NAME ...]        (default: every program below)

gormdce is the one program of bench/'s own (bench/gormdce: github.com/jinzhu/gorm v1.9.16 with the
postgres dialect, no database), whose blocker is gorm's callMethod: a dependency patch.

For each program: `go mod download` of the pinned version (the Go module proxy), a copy in a scratch
git repository, gotrim's loader and the dce-blockers strategy with the DCE loop (as `gotrim suggest`
runs them), the top candidate for the target applied with `gotrim apply`'s verification (gofmt, go
build ./..., go vet, rebuild, measure). Then the branch is checked out in a worktree: `gotrim dce`
on it (method DCE on?), both binaries built with -trimpath (bytes), and each program run on the same
inputs before and after: stdout, stderr, exit status and the files it writes must be byte-identical.
Prints one JSON document; nothing is written outside a temporary directory.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

MOQ_INPUT = {
    "go.mod": "module example.com/in\n\ngo 1.22\n",
    "in.go": """package in

import (
	"context"
	"io"
)

// Item is stored.
type Item struct{ ID string }

// Store keeps items.
type Store interface {
	Get(ctx context.Context, id string) (*Item, error)
	Put(items ...*Item) error
	Close()
}

// Gen is generic.
type Gen[T any, K comparable] interface {
	Load(k K) (T, bool)
	Keep(k K, v T)
}

// RW mixes an embedded interface and a function argument.
type RW interface {
	io.Reader
	Flush(fn func(int) error) (n int, err error)
}
""",
}

LICENSE_INPUT = {
    "a.go": "package a\n\nfunc A() {}\n",
    "b.py": "print('b')\n",
    "c.sh": "#!/bin/sh\necho c\n",
    "d/e.js": "console.log('e');\n",
}


def _pb(fields: list[tuple[int, bytes | str]]) -> bytes:
    """A protobuf message of length-delimited fields (all that a CodeGeneratorRequest needs here)."""
    out = b""
    for num, value in fields:
        data = value.encode() if isinstance(value, str) else value
        out += _varint(num << 3 | 2) + _varint(len(data)) + data
    return out


def _varint(n: int) -> bytes:
    out = b""
    while True:
        b, n = n & 0x7F, n >> 7
        out += bytes([b | (0x80 if n else 0)])
        if not n:
            return out


def _grpc_request() -> bytes:
    """A CodeGeneratorRequest for x.proto: package p, messages Req and Resp, service S with a unary
    and a server-streaming method (FileDescriptorProto fields: name 1, package 2, message_type 4,
    service 6, options 8 (go_package 11), syntax 12; MethodDescriptorProto: name 1, input 2, output 3,
    options 4, server_streaming 6 is a varint, written by hand)."""
    stream = _pb([(1, "Watch"), (2, ".p.Req"), (3, ".p.Resp")]) + bytes([6 << 3 | 0, 1])
    service = _pb([(1, "S"), (2, _pb([(1, "Get"), (2, ".p.Req"), (3, ".p.Resp")])), (2, stream)])
    fd = _pb([(1, "x.proto"), (2, "p"), (4, _pb([(1, "Req")])), (4, _pb([(1, "Resp")])), (6, service),
              (8, _pb([(11, "example.com/p;p")])), (12, "proto3")])
    return _pb([(1, "x.proto"), (15, fd)])


@dataclass(frozen=True)
class Run:
    """One invocation: arguments, files to lay out in its working directory first."""

    args: tuple[str, ...]
    files: dict[str, str] = field(default_factory=dict)
    in_module: bool = False  # run in the program's own source tree instead of a fresh directory
    unordered: bool = False  # the program prints lines in a nondeterministic order: compare them sorted
    stdin: bytes = b""


@dataclass(frozen=True)
class Program:
    module: str
    version: str
    main: str
    runs: tuple[Run, ...]
    local: Path | None = None  # a program of bench/ itself instead of a module from the proxy
    tags: tuple[str, ...] = ()  # the build's tags (the target's, before and after)
    # A program laid out from these files (go.mod requires module@version) instead of the module itself.
    files: dict[str, str] = field(default_factory=dict)
    pick: str = ""  # apply the candidate whose summary starts so (default: the top one)


# A small program on urfave/cli v1 (its help: text/template on interface{} data, urfave/cli#2277).
CLI_V1_MAIN = """package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli"
)

func main() {
	app := cli.NewApp()
	app.Name = "demo"
	app.Usage = "a demo of urfave/cli v1 help"
	app.Version = "1.2.3"
	app.Authors = []cli.Author{{Name: "Ada", Email: "ada@example.com"}}
	app.Flags = []cli.Flag{
		cli.StringFlag{Name: "config, c", Usage: "load configuration from `FILE`"},
		cli.BoolFlag{Name: "debug", Usage: "debug output"},
	}
	app.Commands = []cli.Command{
		{Name: "add", Aliases: []string{"a"}, Usage: "add a task", Flags: []cli.Flag{cli.IntFlag{Name: "n", Value: 1}},
			Action: func(c *cli.Context) error { fmt.Println("added", c.Int("n")); return nil }},
		{Name: "template", Usage: "templates", Category: "admin", Subcommands: []cli.Command{
			{Name: "new", Usage: "new template", Action: func(c *cli.Context) error { return nil }},
			{Name: "remove", Usage: "remove a template", Action: func(c *cli.Context) error { return nil }},
		}},
	}
	if err := app.Run(os.Args); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
"""


# A small program on kingpin v2 (flags, envars, an enum, nested and hidden commands, a default command).
KINGPIN_V2_MAIN = """package main

import (
	"fmt"
	"os"

	"github.com/alecthomas/kingpin/v2"
)

var (
	app     = kingpin.New("chat", "A command-line chat application.")
	debug   = app.Flag("debug", "Enable debug mode.").Bool()
	server  = app.Flag("server", "Server address.").Default("127.0.0.1").Envar("CHAT_SERVER").String()
	level   = app.Flag("level", "Log level.").Short('l').Required().Enum("debug", "info")
	regName = app.Command("register", "Register a new user.")
	nick    = regName.Arg("nick", "Nickname for user.").Required().String()
	name    = regName.Arg("name", "Name of user.").Strings()
	post    = app.Command("post", "Post a message to a channel.")
	image   = post.Flag("image", "Image to post.").File()
	channel = post.Arg("channel", "Channel to post to.").Required().String()
	text    = post.Arg("text", "Text to post.").Strings()
	admin   = app.Command("admin", "Administration.")
	purge   = admin.Command("purge", "Purge a channel.").Hidden()
	stats   = admin.Command("stats", "Show statistics.").Default()
)

func main() {
	app.Version("0.9.1")
	switch kingpin.MustParse(app.Parse(os.Args[1:])) {
	case regName.FullCommand():
		fmt.Println("register", *nick, *name)
	case post.FullCommand():
		fmt.Println("post", *channel, *text, *image != nil)
	case stats.FullCommand():
		fmt.Println("stats", *debug, *server, *level)
	}
}
"""

PROGRAMS: dict[str, Program] = {
    # internal/template executes a text/template held in a struct field, with functions and methods.
    "moq": Program("github.com/matryer/moq", "v0.8.1", ".", (
        Run(("-version",)),
        Run((".", "Store"), MOQ_INPUT),
        Run(("-stub", "-skip-ensure", ".", "Store", "RW"), MOQ_INPUT),
        Run(("-with-resets", "-pkg", "mocks", ".", "Gen"), MOQ_INPUT),
        Run(("-fmt", "noop", ".", "RW"), MOQ_INPUT),
        Run((".", "Nope"), MOQ_INPUT),
        Run(("./example", "PersonStore"), in_module=True),
    )),
    # the licence header template is chosen at run time (-l, -f): not compilable, so the fork.
    "addlicense": Program("github.com/google/addlicense", "v1.2.0", ".", (
        Run(("-c", "Acme Inc", "-y", "2024", "-l", "apache", "."), LICENSE_INPUT),
        Run(("-c", "Jane Doe", "-y", "1999", "-l", "mit", "-v", "."), LICENSE_INPUT, unordered=True),
        Run(("-c", "X", "-l", "mpl", "-s", "."), LICENSE_INPUT),
        Run(("-check", "."), LICENSE_INPUT, unordered=True),  # files are checked concurrently
    )),
    # bench/real's grpc-health-probe-0.4.25 (shape b-several-blockers): grpc's x/net/trace
    # (html/template), then protobuf with Go 1.26: a catalogue tag, then a module upgrade.
    "grpc-health-probe": Program("github.com/grpc-ecosystem/grpc-health-probe", "v0.4.25", ".", (
        Run(("-version",)),
        Run(()),
        Run(("-addr=127.0.0.1:1", "-connect-timeout", "200ms")),
        Run(("-addr=127.0.0.1:1", "-connect-timeout", "200ms", "-tls", "-tls-no-verify")),
    )),
    # protobuf v1.36.11 with Go 1.26: a toolchain x dependency blocker; the loop upgrades protobuf.
    # bench/gormdce: gorm v1.9.16's (*Scope).callMethod (MethodByName with a computed name, every caller
    # passing a constant): the constant-name dispatch as a dependency patch.
    "gormdce": Program("example.com/gormdce", "local", ".", (
        Run(()),
        Run(("host=127.0.0.1 port=2 user=x dbname=y sslmode=disable connect_timeout=1",)),
        Run(("postgres://u@127.0.0.1:1/d?sslmode=disable&connect_timeout=1",)),
        Run(("not a = valid dsn '",)),
    ), local=ROOT / "bench" / "gormdce"),
    "protoc-gen-go-grpc": Program("google.golang.org/grpc/cmd/protoc-gen-go-grpc", "v1.6.2", ".", (
        Run(("--version",)),
        Run((), stdin=b""),
        Run((), stdin=_grpc_request()),
    )),
    # urfave/cli v1's help (printHelpCustom): a dependency patch, its default texts compiled to Go.
    "urfave-cli-v1": Program("github.com/urfave/cli", "v1.22.16", ".", (
        Run(()), Run(("--help",)), Run(("help",)), Run(("add", "--help")), Run(("help", "add")), Run(("a", "-h")),
        Run(("template", "--help")), Run(("template", "help")), Run(("template", "new", "--help")),
        Run(("help", "template")), Run(("help", "nosuch")), Run(("--version",)), Run(("add", "-n", "3")),
    ), files={"go.mod": "module example.com/clidemo\n\ngo 1.22\n\nrequire github.com/urfave/cli v1.22.16\n",
              "main.go": CLI_V1_MAIN}),
    # kingpin v2's usage (UsageForContextWithTemplate, alecthomas/kingpin#365): every text it ships compiled.
    "kingpin-v2": Program("github.com/alecthomas/kingpin/v2", "v2.4.0", ".", (
        Run(()), Run(("--help",)), Run(("--help-long",)), Run(("--help-man",)), Run(("help",)), Run(("help", "post")),
        Run(("post", "--help")), Run(("admin", "--help")), Run(("help", "admin", "stats")), Run(("--version",)),
        Run(("--completion-script-bash",)), Run(("--completion-script-zsh",)), Run(("--completion-bash",)),
        Run(("-l", "info", "register")), Run(("-l", "info", "--nope")), Run(("-l", "info", "post", "#general", "hi")),
        Run(("-l", "info",)),
    ), files={"go.mod": "module example.com/kp\n\ngo 1.22\n\nrequire github.com/alecthomas/kingpin/v2 v2.4.0\n",
              "main.go": KINGPIN_V2_MAIN}),
    # bench/real's node_exporter-1.8.2: kingpin v2's usage (profiled), then templates of exporter-toolkit/web and
    # prometheus/common/version (compiled in dependency patches, no tag); go-conntrack's x/net/trace remains.
    "node_exporter": Program("github.com/prometheus/node_exporter", "v1.8.2", ".", (
        Run(("--help",)), Run(("--help-long",)), Run(("--help-man",)), Run(("--version",)),
        Run(("--collector.nope",)), Run(("--no-collector.cpu", "--help")),
    )),
    # bench/real's ctr-1.7.25 built with containerd's no_dynamic_plugins: urfave/cli v1's help is the first
    # blocker; the dependency patch alone (the loop goes on to the module's own templates and grpc's trace).
    "ctr": Program("github.com/containerd/containerd", "v1.7.25", "./cmd/ctr", (
        Run(()), Run(("--help",)), Run(("help",)), Run(("--version",)), Run(("containers", "--help")),
        Run(("help", "containers")), Run(("c", "ls", "--help")), Run(("images", "pull", "--help")),
        Run(("run", "--help")), Run(("tasks", "help")), Run(("help", "nosuch")),
        Run(("--address", "/nonexistent.sock", "--timeout", "1s", "version")),
    ), tags=("no_dynamic_plugins",), pick="patch github.com/urfave/cli@"),
}


def sh(args: list[str], cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=check)


def fetch(p: Program, dest: Path) -> Path:
    if p.local is not None:
        shutil.copytree(p.local, dest)
        sh(["go", "mod", "download"], cwd=dest)
    elif p.files:
        for name, text in p.files.items():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            (dest / name).write_text(text)
        subprocess.run(["go", "mod", "tidy"], cwd=dest, capture_output=True, text=True, check=True,
                       env={**os.environ, "GOFLAGS": "-mod=mod"})
    else:
        out = sh(["go", "mod", "download", "-json", f"{p.module}@{p.version}"], cwd=dest.parent)
        shutil.copytree(Path(json.loads(out.stdout)["Dir"]), dest)
        # a module zip keeps vendor/modules.txt but not the vendored packages (containerd): left alone, it
        # switches the build to vendor mode, which then finds nothing (as bench/real/fetch.py does)
        for modules_txt in dest.rglob("vendor/modules.txt"):
            if not any(p.is_dir() for p in modules_txt.parent.iterdir()):
                shutil.rmtree(modules_txt.parent)
    for f in dest.rglob("*"):
        f.chmod(0o755 if f.is_dir() else 0o644)
    dest.chmod(0o755)
    for cmd in (["git", "init", "-q", "-b", "main"], ["git", "add", "-A"],
                ["git", "-c", "user.email=b@example.invalid", "-c", "user.name=bench", "commit", "-qm",
                 f"{p.module} {p.version}"]):
        sh(cmd, cwd=dest)
    return dest


def outputs(exe: Path, run: Run, module_dir: Path, scratch: Path) -> dict[str, object]:
    """What one run prints and writes (its directory's files after the run, by path)."""
    if run.in_module:
        cwd = module_dir
    else:
        cwd = scratch
        if cwd.exists():
            shutil.rmtree(cwd)
        for name, text in run.files.items():
            p = cwd / name
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text)
        cwd.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run([str(exe), *run.args], cwd=cwd, capture_output=True, input=run.stdin, timeout=300)
    files = {} if run.in_module else {str(f.relative_to(cwd)): f.read_text(errors="replace")
                                      for f in sorted(cwd.rglob("*")) if f.is_file()}
    out, err = proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace")
    if run.unordered:
        out, err = "".join(sorted(out.splitlines(True))), "".join(sorted(err.splitlines(True)))
    return {"rc": proc.returncode, "stdout": out, "stderr": err, "files": files}


def bench(name: str, p: Program, work: Path, say: Callable[[str], None]) -> dict[str, object]:
    from refactor.apply import apply
    from refactor.config import Settings, TargetSpec
    from refactor.dceloop import with_loops
    from refactor.load import load
    from refactor.project import Needs
    from refactor.suggest import propose_all
    from refactor.toolchain import find_go
    from strategies.dce_blockers import STRATEGY, DceDetails

    go = find_go()
    repo = fetch(p, work / name)
    t0 = time.monotonic()
    settings = Settings(root=repo, cache_dir=work / "cache")
    project = load(go, settings, [TargetSpec(mains=(p.main,), tags=p.tags)], Needs.SUGGEST, remember=True)
    (target,) = project.targets
    before_report = project.dce[target]
    found = propose_all(project, [STRATEGY])
    combined, loops = with_loops(project, found.candidates, progress=say)
    suggest_seconds = time.monotonic() - t0
    cands = sorted(combined or found.candidates, key=lambda c: -c.estimated_bytes)
    if not cands:
        return {"program": name, "error": "no candidate", "method_dce_before": before_report.method_dce,
                "refusals": [r.reason for r in found.refusals]}
    picked = [c for c in [*cands, *found.candidates] if p.pick and c.summary.startswith(p.pick)]
    cand = picked[0] if picked else cands[0]
    say(f"{name}: applying {cand.id} {cand.summary}")
    done = apply(project, cand, branch="gotrim-dce", progress=say)
    m = done.measurement
    result: dict[str, object] = {
        "program": f"{p.module}@{p.version}", "target": target.label,
        "fix": cand.details.fix.value if isinstance(cand.details, DceDetails) else None,
        "candidate": cand.id, "summary": cand.summary,
        "estimated_bytes": cand.estimated_bytes, "suggest_seconds": round(suggest_seconds, 1),
        "verified": bool(m and m.verified), "apply_first_error": m.first_error if m else "",
        "method_dce_before": before_report.method_dce,
        "loop": [{"blocker": s.blocker, "fix": s.fix, "bytes_before": s.bytes_before, "bytes_after": s.bytes_after}
                 for r in loops for s in r.steps],
        "files_changed": len(cand.plan.changes),
    }
    if done.sha is None:
        return result
    wt = work / f"{name}-after"
    sh(["git", "worktree", "add", "-q", str(wt), "gotrim-dce"], cwd=repo)
    after_tags = tuple(dict.fromkeys(p.tags + cand.variant_tags))
    after_project = load(go, Settings(root=wt), [TargetSpec(mains=(p.main,), tags=after_tags)], Needs.DCE)
    after_report = after_project.dce[after_project.targets[0]]
    result["method_dce_after"] = after_report.method_dce
    if after_report.reflect_blocker is not None:
        result["blocker_after"] = " <- ".join(reversed(after_report.reflect_blocker.chain[-12:]))
    exes = {}
    for side, root, tags in (("before", repo, p.tags), ("after", wt, after_tags)):
        exe = work / f"bin-{side}" / name  # one name: programs print their own (urfave/cli's help does)
        exe.parent.mkdir(exist_ok=True)
        flags = ["-tags", ",".join(tags)] if tags else []
        sh(["go", "build", "-trimpath", "-o", str(exe), *flags, p.main], cwd=root)
        exes[side] = exe
        result[f"bytes_{side}"] = exe.stat().st_size
    same = []
    for i, run in enumerate(p.runs):
        a = outputs(exes["before"], run, repo, work / f"run-{i}-before")
        b = outputs(exes["after"], run, wt, work / f"run-{i}-after")
        same.append({"args": list(run.args), "identical": a == b, "rc": a["rc"],
                     "stdout_bytes": len(str(a["stdout"])), "stderr_bytes": len(str(a["stderr"])),
                     "files": len(a["files"])})  # type: ignore[arg-type]
    result["runs"] = same
    result["all_identical"] = all(r["identical"] for r in same)
    result["saved_bytes"] = int(result["bytes_before"]) - int(result["bytes_after"])  # type: ignore[call-overload]
    return result


def main(names: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    out = []
    with tempfile.TemporaryDirectory(prefix="bench-dce-real-") as tmp:
        work = Path(tmp)
        for name in names or list(PROGRAMS):
            out.append(bench(name, PROGRAMS[name], work, lambda msg: print(msg, file=sys.stderr)))
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0 if all(r.get("all_identical") and r.get("method_dce_after") for r in out) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
