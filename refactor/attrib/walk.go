package main

// Walks of the model, served once it is answered (a reach request with "serve"): the estimator's
// ReachModel.walk (refactor/estimate.py) with the same rules, for the cuts the strategies price, at
// a fraction of its time in Python (15 ms a walk on restic's 35,000 nodes).
//
//	> {"variant": V, "cut": [node, ...], "stop": [node, ...], "severed": [from, to, ...]}   one request a line
//	< {"stopped": true} | {"unreached": [node, ...]}                                      one answer a line
//
// A walk goes from the variant's roots along its edges (but not the severed ones: code after a call
// that cannot return), and along an AND edge (of the variant) once both its ends are reached, never
// entering a cut node. It stops as soon as it reaches a stop node
// outside the cut; else the answer is the variant's present nodes (not absent) that are neither cut
// nor reached. The server ends at the end of its input, or after idle without a request.

import (
	"bufio"
	"encoding/json"
	"errors"
	"time"
)

var errBadWalk = errors.New("a walk request names a variant or a node the model does not have")

type walkRequest struct {
	Variant int     `json:"variant"`
	Cut     []int32 `json:"cut"`
	Stop    []int32 `json:"stop"`
	Severed []int32 `json:"severed"` // pairs: from, to
}

type walkAnswer struct {
	Stopped   bool    `json:"stopped,omitempty"`
	Unreached []int32 `json:"unreached,omitempty"`
}

// andPair: at one end of an AND edge, its other end and the node it reaches
type andPair struct{ other, to int32 }

type modelWalker struct {
	m      *reachModel
	pairs  [][][]andPair // per variant, per node (made on first use)
	absent [][]bool      // per variant
	seen   []uint8       // 0 not reached, 1 reached or cut, 2 a stop node not reached yet
	cut    []bool
	stack  []int32
}

func newModelWalker(m *reachModel) *modelWalker {
	n := len(m.Unit)
	return &modelWalker{m: m, pairs: make([][][]andPair, len(m.Graphs)), absent: make([][]bool, len(m.Graphs)),
		seen: make([]uint8, n), cut: make([]bool, n)}
}

func (w *modelWalker) variant(v int) ([][]andPair, []bool) {
	if w.pairs[v] == nil {
		n := len(w.m.Unit)
		pairs := make([][]andPair, n)
		bit := int32(1) << v
		a := w.m.Ands
		for i := 0; i+3 < len(a); i += 4 {
			if a[i+3]&bit != 0 {
				t, s, to := a[i], a[i+1], a[i+2]
				pairs[t] = append(pairs[t], andPair{s, to})
				pairs[s] = append(pairs[s], andPair{t, to})
			}
		}
		absent := make([]bool, n)
		for _, x := range w.m.Graphs[v].Absent {
			absent[x] = true
		}
		w.pairs[v], w.absent[v] = pairs, absent
	}
	return w.pairs[v], w.absent[v]
}

func (w *modelWalker) walk(req walkRequest) walkAnswer {
	g := w.m.Graphs[req.Variant]
	pairs, absent := w.variant(req.Variant)
	seen, cut := w.seen, w.cut
	for i := range seen {
		seen[i], cut[i] = 0, false
	}
	for _, c := range req.Cut {
		seen[c], cut[c] = 1, true
	}
	for _, f := range req.Stop {
		if !cut[f] {
			seen[f] = 2
		}
	}
	var severed map[[2]int32]bool
	for i := 0; i+1 < len(req.Severed); i += 2 {
		if severed == nil {
			severed = map[[2]int32]bool{}
		}
		severed[[2]int32{req.Severed[i], req.Severed[i+1]}] = true
	}
	stack := w.stack[:0]
	defer func() { w.stack = stack[:0] }()
	for _, r := range g.Roots {
		if cut[r] {
			continue
		}
		if seen[r] == 2 {
			return walkAnswer{Stopped: true}
		}
		if seen[r] == 0 {
			seen[r] = 1
			stack = append(stack, r)
		}
	}
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, x := range g.Succ[v] {
			if seen[x] != 1 {
				if severed != nil && severed[[2]int32{v, x}] {
					continue
				}
				if seen[x] == 2 {
					return walkAnswer{Stopped: true}
				}
				seen[x] = 1
				stack = append(stack, x)
			}
		}
		for _, p := range pairs[v] {
			if seen[p.other] == 1 && !cut[p.other] && seen[p.to] != 1 {
				if seen[p.to] == 2 {
					return walkAnswer{Stopped: true}
				}
				seen[p.to] = 1
				stack = append(stack, p.to)
			}
		}
	}
	out := walkAnswer{Unreached: []int32{}}
	for i, s := range seen {
		if s != 1 && !absent[i] {
			out.Unreached = append(out.Unreached, int32(i))
		}
	}
	return out
}

// serveWalks answers the walk requests of lines until they end, or until idle passes without one.
func serveWalks(m *reachModel, lines <-chan []byte, out *bufio.Writer, idle time.Duration) error {
	w := newModelWalker(m)
	enc := json.NewEncoder(out)
	for {
		var line []byte
		select {
		case l, ok := <-lines:
			if !ok {
				return nil
			}
			line = l
		case <-time.After(idle):
			return nil
		}
		var req walkRequest
		if err := json.Unmarshal(line, &req); err != nil {
			return err
		}
		if req.Variant < 0 || req.Variant >= len(m.Graphs) {
			return errBadWalk
		}
		for _, x := range append(append(req.Cut, req.Stop...), req.Severed...) {
			if x < 0 || int(x) >= len(m.Unit) {
				return errBadWalk
			}
		}
		if err := enc.Encode(w.walk(req)); err != nil {
			return err
		}
		if err := out.Flush(); err != nil {
			return err
		}
	}
}
