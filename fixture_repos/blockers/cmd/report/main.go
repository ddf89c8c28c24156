// Command report prints the sample inventory through a text/template.
// Blocker: text/template execution.
package main

import (
	"log"
	"os"

	"example.com/blockers/internal/model"
	"example.com/blockers/internal/render"
)

func main() {
	if err := render.Items(os.Stdout, model.Sample()); err != nil {
		log.Fatal(err)
	}
}
