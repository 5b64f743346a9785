"""The exception hierarchy: every error a user can cause has a stable code and a hint.

The CLI prints ``ReleasekitError`` as one line and exits with its ``exit_code``; anything
else is a bug and is reported as such (exit 4) with the traceback saved to a file.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from releasekit.support.redact import redact

# Exit codes, documented in the README.
EXIT_OK = 0
EXIT_FAILED = 1  # a release stage failed, or checks found errors
EXIT_BAD_INPUT = 2  # workspace, configuration or usage errors
EXIT_REFUSED = 3  # refused to start or go on: lock held, preflight failed, state dir unusable
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
        text = self.shown_path(relative_to)
        if text and self.line is not None:
            text += f":{self.line}"
            if self.column is not None:
                text += f":{self.column}"
        return text

    def shown_path(self, relative_to: Path | None = None) -> str:
        """The file the error is about, relative to ``relative_to`` when it is below it."""
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
        return str(shown)

    def one_line(self, relative_to: Path | None = None) -> str:
        """``error[RK104] path:3:11: what is wrong (hint: what to do)`` on a single line."""
        where = self.location(relative_to)
        text = f"error[{self.code}] "
        if where:
            text += f"{where}: "
        text += self.message
        if self.hint:
            text += f" (hint: {self.hint})"
        return _single_line(redact(text))  # a URL's password or a token never reaches a terminal

    def to_json(self, relative_to: Path | None = None) -> dict[str, object]:
        """The error as one JSON object (for `--format json`: stdout is never left empty)."""
        return {
            "code": self.code,
            "message": _single_line(self.message),
            "hint": _single_line(self.hint) or None,
            "file": self.shown_path(relative_to) or None,
            "line": self.line,
            "exit_code": self.exit_code,
        }

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


class EnvironmentFault(StateError):
    """The machine, not the input: the state directory is missing, not a directory, read-only or
    full (RK310-RK312), or files an interrupted run rewrote cannot be put back yet (RK313)."""

    code = "RK312"


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


#: Every stable error code, with what it means. The README's table is generated from this
#: and a test keeps both in step with the codes the source actually raises.
CODES: dict[str, str] = {
    "RK000": "an error without a specific code (please report it: every error should have one)",
    "RK100": "no uv workspace found (no [tool.uv.workspace] here or above, or --workspace missing)",
    "RK101": "malformed TOML (the message gives file, line and column)",
    "RK102": "a file cannot be read (missing, not a regular file, permissions, symlink loop)",
    "RK103": "a file is not valid UTF-8",
    "RK104": "a file is larger than releasekit accepts",
    "RK107": "the internal dependency graph has a cycle (the message shows the path a -> b -> a)",
    "RK110": "a member has no [project] table or no `name`",
    "RK111": "an invalid project name (shell metacharacters, path separators, ...)",
    "RK112": "no `version` and not declared dynamic, or both at once",
    "RK113": "a version is not valid PEP 440",
    "RK114": "a dependency is not a valid PEP 508 requirement",
    "RK115": "two members share one normalized name",
    "RK116": "a member glob matches no directory",
    "RK117": "a matched member directory has no pyproject.toml (or a broken one, or a nested workspace)",
    "RK118": "[tool.uv.workspace] or [tool.uv.sources] has the wrong shape",
    "RK119": "a [project] field has the wrong type",
    "RK120": "an unknown key in [tool.releasekit] (with a did-you-mean)",
    "RK121": "a [tool.releasekit] value has the wrong type or an invalid value",
    "RK122": "`init` cannot place its settings in this pyproject.toml layout (it lists the lines to add)",
    "RK123": "[tool.releasekit.checks] names an unknown check or package",
    "RK130": "no package of that name in the workspace",
    "RK131": "no release group of that name",
    "RK140": "a dynamic version where releasekit must know or write the version",
    "RK141": "a bump that would not move the version forward, or an unknown prerelease label",
    "RK146": "an internal requirement the build backend computes is not the exact version being released",
    "RK148": "a package named with -p (or to bump) is never released: private, opted out or excluded",
    "RK143": "a pin that the dependent's own requirement excludes (bump the dependency or widen the requirement)",
    "RK142": "an internal dependency written as a direct URL cannot be pinned",
    "RK144": (
        "a version derived from git tags or computed by the build backend cannot be written "
        "(the release tag is the version)"
    ),
    "RK145": "the build backend could not compute a member's metadata (dynamic version or dependencies)",
    "RK150": "invalid command-line usage",
    "RK151": "an unknown check id in --skip",
    "RK152": "an unknown preflight gate id in --skip-preflight, or one that cannot be skipped (no_cycles)",
    "RK153": "--rehearse needs the `rehearse` extra (pypiserver, passlib, waitress)",
    "RK154": "`report`: no publish run of that id (or no run at all) in the state directory",
    "RK155": "an index URL carries credentials (user:password@): refused; use UV_PUBLISH_* or ~/.netrc",
    "RK300": "another releasekit run holds the workspace lock (the message names it)",
    "RK301": "a file is already rewritten by an unfinished operation (run `releasekit restore`)",
    "RK302": "a journal entry or backup in the state directory is damaged",
    "RK303": "a file was changed by someone else while releasekit had rewritten it (both kept)",
    "RK310": "the state directory is missing or not a directory (a file in the way, a broken symlink, removed mid-run)",
    "RK311": "the state directory (or a file releasekit must write) is read-only or not permitted",
    "RK312": "no space left on the device (or quota) holding the state directory or a file releasekit writes",
    "RK313": "files an interrupted run rewrote cannot be restored yet (the message lists them and how to restore them)",
    "RK350": "a preflight gate failed: publish stopped before changing anything",
    "RK400": "an external command (uv, git) exited non-zero",
    "RK500": "the index answered something unexpected",
    "RK501": "an index request failed or returned an error status",
    "RK502": "the index refused to be read with these credentials",
    "RK503": "the index returned malformed JSON",
    "RK510": "the index holds bytes that differ from the local build (supply-chain error)",
    "RK511": "a file of this version is already on the index with different content",
    "RK520": "the index stayed unavailable (5xx, 429, dropped connections) through every retry",
    "RK600": "a publish stage failed",
    "RK601": "a build did not produce exactly one sdist and one wheel",
    "RK602": "a built file's name or version differs from the plan, or the wheel has no METADATA",
    "RK603": "the built wheel does not carry the exact pins of its internal dependencies",
    "RK604": "no intact build record for a stage that needs one",
    "RK605": "the index refused the upload credentials",
    "RK608": "no upload credentials were found (uv's variables, or trusted publishing)",
    "RK606": "`uv publish` failed for a reason that is not retried",
    "RK607": "the index reports a file as existing but never lists it",
    "RK613": "the smoke test found nothing to import in the wheel (configure smoke.imports)",
    "RK614": "the package does not install or a module does not import in the smoke venv",
    "RK615": "`uv pip check` found unsatisfiable or conflicting requirements in the smoke venv",
    "RK616": "the configured smoke command failed",
    "RK610": "the index did not list an upload before the poll deadline",
    "RK611": "a listed file disappeared or cannot be downloaded",
    "RK612": "the index offers no way to verify the uploaded hashes",
    "RK700": "the release workflow cannot proceed",
    "RK701": "no usable git history (not a repository, or a shallow clone)",
    "RK702": "[tool.releasekit.workflow] has an invalid value",
    "RK703": "no GitHub repository is known (config, GITHUB_REPOSITORY or the remote URL)",
    "RK704": "a release PR has no (or a malformed) release manifest",
    "RK705": "the release manifest alone exceeds GitHub's PR body limit",
    "RK706": "the release PR is not merged",
    "RK707": "the release PR's merge commit is not in the local history",
    "RK708": "the manifest disagrees with the versions at the merge commit",
    "RK709": "a tag already exists on a different commit",
    "RK710": "an invalid combination of bump options",
    "RK711": "the computed version is already tagged",
    "RK712": "`notify` cannot read the index, so it cannot tell which versions are live",
    "RK720": "a GitHub API request failed",
    "RK721": "an invalid GitHub repository name or URL",
    "RK722": "no GitHub token for a write",
    "RK723": "GitHub's rate limit is exhausted for longer than releasekit waits, or through every retry",
    "RK724": "GitHub stayed unavailable (5xx, dropped connections) through every retry",
    "RK999": "an internal error (a bug in releasekit): the message names the saved traceback",
}
