// Command pluggable prints items from a Go plugin given as argument, or
// from the built-in source.
// Blocker (cgo on, linux/darwin/freebsd): the plugin package is linked.
package main

import (
	"fmt"
	"log"
	"os"

	"example.com/blockers/internal/plugins"
)

func main() {
	src := plugins.Builtin()
	if len(os.Args) > 1 {
		var err error
		if src, err = plugins.Open(os.Args[1]); err != nil {
			log.Fatal(err)
		}
	}
	for _, it := range src.Items() {
		fmt.Println(it)
	}
}
