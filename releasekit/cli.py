"""The `releasekit` command line: parse arguments, hand over to a command module.

Bad input of any kind ends as one line on stderr, ``error[RKnnn] where: what (hint: how)``,
with a stable code and exit status 2; a bug ends as one line naming a saved traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from releasekit import __version__
from releasekit.commands import workflow as workflow_commands
from releasekit.errors import EXIT_CANCELLED, EXIT_INTERNAL, ReleasekitError, UsageError
from releasekit.model.config import STATE_DIR_ENV

Handler = Callable[[argparse.Namespace], int]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}", hint=f"run `{self.prog} --help`")


def _selection_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("package selection")
    group.add_argument(
        "-p", "--package", action="append", default=[], metavar="NAME", help="only this package (repeatable)"
    )
    group.add_argument(
        "-g",
        "--group",
        action="append",
        default=[],
        metavar="GROUP",
        help="only the members of this release group from [tool.releasekit.groups] (repeatable)",
    )
    group.add_argument("--with-deps", action="store_true", help="add the selected packages' internal dependencies")
    group.add_argument("--with-dependents", action="store_true", help="add the packages that depend on the selection")


def _bump_options(parser: argparse.ArgumentParser, required: bool) -> None:
    group = parser.add_argument_group("version bump")
    kind = group.add_mutually_exclusive_group(required=False)
    kind.add_argument("--major", dest="kind", action="store_const", const="major", help="X.0.0")
    kind.add_argument("--minor", dest="kind", action="store_const", const="minor", help="x.Y.0")
    kind.add_argument("--patch", dest="kind", action="store_const", const="patch", help="x.y.Z")
    group.add_argument("--pre", metavar="LABEL", help="prerelease a|b|rc (alpha, beta, c accepted), e.g. rc or rc2")
    group.add_argument("--dev", action="store_true", help="a .devN release")
    group.add_argument("--post", action="store_true", help="a .postN release")
    group.add_argument("--version", dest="exact", metavar="X", help="set this exact version")
    parser.set_defaults(kind=None, bump_required=required)


def _preflight_options(parser: argparse.ArgumentParser) -> None:
    """`--skip-preflight ID` (repeatable); shared by `preflight` and `publish`."""
    parser.add_argument(
        "--skip-preflight",
        action="append",
        default=[],
        metavar="ID",
        help="override one preflight gate explicitly (repeatable)",
    )


def _workspace_option(parser: argparse.ArgumentParser, suppress: bool) -> None:
    parser.add_argument(
        "--wide",
        action="store_true",
        default=argparse.SUPPRESS if suppress else False,
        help="tables show every cell whole, whatever the terminal's width",
    )
    parser.add_argument(
        "-w",
        "--workspace",
        type=Path,
        metavar="DIR",
        default=argparse.SUPPRESS if suppress else None,
        help="workspace directory (default: the nearest ancestor of the current directory with [tool.uv.workspace])",
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        metavar="DIR",
        default=argparse.SUPPRESS if suppress else None,
        help=f"state directory for this command instead of [tool.releasekit] state_dir (also ${STATE_DIR_ENV}); "
        "e.g. on another disk when the workspace's is full or read-only",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="releasekit",
        description="Release orchestration for uv workspaces.",
        epilog="Exit codes: 0 ok, 1 a release stage failed or checks found errors, 2 bad input, "
        "3 refused to start or go on (lock, preflight, state directory missing, read-only or full), "
        "4 internal error, 130 cancelled.",
    )
    parser.add_argument("-V", "--version", action="version", version=f"releasekit {__version__}")
    _workspace_option(parser, suppress=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def command(name: str, help_text: str, handler: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        _workspace_option(p, suppress=True)
        p.set_defaults(handler=handler)
        return p

    p = command("discover", "list the workspace's packages with versions and metadata", "inspect:discover")
    p.add_argument("--format", choices=("table", "json"), default="table")

    p = command("graph", "print the internal dependency graph", "inspect:graph")
    p.add_argument("--format", choices=("levels", "json", "dot", "mermaid", "table", "ascii"), default="levels")
    _selection_options(p)

    p = command("plan", "preview versions, publish order and the stages that would run", "inspect:plan")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.add_argument("--no-smoke-test", action="store_true", help="plan without the smoke-test stage")
    p.add_argument("--no-stage", action="store_true", help="plan without the staged gate (as publish --no-stage)")
    _selection_options(p)
    _bump_options(p, required=False)
    workflow_commands.add_history_options(p, for_plan=True)

    p = command("bump", "write new versions and update dependents' specifiers and uv.lock", "bump:bump")
    p.add_argument(
        "packages", nargs="*", metavar="PACKAGE", help="packages to bump (default: every releasable package)"
    )
    _bump_options(p, required=True)
    p.add_argument("--dry-run", action="store_true", help="show the changes, write nothing")
    p.add_argument("--no-lock", action="store_true", help="do not refresh uv.lock")

    p = command("init", "write [tool.releasekit] defaults and the doit loader settings", "init:init")
    p.add_argument("--dry-run", action="store_true", help="show what would be written")

    command("restore", "put back every file an interrupted run left rewritten", "restore:restore")

    from releasekit.commands.publish import add_arguments as publish_arguments
    from releasekit.commands.publish import add_index_arguments

    p = command("publish", "build, upload, verify and smoke-test every package in dependency order", "publish:publish")
    _selection_options(p)
    publish_arguments(p)
    _preflight_options(p)

    p = command("check", "run the workspace health checks (exit 1 on errors)", "check:check")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.add_argument(
        "--skip",
        action="append",
        default=[],
        metavar="ID",
        help="do not run this check (repeatable, or comma-separated)",
    )
    p.add_argument(
        "--fix", action="store_true", help="repair mechanical findings (add py.typed, remove stale artifacts)"
    )
    _selection_options(p)

    p = command(
        "preflight", "run the gates publish runs before changing anything (exit 3 on failure)", "check:preflight"
    )
    p.add_argument("--format", choices=("table", "json"), default="table")
    _preflight_options(p)
    p.add_argument("--offline", action="store_true", help="skip the gates that ask the index")
    add_index_arguments(p)
    _selection_options(p)

    from releasekit.commands.report import add_arguments as report_arguments

    p = command(
        "report",
        "show a publish run: results, causes, timeline (table, json, markdown, mermaid, html)",
        "report:report",
    )
    report_arguments(p)

    workflow_commands.register(command, _selection_options)
    return parser


def _resolve(spec: str) -> Handler:
    import importlib

    module_name, func = spec.split(":")
    module = importlib.import_module(f"releasekit.commands.{module_name}")
    handler: Handler = getattr(module, func)
    return handler


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if argv is None and threading.current_thread() is threading.main_thread():
        # SIGTERM stops releasekit the way Ctrl-C does, wherever it lands: `finally` blocks
        # run, and the exit status is 130 with a message, not a silent death by signal.
        # `publish` installs its draining handlers on top of this while its stages run.
        signal.signal(signal.SIGTERM, signal.default_int_handler)
    saved_state_dir = os.environ.get(STATE_DIR_ENV)
    try:
        parser = build_parser()
        args = parser.parse_args(args_list)
        if getattr(args, "wide", False):
            os.environ["RELEASEKIT_WIDE"] = "1"
        if not getattr(args, "handler", None):
            parser.print_help(sys.stderr)
            return 2
        if getattr(args, "state_dir", None):
            # An environment variable, so doit's workers and every command see the same place.
            os.environ[STATE_DIR_ENV] = os.path.abspath(args.state_dir)
        return _resolve(args.handler)(args)
    except ReleasekitError as exc:
        print(exc.one_line(relative_to=Path.cwd()), file=sys.stderr, flush=True)
        if _wants_json(args_list):
            # A script reading stdout gets one JSON object, never nothing; the line stays on stderr.
            print(json.dumps({"error": exc.to_json(relative_to=Path.cwd())}), flush=True)
        return exc.exit_code
    except KeyboardInterrupt:
        print("releasekit: interrupted", file=sys.stderr)
        return EXIT_CANCELLED
    except BrokenPipeError:
        # `releasekit plan | head`: the reader left; not an error worth a traceback.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except OSError as exc:
        # A full disk or a read-only mount where no command expected one is still not a bug.
        from releasekit.support.envfaults import from_oserror

        fault = from_oserror(exc)
        if fault is None:
            return _internal_error()
        print(fault.one_line(relative_to=Path.cwd()), file=sys.stderr, flush=True)
        return fault.exit_code
    except Exception:
        return _internal_error()
    finally:
        if saved_state_dir is None:
            os.environ.pop(STATE_DIR_ENV, None)
        else:
            os.environ[STATE_DIR_ENV] = saved_state_dir


def _wants_json(args: Sequence[str]) -> bool:
    """``--format json`` (or ``--format=json``) anywhere on the command line, parsed or not."""
    return any(
        a == "--format=json" or (a == "--format" and b == "json") for a, b in zip(args, [*args[1:], ""], strict=True)
    )


def _internal_error() -> int:
    from releasekit.support.fsutil import save_crash_report
    from releasekit.support.redact import redact

    text = redact(traceback.format_exc())
    saved = save_crash_report(text)
    last = text.strip().splitlines()[-1] if text.strip() else "unknown error"
    print(
        f"error[RK999] internal error: {last} (hint: this is a bug in releasekit; {saved}, please report it)",
        file=sys.stderr,
    )
    return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
