// Package fetchlib loads documents by URL: file: always, http: and https: over the network.
package fetchlib

import (
	"fmt"
	"net/url"
	"os"
	"sort"
)

var loaders = map[string]func(u *url.URL) ([]byte, error){
	"file": loadFile,
}

// Load reads the document at rawURL.
func Load(rawURL string) ([]byte, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	load, ok := loaders[u.Scheme]
	if !ok {
		return nil, fmt.Errorf("fetchlib: no loader for scheme %q", u.Scheme)
	}
	return load(u)
}

// Schemes lists the schemes Load knows.
func Schemes() []string {
	var out []string
	for s := range loaders {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

func loadFile(u *url.URL) ([]byte, error) { return os.ReadFile(u.Path) }
