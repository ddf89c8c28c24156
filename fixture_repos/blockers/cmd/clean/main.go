// Command clean prints a summary of the sample inventory. Nothing it
// reaches disables method dead-code elimination, so unused exported
// methods such as model.Item.JSON and model.Item.Query are dropped.
package main

import (
	"fmt"
	"os"

	"example.com/blockers/internal/model"
)

// Summary totals a list of items.
type Summary struct {
	Items int
	Units int
	Value float64
}

// Add accounts for one item.
func (s *Summary) Add(it model.Item) {
	s.Items++
	s.Units += it.Count
	s.Value += it.Total()
}

// String formats the summary.
func (s *Summary) String() string {
	return fmt.Sprintf("%d items, %d units, %.2f total", s.Items, s.Units, s.Value)
}

// Reset is exported but never called.
func (s *Summary) Reset() { *s = Summary{} }

func main() {
	var s Summary
	for _, it := range model.Sample() {
		s.Add(it)
		fmt.Println(it)
	}
	fmt.Fprintln(os.Stdout, &s)
}
