"""The GitHub job summary: each command appends one Markdown section to ``$GITHUB_STEP_SUMMARY``.

In CI a maintainer looks at the workflow run's page, not at the log: ``publish`` puts the
result table, the failures with their causes and hints and the Mermaid timeline there,
``prepare`` the versions and the release PR, ``release`` the tags and the releases. A
command that stops with an error still writes its section (the error line, cause first,
with its hint), so each command writes exactly one. Without the variable nothing happens,
and a summary that cannot be written never fails a release.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from releasekit.errors import ReleasekitError
from releasekit.report import load_report, write_html
from releasekit.report.markdown import code, details, markdown, md, table
from releasekit.support.redact import redact

if TYPE_CHECKING:
    from releasekit.workflow.prepare import PrepareResult
    from releasekit.workflow.release import ReleaseResult

ENV = "GITHUB_STEP_SUMMARY"


class Section:
    """The section one command will append: its Markdown, set once the command knows it."""

    def __init__(self, command: str) -> None:
        self.command = command
        self.markdown = ""

    @property
    def heading(self) -> str:
        return f"## releasekit {self.command}"

    def note(self, text: str) -> None:
        self.markdown = f"{self.heading}\n\n{md(text)}\n"

    def publish(self, run_dir: str | Path) -> None:
        """The run's report: the HTML page goes into the run's directory, the Markdown here."""
        try:
            report = load_report(Path(run_dir))
            with contextlib.suppress(OSError):
                write_html(report)
            self.markdown = markdown(report, heading=f"releasekit {self.command}") + (
                "\n`releasekit report DIR` redraws this run from its directory (events, logs, report.html).\n"
            )
        except Exception as exc:  # the release is done: a report that cannot be drawn must not fail it
            print(f"releasekit: warning: the run's report could not be drawn: {exc!r}", file=sys.stderr)
            self.note(f"the run's report could not be drawn ({exc!r}); see the log")

    def prepare(self, result: PrepareResult, repo_url: str = "") -> None:
        versions, previous = result.versions, result.previous
        rows = [[md(name), md(previous.get(name, "")), md(version)] for name, version in sorted(versions.items())]
        out = [f"{self.heading}: {md(result.status)}\n"]
        if result.pr_url:
            out.append(f"Release PR: [#{result.pr}]({result.pr_url})\n")
        elif result.pr and repo_url:
            out.append(f"Release PR: [#{result.pr}]({repo_url}/pull/{result.pr})\n")
        out.append(table(["package", "from", "to"], rows) if rows else "No version changes.\n")
        out += [details("What prepare did", "\n".join(f"- {md(a)}" for a in result.actions))] if result.actions else []
        self.markdown = "\n".join(out)

    def release(self, result: ReleaseResult, repo_url: str = "") -> None:
        out = [f"{self.heading}: {md(result.status)}\n"]
        if result.pr:
            link = f"[#{result.pr}]({repo_url}/pull/{result.pr})" if repo_url else f"#{result.pr}"
            out.append(f"Release PR {link}" + (f", merge commit `{md(result.sha[:12])}`" if result.sha else "") + "\n")
        rows = [[md(name), md(version)] for name, version in sorted(result.released.items())]
        if rows:
            out.append(table(["package", "version"], rows))
        if result.tags:
            links = [f"[{md(tag)}]({repo_url}/releases/tag/{tag})" if repo_url else code(tag) for tag in result.tags]
            out.append("Tags and releases: " + ", ".join(links) + "\n")
        out += [details("What release did", "\n".join(f"- {md(a)}" for a in result.actions))] if result.actions else []
        self.markdown = "\n".join(out)

    def failed(self, message: str) -> None:
        self.markdown = f"{self.heading}: failed\n\n{code(message)}\n"


def append(markdown: str, environ: Mapping[str, str] | None = None) -> None:
    """Append to the job summary file, if there is one (redacted; a failure is only a warning)."""
    path = (os.environ if environ is None else environ).get(ENV, "")
    if not path or not markdown:
        return
    try:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(redact(markdown).rstrip("\n") + "\n\n")
    except OSError as exc:
        print(f"releasekit: warning: could not write the job summary {path}: {exc}", file=sys.stderr)


@contextlib.contextmanager
def step_summary(command: str) -> Iterator[Section]:
    """Around a command: whatever happens inside, exactly one section is appended after it."""
    section = Section(command)
    try:
        yield section
    except ReleasekitError as exc:
        section.failed(exc.one_line())
        raise
    except KeyboardInterrupt:
        section.failed("interrupted: stopped before it finished")
        raise
    except Exception as exc:
        section.failed(f"internal error: {type(exc).__name__}: {exc} (the log has the details)")
        raise
    finally:
        append(section.markdown or f"{section.heading}\n\nnothing to report\n")
