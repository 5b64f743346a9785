"""Helpers shared by the command modules: selection and bumps from parsed arguments."""

from __future__ import annotations

import argparse
import sys

from releasekit.errors import UsageError
from releasekit.model.context import open_workspace
from releasekit.model.selection import Selection
from releasekit.model.versions import Bump
from releasekit.model.workspace import Workspace


def workspace(args: argparse.Namespace) -> Workspace:
    return open_workspace(getattr(args, "workspace", None))


def selection(args: argparse.Namespace) -> Selection:
    return Selection(
        packages=tuple(getattr(args, "package", []) or ()),
        groups=tuple(getattr(args, "group", []) or ()),
        with_deps=bool(getattr(args, "with_deps", False)),
        with_dependents=bool(getattr(args, "with_dependents", False)),
    )


def bump_from_args(args: argparse.Namespace) -> Bump:
    bump = Bump(
        kind=args.kind,
        pre=args.pre,
        dev=bool(args.dev),
        post=bool(args.post),
        exact=args.exact,
    )
    if bump.exact and (bump.kind or bump.pre or bump.dev or bump.post):
        raise UsageError("--version cannot be combined with other bump options", hint="use --version alone")
    if bump.post and (bump.kind or bump.pre or bump.dev):
        raise UsageError("--post cannot be combined with other bump options", hint="use --post alone")
    if getattr(args, "bump_required", False) and bump.empty:
        raise UsageError(
            "no bump given",
            hint="pass one of --major, --minor, --patch, --pre LABEL, --dev, --post, --version X",
        )
    return bump


def write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()
