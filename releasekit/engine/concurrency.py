"""How many workers `concurrency = 0` (auto) starts: enough to keep every core busy, no more.

Builds, trials and smoke tests keep a core busy (uv, the build backend, a fresh Python); probes,
uploads, polls and verifies mostly wait on the index. A worker that waits a fraction ``f`` of
its time leaves its core idle for it, so ``cores / (1 - f)`` workers keep the cores busy, which
is ``cores * (1 + wait / cpu)`` with the stage table's weights of the stages the plan runs. The
weights are seconds against PyPI; an index on the loopback answers in milliseconds, so there its
waits count a tenth. Never more workers than packages (an idle worker still costs its start-up
and memory), never more than ``MAX_WORKERS``.
"""

from __future__ import annotations

import ipaddress
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from releasekit.engine.stages import Stage

MAX_WORKERS = 32
#: How much an index on 127.0.0.1 makes a worker wait, against the table's weights (PyPI).
LOOPBACK_WAIT = 0.1


@dataclass(frozen=True)
class Workers:
    count: int
    #: Why this many, for the run's header ("" when the user set it).
    why: str = ""


def usable_cores() -> int:
    """The cores this process may run on (a container's CPU set, not the host's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def auto_workers(used: Sequence[Stage], *, packages: int, index_url: str, cores: int | None = None) -> Workers:
    """The worker count for a plan running ``used`` stages over ``packages`` packages."""
    cores = cores or usable_cores()
    loopback = is_loopback(index_url)
    per_package = [s for s in used if s.per_package]
    cpu = sum(s.weight for s in per_package if s.cpu)
    wait = sum(s.weight for s in per_package if not s.cpu) * (LOOPBACK_WAIT if loopback else 1.0)
    wanted = math.ceil(round(cores * (1 + wait / cpu), 6)) if cpu else 2 * cores
    count = max(1, min(wanted, MAX_WORKERS, packages or 1))
    where = "an index on the loopback" if loopback else "a remote index"
    capped = f", capped at {packages} package(s)" if count < wanted and count == packages else ""
    return Workers(
        count, f"auto: {cores} core(s), {cpu:g} s of CPU and {wait:.2g} s waiting on {where} per package{capped}"
    )
