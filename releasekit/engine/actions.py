"""The functions doit tasks run, one per stage. Module-level, plain-data arguments only.

They run in doit's worker processes (pickled under spawn/forkserver), so each takes
``(package: dict, settings: dict)`` and builds its clients itself. Each returns a
JSON-safe dict (doit stores it) or a ``TaskFailed`` carrying releasekit's one-line error.
Every stage is idempotent: the index is asked what it has before anything is sent, so a
rerun after any crash completes what is missing and nothing else.
"""

from __future__ import annotations

import os
import shutil
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeAlias

from doit.exceptions import TaskError, TaskFailed
from packaging.version import Version

from releasekit.backends.protocols import IndexBackend
from releasekit.backends.registry import file_version, index_backend
from releasekit.backends.uv import uv_backend
from releasekit.engine.buildenv import build_in_env
from releasekit.engine.builds import (
    BuildRecord,
    build_dir,
    check_wheel_pins,
    install_built,
    load_record,
    note,
    notes_for,
    record_files_intact,
    remove_partial_builds,
    save_record,
)
from releasekit.engine.credentials import no_credentials, upload_env
from releasekit.engine.events import emit
from releasekit.engine.pin import pinned
from releasekit.engine.taskdata import PackageData, SettingsData
from releasekit.engine.workers import cpu_seconds, worker_init
from releasekit.errors import IntegrityError, PublishError
from releasekit.support import envfaults
from releasekit.support.fsutil import fingerprint, save_crash_report, sha256_file
from releasekit.support.journal import Journal
from releasekit.support.redact import redact
from releasekit.support.retry import TransientError, call_with_retries

Package = PackageData
Settings = SettingsData
# A dict (stored by doit as the task's values) or doit's TaskFailed/TaskError (untyped).
Result: TypeAlias = Any


def run_stage(stage: str, package: Package, settings: Settings, body: Callable[[], dict[str, Any]]) -> Result:
    worker_init()
    name = package["name"]
    events = settings.get("events_path", "")
    emit(events, name, stage, "start", version=package["version"], pid=os.getpid())
    started, cpu = time.monotonic(), cpu_seconds()
    try:
        result = body()
    except Exception as exc:
        error = envfaults.stage_error(exc, f"{stage}:{name}", settings.get("state_dir"))
        if error is None:  # a bug: one line here, the traceback in a file of the run
            saved = save_crash_report(
                redact(traceback.format_exc()), os.path.join(os.path.dirname(events), "logs") if events else None
            )
            message = (
                f"error[RK999] internal error in {stage}:{name}: {redact(repr(exc))} "
                f"(hint: this is a bug in releasekit; {saved}, please report it)"
            )
            emit(events, name, stage, "fail", message=message, code="RK999")
            return TaskError(message)
        message = error.one_line()
        emit(
            events, name, stage, "fail", message=message, code=error.code, seconds=round(time.monotonic() - started, 3)
        )
        return TaskFailed(message)
    emit(
        events,
        name,
        stage,
        "done",
        seconds=round(time.monotonic() - started, 3),
        cpu=round(cpu_seconds() - cpu, 3),
        **{k: v for k, v in result.items() if k in ("status", "reused", "uploaded", "polls", "checked")},
    )
    return result


def index_client(settings: Settings) -> IndexBackend:
    return index_backend(settings["check_url"], settings.get("json_api_url", ""))


def with_retries(settings: Settings, package: Package, stage: str, func: Callable[[], Any]) -> Any:
    def on_retry(attempt: int, delay: float, exc: BaseException) -> None:
        emit(
            settings.get("events_path", ""),
            package["name"],
            stage,
            "retry",
            attempt=attempt,
            delay=round(delay, 2),
            cause=redact(str(exc))[:300],
        )

    return call_with_retries(
        func,
        max_retries=int(settings["max_retries"]),
        base_delay=float(settings["retry_base_delay"]),
        on_retry=on_retry,
    )


def intact_record(package: Package, settings: Settings) -> BuildRecord:
    record = load_record(settings["state_dir"], package["name"], package["version"])
    if record is None or not record_files_intact(settings["state_dir"], record):
        raise PublishError(
            f"no intact build of {package['name']} {package['version']} in the state directory",
            code="RK604",
            hint="run the build stage again (it is rebuilt when missing)",
        )
    return record


def local_paths(package: Package, settings: Settings, record: BuildRecord) -> dict[str, Path]:
    directory = build_dir(settings["state_dir"], package["name"], package["version"])
    return {fn: directory / fn for fn in sorted(record.files)}


# --- build -----------------------------------------------------------------------------


def build(package: Package, settings: Settings) -> Result:
    """Pin -> uv build --no-sources -> check the wheel's pins -> checksum -> restore."""
    return run_stage("build", package, settings, lambda: _build(package, settings))


