// Command lite uses the light half of each package of internal/.
package main

import (
	"fmt"
	"os"

	"example.com/splittyped/internal/job"
	"example.com/splittyped/internal/report"
	"example.com/splittyped/internal/shape"
	"example.com/splittyped/internal/store"
)

func main() {
	c := store.NewCache("lite")
	for _, a := range os.Args[1:] {
		c.Put(a, job.Named(a).Name)
	}
	v, _ := c.Get("x")
	fmt.Println(report.Title(), v, job.Named("x").ID())
	if len(os.Args) > 5 {
		fmt.Println(shape.Unit().Describe())
	}
}
