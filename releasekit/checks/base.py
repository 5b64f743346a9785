"""The check runner and the :class:`CheckBackend` protocol every family of checks implements.

The runner knows nothing about any particular check: it asks each backend which checks it
has, runs them, drops what ``--skip`` and the per-package ``ignore`` table rule out, and,
with ``--fix``, hands fixable findings back to the backend that produced them. A new
language plugs in by passing one more backend; the runner does not change.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Protocol, runtime_checkable

from releasekit.checks.findings import Rule
from releasekit.checks.report import Change, Finding
from releasekit.model.config import ChecksConfig
from releasekit.model.depgraph import WorkspaceGraph, workspace_graph
from releasekit.model.package import Package
from releasekit.model.selection import Selection, released, select
from releasekit.model.workspace import Workspace


@dataclass(frozen=True)
class CheckInfo(Rule):
    """A check: its id and summary, and whether ``--fix`` can repair what it finds."""

    fixable: bool = False


@dataclass
class CheckContext:
    """What a check may look at: the workspace records, the selection and the checks configuration."""

    ws: Workspace
    selection: Selection = field(default_factory=Selection)

    @property
    def config(self) -> ChecksConfig:
        return self.ws.config.checks

    @cached_property
    def graph(self) -> WorkspaceGraph:
        return workspace_graph(self.ws)

    @cached_property
    def chosen(self) -> set[str]:
        """The members the command is about (every member without -p/-g)."""
        return select(self.ws, self.graph, self.selection)

    @cached_property
    def publishable(self) -> list[Package]:
        """The chosen members that are released: publish-related checks look only at these."""
        return released(self.ws, self.chosen)

    def rel(self, path: Path) -> str:
        return self.ws.relative(path)


@runtime_checkable
class CheckBackend(Protocol):
    """A family of checks (universal, or one language's) that the runner can run blind."""

    name: str

    def checks(self) -> Sequence[CheckInfo]:
        """The checks this backend offers, with ids unique across all backends."""
        ...

    def run(self, check_id: str, ctx: CheckContext) -> Iterable[Finding]:
        """Findings of one check; an empty result means the check passed."""
        ...

    def fix(self, finding: Finding, ctx: CheckContext) -> Sequence[Change]:
        """Repair one fixable finding; returns what changed (empty if nothing could be done)."""
        ...
