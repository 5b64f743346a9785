"""The front ends (rich table, CI log, NDJSON) fed by real doit runs, and their parts.

One real run (spawn workers, fake stage actions with a failure, retries and a blocked
dependent) drives all three front ends at once; the rest are unit tests of the pieces
that a run cannot steer precisely (window, ETA, keys, escaping, terminal mode).
"""

from __future__ import annotations

import io
import json
import os
import re
import termios
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from rich.console import Console

from releasekit.cli import main
from releasekit.engine.observer import NullObserver, SchedulerState, TaskEvent, TaskStatus
from releasekit.engine.runcontrol import RunControl
from releasekit.engine.runner import execute
from releasekit.ui.choose import front_end, session
from releasekit.ui.cilog import CiLog, annotation
from releasekit.ui.model import RunModel
from releasekit.ui.ndjson import NdjsonStream
from releasekit.ui.rich_ui import RichProgressUI, View, render, window
from releasekit.ui.sink import LineSink
from releasekit.ui.terminal import TerminalKeys
from tests.ui_fakes import make_workspace, prepare, use_fakes

NASTY = "error[RK606] uv publish failed: [tool.uv] says [bold]no[/bold] [/] 100% (hint: fix it)"


class Tee:
    """Hands every observer call to several front ends (what a real run would do to one)."""

    def __init__(self, *observers: Any) -> None:
        self.observers = observers

    def __getattr__(self, name: str) -> Any:
        def call(*args: Any) -> None:
            for observer in self.observers:
                method = getattr(observer, name, None)
                if method is not None:
                    method(*args)

        return call


