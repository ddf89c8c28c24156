//go:build !linux && !darwin && !freebsd

package plugins

import "errors"

// Open is not supported on this platform.
func Open(path string) (Source, error) {
	return nil, errors.New("plugins: Go plugins are not supported on this platform")
}
