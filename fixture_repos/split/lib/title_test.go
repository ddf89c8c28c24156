package splitlib

import "testing"

func TestTitle(t *testing.T) {
	if got := Title("hello  go world"); got != "Hello Go World" {
		t.Fatalf("Title = %q", got)
	}
}
