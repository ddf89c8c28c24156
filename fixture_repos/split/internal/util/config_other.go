//go:build !windows

package util

import (
	"os"
	"path/filepath"
)

// ConfigDir returns the directory where app keeps its configuration,
// following the XDG convention.
func ConfigDir(app string) string {
	base := os.Getenv("XDG_CONFIG_HOME")
	if base == "" {
		base = filepath.Join(os.Getenv("HOME"), ".config")
	}
	return filepath.Join(base, app)
}
