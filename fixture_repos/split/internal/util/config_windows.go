package util

import (
	"os"
	"path/filepath"
)

// ConfigDir returns the directory where app keeps its configuration,
// under %APPDATA%.
func ConfigDir(app string) string {
	return filepath.Join(os.Getenv("APPDATA"), app)
}
