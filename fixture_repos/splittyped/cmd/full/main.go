// Command full uses the heavy half of each package of internal/.
package main

import (
	"fmt"
	"log"
	"os"

	"example.com/splittyped/internal/job"
	"example.com/splittyped/internal/report"
	"example.com/splittyped/internal/shape"
	"example.com/splittyped/internal/store"
)

func main() {
	if len(os.Args) < 3 {
		log.Fatal("usage: full URL FILE.go")
	}
	code, err := store.NewRemote(os.Args[1]).Status("health")
	fmt.Println(code, err)
	stats, err := report.Count(os.Args[2])
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(report.Title(), stats)
	j, err := job.FromXML([]byte("<job><title>t</title><seq>3</seq></job>"))
	fmt.Println(j.Name, j.ID(), err)
	fmt.Println(shape.Unit().Describe())
}
