package notify

import "testing"

func TestMessageString(t *testing.T) {
	m := Message{Title: "disk", Body: "  95%\n full "}
	if m.String() != "disk: 95% full" {
		t.Fatalf("String = %q", m.String())
	}
}
