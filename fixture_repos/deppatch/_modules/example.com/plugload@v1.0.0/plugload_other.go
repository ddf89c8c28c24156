//go:build !linux && !darwin && !freebsd

package plugload

import "errors"

// Open is not supported on this platform.
func Open(path string) (Source, error) {
	return nil, errors.New("plugload: Go plugins are not supported on this platform")
}
