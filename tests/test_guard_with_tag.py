"""guard_with_tag: golden diffs on fixture repos, a synthetic module for each stub situation, builds."""
# ruff: noqa: E101  (Go sources below are indented for dedent and keep gofmt tabs)

from __future__ import annotations

import os
import subprocess
import textwrap
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from refactor.candidate import Candidate, Refusal
from refactor.config import Settings, TargetSpec
from refactor.edit import format_plan, gofmt_path
from refactor.gosource import decl_label, parse_build_expr, parse_file
from refactor.guard import name_suffix, negates
from refactor.load import load
from refactor.project import Needs, Project
from refactor.toolchain import find_go
from strategies.guard_with_tag import STRATEGY, GuardDetails, propose
from tests.conftest import unsized
from tests.goldens import guard_text

TAG = "guard_omit_http"
PLATFORMS = (("linux", "amd64"), ("windows", "amd64"))

def project_for(root: Path, mains: tuple[str, ...] = (), platforms: tuple[tuple[str, str], ...] = ()) -> Project:
    project = load(find_go(), Settings(root=root), [TargetSpec(mains=mains, platforms=platforms)], Needs.WHY)
    return unsized(project)  # no builds: every estimate 0


def candidates(project: Project) -> tuple[list[Candidate], list[Refusal]]:
    out = list(propose(project, project.settings))
    return [c for c in out if isinstance(c, Candidate)], [r for r in out if isinstance(r, Refusal)]


def go(root: Path, *args: str, goos: str = "linux", goarch: str = "amd64") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GOOS": goos, "GOARCH": goarch, "GOTOOLCHAIN": "local", "CGO_ENABLED": "0"}
    return subprocess.run(["go", *args], cwd=root, env=env, capture_output=True, text=True)


def refused(root: Path, reason: str) -> None:
    """The module gets no candidate, and a refusal whose reason says reason."""
    cands, refusals = candidates(project_for(root))
    assert cands == []
    assert any(reason in r.reason for r in refusals), [r.reason for r in refusals]


def only_stub(root: Path) -> tuple[Candidate, str]:
    """The module's one candidate and the text of the stub file it adds."""
    (c,), _ = candidates(project_for(root))
    stub = next(ch.after for ch in c.plan.changes if ch.before is None)
    assert stub is not None
    return c, stub.decode()


def vets(root: Path, *tags: str) -> None:
    """go vet passes on the module without tags and with each of tags."""
    for t in ("", *tags):
        proc = go(root, "vet", "-tags", t, "./...")
        assert proc.returncode == 0, f"tags={t!r}: {proc.stderr}"


