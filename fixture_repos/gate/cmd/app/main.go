// Command app greets its arguments. Each commit of the fixture history
// (_history/, applied by tests/test_check.py) changes it one way.
package main

import (
	"flag"
	"fmt"

	"example.com/gate/internal/greet"
	"example.com/gate/internal/model"
)

func main() {
	flag.Parse()
	for _, name := range flag.Args() {
		fmt.Println(greet.Hello(model.Person{Name: name}))
	}
}
