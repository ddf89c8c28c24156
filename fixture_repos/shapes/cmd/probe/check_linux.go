package main

import (
	"fmt"
	"strings"
	"time"
)

// check probes url (or each of a comma-separated list) once, with a deadline.
func check(url string) error {
	if strings.Contains(url, ",") {
		statuses, err := probeAll(strings.Split(url, ","), 2*time.Second)
		fmt.Println("statuses:", statuses)
		return err
	}
	status, err := probe(url, 2*time.Second)
	if err != nil {
		return err
	}
	fmt.Println("status:", status)
	return nil
}
