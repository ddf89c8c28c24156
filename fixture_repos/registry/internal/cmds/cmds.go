// Package cmds is the tool's command registry. Each command is built by
// a constructor listed in registry; serve.go's needs net/http.
package cmds

import (
	"fmt"
	"strings"
)

// Command is one subcommand of the tool.
type Command interface {
	Name() string
	Summary() string
	Run(args []string) int
}

var registry = []Command{versionCmd{}, newServe()}

// Lookup returns the command called name, or nil.
func Lookup(name string) Command {
	for _, c := range registry {
		if c.Name() == name {
			return c
		}
	}
	return nil
}

// Usage lists every command with its summary.
func Usage() string {
	var b strings.Builder
	b.WriteString("usage: tool COMMAND [ARGS]\n\ncommands:\n")
	for _, c := range registry {
		fmt.Fprintf(&b, "  %-8s %s\n", c.Name(), c.Summary())
	}
	return b.String()
}

type versionCmd struct{}

func (versionCmd) Name() string    { return "version" }
func (versionCmd) Summary() string { return "print the version" }
func (versionCmd) Run([]string) int {
	fmt.Println("tool 1.0")
	return 0
}

// unavailable stands for a command left out of this build.
type unavailable struct{ name string }

func (u unavailable) Name() string    { return u.name }
func (u unavailable) Summary() string { return "(not in this build)" }
func (u unavailable) Run([]string) int {
	fmt.Printf("tool: %s is not in this build\n", u.name)
	return 1
}
