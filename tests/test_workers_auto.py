"""`concurrency = 0`: a worker count from the cores, the plan's stage mix and its index."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from releasekit.engine import stages
from releasekit.engine.concurrency import MAX_WORKERS, auto_workers, is_loopback, usable_cores
from releasekit.engine.plan import build_plan
from releasekit.engine.settings import resolve
from releasekit.model.selection import Selection
from releasekit.model.workspace import load_workspace
from tests.ui_fakes import make_workspace

REMOTE = "https://pypi.org/simple/"
LOCAL = "http://127.0.0.1:8080/simple/"
STAGED = stages.used(smoke_test=True, staged=True)
UNPROVEN = stages.used(smoke_test=False, staged=False)


def test_waiting_on_a_remote_index_adds_workers_beyond_the_cores() -> None:
    # build + trial keep a core busy (4 s); stage, probe, upload, poll, verify wait (3.7 s)
    assert auto_workers(STAGED, packages=60, index_url=REMOTE, cores=2).count == 4  # ceil(2 * (1 + 3.7/4))
    assert auto_workers(STAGED, packages=60, index_url=REMOTE, cores=8).count == 16


def test_an_index_on_the_loopback_barely_waits_so_about_one_worker_per_core() -> None:
    assert auto_workers(STAGED, packages=60, index_url=LOCAL, cores=2).count == 3  # ceil(2 * 1.0925)
    assert auto_workers(STAGED, packages=60, index_url="http://localhost:1/simple/", cores=4).count == 5


def test_without_a_smoke_test_the_mix_is_mostly_waiting() -> None:
    # only the build is CPU (2 s) against 3.6 s of waiting
    assert auto_workers(UNPROVEN, packages=60, index_url=REMOTE, cores=2).count == 6


def test_never_more_workers_than_packages_or_the_ceiling() -> None:
    few = auto_workers(STAGED, packages=3, index_url=REMOTE, cores=8)
    assert few.count == 3
    assert "capped at 3 package(s)" in few.why
    assert auto_workers(STAGED, packages=1000, index_url=REMOTE, cores=64).count == MAX_WORKERS
    assert auto_workers(STAGED, packages=0, index_url=REMOTE, cores=2).count == 1


def test_the_reason_names_the_cores_and_the_mix() -> None:
    why = auto_workers(STAGED, packages=60, index_url=REMOTE, cores=2).why
    assert why == "auto: 2 core(s), 4 s of CPU and 3.7 s waiting on a remote index per package"


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        (LOCAL, True),
        ("http://[::1]:9/", True),
        ("http://localhost/", True),
        (REMOTE, False),
        ("http://10.0.0.1/", False),
    ],
)
def test_loopback_urls(url: str, loopback: bool) -> None:
    assert is_loopback(url) is loopback


def test_the_cores_are_the_ones_this_process_may_use() -> None:
    assert usable_cores() == len(os.sched_getaffinity(0))


def test_settings_choose_automatically_and_again_for_the_plan(tmp_path: Path) -> None:
    ws = load_workspace(make_workspace(tmp_path / "ws", {"a": [], "b": ["a"], "c": []}))
    auto = resolve(ws, target="custom", publish_url=LOCAL.replace("simple/", ""), check_url=LOCAL, environ={})
    assert auto.workers_why.startswith("auto: ")
    assert auto.concurrency <= 3
    one = auto.fit_to(build_plan(ws, Selection(packages=("c",))))
    assert one.concurrency == 1
    assert one.workers.startswith("1 worker (auto: ") and one.workers.endswith("capped at 1 package(s))")
    fixed = resolve(ws, target="custom", publish_url=LOCAL, check_url=LOCAL, concurrency=7, environ={})
    assert (fixed.concurrency, fixed.workers_why, fixed.workers) == (7, "", "7 workers")
    assert fixed.fit_to(build_plan(ws)) is fixed
    assert "workers_why" not in auto.as_dict()
