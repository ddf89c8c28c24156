package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// root 0 -> 1 -> 2 (stop), 0 -> 3; AND edge: 4 is reached once 1 and 3 both are (variant 0 only);
// node 5 is absent (unreached in the binary)
func walkModel() *reachModel {
	succ := [][]int32{{1, 3}, {2}, {}, {}, {}, {}}
	return &reachModel{Unit: make([]int32, 6), Ands: []int32{1, 3, 4, 1},
		Graphs: []vgraph{{Succ: succ, Roots: []int32{0}, Absent: []int32{5}},
			{Succ: succ, Roots: []int32{0}, Absent: []int32{4, 5}}}}
}

func TestWalksFollowEdgesAndAndEdgesAndStop(t *testing.T) {
	w := newModelWalker(walkModel())
	cases := []struct {
		req  walkRequest
		want walkAnswer
	}{
		{walkRequest{}, walkAnswer{Unreached: []int32{}}},
		{walkRequest{Cut: []int32{3}}, walkAnswer{Unreached: []int32{4}}}, // the AND edge needs both ends
		{walkRequest{Cut: []int32{1}}, walkAnswer{Unreached: []int32{2, 4}}},
		{walkRequest{Variant: 1}, walkAnswer{Unreached: []int32{}}}, // no AND edge in variant 1: 4 absent
		{walkRequest{Stop: []int32{2}}, walkAnswer{Stopped: true}},
		{walkRequest{Cut: []int32{1}, Stop: []int32{2}}, walkAnswer{Unreached: []int32{2, 4}}},
		{walkRequest{Cut: []int32{2}, Stop: []int32{2}}, walkAnswer{Unreached: []int32{}}}, // a stop node cut
		// a severed edge: 1 no longer leads to 2; 0 -> 3 severed takes the AND edge's end away too
		{walkRequest{Severed: []int32{1, 2}}, walkAnswer{Unreached: []int32{2}}},
		{walkRequest{Severed: []int32{0, 3}}, walkAnswer{Unreached: []int32{3, 4}}},
		{walkRequest{Severed: []int32{1, 2}, Stop: []int32{2}}, walkAnswer{Unreached: []int32{2}}},
	}
	for _, c := range cases {
		if got := w.walk(c.req); !reflect.DeepEqual(got, c.want) {
			t.Errorf("walk(%+v) = %+v, want %+v", c.req, got, c.want)
		}
	}
}

func TestServedWalksEndWithTheirInputAndRefuseUnknownNodes(t *testing.T) {
	lines := make(chan []byte, 2)
	lines <- []byte(`{"variant": 0, "cut": [1]}`)
	close(lines)
	var out bytes.Buffer
	if err := serveWalks(walkModel(), lines, bufio.NewWriter(&out), time.Minute); err != nil {
		t.Fatal(err)
	}
	var got walkAnswer
	if err := json.Unmarshal(out.Bytes(), &got); err != nil || !reflect.DeepEqual(got.Unreached, []int32{2, 4}) {
		t.Fatalf("answer %q (%v)", out.String(), err)
	}
	bad := make(chan []byte, 1)
	bad <- []byte(`{"variant": 0, "cut": [99]}`)
	if err := serveWalks(walkModel(), bad, bufio.NewWriter(&out), time.Minute); err != errBadWalk {
		t.Fatalf("a node the model lacks: %v", err)
	}
	idle := make(chan []byte)
	if err := serveWalks(walkModel(), idle, bufio.NewWriter(&out), 10*time.Millisecond); err != nil {
		t.Fatalf("idle: %v", err)
	}
}
