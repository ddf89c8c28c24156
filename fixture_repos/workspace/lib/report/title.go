// Package report titles and serves reports.
package report

import "strings"

// Title joins words into a report title ("Report" when there are none).
func Title(words ...string) string {
	if len(words) == 0 {
		return "Report"
	}
	return strings.Join(words, " ")
}
