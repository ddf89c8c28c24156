// Command lite prints a greeting and a word count. It only needs the
// light half of internal/util.
package main

import (
	"flag"
	"fmt"
	"os"

	"example.com/split/internal/util"
)

func main() {
	excited := flag.Bool("excited", false, "end the greeting with '!'")
	flag.Parse()

	name := flag.Arg(0)
	fmt.Println(util.Greeting(name, util.Options{Excited: *excited}))

	c := util.NewCounter()
	c.Add(flag.Args()...)
	fmt.Println(c)
	fmt.Println("longest argument:", util.Max(0, lengths(flag.Args())...))
	fmt.Fprintln(os.Stderr, "config:", util.ConfigDir("lite"))
}

// lengths returns the length of each argument.
func lengths(args []string) []int {
	out := make([]int, len(args))
	for i, a := range args {
		out[i] = len(a)
	}
	return out
}
