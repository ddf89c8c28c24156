// Command tool runs one of the commands of internal/cmds; with no
// command, -h or --help, it lists them.
package main

import (
	"fmt"
	"os"

	"example.com/registry/internal/cmds"
)

func main() {
	if len(os.Args) < 2 || os.Args[1] == "-h" || os.Args[1] == "--help" {
		fmt.Print(cmds.Usage())
		return
	}
	c := cmds.Lookup(os.Args[1])
	if c == nil {
		fmt.Fprintf(os.Stderr, "tool: unknown command %q\n", os.Args[1])
		os.Exit(2)
	}
	os.Exit(c.Run(os.Args[2:]))
}
