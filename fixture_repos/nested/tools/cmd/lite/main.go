// Command lite prints a greeting. It lives in its own module (tools/) and
// uses the repository's root module through `replace => ../`; it needs only
// the light half of util.
package main

import (
	"flag"
	"fmt"

	"example.com/nested/util"
)

func main() {
	flag.Parse()
	fmt.Println(util.Greeting(flag.Arg(0)))
}
