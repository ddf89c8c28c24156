package model

import "testing"

func TestItem(t *testing.T) {
	it := Item{Name: "Blue  Widget", Count: 2, Price: 1.5}
	if it.Total() != 3 || it.Slug() != "blue-widget" || it.String() != "Blue  Widget x2" {
		t.Fatalf("got %v %q %q", it.Total(), it.Slug(), it.String())
	}
	if it.Query() != "count=2&name=Blue++Widget" {
		t.Fatalf("Query = %q", it.Query())
	}
	if _, err := it.JSON(); err != nil {
		t.Fatal(err)
	}
}
