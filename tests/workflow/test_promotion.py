"""Promoting a prerelease series: the final's notes gather everything since the last final."""

from __future__ import annotations

import pytest

from releasekit.workflow.changelog import extract_section
from releasekit.workflow.release_manifest import Manifest
from tests.harness.cli import in_process
from tests.harness.github import FakeGitHub
from tests.harness.gitrepo import git_out
from tests.workflow.conftest import Repo
from tests.workflow.test_workflow_git import CORE


def test_rc_rc_promote_keeps_the_features_in_the_final_notes(
    repo: Repo, fake: FakeGitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = str(repo.work)
    repo.commit("feat(core): the Widget type", CORE)
    for label_run in (["--prerelease", "rc"], ["--prerelease", "rc"], ["--promote"]):
        code, _, err = in_process(capsys, "prepare", "-w", ws, *label_run)
        assert code == 0, err
        sha = repo.merge_release()
        fake.merge_pull(fake.state.pulls[-1]["number"], sha)
        assert in_process(capsys, "release", "-w", ws)[0] == 0
        if label_run == ["--prerelease", "rc"] and len(fake.state.pulls) == 1:
            repo.commit("fix(core): the Widget leaks", CORE)
    versions = [Manifest.parse(p["body"], "t").versions["acme-core"] for p in fake.state.pulls]
    assert versions == ["0.4.0rc1", "0.4.0rc2", "0.4.0"]

    changelog = git_out(repo.work, "show", "HEAD:packages/core/CHANGELOG.md")
    final = extract_section(changelog, "0.4.0")
    assert final is not None
    assert "the Widget type" in final and "the Widget leaks" in final
    assert "No user-facing changes" not in final
    assert "compare/acme-core-v0.3.0...acme-core-v0.4.0" in final  # since the last final
    rc2 = extract_section(changelog, "0.4.0rc2")
    assert rc2 is not None and "the Widget leaks" in rc2 and "the Widget type" not in rc2
    assert "\n\n\n" not in changelog
    body = next(r["body"] for r in fake.state.releases if r["tag_name"] == "acme-core-v0.4.0")
    assert "the Widget type" in body and "the Widget leaks" in body
    assert not next(r for r in fake.state.releases if r["tag_name"] == "acme-core-v0.4.0")["prerelease"]
