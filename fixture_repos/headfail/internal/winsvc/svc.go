// Package winsvc runs the service loop. Its Windows file refers to a
// function that no longer exists: it does not compile for windows.
package winsvc

// Run runs the service until stop is closed.
func Run(stop <-chan struct{}) { <-stop }
