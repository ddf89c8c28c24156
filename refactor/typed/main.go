// Command typed is gotrim's type-checked view of Go packages: go/types over the export data that
// `go list -export` reports, standard library only. refactor/typed/__init__.py builds it once per Go
// toolchain and feeds it; README.md beside this file documents the JSON it reads and writes.
//
//	typed decls [-in FILE] [-out FILE] [-indent]   < request JSON   > view JSON
//
// Each subcommand reads one JSON request (stdin unless -in) and writes one JSON answer (stdout unless
// -out). Bad input or usage: a one-line message on stderr, exit status 2. A package that does not
// type-check is not a failure: the answer says so (ok: false, its errors).
package main

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sort"
	"strings"
)

// A command is one subcommand: its name, a one-line summary, and the function that runs it.
type command struct {
	name    string
	summary string
	run     func(args []string, stdin io.Reader, stdout io.Writer) error
}

// commands lists the subcommands; each file that adds one registers it from init.
var commands = map[string]command{}

func register(c command) { commands[c.name] = c }

// usageError is bad usage or bad input: exit status 2, as gotrim's own usage errors.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func main() {
	// One short run: the packages' types stay live to the end, so collections find little garbage.
	// At 400: bench/seed's view 0.112 -> 0.074 CPU-s for 2 MB more, tailscaled's 0.82 -> 0.63 CPU-s for
	// 52 MB more (186 MB). The view is made while the link runs, which any CPU slows. GOGC still wins.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || commands[args[0]].run == nil {
		fmt.Fprintf(stderr, "usage: typed COMMAND [flags] < request.json\ncommands:\n%s", usage())
		return 2
	}
	if err := commands[args[0]].run(args[1:], stdin, stdout); err != nil {
		fmt.Fprintf(stderr, "typed %s: %v\n", args[0], err)
		if _, ok := err.(usageError); ok {
			return 2
		}
		return 1
	}
	return 0
}

func usage() string {
	var names []string
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "  %-10s %s\n", n, commands[n].summary)
	}
	return b.String()
}
