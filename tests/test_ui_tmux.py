"""The live UI in a real terminal: a real publish of the example workspace in tmux.

Real uv, a real (deliberately slow) local index, real keys: ``p`` pauses (nothing new
starts, running stages finish), ``r`` resumes, ``q`` cancels (graceful drain, files
restored byte for byte, exit 130), and the next run resumes to a complete release.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from releasekit.engine.events import read_events
from tests.harness.gitrepo import init_repo
from tests.harness.workspace import copy_example_workspace
from tests.ui_index import SlowIndex, slow_index

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("tmux") is None,
        reason="tmux is not installed (apt-get install -y tmux): the live UI "
        "test needs a real terminal",
    ),
]

DELAY = 0.25  # seconds added to every index request
DROP = {"TMUX", "TMUX_PANE", "COLUMNS", "LINES", "NO_COLOR", "GITHUB_ACTIONS", "UV_PUBLISH_TOKEN"}


class Pane:
    """One tmux session on a private server socket, running one shell command."""

    def __init__(self, tmp: Path, command: str) -> None:
        self.socket = f"releasekit-test-{os.getpid()}"
        self.session = "ui"
        script = tmp / "run.sh"
        # after the run: its exit status, then the terminal's mode as the program left it
        script.write_text(
            f'#!/bin/sh\n{command}\necho "EXIT=$?" > {tmp / "rc.tmp"}\n'
            f"stty -a > {tmp / 'stty'}\nmv {tmp / 'rc.tmp'} {tmp / 'rc'}\nsleep 600\n"
        )
        self.stty_file = tmp / "stty"
        script.chmod(0o755)
        self.rc_file = tmp / "rc"
        self.tmux("new-session", "-d", "-s", self.session, "-x", "120", "-y", "40", str(script))
        self.socket_path = self.tmux("display-message", "-p", "#{socket_path}").strip()

    def tmux(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, *args],
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        )
        return done.stdout

    def text(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", self.session)

    def history(self) -> str:
        """The screen and what scrolled off it."""
        return self.tmux("capture-pane", "-p", "-S", "-", "-t", self.session)

    def send(self, key: str) -> None:
        self.tmux("send-keys", "-t", self.session, key)

    def close(self) -> None:
        subprocess.run(
            ["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=20, check=False
        )
        if self.socket_path:
            Path(self.socket_path).unlink(missing_ok=True)  # a killed server leaves its socket


def wait_for(what: str, check: Callable[[], Any], timeout: float, pane: Pane) -> Any:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}; the pane shows:\n{pane.text()}")


@pytest.fixture
def index() -> Iterator[SlowIndex]:
    with slow_index(DELAY) as idx:
        yield idx


def test_live_ui_pause_resume_cancel_in_tmux(tmp_path: Path, index: SlowIndex) -> None:
    ws = tmp_path / "ws"
    copy_example_workspace(ws)
    # a committed repository, as a release starts from (the preflight gates check)
    init_repo(ws, initial_commit=False).commit_all("example")
    manifests = {p: p.read_bytes() for p in ws.rglob("pyproject.toml")}
    # this process's environment (certificates, proxies, uv settings), not the tmux server's
    env = {k: v for k, v in os.environ.items() if k not in DROP and not k.startswith("PYTEST")}
    env.update(
        UV_PUBLISH_USERNAME=index.username,
        UV_PUBLISH_PASSWORD=index.password,
        TERM="screen",
        LANG="C.UTF-8",
    )
    argv = [
        sys.executable,
        "-m",
        "releasekit",
        "--workspace",
        str(ws),
        "publish",
        "--target",
        "custom",
        "--publish-url",
        index.url,
        "--check-url",
        index.simple_url,
        "--json-api-url",
        "",
        "--trusted-publishing",
        "never",
        "-j",
        "2",
    ]
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    pane = Pane(tmp_path, f"cd {shlex.quote(str(ws))} && env -i {exports} {shlex.join(argv)}")
    try:
        runs = ws / ".releasekit" / "runs"

        def events() -> list[dict[str, Any]]:
            found = list(runs.glob("*/events.ndjson")) if runs.exists() else []
            return read_events(found[0]) if found else []

        def started() -> list[str]:
            return [f"{e['stage']}:{e['package']}" for e in events() if e["event"] == "start"]

        wait_for("the first stage to start", started, 60, pane)
        pane.send("p")
        wait_for("the PAUSED banner", lambda: "PAUSED" in pane.text(), 10, pane)
        wait_for(
            "the running stages to finish",
            lambda: "idle: nothing is running" in pane.text(),
            60,
            pane,
        )
        before = started()
        time.sleep(2.0)
        paused_pane = pane.text()
        assert started() == before, "a stage started while paused"
        assert "idle: nothing is running" in paused_pane and "ETA paused" in paused_pane

        pane.send("r")
        wait_for("a new stage after resume", lambda: len(started()) > len(before), 15, pane)
        assert "PAUSED" not in pane.text()
        for key, shown in (
            ("f", "filter [active]"),
            ("f", "filter [failed]"),
            ("f", "filter [all]"),
            ("a", "view: all rows"),
            ("w", "view: window"),
        ):
            pane.send(key)
            wait_for(
                f"{key!r} to show {shown!r}", lambda shown=shown: shown in pane.text(), 5, pane
            )

        def pinned_build() -> bool:
            return any(
                e["event"] == "step" and e.get("step") == "pin" and e.get("pins") for e in events()
            )

        wait_for("a build with pinned internal dependencies", pinned_build, 60, pane)
        running_pane = pane.text()
        dirty_at_cancel = [p for p, data in manifests.items() if p.read_bytes() != data]
        pane.send("q")
        wait_for(
            "CANCELLING", lambda: "CANCELLING" in pane.text() or pane.rc_file.exists(), 10, pane
        )
        rc = wait_for(
            "the run to end", lambda: pane.rc_file.exists() and pane.rc_file.read_text(), 90, pane
        )
        final_pane = pane.history()
    finally:
        pane.close()

    print("\n--- pane while running ---\n" + running_pane)
    print("--- pane while paused ---\n" + paused_pane)
    print("--- pane at the end ---\n" + final_pane)
    print(f"pyproject files rewritten when q was pressed: {[str(p) for p in dirty_at_cancel]}")

    assert rc.strip() == "EXIT=130", final_pane
    mode = pane.stty_file.read_text().split()
    assert "icanon" in mode and "echo" in mode, "the terminal was left in cbreak mode"
    changed = [str(p) for p, data in manifests.items() if p.read_bytes() != data]
    assert changed == [], f"not restored byte for byte: {changed}"
    assert "STOPPED" in final_pane and "cancelled:" in final_pane
    assert "rerun the same command to resume" in final_pane
    for pkg in ("acme-core", "acme-log", "acme-http", "acme-store", "acme-api", "acme-cli"):
        assert pkg in running_pane
    assert re.search(r"running \d", running_pane) and "keys: p pause" in running_pane
    last = json.loads((ws / ".releasekit" / "last-run.json").read_text())
    assert last["cancelled"] is True and last["exit_code"] == 130

    # the next run resumes: everything ends published, finished builds are reused
    index.delay = 0.0  # same index, full speed: only the resume is under test now
    rerun = subprocess.run(
        [*argv[:-2], "-j", "4", "--format", "json"],
        cwd=ws,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        env={**os.environ, **env},
    )
    assert rerun.returncode == 0, rerun.stderr
    summary = json.loads(rerun.stdout.splitlines()[-1])
    assert summary["ok"] and len(summary["packages"]) == 6
    assert {p["status"] for p in summary["packages"]} <= {"published", "already-published"}
    reused = [
        json.loads(line)
        for line in rerun.stdout.splitlines()
        if '"kind":"step"' in line and '"step":"reuse"' in line
    ]
    assert reused, "the rerun rebuilt everything instead of resuming"
    assert all(p.read_bytes() == data for p, data in manifests.items())
