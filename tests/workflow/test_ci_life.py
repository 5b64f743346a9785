"""The release life as CI runs it: each job of ci/releasekit-uv.yml, run the way a runner does.

Every job gets a fresh clone made the way ``actions/checkout`` makes it (the template's ``ref``
and ``fetch-depth``), the ``GITHUB_*`` variables, the template's step ``env:`` and ``run:``
script, a token for the fake GitHub and one for a real index (pypiserver on 127.0.0.1). The
workspace lives in ``py/`` and its config names the index, so an empty ``target`` input
defers to it. Between jobs a maintainer commits and merges, as on GitHub. Every job is run
twice: the second run must change nothing (no GitHub write, no upload, no ref moved).

The life: an initial release; a docs-only change in one package and a fix in another; a group
release that bumps a dependent outside the group; rc -> rc -> promote, with the final's notes
checked; a GitHub 500 and a rate limit in the middle of ``release``, finished by a rerun.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from releasekit.workflow.changelog import extract_section
from releasekit.workflow.release_manifest import Manifest
from tests.harness.actions import Event, JobRun, Runner, dispatch_inputs
from tests.harness.cli import Run, rk
from tests.harness.github import FakeGitHub, running
from tests.harness.gitrepo import git_out
from tests.harness.index import LocalIndex
from tests.harness.netutil import EgressTrap
from tests.harness.uvenv import hermetic_uv_env
from tests.harness.workspace import uv_lock, write_package, write_root
from tests.workflow.conftest import Repo

pytestmark = pytest.mark.slow

TEMPLATE = Path(__file__).resolve().parents[2] / "ci" / "releasekit-uv.yml"
REPO, DOWNSTREAM = "acme/tools", "acme/downstream"
INDEX_TOKEN = "pypi-AgEIcHlwaS5vcmc-test-token"
CORE, UTIL, APP = "rkl-core", "rkl-util", "rkl-app"
SRC = {CORE: "packages/core/src/rkl_core/__init__.py", UTIL: "packages/util/src/rkl_util/__init__.py",
       APP: "packages/app/src/rkl_app/__init__.py"}


def _workspace(root: Path, index: LocalIndex) -> None:
    """core <- util <- app; the group `libs` is core and util, so app is outside it."""
    write_root(root, sources=(CORE, UTIL), releasekit=(
        'max_retries = 2\nretry_base_delay = 0.01\npoll_timeout = 60.0\n'
        f'groups = {{ libs = ["{CORE}", "{UTIL}"] }}\n\n'
        f'[tool.releasekit.index]\ntarget = "custom"\npublish_url = "{index.upload_url}"\n'
        f'check_url = "{index.simple_url}"\njson_api_url = "{index.json_api_url}"\nfallback_url = ""\n\n'
        f'[tool.releasekit.workflow]\ngithub_repository = "{REPO}"\ndownstream_repositories = ["{DOWNSTREAM}"]'
    ))
    write_package(root, "packages/core", CORE, version="0.0.0")
    write_package(root, "packages/util", UTIL, version="0.0.0", deps=[f"{CORE}>=0.0.0"])
    write_package(root, "packages/app", APP, version="0.0.0", deps=[f"{UTIL}>=0.0.0"])


class Life:
    """The maintainer's clone, the runner, the fake GitHub and the index, and the checks of a rerun."""

    def __init__(self, repo: Repo, runner: Runner, fake: FakeGitHub, index: LocalIndex, env: dict[str, str]) -> None:
        self.repo, self.runner, self.fake, self.index, self.env = repo, runner, fake, index, env

    def world(self) -> tuple[list[str], int, str]:
        writes = [f"{e.method} {e.path}" for e in self.fake.log if e.method != "GET" and not e.injected]
        refs = git_out(self.repo.origin, "for-each-ref", "--format=%(refname) %(objectname)")
        return writes, len(self.index.requests_for("POST")), refs

    def job(self, name: str, event: Event, needs: dict[str, JobRun] | None = None, *, again: bool = True) -> JobRun:
        """Run a job; then run it again and check that the second run changed nothing."""
        done = self.runner.run(name, event, needs)
        assert done.ok, f"{name} failed:\n{done.stdout}\n{done.stderr}"
        if again:
            before = self.world()
            rerun = self.runner.run(name, event, needs)
            assert rerun.ok, f"{name} rerun failed:\n{rerun.stderr}"
            assert self.world() == before, f"the rerun of {name} changed something:\n{rerun.stdout}{rerun.stderr}"
        return done

    def push(self, *commits: tuple[str, str]) -> Event:
        for message, package in commits:
            self.repo.commit(message, SRC.get(package, package))
        self.repo.push()
        return Event("push", self.repo.head())

    def merge(self) -> tuple[int, str]:
        number = int(self.fake.state.pulls[-1]["number"])
        sha = self.repo.merge_release()
        self.fake.merge_pull(number, sha)
        return number, sha

    def release_half(self, event: Event) -> dict[str, JobRun]:
        """release -> publish -> notify, as the merged release PR (or a dispatch) runs them."""
        release = self.job("release", event)
        assert release.outputs["sha"] == self.repo.head()
        publish = self.job("publish", event, {"release": release})
        notify = self.job("notify", event, {"release": release, "publish": publish})
        return {"release": release, "publish": publish, "notify": notify}

    def merged_event(self, number: int, sha: str) -> Event:
        pull = {"number": number, "merged": True, "base": {"ref": "main"}, "head": {"ref": "releasekit/release"}}
        return Event("pull_request", sha, f"refs/pull/{number}/merge", payload={"pull_request": pull})

    def versions(self, number: int) -> dict[str, str]:
        return Manifest.parse(self.fake.pull(number)["body"], f"#{number}").versions

    def on_index(self, name: str, version: str) -> bool:
        stem = f"{name.replace('-', '_')}-{version}"
        files = self.index.files()
        return f"{stem}.tar.gz" in files and f"{stem}-py3-none-any.whl" in files

    def maintainer(self, *args: str, token: bool = False) -> Run:
        """releasekit run by hand in the maintainer's clone, after pulling main and the tags."""
        git_out(self.repo.work, "pull", "-q", "--ff-only", "origin", "main")
        git_out(self.repo.work, "fetch", "-q", "--tags", "origin")
        env = {**self.env, "UV_PUBLISH_TOKEN": INDEX_TOKEN, "GITHUB_REPOSITORY": REPO}
        if token:
            env["GITHUB_TOKEN"] = self.fake.token
        return rk(self.repo.ws, *args, env=env, timeout=600)


