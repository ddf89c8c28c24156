// Package helpcli is a small command-line library shaped like urfave/cli v1: commands, flags, and
// help texts rendered by text/template on a value passed as interface{}.
package helpcli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Flag is a command-line flag; String is its line in the help.
type Flag interface {
	fmt.Stringer
	Names() []string
}

// BoolFlag is a flag without a value.
type BoolFlag struct {
	Name, Usage string
	Hidden      bool
}

func (f BoolFlag) String() string  { return fmt.Sprintf("--%s\t%s", f.Name, f.Usage) }
func (f BoolFlag) Names() []string { return []string{f.Name} }

// StringFlag is a flag with a value.
type StringFlag struct {
	Name, Usage, Value string
}

func (f StringFlag) String() string {
	if f.Value == "" {
		return fmt.Sprintf("--%s value\t%s", f.Name, f.Usage)
	}
	return fmt.Sprintf("--%s value\t%s (default: %q)", f.Name, f.Usage, f.Value)
}
func (f StringFlag) Names() []string { return []string{f.Name} }

// Author is shown in the application's help.
type Author struct{ Name, Email string }

func (a Author) String() string {
	if a.Email == "" {
		return a.Name
	}
	return a.Name + " <" + a.Email + ">"
}

// Command is a subcommand.
type Command struct {
	Name, Usage, ArgsUsage, Category string
	Aliases                          []string
	Flags                            []Flag
	Hidden                           bool
	CustomHelpTemplate               string
	Action                           func(args []string) error
}

// Names are the command's name and aliases.
func (c Command) Names() []string { return append([]string{c.Name}, c.Aliases...) }

// HasName reports whether name is one of Names.
func (c Command) HasName(name string) bool {
	for _, n := range c.Names() {
		if n == name {
			return true
		}
	}
	return false
}

// VisibleFlags are the flags shown in the help.
func (c Command) VisibleFlags() []Flag { return visible(c.Flags) }

// Category groups commands in the application's help.
type Category struct {
	Name     string
	Commands []Command
}

// VisibleCommands are the category's commands not hidden.
func (c *Category) VisibleCommands() []Command {
	var out []Command
	for _, cmd := range c.Commands {
		if !cmd.Hidden {
			out = append(out, cmd)
		}
	}
	return out
}

// App is the application.
type App struct {
	Name, Usage, Version, Description, Copyright string
	Authors                                      []Author
	Flags                                        []Flag
	Commands                                     []Command
	Writer                                       io.Writer
	CustomAppHelpTemplate                        string
}

// VisibleFlags are the global flags shown in the help (and --help).
func (a *App) VisibleFlags() []Flag {
	return append(visible(a.Flags), BoolFlag{Name: "help", Usage: "show help"})
}

// VisibleCommands are the commands not hidden.
func (a *App) VisibleCommands() []Command {
	var out []Command
	for _, c := range a.Commands {
		if !c.Hidden {
			out = append(out, c)
		}
	}
	return out
}

// VisibleCategories groups the visible commands by category, in order of first appearance.
func (a *App) VisibleCategories() []*Category {
	var out []*Category
	seen := map[string]*Category{}
	for _, c := range a.VisibleCommands() {
		cat := seen[c.Category]
		if cat == nil {
			cat = &Category{Name: c.Category}
			seen[c.Category] = cat
			out = append(out, cat)
		}
		cat.Commands = append(cat.Commands, c)
	}
	return out
}

func visible(flags []Flag) []Flag {
	var out []Flag
	for _, f := range flags {
		if b, ok := f.(BoolFlag); ok && b.Hidden {
			continue
		}
		out = append(out, f)
	}
	return out
}

// ErrWriter receives the library's error messages.
var ErrWriter io.Writer = os.Stderr

// Run runs the command args[1] names, or prints help for -h/--help/help [command].
func (a *App) Run(args []string) error {
	if a.Writer == nil {
		a.Writer = os.Stdout
	}
	rest := args[1:]
	if len(rest) == 0 || rest[0] == "-h" || rest[0] == "--help" {
		ShowAppHelp(a)
		return nil
	}
	if rest[0] == "help" {
		if len(rest) > 1 {
			return ShowCommandHelp(a, rest[1])
		}
		ShowAppHelp(a)
		return nil
	}
	if rest[0] == "--version" {
		fmt.Fprintf(a.Writer, "%s version %s\n", a.Name, a.Version)
		return nil
	}
	for _, c := range a.Commands {
		if c.HasName(rest[0]) {
			if len(rest) > 1 && (rest[1] == "-h" || rest[1] == "--help") {
				return ShowCommandHelp(a, c.Name)
			}
			if c.Action == nil {
				return errors.New("command " + c.Name + " has no action")
			}
			return c.Action(rest[1:])
		}
	}
	return fmt.Errorf("unknown command %q (commands: %s)", rest[0], strings.Join(a.Commands[0].Names(), ", "))
}
