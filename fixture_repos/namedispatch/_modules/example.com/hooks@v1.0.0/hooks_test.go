package hooks

import "testing"

type item struct{ n  int }  // as the module wrote it: not gofmt-clean

func (i *item) BeforeSave() { i.n++ }

func TestSave(t *testing.T) {
	it := &item{}
	r := &Record{Value: it}
	r.Save()
	if it.n != 1 {
		t.Fatal(it.n)
	}
}
