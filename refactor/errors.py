"""Errors a user can act on. The CLI prints `error: <message>` and exits 2 for these."""

from __future__ import annotations


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
        first = _first_error_line(self.stderr)
        base = super().__str__()
        return f"{base}: {first}" if first else base


class SourceError(GotrimError):
    """A Go source file could not be parsed or edited safely."""


class EditError(GotrimError):
    """Edits that overlap or do not fit the file they target."""


class WorkspaceError(GotrimError):
    """Git or worktree trouble: the user's repository is left as it was."""


def _first_error_line(stderr: str) -> str:
    """The first line of go's stderr that says something (skips `# pkg` headers)."""
    for line in stderr.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            return line
    return ""
