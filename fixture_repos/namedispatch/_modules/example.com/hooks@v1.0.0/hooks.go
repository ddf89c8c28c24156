// Package hooks saves records and runs their lifecycle hooks, looked up by name as gorm v1 does
// ((*Scope).CallMethod -> callMethod -> reflect.Value.MethodByName(name)).
package hooks

import (
	"fmt"
	"reflect"
)

const afterSave = "AfterSave"

// Record is a value being saved or loaded, and what happened to it.
type Record struct {
	Value any
	Log   []string
}

// Save runs the BeforeSave and AfterSave hooks of the value around the save.
func (r *Record) Save() {
	r.CallMethod("BeforeSave")
	r.Log = append(r.Log, "saved")
	r.CallMethod(afterSave)
}

// Load runs the AfterFind hook.
func (r *Record) Load() {
	r.Log = append(r.Log, "loaded")
	r.CallMethod(`AfterFind`)
}

// CallMethod calls the value's method of that name; on each element of a slice.
func (r *Record) CallMethod(methodName string) {
	v := reflect.ValueOf(r.Value)
	if v.Kind() == reflect.Slice {
		for i := 0; i < v.Len(); i++ {
			r.callMethod(methodName, v.Index(i))
		}
		return
	}
	r.callMethod(methodName, v)
}

func (r *Record) callMethod(methodName string, reflectValue reflect.Value) {
	if reflectValue.CanAddr() && reflectValue.Kind() != reflect.Ptr {
		reflectValue = reflectValue.Addr()
	}
	if m := reflectValue.MethodByName(methodName); m.IsValid() {
		switch f := m.Interface().(type) {
		case func():
			f()
		case func() string:
			r.Log = append(r.Log, f())
		case func(*Record):
			f(r)
		default:
			r.Log = append(r.Log, fmt.Sprintf("unsupported hook %s", methodName))
		}
	}
}
