"""The stages that prove a release works: the staged gate (stage, trial, gate) and the smoke
test after the upload. Module-level functions with plain-data arguments, like
:mod:`releasekit.engine.actions`.

The staged gate (notes/real-workspaces.md §3, DESIGN "nothing irreversible before everything
is proven"): every built package is served from a throwaway index on 127.0.0.1 (``stage``),
installed with its exact pins into a fresh venv and imported (``trial``), and only when every
trial passed does the one ``gate`` task let the first upload start. A trial that fails stops
the release with nothing uploaded anywhere.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from releasekit.engine.actions import Package, Result, Settings, intact_record, local_paths, run_stage
from releasekit.engine.builds import note, notes_for
from releasekit.engine.events import emit
from releasekit.engine.smoke import SmokeLog, smoke_test


def _prove(
    stage: str, package: Package, settings: Settings, *, index_url: str, extra: tuple[str, ...]
) -> dict[str, Any]:
    """Install ``package`` from ``index_url`` and import it; reused for the exact files that
    passed before (noted per target index)."""
    name, version = package["name"], package["version"]
    events = settings.get("events_path", "")
    record = intact_record(package, settings)
    passed = notes_for(record, settings["check_url"]).get(stage)
    if isinstance(passed, dict) and passed.get("files") == record.files:
        emit(events, name, stage, "step", step="reuse", detail="already passed for these exact files")
        return {"status": "passed", "reused": True}
    wheel = next(p for fn, p in local_paths(package, settings, record).items() if fn.endswith(".whl"))
    log = SmokeLog(
        Path(os.path.dirname(events) or settings["state_dir"]) / "logs" / f"{name}-{stage}.log", f"{stage}:{name}"
    )
    if settings.get("deep_import"):
        package = {**package, "smoke": {**(package.get("smoke") or {}), "import_all": True}}
    result = smoke_test(
        package,
        wheel,
        index_url=index_url,
        extra_indexes=extra,
        fallback_url=settings.get("fallback_url", ""),
        scratch=Path(settings["state_dir"]) / "smoke",
        log=log,
        step=lambda step, **data: emit(events, name, stage, "step", step=step, **data),
    )
    note(
        settings["state_dir"],
        name,
        version,
        settings["check_url"],
        stage,
        {"files": record.files, "modules": result["modules"]},
    )
    return result


# --- the staged gate ---------------------------------------------------------------------


def stage(package: Package, settings: Settings) -> Result:
    """Put the recorded files where the staging index serves them."""

    def body() -> dict[str, Any]:
        record = intact_record(package, settings)
        target = Path(settings["stage_dir"])
        target.mkdir(parents=True, exist_ok=True)
        for filename, path in local_paths(package, settings, record).items():
            try:
                os.link(path, target / filename)
            except FileExistsError:
                pass
            except OSError:  # another filesystem
                shutil.copy2(path, target / filename)
        return {"status": "staged", "files": sorted(record.files)}

    return run_stage("stage", package, settings, body)


def trial(package: Package, settings: Settings) -> Result:
    """Install the package with its exact pins from the staging index and import it.

    Released members come from the staging index; members of the workspace this release
    does not bump come from the target index, third-party packages from the fallback.
    """
    return run_stage(
        "trial",
        package,
        settings,
        lambda: _prove(
            "trial", package, settings, index_url=settings["stage_url"] + "simple/", extra=(settings["check_url"],)
        ),
    )


def gate(settings: Settings, packages: list[str]) -> Result:
    """Every trial passed (doit runs this only then): uploads may start."""
    emit(settings.get("events_path", ""), "", "gate", "done", passed=len(packages))
    return {"status": "passed", "packages": len(packages)}


# --- after the upload --------------------------------------------------------------------


def smoke(package: Package, settings: Settings) -> Result:
    """Install the package from the target index into a fresh venv and import it."""
    return run_stage(
        "smoke",
        package,
        settings,
        lambda: _prove("smoke", package, settings, index_url=settings["check_url"], extra=()),
    )