def write_module(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


# ---------------------------------------------------------------------------------------------------------
# Pure helpers


def test_strategy_is_exported() -> None:
    assert STRATEGY.name == "guard-with-tag" and STRATEGY.propose is propose


@pytest.mark.parametrize(("a", "b", "want"), [
    pytest.param("plan9", "!plan9", True, id="simple"),
    pytest.param("linux || darwin", "!linux && !darwin", True, id="de-morgan"),
    pytest.param("!plan9 && !x", "plan9 || x", True, id="with-tag"),
    pytest.param("linux", "windows", False, id="disjoint-not-negation"),
    pytest.param("linux", "!linux && cgo", False, id="narrower"),
])
def test_negates(a: str, b: str, want: bool) -> None:
    assert negates(parse_build_expr(a), parse_build_expr(b)) is want


def test_messages_name_declarations_without_internal_keys() -> None:
    assert decl_label("init#etcdutl/ctl.go#0") == "init()" and decl_label("_#a/b.go#2") == "var _"
    assert decl_label("T.M") == "T.M" and decl_label("NewSnapshotCommand") == "NewSnapshotCommand"


@pytest.mark.parametrize(("name", "suffix"), [
    ("http.go", ""), ("http_linux.go", "_linux"), ("http_linux_arm64.go", "_linux_arm64"),
    ("linux.go", ""), ("http_stub.go", ""), ("x_amd64.go", "_amd64"),
])
def test_name_suffix(name: str, suffix: str) -> None:
    assert name_suffix(name) == suffix


# ---------------------------------------------------------------------------------------------------------
# Fixture repos


def test_guard_fixture_golden(fixture_repo: Callable[[str], Path], golden: Callable[[str, str], None]) -> None:
    root = fixture_repo("guard")
    cands, refusals = candidates(project_for(root, ("./cmd/agent", "./cmd/server")))
    assert len(cands) == 1, [c.summary for c in cands]
    c = cands[0]
    assert c.variant_tags == (TAG,)
    assert "net/http" in c.removes and "crypto/tls" in c.removes
    assert [t.name for t in c.targets] == ["agent"]  # server imports net/http itself
    assert "Full:" in c.explanation and f"-tags {TAG}" in c.explanation
    assert "webhook_stub.go: Send had drifted" in c.explanation
    golden("guard_with_tag/guard.diff", guard_text(cands))


def _insert_in_first_func(path: Path, line: str) -> None:
    src = path.read_text(encoding="utf-8")
    at = src.index("{", src.index("\nfunc ")) + 1
    path.write_text(src[:at] + "\n\t" + line + src[at:], encoding="utf-8")


def test_go126_new_of_an_expression_is_parsed_and_guarded(fixture_repo: Callable[[str], Path]) -> None:
    """etcd v3.7 writes `new(uint64(m.ID))` (Go 1.26), which tree-sitter-go 0.25 does not parse: gotrim
    parses it (gosource.parse_go) and the guard keeps it as written."""
    root = fixture_repo("guard")
    _insert_in_first_func(root / "internal/export/http.go", "_ = new(int(3))")
    cands, _ = candidates(project_for(root, ("./cmd/agent", "./cmd/server")))
    assert len(cands) == 1
    (after,) = [ch.after for ch in cands[0].plan.changes if ch.path == "internal/export/http.go"]
    assert after is not None and b"_ = new(int(3))" in after and after.startswith(b"//go:build !")


def test_a_file_gotrim_cannot_parse_refuses_that_guard_and_the_run_goes_on(fixture_repo: Callable[[str], Path]
                                                                            ) -> None:
    """A file tree-sitter-go cannot parse even so (new of a function literal's result): the guard that
    would edit it is refused with the file:line, instead of the whole suggest ending on it."""
    root = fixture_repo("guard")
    _insert_in_first_func(root / "internal/export/http.go", "_ = new(func() int { return 3 }())")
    cands, refusals = candidates(project_for(root, ("./cmd/agent", "./cmd/server")))
    assert cands == []
    assert [r.strategy for r in refusals] == ["guard-with-tag"]
    assert "internal/export/http.go:" in refusals[0].reason and "syntax error" in refusals[0].reason


def test_clean_fixture_proposes_nothing(fixture_repo: Callable[[str], Path]) -> None:
    root = fixture_repo("clean")
    cands, _ = candidates(project_for(root))
    assert cands == []


@pytest.mark.go
def test_guard_fixture_builds_and_shrinks(fixture_repo: Callable[[str], Path], tmp_path: Path) -> None:
    root = fixture_repo("guard")
    before = tmp_path / "agent-before"
    assert go(root, "build", "-o", str(before), "./cmd/agent").returncode == 0
    (c,), _ = candidates(project_for(root, ("./cmd/agent", "./cmd/server")))
    c.plan.write_to(root)
    fmt = subprocess.run(["gofmt", "-l", "."], cwd=root, capture_output=True, text=True)
    assert fmt.stdout == "" and fmt.returncode == 0
    for goos, goarch in (*PLATFORMS, ("plan9", "amd64")):
        for tags in ("", TAG):
            for cmd in (["build"], ["vet"]):
                proc = go(root, *cmd, "-tags", tags, "./...", goos=goos, goarch=goarch)
                assert proc.returncode == 0, f"{cmd} {goos}/{goarch} tags={tags!r}: {proc.stderr}"
    deps = go(root, "list", "-deps", "-tags", TAG, "./cmd/agent").stdout.split()
    assert not {"net/http", "crypto/tls", "crypto/x509"} & set(deps)
    full, slim = tmp_path / "agent-full", tmp_path / "agent-slim"
    assert go(root, "build", "-o", str(full), "./cmd/agent").returncode == 0
    assert go(root, "build", "-tags", TAG, "-o", str(slim), "./cmd/agent").returncode == 0
    assert abs(full.stat().st_size - before.stat().st_size) <= before.stat().st_size / 100
    assert slim.stat().st_size < full.stat().st_size * 0.6


# ---------------------------------------------------------------------------------------------------------
# A synthetic module: a new stub for every situation (type used elsewhere, method on another file's type,
# existing //go:build line, identifier used only by tests, generic function, var and const)

SYNTH = {
    "go.mod": "module example.com/synth\n\ngo 1.22\n",
    "cmd/agent/main.go": """
        package main

        import (
        	"fmt"

        	"example.com/synth/internal/metrics"
        )

        func main() {
        	var c metrics.Counter
        	c.Inc()
        	fmt.Println(metrics.Export(&c), metrics.Options{Addr: "x"})
        }
        """,
    "internal/metrics/metrics.go": """
        // Package metrics counts things and, optionally, serves them over HTTP.
        package metrics

        // Counter counts events.
        type Counter struct{ n int }

        // Inc adds one.
        func (c *Counter) Inc() { c.n++ }

        var exporters = map[string]func(*Counter) error{}

        // Register adds an exporter.
        func Register(name string, f func(*Counter) error) { exporters[name] = f }

        // Export runs every exporter.
        func Export(c *Counter) error {
        	for _, f := range exporters {
        		if err := f(c); err != nil {
        			return err
        		}
        	}
        	_ = c.Handler()
        	return nil
        }
        """,
    "internal/metrics/http.go": """
        //go:build !plan9

        package metrics

        import (
        	"fmt"
        	"net/http"
        	"time"
        )

        // DefaultAddr is where Serve listens.
        const DefaultAddr = ":9090"

        // Options configures a Server.
        type Options struct {
        	Addr    string
        	Timeout time.Duration
        }

        // Server serves counters.
        type Server struct {
        	srv *http.Server
        }

        // Retries of each request.
        var Retries int = 3

        // NewServer returns a server for c.
        func NewServer(c *Counter, o Options) (*Server, error) {
        	return &Server{srv: &http.Server{Addr: o.Addr}}, nil
        }

        // Serve listens.
        func (s *Server) Serve() error { return s.srv.ListenAndServe() }

        // Handler returns the name of the handler.
        func (c *Counter) Handler() string { return fmt.Sprint(http.StatusOK) }

        func pushURL[T any](v T, base string) (string, bool) { return base + "/push", true }

        // Unused needs net/http in its signature, but nothing uses it.
        func Unused(w http.ResponseWriter) {}

        func init() {
        	Register("http", func(c *Counter) error {
        		_, err := http.Get("http://localhost" + DefaultAddr)
        		return err
        	})
        }
        """,
    "internal/metrics/metrics_test.go": """
        package metrics

        import "testing"

        func TestPush(t *testing.T) {
        	if _, ok := pushURL(1, "x"); !ok {
        		t.Fatal("no")
        	}
        }
        """,
    "cmd/server/main.go": """
        package main

        import (
        	"log"

        	"example.com/synth/internal/metrics"
        )

        func main() {
        	s, err := metrics.NewServer(&metrics.Counter{}, metrics.Options{Addr: metrics.DefaultAddr})
        	if err != nil {
        		log.Fatal(err)
        	}
        	_ = metrics.Retries
        	log.Fatal(s.Serve())
        }
        """,
}


def test_new_stub_golden(tmp_path: Path, golden: Callable[[str, str], None]) -> None:
    root = write_module(tmp_path / "synth", SYNTH)
    (c,), _ = candidates(project_for(root))
    # server calls NewServer on every run: its binary is not built with the tag
    assert sorted(t.name for t in c.targets) == ["agent"]
    assert "server linux/amd64 is not built with -tags synth_omit_http" in c.explanation
    stub = next(ch.after for ch in c.plan.changes if ch.before is None)
    assert stub is not None
    text = stub.decode()
    assert text.startswith("//go:build !plan9 && synth_omit_http\n\n// This file stands in for http.go")
    assert "net/http\"" not in text and "Unused" not in text
    assert "type Options struct" in text and "type Server struct{}" in text
    assert "func (c *Counter) Handler() string {\n\tpanic(errHTTPOmitted)\n}" in text
    assert "func pushURL[T any]" in text  # used only by a test
    golden("guard_with_tag/synth.diff", c.plan.diff())


@pytest.mark.go
def test_new_stub_builds(tmp_path: Path) -> None:
    root = write_module(tmp_path / "synth", SYNTH)
    (c,), _ = candidates(project_for(root))
    c.plan.write_to(root)
    assert subprocess.run(["gofmt", "-l", "."], cwd=root, capture_output=True, text=True).stdout == ""
    for goos, goarch in PLATFORMS:
        for tags in ("", TAG):
            proc = go(root, "vet", "-tags", tags.replace(TAG, "synth_omit_http"), "./...", goos=goos, goarch=goarch)
            assert proc.returncode == 0, f"{goos}/{goarch} tags={tags!r}: {proc.stderr}"
    assert "net/http" not in go(root, "list", "-deps", "-tags", "synth_omit_http", "./cmd/server").stdout.split()


def test_heavy_signature_is_refused(tmp_path: Path) -> None:
    files = dict(SYNTH)
    files["cmd/agent/main.go"] = SYNTH["cmd/agent/main.go"].replace(
        'metrics.Options{Addr: "x"})', 'metrics.Options{Addr: "x"}, metrics.Unused)')
    root = write_module(tmp_path / "synth", files)
    cands, refusals = candidates(project_for(root, ("./cmd/agent",)))
    assert cands == []
    assert any("Unused" in r.reason and "net/http" in r.reason for r in refusals)


def test_untouched_feature_is_left_to_split(tmp_path: Path) -> None:
    root = write_module(tmp_path / "m", {
        "go.mod": "module example.com/m\n\ngo 1.22\n",
        "cmd/lite/main.go": """
            package main

            import "example.com/m/internal/util"

            func main() { println(util.Version) }
            """,
        "internal/util/util.go": "package util\n\n// Version of the module.\nconst Version = \"1\"\n",
        "internal/util/fetch.go": """
            package util

            import "net/http"

            // Fetch gets url.
            func Fetch(url string) error { _, err := http.Get(url); return err }
            """,
    })
    cands, refusals = candidates(project_for(root))
    assert cands == []
    assert any("split-package" in r.reason for r in refusals)


def test_blank_import_moves_to_guarded_file(tmp_path: Path, golden: Callable[[str, str], None]) -> None:
    root = write_module(tmp_path / "b", {
        "go.mod": "module example.com/b\n\ngo 1.22\n",
        "cmd/agent/main.go": """
            // Command agent prints a greeting.
            package main

            import (
            	"fmt"

            	_ "net/http/pprof"
            )

            func main() { fmt.Println("hello") }
            """,
    })
    (c,), _ = candidates(project_for(root))
    assert c.variant_tags == ("b_omit_pprof",)
    golden("guard_with_tag/blank.diff", c.plan.diff())


STANDARD = {
    "go.mod": "module example.com/m\n\ngo 1.22\n",
    "cmd/app/main.go": """
        package main

        import (
        	"fmt"

        	_ "example.com/m/standard"
        )

        func main() { fmt.Println("main") }
        """,
    "heavy/heavy.go": """
        package heavy

        import (
        	"fmt"
        	"net/http"
        )

        var client = &http.Client{}

        func init() { fmt.Println("heavy registered", client != nil) }
        """,
    "light/light.go": """
        package light

        import "fmt"

        func init() { fmt.Println("light registered") }
        """,
    "standard/imports.go": """
        package standard

        import (
        	_ "example.com/m/heavy"
        	_ "example.com/m/light"
        )
        """,
}


def test_a_blank_import_that_is_most_of_the_program_is_low(tmp_path: Path) -> None:
    """caddy's main blank-imports modules/standard: 664 of its 963 packages, every module it has. Guarding
    that import was high and ranked first; the slim caddy could run no configuration."""
    files = {
        "go.mod": "module example.com/m\n\ngo 1.22\n",
        "cmd/app/main.go": 'package main\n\nimport (\n\t"fmt"\n\n\t_ "example.com/m/standard"\n)\n\n'
                           'func main() { fmt.Println("main") }\n',
        "standard/imports.go": STANDARD["standard/imports.go"],
        "heavy/heavy.go": STANDARD["heavy/heavy.go"], "light/light.go": STANDARD["light/light.go"],
    }
    root = write_module(tmp_path / "m", files)
    cands, _ = candidates(project_for(root))
    (c,) = [c for c in cands if "cmd/app/main.go" in c.plan.files()]
    assert c.confidence == "low" and "that import may be what the binary is for" in c.warning, c.warning
    # a library's package blank-imported (net/http/pprof in a small tool) stays a feature
    files["cmd/app/main.go"] = files["cmd/app/main.go"].replace('"example.com/m/standard"', '"net/http/pprof"')
    root = write_module(tmp_path / "p", files)
    cands, _ = candidates(project_for(root))
    (c,) = [c for c in cands if "cmd/app/main.go" in c.plan.files()]
    assert c.confidence == "high" and not c.warning, c.warning


@pytest.mark.parametrize("alone", [False, True])
def test_a_file_of_blank_imports_keeps_those_of_other_features(tmp_path: Path, alone: bool) -> None:
    """caddy's modules/standard/imports.go (13 blank imports, the package's only file): guarding it whole
    for one of them lost the other 12, and left the package without a file (`build constraints exclude
    all Go files`). The feature's import moves to a guarded file of its own; the others stay."""
    files = dict(STANDARD)
    if alone:  # the package's only import is the feature's: the file stays, with nothing in it
        files["standard/imports.go"] = 'package standard\n\nimport _ "example.com/m/heavy"\n'
        files["cmd/app/main.go"] = STANDARD["cmd/app/main.go"].replace(
            '_ "example.com/m/standard"', '_ "example.com/m/light"\n        \t_ "example.com/m/standard"')
    root = write_module(tmp_path / "m", files)
    head = go(root, "run", "./cmd/app").stdout
    cands, refusals = candidates(project_for(root))
    (c,) = [c for c in cands if "net/http" in c.removes and "standard/imports.go" in c.plan.files()]
    assert set(c.plan.files()) == {"standard/imports.go", "standard/import_heavy.go"}, c.plan.files()
    format_plan(c.plan, gofmt_path()).write_to(root)
    tag = c.variant_tags[0]
    vets(root, tag)
    assert go(root, "run", "./cmd/app").stdout == head
    assert go(root, "run", "-tags", tag, "./cmd/app").stdout == "light registered\nmain\n"
    assert "net/http" not in go(root, "list", "-deps", "-tags", tag, "./cmd/app").stdout.split()


# ---------------------------------------------------------------------------------------------------------
# A feature the module already guards with its own tag (as yq's yq_nojson): two files, one stub

SHIPPED = {
    "go.mod": "module example.com/y\n\ngo 1.22\n",
    "cmd/y/main.go": """
        package main

        import (
        	"os"

        	"example.com/y/lib"
        )

        func main() {
        	println(lib.Plain())
        	if len(os.Args) > 1 {
        		println(lib.GetA(os.Args[1]), lib.GetB(os.Args[1]))
        	}
        }
        """,
    "lib/lib.go": "package lib\n\n// Plain needs nothing heavy.\nfunc Plain() string { return \"plain\" }\n",
    "lib/a_http.go": """
        //go:build !y_nohttp

        package lib

        import "net/http"

        // GetA fetches a.
        func GetA(url string) error { _, err := http.Get(url); return err }
        """,
    "lib/b_http.go": """
        //go:build !y_nohttp

        package lib

        import "net/http"

        // GetB fetches b.
        func GetB(url string) error { _, err := http.Head(url); return err }
        """,
    "lib/no_http.go": """
        //go:build y_nohttp

        package lib

        import "errors"

        // GetA is not built in.
        func GetA(url string) error { return errors.New("no http") }

        // GetB is not built in.
        func GetB(url string) error { return errors.New("no http") }
        """,
}


def test_an_existing_guard_tag_is_proposed_as_a_build_tag(tmp_path: Path) -> None:
    root = write_module(tmp_path / "y", SHIPPED)
    (c,), _ = candidates(project_for(root))
    assert c.variant_tags == ("y_nohttp",)
    assert isinstance(c.details, GuardDetails) and c.details.existing_tag and c.details.tag == "y_nohttp"
    assert "already guards lib/a_http.go, lib/b_http.go" in c.summary
    # no source change: the targets' build configuration gets the module's own tag
    assert [ch.path for ch in c.plan.changes] == ["gotrim.toml"]
    after = c.plan.changes[0].after
    assert after is not None and 'tags = ["y_nohttp"]' in after.decode()


def test_an_existing_tag_over_a_file_of_blank_imports_needs_no_stub(tmp_path: Path) -> None:
    """cloud.google.com/go/storage's grpc_dp.go (`//go:build !disable_grpc_modules`) only blank-imports
    the xDS stack; no file stands in for it. gotrim proposed a 136-file dependency patch with a tag of
    its own instead of the documented disable_grpc_modules."""
    files = {k: v for k, v in SHIPPED.items() if k not in ("lib/b_http.go", "lib/no_http.go")}
    files["cmd/y/main.go"] = SHIPPED["cmd/y/main.go"].replace(", lib.GetB(os.Args[1])", "")
    files["lib/a_http.go"] = "//go:build !y_nohttp\n\npackage lib\n\nimport _ \"net/http/pprof\"\n"
    files["lib/lib.go"] = files["lib/lib.go"] + "\n// GetA gets a.\nfunc GetA(url string) string { return url }\n"
    root = write_module(tmp_path / "y", files)
    (c,), _ = candidates(project_for(root))
    assert c.variant_tags == ("y_nohttp",) and isinstance(c.details, GuardDetails) and c.details.existing_tag
    assert [ch.path for ch in c.plan.changes] == ["gotrim.toml"]
    assert "lib/a_http.go already starts with a constraint that -tags y_nohttp turns off, and it declares " \
           "nothing (its imports are the feature), so no stub is needed" in c.explanation


SWITCHED = {
    "go.mod": "module example.com/q\n\ngo 1.22\n",
    "cmd/q/main.go": """
        package main

        import (
        	"fmt"
        	"os"

        	"example.com/q/conn"
        )

        func main() {
        	for _, a := range os.Args[1:] {
        		fmt.Println(conn.Dial(a))
        	}
        	fmt.Println("ok")
        }
        """,
    "conn/service.go": """
        package conn

        import "strings"

        var dialers = map[string]func(addr string) string{}

        // Dial dials addr with its scheme's dialer.
        func Dial(addr string) string {
        	scheme, rest, _ := strings.Cut(addr, "://")
        	if d, ok := dialers[scheme]; ok {
        		return d(rest)
        	}
        	return "unknown scheme " + scheme
        }
        """,
    # syncthing's lib/connections/quic_dial.go (`//go:build go1.15 && !noquic`)
    "conn/quic.go": """
        //go:build go1.15 && !noquic

        package conn

        import "net/http"

        func init() { dialers["quic"] = dialQUIC }

        func dialQUIC(addr string) string {
        	_, err := http.Get("http://" + addr)
        	return fmt.Sprint(err)
        }
        """.replace('import "net/http"', 'import (\n\t"fmt"\n\t"net/http"\n)'),
    # quic_unsupported.go: registers instead of declaring quic.go's names
    "conn/quic_unsupported.go": """
        //go:build noquic

        package conn

        func init() { dialers["quic"] = func(string) string { return "quic: disabled at build time" } }
        """,
}


def test_an_existing_switch_whose_other_side_registers_is_proposed_as_a_build_tag(tmp_path: Path) -> None:
    """syncthing's noquic: quic_unsupported.go declares none of the QUIC files' names, it registers a
    listener that says "disabled at build time". gotrim and-ed a tag of its own onto the QUIC files'
    constraints, and the slim build then knew no quic scheme at all."""
    root = write_module(tmp_path / "q", SWITCHED)
    (c,), _ = candidates(project_for(root))
    assert c.variant_tags == ("noquic",) and isinstance(c.details, GuardDetails) and c.details.existing_tag
    assert [ch.path for ch in c.plan.changes] == ["gotrim.toml"]
    assert go(root, "run", "-tags", "noquic", "./cmd/q", "quic://x").stdout == "quic: disabled at build time\nok\n"


@pytest.mark.go
def test_a_new_tag_over_a_shared_stub_repairs_it_once(tmp_path: Path) -> None:
    root = write_module(tmp_path / "y", SHIPPED)
    project = unsized(load(find_go(), Settings(root=root, guard_tags={"y_nohttp": "y_lite"}), [TargetSpec()],
                           Needs.WHY))
    (c,), _ = candidates(project)
    assert c.variant_tags == ("y_lite",)
    paths = [ch.path for ch in c.plan.changes]
    assert sorted(paths) == ["lib/a_http.go", "lib/b_http.go", "lib/no_http.go"]  # each file once
    assert c.plan.diff().count("+++ b/lib/no_http.go") == 1
    c.plan.write_to(root)
    assert (root / "lib/no_http.go").read_text().startswith("//go:build y_nohttp || y_lite\n")
    assert (root / "lib/a_http.go").read_text().startswith("//go:build !y_nohttp && !y_lite\n")
    vets(root, "y_lite", "y_nohttp")
    assert "net/http" not in go(root, "list", "-deps", "-tags", "y_lite", "./cmd/y").stdout.split()
    # the tag that is already there is not added twice
    project = unsized(load(find_go(), Settings(root=tmp_path / "y", guard_tags={"y_lite": "y_lite"}), [TargetSpec()],
                           Needs.WHY))
    assert all(c.plan.changes == () or (isinstance(c.details, GuardDetails) and c.details.existing_tag)
               for c in candidates(project)[0])


def test_two_features_named_alike_get_two_tags(tmp_path: Path) -> None:
    root = write_module(tmp_path / "r", {
        "go.mod": "module example.com/r\n\ngo 1.22\n",
        "cmd/r/main.go": """
            package main

            import (
            	"os"

            	"example.com/r/lib"
            )

            func main() {
            	if len(os.Args) > 1 {
            		println(lib.GoErrors(), lib.Tokens(os.Args[1]))
            	}
            }
            """,
        "lib/goscan.go": """
            package lib

            import "go/scanner"

            // GoErrors counts nothing.
            func GoErrors() int { var l scanner.ErrorList; return l.Len() }
            """,
        "lib/textscan.go": """
            package lib

            import "text/scanner"

            // Tokens counts the tokens of s.
            func Tokens(s string) int {
            	var sc scanner.Scanner
            	sc.Init(strings.NewReader(s))
            	n := 0
            	for sc.Scan() != scanner.EOF {
            		n++
            	}
            	return n
            }
            """.replace('import "text/scanner"', 'import (\n\t"strings"\n\t"text/scanner"\n)'),
    })
    cands, _ = candidates(project_for(root))
    tags = sorted(c.variant_tags[0] for c in cands)
    # the second takes its parent's name with its own, not a number that says nothing of how it differs
    assert tags == ["r_omit_scanner", "r_omit_text_scanner"], [c.summary for c in cands]


# ---------------------------------------------------------------------------------------------------------
# Stubs of real code (found on caddy): struct fields the rest uses, const groups, init-time calls

CADDYISH = {
    "go.mod": "module example.com/c\n\ngo 1.22\n",
    "cmd/c/main.go": """
        package main

        import (
        	"os"

        	"example.com/c/app"
        )

        func main() {
        	var a app.App
        	a.Start()
        	if len(os.Args) > 1 {
        		_ = app.Push(os.Args[1])
        	}
        }
        """,
    "app/app.go": """
        package app

        import "sync"

        // App runs the program.
        type App struct{ Metrics Metrics }

        // Start resets the metrics.
        func (a *App) Start() {
        	a.Metrics.init = sync.Once{}
        	a.Metrics.PerHost = true
        	_ = keyA + keyB
        	_ = bufPool.Get().(*[]byte)
        	started.Do(func() {})
        	_ = counted.N
        }
        """,
    "app/metrics.go": """
        package app

        import (
        	"net/http"
        	"sync"
        )

        const (
        	keyA = "a"
        	keyB = "b"
        )

        // Metrics are pushed over HTTP.
        type Metrics struct {
        	PerHost bool
        	init    sync.Once
        	client  *http.Client
        }

        // Push sends the metrics to url.
        func Push(url string) error { _, err := http.Get(url); return err }

        var bufPool = sync.Pool{New: func() any { return new([]byte) }}

        var started = sync.Once{}

        var counted = Counted{N: len(http.MethodGet)}

        // Counted counts.
        type Counted struct{ N int }
        """,
}


@pytest.mark.go
def test_a_struct_stub_keeps_the_fields_the_rest_uses_and_const_groups_once(tmp_path: Path) -> None:
    root = write_module(tmp_path / "c", CADDYISH)
    c, text = only_stub(root)
    assert "PerHost bool" in text and "init    sync.Once" in text and "client" not in text.split("type Metrics")[1]
    assert text.count("keyA") == 1
    assert "var bufPool = sync.Pool{New: func() any { return new([]byte) }}" in text  # the pool still works
    assert "var started = sync.Once{}" in text
    assert "var counted Counted\n" in text  # a value naming a dropped package is not copied, its type is
    c.plan.write_to(root)
    vets(root, "c_omit_http")


def test_a_dropped_field_the_rest_uses_is_refused(tmp_path: Path) -> None:
    files = dict(CADDYISH)
    files["app/app.go"] = CADDYISH["app/app.go"].replace("a.Metrics.PerHost = true", "a.Metrics.client = nil")
    root = write_module(tmp_path / "c", files)
    refused(root, "Metrics.client")


def test_a_stub_called_from_init_is_refused(tmp_path: Path) -> None:
    files = dict(CADDYISH)
    files["app/boot.go"] = "package app\n\nfunc init() { _ = Push(\"\") }\n"
    root = write_module(tmp_path / "c", files)
    refused(root, "Push run(s) when the program starts")


# an interface the guarded file declares, whose methods the rest calls through a field (distribution's
# proxy: authChallenger.tryEstablishChallenges), one method naming the dropped package
PROXYISH = {
    "go.mod": "module example.com/p\n\ngo 1.22\n",
    "cmd/p/main.go": """
        package main

        import (
        	"fmt"
        	"os"

        	"example.com/p/proxy"
        )

        func main() {
        	fmt.Println("proxy")
        	if len(os.Args) > 1 {
        		_, err := proxy.Pull(os.Args[1])
        		fmt.Println(err)
        	}
        }
        """,
    "proxy/store.go": """
        package proxy

        import "context"

        // Store reads through a challenger.
        type Store struct{ ch challenger }

        // Get asks the challenger first.
        func (s *Store) Get(ctx context.Context) error { return s.ch.try(ctx) }
        """,
    "proxy/registry.go": """
        package proxy

        import (
        	"context"
        	"net/http"
        )

        type challenger interface {
        	// try establishes the challenges.
        	try(ctx context.Context) error
        	client() *http.Client
        }

        type remote struct{ c *http.Client }

        func (r *remote) try(ctx context.Context) error {
        	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:1/", nil)
        	if err != nil {
        		return err
        	}
        	_, err = r.client().Do(req)
        	return err
        }

        func (r *remote) client() *http.Client { return r.c }

        // Pull reads url through a remote challenger.
        func Pull(url string) (*Store, error) {
        	s := &Store{ch: &remote{c: http.DefaultClient}}
        	return s, s.Get(context.Background())
        }
        """,
}


@pytest.mark.go
def test_an_interface_stub_keeps_the_methods_it_can_declare(tmp_path: Path) -> None:
    root = write_module(tmp_path / "p", PROXYISH)
    c, stub = only_stub(root)
    text = stub.split("type challenger interface {")[1].split("}")[0]
    assert "try(ctx context.Context) error" in text and "client()" not in text
    c.plan.write_to(root)
    vets(root, c.variant_tags[0])
    assert go(root, "run", "-tags", c.variant_tags[0], "./cmd/p").stdout == "proxy\n"


def test_an_interface_method_naming_a_dropped_package_that_the_rest_calls_is_refused(tmp_path: Path) -> None:
    files = dict(PROXYISH)
    files["proxy/store.go"] = PROXYISH["proxy/store.go"].replace(
        "return s.ch.try(ctx) }", "_ = s.ch.client(); return s.ch.try(ctx) }")
    root = write_module(tmp_path / "p", files)
    refused(root, "challenger.client")


# code after a call to a stub that panics: the compiler drops it, and the estimate must too
# (distribution's proxyingRegistry.Repository after storage.SkipLayerVerification(); tailscaled's
# callers of logtail.NewLogger)
def _steps(n: int) -> str:
    """proxy/remote.go: Remote.Warm runs n generated steps (code only Open reaches, after its call)."""
    calls = "".join(f"\tn = step{i}(n)\n" for i in range(n))
    funcs = "".join(f"\nfunc step{i}(n string) string {{\n\tif len(n) > {i % 7 + 3} {{\n"
                    f"\t\treturn strings.Repeat(n[:{i % 5 + 1}], {i % 3 + 2}) + \"{i}\"\n\t}}\n"
                    f"\treturn fmt.Sprintf(\"%s-{i}-%d\", n, len(n)*{i + 3})\n}}\n" for i in range(n))
    return ("package proxy\n\nimport (\n\t\"fmt\"\n\t\"strings\"\n\n\t\"example.com/s/store\"\n)\n\n"
            "// Remote is warmed step by step.\ntype Remote struct {\n\tname string\n\topt  store.Option\n}\n\n"
            "// Warm runs every step.\nfunc (r *Remote) Warm() string {\n\tn := r.name\n"
            f"{calls}\treturn n\n}}\n{funcs}")


def test_whether_a_stub_panics_is_read_from_the_signature_as_the_stub_writer_reads_it() -> None:
    """frp's LoadClientConfig lists its results over lines, the error last with a trailing comma: its stub
    returns the error, so nothing after its calls is dropped (a text pattern took it for a panic)."""
    from refactor.gosource import parse_file
    from refactor.guard import stub_panics

    f = parse_file("p.go", b"package p\n\nfunc A() (\n\tint,\n\terror,\n) {\n\treturn 0, nil\n}\n\n"
                           b"func B() int { return 1 }\n\nfunc C() {}\n\n"
                           b"func (t *T) D() (n int, err error) { return }\n\n"
                           b"func E[X interface{ M() }](x X) X { return x }\n\ntype T struct{}\n")
    got = {d.key: stub_panics(f, d) for d in f.decls if d.kind in ("func", "method")}
    assert got == {"A": False, "B": True, "C": False, "T.D": False, "E": True}


AFTERSTUB = {
    "go.mod": "module example.com/s\n\ngo 1.22\n",
    "cmd/s/main.go": """
        package main

        import (
        	"fmt"
        	"os"

        	"example.com/s/proxy"
        )

        func main() {
        	fmt.Println("s")
        	if len(os.Args) > 2 {
        		fmt.Println(proxy.Open(os.Args[1]))
        	}
        }
        """,
    "store/store.go": """
        package store

        // Option configures a store.
        type Option int
        """,
    "store/verify.go": """
        package store

        import "encoding/xml"

        // SkipVerification is an option read from a document.
        func SkipVerification() Option {
        	var v struct{ N int }
        	if err := xml.Unmarshal([]byte("<v><N>1</N></v>"), &v); err != nil {
        		return 0
        	}
        	return Option(v.N)
        }
        """,
    "proxy/proxy.go": """
        package proxy

        import "example.com/s/store"

        // Open opens a remote named name.
        func Open(name string) string {
        	opt := store.SkipVerification()
        	r := &Remote{name: name, opt: opt}
        	return r.Warm()
        }
        """,
    "proxy/remote.go": _steps(120),
}


@pytest.mark.go
def test_the_estimate_drops_the_code_after_a_call_to_a_stub_that_panics(tmp_path: Path) -> None:
    from refactor.binary import build
    from refactor.estimate import estimate

    root = write_module(tmp_path / "s", AFTERSTUB)
    project = load(find_go(), Settings(root=root), [TargetSpec(mains=("./cmd/s",))], Needs.SUGGEST)
    (t,) = project.targets
    cands = [c for c in propose(project, project.settings) if isinstance(c, Candidate)]
    found = [c for c in cands if c.variant_tags == ("s_omit_xml",)]
    assert len(found) == 1, [c.summary for c in cands]
    c = found[0]
    assert "SkipVerification panics" in next(ch.after for ch in c.plan.changes if ch.before is None).decode()
    c.plan.write_to(root)
    slim = build(find_go(), root, t.with_tags(*c.variant_tags), tmp_path / "slim")
    saved = project.sizes[t].file_bytes - slim.stat().st_size
    assert "step7" not in go(root, "tool", "nm", str(slim)).stdout  # the compiler dropped Warm's steps
    cut = c.estimated_bytes.cuts[t]
    assert ("example.com/s/proxy\tOpen", "example.com/s/proxy\tRemote") in cut.sever
    before = estimate(project, t, replace(cut, sever=frozenset()))  # what it missed before
    print(c.estimated_bytes, before, saved)
    assert abs(c.estimated_bytes - saved) <= 0.1 * saved < saved - before, (c.estimated_bytes, before, saved)

@pytest.mark.go
def test_a_stub_that_panics_where_the_rest_calls_it_is_low(tmp_path: Path) -> None:
    """syncthing's global discovery stub panicked in CommitConfiguration at startup, and caddy's ListenQUIC
    failed every HTTPS site; both were medium. Whether the code that calls a panicking stub runs is for a
    human to tell: low, ranked last, with a warning naming the callers."""
    files = dict(AFTERSTUB)
    files["store/store.go"] = AFTERSTUB["store/store.go"] + (
        "\n        // Default is the default option.\n        func Default() Option { return 1 }\n"
        "\n        // Valid tells whether o is valid.\n        func Valid(o Option) bool { return o > 0 }\n")
    root = write_module(tmp_path / "s", files)
    project = load(find_go(), Settings(root=root), [TargetSpec(mains=("./cmd/s",))], Needs.SUGGEST)
    (c,) = [c for c in propose(project, project.settings) if isinstance(c, Candidate)
            and c.variant_tags == ("s_omit_xml",)]
    assert c.confidence == "low" and "example.com/s/proxy.Open call stubs that panic" in c.warning, c.warning


BLANKSITE = {
    "go.mod": "module example.com/s\n\ngo 1.22\n",
    "cmd/s/main.go": """
        package main

        import (
        	"fmt"
        	"os"

        	"example.com/s/proxy"
        )

        func main() { fmt.Println(proxy.Open(os.Args[0])) }
        """,
    "proxy/open.go": """
        package proxy

        import (
        	"os"

        	_ "net/http/pprof" // allow dynamic profiling

        	"example.com/s/store"
        )

        // Open warms a remote named name.
        func Open(name string) string {
        	r := &Remote{name: name, opt: store.Option(len(os.Args))}
        	return r.Warm()
        }
        """,
    "store/store.go": "package store\n\n// Option configures a store.\ntype Option int\n",
    "proxy/remote.go": _steps(120),
}


@pytest.mark.go
def test_a_blank_import_moved_out_of_a_file_of_code_drops_only_its_packages(tmp_path: Path) -> None:
    """nats-server's server.go blank-imports net/http/pprof beside the server's code: the guard moves the
    import to a file of its own and keeps server.go whole, but the estimate dropped server.go's
    declarations and the code after their calls, as if they were stubbed: 12.0 MiB estimated (51 % of
    the binary), 385.9 KiB measured."""
    from refactor.binary import build

    root = write_module(tmp_path / "s", BLANKSITE)
    project = load(find_go(), Settings(root=root), [TargetSpec(mains=("./cmd/s",))], Needs.SUGGEST)
    (t,) = project.targets
    cands = [c for c in propose(project, project.settings) if isinstance(c, Candidate)]
    (c,) = [c for c in cands if c.variant_tags == ("s_omit_pprof",)]
    assert {ch.path for ch in c.plan.changes} == {"proxy/open.go", "proxy/import_pprof.go"}
    cut = c.estimated_bytes.cuts[t]
    assert not cut.sever and "example.com/s/proxy" not in cut.drop, cut
    c.plan.write_to(root)
    slim = build(find_go(), root, t.with_tags(*c.variant_tags), tmp_path / "slim")
    saved = project.sizes[t].file_bytes - slim.stat().st_size
    assert abs(c.estimated_bytes - saved) <= 0.1 * saved, (c.estimated_bytes, saved)


def test_a_local_variable_named_as_a_guarded_type_registers_nothing() -> None:
    """nats-server: checkMsgHeadersPreClusteredProposal's local msgId, a key of a map literal, was taken for
    filestore.go's type msgId, and 22 guards were refused with '... builds a map that registers ... code;
    make it a package-level variable first'."""
    from refactor.guard import move_registrations

    real = parse_file("store/filestore.go",
                      b"package store\n\nimport \"encoding/xml\"\n\ntype msgId struct{ seq int }\n\n"
                      b"// Clip keeps 16 bytes.\nfunc Clip(s string) string { return s[:16] }\n\n"
                      b"func export(m msgId) ([]byte, error) { return xml.Marshal(m) }\n")
    rest = parse_file("store/batch.go",
                      b"package store\n\nfunc check(hdr string) map[string]struct{} {\n"
                      b"\tvar ids map[string]struct{}\n\thdr = Clip(hdr)\n"
                      b"\tif msgId := hdr; msgId != \"\" {\n\t\tids = map[string]struct{}{msgId: {}}\n\t}\n"
                      b"\treturn ids\n}\n")
    moved = move_registrations(real, [rest], "xml", "s_omit_xml", set())
    assert not moved.files and not moved.moved


def test_a_write_into_the_guarded_files_registry_registers_none_of_their_code() -> None:
    """syncthing's deprecated.go: `listeners["kcp"] = invalidListener{err: errDeprecated}` in an init stores
    into service.go's map; five guards of service.go were refused, each saying the line 'names semaphore
    (nat, rate...) code ... uses err, not a package-level name'. It registers nothing of service.go's,
    and err is a field name. A line that passes service.go's code along still moves."""
    from refactor.guard import move_registrations

    real = parse_file("conn/service.go",
                      b'package conn\n\nimport "golang.org/x/time/rate"\n\nvar listeners = map[string]listener{}\n\n'
                      b"type listener interface{ Listen() error }\n\n"
                      b"func limited() *rate.Limiter { return rate.NewLimiter(1, 1) }\n\n"
                      b"var tcpListener listener\n")
    rest = parse_file("conn/deprecated.go",
                      b'package conn\n\nimport "errors"\n\nvar errDeprecated = errors.New("deprecated")\n\n'
                      b"type invalidListener struct{ err error }\n\n"
                      b"func (l invalidListener) Listen() error { return l.err }\n\n"
                      b'func init() {\n\tlisteners["kcp"] = invalidListener{err: errDeprecated}\n}\n')
    moved = move_registrations(real, [rest], "rate", "c_omit_rate", set())
    assert not moved.files and not moved.moved
    passing = parse_file("conn/tcp.go", b'package conn\n\nfunc init() {\n\tlisteners["tcp"] = tcpListener\n}\n')
    moved = move_registrations(real, [passing], "rate", "c_omit_rate", set())
    assert moved.moved and "conn/tcp.go" in moved.files


def test_a_registration_whose_function_literal_declares_its_own_names_moves() -> None:
    """caddy's cmd/commands.go registers each subcommand in an init with `CobraFunc: func(cmd
    *cobra.Command) {...}`; the difflib and tar guards were refused, 'uses cmd, not a package-level name'.
    cmd is the literal's own parameter, and moves with it."""
    from refactor.guard import move_registrations

    real = parse_file("cmd/storagefuncs.go",
                      b'package cmd\n\nimport "archive/tar"\n\n'
                      b"func cmdExport(fl Flags) error { _ = tar.TypeReg; return nil }\n")
    rest = parse_file("cmd/commands.go",
                      b'package cmd\n\nimport "strings"\n\ntype Flags map[string]string\n\n'
                      b"type Command struct {\n\tName      string\n\tFunc      func(Flags) error\n"
                      b"\tCobraFunc func(*strings.Builder)\n}\n\nvar commands = map[string]Command{}\n\n"
                      b"func RegisterCommand(c Command) { commands[c.Name] = c }\n\n"
                      b'func init() {\n\tRegisterCommand(Command{\n\t\tName: "export",\n\t\tFunc: cmdExport,\n'
                      b"\t\tCobraFunc: func(cmd *strings.Builder) { cmd.WriteString(\"export\") },\n\t})\n}\n")
    moved = move_registrations(real, [rest], "tar", "c_omit_tar", set())
    assert moved.moved and "cmd/commands.go" in moved.files, moved
    # the literal moves with what its types name: the import of strings (caddy's `*cobra.Command`)
    assert b"CobraFunc: func(cmd *strings.Builder)" in moved.real and b'"strings"' in moved.real, moved.real


def test_a_blank_embed_import_stays_with_its_go_embed_directives() -> None:
    """A file's blank imports of the feature move to a guarded file of their own, except `_ "embed"` from a
    file whose //go:embed directives need it there (tailscale's version-embed.go): that file is guarded."""
    from strategies.guard_with_tag import _blank_feature

    pprof = parse_file("server.go", b'package s\n\nimport _ "net/http/pprof"\n\nfunc Run() {}\n')
    embedded = parse_file("v.go", b'package s\n\nimport _ "embed"\n\n//go:embed v.txt\nvar v string\n')
    assert _blank_feature(pprof, frozenset({"net/http/pprof"}), [pprof])
    assert not _blank_feature(embedded, frozenset({"embed"}), [embedded])


NOOP = {
    "go.mod": "module example.com/n\n\ngo 1.22\n",
    "cmd/n/main.go": """
        package main

        import (
        	"fmt"
        	"os"

        	"example.com/n/tracing"
        )

        func main() {
        	t := tracing.New()
        	if len(os.Args) > 1 {
        		t.SetLevel(len(os.Args[1]))
        	}
        	fmt.Println("served", len(os.Args))
        }
        """,
    "tracing/tracing.go": """
        package tracing

        // Tracer traces requests.
        type Tracer struct{ level int }

        // New makes a tracer.
        func New() *Tracer { return &Tracer{} }
        """,
    "tracing/export.go": """
        package tracing

        import (
        	"encoding/xml"
        	"os"
        	"strconv"
        )

        // SetLevel sets how much is traced, and writes it out as XML.
        func (t *Tracer) SetLevel(level int) {
        	t.level = level
        	os.Stderr.WriteString("<Level>")
        	_ = xml.EscapeText(os.Stderr, []byte(strconv.Itoa(level)))
        }
        """,
}


@pytest.mark.go
def test_a_stub_without_results_does_nothing_and_the_slim_program_runs_on(tmp_path: Path) -> None:
    """A function with no results to make up is stubbed as a no-op (tailscaled's run() called logtail's
    SetVerbosityLevel: a stub that panicked made the slim tailscaled panic at startup, and a `--help` smoke
    run could not see it). The code after its calls stays, in the program and in the estimate."""
    root = write_module(tmp_path / "n", NOOP)
    c, stub = only_stub(root)
    assert "func (t *Tracer) SetLevel(level int) {}" in stub and "does nothing" in stub and "panic" not in stub
    assert "cannot get past" not in c.explanation and not c.warning
    c.plan.write_to(root)
    vets(root, *c.variant_tags)
    full = go(root, "run", "./cmd/n", "verbose")
    slim = go(root, "run", "-tags", ",".join(c.variant_tags), "./cmd/n", "verbose")
    assert full.returncode == slim.returncode == 0, slim.stderr
    assert full.stdout == slim.stdout == "served 2\n" and "<Level>" in full.stderr and not slim.stderr
    assert "encoding/xml" not in go(root, "list", "-deps", "-tags", ",".join(c.variant_tags), "./cmd/n").stdout.split()


# ---------------------------------------------------------------------------------------------------------
# What runs: a command table's closures do not run at startup (issue 16 §2); init calls and calls on
# every run of main do; a type's stub keeps its methods for interface assertions elsewhere (caddy)

TABLE = {
    "go.mod": "module example.com/t\n\ngo 1.22\n",
    "cmd/t/main.go": """
        package main

        import (
        	"fmt"
        	"os"

        	"example.com/t/app"
        )

        func main() {
        	fmt.Println(app.Names())
        	if len(os.Args) > 2 {
        		if err := app.Run(os.Args[1], os.Args[2:]); err != nil {
        			fmt.Println("error:", err)
        			os.Exit(1)
        		}
        	}
        }
        """,
    "app/commands.go": """
        package app

        import "fmt"

        // Command is one subcommand.
        type Command struct {
        	Name   string
        	Action func(args []string) error
        }

        var checkpointCmd = Command{Name: "checkpoint", Action: func(args []string) error {
        	return Checkpoint(args[0])
        }}

        var echoCmd = Command{Name: "echo", Action: func(args []string) error { fmt.Println(args); return nil }}

        var commands = []Command{checkpointCmd, echoCmd}

        // Names lists the commands.
        func Names() []string {
        	var out []string
        	for _, c := range commands {
        		out = append(out, c.Name)
        	}
        	return out
        }

        // Run runs the named command.
        func Run(name string, args []string) error {
        	for _, c := range commands {
        		if c.Name == name {
        			return c.Action(args)
        		}
        	}
        	return fmt.Errorf("no command %q", name)
        }

        // Wrapper wraps listeners.
        type Wrapper interface{ Wrap(string) string }

        func wrapped(v any) string {
        	if w, ok := v.(Wrapper); ok {
        		return w.Wrap("x")
        	}
        	switch v.(type) {
        	case *Tunnel:
        		return "tunnel"
        	}
        	return ""
        }

        var _ = wrapped
        """,
    "app/checkpoint.go": """
        package app

        import "net/http"

        // Checkpoint posts a checkpoint to url.
        func Checkpoint(url string) error {
        	_, err := http.Post(url, "text/plain", nil)
        	return err
        }

        // Tunnel is a listener wrapper over HTTP.
        type Tunnel struct{ c *http.Client }

        // Wrap wraps s.
        func (t *Tunnel) Wrap(s string) string { return s + t.c.Jar.Cookies(nil)[0].Name }

        // Close closes the tunnel.
        func (t *Tunnel) Close() error { return nil }

        // Client is the tunnel's client (its signature needs net/http: the stub leaves it out).
        func (t *Tunnel) Client() *http.Client { return t.c }
        """,
}


def test_a_command_tables_closures_do_not_run_at_startup(tmp_path: Path) -> None:
    root = write_module(tmp_path / "t", TABLE)
    cands, refusals = candidates(project_for(root))
    assert len(cands) == 1, [r.reason for r in refusals]
    stub = next(ch.after for ch in cands[0].plan.changes if ch.before is None)
    assert stub is not None
    text = stub.decode()
    # the type switch names *Tunnel: its stub keeps every method it can declare, not only selected ones
    assert "func (t *Tunnel) Wrap(s string) string" in text and "func (t *Tunnel) Close() error" in text
    assert "Client()" not in text and '"net/http"' not in text


@pytest.mark.go
def test_typed_view_decides_what_runs_and_the_stub_builds(tmp_path: Path) -> None:
    files = dict(TABLE)
    # an init that calls a stub at startup, but in a closure stored for later: still not a startup call
    files["app/boot.go"] = ("package app\n\nvar hooks []func() error\n\n"
                            "func init() { hooks = append(hooks, func() error { return Checkpoint(\"\") }) }\n")
    root = write_module(tmp_path / "t", files)
    project = unsized(load(find_go(), Settings(root=root), [TargetSpec()], Needs.WHY | Needs.TYPED))
    assert project.typed and all(v is not None for v in project.typed.values())
    (c,), _ = candidates(project)
    assert "type-checked (go/types)" in c.explanation
    # the hook registers feature code: it moves behind the tag rather than calling a stub in the slim build
    assert isinstance(c.details, GuardDetails) and any("app/boot.go" in r for r in c.details.registrations)
    c.plan.write_to(root)
    tag = c.variant_tags[0]
    vets(root, tag)
    slim = tmp_path / "slim"
    assert go(root, "build", "-tags", tag, "-o", str(slim), "./cmd/t").returncode == 0
    run = subprocess.run([str(slim), "checkpoint", "http://127.0.0.1:1/"], capture_output=True, text=True)
    assert run.returncode == 1 and "panic" not in run.stderr
    assert "not built in" in run.stdout
    assert "net/http" not in go(root, "list", "-deps", "-tags", tag, "./cmd/t").stdout.split()


def test_a_stub_called_on_every_run_of_main_is_not_proposed(tmp_path: Path) -> None:
    files = dict(TABLE)
    files["cmd/t/main.go"] = TABLE["cmd/t/main.go"].replace(
        "fmt.Println(app.Names())", "fmt.Println(app.Names(), app.Checkpoint(\"http://127.0.0.1:1/\"))")
    root = write_module(tmp_path / "t", files)
    refused(root, "Checkpoint is called on every run (main -> Checkpoint)")


EVERYRUN = {
    "go.mod": "module example.com/e\n\ngo 1.22\n",
    "cmd/e/main.go": """
        package main

        import (
        	"fmt"
        	"os"

        	"example.com/e/policy"
        )

        func main() {
        	if err := run(); err != nil {
        		fmt.Println(err)
        		os.Exit(1)
        	}
        }

        func run() error {
        	p, err := policy.New(os.Getenv("E_CONFIG"))
        	if err != nil {
        		return err
        	}
        	fmt.Println("policy", p)
        	return nil
        }
        """,
    "policy/policy.go": """
        package policy

        import "example.com/e/logs"

        // New makes the policy for config.
        func New(config string) (string, error) {
        	return newWithPath(config, "")
        }

        func newWithPath(config, path string) (string, error) {
        	l := logs.NewLogger(config)
        	return l.Name + path, nil
        }
        """,
    "logs/logs.go": """
        package logs

        // Logger logs.
        type Logger struct{ Name string }
        """,
    "logs/upload.go": """
        package logs

        import "encoding/xml"

        // NewLogger makes a logger that uploads as XML.
        func NewLogger(config string) *Logger {
        	b, _ := xml.Marshal(struct{ C string }{config})
        	return &Logger{Name: string(b)}
        }
        """,
}


def test_a_stub_main_reaches_on_every_run_through_other_packages_is_not_proposed(tmp_path: Path) -> None:
    """tailscaled's run() calls logpolicy.New, which calls logtail.NewLogger: a stub of that panicked at
    the start of every run of the slim build. main's every-run calls are followed into the module's
    packages; there, what follows an if that returns without an error is one way of two."""
    root = write_module(tmp_path / "e", EVERYRUN)
    refused(root, "NewLogger is called on every run (main -> run -> policy.New -> policy.newWithPath -> NewLogger)")
    files = dict(EVERYRUN)
    files["policy/policy.go"] = EVERYRUN["policy/policy.go"].replace(
        "func New(config string) (string, error) {\n", "func New(config string) (string, error) {\n"
        "        \tif config == \"\" {\n        \t\treturn \"default\", nil\n        \t}\n")
    root = write_module(tmp_path / "e2", files)
    c, stub = only_stub(root)
    assert "func NewLogger(config string) *Logger {\n\tpanic(" in stub


def test_every_run_goes_through_loop_bodies_and_one_of_two_ways(tmp_path: Path) -> None:
    """tailscaled's engine comes seven calls deep: createEngine calls tryEngine in a loop over the --tun
    names, and NewUserspaceEngine calls tstun.WrapTAP or tstun.Wrap: a guard of the file declaring both
    panicked at every start (8ffd55a). A loop body on the way runs; so does one of an if/else's ways, and
    when each way calls a stub, every run does. One way that calls none leaves the guard proposed."""
    files = dict(EVERYRUN)
    files["policy/policy.go"] = """
        package policy

        import (
        	"errors"
        	"strings"

        	"example.com/e/logs"
        )

        // New makes the policy for the first config of a comma-separated list that works.
        func New(config string) (string, error) {
        	for _, c := range strings.Split(config, ",") {
        		if p, err := newWithPath(c, ""); err == nil {
        			return p, nil
        		}
        	}
        	return "", errors.New("no config")
        }

        func newWithPath(config, path string) (string, error) {
        	var l *logs.Logger
        	if path != "" {
        		l = logs.NewLoggerAt(path)
        	} else {
        		l = logs.NewLogger(config)
        	}
        	return l.Name + path, nil
        }
        """
    files["logs/upload.go"] = EVERYRUN["logs/upload.go"] + """
        // NewLoggerAt makes a logger that uploads to path as XML.
        func NewLoggerAt(path string) *Logger {
        	b, _ := xml.Marshal(struct{ P string }{path})
        	return &Logger{Name: string(b)}
        }
        """
    root = write_module(tmp_path / "e", files)
    refused(root, "NewLogger, NewLoggerAt: one of them is called on every run (main -> run -> policy.New -> "
                  "policy.newWithPath -> NewLoggerAt or NewLogger); a stub of them fails")
    # one way calls a function the guard leaves: that run still works in the slim build
    files["logs/logs.go"] += """
        // Plain makes a logger that does not upload.
        func Plain(path string) *Logger { return &Logger{Name: path} }
        """
    files["policy/policy.go"] = files["policy/policy.go"].replace("l = logs.NewLoggerAt(path)", "l = logs.Plain(path)")
    root = write_module(tmp_path / "e2", files)
    c, stub = only_stub(root)
    assert "func NewLogger(config string) *Logger {\n\tpanic(" in stub


def test_every_run_calls_follows_eight_calls_deep_and_not_into_branches() -> None:
    from refactor.guard import every_run_calls

    chain = "".join(f"func f{i}() {{ f{i + 1}() }}\n" for i in range(1, 9))
    f = parse_file("p.go", ("package main\n\nfunc main() { f1(); if x() { g() }; for range ys() { h() } }\n"
                            + chain).encode())
    run = every_run_calls("p", [f], lambda _: None)
    assert run.calls[("p", "f8")] == ("main", "f1", "f2", "f3", "f4", "f5", "f6", "f7")
    assert ("p", "f9") not in run.calls  # (f8's calls: nine deep)
    assert {("p", "x"), ("p", "ys"), ("p", "h")} <= set(run.calls) and ("p", "g") not in run.calls
    assert run.either == [] and run.files == {"p.go"} and run.missed == {("", "x"), ("", "ys"), ("", "h")}
    # functions handed to a call run (alertmanager's Subscribe(r.reload), an errgroup's g.Go(func...));
    # a range over a field may run its body never (a configuration's receivers), one over a call's result
    # does (tailscaled's strings.Split of --tun)
    f = parse_file("h.go", b"package main\n\nfunc main() {\n\tsubscribe(reload)\n"
                           b"\tg.Go(func() error { return work() })\n"
                           b"\tfor _, c := range cfg.List {\n\t\tk(c)\n\t}\n}\n")
    run = every_run_calls("h", [f], lambda _: None)
    assert {("h", "subscribe"), ("h", "reload"), ("h", "work")} <= set(run.calls) and ("h", "k") not in run.calls
    # one of a switch's cases runs when it has a default; a way that returns an error is a failure
    f = parse_file("q.go", b"""package main

func main() {
	switch mode() {
	case "a":
		A()
	case "b":
		return errors.New("b")
	default:
		B()
	}
	switch mode() {
	case "c":
		C()
	}
	switch mode() {
	case "d":
		return newD()
	default:
		F()
	}
	if x() {
		D()
	} else if y() {
		return
	} else {
		E()
	}
}
""")
    run = every_run_calls("q", [f], lambda _: None)
    # (`return newD()` is a way through: only an `err`, an ErrX or an error made there is a failure)
    assert len(run.either) == 2 and set(run.either) == {
        (("main",), (frozenset({("q", "A")}), frozenset({("q", "B")}))),
        (("main",), (frozenset({("q", "newD")}), frozenset({("q", "F")})))}


@pytest.mark.go
def test_a_method_main_reaches_on_every_run_on_a_value_the_typed_view_pins_is_not_proposed(tmp_path: Path) -> None:
    """tailscaled's dns.NewManager calls d.NetMon() on a tsdial.Dialer on every run: the typed view pins
    the value's type, so the method's stub is on the way too (the slim build panicked in it)."""
    files = dict(EVERYRUN)
    files["policy/policy.go"] = EVERYRUN["policy/policy.go"].replace(
        "l := logs.NewLogger(config)\n        \treturn l.Name + path, nil",
        "l := &logs.Logger{Name: config}\n        \treturn l.Upload(path), nil")
    files["logs/upload.go"] = EVERYRUN["logs/upload.go"].replace(
        "// NewLogger makes a logger that uploads as XML.\n        func NewLogger(config string) *Logger {\n"
        "        \tb, _ := xml.Marshal(struct{ C string }{config})\n        \treturn &Logger{Name: string(b)}",
        "// Upload uploads path as XML.\n        func (l *Logger) Upload(path string) string {\n"
        "        \tb, _ := xml.Marshal(struct{ C string }{path})\n        \treturn l.Name + string(b)")
    assert "l.Upload(path)" in files["policy/policy.go"] and "func (l *Logger) Upload" in files["logs/upload.go"]
    root = write_module(tmp_path / "m", files)
    project = load(find_go(), Settings(root=root), [TargetSpec()], Needs.WHY | Needs.TYPED)
    cands, refusals = candidates(unsized(project))
    assert cands == []
    assert any("Logger.Upload is called on every run (main -> run -> policy.New -> policy.newWithPath -> "
               "Logger.Upload)" in r.reason for r in refusals), [r.reason for r in refusals]


OTHERPLATFORM = {
    "go.mod": "module example.com/d\n\ngo 1.22\n",
    "cmd/d/main.go": """
        package main

        import (
        	"fmt"
        	"os"

        	"example.com/d/dial"
        )

        func main() {
        	fmt.Println(dial.Name())
        	if len(os.Args) > 1 {
        		fmt.Println(dial.Peer(os.Args[1]))
        	}
        }
        """,
    "dial/dial.go": """
        package dial

        import "encoding/xml"

        var peerControl = func(addr string) string { return addr }

        // Peer describes the dial to a peer, as XML.
        func Peer(addr string) string {
        	b, _ := xml.Marshal(struct{ A string }{peerControl(addr)})
        	return string(b)
        }
        """,
    "dial/name.go": """
        package dial

        import "strings"

        // Name names the dialer.
        func Name() string { return strings.ToUpper("dialer") }
        """,
    "dial/ext_darwin.go": """
        package dial

        func init() {
        	peerControl = extControl
        }

        func extControl(addr string) string { return "ext:" + addr }
        """,
}


def test_a_registration_in_a_file_of_other_platforms_stays_there(tmp_path: Path) -> None:
    """tailscale's peerapi_macios_ext.go sets tsdial's peerDialControlFunc from an init: moved into the
    guarded tsdial.go, built everywhere, it named a function only macOS builds declare (go vet failed on
    linux). A file built under other constraints keeps its registrations; the stub declares what they
    use (a var set to a function literal: the literal's type, as tailssh's maybeStartLoginSession), and
    every platform builds with and without the tag."""
    root = write_module(tmp_path / "d", OTHERPLATFORM)
    c, stub = only_stub(root)
    assert "dial/ext_darwin.go" not in c.plan.files()
    assert "var peerControl func(addr string) string\n" in stub
    c.plan.write_to(root)
    vets(root, *c.variant_tags)
    for tags in ("", *c.variant_tags):
        proc = go(root, "vet", "-tags", tags, "./...", goos="darwin", goarch="arm64")
        assert proc.returncode == 0, (tags, proc.stderr)


def test_ranking_puts_changes_that_lose_nothing_first_at_similar_bytes() -> None:
    from refactor.candidate import rank
    from refactor.plan import Plan

    def cand(cid: str, size: int, **kw: object) -> Candidate:
        return Candidate(id=cid, strategy="x", targets=(), summary=cid, explanation="", estimated_bytes=size,
                         confidence="medium", plan=Plan("t", ()), **kw)  # type: ignore[arg-type]

    split = cand("split", 1000)
    guard = cand("guard", 1100, variant_tags=("t",))
    big_guard = cand("big-guard", 1500, variant_tags=("t",))
    patch = cand("patch", 1100, variant_tags=("t",), trade_off="patch")
    core = cand("core", 9000, variant_tags=("t",), warning="may be what the binary is for")
    assert guard.cost == "feature" and split.cost == "none" and patch.cost == "patch"
    assert [c.id for c in rank([core, patch, guard, split, big_guard])] == [
        "big-guard", "split", "guard", "patch", "core"]


TABLE_MORE = "package app\n\n" + "".join(
    f"func Use{i}(u string) error {{ return Checkpoint(u) }}\n\n" for i in range(4))


def test_a_guards_summary_names_what_the_slim_build_loses_and_its_confidence(tmp_path: Path) -> None:
    root = write_module(tmp_path / "t", TABLE)
    (c,), _ = candidates(project_for(root))
    assert "slim build loses Checkpoint" in c.summary, c.summary
    assert isinstance(c.details, GuardDetails) and "Checkpoint" in c.details.loses
    assert c.confidence == "medium" and c.warning == "" and c.cost == "feature"
    # called from many places: ranked last, with a warning
    files = dict(TABLE)
    files["app/more.go"] = TABLE_MORE
    root = write_module(tmp_path / "t2", files)
    (c,), _ = candidates(project_for(root))
    assert c.confidence == "low" and "may be what the binary is for" in c.warning
    assert "Warning:" in c.explanation
    # called throughout the program (nats-server's file store): refused
    files["app/more.go"] = "package app\n\n" + "".join(
        f"func Use{i}(u string) error {{ return Checkpoint(u) }}\n\n" for i in range(100))
    root = write_module(tmp_path / "t3", files)
    cands, refusals = candidates(project_for(root))
    assert cands == [] and any("103 declarations of the build call" in r.reason and "used throughout the program"
                               in r.reason for r in refusals), [r.reason for r in refusals]
    # ... of the build: another main of the module that calls them is not (syncthing's cmd/infra/*)
    files["cmd/other/main.go"] = "package main\n\nimport \"example.com/t/app\"\n\n" + "".join(
        f"func use{i}(u string) error {{ return app.Checkpoint(u) }}\n\n" for i in range(100)) + (
        "func main() { _ = use0 }\n")
    files["app/more.go"] = TABLE_MORE
    root = write_module(tmp_path / "t4", files)
    (c,), _ = candidates(project_for(root, ("./cmd/t",)))
    assert c.confidence == "low" and "7 declarations of the build call" in c.warning, c.warning


def test_a_file_that_alone_imports_a_family_of_heavy_packages_names_the_feature(tmp_path: Path) -> None:
    """mvdan.cc/sh's coreutils.go imports 30 of u-root's pkg/core/* commands: its feature was named after
    the first of them (x_omit_base64). When most heavy packages only the feature's file brings in are
    siblings, the file names the feature; two unrelated ones leave the name to the first."""
    def checkpoint(*imports: str) -> dict[str, str]:
        files = dict(TABLE)
        body = "".join(f"\n        \t{i!r}".replace("'", '"') for i in ("net/http", *imports))
        uses = {"net/smtp": 'smtp.SendMail(addr, nil, "a@b", nil, nil)', "net/rpc": 'rpc.ErrShutdown',
                "encoding/xml": "xml.ErrUnexpectedEOF"}
        files["app/checkpoint.go"] = TABLE["app/checkpoint.go"].replace(
            'import "net/http"', f"import ({body}\n        )") + "".join(
            f"\n        // Use{n} uses {i}.\n        func Use{n}(addr string) error {{ _ = addr; return {uses[i]} }}\n"
            for n, i in enumerate(imports))
        return files

    root = write_module(tmp_path / "one", checkpoint("encoding/xml"))
    (c,), _ = candidates(project_for(root))
    assert c.variant_tags == ("t_omit_http",), c.summary
    root = write_module(tmp_path / "family", checkpoint("net/smtp", "net/rpc"))
    (c,), _ = candidates(project_for(root))
    assert c.variant_tags == ("t_omit_checkpoint",) and "the checkpoint feature" in c.explanation, c.summary
    c.plan.write_to(root)
    vets(root, *c.variant_tags)


def test_check_stub_catches_what_would_not_compile() -> None:
    from refactor.gosource import parse_file
    from refactor.guard import StubBlock, StubWriter, Unguardable, check_stub

    rest = parse_file("p/rest.go", b"package p\n\ntype Options struct{ A int }\n")
    unknown = parse_file("p/x_stub.go", b"package p\n\nfunc F(o Options, c *Client) {}\n")
    with pytest.raises(Unguardable, match="Client"):
        check_stub(unknown, [rest])  # a type only the guarded file declares
    unused = parse_file("p/x_stub.go", b'package p\n\nimport (\n\t"fmt"\n\t"io"\n)\n\nfunc F(w io.Writer) {}\n')
    assert b'"fmt"' not in check_stub(unused, [rest]) and b'"io"' in check_stub(unused, [rest])
    # a copied //go:embed directive brings its import
    real = parse_file("p/x.go", b'package p\n\nimport (\n\t_ "embed"\n\t"net/http"\n)\n\n'
                                 b'//go:embed page.html\nvar page string\n\nvar c = http.DefaultClient\n')
    gen = StubWriter(real, [real, rest], frozenset({"net/http"}), "t", "http", set())
    blocks: list[StubBlock] = gen.blocks({"page"}, set())
    text = gen.render(blocks)
    assert b'_ "embed"' in text and b"//go:embed page.html" in text
    assert check_stub(parse_file("p/x_stub.go", text), [rest]) == text


REGISTRY_MODULE = {
    "go.mod": "module example.com/reg\n\ngo 1.22\n",
    "internal/registry/registry.go": """
        // Package registry maps URL schemes to the backends that open them.
        package registry

        import "sort"

        // Factory opens one kind of backend.
        type Factory interface{ Scheme() string }

        // Registry holds the factories by scheme.
        type Registry struct{ m map[string]Factory }

        // NewRegistry returns an empty registry.
        func NewRegistry() *Registry { return &Registry{m: map[string]Factory{}} }

        // Register adds f.
        func (r *Registry) Register(f Factory) { r.m[f.Scheme()] = f }

        // Schemes lists the registered schemes, sorted.
        func (r *Registry) Schemes() []string {
        	out := []string{}
        	for s := range r.m {
        		out = append(out, s)
        	}
        	sort.Strings(out)
        	return out
        }
    """,
    "internal/local/local.go": """
        package local

        type factory struct{}

        func (factory) Scheme() string { return "file" }

        // NewFactory returns the local backend's factory.
        func NewFactory() interface{ Scheme() string } { return factory{} }
    """,
    "internal/remote/remote.go": """
        package remote

        import "net/http"

        type factory struct{ c *http.Client }

        func (f factory) Scheme() string { return "http" }

        // Get fetches url.
        func (f factory) Get(url string) (*http.Response, error) { return f.c.Get(url) }

        // NewFactory returns the remote backend's factory.
        func NewFactory() interface{ Scheme() string } { return factory{c: http.DefaultClient} }
    """,
    "cmd/app/global.go": """
        package main

        import (
        	"example.com/reg/internal/local"
        	"example.com/reg/internal/registry"
        	"example.com/reg/internal/remote"
        )

        var options struct {
        	backends *registry.Registry
        	verbose  bool
        }

        func init() {
        	backends := registry.NewRegistry()
        	backends.Register(local.NewFactory())
        	backends.Register(remote.NewFactory())
        	options.backends = backends
        }

        func schemes() []string { return options.backends.Schemes() }
    """,
    "cmd/app/main.go": """
        package main

        import "fmt"

        func main() { fmt.Println(schemes()) }
    """,
}


@pytest.mark.go
def _the_http_guard(root: Path, files: dict[str, str], stdout: str
                    ) -> tuple[Path, subprocess.CompletedProcess[str], Candidate]:
    """Write the module (./cmd/app prints stdout as it is), and the one guard proposed that drops net/http."""
    write_module(root, files)
    head = go(root, "run", "./cmd/app")
    assert head.returncode == 0 and head.stdout == stdout, head.stderr
    cands, refusals = candidates(project_for(root, ("./cmd/app",)))
    remote = [c for c in cands if "net/http" in c.removes]
    assert len(remote) == 1, ([c.summary for c in cands], [r.reason for r in refusals])
    return root, head, remote[0]


def test_a_registration_among_other_code_of_an_init_moves_to_its_own_guarded_file(tmp_path: Path) -> None:
    """restic's global.go: one init registers every backend (`backends.Register(azure.NewFactory())`), and
    the file holds much else. The heavy backend's registration moves to a file of its own behind the tag
    (the init-local registry named by where the init stores it); the slim binary simply lacks the scheme."""
    root, head, c = _the_http_guard(tmp_path / "reg", REGISTRY_MODULE, "[file http]\n")
    assert c.confidence == "high" and "global.go's registration" in c.summary
    tag = c.variant_tags[0]
    files = {ch.path: ch for ch in c.plan.changes}
    assert set(files) == {"cmd/app/global.go", "cmd/app/global_remote.go"}
    assert files["cmd/app/global_remote.go"].before is None
    added = (files["cmd/app/global_remote.go"].after or b"").decode()
    assert added.startswith(f"//go:build !{tag}\n") and "options.backends.Register(remote.NewFactory())" in added
    format_plan(c.plan, gofmt_path()).write_to(root)
    assert subprocess.run(["gofmt", "-l", "."], cwd=root, capture_output=True, text=True).stdout == ""
    for goos, goarch in PLATFORMS:
        for tags in ("", tag):
            proc = go(root, "build", "-tags", tags, "-o", os.devnull, "./...", goos=goos, goarch=goarch)
            assert proc.returncode == 0, proc.stderr
    assert go(root, "run", "./cmd/app").stdout == head.stdout
    slim = go(root, "run", "-tags", tag, "./cmd/app")
    assert slim.returncode == 0 and slim.stdout == "[file]\n", slim.stderr
    assert "net/http" not in go(root, "list", "-deps", "-tags", tag, "./cmd/app").stdout.split()


def test_init_registrations_carry_every_import_they_use_named_or_not() -> None:
    from refactor.gosource import parse_file
    from refactor.guard import init_registrations

    src = textwrap.dedent("""
        package main

        import (
        	loc "example.com/m/local"
        	"example.com/m/remote"
        	"example.com/m/registry"
        )

        var opts struct{ reg *registry.Registry }

        func init() {
        	r := registry.New()
        	r.Register(loc.Wrap(remote.New()))
        	opts.reg = r
        }

        func other() {}
    """).lstrip().encode()
    f = parse_file("cmd/app/global.go", src)
    reg = init_registrations(f, ["example.com/m/remote"], {})
    assert reg is not None and reg.removed == ("example.com/m/remote",)
    assert reg.imports == (("loc", "example.com/m/local"), (None, "example.com/m/remote"))
    assert [t for _, _, t in reg.statements] == ["opts.reg.Register(loc.Wrap(remote.New()))"]
    rest, added = reg.split("global_remote.go", "m_omit_remote", "remote")
    assert b"remote" not in rest and b"local" not in rest and b"loc.Wrap" not in rest
    assert b'"example.com/m/registry"' in rest and b"func other() {}" in rest
    assert added.startswith(b"//go:build !m_omit_remote\n") and b'loc "example.com/m/local"' in added
    # a use outside the init's statements: not a registration (the file is guarded as a whole, or not)
    assert init_registrations(parse_file("x.go", src + b"\nvar _ = remote.New\n"), ["example.com/m/remote"], {}) is None


def test_two_blank_imports_of_the_main_file_are_two_features(tmp_path: Path) -> None:
    """distribution's cmd/registry/main.go blank-imports every storage driver: each heavy one is a
    candidate of its own, named after it, moving only its import (they were merged into one, named after
    whichever came first: `distribution_omit_pprof` for the gcs driver)."""
    root = write_module(tmp_path / "m", {
        "go.mod": "module example.com/m\n\ngo 1.22\n",
        "drivers/web/web.go": 'package web\n\nimport "net/http"\n\nvar _ = http.StatusOK\n',
        "drivers/typecheck/typecheck.go": 'package typecheck\n\nimport "go/types"\n\nvar _ = types.Universe\n',
        "main.go": 'package main\n\nimport (\n\t"fmt"\n\n\t_ "example.com/m/drivers/typecheck"\n'
                   '\t_ "example.com/m/drivers/web"\n)\n\nfunc main() { fmt.Println("ok") }\n',
    })
    cands, _ = candidates(project_for(root))
    by_tag = {c.variant_tags[0]: c for c in cands}
    assert {"m_omit_web", "m_omit_typecheck"} <= set(by_tag), list(by_tag)
    for tag, moved, kept in (("m_omit_web", "drivers/web", "drivers/typecheck"),
                             ("m_omit_typecheck", "drivers/typecheck", "drivers/web")):
        c = by_tag[tag]
        (added,) = [ch.after or b"" for ch in c.plan.changes if ch.before is None]
        assert f'_ "example.com/m/{moved}"'.encode() in added and f"example.com/m/{kept}".encode() not in added
        assert f'-\t_ "example.com/m/{moved}"' in c.plan.diff() and f'-\t_ "example.com/m/{kept}"' not in c.plan.diff()


def test_init_registrations_count_every_use_types_included() -> None:
    """Two uses in one moved statement are both moved; a type of the import named elsewhere keeps the
    file as it is (its import cannot go)."""
    from refactor.gosource import parse_file
    from refactor.guard import init_registrations

    head = 'package main\n\nimport "example.com/m/remote"\n\nfunc register(any) {}\n\n'
    twice = head + "func init() {\n\tregister(remote.Wrap(remote.New()))\n}\n"
    reg = init_registrations(parse_file("a.go", twice.encode()), ["example.com/m/remote"], {})
    assert reg is not None and [t for _, _, t in reg.statements] == ["register(remote.Wrap(remote.New()))"]
    typed = twice + "\nvar kind remote.Kind\n"
    assert init_registrations(parse_file("a.go", typed.encode()), ["example.com/m/remote"], {}) is None


@pytest.mark.parametrize("src", [
    b'package a\n\nimport (\n\t"fmt"\n\tx "net/http" // web\n)\n\nfunc F() {}\n',
    b'package a\n\n/* a comment\nfunc Old() {}\n*/\nimport "os"\n\nfunc F() {}\n',
    b'// Package a.\npackage a\n\nimport "os"\nimport `strings`\n\n/* x */ func F() {}\n',
    b'package a\n\nimport (\n\t"fmt" /* func */\n)\nvar V = "import \\"no\\""\n',
    b'package a\n',
])
def test_import_paths_from_text_match_the_parse(src: bytes) -> None:
    """guard-with-tag reads a file's imports from its text before any parse; it agrees with the parse,
    also when a block comment before the imports holds a line that looks like a declaration."""
    from refactor.gosource import parse_file
    from strategies.guard_with_tag import _import_paths

    assert _import_paths(src) == frozenset(i.path for i in parse_file("a.go", src).imports)


def test_fixture_files_import_paths_from_text_match_the_parse() -> None:
    from refactor.gosource import parse_file
    from strategies.guard_with_tag import _import_paths
    from tests.conftest import FIXTURES

    files = sorted(FIXTURES.rglob("*.go"))
    assert len(files) > 100
    for f in files:
        src = f.read_bytes()
        assert _import_paths(src) == frozenset(i.path for i in parse_file(str(f), src).imports), f


@pytest.mark.go
@pytest.mark.parametrize("name", ["guard", "deppatch"])
def test_the_cuts_warm_says_propose_will_price_are_the_ones_it_prices(
        name: str, fixture_repo: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """warm's Priced: the loader walks these cuts while the link ends, so propose only prices them
    (deppatch: a dependency's feature, priced when its sizes say a patch is worth it). Not the code
    after calls of stubs that panic (Cut.sever): the typed views that find those calls come later, and
    such cuts are walked when propose prices them."""
    from refactor.estimate import ReachModel
    from strategies.guard_with_tag import warm
    from tests.conftest import FIXTURES
    from tests.goproxy import environment

    root = fixture_repo(name)
    if name == "deppatch":  # its dependency comes from a module proxy on disk
        for k, v in environment(FIXTURES / name, tmp_path / "goenv").items():
            monkeypatch.setenv(k, v)
        assert go(root, "mod", "download").returncode == 0
    project = load(find_go(), Settings(root=root), [TargetSpec()], Needs.SUGGEST)
    priced = warm(project)
    told = set()
    of_model = {}
    for t in project.targets:
        model = project.reach.get(t)
        assert model is not None, t.label
        of_model[id(model)] = t
        told |= {(t, c.key()) for c in priced(t, model)}
    asked = set()
    real = ReachModel.mode

    def recorded(self: ReachModel, cut: Any) -> Any:
        asked.add((of_model[id(self)], cut.key()))
        return real(self, cut)

    ReachModel.mode = recorded  # type: ignore[method-assign]
    try:
        found, _ = candidates(project)
    finally:
        ReachModel.mode = real  # type: ignore[method-assign]
    plain = {(t, k) for t, k in asked if not k[-1]}  # the key's last part: the cut's sever
    assert found and plain and plain <= told


CARVE_MODULE = {
    "go.mod": "module example.com/carve\n\ngo 1.22\n",
    "cmd/app/main.go": """
        package main

        import (
        	"fmt"
        	"os"
        )

        func main() {
        	mode := "file"
        	if len(os.Args) > 1 {
        		mode = os.Args[1]
        	}
        	if err := setup(mode); err != nil {
        		fmt.Println("error:", err)
        		os.Exit(1)
        	}
        }
        """,
    # lego's cmd/setup_challenges.go: setup runs on every request, setupRemote only for one mode
    "cmd/app/setup.go": """
        package main

        import (
        	"fmt"
        	"net/http"
        	"strings"
        )

        // setup prepares the mode asked for; every run calls it.
        func setup(mode string) error {
        	if mode == "remote" {
        		return setupRemote("http://127.0.0.1:1/")
        	}
        	fmt.Println("mode:", strings.ToUpper(mode))
        	return nil
        }

        // setupRemote needs an HTTP client.
        func setupRemote(url string) error {
        	_, err := get(url)
        	return err
        }

        func get(url string) (*http.Response, error) { return http.Get(url) }
        """,
}


def test_the_code_that_needs_the_feature_is_carved_out_of_a_file_every_run_calls(tmp_path: Path) -> None:
    """lego (issue: a verified guard that broke the program): cmd/setup_challenges.go holds setupChallenges,
    which every run calls, and setupDNS, which only the DNS mode calls and which alone needs the providers.
    Guarding the whole file stubbed setupChallenges, so the slim lego failed every request. Now the code
    that needs the feature moves to a file of its own, which is guarded; the rest of the file stays, so the
    slim build runs the other modes as before and only the feature's mode says it is not built in."""
    root, head, c = _the_http_guard(tmp_path / "carve", CARVE_MODULE, "mode: FILE\n")
    assert isinstance(c.details, GuardDetails) and c.details.loses == ("get", "setupRemote"), c.details.loses
    tag = c.variant_tags[0]
    files = {ch.path: ch for ch in c.plan.changes}
    assert set(files) == {"cmd/app/setup.go", "cmd/app/setup_http.go", "cmd/app/setup_http_stub.go"}, set(files)
    kept = (files["cmd/app/setup.go"].after or b"").decode()
    assert "func setup(mode string) error" in kept and "net/http" not in kept and "func setupRemote" not in kept
    carved = (files["cmd/app/setup_http.go"].after or b"").decode()
    assert carved.startswith(f"//go:build !{tag}\n") and "func setupRemote" in carved and "func get" in carved
    format_plan(c.plan, gofmt_path()).write_to(root)
    assert subprocess.run(["gofmt", "-l", "."], cwd=root, capture_output=True, text=True).stdout == ""
    vets(root, tag)
    assert go(root, "run", "./cmd/app").stdout == head.stdout
    slim = go(root, "run", "-tags", tag, "./cmd/app")
    assert slim.returncode == 0 and slim.stdout == head.stdout, slim.stderr  # the other modes work
    remote_mode = go(root, "run", "-tags", tag, "./cmd/app", "remote")
    assert remote_mode.returncode != 0 and "not built in" in remote_mode.stdout, remote_mode.stdout
    assert "net/http" not in go(root, "list", "-deps", "-tags", tag, "./cmd/app").stdout.split()


def test_a_file_of_the_root_package_is_carved_too(tmp_path: Path) -> None:
    """caddy's listeners.go is in the module's root package: the carved file's overlay path has no
    directory, and the root's is "." (a KeyError ended every suggest on caddy)."""
    files = {("main.go" if k == "cmd/app/main.go" else k.removeprefix("cmd/app/")): v for k, v in CARVE_MODULE.items()}
    root = write_module(tmp_path / "root", files)
    cands, refusals = candidates(project_for(root, (".",)))
    (c,) = [c for c in cands if "net/http" in c.removes]
    assert {ch.path for ch in c.plan.changes} == {"setup.go", "setup_http.go", "setup_http_stub.go"}
    tag = c.variant_tags[0]
    format_plan(c.plan, gofmt_path()).write_to(root)
    vets(root, tag)
    assert go(root, "run", "-tags", tag, ".").stdout == "mode: FILE\n"


def test_carve_takes_helpers_and_methods_and_leaves_a_file_whose_init_names_them_whole() -> None:
    from refactor.gosource import parse_file
    from refactor.guard import carve

    src = textwrap.dedent("""
        package main

        import (
        	"fmt"

        	dns "example.com/dns"
        )

        type provider struct{ p dns.Provider }

        func (p provider) name() string { return "x" }

        var providers = map[string]func() provider{}

        func init() { providers["dns"] = newProvider }

        func newProvider() provider { return provider{p: dns.New(label())} }

        func label() string { return "dns" }

        func Run() { fmt.Println(len(providers)) }
        """).lstrip().encode()
    f = parse_file("cmd/app/run.go", src)
    caller = parse_file("cmd/app/main.go", b"package main\n\nfunc main() { Run() }\n")
    c = carve(f, ["example.com/dns"], [caller], {})
    # an init of the file registers what would move: the file is guarded whole
    assert c is None
    # without it: the type that names dns, its method, the constructor and its helper move; Run, which main
    # calls, and the table stay
    f = parse_file("cmd/app/run.go", src.replace(b"func init() { providers[\"dns\"] = newProvider }\n", b""))
    c = carve(f, ["example.com/dns"], [caller], {})
    assert c is not None and set(c.keys) == {"provider", "provider.name", "newProvider", "label"}, c
    assert c.kept_imports == frozenset({"fmt"})
    # nothing main's file calls would stay: the whole file is the feature
    assert carve(f, ["example.com/dns"], [], {}) is None
    with_main = parse_file("cmd/app/main.go", src + b"\nfunc main() { Run(); _ = dns.New(\"\") }\n")
    assert carve(with_main, ["example.com/dns"], [], {}) is None


def test_a_registration_that_cannot_move_is_refused_in_one_line() -> None:
    """distribution's configuration.go and tailscaled's c2n_pprof.go: the refusal quoted the whole
    registration, a dozen lines of code, into a one-line reason. It quotes the first line now."""
    from refactor.gosource import parse_file
    from refactor.guard import Unguardable, move_registrations

    real = parse_file("app/http.go", b'package app\n\nimport "net/http"\n\n'
                      b'func NewHTTP(url string) (Exporter, error) { _, err := http.Get(url); return nil, err }\n')
    reg = parse_file("app/reg.go", textwrap.dedent("""
        package app

        type Exporter interface{}

        var table = map[string]func(string) (Exporter, error){}

        func init() {
        	url := "http://localhost"
        	table["http"] = func(string) (Exporter, error) {
        		return NewHTTP(url)
        	}
        }
        """).lstrip().encode())
    with pytest.raises(Unguardable) as exc:
        move_registrations(real, [reg], "http", "app_omit_http", set())
    why = str(exc.value)
    assert "\n" not in why and "uses url" in why and "…" in why, why
