package config

import (
	"strconv"
	"time"
)

// parseDuration accepts a Go duration ("15s") or a bare number of seconds
// ("15"), the form older agent configurations used.
func parseDuration(s string) (time.Duration, error) {
	if n, err := strconv.Atoi(s); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	return time.ParseDuration(s)
}
