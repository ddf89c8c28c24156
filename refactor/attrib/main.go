// Command attrib is gotrim's byte attribution core. It reads one Go ELF binary and attributes every
// byte of the file to a package, a named bucket or "unattributed"; refactor/binary.py builds it once
// per Go toolchain (standard library only), caches its answers and renders them.
//
//	attrib attribute FILE  < {"packages": [[path, module|null], ...], "main": path}
//	                       > {"file_bytes": N, "packages": {...}, "buckets": {...}, ...}
//	attrib reach           < {"packages": ..., "main": ..., "importcfg": FILE, "dumpdep": FILE, ...}
//	                       > the reachability model (reach.go)
//	attrib serve MODEL     < {"serve": true} then walk requests, one a line (walk.go)
//	                       > one answer a line: walks of a model an earlier reach answered, kept in MODEL
//	attrib owners          < {"packages": ..., "main": ..., "names": [name, ...]}
//	                       > [[kind, name], ...]   (kind "pkg" or "bucket")
//
// Errors go to stderr with exit status 1. It was ported from gotrim's Python attribution and keeps
// its tie-breaking (owner ids in order of first use, claims sorted by start, end, owner), so the same
// binary always gives the same table.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strconv"
	"time"
)

// walkIdle: a served model ends after this long without a walk request (gotrim reads it while it
// proposes; a run that stops early closes its input, which ends it at once)
const walkIdle = 30 * time.Second

type request struct {
	Packages [][2]*string `json:"packages"`
	Main     string       `json:"main"`
	Names    []string     `json:"names"`
	reachRequest
}

func main() {
	// One short run over one file: mostly live data, little garbage. A rare collection keeps the
	// heap of a 184 MB binary at ~300 MB (640 MB with none) at no cost in time; GOGC still wins.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if strconv.IntSize < 64 {
		fail(fmt.Errorf("needs a 64-bit host (file offsets and addresses are kept in int)"))
	}
	if len(os.Args) < 2 {
		fail(fmt.Errorf("usage: attrib attribute FILE | attrib owners"))
	}
	var req request
	in := bufio.NewReader(os.Stdin)
	dec := json.NewDecoder(in)
	if err := dec.Decode(&req); err != nil {
		fail(fmt.Errorf("reading the request on stdin: %v", err))
	}
	// the end of standard input: the caller's signal that the build a reach request follows is over;
	// a reach request that serves walks reads them from the lines after it
	stdinDone := make(chan struct{})
	lines := make(chan []byte)
	go func() {
		defer close(stdinDone)
		defer close(lines)
		rest := io.MultiReader(dec.Buffered(), in)
		if !req.Serve {
			_, _ = io.Copy(io.Discard, rest)
			return
		}
		scan := bufio.NewScanner(rest)
		scan.Buffer(make([]byte, 1<<16), 1<<28)
		for scan.Scan() {
			if line := bytes.TrimSpace(scan.Bytes()); len(line) > 0 {
				lines <- append([]byte(nil), line...)
			}
		}
	}()
	var paths []string
	modules := make(map[string]*string, len(req.Packages))
	for _, pm := range req.Packages {
		if pm[0] == nil {
			continue
		}
		paths = append(paths, *pm[0])
		modules[*pm[0]] = pm[1]
	}
	out := bufio.NewWriterSize(os.Stdout, 1<<16)
	defer out.Flush()
	enc := json.NewEncoder(out)
	switch os.Args[1] {
	case "attribute":
		if len(os.Args) != 3 {
			fail(fmt.Errorf("usage: attrib attribute FILE"))
		}
		data, err := readFile(os.Args[2], true)
		if err != nil {
			fail(err)
		}
		table, err := attribute(data, paths, modules, req.Main)
		if err != nil {
			fail(err)
		}
		if err := enc.Encode(table); err != nil {
			fail(err)
		}
	case "reach":
		req.reachRequest.Packages, req.reachRequest.Main = req.Packages, req.Main
		m, err := reachMain(req.reachRequest, paths, stdinDone)
		if err != nil {
			fail(err)
		}
		if err := enc.Encode(m); err != nil {
			fail(err)
		}
		if req.Serve {
			if err := out.Flush(); err != nil {
				fail(err)
			}
			go debug.FreeOSMemory() // the objects' symbols are done with: only the model is kept (beside the first walks)
			if err := serveWalks(m, lines, out, walkIdle); err != nil {
				fail(fmt.Errorf("walks: %v", err))
			}
		}
	case "serve": // a model kept from an earlier reach of the same link's inputs (refactor/linkcache.py)
		if len(os.Args) != 3 || !req.Serve {
			fail(fmt.Errorf("usage: attrib serve MODEL < {\"serve\": true} then walk requests"))
		}
		data, err := os.ReadFile(os.Args[2])
		if err != nil {
			fail(err)
		}
		var m reachModel
		if err := json.Unmarshal(data, &m); err != nil {
			fail(fmt.Errorf("%s: %v", os.Args[2], err))
		}
		if len(m.Graphs) == 0 {
			fail(fmt.Errorf("%s: not a reachability model", os.Args[2]))
		}
		if err := serveWalks(&m, lines, out, walkIdle); err != nil {
			fail(fmt.Errorf("walks: %v", err))
		}
	case "owners":
		m := newMapper(append(paths, req.Main), req.Main)
		res := make([][2]string, len(req.Names))
		for i, n := range req.Names {
			o := m.owner(n)
			res[i] = [2]string{o.kind, o.name}
		}
		if err := enc.Encode(res); err != nil {
			fail(err)
		}
	default:
		fail(fmt.Errorf("unknown mode %q: attribute, reach, serve or owners", os.Args[1]))
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "attrib:", err)
	os.Exit(1)
}
