package util

import (
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"sort"
)

func init() {
	// Side effect: make the type checker available by name.
	Analyzers["types"] = func(filename, src string) ([]string, error) {
		return NewChecker().Check(filename, src)
	}
}

// Checker type-checks single Go files against the installed standard
// library.
type Checker struct {
	fset *token.FileSet
	conf types.Config
}

// NewChecker returns a Checker that imports packages from source.
func NewChecker() *Checker {
	fset := token.NewFileSet()
	return &Checker{
		fset: fset,
		conf: types.Config{Importer: importer.ForCompiler(fset, "source", nil)},
	}
}

// Check type-checks src and returns "name: type" for each package-level
// object, sorted by name.
func (c *Checker) Check(filename, src string) ([]string, error) {
	f, err := parser.ParseFile(c.fset, filename, src, 0)
	if err != nil {
		return nil, err
	}
	pkg, err := c.conf.Check(f.Name.Name, c.fset, []*ast.File{f}, nil)
	if err != nil {
		return nil, err
	}
	return describe(pkg.Scope()), nil
}

// describe lists the objects of scope as "name: type".
func describe(scope *types.Scope) []string {
	var out []string
	for _, name := range scope.Names() {
		out = append(out, fmt.Sprintf("%s: %s", name, scope.Lookup(name).Type()))
	}
	sort.Strings(out)
	return out
}
