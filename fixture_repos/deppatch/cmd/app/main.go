// Command app prints the documents named by its arguments (URLs).
package main

import (
	"fmt"
	"os"

	"example.com/fetchlib"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Println("schemes:", fetchlib.Schemes())
		return
	}
	for _, arg := range os.Args[1:] {
		data, err := fetchlib.Load(arg)
		if err != nil {
			fmt.Fprintln(os.Stderr, "app:", err)
			os.Exit(1)
		}
		fmt.Printf("%s: %d bytes\n", arg, len(data))
	}
}
