package util

// Analyzer checks one Go source file and returns its findings.
type Analyzer func(filename, src string) ([]string, error)

// Analyzers holds the analyzers known by name. Heavy files register
// themselves here from init.
var Analyzers = map[string]Analyzer{}
