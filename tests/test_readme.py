"""The README stays true: generated tables current, every raised error code documented,
every command listed, and the two opening commands are the ones CI and the demo run."""

from __future__ import annotations

import re
from pathlib import Path

from releasekit.cli import build_parser
from releasekit.errors import CODES
from tasks.docs import README, render

ROOT = Path(__file__).resolve().parent.parent


def test_generated_tables_are_current() -> None:
    text = README.read_text(encoding="utf-8")
    assert render(text) == text, "README.md is out of date: run `doit docs`"


def test_every_error_code_in_the_source_is_documented() -> None:
    used: set[str] = set()
    for path in (ROOT / "releasekit").rglob("*.py"):
        used.update(re.findall(r'"(RK\d{3})"', path.read_text(encoding="utf-8")))
    used.discard("RK000")
    missing = sorted(used - set(CODES))
    assert not missing, f"codes raised but not in errors.CODES: {missing}"
    unused = sorted(set(CODES) - used - {"RK000"})
    assert not unused, f"codes documented but never raised: {unused}"


def test_every_command_is_in_the_readme() -> None:
    text = README.read_text(encoding="utf-8")
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    assert commands
    for name in commands:
        assert f"releasekit {name}" in text or f"`{name}`" in text, name


def test_the_opening_commands_are_what_ci_and_the_demo_run() -> None:
    text = README.read_text(encoding="utf-8")
    first = text.split("```bash", 1)[1].split("```", 1)[0]
    commands = [line for line in first.splitlines() if line and not line.startswith("#")]
    assert len(commands) == 2
    assert "publish --rehearse" in commands[0] and "examples/workspace" in commands[0]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1] in ci, "the README's test command must be what .ci/run runs"
