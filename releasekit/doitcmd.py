"""doit's `run` command for a releasekit workspace: plain `doit -n N publish` runs like `releasekit publish`.

doit resolves its commands before it loads any task, from its plugin table; `releasekit init`
registers this class there as ``run`` (doit's default command)::

    [tool.doit.plugins.command]
    run = "releasekit.doitcmd:ReleaseRun"

The tasks then run on releasekit's drainable runner, serially on one worker process when no
``-n`` is given: the same critical-path dispatch order, SIGINT/SIGTERM drain (a second one stops
at once), SIGUSR1/SIGUSR2 pause and resume, files restored from the journal afterwards, and
doit's database saved by the guarded backend (a full disk is a line on stderr and exit 1, not a
traceback). doit's own reporters show the tasks; scheduler changes go to stderr. Thread runs
(``-P thread``), ``--single``, ``--pdb`` and ``--auto-delayed-regex`` stay doit's own: they need
doit's in-process runner.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Any, TextIO

from doit.cmd_run import Run
from doit.runner import ERROR
from doit.task import Stream

from releasekit.engine import buildenv
from releasekit.engine.doitdb import GuardedSqliteDB
from releasekit.engine.drainrunner import run_tasks
from releasekit.engine.observer import NullObserver, SchedulerState
from releasekit.engine.runcontrol import RunControl
from releasekit.engine.stopped import repair_after_run


class StateLines(NullObserver):
    """The scheduler's changes (draining, paused, resumed) as lines on stderr, beside doit's reporter."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def on_state(self, state: SchedulerState, detail: str) -> None:
        self.stream.write(f"releasekit: {state.value}: {detail}\n")
        self.stream.flush()


class ReleaseRun(Run):  # type: ignore[misc]
    doc_purpose = "run tasks (critical path first, Ctrl-C/SIGTERM drain, SIGUSR1/SIGUSR2 pause)"

    def get_backends(self) -> dict[str, Any]:
        backends: dict[str, Any] = super().get_backends()
        backends["sqlite3"] = GuardedSqliteDB
        return backends

    def _execute(
        self,
        outfile: Any,
        verbosity: int | None = None,
        always: bool = False,
        continue_: bool = False,
        reporter: Any = "console",
        num_process: int = 0,
        par_type: str = "process",
        single: bool = False,
        auto_delayed_regex: bool = False,
        force_verbosity: bool = False,
        failure_verbosity: int = 0,
        pdb: bool = False,
    ) -> int:
        if par_type != "process" or single or auto_delayed_regex or pdb:
            status: int = super()._execute(
                outfile,
                verbosity=verbosity,
                always=always,
                continue_=continue_,
                reporter=reporter,
                num_process=num_process,
                par_type=par_type,
                single=single,
                auto_delayed_regex=auto_delayed_regex,
                force_verbosity=force_verbosity,
                failure_verbosity=failure_verbosity,
                pdb=pdb,
            )
            return status
        control = RunControl(StateLines(sys.stderr))
        with contextlib.ExitStack() as closing:
            to_file = isinstance(outfile, str)
            stream = closing.enter_context(open(outfile, "w", encoding="utf-8")) if to_file else outfile
            reporter_cls = self.reporters[reporter] if isinstance(reporter, str) else reporter
            reporter_obj = (
                reporter_cls(stream, {"failure_verbosity": failure_verbosity})
                if isinstance(reporter_cls, type)
                else reporter_cls
            )
            try:
                status = run_tasks(
                    self.task_list,
                    self.sel_tasks,
                    self.dep_manager,
                    reporter_obj,
                    control,
                    workers=num_process or 1,
                    stream=Stream(verbosity, force_verbosity),
                    continue_=continue_,
                    always=always,
                )
            except KeyboardInterrupt:
                status = int(ERROR)  # the second signal: the workers were killed; the journal restores below
            finally:
                self._restore_files()
            return self._report_db_faults(status)

    def _report_db_faults(self, status: int) -> int:
        """doit's exit status, or 1 when its database could not be saved (the run itself is fine)."""
        faults: list[str] = getattr(self.dep_manager.backend, "faults", [])
        for fault in faults:
            sys.stderr.write(f"releasekit: {fault}\n")
        return status or (1 if faults else 0)

    def _restore_files(self) -> None:
        prepared = getattr(self.loader, "prepared", None)
        if prepared is None:
            return
        buildenv.discard(prepared.settings.run_dir)
        messages, unrestored = repair_after_run(Path(prepared.settings.state_dir))
        for line in [*messages, *([unrestored] if unrestored else [])]:
            sys.stderr.write(f"releasekit: {line}\n")
