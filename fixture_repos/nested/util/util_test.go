package util

import "testing"

func TestGreeting(t *testing.T) {
	if got := Greeting(" "); got != "hello, world" {
		t.Fatalf("Greeting: %q", got)
	}
	if Handler() == nil {
		t.Fatal("no handler")
	}
}
