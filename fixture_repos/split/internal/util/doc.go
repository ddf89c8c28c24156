// Package util collects helpers shared by the split fixture's commands.
//
// It mixes two very different halves: light helpers (greetings,
// counters, configuration paths, a generic Max) that cmd/lite uses, and
// heavy ones that type-check Go source with go/types and go/importer or
// talk HTTP with net/http, which only cmd/full needs. Because cmd/lite
// imports the package for its light half, it links the heavy half's
// dependencies too.
package util
