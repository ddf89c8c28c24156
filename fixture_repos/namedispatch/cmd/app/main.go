// Command app saves and loads a few products through example.com/hooks (a module from the proxy),
// which runs their hooks by name with reflect.Value.MethodByName(name): the linker's method dead-code
// elimination is off, and every exported method of Product stays in the binary, with what it calls
// (encoding/xml, net/url, text/tabwriter).
package main

import (
	"encoding/xml"
	"fmt"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"

	"example.com/hooks"
)

// Product is saved and loaded; its hooks are called by name.
type Product struct {
	Code  string `xml:"code,attr"`
	Price int    `xml:"price"`
	saved bool
}

// BeforeSave normalises the code.
func (p *Product) BeforeSave() { p.Code = strings.ToUpper(p.Code) }

// AfterSave reports the save.
func (p *Product) AfterSave() string {
	p.saved = true
	return "after save " + p.Code
}

// AfterFind reports the load.
func (p *Product) AfterFind(r *hooks.Record) { r.Log = append(r.Log, "found "+p.Code) }

// XML is never called by the program: without method DCE it stays, with encoding/xml.
func (p *Product) XML() string {
	b, err := xml.MarshalIndent(p, "", "  ")
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// Link is never called by the program either.
func (p *Product) Link(base string) string {
	u, err := url.Parse(base)
	if err != nil {
		return err.Error()
	}
	return u.JoinPath("products", url.PathEscape(p.Code)).String()
}

// Table is never called by the program either.
func (p *Product) Table() string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 8, 1, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "%s\t%d\t\n", p.Code, p.Price)
	w.Flush()
	return b.String()
}

func main() {
	products := []Product{{Code: "ab-1", Price: 3}, {Code: "cd-2", Price: 5}}
	if len(os.Args) > 1 {
		products = append(products, Product{Code: os.Args[1], Price: len(os.Args[1])})
	}
	all := &hooks.Record{Value: products}
	all.Save()
	all.Load()
	one := &hooks.Record{Value: &Product{Code: "ef-3"}}
	one.Save()
	for _, line := range append(all.Log, one.Log...) {
		fmt.Println(line)
	}
	for _, p := range products {
		fmt.Printf("%s %d saved=%v\n", p.Code, p.Price, p.saved)
	}
}
