// Command dispatch calls a method of each sample item chosen by name on
// the command line, e.g. "dispatch Slug".
// Blocker: reflect.Value.MethodByName with a non-constant name.
package main

import (
	"fmt"
	"log"
	"os"

	"example.com/blockers/internal/dispatch"
	"example.com/blockers/internal/model"
)

func main() {
	method := "String"
	if len(os.Args) > 1 {
		method = os.Args[1]
	}
	for _, it := range model.Sample() {
		out, err := dispatch.Call(it, method)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(out)
	}
}