def text_of(renderable: Any, width: int = 120) -> str:
    console = Console(file=io.StringIO(), width=width, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


# --- one real run, three front ends ------------------------------------------------


def test_front_ends_follow_a_real_doit_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    prepared = prepare(make_workspace(tmp_path / "ws", {"a": [], "b": ["a"], "c": [], "d": ["c"]}))
    use_fakes(monkeypatch, prepared.settings.state_dir,
              {"default": 0.02, "fail": {"upload:c": NASTY}, "retry": {"upload:b": 2}})
    ndjson_out, log_out, tty_out = io.StringIO(), io.StringIO(), io.StringIO()
    ndjson = NdjsonStream(ndjson_out)
    log = CiLog(log_out, github=True, cwd=str(tmp_path / "ws"))
    ui = RichProgressUI(Console(file=tty_out, force_terminal=True, width=120, height=40))
    observer = Tee(ndjson, log, ui)
    result = execute(prepared, observer, control=RunControl(observer))

    assert result.exit_code == 1
    statuses = {p.name: p.status for p in result.packages}
    assert statuses == {"a": "published", "b": "published", "c": "failed", "d": "blocked"}

    # NDJSON: every line is JSON; start first, summary last (equal to summary.json)
    lines = [json.loads(line) for line in ndjson_out.getvalue().splitlines()]
    assert lines[0]["type"] == "start" and lines[0]["plan"]["packages"]
    assert lines[-1]["type"] == "summary"
    summary_file = json.loads((Path(prepared.settings.run_dir) / "summary.json").read_text())
    assert {k: v for k, v in lines[-1].items() if k not in ("type", "t")} == summary_file
    kinds = {line["type"] for line in lines}
    assert kinds == {"start", "task", "event", "state", "summary"}
    tasks = [line for line in lines if line["type"] == "task"]
    assert {(t["task"], t["status"]) for t in tasks} >= {
        ("upload:c", "failed"),
        ("publish:a", "done"),
    }
    assert any(t["status"] == "blocked" and t["package"] == "d" for t in tasks)
    retries = [line for line in lines if line["type"] == "event" and line["kind"] == "retry"]
    assert [r["attempt"] for r in retries] == [1, 2]
    states = [line["state"] for line in lines if line["type"] == "state"]
    assert states[0] == "running" and states[-1] == "finished"

    # CI log: one aligned line per stage change, retries, groups and annotations
    log_text = log_out.getvalue()
    live, grouped = log_text.split("::group::a 1.0.0", 1)  # the timeline, then per-package groups
    changes = [t for t in tasks if not (t["stage"] == "probe" and t["status"] == "running")]
    stage_line = r"^\[\s*[\d.]+s\] (\S+)\s+1\.0\.0\s+(\w+)\s+(running|done|failed|blocked)"
    timeline = re.findall(stage_line, live, re.M)
    assert len(timeline) == len(changes)
    assert sorted(re.findall(stage_line, grouped, re.M)) == sorted(timeline)
    assert re.search(
        r"^\[\s*[\d.]+s\] b\s+1\.0\.0\s+upload\s+retry\s+#1 in 0\.01s: 503", log_text, re.M
    )
    assert "::group::plan" in log_text and "::group::c 1.0.0: failed" in log_text
    assert log_text.count("::group::") == log_text.count("::endgroup::") == 5
    error = next(line for line in log_text.splitlines() if line.startswith("::error "))
    assert error.startswith(
        "::error file=packages/c/pyproject.toml,title=releasekit%3A c 1.0.0 failed at upload::"
    )
    assert "100%25" in error
    assert any(
        line.startswith("::warning ") and "d 1.0.0 blocked" in line
        for line in log_text.splitlines()
    )

    # rich: frames were drawn; the final frame shows the verdict and the message verbatim
    assert tty_out.getvalue().count("releasekit publish") >= 2
    final = text_of(ui.frame())
    assert "FINISHED with failures" in final
    assert "c upload: " + NASTY in final  # verbatim: not parsed as markup
    row_b = next(line for line in final.splitlines() if re.match(r"\s*1\s+b\s", line))
    assert re.search(r"published\s.*6/6\s+\d+:\d\d\s+2$", row_b.rstrip())  # 2 retries
    assert re.search(r"\bd\b.*\bupload\b", final)  # blocked at its upload


def test_publish_format_json_writes_only_ndjson_on_stdout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    ws = make_workspace(tmp_path / "ws", {"a": [], "b": ["a"]})
    use_fakes(monkeypatch, ws / ".releasekit", {"default": 0.01})
    # The preflight gates (where publish has them) need a git repo and a live index; they are
    # tested on their own, and their report goes to stderr anyway.
    from releasekit import api

    monkeypatch.setattr(api, "run_gates", lambda *a, **k: None)
    monkeypatch.setenv("UV_PUBLISH_TOKEN", "pypi-secret-token-value")
    code = main(
        [
            "--workspace",
            str(ws),
            "publish",
            "--format",
            "json",
            "-j",
            "2",
            "--target",
            "custom",
            "--publish-url",
            "http://127.0.0.1:9/",
            "--check-url",
            "http://127.0.0.1:9/simple/",
            "--json-api-url",
            "",
        ]
    )
    out, err = capfd.readouterr()
    assert code == 0, err
    lines = [json.loads(line) for line in out.splitlines()]  # every stdout line is JSON
    assert lines[-1]["type"] == "summary" and lines[-1]["ok"] is True
    assert "pypi-secret-token-value" not in out + err
    last_run = json.loads((ws / ".releasekit" / "last-run.json").read_text())
    assert last_run["run_id"] == lines[-1]["run_id"]


# --- the rich table ----------------------------------------------------------------


def model_of(n: int, clock: list[float]) -> RunModel:
    plan = SimpleNamespace(
        packages=[
            SimpleNamespace(
                name=f"p{i:02d}",
                next_version="1.0.0",
                level=i // 5,
                order=i,
                stages=("build", "upload", "publish"),
            )
            for i in range(n)
        ],
        tasks=[
            SimpleNamespace(name=f"{s}:p{i:02d}", task_dep=(f"{prev}:p{i:02d}",) if prev else ())
            for i in range(n)
            for s, prev in (("build", ""), ("upload", "build"), ("publish", "upload"))
        ],
    )
    model = RunModel(clock=lambda: clock[0])
    model.start(plan, SimpleNamespace(concurrency=2, publish_url="http://idx/", run_id="r1"))
    return model


def feed(model: RunModel, task: str, status: TaskStatus, at: float, message: str = "") -> None:
    stage, package = task.split(":")
    model.task(TaskEvent(task, stage, package, status, message, {}, at))


def test_window_keeps_active_failed_recent_and_next_rows_in_plan_order() -> None:
    clock = [100.0]
    model = model_of(30, clock)
    for i in range(10):  # p00..p09 published, p09 most recently
        for stage in ("build", "upload", "publish"):
            feed(model, f"{stage}:p{i:02d}", TaskStatus.RUNNING, 10.0 + i)
            feed(model, f"{stage}:p{i:02d}", TaskStatus.DONE, 11.0 + i)
    feed(model, "build:p20", TaskStatus.RUNNING, 50)
    feed(model, "build:p25", TaskStatus.RUNNING, 50)
    feed(model, "build:p15", TaskStatus.RUNNING, 40)
    feed(model, "build:p15", TaskStatus.FAILED, 41, "boom")
    rows, hidden = window(model, model.ordered(model.rows.values()), 7, all_rows=False)
    names = [r.name for r in rows]
    # 2 running + 1 failed + 2 most recent done + 2 next pending, shown in plan order
    assert names == ["p08", "p09", "p10", "p11", "p15", "p20", "p25"]
    assert hidden == "… 23 more rows: 8 done, 15 pending (a: all rows)"
    every, note = window(model, model.ordered(model.rows.values()), 7, all_rows=True)
    assert [r.name for r in every] == [f"p{i:02d}" for i in range(8, 15)]  # scrolled to p10
    assert note.startswith("↑ 8 above · ↓ 15 below")


def test_render_fits_the_screen_and_the_filter_applies() -> None:
    clock = [100.0]
    model = model_of(40, clock)
    feed(model, "build:p03", TaskStatus.RUNNING, 90)
    feed(model, "build:p07", TaskStatus.RUNNING, 90)
    feed(model, "build:p07", TaskStatus.FAILED, 95, NASTY)
    view = View()
    frame = text_of(render(model, view, height=24, interactive=True))
    assert len(frame.splitlines()) <= 24
    narrow = text_of(render(model, view, height=20, interactive=True), width=60)
    assert len(narrow.splitlines()) <= 20  # long lines are cut, never wrapped
    assert "more rows" in frame and "keys: p pause" in frame
    view.next_filter()  # active
    active = text_of(render(model, view, height=24))
    assert re.search(r"\bp03\b", active) and not re.search(r"\bp07\b", active.split("errors")[0])
    view.next_filter()  # failed
    failed = text_of(render(model, view, height=24))
    assert re.search(r"\bp07\b", failed) and not re.search(r"\bp03\b", failed)
    assert "[tool.uv] says [bold]no[/bold] [/] 100%" in failed  # markup shown, not parsed


def test_eta_from_measured_stage_durations() -> None:
    clock = [0.0]
    model = model_of(4, clock)
    assert model.eta() == (None, True)  # nothing measured yet
    for i in range(2):
        feed(model, f"build:p{i:02d}", TaskStatus.RUNNING, 0)
        feed(model, f"build:p{i:02d}", TaskStatus.DONE, 4)
        feed(model, f"upload:p{i:02d}", TaskStatus.RUNNING, 4)
        feed(model, f"upload:p{i:02d}", TaskStatus.DONE, 6)
    clock[0] = 6.0
    seconds, partial = model.eta()
    assert partial  # publish never measured: a lower bound
    # left: 2 builds (4 s) + 2 uploads (2 s) = 12 s of work over 2 workers = 6 s; chain 6 s
    assert seconds == pytest.approx(6.0)
    feed(model, "publish:p00", TaskStatus.RUNNING, 6)
    feed(model, "publish:p00", TaskStatus.DONE, 7)
    feed(model, "build:p02", TaskStatus.RUNNING, 7)
    clock[0] = 8.0
    seconds, partial = model.eta()
    # build:p02 has 3 s left, then upload 2 and publish 1: chain 6 s; work (3+6+1+4+2+1)/2
    assert not partial and seconds == pytest.approx(max(6.0, (3 + 2 + 1 + 4 + 2 + 1 + 1) / 2))
    feed(model, "build:p02", TaskStatus.FAILED, 8)
    seconds, _ = model.eta()  # p02's upload and publish can no longer run
    assert seconds == pytest.approx(max(7.0, (1 + 4 + 2 + 1) / 2))


class FakeControl:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def pause(self, reason: str) -> None:
        self.calls.append("pause")

    def resume(self, reason: str) -> None:
        self.calls.append("resume")

    def cancel(self, reason: str) -> None:
        self.calls.append("cancel")


def test_keys_act_on_the_control_and_the_view() -> None:
    ui = RichProgressUI(Console(file=io.StringIO(), width=100, height=30))
    control = FakeControl()
    ui.attach_control(control)
    for key in "prqxP":
        ui.handle_key(key)
    assert control.calls == ["pause", "resume", "cancel", "pause"]
    ui.handle_key("a")
    assert ui.view.all_rows
    ui.handle_key("w")
    assert not ui.view.all_rows
    ui.handle_key("f")
    ui.handle_key("f")
    assert ui.view.filter == "failed"
    ui.handle_key("f")
    assert ui.view.filter == "all"


def test_state_banner_follows_pause_and_cancel() -> None:
    model = model_of(2, [0.0])
    feed(model, "build:p00", TaskStatus.RUNNING, 0)
    model.set_state(SchedulerState.PAUSED, "p pressed")
    assert "PAUSED · no new stage starts · 1 running stage(s) finishing" in text_of(
        render(model, View(), height=30, interactive=True)
    )
    model.set_state(SchedulerState.DRAINING, "q pressed")
    model.set_state(SchedulerState.RUNNING, "r pressed")  # a resume cannot undo a cancel
    assert "CANCELLING · waiting for 1 running stage(s)" in text_of(
        render(model, View(), height=30)
    )


# --- choosing, the terminal, the CI log, the sink ----------------------------------


class Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def args(**kw: Any) -> SimpleNamespace:
    return SimpleNamespace(**{"format": "table", "quiet": False, "verbose": False, **kw})


def test_front_end_choice() -> None:
    tty, pipe = Stream(True), Stream(False)
    choose = front_end
    assert isinstance(
        choose(args(format="json"), stdout=pipe, stderr=tty, environ={}), NdjsonStream
    )
    assert isinstance(choose(args(quiet=True), stderr=tty, environ={}), NullObserver)
    rich_ui = choose(args(verbose=True), stdin=pipe, stderr=tty, environ={"NO_COLOR": "1"})
    assert isinstance(rich_ui, RichProgressUI)
    assert rich_ui.verbose and rich_ui.console.no_color and rich_ui.keys is None  # stdin no tty
    assert isinstance(choose(args(), stdin=tty, stderr=tty, environ={}), RichProgressUI)
    assert isinstance(choose(args(), stderr=tty, environ={"TERM": "dumb"}), CiLog)
    log = choose(args(), stderr=pipe, environ={"GITHUB_ACTIONS": "true"})
    assert isinstance(log, CiLog) and log.github
    assert not front_end(args(), stderr=pipe, environ={}).github  # type: ignore[union-attr]


@pytest.fixture
def pty_pair() -> Any:
    master, slave = os.openpty()
    stream = os.fdopen(slave, "r")
    yield master, stream
    stream.close()
    os.close(master)


def test_terminal_keys_cbreak_and_restore(pty_pair: Any) -> None:
    master, stream = pty_pair
    before = termios.tcgetattr(stream.fileno())
    keys = TerminalKeys(stream)
    assert keys.start()
    mode = termios.tcgetattr(stream.fileno())
    assert not mode[3] & termios.ECHO and not mode[3] & termios.ICANON
    assert mode[3] & termios.ISIG  # Ctrl-C still drains
    assert keys.read() == ""
    os.write(master, b"p")
    assert keys.read() == "p"
    keys.restore()
    keys.restore()  # idempotent
    assert termios.tcgetattr(stream.fileno()) == before


@pytest.mark.parametrize("exc", [RuntimeError("boom"), KeyboardInterrupt()])
def test_session_restores_the_terminal_on_every_exit(pty_pair: Any, exc: BaseException) -> None:
    _, stream = pty_pair
    before = termios.tcgetattr(stream.fileno())
    ui = RichProgressUI(Console(file=io.StringIO(), force_terminal=True), keys=TerminalKeys(stream))
    control = RunControl(ui)
    with pytest.raises(type(exc)), session(ui, control):
        assert ui.control is control and ui.interactive
        assert termios.tcgetattr(stream.fileno()) != before
        raise exc
    assert termios.tcgetattr(stream.fileno()) == before


def test_annotations_escape_what_github_would_misread() -> None:
    assert annotation("error", "50% done\nnext", title="a: b, c", file="x,y.toml") == (
        "::error file=x%2Cy.toml,title=a%3A b%2C c::50%25 done%0Anext"
    )
    assert annotation("warning", "plain") == "::warning::plain"


def test_sink_survives_a_write_from_a_signal_handler_mid_write() -> None:
    """A handler interrupting a write queues its line; the interrupted writer flushes it."""

    class Reentrant(io.StringIO):
        sink: LineSink
        fired = False

        def write(self, s: str) -> int:
            if not self.fired:
                self.fired = True
                self.sink.write("from the handler")  # as if a signal arrived here
            return super().write(s)

    stream = Reentrant()
    stream.sink = LineSink(stream)
    stream.sink.write("first")
    assert stream.getvalue() == "first\nfrom the handler\n"
