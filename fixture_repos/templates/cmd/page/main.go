// Command page renders HTML with html/template from embedded files: text and quoted attributes.
package main

import (
	"embed"
	"html/template"
	"log"
	"os"
)

//go:embed pages/*.html
var pages embed.FS

type link struct {
	Title, Class string
	Count        int
}

type page struct {
	Title   string
	Heading string
	Links   []link
	Note    string
}

func main() {
	t := template.Must(template.ParseFS(pages, "pages/*.html"))
	p := page{
		Title:   "Tom & Jerry's <page>",
		Heading: `"quoted" heading`,
		Links:   []link{{Title: "a < b", Class: "first", Count: 2}, {Title: "plain", Count: 0}},
		Note:    "a+b=c",
	}
	if err := t.ExecuteTemplate(os.Stdout, "page.html", p); err != nil {
		log.Fatal(err)
	}
}
