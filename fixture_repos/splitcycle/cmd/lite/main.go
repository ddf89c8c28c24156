// Command lite prints the service banner. It only calls core.Name, yet
// links net/http through core.
package main

import (
	"fmt"

	"example.com/splitcycle/internal/core"
)

func main() {
	fmt.Println(core.Name())
}
