// Command svc runs the service loop (and fetches its greeting).
package main

import (
	"fmt"

	"example.com/headfail/internal/greet"
	"example.com/headfail/internal/winsvc"
)

func main() {
	s, err := greet.Fetch("http://localhost:8080/")
	fmt.Println(s, err)
	stop := make(chan struct{})
	close(stop)
	winsvc.Run(stop)
}
