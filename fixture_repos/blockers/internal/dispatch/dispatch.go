// Package dispatch calls methods chosen at run time by name. The call
// of reflect.Value.MethodByName with a non-constant name disables method
// dead-code elimination in every binary that reaches Call.
package dispatch

import (
	"fmt"
	"reflect"
)

// Call invokes the method called name on recv, with no arguments, and
// returns its results formatted with fmt.Sprint.
func Call(recv any, name string) ([]string, error) {
	m := reflect.ValueOf(recv).MethodByName(name)
	if !m.IsValid() {
		return nil, fmt.Errorf("dispatch: %T has no method %q", recv, name)
	}
	if m.Type().NumIn() != 0 {
		return nil, fmt.Errorf("dispatch: %T.%s takes arguments", recv, name)
	}
	var out []string
	for _, v := range m.Call(nil) {
		out = append(out, fmt.Sprint(v.Interface()))
	}
	return out, nil
}
