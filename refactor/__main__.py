"""`python -m refactor` runs the gotrim command line."""

from refactor.cli import entry

entry()
