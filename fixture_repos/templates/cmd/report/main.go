// Command report prints a report through internal/render.
package main

import (
	"log"
	"os"

	"example.com/templates/internal/render"
)

func main() {
	rows := []render.Row{{Name: "alpha", Value: 1.5}, {Name: "beta", Value: -2}}
	if err := render.Report(os.Stdout, rows); err != nil {
		log.Fatal(err)
	}
}
