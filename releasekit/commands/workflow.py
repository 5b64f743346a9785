"""`prepare`, `release`, `notify`, and `plan --from-commits`: the release workflow's commands.

Argument wiring and rendering only; the work is behind :mod:`releasekit.api`. Heavy imports happen inside
the handlers so building the parser stays cheap.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # building the parser stays cheap
    from releasekit.report.github import Section

BUMP_TYPES = ("auto", "patch", "minor", "major")
Command = Callable[[str, str, str], argparse.ArgumentParser]
Options = Callable[[argparse.ArgumentParser], None]


def add_history_options(parser: argparse.ArgumentParser, *, for_plan: bool) -> None:
    """Options that compute versions from Conventional Commits."""
    group = parser.add_argument_group("versions from commits")
    if for_plan:
        group.add_argument(
            "--from-commits",
            action="store_true",
            help="show the versions `prepare` would propose from the commits since each last tag",
        )
    group.add_argument(
        "--bump-type",
        choices=BUMP_TYPES,
        default=None if for_plan else "auto",
        help="auto (default) reads Conventional Commits; patch/minor/major forces that bump "
        "on every package with commits since its last tag",
    )
    group.add_argument(
        "--prerelease",
        metavar="LABEL",
        help="make prereleases: a, b, rc (also alpha, beta, rc.1...) or dev; counters advance past existing tags",
    )
    group.add_argument(
        "--promote",
        action="store_true",
        help="turn every selected prerelease into its final version, even without new commits",
    )


def _step_options(parser: argparse.ArgumentParser, dry_run_help: str) -> None:
    """The options every workflow step takes."""
    parser.add_argument("--dry-run", action="store_true", help=dry_run_help)
    parser.add_argument(
        "--max-retries",
        type=int,
        metavar="N",
        help="retries per GitHub request on 5xx, rate limits and dropped connections "
        "(default: max_retries from config)",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")


def register(command: Command, selection_options: Options) -> None:
    """Add the workflow commands to releasekit's parser (called by cli.build_parser)."""
    p = command(
        "prepare",
        "bump versions from commits, write changelogs and open or update the release PR",
        "workflow:prepare",
    )
    selection_options(p)
    add_history_options(p, for_plan=False)
    p.add_argument(
        "--force",
        action="store_true",
        help="open or update the release PR even without version bumps",
    )
    p.add_argument("--no-lock", action="store_true", help="do not refresh uv.lock on the release branch")
    _step_options(p, "show what would change; write, push and open nothing")

    p = command(
        "release",
        "tag the merged release PR per package and create the GitHub releases",
        "workflow:release",
    )
    p.add_argument("--pr", type=int, metavar="N", help="this merged release PR (default: found by its label)")
    _step_options(p, "show the tags and releases that would be created")

    p = command(
        "notify",
        "send repository_dispatch about the latest release to downstream repositories",
        "workflow:notify",
    )
    p.add_argument(
        "--pr",
        type=int,
        metavar="N",
        help="announce this release PR (default: the latest tagged one)",
    )
    p.add_argument(
        "--repository",
        action="append",
        default=[],
        metavar="OWNER/NAME",
        help="also notify this repository (repeatable; adds to downstream_repositories)",
    )
    p.add_argument("--force", action="store_true", help="notify repositories that were already notified")
    p.add_argument(
        "--target",
        choices=("pypi", "testpypi", "custom"),
        help="the index whose files say what is live (default: index.target from config)",
    )
    p.add_argument("--check-url", metavar="URL", help="simple index to read (default: the target's)")
    _step_options(p, "show the dispatches that would be sent")


def wants_history(args: argparse.Namespace) -> bool:
    return bool(
        getattr(args, "from_commits", False)
        or getattr(args, "bump_type", None)
        or getattr(args, "prerelease", None)
        or getattr(args, "promote", False)
    )


def plan_from_commits(args: argparse.Namespace) -> int:
    """`plan --from-commits`: the Plan with the versions Conventional Commits ask for."""
    from releasekit.backends.git import Git
    from releasekit.commands.common import bump_from_args, selection, workspace, write
    from releasekit.engine import plan_view
    from releasekit.engine.plan import release_set
    from releasekit.errors import UsageError
    from releasekit.workflow.commits import analyze

    if not bump_from_args(args).empty:
        raise UsageError(
            "--from-commits/--bump-type/--prerelease/--promote cannot be combined with "
            "--major/--minor/--patch/--pre/--dev/--post/--version",
            code="RK710",
            hint="use either explicit bump flags or versions from commits",
        )
    ws = workspace(args)
    analysis = analyze(
        ws,
        Git(ws.root),
        selection(args),
        bump_type=args.bump_type or "auto",
        prerelease=args.prerelease,
        promote=args.promote,
    )
    preview = analysis.plan(
        ws, smoke_test=False if args.no_smoke_test else None, staged=False if getattr(args, "no_stage", False) else None
    )
    # What the selection leaves out is listed as `plan` lists it (the analysis shows only releases).
    skipped = release_set(ws, selection(args)).skipped
    write(plan_view.plan(dataclasses.replace(preview, skipped=skipped), args.format))
    return 0


