// Command tiny prints the cloud region and partition the process runs in.
// It is the kind of helper binary that ends up in every container image,
// and it only needs cloud.Region.
package main

import (
	"fmt"

	"example.com/large/internal/cloud"
)

func main() {
	r := cloud.Region()
	fmt.Printf("region=%s partition=%s\n", r, cloud.Partition(r))
}
