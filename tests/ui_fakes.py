"""Real doit runs (spawn workers) on the fake stage backend (benchmarks/_simbackend.py), for front-end tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from benchmarks import _simbackend
from releasekit.engine.plan import build_plan
from releasekit.engine.prepared import Prepared
from releasekit.engine.settings import resolve
from releasekit.model.workspace import load_workspace


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


def use_fakes(monkeypatch: pytest.MonkeyPatch, state_dir: str | Path, script: dict[str, Any]) -> None:
    """Route every stage to the fake backend (the parent builds the tasks; spawn pickles the
    references) and script its timing, retries and failures for the run's workers."""
    import releasekit.engine.pipeline

    monkeypatch.setattr(releasekit.engine.pipeline, "ACTIONS", dict(_simbackend.ACTIONS))
    _simbackend.write_script(state_dir, script)
