// Command app greets its arguments. Each commit of the fixture history
// (_history/, applied by tests/test_check.py) changes it one way.
package main

import (
	"flag"
	"fmt"

	"example.com/gate/internal/fetch"
	"example.com/gate/internal/greet"
	"example.com/gate/internal/model"
)

func main() {
	status := flag.String("status", "", "print the HTTP status of this URL")
	flag.Parse()
	if *status != "" {
		fmt.Println(fetch.Status(*status))
	}
	for _, name := range flag.Args() {
		fmt.Println(greet.Hello(model.Person{Name: name}))
	}
}
