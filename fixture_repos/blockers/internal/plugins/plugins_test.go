package plugins

import "testing"

func TestBuiltin(t *testing.T) {
	if len(Builtin().Items()) == 0 {
		t.Fatal("no items")
	}
	if _, err := Open("/nonexistent/plugin.so"); err == nil {
		t.Fatal("want an error")
	}
}
