package backup

import (
	"context"
	"testing"
)

func TestOpenRejectsUnknownScheme(t *testing.T) {
	if _, err := Open(context.Background(), "ftp://host/x"); err == nil {
		t.Fatal("expected an error")
	}
}

func TestJoin(t *testing.T) {
	if got := join("", "a.json"); got != "a.json" {
		t.Fatalf("join = %q", got)
	}
	if got := join("snap/2024", "a.json"); got != "snap/2024/a.json" {
		t.Fatalf("join = %q", got)
	}
}
