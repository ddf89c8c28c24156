// Command app greets its argument. It needs only the light half of
// internal/greet, which also fetches pages with net/http.
package main

import (
	"flag"
	"fmt"

	"example.com/headfail/internal/greet"
)

func main() {
	shout := flag.Bool("shout", false, "greet loudly")
	flag.Parse()
	fmt.Println(greet.Hello(flag.Arg(0), *shout))
}
