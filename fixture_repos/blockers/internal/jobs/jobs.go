// Package jobs runs values that have a Run method. It finds Run with
// reflect.Value.MethodByName and a constant name, which the linker
// handles precisely: only methods named Run are kept, so method
// dead-code elimination stays on.
package jobs

import (
	"fmt"
	"reflect"
)

// RunAll calls the Run method of every job that has one and returns the
// number of jobs run.
func RunAll(jobs ...any) (int, error) {
	n := 0
	for _, j := range jobs {
		m := reflect.ValueOf(j).MethodByName("Run")
		if !m.IsValid() {
			return n, fmt.Errorf("jobs: %T has no Run method", j)
		}
		m.Call(nil)
		n++
	}
	return n, nil
}
