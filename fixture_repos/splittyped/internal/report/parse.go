package report

import (
	"go/parser"
	"go/token"
)

// Count parses the Go file at path and counts its top-level declarations.
func Count(path string) (Stats, error) {
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
	if err != nil {
		return Stats{}, err
	}
	return Stats{file: path, decls: len(f.Decls)}, nil
}
