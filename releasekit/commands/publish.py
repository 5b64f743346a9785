"""`publish`: every package of the plan, in dependency order, each as soon as its deps are live."""

from __future__ import annotations

import argparse
import functools
import sys
from typing import TYPE_CHECKING, TypedDict

from releasekit.errors import EXIT_OK, UsageError

if TYPE_CHECKING:  # the CLI imports this module to build its parser: keep that import light
    from releasekit.engine.observer import PublishObserver
    from releasekit.engine.results import RunResult
    from releasekit.engine.settings import PublishSettings
    from releasekit.model.workspace import Workspace
    from releasekit.preflight.report import PreflightReport
    from releasekit.report.github import Section


def add_index_arguments(p: argparse.ArgumentParser) -> None:
    """The options that resolve an index, on every command that resolves one (one definition)."""
    index = p.add_argument_group("index (mirrors uv publish)")
    index.add_argument(
        "--target",
        choices=("pypi", "testpypi", "custom"),
        help="preset for the URLs below (default: index.target from config)",
    )
    index.add_argument("--publish-url", metavar="URL", help="upload endpoint (uv's --publish-url)")
    index.add_argument(
        "--check-url", metavar="URL", help="simple index used for dedupe, polling, verification and smoke installs"
    )
    index.add_argument("--json-api-url", metavar="URL", help="PyPI-style JSON API base; '' to disable")
    index.add_argument(
        "--fallback-url",
        metavar="URL",
        help="index for third-party dependencies in smoke tests and trials; 'none' (or '') for "
        "none: only the target or throwaway index, e.g. offline",
    )
    index.add_argument(
        "--trusted-publishing",
        choices=("auto", "always", "never"),
        help="OIDC trusted publishing (auto: in GitHub Actions when no token is set)",
    )


class IndexOverrides(TypedDict):
    target: str | None
    publish_url: str | None
    check_url: str | None
    json_api_url: str | None
    fallback_url: str | None
    trusted_publishing: str | None


def index_overrides(args: argparse.Namespace) -> IndexOverrides:
    """The parsed index options as `settings.resolve` keywords (None = keep the config's)."""
    fallback = args.fallback_url
    return {
        "target": args.target,
        "publish_url": args.publish_url,
        "check_url": args.check_url,
        "json_api_url": args.json_api_url,
        "fallback_url": "" if fallback == "none" else fallback,
        "trusted_publishing": args.trusted_publishing,
    }


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_index_arguments(p)
    run = p.add_argument_group("run")
    run.add_argument(
        "-j", "-n", "--concurrency", type=int, metavar="N", help="parallel workers (0 = auto; -n like doit -n N)"
    )
    run.add_argument("--max-retries", type=int, metavar="N", help="retries per network operation")
    run.add_argument("--retry-base-delay", type=float, metavar="S", help="backoff base in seconds (full jitter)")
    run.add_argument("--poll-timeout", type=float, metavar="S", help="seconds to wait for the index to list uploads")
    run.add_argument("--no-smoke-test", action="store_true", help="skip the install-and-import stage")
    run.add_argument(
        "--no-stage",
        action="store_true",
        help="skip the staged gate (build, install and import everything from a throwaway local "
        "index before the first upload); the smoke test then runs after each upload",
    )
    run.add_argument(
        "--deep-import",
        action="store_true",
        help="the smoke stage imports every module each wheel ships (smoke.import_all for this run)",
    )
    run.add_argument(
        "--skip-existing",
        action="store_true",
        help="keep files already on the index even when they differ from this build",
    )
    run.add_argument(
        "--start-method",
        choices=("spawn", "forkserver", "fork"),
        default=None,
        help="multiprocessing start method for doit's workers (default: forkserver on Linux, spawn elsewhere)",
    )
    run.add_argument("--dry-run", action="store_true", help="print the plan and the settings; change nothing")
    run.add_argument(
        "--rehearse",
        action="store_true",
        help="run the whole pipeline against a throwaway pypiserver on 127.0.0.1, then tear it down",
    )
    run.add_argument(
        "--format",
        choices=("table", "json"),
        default="table",
        help="table: progress on stderr, summary table on stdout; "
        "json: NDJSON events on stdout, the last line is the summary",
    )
    run.add_argument("-q", "--quiet", action="store_true", help="no progress lines, only the summary")
    run.add_argument("-v", "--verbose", action="store_true", help="also show every step inside a stage")


def _check_args(args: argparse.Namespace) -> None:
    for flag in ("concurrency", "max_retries"):
        value = getattr(args, flag)
        if value is not None and value < 0:
            raise UsageError(f"--{flag.replace('_', '-')} must be 0 or more", hint="e.g. --max-retries 3")
    for flag in ("retry_base_delay", "poll_timeout"):
        value = getattr(args, flag)
        if value is not None and value < 0:
            raise UsageError(f"--{flag.replace('_', '-')} must not be negative", hint="use seconds >= 0")
    from releasekit.preflight.gates import parse_gate_ids

    parse_gate_ids(args.skip_preflight)  # an unknown or unskippable gate is bad input, before any work
    if args.rehearse and (args.publish_url or args.check_url or args.target):
        raise UsageError("--rehearse picks its own throwaway index", hint="drop --target/--publish-url/--check-url")


