// Command tool runs one of its subcommands; without one it lists them, its output formats and hooks.
package main

import (
	"fmt"
	"os"
	"sort"
)

func main() {
	if len(os.Args) < 2 {
		usage()
		return
	}
	runHooks()
	for _, c := range commands {
		if c.Name == os.Args[1] {
			if err := c.Run(os.Args[2:]); err != nil {
				fmt.Fprintln(os.Stderr, "tool:", err)
				os.Exit(1)
			}
			return
		}
	}
	if w, ok := formats[os.Args[1]]; ok {
		if err := w(os.Stdout, os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "tool:", err)
			os.Exit(1)
		}
		return
	}
	fmt.Fprintln(os.Stderr, "tool: unknown command", os.Args[1])
	os.Exit(2)
}

func usage() {
	fmt.Println("commands:")
	for _, c := range commands {
		fmt.Printf("  %-8s %s\n", c.Name, c.Summary)
	}
	var names []string
	for name := range formats {
		names = append(names, name)
	}
	sort.Strings(names)
	fmt.Println("formats:", names)
	fmt.Println("hooks:", len(hooks))
}
