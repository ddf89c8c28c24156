package main

// Following a -dumpdep build while it runs: the replay loads the link's objects and replays the
// linker's pass while the linker still writes the binary (refactor/estimate.py starts it before
// the build and closes its standard input when the build is over).

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

const pollPause = 5 * time.Millisecond

// stream reads a -dumpdep stream file as it is written, until done is closed and its end is read.
type stream struct {
	path string
	done <-chan struct{}

	mu         sync.Mutex
	work       string // the WORK= directory of the go command
	roots      []string
	names      []string   // every symbol the stream lists (the TO of each line)
	firsts     []dumpEdge // the first lines, for messages
	err        error
	haveWork   chan struct{}
	rootsReady chan struct{}
	finished   chan struct{}
}

func followStream(path string, done <-chan struct{}) *stream {
	s := &stream{path: path, done: done, haveWork: make(chan struct{}), rootsReady: make(chan struct{}),
		finished: make(chan struct{})}
	go s.run()
	return s
}

// eitherDone is closed once a or b is.
func eitherDone(a, b <-chan struct{}) <-chan struct{} {
	out := make(chan struct{})
	go func() {
		select {
		case <-a:
		case <-b:
		}
		close(out)
	}()
	return out
}

func isDone(done <-chan struct{}) bool {
	select {
	case <-done:
		return true
	default:
		return false
	}
}

func (s *stream) run() {
	var once [2]sync.Once
	defer func() {
		once[0].Do(func() { close(s.haveWork) })
		once[1].Do(func() { close(s.rootsReady) })
		close(s.finished)
	}()
	var f *os.File
	for {
		var err error
		if f, err = os.Open(s.path); err == nil {
			break
		}
		if isDone(s.done) {
			s.err = err
			return
		}
		time.Sleep(pollPause)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var partial []byte
	seenRoot := false
	for {
		chunk, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			partial = append(partial, chunk...)
			continue
		}
		if err == io.EOF {
			partial = append(partial, chunk...)
			// the end for now: finished once the build is over and nothing more came
			if isDone(s.done) {
				if more, _ := r.Peek(1); len(more) == 0 {
					if len(partial) > 0 {
						s.line(string(partial), &seenRoot, &once)
					}
					return
				}
			}
			time.Sleep(pollPause)
			continue
		}
		if err != nil {
			s.err = err
			return
		}
		line := chunk
		if len(partial) > 0 {
			line = append(partial, chunk...)
			partial = nil
		}
		s.line(string(bytes.TrimRight(line, "\r\n")), &seenRoot, &once)
	}
}

func (s *stream) line(line string, seenRoot *bool, once *[2]sync.Once) {
	if w, ok := strings.CutPrefix(line, "WORK="); ok && s.work == "" {
		s.mu.Lock()
		s.work = strings.TrimSpace(w)
		s.mu.Unlock()
		once[0].Do(func() { close(s.haveWork) })
		return
	}
	i := strings.Index(line, " -> ")
	if i < 0 {
		return
	}
	to := stripFlags(line[i+4:])
	if to == "" {
		return
	}
	from := line[:i]
	if from != "_" && len(s.firsts) >= 8 {
		from = "" // not needed
	} else {
		from = stripFlags(from)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if from == "_" {
		s.roots = append(s.roots, to)
		*seenRoot = true
	} else if *seenRoot {
		// the linker marks every root before it follows any edge (deadcode.go init, then flood)
		once[1].Do(func() { close(s.rootsReady) })
	}
	// each symbol is printed once, when first reached: the names are the reached set
	s.names = append(s.names, to)
	if len(s.firsts) < 8 {
		s.firsts = append(s.firsts, dumpEdge{from, to})
	}
}

// importcfgOf waits for the link's importcfg: in go's work directory once the link starts, or the
// copy refactor/linker.py keeps beside the binary once the build is over.
func (s *stream) importcfgOf(copyPath string) (string, error) {
	for {
		<-s.haveWork
		s.mu.Lock()
		work := s.work
		s.mu.Unlock()
		if work != "" {
			p := filepath.Join(work, "b001", "importcfg.link")
			if b, err := os.ReadFile(p); err == nil && len(b) > 0 && b[len(b)-1] == '\n' {
				return p, nil
			}
		}
		if isDone(s.done) {
			if _, err := os.Stat(copyPath); err == nil {
				return copyPath, nil
			}
			if work == "" {
				return "", errors.New("the stream has no WORK= line: build with -work")
			}
			return "", errors.New("the link's importcfg was not found")
		}
		time.Sleep(pollPause)
	}
}
