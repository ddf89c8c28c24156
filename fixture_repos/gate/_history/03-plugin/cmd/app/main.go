// Command app greets its arguments. Each commit of the fixture history
// (_history/, applied by tests/test_check.py) changes it one way.
package main

import (
	"flag"
	"fmt"

	"example.com/gate/internal/ext"
	"example.com/gate/internal/greet"
	"example.com/gate/internal/model"
)

func main() {
	load := flag.String("plugin", "", "load this Go plugin first")
	flag.Parse()
	if *load != "" {
		fmt.Println(ext.Load(*load))
	}
	for _, name := range flag.Args() {
		fmt.Println(greet.Hello(model.Person{Name: name}))
	}
}
