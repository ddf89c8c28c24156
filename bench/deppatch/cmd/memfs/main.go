// Command memfs builds a small tree in memory with afero and prints it: a program that uses a library
// whose optional HTTP adapter (afero's httpFs.go) brings net/http into every build.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/afero"
)

func main() {
	fs := afero.NewMemMapFs()
	for _, name := range []string{"a/b/c.txt", "a/d.txt", "e.txt"} {
		if err := afero.WriteFile(fs, name, []byte("content of "+name), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "memfs:", err)
			os.Exit(1)
		}
	}
	err := afero.Walk(fs, "", func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if !info.IsDir() {
			data, _ := afero.ReadFile(fs, path)
			fmt.Printf("%s\t%d\t%s\n", filepath.ToSlash(path), info.Size(), data)
		}
		return nil
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "memfs:", err)
		os.Exit(1)
	}
}
