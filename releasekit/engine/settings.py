"""PublishSettings: config + command-line overrides + environment, resolved once.

The result is a frozen value that converts to a plain dict, because doit actions run in
worker processes (spawn/forkserver pickle their arguments) and must get plain data only.
Credentials are never part of it: workers read them from the environment uv reads.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from releasekit.engine import stages
from releasekit.engine.concurrency import Workers, auto_workers
from releasekit.engine.credentials import resolve_credentials
from releasekit.engine.plan import Plan
from releasekit.engine.taskdata import SettingsData
from releasekit.errors import ConfigError, UsageError
from releasekit.model.config import TARGETS, Config
from releasekit.model.indexurls import index_urls
from releasekit.model.workspace import Workspace
from releasekit.support.urlcreds import refuse_credentials


@dataclass(frozen=True)
class PublishSettings:
    root: str
    state_dir: str
    run_id: str
    target: str
    publish_url: str
    check_url: str
    json_api_url: str
    fallback_url: str
    trusted_publishing: str  # "always" | "never"
    auth: str  # human description of the credentials uv will use
    max_retries: int
    retry_base_delay: float
    poll_timeout: float
    poll_interval: float
    smoke_test: bool
    verify_download: bool
    skip_existing: bool
    concurrency: int
    member_dirs: tuple[str, ...]
    #: Why ``concurrency`` is what it is when it was chosen automatically ("" = the user's).
    workers_why: str = ""
    #: Import every module each wheel ships in the smoke stage (`--deep-import`), whatever
    #: `smoke.import_all` says.
    deep_import: bool = False
    #: The staged gate's throwaway index (its URL and the directory it serves), while it runs.
    stage_url: str = ""
    stage_dir: str = ""

    def as_dict(self) -> SettingsData:
        data = dataclasses.asdict(self)
        data.pop("workers_why")
        data["member_dirs"] = list(self.member_dirs)
        data["run_dir"] = self.run_dir
        data["events_path"] = self.events_path
        return cast(SettingsData, data)

    @property
    def run_dir(self) -> str:
        return os.path.join(self.state_dir, "runs", self.run_id)

    @property
    def events_path(self) -> str:
        return os.path.join(self.run_dir, "events.ndjson")

    @property
    def workers(self) -> str:
        """ "4 workers" and, when chosen automatically, why: for every front end's header."""
        count = f"{self.concurrency} worker{'s' if self.concurrency != 1 else ''}"
        return count + (f" ({self.workers_why})" if self.workers_why else "")

    def fit_to(self, plan: Plan) -> PublishSettings:
        """An automatic worker count chosen again for ``plan``: its stages, its size, its index."""
        if not self.workers_why:
            return self
        workers = auto_workers(
            stages.used(plan.smoke_test, plan.staged), packages=len(plan.packages), index_url=self.check_url
        )
        return dataclasses.replace(self, concurrency=workers.count, workers_why=workers.why)

    @contextlib.contextmanager
    def staging(self, plan_is_staged: bool) -> Iterator[PublishSettings]:
        """These settings with the staged gate's index serving ``<run>/stage`` for the block."""
        if not plan_is_staged:
            yield self
            return
        # lazy: only a staged plan serves an index; +45 ms on every command that resolves settings
        from releasekit.engine.localindex import staging_index

        directory = Path(self.run_dir) / "stage"
        with staging_index(directory) as index:
            try:
                yield dataclasses.replace(self, stage_url=index.url, stage_dir=str(directory))
            finally:
                shutil.rmtree(directory, ignore_errors=True)


def resolve(
    ws: Workspace,
    *,
    target: str | None = None,
    publish_url: str | None = None,
    check_url: str | None = None,
    json_api_url: str | None = None,
    fallback_url: str | None = None,
    concurrency: int | None = None,
    max_retries: int | None = None,
    retry_base_delay: float | None = None,
    poll_timeout: float | None = None,
    smoke_test: bool | None = None,
    deep_import: bool = False,
    skip_existing: bool = False,
    trusted_publishing: str | None = None,
    environ: Mapping[str, str] | None = None,
    run_id: str | None = None,
) -> PublishSettings:
    """Merge the workspace config with explicit overrides (None = keep the config's value)."""
    env = os.environ if environ is None else environ
    # The config's URLs were checked when it was read; these come from the command line.
    refuse_credentials(
        {
            "--publish-url": publish_url,
            "--check-url": check_url,
            "--json-api-url": json_api_url,
            "--fallback-url": fallback_url,
        }
    )
    config: Config = ws.config
    index = config.index
    chosen_target = target or index.target
    if chosen_target not in (*TARGETS, "custom"):
        raise UsageError(f"unknown target {chosen_target!r}", hint="use pypi, testpypi or custom")
    publish, check, json_api = index_urls(
        index, chosen_target, publish_url=publish_url, check_url=check_url, json_api_url=json_api_url
    )
    if not publish or not check:
        raise ConfigError(
            "a custom index needs both a publish URL and a check URL",
            path=ws.manifest,
            code="RK121",
            hint="pass --publish-url and --check-url, or set index.publish_url and index.check_url",
        )
    credentials = resolve_credentials(chosen_target, trusted_publishing or index.trusted_publishing, env)
    smoke = config.smoke_test if smoke_test is None else smoke_test
    workers = (
        Workers(concurrency or config.concurrency)
        if concurrency or config.concurrency
        else auto_workers(
            stages.used(smoke, config.publish.stage),
            packages=sum(p.publishable for p in ws.packages),
            index_url=check,
        )
    )
    return PublishSettings(
        root=str(ws.root),
        state_dir=str(ws.state_dir),
        run_id=run_id or time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:6],
        target=chosen_target,
        publish_url=publish,
        check_url=check,
        json_api_url=json_api,
        fallback_url=index.fallback_url if fallback_url is None else fallback_url,
        trusted_publishing=credentials.trusted_publishing,
        auth=credentials.describe(),
        max_retries=config.max_retries if max_retries is None else max_retries,
        retry_base_delay=config.retry_base_delay if retry_base_delay is None else retry_base_delay,
        poll_timeout=config.poll_timeout if poll_timeout is None else poll_timeout,
        poll_interval=config.poll_interval,
        smoke_test=smoke,
        deep_import=deep_import,
        verify_download=config.verify_download,
        skip_existing=skip_existing,
        concurrency=workers.count,
        member_dirs=tuple(sorted(str(p.path) for p in ws.packages)),
        workers_why=workers.why,
    )
