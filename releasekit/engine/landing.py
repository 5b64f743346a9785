"""After the upload: the index lists every file (poll), and serves exactly the bytes built here (verify)."""

from __future__ import annotations

import functools
import time
from typing import Any

from releasekit.engine.actions import Package, Result, Settings, index_client, intact_record, run_stage, with_retries
from releasekit.engine.builds import note, notes_for
from releasekit.engine.events import emit
from releasekit.errors import IntegrityError, PublishError
from releasekit.support.retry import TransientError

# --- poll ------------------------------------------------------------------------------


def poll(package: Package, settings: Settings) -> Result:
    """Wait until the simple index lists every file (what pip and uv resolve from)."""
    return run_stage("poll", package, settings, lambda: _poll(package, settings))


def _poll(package: Package, settings: Settings) -> dict[str, Any]:
    name, version = package["name"], package["version"]
    record = intact_record(package, settings)
    client = index_client(settings)
    timeout = float(settings["poll_timeout"])
    interval = float(settings["poll_interval"])
    started = time.monotonic()
    polls = 0
    missing: list[str] = sorted(record.files)
    last_error = ""
    while True:
        polls += 1
        try:
            listed = client.version_files(name, version)
            missing = [fn for fn in record.files if fn not in listed]
            if not missing:
                return {"status": "listed", "polls": polls, "seconds": round(time.monotonic() - started, 3)}
        except TransientError as exc:
            last_error = str(exc)
        elapsed = time.monotonic() - started
        if elapsed >= timeout:
            raise PublishError(
                f"{name} {version} not listed by {settings['check_url']} after {timeout:g} s "
                f"({polls} polls); missing: {', '.join(missing)}"
                + (f"; last error: {last_error}" if last_error else ""),
                code="RK610",
                hint="the index may lag: raise poll_timeout and rerun (the rerun asks the index first: a file it "
                "lists is never sent again, one it dropped is uploaded again)",
            )
        if polls % 10 == 0:
            emit(
                settings.get("events_path", ""),
                name,
                "poll",
                "step",
                step="waiting",
                polls=polls,
                missing=missing,
                elapsed=round(elapsed, 1),
            )
        time.sleep(min(interval, max(0.05, timeout - elapsed)))


# --- verify ----------------------------------------------------------------------------


def verify(package: Package, settings: Settings) -> Result:
    """The index's sha256 (listing, JSON API, re-download) equals the local checksum."""
    return run_stage("verify", package, settings, lambda: _verify(package, settings))


def _verify(package: Package, settings: Settings) -> dict[str, Any]:
    name, version = package["name"], package["version"]
    record = intact_record(package, settings)
    if notes_for(record, settings["check_url"]).get("upload") == "existing-differs":
        emit(
            settings.get("events_path", ""),
            name,
            "verify",
            "step",
            step="skipped",
            detail="the index keeps files that differ from this build (--skip-existing)",
        )
        return {"status": "skipped-existing", "checked": {}}
    client = index_client(settings)
    listed = with_retries(settings, package, "verify", lambda: client.version_files(name, version))
    checked = {"listing": 0, "json_api": 0, "download": 0}
    for filename, sha in sorted(record.files.items()):
        item = listed.get(filename)
        if item is None:
            raise PublishError(
                f"{filename} disappeared from the index",
                code="RK611",
                hint="someone removed it; investigate before releasing again",
            )
        if item.sha256 is not None:
            if item.sha256 != sha:
                raise _mismatch(filename, "the simple index", item.sha256, sha)
            checked["listing"] += 1
    hashes = with_retries(settings, package, "verify", lambda: client.json_api_hashes(name, version))
    if hashes is not None:
        for filename, sha in sorted(record.files.items()):
            theirs = hashes.get(filename)
            if theirs is not None:
                if theirs != sha:
                    raise _mismatch(filename, "the JSON API", theirs, sha)
                checked["json_api"] += 1
    if settings.get("verify_download", True):
        for filename, sha in sorted(record.files.items()):
            url = listed[filename].url
            theirs = with_retries(settings, package, "verify", functools.partial(client.download_sha256, url))
            if theirs is None:
                raise PublishError(
                    f"{filename} is listed but cannot be downloaded",
                    code="RK611",
                    hint="the index may still be propagating; rerun shortly",
                )
            if theirs != sha:
                raise _mismatch(filename, "the downloaded file", theirs, sha)
            checked["download"] += 1
    if not any(checked.values()):
        raise PublishError(
            f"the index offers no way to check the hashes of {name} {version}",
            code="RK612",
            hint="enable verify_download or use an index that lists sha256",
        )
    note(settings["state_dir"], name, version, settings["check_url"], "verify", checked)
    return {"status": "verified", "checked": checked}


def _mismatch(filename: str, source: str, theirs: str, ours: str) -> IntegrityError:
    return IntegrityError(
        f"{filename}: {source} has sha256 {theirs}, the local build has {ours}",
        code="RK510",
        hint="the uploaded bytes are not the ones built here: treat this as a supply-chain incident",
    )
