"""The plain data every stage action receives: typed here, plain dicts on the wire.

Actions run in worker processes; under spawn each task's arguments are pickled with its job,
so they stay dicts and lists of strings (fast to pickle, nothing that imports on unpickling).
These TypedDicts say which keys there are and what they hold.
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict


class PackageData(TypedDict):
    """One package of the plan, as its actions see it (pipeline.package_data)."""

    name: str
    declared_name: str
    version: str  # the version being released
    path: str  # relative to the workspace root
    pins: dict[str, str]  # internal dependency -> the exact version the build pins
    deps: list[str]
    requires_python: str | None
    build_env: dict[str, str]  # environment the build backend needs to see the version
    build_system: NotRequired[dict[str, Any]]  # the member's [build-system] table (engine.buildenv)
    smoke: dict[str, Any]  # the smoke test's settings for this package (config.SmokeConfig and overrides)


class SettingsData(TypedDict):
    """PublishSettings as plain data (PublishSettings.as_dict), plus where the run's events go."""

    root: str
    state_dir: str
    run_id: str
    target: str
    publish_url: str
    check_url: str
    json_api_url: str
    fallback_url: str
    trusted_publishing: str
    auth: str
    max_retries: int
    retry_base_delay: float
    poll_timeout: float
    poll_interval: float
    smoke_test: bool
    verify_download: bool
    skip_existing: bool
    concurrency: int
    #: Only the build gets them (to fingerprint its own sources); the lighter copy leaves them out.
    member_dirs: NotRequired[list[str]]
    deep_import: bool
    stage_url: str
    stage_dir: str
    run_dir: str  # <state>/runs/<run id>: the run's logs, events and shared build environments
    events_path: str


def without_member_dirs(settings: SettingsData) -> SettingsData:
    """The lighter copy every stage but the build gets: each task's arguments travel with its job."""
    light = settings.copy()
    light.pop("member_dirs", None)
    return light
