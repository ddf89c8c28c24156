package reg

import "testing"

func TestDefaultRegistered(t *testing.T) {
	if n := Names(); len(n) != 1 || n[0] != "splitcycle/1.4.2" {
		t.Fatalf("Names = %v", n)
	}
}
