package jobs

import "testing"

type counter struct{ n *int }

func (c counter) Run() { *c.n++ }

func TestRunAll(t *testing.T) {
	n := 0
	if got, err := RunAll(counter{&n}, counter{&n}); err != nil || got != 2 || n != 2 {
		t.Fatalf("RunAll = %d, %v (n=%d)", got, err, n)
	}
	if _, err := RunAll(42); err == nil {
		t.Fatal("want an error")
	}
}
