"""Errors a user can act on. The CLI prints `error: <message>` and exits 2 for these."""

from __future__ import annotations

import re


class GotrimError(Exception):
    """Base of every error gotrim reports to the user without a traceback."""

    exit_status = 2


class UsageError(GotrimError):
    """Bad arguments or configuration: the message says what to change."""


class GoError(GotrimError):
    """A go command failed; carries go's own stderr."""

    def __init__(self, message: str, stderr: str = "", argv: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.stderr = stderr
        self.argv = argv

    def __str__(self) -> str:
        first = with_remedy(_first_error_line(self.stderr), self.stderr)
        base = super().__str__()
        return f"{base}: {first}" if first else base


class SourceError(GotrimError):
    """A Go source file could not be parsed or edited safely."""


class EditError(GotrimError):
    """Edits that overlap or do not fit the file they target."""


class WorkspaceError(GotrimError):
    """Git or worktree trouble: the user's repository is left as it was."""


_REMEDY = re.compile(r"^\s*(go (?:get|mod tidy|mod vendor|mod download|work sync|work use|work vendor)\b.*?)\s*$",
                     re.MULTILINE)


def go_remedy(text: str) -> str:
    """The command go tells the user to run (`go get example.com/x`, `go mod tidy`, `go mod vendor`),
    from its indented advice lines; "" when it gives none."""
    m = _REMEDY.search(text)
    return m.group(1) if m else ""


def with_remedy(line: str, text: str) -> str:
    """line, with go's remedy from the rest of text appended when line does not already carry it:
    go prints its advice on indented lines after the first ("...; to add it:\n\tgo get x")."""
    remedy = go_remedy(text)
    if not remedy or remedy in line:
        return line
    if not line:
        return remedy
    if line.rstrip().endswith(("it:", "run:")):
        return f"{line.rstrip()} {remedy}"
    return f"{line.rstrip().rstrip(':')} (go says to run `{remedy}`)"


def _first_error_line(stderr: str) -> str:
    """The first line of go's stderr that says something (skips `# pkg` headers)."""
    for line in stderr.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            return line
    return ""
