package main

import "testing"

func TestHostname(t *testing.T) {
	if hostname() == "" {
		t.Fatal("empty hostname")
	}
}