def _settings(args: argparse.Namespace, ws: Workspace) -> PublishSettings:
    from releasekit.engine.settings import resolve

    return resolve(
        ws,
        **index_overrides(args),
        concurrency=args.concurrency,
        max_retries=args.max_retries,
        retry_base_delay=args.retry_base_delay,
        poll_timeout=args.poll_timeout,
        smoke_test=False if args.no_smoke_test else None,
        deep_import=args.deep_import,
        skip_existing=args.skip_existing,
    )


def _destination(settings: PublishSettings, rehearse: bool) -> dict[str, str]:
    """Where a run would go, as a dry run tells it (the throwaway index under --rehearse)."""
    if rehearse:
        local = "http://127.0.0.1:<port>/"
        return {
            "publish_url": local,
            "check_url": local + "simple/",
            "json_api_url": "",
            "fallback_url": settings.fallback_url,
            "auth": "username/password of the throwaway index",
        }
    return {
        "publish_url": settings.publish_url,
        "check_url": settings.check_url,
        "json_api_url": settings.json_api_url,
        "fallback_url": settings.fallback_url,
        "auth": settings.auth,
    }


def _show_gates(report: PreflightReport, quiet: bool) -> None:
    """The gates' table before any file is pinned or uploaded (with -q only when one failed)."""
    if not quiet or not report.ok:
        sys.stderr.write(report.render("table"))
        sys.stderr.flush()


def observer_for(args: argparse.Namespace) -> PublishObserver:
    # ui: rich table on a terminal, CI log otherwise, NDJSON for --format json (releasekit.ui)
    from releasekit.ui.choose import front_end

    return front_end(args)


def publish(args: argparse.Namespace) -> int:
    from releasekit.report.github import step_summary

    with step_summary("publish") as summary:
        return _publish(args, summary)


def _publish(args: argparse.Namespace, summary: Section) -> int:
    from releasekit import api
    from releasekit.commands.common import selection, workspace, write
    from releasekit.engine import plan_view
    from releasekit.engine.summary import render_summary
    from releasekit.support import render

    _check_args(args)
    ws = workspace(args)
    options = api.PublishOptions(
        settings=_settings(args, ws),
        smoke_test=False if args.no_smoke_test else None,
        staged=False if args.no_stage else None,
        rehearse=args.rehearse,
        start_method=args.start_method,
        gates=functools.partial(
            api.run_gates, skip=args.skip_preflight, show=functools.partial(_show_gates, quiet=args.quiet)
        ),
    )
    if args.dry_run:
        plan = api.publish_preview(ws, selection(args), options).plan
        settings = options.settings
        destination = _destination(settings, args.rehearse)
        if args.format == "json":
            write(render.to_json({**plan.to_json(), "index": destination, "dry_run": True}))
            return EXIT_OK
        write(plan_view.plan(plan, args.format))
        where = "a throwaway pypiserver on 127.0.0.1 (--rehearse)" if args.rehearse else destination["publish_url"]
        gate = "; staged gate first" if plan.staged else ""
        write(
            f"\nwould publish to {where} (check {destination['check_url']}; auth: {destination['auth']}; "
            f"third-party packages from {destination['fallback_url'] or 'nowhere'}; {settings.workers}; "
            f"retries {settings.max_retries}{gate})\n"
            "dry run: nothing was built, uploaded or changed\n"
        )
        summary.note(f"dry run of {len(plan.packages)} packages: nothing was built, uploaded or changed")
        return EXIT_OK
    result = api.publish(ws, selection(args), options, observer_for(args))
    if not result.started:
        summary.note("nothing to publish" if not result.packages else "every version is already on the index")
        _nothing_to_run(args, result)
    else:
        summary.publish(options.settings.run_dir)  # also writes the run's report.html
        if args.format != "json":  # with json, the NDJSON stream already ended with the summary
            write(render_summary(result, rehearsal=args.rehearse))
    return result.exit_code


def _nothing_to_run(args: argparse.Namespace, result: RunResult) -> None:
    """Every version is already on the index (or none is selected): say so."""
    from releasekit.commands.common import write
    from releasekit.engine.summary import render_summary

    if args.format == "json":  # ui: stdout carries NDJSON only; the summary is its last line
        from releasekit.ui.ndjson import NdjsonStream

        NdjsonStream(sys.stdout).on_finish(result)
    elif result.packages:
        write(render_summary(result))
    else:
        write("nothing to publish\n")
