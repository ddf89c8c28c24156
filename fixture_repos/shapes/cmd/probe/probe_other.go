//go:build !linux

package main

import (
	"errors"
	"time"
)

var errNoProbe = errors.New("probing needs Linux")

// probe is not available on this platform. (It has drifted from probe_linux.go: no timeout.)
func probe(url string) (string, error) {
	return "", errNoProbe
}

// probeAll is not available on this platform. (Its results drifted too.)
func probeAll(urls []string, timeout time.Duration) error {
	return errNoProbe
}
