"""The exception hierarchy: every error a user can cause has a stable code and a hint.

The CLI prints ``ReleasekitError`` as one line and exits with its ``exit_code``; anything
else is a bug and is reported as such (exit 4) with the traceback saved to a file.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

# Exit codes, documented in the README.
EXIT_OK = 0
EXIT_FAILED = 1  # a release stage failed, or checks found errors
EXIT_BAD_INPUT = 2  # workspace, configuration or usage errors
EXIT_REFUSED = 3  # refused to start: lock held, preflight gate failed, state conflict
EXIT_INTERNAL = 4  # a bug in releasekit
EXIT_CANCELLED = 130  # graceful stop after SIGINT/SIGTERM or `q`


class ReleasekitError(Exception):
    """Base class: a problem the user can act on."""

    code = "RK000"
    exit_code = EXIT_BAD_INPUT
    default_hint = ""

    def __init__(
        self,
        message: str,
        *,
        path: Path | str | None = None,
        line: int | None = None,
        column: int | None = None,
        hint: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = Path(path) if path is not None else None
        self.line = line
        self.column = column
        self.hint = hint if hint is not None else self.default_hint
        if code is not None:
            self.code = code

    def location(self, relative_to: Path | None = None) -> str:
        if self.path is None:
            return ""
        shown: Path | str = self.path
        if relative_to is not None:
            try:
                absolute = self.path.resolve()
            except (OSError, RuntimeError):  # RuntimeError: a symlink loop
                absolute = Path(os.path.abspath(self.path))
            try:
                shown = absolute.relative_to(relative_to.resolve())
            except (ValueError, OSError, RuntimeError):
                shown = self.path
        text = str(shown)
        if self.line is not None:
            text += f":{self.line}"
            if self.column is not None:
                text += f":{self.column}"
        return text

    def one_line(self, relative_to: Path | None = None) -> str:
        """``error[RK104] path:3:11: what is wrong (hint: what to do)`` on a single line."""
        where = self.location(relative_to)
        text = f"error[{self.code}] "
        if where:
            text += f"{where}: "
        text += self.message
        if self.hint:
            text += f" (hint: {self.hint})"
        return _single_line(text)

    def __str__(self) -> str:
        return self.one_line()


_LINE_BREAKS = re.compile(r"[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _single_line(text: str) -> str:
    """One printable line: line breaks become spaces, other control characters escapes.

    Paths and names come from the user's disk, so a directory called ``"x\\n\\x1b[2J"``
    must neither split the message nor drive the terminal.
    """
    text = _LINE_BREAKS.sub(" ", text)
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


class WorkspaceError(ReleasekitError):
    """The workspace cannot be read or is inconsistent."""


class ConfigError(ReleasekitError):
    """``[tool.releasekit]`` is invalid."""


class UsageError(ReleasekitError):
    """The command line asks for something impossible."""

    code = "RK150"


class GraphError(ReleasekitError):
    """The dependency graph is not a DAG."""

    code = "RK107"


class VersionError(ReleasekitError):
    """A version cannot be computed or written."""


class StateError(ReleasekitError):
    """The state directory (lock, journal) prevents the command from running."""

    exit_code = EXIT_REFUSED


class CommandError(ReleasekitError):
    """An external command (uv, git) exited non-zero."""

    code = "RK400"
    exit_code = EXIT_FAILED

    def __init__(
        self,
        argv: list[str],
        returncode: int,
        output: str,
        *,
        hint: str | None = None,
    ) -> None:
        from releasekit.redact import redact

        shown = " ".join(redact(a) for a in argv)
        tail = redact(output.strip())
        lines = tail.splitlines()
        if len(lines) > 12:
            lines = ["...", *lines[-12:]]
        detail = " | ".join(line.strip() for line in lines if line.strip())
        message = f"`{shown}` exited with code {returncode}"
        if detail:
            message += f": {detail}"
        super().__init__(message, hint=hint)
        self.argv = argv
        self.returncode = returncode
        self.output = tail


class RegistryError(ReleasekitError):
    """The index answered something we cannot accept."""

    code = "RK500"
    exit_code = EXIT_FAILED


class IntegrityError(RegistryError):
    """The index holds bytes that differ from ours: a supply-chain problem, never retried."""

    code = "RK510"


class PublishError(ReleasekitError):
    """A stage of the publish pipeline failed."""

    code = "RK600"
    exit_code = EXIT_FAILED


class WorkflowError(ReleasekitError):
    """The release workflow (prepare, release, notify) cannot go on: RK7xx."""

    code = "RK700"
    exit_code = EXIT_FAILED


class GitHubError(WorkflowError):
    """GitHub's API refused a request (after retries, if it was worth retrying)."""

    code = "RK720"
