// Package report summarises Go files.
package report

// Title is the heading of every report.
func Title() string { return "declarations per file" }

// Stats counts the top-level declarations of one Go file.
type Stats struct {
	file  string
	decls int
}

// String formats the counts.
func (s Stats) String() string { return s.file + ": " + itoa(s.decls) }

// itoa formats a small non-negative number.
func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + itoa(n%10)
}
