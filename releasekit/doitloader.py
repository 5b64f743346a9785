"""doit's view of a workspace: a TaskLoader2 that builds the plan's tasks.

Plain doit finds it through what `releasekit init` writes into pyproject.toml::

    [tool.doit]
    loader = "releasekit"
    [tool.doit.plugins.loader]
    releasekit = "releasekit.doitloader:WorkspaceLoader"

so `doit list --all`, `doit info upload:pkg`, `doit publish` and `doit -n 4 publish` work in
the workspace and agree with `releasekit plan`: the tasks are releasekit.engine.pipeline's, the
ones `releasekit publish` runs.
"""

from __future__ import annotations

import atexit
import contextlib
import os
from pathlib import Path
from typing import Any

from doit.cmd_base import TaskLoader2
from doit.exceptions import InvalidDodoFile
from doit.loader import generate_tasks
from doit.task import Task

from releasekit.checks import run_for_doit
from releasekit.engine import buildenv, plan_view
from releasekit.engine.credentials import no_credentials, resolve_credentials
from releasekit.engine.doitdb import doit_db_path
from releasekit.engine.pipeline import doit_tasks
from releasekit.engine.plan import build_plan
from releasekit.engine.prepared import Prepared
from releasekit.engine.settings import resolve
from releasekit.errors import ReleasekitError
from releasekit.model.context import open_workspace
from releasekit.model.selection import EVERYTHING
from releasekit.support.state import StateLock, ensure_state_dir
from releasekit.workflow.scope import publish_scope


def show(text: str) -> None:
    """Action of the `plan` task: print the rendered plan."""
    print(text, end="")


_UPLOADING = ("publish", "upload", "poll", "verify", "smoke")


def _uploads(pos_args: Any) -> bool:
    """Whether running ``pos_args`` (doit's task names; none = the default `plan`) uploads."""
    return any(str(name).split(":", 1)[0] in _UPLOADING for name in pos_args or ())


class WorkspaceLoader(TaskLoader2):  # type: ignore[misc]
    """Loads releasekit's tasks for the workspace in the current directory."""

    def __init__(self) -> None:
        super().__init__()
        self.prepared: Prepared | None = None
        self._lock: StateLock | None = None

    def setup(self, opt_values: Any) -> None:
        pass

    def _prepare(self) -> Prepared:
        if self.prepared is None:
            try:
                ws = open_workspace(Path.cwd())
                self.prepared = Prepared(ws, build_plan(ws), resolve(ws))
            except ReleasekitError as exc:
                raise InvalidDodoFile(exc.one_line()) from None
        return self.prepared

    def load_doit_config(self) -> dict[str, Any]:
        prepared = self._prepare()
        try:
            ensure_state_dir(Path(prepared.settings.state_dir))
        except ReleasekitError as exc:
            raise InvalidDodoFile(exc.one_line()) from None
        return {
            "dep_file": str(doit_db_path(prepared.settings)),
            "backend": "sqlite3",
            "default_tasks": ["plan"],
        }

    def _scoped(self, prepared: Prepared) -> Prepared:
        """What `releasekit publish` would release: the tags at HEAD, minus released versions."""
        try:
            scope = publish_scope(prepared.ws, EVERYTHING, prepared.settings)
        except ReleasekitError as exc:
            raise InvalidDodoFile(exc.one_line()) from None
        return Prepared(prepared.ws, scope.plan, prepared.settings.fit_to(scope.plan), scope.released)

    def load_tasks(self, cmd: Any, pos_args: Any) -> list[Task]:
        prepared = self._prepare()
        if getattr(cmd, "execute_tasks", False):
            # Plain `doit run`: take the workspace lock like `releasekit publish` does; the OS
            # releases it when this process exits, even if it is killed.
            try:
                self._lock = StateLock(Path(prepared.settings.state_dir), "doit").acquire()
            except ReleasekitError as exc:
                raise InvalidDodoFile(exc.one_line()) from None
            atexit.register(self._lock.release)
            buildenv.discard_abandoned(prepared.settings.state_dir)
            settings = prepared.settings
            credentials = resolve_credentials(settings.target, settings.trusted_publishing, os.environ)
            if _uploads(pos_args) and credentials.missing:
                # Say so before any build starts, instead of an upload failing after them all.
                raise InvalidDodoFile(no_credentials().one_line())
            Path(prepared.settings.run_dir).mkdir(parents=True, exist_ok=True)
            prepared = self.prepared = self._scoped(prepared)
            if prepared.plan.staged and not prepared.settings.stage_url:
                # The staged gate's index serves from this process while doit runs the tasks.
                staging = contextlib.ExitStack()
                settings = staging.enter_context(prepared.settings.staging(True))
                atexit.register(staging.close)
                prepared = self.prepared = Prepared(prepared.ws, prepared.plan, settings)
        extra = [
            *generate_tasks(
                "plan",
                {
                    "actions": [(show, [plan_view.plan(prepared.plan, "table")])],
                    "verbosity": 2,
                    "uptodate": [False],
                    "doc": "show the release plan (what `doit publish` would do)",
                },
            ),
            *generate_tasks(
                "check",
                {
                    "actions": [(run_for_doit, [str(prepared.ws.root)])],
                    "verbosity": 2,
                    "uptodate": [False],
                    "doc": "run the workspace health checks (`releasekit check`)",
                },
            ),
        ]
        return doit_tasks(prepared.plan, prepared.settings, prepared.ws, extra=extra)
