// Package events dispatches named events to a handler's methods, looked up by name with reflect.
package events

import "reflect"

// Names of the events a bus fires.
const (
	Started = "OnStart"
	Stopped = "OnStop"
)

// Bus fires events at a handler.
type Bus struct{ Handler any }

// Start fires OnStart.
func (b Bus) Start() []reflect.Value { return b.fire(Started) }

// Stop fires OnStop.
func (b Bus) Stop() []reflect.Value { return b.fire(Stopped) }

// Tick fires OnTick.
func (b Bus) Tick() []reflect.Value { return b.fire("OnTick") }

func (b Bus) fire(event string) []reflect.Value {
	return call(reflect.ValueOf(b.Handler), event)
}

func call(v reflect.Value, name string) []reflect.Value {
	m := v.MethodByName(name)
	if !m.IsValid() {
		return nil
	}
	return m.Call(nil)
}
