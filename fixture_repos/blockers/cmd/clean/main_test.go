package main

import (
	"testing"

	"example.com/blockers/internal/model"
)

func TestSummary(t *testing.T) {
	var s Summary
	s.Add(model.Item{Name: "x", Count: 2, Price: 1.5})
	if s.String() != "1 items, 2 units, 3.00 total" {
		t.Fatalf("String = %q", s.String())
	}
	s.Reset()
	if s.Items != 0 {
		t.Fatal("Reset")
	}
}
