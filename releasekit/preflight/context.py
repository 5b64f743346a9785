"""What every preflight gate looks at: the workspace, the plan, the index and the settings."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from releasekit.backends.git import git_backend
from releasekit.backends.protocols import IndexBackend, UvBackend
from releasekit.backends.registry import IndexFile, index_backend
from releasekit.backends.uv import uv_backend
from releasekit.engine.credentials import Credentials
from releasekit.engine.plan import Plan
from releasekit.engine.settings import PublishSettings
from releasekit.model.config import Config
from releasekit.model.indexurls import index_urls
from releasekit.model.package import Package
from releasekit.model.workspace import Workspace
from releasekit.preflight.report import GateResult
from releasekit.support.retry import call_with_retries

PYPI_TARGETS = ("pypi", "testpypi")


@dataclass(frozen=True)
class PreflightSettings:
    """What the gates need beyond the workspace; :meth:`from_config` fills it from config."""

    target: str = "pypi"
    check_url: str = "https://pypi.org/simple/"
    trusted_publishing: str = "auto"
    max_new_projects: int = 4
    max_retries: int = 3
    retry_base_delay: float = 1.0
    timeout: float = 15.0
    environ: Mapping[str, str] | None = None

    @classmethod
    def from_config(cls, config: Config, **changes: Any) -> PreflightSettings:
        settings = cls(
            target=config.index.target,
            check_url=index_urls(config.index).check,
            trusted_publishing=config.index.trusted_publishing,
            max_new_projects=config.checks.max_new_projects,
            max_retries=config.max_retries,
            retry_base_delay=config.retry_base_delay,
        )
        return replace(settings, **changes)

    @classmethod
    def from_publish(cls, publish: PublishSettings, config: Config, **changes: Any) -> PreflightSettings:
        """The gates' view of what `publish` resolved (target, URLs, trusted publishing, retries)."""
        settings = cls(
            target=publish.target,
            check_url=publish.check_url,
            trusted_publishing=publish.trusted_publishing,
            max_new_projects=config.checks.max_new_projects,
            max_retries=publish.max_retries,
            retry_base_delay=publish.retry_base_delay,
        )
        return replace(settings, **changes)


class GateContext:
    """One view of the workspace, the plan and the index, shared by the gates of one run."""

    def __init__(
        self,
        ws: Workspace,
        plan: Plan | None,
        settings: PreflightSettings,
        uv: UvBackend | None,
        client: IndexBackend | None,
    ) -> None:
        self.ws = ws
        self.plan = plan
        self.settings = settings
        self.environ: Mapping[str, str] = os.environ if settings.environ is None else settings.environ
        self._uv = uv
        self.client = client or index_backend(settings.check_url, timeout=settings.timeout)
        self.git = git_backend(ws.root)
        self._is_repo: bool | None = None
        self.listings: dict[str, dict[str, IndexFile] | None] = {}
        #: Set by the reachability gate, so the gates after it say why they did not ask.
        self.index_error: str = ""
        #: Set by the auth gate (or after the run when it was skipped): the report shows it.
        self.credentials: Credentials | None = None

    @property
    def uv(self) -> UvBackend:
        if self._uv is None:
            self._uv = uv_backend()
        return self._uv

    def packages(self) -> list[Package]:
        """The packages the plan releases; every publishable one when there is no plan (a cycle)."""
        if self.plan is None:
            return [p for p in self.ws.packages if p.publishable]
        return [self.ws.by_name[p.name] for p in self.plan.packages]

    def versions(self) -> list[tuple[str, str]]:
        if self.plan is None:
            return []
        return [(p.name, p.next_version) for p in self.plan.packages]

    def outside_git(self, gate_id: str) -> GateResult | None:
        """None inside a git work tree, else the failure every git gate reports."""
        if self._is_repo is None:
            self._is_repo = self.git.is_repo()
        if self._is_repo:
            return None
        return GateResult(
            gate_id,
            "fail",
            "the workspace is not inside a git work tree",
            "releases are tagged in git: run releasekit from a clone",
        )

    def retrying(self, func: Callable[[], Any]) -> Any:
        return call_with_retries(func, max_retries=self.settings.max_retries, base_delay=self.settings.retry_base_delay)

    def listing(self, name: str) -> dict[str, IndexFile] | None:
        """The index's files for ``name`` (None = unknown project); fetched once per run."""
        if name not in self.listings:
            self.listings[name] = self.retrying(lambda: self.client.known_project_files(name))
        return self.listings[name]
