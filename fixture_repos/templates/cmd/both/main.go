// Command both has three method-DCE blockers in three packages: the package-level template of
// internal/render, the template built in a function of internal/help, and the reflect lookup by name
// of internal/lookup. Fixing one of them alone saves almost nothing: the others keep every exported
// method in the binary.
package main

import (
	"fmt"
	"os"

	"example.com/templates/internal/help"
	"example.com/templates/internal/lookup"
	"example.com/templates/internal/render"
)

func main() {
	stat := "Mean"
	if len(os.Args) > 1 {
		stat = os.Args[1]
	}
	rows := []render.Row{{Name: "alpha", Value: 1.5}, {Name: "beta", Value: -2}}
	if err := render.Report(os.Stdout, rows); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cmds := []help.Command{{Name: "add", Summary: "add a value", Aliases: []string{"a", "plus"}}, {Name: "stats", Summary: "print a statistic"}}
	if err := help.Print(os.Stdout, "both", cmds); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	v, err := lookup.Value(lookup.Stats{Count: 4, Sum: 10}, stat)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(stat+":", v)
}
