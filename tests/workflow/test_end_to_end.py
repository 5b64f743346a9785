"""prepare -> merge -> release -> notify against real git (bare origin) and the fake GitHub.

Each step runs through the real command line (`releasekit.cli.main`), and each rerun must
change nothing: no push, no new PR, tag, release, label or dispatch.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from releasekit.workflow.release_manifest import Manifest
from tests.harness.cli import in_process, rk
from tests.harness.github import FakeGitHub
from tests.harness.gitrepo import git_out
from tests.harness.index import LocalIndex
from tests.workflow.conftest import DOWNSTREAM, Repo


def writes(fake: FakeGitHub) -> list[str]:
    return [f"{e.method} {e.path}" for e in fake.log if e.method != "GET"]


@pytest.fixture
def changed(repo: Repo) -> Repo:
    repo.commit(
        "feat(core): add the Widget type (#12)",
        "packages/core/src/acme_core/__init__.py",
        author="Grace Hopper",
    )
    repo.commit(
        "fix(log): flush on exit\n\nBREAKING CHANGE: log lines are JSON now",
        "packages/log/src/acme_log/__init__.py",
    )
    repo.commit("docs: typo", "packages/cli/README.md")
    repo.push()
    return repo


@pytest.mark.slow
def test_prepare_merge_release_notify_and_reruns(
    changed: Repo,
    fake: FakeGitHub,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    local_index: LocalIndex,
    uv_env: dict[str, str],
) -> None:
    ws = str(changed.work)
    outputs = tmp_path / "github_output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))

    # --- prepare: branch pushed, PR opened with the manifest and the pending label
    code, out, err = in_process(capsys, "prepare", "-w", ws)
    assert code == 0, err
    assert "acme-core 0.3.0 -> 0.4.0" in out and "acme-log 0.3.0 -> 0.4.0" in out
    assert "acme-cli 0.3.0 -> 0.3.1" in out  # dependent of a dependent: its exact pin changes
    (pr,) = fake.state.pulls
    assert pr["title"].startswith("chore(release): ")
    assert fake.label_names(pr["number"]) == ["autorelease: pending"]
    manifest = Manifest.parse(pr["body"], "test")
    assert manifest.versions["acme-core"] == "0.4.0"
    branch_files = git_out(changed.work, "ls-remote", "origin", "refs/heads/releasekit/release")
    assert branch_files, "release branch not pushed"
    assert git_out(changed.work, "status", "--porcelain") == "", "prepare touched the user's checkout"
    show = git_out(
        changed.work, "show", "origin/releasekit/release:packages/core/CHANGELOG.md", check=False
    )
    if not show:
        git_out(changed.work, "fetch", "-q", "origin")
        show = git_out(changed.work, "show", "origin/releasekit/release:packages/core/CHANGELOG.md")
    assert "### Features" in show and "add the Widget type" in show and "by Grace Hopper" in show
    assert f"{fake.html}/acme/widgets/pull/12" in show
    assert "status=opened" in outputs.read_text()

    # --- prepare again: nothing new, nothing written
    before = writes(fake)
    code, out, err = in_process(capsys, "prepare", "-w", ws)
    assert code == 0, err
    assert "up to date" in out and "already has this release commit" in out
    assert writes(fake) == before

    # --- a new commit on main: the same PR is updated, not duplicated
    changed.commit("perf(store): faster scans", "packages/store/src/acme_store/__init__.py")
    changed.push()
    code, out, err = in_process(capsys, "prepare", "-w", ws)
    assert code == 0, err
    assert (
        len(fake.state.pulls) == 1
        and "acme-store" in Manifest.parse(fake.state.pulls[0]["body"], "t").versions
    )
    assert "updated PR #1" in out

    # --- release before the merge: nothing to release
    code, out, err = in_process(capsys, "release", "-w", ws)
    assert code == 0, err
    assert "nothing to release" in out

    # --- merge on the origin, and GitHub records it
    merge_sha = changed.merge_release()
    fake.merge_pull(1, merge_sha)

    # --- prepare while the merged PR is untagged: refuses politely
    code, out, err = in_process(capsys, "prepare", "-w", ws)
    assert code == 0 and "not tagged yet" in err

    # --- release dry run: says what it would do, does nothing
    before = writes(fake)
    code, out, err = in_process(capsys, "release", "-w", ws, "--dry-run")
    assert code == 0, err
    assert "would tag" in out and "would create the GitHub release acme-core-v0.4.0" in out
    assert writes(fake) == before and "acme-core-v0.4.0" not in changed.tags()

    # --- release: tags on the merge commit, pushed, releases created, relabelled
    code, out, err = in_process(capsys, "release", "-w", ws)
    assert code == 0, err
    wanted = {f"{n}-v{v}" for n, v in Manifest.parse(fake.pull(1)["body"], "t").versions.items()}
    assert wanted <= changed.remote_tags()
    assert git_out(changed.work, "rev-parse", "acme-core-v0.4.0^{commit}") == merge_sha
    releases = {r["tag_name"]: r for r in fake.state.releases}
    assert set(releases) == wanted
    assert "add the Widget type" in releases["acme-core-v0.4.0"]["body"]
    assert releases["acme-core-v0.4.0"]["prerelease"] is False
    assert fake.label_names(1) == ["autorelease: tagged"]
    assert fake.tags_created_by_api == []
    assert f"sha={merge_sha}" in outputs.read_text()

    # --- release again: complete, nothing written
    before = writes(fake)
    code, out, err = in_process(capsys, "release", "-w", ws)
    assert code == 0, err
    assert "already fully released" in out
    assert writes(fake) == before

    # --- publish the tagged merge commit to a real local index, then the PR says published
    git_out(changed.work, "fetch", "-q", "origin", "--tags")
    git_out(changed.work, "checkout", "-q", merge_sha)
    flags = ["--publish-url", local_index.upload_url, "--check-url", local_index.simple_url,
             "--json-api-url", local_index.json_api_url, "--fallback-url", "", "-j", "3"]
    published = rk(changed.work, "publish", *flags, timeout=300)
    assert published.returncode == 0, published.stderr + published.stdout
    versions = Manifest.parse(fake.pull(1)["body"], "t").versions
    on_index = local_index.files()
    for name, version in versions.items():
        stem = f"{name.replace('-', '_')}-{version}"
        assert f"{stem}.tar.gz" in on_index and f"{stem}-py3-none-any.whl" in on_index, name
    assert fake.label_names(1) == ["autorelease: published"]
    assert git_out(changed.work, "status", "--porcelain") == ""
    posts = len(local_index.requests_for("POST"))
    again = rk(changed.work, "publish", *flags, timeout=300)
    assert again.returncode == 0, again.stderr
    assert len(local_index.requests_for("POST")) == posts  # nothing uploaded twice
    assert fake.label_names(1) == ["autorelease: published"]

    # --- notify: one dispatch with the released versions, recorded on the PR
    code, out, err = in_process(capsys, "notify", "-w", ws, "--check-url", local_index.simple_url)
    assert code == 0, err
    (dispatch,) = fake.repos[DOWNSTREAM].dispatches
    assert dispatch["event_type"] == "releasekit-release"
    assert dispatch["client_payload"]["packages"]["acme-core"] == "0.4.0"
    assert dispatch["client_payload"]["sha"] == merge_sha

    # --- notify again: already notified, nothing sent
    code, out, err = in_process(capsys, "notify", "-w", ws, "--check-url", local_index.simple_url)
    assert code == 0, err
    assert "already notified" in out and len(fake.repos[DOWNSTREAM].dispatches) == 1

    # --- prepare after the release: nothing to release
    git_out(changed.work, "fetch", "-q", "origin", "--tags")
    code, out, err = in_process(capsys, "prepare", "-w", ws, "--format", "json")
    assert code == 0, err
    assert json.loads(out)["status"] == "nothing"