def _build(package: Package, settings: Settings) -> dict[str, Any]:
    name, version = package["name"], package["version"]
    state = settings["state_dir"]
    events = settings.get("events_path", "")
    root = Path(settings["root"])
    pkg_dir = root / package["path"]
    pins: dict[str, str] = dict(package["pins"])
    others = [d for d in settings.get("member_dirs", []) if os.path.realpath(d) != os.path.realpath(pkg_dir)]
    fp = fingerprint(pkg_dir, pins, exclude=[*others, state])
    record = load_record(state, name, version)
    if record is not None and record.fingerprint == fp and record_files_intact(state, record):
        emit(events, name, "build", "step", step="reuse", detail="sources unchanged: reusing the recorded build")
        return {"files": record.files, "reused": True}

    final_dir = build_dir(state, name, version)
    out_dir = remove_partial_builds(state, name, version)
    try:
        journal = Journal(Path(state))
        emit(events, name, "build", "step", step="pin", pins=pins)
        with pinned(journal, pkg_dir / "pyproject.toml", pins, f"pin {name} {version} for its build"):
            emit(events, name, "build", "step", step="uv build")
            files = build_in_env(package, settings, pkg_dir, out_dir)
        emit(events, name, "build", "step", step="restore")
        _check_built(name, version, files)
        wheel = next(f for f in files if f.name.endswith(".whl"))
        emit(events, name, "build", "step", step="check pins")
        check_wheel_pins(wheel, pins)
        emit(events, name, "build", "step", step="checksum")
        shas = {f.name: sha256_file(f) for f in files}
        install_built(out_dir, final_dir, files)
    finally:  # a failed build (a full disk, a broken backend) leaves no half folder behind
        shutil.rmtree(out_dir, ignore_errors=True)
    save_record(state, BuildRecord(name=name, version=version, fingerprint=fp, files=shas, pins=pins))
    return {"files": shas, "reused": False}


def _check_built(name: str, version: str, files: list[Path]) -> None:
    """Exactly one sdist and one wheel, named for the planned version."""
    wheels = [f for f in files if f.name.endswith(".whl")]
    sdists = [f for f in files if f.name.endswith(".tar.gz")]
    if len(wheels) != 1 or len(sdists) != 1:
        raise PublishError(
            f"the build of {name} produced {len(sdists)} sdist(s) and {len(wheels)} wheel(s): "
            f"{', '.join(f.name for f in files) or 'nothing'}",
            code="RK601",
            hint="releasekit publishes exactly one sdist and one wheel per package",
        )
    for f in files:
        parsed = file_version(f.name)
        if parsed is None or parsed[0] != name or str(parsed[1]) != str(_canonical(version)):
            raise PublishError(
                f"built {f.name}, but the plan is {name} {version}",
                code="RK602",
                hint="the version in pyproject.toml changed during the run, or the build backend computes it",
            )


def _canonical(version: str) -> str:
    return str(Version(version))


# --- probe -----------------------------------------------------------------------------


def probe(package: Package, settings: Settings) -> dict[str, Any]:
    """What the index already has of this version. Never fails: the answer is advisory."""
    worker_init()
    try:
        files = with_retries(
            settings,
            package,
            "probe",
            lambda: index_client(settings).version_files(package["name"], package["version"]),
        )
        return {"ok": True, "files": {fn: (f.sha256 or "") for fn, f in files.items()}}
    except Exception as exc:
        return {"ok": False, "error": redact(str(exc))[:500], "files": {}}


# --- upload ----------------------------------------------------------------------------


def upload(package: Package, settings: Settings) -> Result:
    """Upload the files the index does not have yet; retries with backoff and full jitter."""
    return run_stage("upload", package, settings, lambda: _upload(package, settings))


def _compare(local: dict[str, str], remote: dict[str, str | None]) -> None:
    for filename, sha in local.items():
        theirs = remote.get(filename)
        if theirs and theirs != sha:
            raise IntegrityError(
                f"{filename} is already on the index with different content "
                f"(index sha256={theirs}, local sha256={sha})",
                code="RK511",
                hint="a version can never be replaced: bump the version (or pass --skip-existing "
                "to keep what the index has)",
            )


