package main

import (
	"slices"
	"testing"
)

func TestLengths(t *testing.T) {
	if got := lengths([]string{"a", "abc"}); !slices.Equal(got, []int{1, 3}) {
		t.Fatalf("lengths = %v", got)
	}
}
