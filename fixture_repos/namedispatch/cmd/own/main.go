// Command own fires events at a handler through the module's own internal/events, which looks the
// handler's methods up by name with reflect: the linker's method dead-code elimination is off.
package main

import (
	"encoding/json"
	"fmt"
	"reflect"

	"example.com/namedispatch/internal/events"
)

type handler struct{ name string }

// OnStart handles the start event.
func (h *handler) OnStart() string { return h.name + " started" }

// OnStop handles the stop event.
func (h *handler) OnStop() string { return h.name + " stopped" }

// JSON is never called by the program: without method DCE it stays, with encoding/json.
func (h *handler) JSON() string {
	b, _ := json.Marshal(map[string]string{"name": h.name})
	return string(b)
}

func main() {
	bus := events.Bus{Handler: &handler{name: "svc"}}
	for _, results := range [][]reflect.Value{bus.Start(), bus.Tick(), bus.Stop()} {
		fmt.Println(len(results), texts(results))
	}
}

func texts(vs []reflect.Value) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.String())
	}
	return out
}