def _upload(package: Package, settings: Settings) -> dict[str, Any]:
    name, version = package["name"], package["version"]
    events = settings.get("events_path", "")
    record = intact_record(package, settings)
    paths = local_paths(package, settings, record)
    client = index_client(settings)

    def remote() -> dict[str, str | None]:
        found = with_retries(settings, package, "upload", lambda: client.version_files(name, version))
        return {fn: f.sha256 for fn, f in found.items()}

    already = remote()
    try:
        _compare(record.files, already)
    except IntegrityError:
        if settings.get("skip_existing"):
            note(settings["state_dir"], name, version, settings["check_url"], "upload", "existing-differs")
            emit(
                events,
                name,
                "upload",
                "step",
                step="skip-existing",
                detail="different files already on the index; kept them (--skip-existing)",
            )
            return {"status": "existing", "uploaded": []}
        raise
    missing = [fn for fn in record.files if fn not in already]
    if not missing:
        note(settings["state_dir"], name, version, settings["check_url"], "upload", "already-published")
        return {"status": "already-published", "uploaded": []}

    uv = uv_backend()
    attempts = {"n": 0}
    uploaded: list[str] = []
    # Files the index has stored: accepted by it in this stage, or settled as identical. A
    # lagging index may not list them yet, and sending one again would be a duplicate upload
    # (answered 409/400, which used to end in waiting for files never sent: RK607).
    stored: set[str] = set()

    def attempt() -> None:
        attempts["n"] += 1
        listed = remote() if attempts["n"] > 1 else {}
        still = [fn for fn in (record.files if attempts["n"] > 1 else missing) if fn not in stored and fn not in listed]
        if not still:
            return
        emit(events, name, "upload", "step", step="uv publish", files=still, attempt=attempts["n"])
        outcome = uv.publish(
            [paths[fn] for fn in still],
            publish_url=settings["publish_url"],
            check_url=settings["check_url"],
            trusted_publishing=settings["trusted_publishing"],
            env=_publish_env(settings),
        )
        uploaded.extend(fn for fn in outcome.uploaded if fn not in outcome.skipped)
        stored.update(outcome.accepted)
        if outcome.ok:
            return
        if outcome.kind == "transient":
            raise TransientError(
                f"upload answered {outcome.status or 'a connection error'}: {_last_line(outcome.message)}",
                retry_after=outcome.retry_after,
                status=outcome.status,
            )
        if outcome.kind == "duplicate":
            # Settle the file the index says it has; uv stopped there, so send the rest.
            existing = [f for f in still if f == outcome.failed_file] or still
            _settle_duplicate(package, settings, {fn: record.files[fn] for fn in existing}, client)
            stored.update(existing)
            attempt()
            return
        if outcome.kind == "mismatch":
            raise IntegrityError(
                f"the index holds different bytes under the same name: {_last_line(outcome.message)}",
                code="RK511",
                hint="a version can never be replaced: bump the version",
            )
        if outcome.kind == "nocreds":
            raise no_credentials()
        if outcome.kind == "auth":
            raise PublishError(
                f"the index refused the credentials: {_last_line(outcome.message)}",
                code="RK605",
                hint="set UV_PUBLISH_TOKEN (or UV_PUBLISH_USERNAME/UV_PUBLISH_PASSWORD), "
                "or configure trusted publishing",
            )
        raise PublishError(
            f"uv publish failed: {_last_line(outcome.message)}", code="RK606", hint="see the message from the index"
        )

    with_retries(settings, package, "upload", attempt)
    note(settings["state_dir"], name, version, settings["check_url"], "upload", "uploaded")
    return {"status": "uploaded", "uploaded": sorted(set(uploaded)) or missing, "attempts": attempts["n"]}


def _publish_env(settings: Settings) -> dict[str, str]:
    return upload_env(settings["target"], os.environ)


def _last_line(message: str) -> str:
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    causes = [line for line in lines if line.startswith(("error:", "cause:"))]
    return redact(" | ".join(causes[-3:]) if causes else (lines[-1] if lines else "no output"))


def _settle_duplicate(package: Package, settings: Settings, local: dict[str, str], client: IndexBackend) -> None:
    """The index says a file already exists: identical bytes are success, different ones are not.

    The listing may lag the upload endpoint, so wait (up to the poll deadline) for the file
    to appear rather than sending it again.
    """
    name, version = package["name"], package["version"]
    deadline = time.monotonic() + float(settings["poll_timeout"])
    while True:
        try:
            listed = {fn: f.sha256 for fn, f in client.version_files(name, version).items()}
        except TransientError:
            listed = {}
        _compare(local, listed)
        if all(fn in listed for fn in local):
            emit(
                settings.get("events_path", ""),
                name,
                "upload",
                "step",
                step="settled",
                detail="the index already had identical files",
            )
            return
        if time.monotonic() > deadline:
            raise PublishError(
                f"the index reports {name} {version} as existing but never lists it",
                code="RK607",
                hint="check the index; raise poll_timeout if it lags",
            )
        time.sleep(float(settings["poll_interval"]))


# --- publish (the per-package finish line) ---------------------------------------------


def finish(package: Package, settings: Settings) -> Result:
    """Every stage passed: the package is live, verified and installable."""

    def body() -> dict[str, Any]:
        record = intact_record(package, settings)
        status = notes_for(record, settings["check_url"]).get("upload", "uploaded")
        note(
            settings["state_dir"], package["name"], package["version"], settings["check_url"], "published", time.time()
        )
        return {"status": status}

    return run_stage("publish", package, settings, body)
