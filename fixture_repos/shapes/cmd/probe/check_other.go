//go:build !linux

package main

import "errors"

func check(url string) error { return errors.New("probing needs Linux") }
