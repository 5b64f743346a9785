"""The release workflow as a library: releasekit.api's prepare -> release -> notify, no CLI.

Real git (a bare origin), the fake GitHub and a fake index; the notices go to the caller.
"""

from __future__ import annotations

import pytest
from pytest_httpserver import HTTPServer

from releasekit import api
from releasekit.errors import UsageError
from releasekit.model.selection import Selection
from releasekit.model.workspace import load_workspace
from tests.harness.github import FakeGitHub
from tests.test_preflight import FakeIndex
from tests.workflow.conftest import DOWNSTREAM, Repo
from tests.workflow.test_workflow_git import CORE


def test_prepare_release_notify_through_the_api(repo: Repo, fake: FakeGitHub, httpserver: HTTPServer) -> None:
    repo.commit("feat(core): add the Widget type", CORE)
    repo.push()
    ws = load_workspace(repo.work)
    notices: list[str] = []

    dry = api.prepare(ws, Selection(), api.PrepareOptions(dry_run=True, lock=False), notice=notices.append)
    assert dry.status == "dry-run" and dry.versions["acme-core"] == "0.4.0" and not fake.state.pulls
    prepared = api.prepare(ws, Selection(), api.PrepareOptions(lock=False), notice=notices.append)
    assert prepared.status == "opened" and prepared.pr == 1
    assert prepared.repo_url == f"{fake.html}/acme/widgets"

    assert api.release(ws, notice=notices.append).status == "nothing"  # not merged yet
    assert "no merged release PR: nothing to release" in notices
    fake.merge_pull(1, repo.merge_release())
    released = api.release(ws, api.ReleaseOptions(pr=1), notice=notices.append)
    assert released.status == "released" and released.released["acme-core"] == "0.4.0"
    assert "acme-core-v0.4.0" in released.tags and released.sha == repo.head()

    index = FakeIndex(httpserver)
    for name, version in released.released.items():
        stem = f"{name.replace('-', '_')}-{version}"
        index.projects[name] = {f"{stem}.tar.gz": "a" * 64, f"{stem}-py3-none-any.whl": "b" * 64}
    told = api.notify(ws, api.NotifyOptions(check_url=index.url), notice=notices.append)
    assert told.status == "sent" and told.sent == [DOWNSTREAM] and told.packages == released.released
    assert fake.repos[DOWNSTREAM].dispatches[-1]["client_payload"]["pr"] == 1


def test_the_api_refuses_negative_retries_before_any_request(repo: Repo, fake: FakeGitHub) -> None:
    ws = load_workspace(repo.work)
    for call in (
        lambda: api.prepare(ws, options=api.PrepareOptions(max_retries=-1)),
        lambda: api.release(ws, api.ReleaseOptions(max_retries=-1)),
    ):
        with pytest.raises(UsageError, match="--max-retries must be 0 or more"):
            call()
    assert fake.log == []
