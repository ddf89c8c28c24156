// Package ext loads Go plugins: it links the standard plugin package.
package ext

import "plugin"

// Load opens a plugin and says what happened.
func Load(path string) string {
	if _, err := plugin.Open(path); err != nil {
		return err.Error()
	}
	return "loaded " + path
}
