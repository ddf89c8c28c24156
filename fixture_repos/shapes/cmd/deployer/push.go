package main

import (
	"fmt"

	"example.com/shapes/internal/deploy"
)

// pushAll deploys the release to every named target under base.
func pushAll(base string, names []string) error {
	for _, n := range names {
		t := deploy.Target{Name: n, URL: base + "/" + n}
		if err := deploy.Push(t, []byte("release")); err != nil {
			return err
		}
		fmt.Println("pushed", n)
	}
	return nil
}
