//go:build linux || darwin || freebsd

package plugload

import (
	"fmt"
	"plugin"
)

// Open loads the Go plugin at path and returns its exported "Source" symbol.
func Open(path string) (Source, error) {
	p, err := plugin.Open(path)
	if err != nil {
		return nil, err
	}
	sym, err := p.Lookup("Source")
	if err != nil {
		return nil, err
	}
	src, ok := sym.(Source)
	if !ok {
		return nil, fmt.Errorf("plugload: %s: Source has type %T", path, sym)
	}
	return src, nil
}
