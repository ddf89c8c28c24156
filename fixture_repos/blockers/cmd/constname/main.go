// Command constname runs a few jobs through jobs.RunAll, which looks up
// the method "Run" by a constant name. Not a blocker.
package main

import (
	"fmt"
	"log"

	"example.com/blockers/internal/jobs"
	"example.com/blockers/internal/model"
)

// printJob prints one item.
type printJob struct{ item model.Item }

// Run prints the item.
func (p printJob) Run() { fmt.Println(p.item) }

// Describe is exported but never called: method DCE removes it.
func (p printJob) Describe() string { return p.item.Query() }

func main() {
	var js []any
	for _, it := range model.Sample() {
		js = append(js, printJob{it})
	}
	n, err := jobs.RunAll(js...)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(n, "jobs")
}
