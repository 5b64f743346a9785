"""notify announces only the versions users can install: the ones whole on the index."""

from __future__ import annotations

import pytest
from pytest_httpserver import HTTPServer

from releasekit.workflow.release_manifest import Manifest
from tests.harness.cli import in_process
from tests.harness.github import FakeGitHub
from tests.test_preflight import FakeIndex
from tests.workflow.conftest import DOWNSTREAM, Repo
from tests.workflow.test_workflow_git import CORE, released


def _publish(index: FakeIndex, name: str, version: str) -> None:
    stem = f"{name.replace('-', '_')}-{version}"
    index.projects[name] = {f"{stem}.tar.gz": "a" * 64, f"{stem}-py3-none-any.whl": "b" * 64}


def test_part_of_a_release_is_announced_and_the_whole_once_live(
    repo: Repo, fake: FakeGitHub, capsys: pytest.CaptureFixture[str], httpserver: HTTPServer
) -> None:
    repo.commit("fix(core): z", CORE)
    released(repo, fake, capsys)
    assert in_process(capsys, "release", "-w", str(repo.work))[0] == 0
    versions = Manifest.parse(fake.pull(1)["body"], "t").versions
    assert len(versions) > 1 and versions["acme-core"] == "0.3.1"
    index = FakeIndex(httpserver)
    notify = ["notify", "-w", str(repo.work), "--check-url", index.url, "--format", "json"]
    _publish(index, "acme-core", "0.3.1")
    index.projects["acme-http"] = {"acme_http-0.3.1.tar.gz": "c" * 64}  # half-published: not live

    code, out, err = in_process(capsys, *notify)
    assert code == 0, err
    assert '"pending"' in out and '"acme-http": "0.3.1"' in out
    (first,) = fake.repos[DOWNSTREAM].dispatches
    assert first["client_payload"]["packages"] == {"acme-core": "0.3.1"}
    assert first["client_payload"]["tags"] == ["acme-core-v0.3.1"]
    assert "not on the index yet, so not announced" in err and "acme-http 0.3.1" in err
    assert fake.state.comments.get(1, []) == []  # part of a release is not recorded as notified

    for name, version in versions.items():
        _publish(index, name, version)
    assert in_process(capsys, *notify)[0] == 0
    whole = fake.repos[DOWNSTREAM].dispatches[-1]["client_payload"]
    assert whole["packages"] == versions and len(fake.repos[DOWNSTREAM].dispatches) == 2
    assert in_process(capsys, *notify)[0] == 0
    assert len(fake.repos[DOWNSTREAM].dispatches) == 2  # recorded: the rerun sends nothing
