package tmplgen

import (
	"errors"
	"fmt"
	htmltemplate "html/template"
	"sort"
	"strings"
	"text/template"
	"text/template/parse"
)

// tmplSet holds the parse trees of one template set, after html/template's escaping when asked.
type tmplSet struct {
	trees map[string]*parse.Tree
	root  string
	entry string
}

// dummyFuncs stands for the module's functions while parsing: only their names matter to the parser
// and to html/template's escaper.
func dummyFuncs(req *Request) map[string]any {
	m := make(map[string]any, len(req.Funcs))
	for name := range req.Funcs {
		m[name] = func(...any) any { return nil }
	}
	return m
}

// loadSet builds the template set with the real text/template or html/template, so that parsing,
// redefinition and escaping follow the library exactly.
func loadSet(req *Request) (set *tmplSet, err error) {
	rootName := req.Root
	if rootName == "" && len(req.Texts) > 0 {
		rootName = req.Texts[0].Name
	}
	if rootName == "" && len(req.Texts) == 0 {
		names := sortedTreeNames(req.Trees)
		if len(names) > 0 {
			rootName = names[0]
		}
	}
	entry := req.Entry
	if entry == "" {
		entry = rootName
	}
	req.Root, req.Entry = rootName, entry
	if len(req.Texts) == 0 && len(req.Trees) == 0 {
		return nil, errors.New("tmplgen: the request has no template text")
	}
	defer func() {
		// Funcs panics on a bad function name, Delims never does; keep a panic from the library a refusal.
		if r := recover(); r != nil {
			set, err = nil, &Refusal{Template: entry, Reason: fmt.Sprintf("the template set cannot be built: %v", r)}
		}
	}()
	if req.HTML {
		return loadHTML(req, rootName, entry)
	}
	root := template.New(rootName).Delims(req.LeftDelim, req.RightDelim).Funcs(dummyFuncs(req))
	if len(req.Texts) > 0 {
		for _, tx := range req.Texts {
			t := root
			if tx.Name != root.Name() {
				t = root.New(tx.Name)
			}
			if _, err := t.Parse(tx.Text); err != nil {
				return nil, &Refusal{Template: tx.Name, Reason: "the template does not parse: " + err.Error()}
			}
		}
	} else {
		for _, name := range sortedTreeNames(req.Trees) {
			if _, err := root.AddParseTree(name, req.Trees[name]); err != nil {
				return nil, &Refusal{Template: name, Reason: err.Error()}
			}
		}
	}
	t := root.Lookup(entry)
	if t == nil {
		return nil, &Refusal{Template: entry, Reason: fmt.Sprintf("no template %q associated with template %q: executing it always fails", entry, rootName)}
	}
	if t.Tree == nil || t.Tree.Root == nil {
		return nil, &Refusal{Template: entry, Reason: fmt.Sprintf("%q is an incomplete or empty template: executing it always fails", entry)}
	}
	set = &tmplSet{trees: map[string]*parse.Tree{}, root: rootName, entry: entry}
	for _, tt := range root.Templates() {
		set.trees[tt.Name()] = tt.Tree
	}
	return set, nil
}

func sortedTreeNames(m map[string]*parse.Tree) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// errStopWriting stops the execution that makes html/template escape the set.
var errStopWriting = errors.New("tmplgen: stop")

type stopWriter struct{}

func (stopWriter) Write([]byte) (int, error) { return 0, errStopWriting }

func loadHTML(req *Request, rootName, entry string) (*tmplSet, error) {
	root := htmltemplate.New(rootName).Delims(req.LeftDelim, req.RightDelim).Funcs(dummyFuncs(req))
	if len(req.Texts) > 0 {
		for _, tx := range req.Texts {
			t := root
			if tx.Name != root.Name() {
				t = root.New(tx.Name)
			}
			if _, err := t.Parse(tx.Text); err != nil {
				return nil, &Refusal{Template: tx.Name, Reason: "the template does not parse: " + err.Error()}
			}
		}
	} else {
		for _, name := range sortedTreeNames(req.Trees) {
			if _, err := root.AddParseTree(name, req.Trees[name]); err != nil {
				return nil, &Refusal{Template: name, Reason: err.Error()}
			}
		}
	}
	t := root.Lookup(entry)
	if t == nil {
		return nil, &Refusal{Template: entry, Reason: fmt.Sprintf("html/template: %q is undefined: executing it always fails", entry)}
	}
	// html/template escapes a template (and those it calls) on its first execution, before writing
	// anything; the writer stops the execution at its first write. Escaping depends on the text only.
	err := root.ExecuteTemplate(stopWriter{}, entry, nil)
	var herr *htmltemplate.Error
	if errors.As(err, &herr) {
		return nil, &Refusal{Template: entry, Reason: "html/template refuses to execute it: " + err.Error()}
	}
	if err != nil && strings.HasPrefix(err.Error(), "html/template:") {
		return nil, &Refusal{Template: entry, Reason: "html/template refuses to execute it: " + err.Error()}
	}
	if t.Tree == nil || t.Tree.Root == nil {
		return nil, &Refusal{Template: entry, Reason: fmt.Sprintf("%q is an incomplete or empty template: executing it always fails", entry)}
	}
	set := &tmplSet{trees: map[string]*parse.Tree{}, root: rootName, entry: entry}
	for _, tt := range root.Templates() {
		set.trees[tt.Name()] = tt.Tree
	}
	return set, nil
}
