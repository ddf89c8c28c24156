package helpcli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"text/template"
)

type helpPrinter func(w io.Writer, templ string, data interface{})

type helpPrinterCustom func(w io.Writer, templ string, data interface{}, customFuncs map[string]interface{})

// HelpPrinter writes a help text; a program may replace it.
var HelpPrinter helpPrinter = printHelp

// HelpPrinterCustom writes a help text with more template functions; a program may replace it.
var HelpPrinterCustom helpPrinterCustom = printHelpCustom

// ShowAppHelp prints the application's help.
func ShowAppHelp(a *App) {
	templ := a.CustomAppHelpTemplate
	if templ == "" {
		templ = AppHelpTemplate
	}
	HelpPrinter(a.Writer, templ, a)
}

// ShowCommandHelp prints a command's help.
func ShowCommandHelp(a *App, name string) error {
	for _, c := range a.Commands {
		if c.HasName(name) {
			templ := c.CustomHelpTemplate
			if templ == "" {
				templ = CommandHelpTemplate
			}
			HelpPrinter(a.Writer, templ, c)
			return nil
		}
	}
	return fmt.Errorf("no help topic for %q", name)
}

// indent indents every line of s by n spaces.
func indent(n int, s string) string {
	pad := strings.Repeat(" ", n)
	return pad + strings.ReplaceAll(s, "\n", "\n"+pad)
}

// wrap breaks s into lines of at most width bytes at spaces.
func wrap(s string, width int) string {
	var b strings.Builder
	n := 0
	for i, word := range strings.Fields(s) {
		if i > 0 && n+1+len(word) > width {
			b.WriteString("\n     ")
			n = 5
		} else if i > 0 {
			b.WriteByte(' ')
			n++
		}
		b.WriteString(word)
		n += len(word)
	}
	return b.String()
}

func printHelpCustom(out io.Writer, templ string, data interface{}, customFuncs map[string]interface{}) {
	width := 40
	if v := os.Getenv("HELPCLI_WIDTH"); v != "" {
		fmt.Sscan(v, &width)
	}
	funcMap := template.FuncMap{
		"join":   strings.Join,
		"indent": indent,
		"wrap":   func(s string) string { return wrap(s, width) },
	}
	for key, value := range customFuncs {
		funcMap[key] = value
	}

	w := tabwriter.NewWriter(out, 1, 8, 2, ' ', 0)
	t := template.Must(template.New("help").Funcs(funcMap).Parse(templ))
	err := t.Execute(w, data)
	if err != nil {
		if os.Getenv("HELPCLI_TEMPLATE_ERROR_DEBUG") != "" {
			_, _ = fmt.Fprintf(ErrWriter, "HELPCLI TEMPLATE ERROR: %#v\n", err)
		}
		return
	}
	_ = w.Flush()
}

func printHelp(out io.Writer, templ string, data interface{}) {
	HelpPrinterCustom(out, templ, data, nil)
}
