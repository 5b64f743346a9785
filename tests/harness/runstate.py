"""What a run left in the state directory, read the way a test checks a publish."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

STATE = ".releasekit"


def records(ws: Path, state: str = STATE) -> dict[str, str]:
    """filename -> sha256 from every build record in the state directory."""
    out: dict[str, str] = {}
    for record in (ws / state / "builds").glob("*/*/record.json"):
        out.update(json.loads(record.read_text())["files"])
    return out


def last_run(ws: Path, state: str = STATE) -> dict[str, Any]:
    """The last run's summary (last-run.json)."""
    data: dict[str, Any] = json.loads((ws / state / "last-run.json").read_text())
    return data


def statuses(ws: Path, state: str = STATE) -> dict[str, str]:
    """package -> its status in the last run."""
    return {p["name"]: p["status"] for p in last_run(ws, state)["packages"]}


def journal_entries(ws: Path, state: str = STATE) -> list[Path]:
    """The files a run rewrote and has not restored yet."""
    return sorted((ws / state / "journal").glob("*.json"))
