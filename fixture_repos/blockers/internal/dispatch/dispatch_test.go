package dispatch

import (
	"testing"

	"example.com/blockers/internal/model"
)

func TestCall(t *testing.T) {
	got, err := Call(model.Item{Name: "A B", Count: 2, Price: 2}, "Slug")
	if err != nil || len(got) != 1 || got[0] != "a-b" {
		t.Fatalf("Call = %v, %v", got, err)
	}
	if _, err := Call(model.Item{}, "Missing"); err == nil {
		t.Fatal("want an error")
	}
}
