"""prepare/release/notify edge cases: dry runs, protected refs, partial failures, reruns."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from releasekit.backends.github import PENDING, PUBLISHED, TAGGED
from releasekit.model.workspace import load_workspace
from releasekit.workflow.forge import github_from_env, mark_published
from releasekit.workflow.release_manifest import Manifest
from tests.harness.cli import in_process
from tests.harness.github import FakeGitHub
from tests.harness.gitrepo import git_out
from tests.test_preflight import FakeIndex
from tests.workflow.conftest import DOWNSTREAM, Repo

CORE = "packages/core/src/acme_core/__init__.py"
CLI = "packages/cli/src/acme_cli/__init__.py"


def writes(fake: FakeGitHub) -> list[str]:
    return [f"{e.method} {e.path}" for e in fake.log if e.method != "GET"]


def hook(repo: Repo, refs_pattern: str) -> Path:
    """A pre-receive hook on the origin that declines pushes to matching refs (a protected ref)."""
    path = repo.origin / "hooks" / "pre-receive"
    path.write_text(
        "#!/bin/sh\nwhile read old new ref; do\n"
        f'  case "$ref" in {refs_pattern}) echo "protected: $ref" >&2; exit 1;; esac\n'
        "done\nexit 0\n",
        encoding="utf-8",
    )
    path.chmod(0o755)
    return path


def released(repo: Repo, fake: FakeGitHub, capsys: pytest.CaptureFixture[str]) -> str:
    """prepare, merge on the origin and in the fake; returns the merge commit."""
    code, _, err = in_process(capsys, "prepare", "-w", str(repo.work))
    assert code == 0, err
    sha = repo.merge_release()
    fake.merge_pull(fake.state.pulls[-1]["number"], sha)
    return sha


def test_prepare_dry_run_changes_nothing(
    repo: Repo, fake: FakeGitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.commit("feat(cli): new command", CLI)
    code, out, err = in_process(capsys, "prepare", "-w", str(repo.work), "--dry-run")
    assert code == 0, err
    assert (
        "would change packages/cli/pyproject.toml" in out
        and "acme-cli: version 0.3.0 -> 0.4.0" in out
    )
    assert "would add a section to packages/cli/CHANGELOG.md" in out and "would open a PR" in out
    assert writes(fake) == []
    assert git_out(repo.work, "status", "--porcelain") == ""
    assert git_out(repo.work, "ls-remote", "origin", "refs/heads/releasekit/release") == ""
    assert git_out(repo.work, "worktree", "list").count("\n") == 0


def test_protected_release_branch_then_rerun(
    repo: Repo, fake: FakeGitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.commit("fix(cli): bug", CLI)
    rule = hook(repo, "refs/heads/releasekit/*")
    code, _, err = in_process(capsys, "prepare", "-w", str(repo.work))
    assert code == 1
    assert "error[RK400]" in err and "pre-receive hook declined" in err and err.count("\n") == 1
    assert fake.state.pulls == []
    assert git_out(repo.work, "worktree", "list").count("\n") == 0, (
        "the worktree must be removed on failure"
    )
    rule.unlink()
    code, out, err = in_process(capsys, "prepare", "-w", str(repo.work))
    assert code == 0, err
    assert len(fake.state.pulls) == 1 and "opened PR #1" in out


def test_github_must_be_known(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.workflow.conftest import make_repo

    repo = make_repo(tmp_path, config="")
    repo.commit("fix(cli): bug", CLI)
    code, _, err = in_process(capsys, "prepare", "-w", str(repo.work))
    assert code == 2 and "error[RK703]" in err
    code, out, _ = in_process(capsys, "prepare", "-w", str(repo.work), "--dry-run")
    assert code == 0 and "no GitHub repository is configured" in out


def test_force_opens_a_pr_without_bumps(
    repo: Repo, fake: FakeGitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = in_process(capsys, "prepare", "-w", str(repo.work))
    assert code == 0 and "nothing to release" in out and fake.state.pulls == []
    code, out, err = in_process(capsys, "prepare", "-w", str(repo.work), "--force")
    assert code == 0, err
    (pr,) = fake.state.pulls
    assert Manifest.parse(pr["body"], "t").packages == () and "--force" in pr["body"]


def test_release_completes_what_a_failed_run_left(
    repo: Repo, fake: FakeGitHub, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    repo.commit("feat(cli): x", CLI)
    sha = released(repo, fake, capsys)
    fake.fail(
        "POST",
        r"/releases$",
        422,
        times=1,
        body={"message": "Validation Failed", "documentation_url": "d"},
    )
    code, _, err = in_process(capsys, "release", "-w", str(repo.work))
    assert code == 1 and "RK720" in err
    assert "acme-cli-v0.4.0" in repo.remote_tags() and fake.state.releases == []
    assert fake.label_names(1) == [PENDING.name]
    # a fresh clone (CI) has the tag from the origin and nothing else: the rerun adds the release
    fresh = tmp_path / "fresh"
    git_out(tmp_path, "clone", "-q", repo.origin.as_uri(), str(fresh))
    git_out(fresh, "tag", "-d", "acme-cli-v0.4.0")  # as if the checkout had fetched no tags
    code, out, err = in_process(capsys, "release", "-w", str(fresh))
    assert code == 0, err
    assert " as acme-cli-v0.4.0" not in out and "pushed" not in out  # the tag was already there
    assert "created the GitHub release acme-cli-v0.4.0" in out
    assert [r["tag_name"] for r in fake.state.releases] == ["acme-cli-v0.4.0"]
    assert fake.state.releases[0]["target_commitish"] == sha
    assert fake.label_names(1) == [TAGGED.name]


@pytest.mark.slow
def test_protected_tags_then_rerun(
    repo: Repo, fake: FakeGitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.commit("fix(core): y", CORE)
    released(repo, fake, capsys)
    rule = hook(repo, "refs/tags/*")
    code, _, err = in_process(capsys, "release", "-w", str(repo.work))
    assert code == 1 and "pre-receive hook declined" in err
    assert fake.state.releases == [] and repo.remote_tags() == {
        f"{n}-v0.3.0"
        for n in ("acme-api", "acme-cli", "acme-core", "acme-http", "acme-log", "acme-store")
    }
    rule.unlink()
    code, _, err = in_process(capsys, "release", "-w", str(repo.work))
    assert code == 0, err
    assert "acme-core-v0.3.1" in repo.remote_tags() and len(fake.state.releases) == 5


def test_tag_on_another_commit_is_refused(
    repo: Repo, fake: FakeGitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.commit("fix(cli): z", CLI)
    released(repo, fake, capsys)
    git_out(repo.work, "tag", "acme-cli-v0.3.1", "HEAD~1")
    code, _, err = in_process(capsys, "release", "-w", str(repo.work))
    assert code == 1 and "error[RK709]" in err and "already exists locally" in err
    assert fake.state.releases == []


def test_hand_edited_manifest_is_refused(
    repo: Repo, fake: FakeGitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.commit("fix(cli): z", CLI)
    released(repo, fake, capsys)
    fake.pull(1)["body"] = fake.pull(1)["body"].replace('"version": "0.3.1"', '"version": "0.3.2"')
    code, _, err = in_process(capsys, "release", "-w", str(repo.work))
    assert code == 1 and "error[RK708]" in err and "0.3.2" in err


def test_mark_published_and_notify(
    repo: Repo,
    fake: FakeGitHub,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    httpserver: HTTPServer,
) -> None:
    repo.commit("fix(cli): z", CLI)
    released(repo, fake, capsys)
    assert in_process(capsys, "release", "-w", str(repo.work))[0] == 0
    ws = load_workspace(repo.work)
    notices: list[str] = []
    assert mark_published(ws, {"acme-core": "0.3.0"}, notice=notices.append) is None
    assert fake.label_names(1) == [TAGGED.name] and "no tagged release PR matches" in notices[-1]
    assert (
        mark_published(ws, {"acme-cli": "0.3.1", "acme-core": "0.3.0"}, notice=notices.append) == 1
    )
    assert fake.label_names(1) == [PUBLISHED.name]
    before = writes(fake)
    assert mark_published(ws, {"acme-cli": "0.3.1"}, notice=notices.append) == 1  # idempotent
    assert writes(fake) == before
    monkeypatch.delenv("GITHUB_TOKEN")
    assert mark_published(ws, {"acme-cli": "0.3.1"}, notice=notices.append) is None
    assert "no GitHub repository or token" in notices[-1]
    monkeypatch.setenv("GITHUB_TOKEN", fake.token)

    index = FakeIndex(httpserver)
    notify = ["notify", "-w", str(repo.work), "--check-url", index.url, "--max-retries", "0"]
    code, out, err = in_process(capsys, *notify)
    assert code == 0 and "nothing to notify" in out and "none of PR #1's versions" in err
    assert fake.repos[DOWNSTREAM].dispatches == []  # never a version nobody can install
    index.projects["acme-cli"] = {"acme_cli-0.3.1.tar.gz": "a" * 64,
                                  "acme_cli-0.3.1-py3-none-any.whl": "b" * 64}
    code, out, _ = in_process(capsys, *notify, "--dry-run")
    assert code == 0 and "would send 'releasekit-release' to acme/downstream" in out
    assert fake.repos[DOWNSTREAM].dispatches == []
    assert in_process(capsys, *notify)[0] == 0
    assert in_process(capsys, *notify)[0] == 0
    assert len(fake.repos[DOWNSTREAM].dispatches) == 1
    assert in_process(capsys, *notify, "--force")[0] == 0
    assert len(fake.repos[DOWNSTREAM].dispatches) == 2
    assert github_from_env(ws) is not None
    index.status = 503
    code, _, err = in_process(capsys, *notify, "--force")
    assert code == 1 and "error[RK712]" in err and len(fake.repos[DOWNSTREAM].dispatches) == 2


def test_rate_limits_during_prepare(
    repo: Repo, fake: FakeGitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.commit("fix(cli): bug", CLI)
    fake.fail("POST", r"/pulls$", 429, times=1, headers={"Retry-After": "0"})
    fake.fail(
        "GET",
        r"/labels/",
        403,
        times=1,
        headers={"X-RateLimit-Remaining": "0", "Retry-After": "0"},
        body={"message": "API rate limit exceeded", "documentation_url": "d"},
    )
    code, _, err = in_process(capsys, "prepare", "-w", str(repo.work))
    assert code == 0, err
    assert "rate limited" in err and "retry 1" in err
    assert fake.label_names(1) == [PENDING.name]


@pytest.mark.slow
def test_prerelease_lock_and_identity(
    repo: Repo,
    fake: FakeGitHub,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """uv.lock is refreshed on the release branch; a runner without a git identity still works."""
    from releasekit.backends.uv import uv_binary

    monkeypatch.setenv("UV_OFFLINE", "1")
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "uv-cache"))
    subprocess.run([uv_binary(), "lock", "-q"], cwd=repo.work, check=True, env={**os.environ})
    repo.commit("chore: lock")
    repo.commit("feat(core): rc feature", CORE)
    repo.push()
    git_out(repo.work, "config", "--unset", "user.name")
    git_out(repo.work, "config", "--unset", "user.email")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    code, _, err = in_process(capsys, "prepare", "-w", str(repo.work), "--prerelease", "rc")
    assert code == 0, err
    git_out(repo.work, "fetch", "-q", "origin")
    lock = git_out(repo.work, "show", "origin/releasekit/release:uv.lock")
    assert 'name = "acme-core"\nversion = "0.4.0rc1"' in lock
    author = git_out(repo.work, "log", "-1", "--format=%an <%ae>", "origin/releasekit/release")
    assert author.startswith("github-actions[bot]")
    git_out(
        repo.work,
        "-c",
        "user.name=M",
        "-c",
        "user.email=m@x",
        "merge",
        "-q",
        "--no-ff",
        "-m",
        "merge",
        "origin/releasekit/release",
    )
    git_out(repo.work, "push", "-q", "origin", "HEAD:main")
    sha = repo.head()
    fake.merge_pull(1, sha)
    code, _, err = in_process(capsys, "release", "-w", str(repo.work))
    assert code == 0, err
    rel = {r["tag_name"]: r for r in fake.state.releases}
    assert rel["acme-core-v0.4.0rc1"]["prerelease"] is True
    assert git_out(
        repo.work, "for-each-ref", "--format=%(taggername)", "refs/tags/acme-core-v0.4.0rc1"
    ).startswith("github-actions[bot]")


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ('release_branch = "main"', "must differ"),
        ('downstream_repositories = ["not-a-repo"]', "not a GitHub repository name"),
        ('changelog_file = "../CHANGELOG.md"', "relative path inside each package"),
    ],
)
def test_workflow_config_errors_point_at_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], setting: str, message: str
) -> None:
    from tests.workflow.conftest import make_repo

    repo = make_repo(tmp_path, config=f"\n[tool.releasekit.workflow]\n{setting}\n", tag=False)
    code, _, err = in_process(
        capsys,
        "notify" if "downstream" in setting else "prepare",
        "-w",
        str(repo.work),
        "--dry-run",
    )
    assert code == 2 and "error[RK702]" in err and message in err
    assert "pyproject.toml:" in err.split("]")[1].split(" ")[1]


@pytest.mark.slow
def test_workspace_in_a_subdirectory(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    github_server: HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The template's layout: the workspace in py/ of a larger repository."""
    from tests.harness.github import running
    from tests.workflow.conftest import REPO, make_repo

    repo = make_repo(tmp_path, subdir="py")
    repo.write("docs/unrelated.md", "outside the workspace\n")
    repo.commit("feat: outside the workspace releases nothing")
    repo.commit("fix(core): inside", CORE)
    repo.push()
    gen = running(repo=REPO, origin=repo.origin, server=github_server)
    fake = next(gen)
    monkeypatch.setenv("GITHUB_API_URL", fake.url)
    monkeypatch.setenv("GITHUB_TOKEN", fake.token)
    code, _, err = in_process(capsys, "prepare", "-w", str(repo.ws))
    assert code == 0, err
    manifest = Manifest.parse(fake.pull(1)["body"], "t")
    assert manifest.versions["acme-core"] == "0.3.1"
    assert manifest.versions.keys() == {
        "acme-core",
        "acme-http",
        "acme-store",
        "acme-api",
        "acme-cli",
    }
    assert all(e.path.startswith("py/packages/") for e in manifest.packages)
    git_out(repo.work, "fetch", "-q", "origin")
    files = git_out(repo.work, "show", "--name-only", "--format=", "origin/releasekit/release").split()
    assert "py/packages/core/CHANGELOG.md" in files
    assert not any(".releasekit" in f for f in files)
    sha = repo.merge_release()
    fake.merge_pull(1, sha)
    code, _, err = in_process(capsys, "release", "-w", str(repo.ws))
    assert code == 0, err
    assert "acme-core-v0.3.1" in repo.remote_tags()
    notes = {r["tag_name"]: r["body"] for r in fake.state.releases}
    assert "### Fixes" in notes["acme-core-v0.3.1"] and "inside" in notes["acme-core-v0.3.1"]
    next(gen, None)
