"""The library API the commands call: plan, and publish with its gates and its after-release hook."""

from __future__ import annotations

from pathlib import Path

import pytest

from releasekit import api
from releasekit.engine.observer import NullObserver
from releasekit.engine.settings import PublishSettings
from releasekit.errors import UsageError
from releasekit.model.selection import EVERYTHING
from releasekit.model.versions import Bump
from releasekit.model.workspace import Workspace, load_workspace
from tests.ui_fakes import make_workspace, prepare, use_fakes


def _release(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Workspace, PublishSettings]:
    """A workspace of two packages on the fake stage backend, and its publish settings."""
    prepared = prepare(make_workspace(tmp_path / "ws", {"a": [], "b": ["a"]}))
    use_fakes(monkeypatch, prepared.settings.state_dir, {"default": 0.01})
    monkeypatch.setenv("UV_PUBLISH_TOKEN", "x")
    return prepared.ws, prepared.settings


def test_plan_bumps_every_selected_package(tmp_path: Path) -> None:
    ws = load_workspace(make_workspace(tmp_path / "ws", {"a": [], "b": ["a"]}))
    assert {p.name: p.next_version for p in api.plan(ws).packages} == {"a": "1.0.0", "b": "1.0.0"}
    bumped = api.plan(ws, EVERYTHING, Bump(kind="minor"), smoke_test=False)
    assert {p.name: p.next_version for p in bumped.packages} == {"a": "1.1.0", "b": "1.1.0"}
    assert "smoke" not in bumped.packages[0].stages


def test_publish_runs_the_gates_then_the_plan_then_tells_who_was_released(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []
    ws, settings = _release(tmp_path, monkeypatch)
    options = api.PublishOptions(settings,
                                 gates=lambda ws, plan, s: calls.append(("gates", [p.name for p in plan.packages])),
                                 on_released=lambda ws, versions: calls.append(("released", dict(versions))))
    result = api.publish(ws, EVERYTHING, options, NullObserver())
    assert result.ok and result.started, result.to_json()
    assert calls == [("gates", ["a", "b"]), ("released", {"a": "1.0.0", "b": "1.0.0"})]


def test_a_failed_gate_stops_the_release_before_any_stage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []

    def refuse(*_: object) -> None:
        raise UsageError("the gate says no", hint="fix it")

    ws, settings = _release(tmp_path, monkeypatch)
    options = api.PublishOptions(settings, gates=refuse, on_released=lambda ws, versions: calls.append(versions))
    with pytest.raises(UsageError):
        api.publish(ws, EVERYTHING, options, NullObserver())
    assert calls == [] and not Path(options.settings.events_path).exists()
