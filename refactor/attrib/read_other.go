//go:build !unix

package main

import "os"

func readFile(path string, _ bool) ([]byte, error) { return os.ReadFile(path) }
