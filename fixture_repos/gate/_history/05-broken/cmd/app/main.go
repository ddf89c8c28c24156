// Command app does not compile at this commit.
package main

func main() {
	undefinedFunction()
}
