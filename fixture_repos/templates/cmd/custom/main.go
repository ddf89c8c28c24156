// Command custom prints records with a template given on the command line (-format), as
// `docker ps --format` does: the text is not known when building, so it cannot be compiled to Go;
// the method-free copy of text/template can run it.
package main

import (
	"flag"
	"fmt"
	"os"
	"text/template"
)

type record struct {
	Name string
	Size int
	Tags []string
	Meta map[string]string
}

var records = []record{
	{Name: "alpha", Size: 3, Tags: []string{"x", "y"}, Meta: map[string]string{"owner": "ann"}},
	{Name: "beta", Size: 0},
}

func main() {
	format := flag.String("format", "{{.Name}}\t{{.Size}}\n", "output template")
	flag.Parse()
	t, err := template.New("format").Parse(*format)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	for _, r := range records {
		if err := t.Execute(os.Stdout, r); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}
