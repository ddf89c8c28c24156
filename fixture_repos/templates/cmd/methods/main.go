// Command methods executes a template that calls a method: the method-free fork must refuse it.
package main

import (
	"fmt"
	"os"
	"text/template"
)

type person struct{ First, Last string }

// Greeting is called by the template below.
func (p person) Greeting() string { return "Hello, " + p.First + " " + p.Last }

func main() {
	t := template.Must(template.New("m").Parse("{{.Greeting}}!\n"))
	if err := t.Execute(os.Stdout, person{First: "Ada", Last: "Lovelace"}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
