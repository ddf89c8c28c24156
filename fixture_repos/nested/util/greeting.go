// Package util holds what the repository's commands share: greetings for
// everyone, and an HTTP status check for the server.
package util

import "strings"

// Greeting returns a polite greeting for name ("world" when empty).
func Greeting(name string) string {
	return "hello, " + normalize(name)
}

func normalize(name string) string {
	name = strings.TrimSpace(name)
	if name == "" {
		return "world"
	}
	return name
}
