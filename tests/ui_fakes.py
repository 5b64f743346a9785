"""Fast fake stage actions for driving real doit runs (spawn workers) in front-end tests.

The actions are module-level so they pickle under ``spawn``; they read their behaviour
from the ``RELEASEKIT_FAKE`` environment variable (workers inherit the environment) and
talk to the front end the way the real ones do: through the NDJSON events side channel.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from doit.exceptions import TaskFailed

from releasekit.events import emit
from releasekit.plan import build_plan
from releasekit.prepared import Prepared
from releasekit.settings import resolve
from releasekit.workspace import load_workspace

ENV = "RELEASEKIT_FAKE"


def _config() -> dict[str, Any]:
    return json.loads(os.environ.get(ENV, "{}"))


def _run(stage: str, package: dict[str, Any], settings: dict[str, Any]) -> Any:
    config = _config()
    name = package["name"]
    task = f"{stage}:{name}"
    events = settings.get("events_path", "")
    emit(events, name, stage, "start", version=package["version"], pid=os.getpid())
    for attempt in range(1, int(config.get("retry", {}).get(task, 0)) + 1):
        emit(
            events,
            name,
            stage,
            "retry",
            attempt=attempt,
            delay=0.01,
            cause=f"503 from the index [tool.uv] attempt {attempt}",
        )
    emit(events, name, stage, "step", step="working", detail=f"fake {stage}")
    time.sleep(float(config.get("delay", {}).get(task, config.get("default", 0.02))))
    failure = config.get("fail", {}).get(task)
    if failure:
        emit(events, name, stage, "fail", message=failure)
        return TaskFailed(failure)
    emit(events, name, stage, "done")
    return {"status": "uploaded" if stage in ("upload", "publish") else "ok", "uploaded": []}


def fake_build(package: dict[str, Any], settings: dict[str, Any]) -> Any:
    return _run("build", package, settings)


def fake_probe(package: dict[str, Any], settings: dict[str, Any]) -> Any:
    return _run("probe", package, settings)


def fake_upload(package: dict[str, Any], settings: dict[str, Any]) -> Any:
    return _run("upload", package, settings)


def fake_poll(package: dict[str, Any], settings: dict[str, Any]) -> Any:
    return _run("poll", package, settings)


def fake_verify(package: dict[str, Any], settings: dict[str, Any]) -> Any:
    return _run("verify", package, settings)


def fake_smoke(package: dict[str, Any], settings: dict[str, Any]) -> Any:
    return _run("smoke", package, settings)


def fake_publish(package: dict[str, Any], settings: dict[str, Any]) -> Any:
    return _run("publish", package, settings)


FAKE_ACTIONS = {
    "build": fake_build,
    "probe": fake_probe,
    "upload": fake_upload,
    "poll": fake_poll,
    "verify": fake_verify,
    "smoke": fake_smoke,
    "publish": fake_publish,
}


def make_workspace(root: Path, packages: dict[str, list[str]]) -> Path:
    """A uv workspace of tiny packages: ``{"a": [], "b": ["a"]}`` (b depends on a)."""
    root.mkdir(parents=True, exist_ok=True)
    sources = "\n".join(f"{n} = {{ workspace = true }}" for n in packages)
    (root / "pyproject.toml").write_text(
        '[tool.uv.workspace]\nmembers = ["packages/*"]\n\n'
        f"[tool.uv.sources]\n{sources}\n\n"
        '[tool.releasekit]\nstate_dir = ".releasekit"\nsmoke_test = false\n',
        encoding="utf-8",
    )
    for name, deps in packages.items():
        pkg = root / "packages" / name
        (pkg / "src" / name.replace("-", "_")).mkdir(parents=True, exist_ok=True)
        (pkg / "src" / name.replace("-", "_") / "__init__.py").write_text("", encoding="utf-8")
        dep_list = ", ".join(f'"{d}>=1.0.0"' for d in deps)
        (pkg / "pyproject.toml").write_text(
            f'[project]\nname = "{name}"\nversion = "1.0.0"\ndependencies = [{dep_list}]\n\n'
            '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n',
            encoding="utf-8",
        )
    return root


def prepare(root: Path, concurrency: int = 2) -> Prepared:
    ws = load_workspace(root)
    plan = build_plan(ws, smoke_test=False)
    settings = resolve(
        ws,
        target="custom",
        publish_url="http://127.0.0.1:9/",
        check_url="http://127.0.0.1:9/simple/",
        json_api_url="",
        concurrency=concurrency,
        environ={"UV_PUBLISH_TOKEN": "x"},
    )
    return Prepared(ws, plan, settings)


def use_fakes(monkeypatch: pytest.MonkeyPatch, config: dict[str, Any]) -> None:
    """Route every stage to the fakes (the parent builds the tasks; spawn pickles the
    references) and configure their timing and failures."""
    import releasekit.pipeline

    monkeypatch.setattr(releasekit.pipeline, "ACTIONS", dict(FAKE_ACTIONS))
    monkeypatch.setenv(ENV, json.dumps(config))
