"""gotrim: find heavy dependencies in Go binaries, propose the refactors that cut them, measure."""

__version__ = "0.1.0"
