// Command custom gives example.com/helpcli a help template of its own.
package main

import (
	"fmt"
	"os"

	"example.com/helpcli"
)

func main() {
	helpcli.AppHelpTemplate = "{{.Name}}: {{.Usage}}\n"
	app := &helpcli.App{Name: "custom", Usage: "a custom help"}
	if err := app.Run(os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "custom:", err)
		os.Exit(1)
	}
}