def _github_output(values: dict[str, Any]) -> None:
    """Append step outputs for GitHub Actions when $GITHUB_OUTPUT is set."""
    path = os.environ.get("GITHUB_OUTPUT")
    if not path:
        return
    with open(path, "a", encoding="utf-8") as handle:
        for key, value in values.items():
            text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
            handle.write(f"{key}={text}\n")


def _emit(fmt: str, data: dict[str, Any], lines: list[str], summary: str) -> None:
    from releasekit.commands.common import write

    if fmt == "json":
        write(json.dumps(data, indent=2) + "\n")
        return
    write("".join(f"{line}\n" for line in [*lines, summary] if line))


def prepare(args: argparse.Namespace) -> int:
    from releasekit.report.github import step_summary

    with step_summary("prepare") as section:
        return _prepare(args, section)


def _prepare(args: argparse.Namespace, section: Section) -> int:
    from releasekit import api
    from releasekit.commands.common import selection, workspace

    options = api.PrepareOptions(
        bump_type=args.bump_type,
        prerelease=args.prerelease,
        promote=args.promote,
        force=args.force,
        dry_run=args.dry_run,
        lock=not args.no_lock,
        max_retries=args.max_retries,
    )
    result = api.prepare(workspace(args), selection(args), options)
    lines = []
    if result.analysis is not None:
        lines += [
            f"{d.name} {d.current} -> {d.next} ({d.reason})" for d in result.analysis.decisions.values() if d.released
        ]
    lines += result.actions
    summary = {
        "nothing": "nothing to release",
        "blocked": f"waiting for `releasekit release` on merged PR #{result.pr}",
        "dry-run": "dry run: nothing was written, pushed or opened",
        "opened": f"release PR: {result.pr_url}",
        "updated": f"release PR: {result.pr_url}",
        "unchanged": f"nothing changed: the release PR {result.pr_url} is up to date",
    }[result.status]
    _emit(args.format, result.to_json(), lines, summary)
    _github_output({"status": result.status, "pr": str(result.pr or ""), "versions": result.versions})
    section.prepare(result, result.repo_url)
    return 0


def release(args: argparse.Namespace) -> int:
    from releasekit.report.github import step_summary

    with step_summary("release") as section:
        return _release(args, section)


def _release(args: argparse.Namespace, section: Section) -> int:
    from releasekit import api
    from releasekit.commands.common import workspace

    options = api.ReleaseOptions(dry_run=args.dry_run, pr=args.pr, max_retries=args.max_retries)
    result = api.release(workspace(args), options)
    summary = {
        "nothing": "nothing to release",
        "dry-run": "dry run: no tag, push, release or label was made",
        "released": f"released PR #{result.pr}: " + ", ".join(f"{n} {v}" for n, v in result.released.items()),
        "complete": f"PR #{result.pr} was already fully released",
    }[result.status]
    _emit(args.format, result.to_json(), result.actions, summary)
    _github_output(
        {
            "status": result.status,
            "pr": str(result.pr or ""),
            "sha": result.sha or "",
            "released": result.released,
            "tags": " ".join(result.tags),
        }
    )
    section.release(result, result.repo_url)
    return 0


def notify(args: argparse.Namespace) -> int:
    from releasekit import api
    from releasekit.commands.common import workspace

    options = api.NotifyOptions(
        dry_run=args.dry_run,
        force=args.force,
        pr=args.pr,
        repositories=tuple(args.repository),
        target=args.target,
        check_url=args.check_url,
        max_retries=args.max_retries,
    )
    result = api.notify(workspace(args), options)
    part = " (part of the release: the rest is not on the index yet)" if result.pending else ""
    summary = {
        "nothing": "nothing to notify",
        "dry-run": "dry run: nothing was sent",
        "sent": f"notified {', '.join(result.sent)}{part}",
        "done": "every downstream repository was already notified",
    }[result.status]
    _emit(args.format, result.to_json(), result.actions, summary)
    return 0
