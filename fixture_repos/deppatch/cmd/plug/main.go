// Command plug prints items from a Go plugin given as argument, or from the
// built-in source (-json: as JSON). It links the plugin package through
// example.com/plugload, a module from the proxy: with cgo on, the linker's
// method dead-code elimination is off.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"example.com/plugload"
)

func main() {
	args := os.Args[1:]
	asJSON := len(args) > 0 && args[0] == "-json"
	if asJSON {
		args = args[1:]
	}
	src := plugload.Builtin()
	if len(args) > 0 {
		var err error
		if src, err = plugload.Open(args[0]); err != nil {
			fmt.Fprintln(os.Stderr, "plug:", err)
			os.Exit(1)
		}
	}
	if asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(map[string][]string{"items": src.Items()}); err != nil {
			fmt.Fprintln(os.Stderr, "plug:", err)
			os.Exit(1)
		}
		return
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 8, 1, ' ', 0)
	for i, item := range src.Items() {
		fmt.Fprintf(w, "%d\t%s\n", i+1, strings.ToUpper(item))
	}
	w.Flush()
}
