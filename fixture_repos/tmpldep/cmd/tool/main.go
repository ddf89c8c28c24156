// Command tool manages records; its help comes from example.com/helpcli's default templates.
package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"text/template"

	"example.com/helpcli"
	"example.com/pagelib"
)

// record is printed through fmt (an interface): with method DCE off, the linker keeps its exported
// methods, and encoding/json and net/url with them.
type record struct {
	ID   int
	Name string
}

// JSON is kept only while method DCE is off.
func (r record) JSON() string {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// Query is kept only while method DCE is off.
func (r record) Query() string {
	return url.Values{"id": {fmt.Sprint(r.ID)}, "name": {r.Name}}.Encode()
}

func main() {
	app := &helpcli.App{
		Name:        "tool",
		Usage:       "manage records",
		Version:     "1.4.0",
		Description: "Tool keeps records in a file.\nEach record has an id and a name.",
		Authors:     []helpcli.Author{{Name: "Ada", Email: "ada@example.com"}, {Name: "Brian"}},
		Flags: []helpcli.Flag{
			helpcli.StringFlag{Name: "file", Usage: "the records' file", Value: "records.txt"},
			helpcli.BoolFlag{Name: "verbose", Usage: "say more"},
			helpcli.BoolFlag{Name: "trace", Usage: "internal", Hidden: true},
		},
		Commands: []helpcli.Command{
			{Name: "add", Aliases: []string{"a"}, Usage: "add a record", ArgsUsage: "NAME",
				Flags:  []helpcli.Flag{helpcli.StringFlag{Name: "id", Usage: "the record's id"}},
				Action: func(args []string) error { fmt.Println(record{ID: len(args), Name: fmt.Sprint(args)}); return nil }},
			{Name: "list", Usage: "list the records", Action: func([]string) error { fmt.Println("no records"); return nil }},
			{Name: "show", Usage: "show a record", ArgsUsage: "NAME", Action: show},
			{Name: "page", Usage: "print the records as a page", Action: page},
			{Name: "export", Usage: "export the records", Category: "data",
				Flags: []helpcli.Flag{helpcli.BoolFlag{Name: "json", Usage: "as JSON"}}},
			{Name: "import", Usage: "import records from a file written by export or by hand, one per line", Category: "data"},
			{Name: "debug", Usage: "debugging", Hidden: true},
		},
		Copyright: "(c) 2026 Example",
	}
	if err := app.Run(os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "tool:", err)
		os.Exit(1)
	}
}

// show prints a record with a template of the program's own: a second blocker, after helpcli's.
func show(args []string) error {
	t := template.Must(template.New("show").Parse("record {{.ID}}: {{.Name}}{{if not .Name}}(no name){{end}}\n"))
	r := record{ID: len(args)}
	if len(args) > 0 {
		r.Name = args[0]
	}
	return t.Execute(os.Stdout, r)
}

// page prints the records with example.com/pagelib, whose template is a third blocker.
func page(args []string) error {
	p := pagelib.Page{Title: "Records", Sections: []pagelib.Section{
		{Heading: "added", Lines: args},
		{Heading: "removed"},
	}}
	if len(args) > 1 {
		p.Footer = "more than one record"
	}
	text, err := pagelib.Render(p)
	if err != nil {
		return err
	}
	fmt.Print(text)
	return nil
}