@pytest.fixture
def life(tmp_path: Path, wheelhouse: Path, uv_cache_dir: Path, egress_trap: EgressTrap,
         github_server: HTTPServer) -> Iterator[Life]:
    index = LocalIndex(tmp_path / "index" / "packages", seed_dirs=[wheelhouse], username="__token__",
                       password=INDEX_TOKEN)
    uv = hermetic_uv_env(index, uv_cache_dir, egress_trap.url, tmp_path / "uv-home")
    for key in ("UV_PUBLISH_USERNAME", "UV_PUBLISH_PASSWORD"):  # the runner holds only the token secret
        uv.pop(key)
    (tmp_path / "home").mkdir()
    (tmp_path / "gitconfig").touch()  # a runner has no git identity
    origin, work = tmp_path / "origin.git", tmp_path / "work"
    git_out(tmp_path, "init", "-q", "--bare", "-b", "main", str(origin))
    git_out(tmp_path, "init", "-q", "-b", "main", str(work))
    for key, value in (("user.name", "Maintainer"), ("user.email", "maintainer@acme.invalid")):
        git_out(work, "config", key, value)
    git_out(work, "remote", "add", "origin", origin.as_uri())
    _workspace(work / "py", index)
    uv_lock(work / "py", uv)
    gen = running(repo=REPO, origin=origin, other_repos=(DOWNSTREAM,), server=github_server)
    fake = next(gen)
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path / "home"), "LANG": "C.UTF-8", **uv,
           "GIT_CONFIG_GLOBAL": str(tmp_path / "gitconfig"), "GIT_CONFIG_NOSYSTEM": "1",
           "GITHUB_API_URL": fake.url, "GITHUB_SERVER_URL": fake.html, "TMPDIR": str(tmp_path)}
    secrets = {"GITHUB_TOKEN": fake.token, "UV_PUBLISH_TOKEN": INDEX_TOKEN}
    runner = Runner(TEMPLATE, origin=origin.as_uri(), root=tmp_path / "runner", secrets=secrets,
                    environ=env, repository=REPO)
    before = len(egress_trap.attempts)
    try:
        yield Life(Repo(work, origin, "py"), runner, fake, index, env)
    finally:
        next(gen, None)  # the fake's answers are checked against GitHub's documented shapes
        index.stop()
    assert not egress_trap.attempts[before:], egress_trap.attempts[before:]


