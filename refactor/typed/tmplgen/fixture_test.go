package tmplgen

import (
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// fixtureCase is one command of fixture_repos/templates rewritten with the generated code, the way
// the DCE strategy will do it.
type fixtureCase struct {
	cmd, data, entry string
	html             bool
	texts            func(t *testing.T, dir string, f *ast.File) []Text
	rewrite          func(src string, f *ast.File, fset *token.FileSet) string
}

var fixtureCases = []fixtureCase{
	{
		// A template built inside a function from a literal.
		cmd: "usage", data: "usageData",
		texts: func(t *testing.T, dir string, f *ast.File) []Text {
			var text string
			ast.Inspect(f, func(n ast.Node) bool {
				if c, ok := n.(*ast.CallExpr); ok {
					if sel, ok := c.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Parse" && len(c.Args) == 1 {
						if lit, ok := c.Args[0].(*ast.BasicLit); ok {
							text, _ = strconv.Unquote(lit.Value)
						}
					}
				}
				return true
			})
			return []Text{{Name: "usage", Text: text}}
		},
		rewrite: func(src string, f *ast.File, fset *token.FileSet) string {
			var body *ast.BlockStmt
			for _, d := range f.Decls {
				if fd, ok := d.(*ast.FuncDecl); ok && fd.Name.Name == "usage" {
					body = fd.Body
				}
			}
			out := src[:fset.Position(body.Lbrace).Offset] + "{\n\treturn renderGen(w, d)\n}" + src[fset.Position(body.Rbrace).Offset+1:]
			return strings.Replace(out, "\t\"text/template\"\n", "", 1)
		},
	},
	{
		// html/template from embedded files (ParseFS names them by base name, in glob order).
		cmd: "page", data: "page", entry: "page.html", html: true,
		texts: func(t *testing.T, dir string, f *ast.File) []Text {
			matches, err := filepath.Glob(filepath.Join(dir, "cmd", "page", "pages", "*.html"))
			if err != nil || len(matches) == 0 {
				t.Fatalf("pages: %v", err)
			}
			var texts []Text
			for _, m := range matches {
				data, err := os.ReadFile(m)
				if err != nil {
					t.Fatal(err)
				}
				texts = append(texts, Text{Name: filepath.Base(m), Text: string(data)})
			}
			return texts
		},
		rewrite: func(src string, f *ast.File, fset *token.FileSet) string {
			for _, r := range [][2]string{
				{"\t\"embed\"\n", ""}, {"\t\"html/template\"\n", ""},
				{"//go:embed pages/*.html\nvar pages embed.FS\n", ""},
				{"\tt := template.Must(template.ParseFS(pages, \"pages/*.html\"))\n", ""},
				{"t.ExecuteTemplate(os.Stdout, \"page.html\", p)", "renderGen(os.Stdout, p)"},
			} {
				if !strings.Contains(src, r[0]) {
					panic("fixture changed: " + r[0])
				}
				src = strings.Replace(src, r[0], r[1], 1)
			}
			return src
		},
	},
}

// TestFixtureCommands rewrites commands of fixture_repos/templates with the generated code: the
// program's output is unchanged, the linker no longer sees a reflect method call, the binary shrinks.
func TestFixtureCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the fixture")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("needs the go command")
	}
	src := filepath.Join("..", "..", "..", "fixture_repos", "templates")
	dir := t.TempDir()
	if err := copyDir(src, dir); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		cmd := exec.Command("go", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=", "GOWORK=off")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	type build struct {
		size    int64
		reflect bool
		outputs []string
	}
	for _, fc := range fixtureCases {
		t.Run(fc.cmd, func(t *testing.T) {
			measure := func(name string) build {
				exe := filepath.Join(dir, fc.cmd+"-"+name)
				dump := run("build", "-ldflags=-dumpdep", "-o", exe, "./cmd/"+fc.cmd)
				run("build", "-o", exe, "./cmd/"+fc.cmd)
				st, err := os.Stat(exe)
				if err != nil {
					t.Fatal(err)
				}
				b := build{size: st.Size(), reflect: strings.Contains(dump, "<ReflectMethod>")}
				for _, args := range [][]string{nil, {"-debug"}} {
					out, err := exec.Command(exe, args...).CombinedOutput()
					if err != nil {
						t.Fatalf("%s: %v\n%s", name, err, out)
					}
					b.outputs = append(b.outputs, string(out))
				}
				return b
			}
			mainGo := filepath.Join(dir, "cmd", fc.cmd, "main.go")
			code, err := os.ReadFile(mainGo)
			if err != nil {
				t.Fatal(err)
			}
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, mainGo, code, parser.ParseComments)
			if err != nil {
				t.Fatal(err)
			}
			pkg, err := (&types.Config{Importer: importer.Default()}).Check("example.com/templates/cmd/"+fc.cmd, fset, []*ast.File{f}, nil)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Generate(Request{Texts: fc.texts(t, dir, f), Entry: fc.entry, HTML: fc.html,
				Data: pkg.Scope().Lookup(fc.data).Type(), Pkg: pkg, FuncName: "renderGen"})
			if err != nil {
				t.Fatal(err)
			}
			gen, err := res.File("main")
			if err != nil {
				t.Fatal(err)
			}
			before := measure("before")
			if err := os.WriteFile(mainGo, []byte(fc.rewrite(string(code), f, fset)), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "cmd", fc.cmd, "template_gen.go"), gen, 0o644); err != nil {
				t.Fatal(err)
			}
			run("vet", "./cmd/"+fc.cmd)
			after := measure("after")
			if !before.reflect || after.reflect {
				t.Errorf("reflect method call before %v, after %v; want true then false", before.reflect, after.reflect)
			}
			for i := range before.outputs {
				if before.outputs[i] != after.outputs[i] {
					t.Errorf("output %d differs:\n%s\n---\n%s", i, before.outputs[i], after.outputs[i])
				}
			}
			if after.size >= before.size {
				t.Errorf("binary did not shrink: %d -> %d", before.size, after.size)
			}
			t.Logf("cmd/%s: %d -> %d bytes (%.1f%%), method DCE on", fc.cmd, before.size, after.size,
				100*float64(after.size-before.size)/float64(before.size))
		})
	}
}

func copyDir(src, dst string) error {
	return filepath.Walk(src, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
}
