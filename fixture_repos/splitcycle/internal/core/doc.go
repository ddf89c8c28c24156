// Package core holds the service that cmd/server runs over HTTP, and the
// service's name, which cmd/lite prints. Name cannot be moved out of
// core: see the fixture's README for the cycle that would create.
package core
