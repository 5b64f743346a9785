"""The live table on a terminal, with keys to pause, resume and cancel the run.

Threads and processes: the rich ``Live`` is refreshed by hand (``auto_refresh=False``),
so it starts no thread; all drawing and key handling happen in ``on_tick``, which the
runner's main loop calls in the main thread (RunControl.tick). Callbacks from other
threads (the events tail) or from signal handlers only append to an inbox that the tick
folds into the model. Text from the outside world (errors, steps) is always rendered as
``Text``, never parsed as markup, so a message holding ``[tool.uv]`` prints as is.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from rich import box
from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from releasekit.engine.observer import SchedulerState, TaskEvent
from releasekit.engine.plan import Plan
from releasekit.engine.results import RunResult
from releasekit.engine.settings import PublishSettings
from releasekit.ui.model import Row, RunModel
from releasekit.ui.terminal import TerminalKeys

FILTERS = ("all", "active", "failed")
STATE_STYLE = {
    "running": "bold cyan",
    "waiting": "blue",
    "done": "green",
    "failed": "bold red",
    "blocked": "yellow",
    "cancelled": "magenta",
    "pending": "dim",
}
MAX_ERRORS = 5


@dataclass
class View:
    """What the keys change: every row or the window, and which rows."""

    all_rows: bool = False
    filter: str = "all"

    def next_filter(self) -> None:
        self.filter = FILTERS[(FILTERS.index(self.filter) + 1) % len(FILTERS)]


def clock_text(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    whole = max(0, round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def filtered(model: RunModel, view: View) -> list[Row]:
    rows = model.ordered(model.rows.values())
    if view.filter == "active":
        return [r for r in rows if r.state == "running"]
    if view.filter == "failed":
        return [r for r in rows if r.state in ("failed", "blocked")]
    return rows


def window(model: RunModel, rows: list[Row], capacity: int, all_rows: bool) -> tuple[list[Row], str]:
    """The rows to show and a line about the hidden ones ('' when nothing is hidden).

    Window: running, failed and between-stages rows first; the room left is shared by the
    most recently finished and the next to start; shown in plan order. All rows: plan
    order, scrolled so the first unfinished row stays on screen.
    """
    capacity = max(1, capacity)
    if len(rows) <= capacity:
        return rows, ""
    if all_rows:
        first_open = next((i for i, r in enumerate(rows) if r.state not in ("done", "cancelled")), len(rows))
        start = max(0, min(first_open - 2, len(rows) - capacity))
        shown = rows[start : start + capacity]
        below = len(rows) - start - len(shown)
        return shown, f"↑ {start} above · ↓ {below} below (all rows, plan order; w: window)"
    must = [r for r in rows if r.state == "running"]
    must += [r for r in rows if r.state in ("failed", "blocked")]
    must += [r for r in rows if r.state == "waiting"]
    chosen = must[:capacity]
    recent = sorted((r for r in rows if r.state == "done"), key=lambda r: -r.last_change)
    upcoming = [r for r in rows if r.state == "pending"]
    room = capacity - len(chosen)
    take_recent = min(len(recent), max(room // 2, room - len(upcoming)))
    chosen += recent[:take_recent]
    chosen += upcoming[: room - take_recent]
    chosen += [r for r in rows if r.state == "cancelled"][: capacity - len(chosen)]
    keep = {r.name for r in chosen}
    hidden: dict[str, int] = {}
    for r in rows:
        if r.name not in keep:
            hidden[r.state] = hidden.get(r.state, 0) + 1
    detail = ", ".join(f"{n} {state}" for state, n in sorted(hidden.items()))
    return [r for r in rows if r.name in keep], f"… {sum(hidden.values())} more rows: {detail} (a: all rows)"


def _bar(row: Row, width: int = 14) -> Text:
    total = max(1, len(row.stages))
    done = row.done_stages
    filled = round(width * done / total)
    style = {"failed": "red", "blocked": "yellow", "cancelled": "magenta"}.get(row.state, "green")
    text = Text("━" * filled, style=style)
    text.append("━" * (width - filled), style="grey30")
    text.append(f" {done}/{total}")
    return text


def _banner(model: RunModel, interactive: bool) -> Text:
    running = model.running_stages
    if model.state is SchedulerState.PAUSED:
        what = f"{running} running stage(s) finishing" if running else "idle: nothing is running"
        hint = " · r resume · q cancel" if interactive else ""
        return Text(f" PAUSED · no new stage starts · {what}{hint} ", style="bold black on yellow")
    if model.state is SchedulerState.DRAINING:
        what = f"waiting for {running} running stage(s)" if running else "stopping"
        return Text(
            f" CANCELLING · {what} · files are restored · run again to resume ",
            style="bold white on red",
        )
    if model.state is SchedulerState.STOPPED:
        return Text(" STOPPED · run the same command again to resume ", style="bold white on red")
    if model.state is SchedulerState.FINISHED:
        failed = any(r.state in ("failed", "blocked") for r in model.rows.values())
        return Text(
            " FINISHED with failures " if failed else " FINISHED ",
            style="bold white on red" if failed else "bold black on green",
        )
    return Text(" RUNNING ", style="bold black on cyan")


def render(
    model: RunModel, view: View, *, height: int, verbose: bool = False, interactive: bool = False
) -> RenderableType:
    """One frame. Pure: a function of the model, the view and the screen height."""
    header = Text.assemble(
        ("releasekit publish", "bold"),
        (f" → {model.target}" if model.target else "", ""),
        (f" · {len(model.rows)} packages · {model.concurrency} workers", "dim"),
        (f" · run {model.run_id}" if model.run_id else "", "dim"),
        no_wrap=True,
        overflow="ellipsis",
    )
    banner = _banner(model, interactive and model.finished is None)
    errors = model.errors[-MAX_ERRORS:]
    keys_line = interactive and model.finished is None
    overhead = 2 + 2 + 1 + (len(errors) + 2 if errors else 0) + 1 + (1 if keys_line else 0) + 1
    rows, hidden = window(model, filtered(model, view), height - overhead, view.all_rows)

    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=False)
    table.add_column("lvl", justify="right")
    table.add_column("package", no_wrap=True)
    table.add_column("version", no_wrap=True)
    table.add_column("stage", no_wrap=True)
    table.add_column("progress", no_wrap=True)
    table.add_column("elapsed", justify="right")
    table.add_column("retries", justify="right")
    if verbose:
        table.add_column("detail", no_wrap=True, overflow="ellipsis", max_width=60)
    now = model.clock()
    for row in rows:
        style = STATE_STYLE[row.state]
        cells: list[RenderableType] = [
            Text(str(row.level)),
            Text(row.name, style="bold" if row.state == "running" else ""),
            Text(row.version),
            Text(row.stage_label, style=style),
            _bar(row),
            Text(clock_text(row.elapsed(now)) if row.started is not None else "", style="dim"),
            Text(str(row.retries) if row.retries else "", style="yellow"),
        ]
        if verbose:
            cells.append(Text(row.step, style="dim"))
        table.add_row(*cells)
    banner.no_wrap, banner.overflow = True, "ellipsis"
    parts: list[RenderableType] = [header, banner, table]
    if hidden:
        parts.append(Text(hidden, style="dim", no_wrap=True, overflow="ellipsis"))
    if not rows:
        parts.append(Text(f"no {view.filter} rows (f: change the filter)", style="dim"))
    if errors:
        lines = Text(no_wrap=True, overflow="ellipsis")  # one line each: the frame must fit
        for i, err in enumerate(errors):
            if i:
                lines.append("\n")
            where = " ".join(x for x in (err.package, err.stage) if x)
            lines.append(f"{where}: " if where else "", style="bold")
            first = err.message.strip().splitlines()[0] if err.message.strip() else ""
            lines.append(first)
        title = Text(f"errors ({len(model.errors)})", style="bold red")
        parts.append(Panel(lines, title=title, title_align="left", border_style="red", expand=True))
    counts = model.counts()
    footer = Text(no_wrap=True, overflow="ellipsis")
    for state in ("done", "running", "waiting", "pending", "failed", "blocked", "cancelled"):
        if counts[state] or state in ("done", "running", "pending"):
            footer.append(f"{state} {counts[state]}", style=STATE_STYLE[state] if counts[state] else "dim")
            footer.append(" · ", style="dim")
    stages = f"stages {model.stages_done}/{len(model.task_status)}"
    footer.append(f"{stages} · elapsed {clock_text(model.elapsed())}")
    if model.finished is None:
        if model.state is SchedulerState.PAUSED:
            footer.append(" · ETA paused")
        else:
            seconds, partial = model.eta()
            if partial and seconds is not None and seconds < 1:
                seconds = None  # "at least 0 s" says nothing
            bound = "≥" if partial and seconds is not None else ""
            footer.append(f" · ETA {bound}{clock_text(seconds)}")
    parts.append(footer)
    if keys_line:
        parts.append(
            Text.assemble(
                ("keys: ", "dim"),
                ("p", "bold"),
                " pause  ",
                ("r", "bold"),
                " resume  ",
                ("q", "bold"),
                " cancel  ",
                ("a", "bold"),
                " all rows  ",
                ("w", "bold"),
                " window  ",
                ("f", "bold"),
                f" filter [{view.filter}]",
                (f"   view: {'all rows' if view.all_rows else 'window'}", "dim"),
                no_wrap=True,
                overflow="ellipsis",
            )
        )
    return Group(*parts)


class RichProgressUI:
    """PublishObserver drawing a live table on a terminal; keys act through RunControl."""

    REFRESH_SECONDS = 0.1

    def __init__(
        self,
        console: Console,
        *,
        verbose: bool = False,
        keys: TerminalKeys | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.console = console
        self.verbose = verbose
        self.keys = keys
        self.model = RunModel(clock)
        self.view = View()
        self.control: Any = None
        self._inbox: deque[tuple[str, Any]] = deque()
        self._live: Live | None = None
        self._last_refresh = 0.0

    # --- lifecycle: the terminal is put back however the run ends ----------------------

    def attach_control(self, control: Any) -> None:
        self.control = control

    def __enter__(self) -> RichProgressUI:
        if self.keys is not None:
            self.keys.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        try:
            if self._live is not None:
                self._live.stop()
        finally:
            self._live = None
            if self.keys is not None:
                self.keys.restore()

    @property
    def interactive(self) -> bool:
        return self.keys is not None and self.keys.active and self.control is not None

    # --- PublishObserver -----------------------------------------------------------

    def on_start(self, plan: Plan, settings: PublishSettings) -> None:
        self.model.start(plan, settings)
        self._live = Live(
            console=self.console,
            auto_refresh=False,
            transient=False,
            redirect_stdout=False,
            redirect_stderr=False,
            vertical_overflow="crop",
        )
        self._live.start()
        self.refresh(force=True)

    def on_task(self, event: TaskEvent) -> None:
        self._inbox.append(("task", event))

    def on_event(self, event: dict[str, Any]) -> None:
        self._inbox.append(("event", event))

    def on_state(self, state: SchedulerState, detail: str) -> None:
        self._inbox.append(("state", (state, detail)))

    def on_tick(self) -> None:
        self._drain()
        if self.interactive:
            assert self.keys is not None
            for key in self.keys.read():
                self.handle_key(key)
        self.refresh()

    def on_finish(self, result: RunResult) -> None:
        self._drain()
        self.model.finish(result)
        self.refresh(force=True)
        if self._live is not None:
            self._live.stop()
            self._live = None

    # --- keys ----------------------------------------------------------------------

    def handle_key(self, key: str) -> None:
        key = key.lower()
        control = self.control
        if key == "p" and control is not None:
            control.pause("p pressed")
        elif key == "r" and control is not None:
            control.resume("r pressed")
        elif key == "q" and control is not None:
            control.cancel("q pressed")
        elif key == "a":
            self.view.all_rows = True
        elif key == "w":
            self.view.all_rows = False
        elif key == "f":
            self.view.next_filter()
        else:
            return
        self._drain()
        self.refresh(force=True)

    # --- drawing -------------------------------------------------------------------

    def _drain(self) -> None:
        while self._inbox:
            kind, payload = self._inbox.popleft()
            if kind == "task":
                self.model.task(payload)
            elif kind == "event":
                self.model.event(payload)
            else:
                self.model.set_state(*payload)

    def frame(self) -> RenderableType:
        return render(
            self.model,
            self.view,
            height=self.console.size.height,
            verbose=self.verbose,
            interactive=self.interactive,
        )

    def refresh(self, force: bool = False) -> None:
        if self._live is None:
            return
        now = time.monotonic()
        if not force and now - self._last_refresh < self.REFRESH_SECONDS:
            return
        self._last_refresh = now
        self._live.update(self.frame(), refresh=True)
