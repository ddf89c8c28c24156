package render

import (
	"strings"
	"testing"

	"example.com/blockers/internal/model"
)

func TestItems(t *testing.T) {
	var sb strings.Builder
	if err := Items(&sb, model.Sample()); err != nil {
		t.Fatal(err)
	}
	if sb.String() != "Blue Widget: 3\nRed Gadget: 1\n" {
		t.Fatalf("got %q", sb.String())
	}
}