def test_the_release_life_in_ci(life: Life) -> None:
    fake, repo = life.fake, life.repo

    # --- initial release: everything at 0.0.0, one feature commit -> 0.1.0 for all
    git_out(repo.work, "add", "-A")
    life.job("prepare", life.push(("feat: the first toolkit", "README.md")))
    number, sha = life.merge()
    assert life.versions(number) == {CORE: "0.1.0", UTIL: "0.1.0", APP: "0.1.0"}
    jobs = life.release_half(life.merged_event(number, sha))
    assert all(life.on_index(n, "0.1.0") for n in (CORE, UTIL, APP))
    assert fake.label_names(number) == ["autorelease: published"]
    assert fake.repos[DOWNSTREAM].dispatches[-1]["client_payload"]["packages"] == life.versions(number)
    assert "RK350" not in jobs["publish"].stderr  # a full clone: preflight's not_shallow passes

    # --- a docs-only change in core and a fix in util
    pushed = life.push(("docs(core): improve the README", "packages/core/README.md"),
                       ("fix(util): handle empty input", UTIL))
    by_hand = life.maintainer("publish")  # the branch head is no release: everything is released
    assert by_hand.returncode == 0, by_hand.stderr
    assert "already released, skipped without building" in by_hand.stderr and "RK511" not in by_hand.stderr
    assert f"unreleased changes in {CORE} (since {CORE}-v0.1.0), {UTIL} (since {UTIL}-v0.1.0)" in by_hand.stderr
    posts = len(life.index.requests_for("POST"))
    life.job("prepare", pushed)
    number, sha = life.merge()
    assert life.versions(number) == {UTIL: "0.1.1", APP: "0.1.1"}  # core: no release-worthy change
    jobs = life.release_half(life.merged_event(number, sha))
    assert f"HEAD is tagged as the release of {APP} 0.1.1, {UTIL} 0.1.1" in jobs["publish"].stderr
    assert "RK511" not in jobs["publish"].stdout + jobs["publish"].stderr
    assert not [r for r in life.index.requests_for("POST")[posts:] if r.filename and "core" in r.filename]
    assert life.on_index(UTIL, "0.1.1") and life.on_index(APP, "0.1.1")
    assert fake.label_names(number) == ["autorelease: published"]

    # --- a group release: `prepare -g libs` also bumps app, outside the group; all of it ships
    life.push(("fix(util): keep the order", UTIL))
    life.job("prepare", Event("workflow_dispatch", repo.head(), inputs=dispatch_inputs(
        life.runner.workflow, action="prepare", group="libs", dry_run=False)))
    number, _ = life.merge()
    assert life.versions(number) == {UTIL: "0.1.2", APP: "0.1.2"}
    dispatched = Event("workflow_dispatch", repo.head(), inputs=dispatch_inputs(
        life.runner.workflow, action="release", group="libs", dry_run=False))
    life.release_half(dispatched)
    assert life.on_index(APP, "0.1.2"), "the dependent outside the group was tagged but not published"
    assert fake.label_names(number) == ["autorelease: published"]
    assert fake.repos[DOWNSTREAM].dispatches[-1]["client_payload"]["packages"] == {UTIL: "0.1.2", APP: "0.1.2"}

    # --- rc -> rc -> promote: the final's notes hold the whole series
    rc = dispatch_inputs(life.runner.workflow, action="prepare", prerelease="rc", dry_run=False)
    for message in ("feat(core): add the Widget type", "fix(core): the Widget leaks"):
        life.push((message, CORE))
        life.job("prepare", Event("workflow_dispatch", repo.head(), inputs=rc))
        number, sha = life.merge()
        life.release_half(life.merged_event(number, sha))
    assert life.versions(number) == {CORE: "0.2.0rc2", UTIL: "0.1.3rc2", APP: "0.1.3rc2"}
    assert life.on_index(CORE, "0.2.0rc2")
    promoted = life.maintainer("prepare", "--promote", token=True)
    assert promoted.returncode == 0, promoted.stderr
    number, sha = life.merge()
    assert life.versions(number) == {CORE: "0.2.0", UTIL: "0.1.3", APP: "0.1.3"}

    # --- release meets GitHub failing in the middle: a 500 through every retry, then a rate limit
    fake.fail("GET", rf"/releases/tags/{UTIL}-v0\.1\.3$", 500, times=3)
    event = life.merged_event(number, sha)
    broken = life.runner.run("release", event)
    assert broken.returncode == 1
    error = next(line for line in broken.stderr.splitlines() if line.startswith("error["))
    assert error.startswith("error[RK724]") and "--max-retries" in error and "index" not in error
    assert f"{CORE}-v0.2.0" in git_out(repo.origin, "tag", "--list")  # tags pushed before the failure
    fake.fail("POST", r"/releases$", 429, times=1, headers={"Retry-After": "1"})
    jobs = life.release_half(event)
    assert "rate limited" in life.runner.runs[-6].stderr  # the first rerun of release waited it out
    releases = {r["tag_name"]: r for r in fake.state.releases}
    final = releases[f"{CORE}-v0.2.0"]
    assert not final["prerelease"] and "No user-facing changes" not in final["body"]
    assert "add the Widget type" in final["body"] and "the Widget leaks" in final["body"]
    section = extract_section(git_out(repo.work, "show", f"{sha}:py/packages/core/CHANGELOG.md"), "0.2.0")
    assert section is not None and "add the Widget type" in section
    assert all(life.on_index(n, v) for n, v in life.versions(number).items())
    assert fake.label_names(number) == ["autorelease: published"]
    assert "\n\n\n" not in git_out(repo.work, "show", f"{sha}:py/packages/core/CHANGELOG.md")
