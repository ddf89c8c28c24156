// Command app prints a report title. Its module (app/) and the library's
// (lib/) are tied by the repository's go.work: app's go.mod does not require
// example.com/wslib. It needs only the light half of report.
package main

import (
	"fmt"
	"os"

	"example.com/wslib/report"
)

func main() {
	fmt.Println(report.Title(os.Args[1:]...))
}
