"""What a run is given: computed once in the main process, read by the loader and the runner."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from releasekit.engine.plan import Plan
from releasekit.engine.settings import PublishSettings
from releasekit.model.workspace import Workspace


@dataclass(frozen=True)
class Prepared:
    """Everything a run needs, computed once in the main process."""

    ws: Workspace
    plan: Plan
    settings: PublishSettings
    #: Versions left out of the plan because the index already has them whole.
    released: Mapping[str, str] = field(default_factory=dict)
