// Command loadgen prints a load-test summary in the format -o names, as rakyll/hey does: "" and "csv"
// select constant texts in a function returning the template, and any other value is parsed as a
// template itself (so not every path is constant). The summary calls .Total.Seconds (time.Duration).
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"text/template"
	"time"
)

type bucket struct {
	Mark  float64
	Count int
}

type summary struct {
	Total     time.Duration
	Fastest   float64
	Slowest   float64
	Lats      []float64
	Codes     []int
	CodeDist  map[int]int
	Histogram []bucket
}

func newTemplate(output string) *template.Template {
	text := output
	switch text {
	case "":
		text = summaryTmpl
	case "csv":
		text = csvTmpl
	}
	return template.Must(template.New("tmpl").Funcs(tmplFuncs).Parse(text))
}

var tmplFuncs = template.FuncMap{
	"formatNumber": formatNumber,
	"histogram":    histogram,
}

func formatNumber(v float64) string { return fmt.Sprintf("%4.4f", v) }

func histogram(buckets []bucket) string {
	var b strings.Builder
	for _, x := range buckets {
		fmt.Fprintf(&b, "  %4.3f [%d]\t|%s\n", x.Mark, x.Count, strings.Repeat("#", x.Count))
	}
	return b.String()
}

const summaryTmpl = `
Summary:
  Total:	{{ formatNumber .Total.Seconds }} secs
  Slowest:	{{ formatNumber .Slowest }} secs
  Fastest:	{{ formatNumber .Fastest }} secs

Response time histogram:
{{ histogram .Histogram }}
Status code distribution:{{ range $code, $num := .CodeDist }}
  [{{ $code }}]	{{ $num }} responses{{ end }}
`

const csvTmpl = `{{ $codes := .Codes }}response-time,status-code{{ range $i, $v := .Lats }}
{{ formatNumber $v }},{{ index $codes $i }}{{ end }}
`

func main() {
	output := flag.String("o", "", "output format: \"\" (summary) or csv")
	flag.Parse()
	s := summary{
		Total:     1500 * time.Millisecond,
		Fastest:   0.0123,
		Slowest:   0.9876,
		Lats:      []float64{0.0123, 0.5, 0.9876},
		Codes:     []int{200, 404, 200},
		CodeDist:  map[int]int{200: 2, 404: 1},
		Histogram: []bucket{{0.0123, 1}, {0.5, 1}, {0.9876, 1}},
	}
	if err := newTemplate(*output).Execute(os.Stdout, s); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}
