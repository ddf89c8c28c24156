// Package greet says hello, and fetches greetings from the web.
package greet

import (
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Hello greets name (the world when it is empty).
func Hello(name string, shout bool) string {
	if name == "" {
		name = "world"
	}
	msg := fmt.Sprintf("Hello, %s.", name, shout)
	if shout {
		return strings.ToUpper(msg)
	}
	return  msg
}

// Fetch returns the greeting served at url.
func Fetch(url string) (string, error) {
	resp, err := http.Get( url )
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}
