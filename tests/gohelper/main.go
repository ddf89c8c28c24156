// Command gohelper answers questions about Go source that the gotrim tests check against the Go toolchain.
//
//	gohelper parse          < paths   -> "path\tok" or "path\terror: ..." (go/parser)
//	gohelper match          < path\ttag,tag lines -> "path\ttrue|false" (go/build MatchFile)
//	gohelper refs PKG...    -> one JSON object per top-level declaration: the package-level objects it uses
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/build"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: gohelper parse|match|refs")
		os.Exit(2)
	}
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	switch os.Args[1] {
	case "parse":
		fset := token.NewFileSet()
		in := bufio.NewScanner(os.Stdin)
		for in.Scan() {
			path := in.Text()
			_, err := parser.ParseFile(fset, path, nil, parser.ParseComments|parser.SkipObjectResolution)
			if err != nil {
				fmt.Fprintf(out, "%s\terror: %s\n", path, strings.ReplaceAll(err.Error(), "\n", " "))
			} else {
				fmt.Fprintf(out, "%s\tok\n", path)
			}
		}
	case "match":
		in := bufio.NewScanner(os.Stdin)
		for in.Scan() {
			path, tags, _ := strings.Cut(in.Text(), "\t")
			ctx := build.Default
			ctx.BuildTags = nil
			if tags != "" {
				ctx.BuildTags = strings.Split(tags, ",")
			}
			ok, err := ctx.MatchFile(filepath.Dir(path), filepath.Base(path))
			if err != nil {
				fmt.Fprintf(out, "%s\terror: %v\n", path, err)
				continue
			}
			fmt.Fprintf(out, "%s\t%v\n", path, ok)
		}
	case "refs":
		fset := token.NewFileSet()
		imp := importer.ForCompiler(fset, "source", nil)
		enc := json.NewEncoder(out)
		for _, path := range os.Args[2:] {
			if err := refs(fset, imp, path, enc); err != nil {
				fmt.Fprintf(os.Stderr, "%s: %v\n", path, err)
				os.Exit(1)
			}
		}
	}
}

type declUses struct {
	Pkg      string      `json:"pkg"`
	File     string      `json:"file"`
	Key      string      `json:"key"`
	Same     []string    `json:"same"`
	Imported [][2]string `json:"imported"`
}

func refs(fset *token.FileSet, imp types.Importer, path string, enc *json.Encoder) error {
	bp, err := build.Import(path, "", 0)
	if err != nil {
		return err
	}
	var files []*ast.File
	var names []string
	for _, name := range bp.GoFiles {
		full := filepath.Join(bp.Dir, name)
		f, err := parser.ParseFile(fset, full, nil, parser.ParseComments)
		if err != nil {
			return err
		}
		files = append(files, f)
		names = append(names, full)
	}
	info := &types.Info{Uses: map[*ast.Ident]types.Object{}}
	conf := types.Config{Importer: imp, Error: func(error) {}}
	pkg, _ := conf.Check(path, fset, files, info)
	if pkg == nil {
		return fmt.Errorf("type check failed")
	}
	emit := func(file, key string, nodes ...ast.Node) error {
		same := map[string]bool{}
		imported := map[[2]string]bool{}
		for _, n := range nodes {
			ast.Inspect(n, func(n ast.Node) bool {
				id, ok := n.(*ast.Ident)
				if !ok {
					return true
				}
				obj := info.Uses[id]
				if obj == nil || obj.Pkg() == nil || obj.Parent() != obj.Pkg().Scope() {
					return true
				}
				if obj.Pkg() == pkg {
					same[obj.Name()] = true
				} else {
					imported[[2]string{obj.Pkg().Path(), obj.Name()}] = true
				}
				return true
			})
		}
		d := declUses{Pkg: path, File: file, Key: key, Same: []string{}, Imported: [][2]string{}}
		for n := range same {
			d.Same = append(d.Same, n)
		}
		for n := range imported {
			d.Imported = append(d.Imported, n)
		}
		return enc.Encode(d)
	}
	for i, f := range files {
		for _, decl := range f.Decls {
			switch decl := decl.(type) {
			case *ast.FuncDecl:
				name := decl.Name.Name
				if name == "init" || name == "_" {
					continue
				}
				key := name
				if decl.Recv != nil && len(decl.Recv.List) == 1 {
					key = recvName(decl.Recv.List[0].Type) + "." + name
				}
				nodes := []ast.Node{decl.Type}
				if decl.Recv != nil {
					nodes = append(nodes, decl.Recv)
				}
				if decl.Body != nil {
					nodes = append(nodes, decl.Body)
				}
				if err := emit(names[i], key, nodes...); err != nil {
					return err
				}
			case *ast.GenDecl:
				for _, spec := range decl.Specs {
					switch spec := spec.(type) {
					case *ast.TypeSpec:
						if spec.Name.Name == "_" {
							continue
						}
						nodes := []ast.Node{spec.Type}
						if spec.TypeParams != nil {
							nodes = append(nodes, spec.TypeParams)
						}
						if err := emit(names[i], spec.Name.Name, nodes...); err != nil {
							return err
						}
					case *ast.ValueSpec:
						var nodes []ast.Node
						if spec.Type != nil {
							nodes = append(nodes, spec.Type)
						}
						for _, v := range spec.Values {
							nodes = append(nodes, v)
						}
						for _, n := range spec.Names {
							if n.Name == "_" {
								continue
							}
							if err := emit(names[i], n.Name, nodes...); err != nil {
								return err
							}
						}
					}
				}
			}
		}
	}
	return nil
}

func recvName(e ast.Expr) string {
	for {
		switch x := e.(type) {
		case *ast.StarExpr:
			e = x.X
		case *ast.ParenExpr:
			e = x.X
		case *ast.IndexExpr:
			e = x.X
		case *ast.IndexListExpr:
			e = x.X
		case *ast.Ident:
			return x.Name
		default:
			return ""
		}
	}
}
