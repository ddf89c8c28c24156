// Command deployer prints the release plan; with -push it also deploys it.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
)

func main() {
	push := flag.String("push", "", "base URL to push the release to")
	flag.Parse()
	names := flag.Args()
	if len(names) == 0 {
		names = []string{"staging"}
	}
	fmt.Println("plan:", strings.Join(names, ", "))
	if *push != "" {
		if err := pushAll(*push, names); err != nil {
			fmt.Fprintln(os.Stderr, "deployer:", err)
			os.Exit(1)
		}
	}
}
