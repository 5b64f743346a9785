"""Which front end a `publish` gets, from its flags, its streams and the environment.

- ``--format json``: NDJSON on stdout (``--quiet``: only the summary line);
- ``--quiet``: nothing while running (the summary table still follows);
- stderr is a terminal (and TERM is not ``dumb``): the rich live table, with keys when
  stdin is a terminal too;
- otherwise: the CI log on stderr, with GitHub annotations when ``GITHUB_ACTIONS=true``.
``NO_COLOR`` (any non-empty value) turns colour off; ``--verbose`` adds steps.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator, Mapping
from typing import Any, TextIO

from releasekit.engine.observer import NullObserver, PublishObserver
from releasekit.ui.cilog import CiLog
from releasekit.ui.ndjson import NdjsonStream
from releasekit.ui.terminal import TerminalKeys


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def front_end(
    args: Any,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    environ: Mapping[str, str] | None = None,
) -> PublishObserver:
    stdin = stdin if stdin is not None else sys.stdin
    stdout = stdout if stdout is not None else sys.stdout
    stderr = stderr if stderr is not None else sys.stderr
    env = os.environ if environ is None else environ
    verbose = bool(getattr(args, "verbose", False))
    quiet = bool(getattr(args, "quiet", False))
    if getattr(args, "format", "table") == "json":
        return NdjsonStream(stdout, quiet=quiet)
    if quiet:
        return NullObserver()
    if _isatty(stderr) and env.get("TERM", "") != "dumb":
        # lazy: rich, +42 ms (+58 ms rich_ui) that JSON, quiet and CI-log runs do not pay
        from rich.console import Console

        from releasekit.ui.rich_ui import RichProgressUI

        console = Console(file=stderr, no_color=bool(env.get("NO_COLOR")), force_terminal=True)
        keys = TerminalKeys(stdin) if _isatty(stdin) else None
        return RichProgressUI(console, verbose=verbose, keys=keys)
    return CiLog(stderr, verbose=verbose, github=env.get("GITHUB_ACTIONS") == "true")


@contextlib.contextmanager
def session(observer: Any, control: Any) -> Iterator[None]:
    """Wire the keys to the run's control and put the terminal back on every way out."""
    attach = getattr(observer, "attach_control", None)
    if attach is not None:
        attach(control)
    if hasattr(observer, "__enter__") and hasattr(observer, "__exit__"):
        with observer:
            yield
    else:
        yield
