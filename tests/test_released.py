"""A released version is skipped before anything is built; a tagged HEAD publishes its tags.

The rule (releasekit.workflow.released): a version whose sdist and wheel are on the index is released,
never rebuilt or compared; one with only some files there is a resume; a commit ``release``
tagged publishes exactly the tagged packages and versions.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from releasekit.backends.registry import IndexFile
from releasekit.engine.plan import build_plan
from releasekit.model.workspace import load_workspace
from releasekit.workflow.release_manifest import TAG_TRAILER
from releasekit.workflow.released import version_on_index
from releasekit.workflow.scope import without
from tests.harness.cli import index_flags, rk
from tests.harness.gitrepo import AUTHOR_ENV, git_out
from tests.harness.index import LocalIndex
from tests.harness.workspace import commit_all, simple_workspace, uv_lock, write_package

CORE, APP = "acme-core", "acme-app"


def _file(name: str) -> IndexFile:
    return IndexFile(name, f"http://index.invalid/{name}", "0" * 64)


def test_the_released_rule() -> None:
    listing = {fn: _file(fn) for fn in (
        "acme_core-0.1.0.tar.gz", "acme_core-0.1.0-py3-none-any.whl", "acme_core-0.2.0.tar.gz",
        "acme_core-0.3.0-cp311-cp311-manylinux_2_17_x86_64.whl",
    )}
    assert version_on_index(listing, "Acme_Core", "0.1.0").state == "released"
    assert version_on_index(listing, CORE, "0.2.0").state == "partial"  # a run stopped half-way
    assert version_on_index(listing, CORE, "0.3.0").state == "partial"
    assert version_on_index(listing, CORE, "0.4.0").state == "new"
    assert version_on_index(None, CORE, "0.1.0").state == "new"  # a project the index never saw


def test_a_released_package_leaves_the_plan_and_gates_nothing(tmp_path: Path) -> None:
    root = simple_workspace(tmp_path / "ws")
    write_package(root, "packages/cli", "acme-cli", deps=["acme-app>=0.1.0"])
    plan = build_plan(load_workspace(root))
    assert [p.name for p in plan.packages] == [CORE, APP, "acme-cli"]
    trimmed = without(plan, {CORE: "already released"})
    assert [p.name for p in trimmed.packages] == [APP, "acme-cli"]
    assert trimmed.package(APP).deps == () and trimmed.package(APP).level == 0
    assert trimmed.levels == ((APP,), ("acme-cli",))
    assert [(s.name, s.reason) for s in trimmed.skipped][-1] == (CORE, "already released")
    assert not [t for t in trimmed.tasks if CORE in t.name or any(CORE in d for d in t.task_dep)]
    assert next(t for t in trimmed.tasks if t.name == "upload:acme-cli").task_dep[-1] == "verify:acme-app"


@pytest.fixture
def repo(tmp_path: Path, uv_env: dict[str, str]) -> Path:
    """core <- app in git, locked, nothing released yet."""
    root = simple_workspace(tmp_path / "ws", releasekit="retry_base_delay = 0.01")
    uv_lock(root, uv_env)
    (root / ".gitignore").write_text(".venv/\n")
    commit_all(root, "feat: first")
    return root


def _tag(root: Path, *names: str, version: str = "0.1.0") -> None:
    """Tag HEAD the way `release` does (the trailer marks a release tag)."""
    for name in names:
        git_out(root, "tag", "-a", "-m", f"{name} {version}\n\n{TAG_TRAILER} PR #1", f"{name}-v{version}",
                env=AUTHOR_ENV)


@pytest.mark.slow
def test_docs_change_after_a_release_publishes_nothing_and_says_so(
    repo: Path, local_index: LocalIndex
) -> None:
    flags = [*index_flags(local_index), "--no-smoke-test"]
    first = rk(repo, "publish", *flags)
    assert first.returncode == 0, first.stderr
    _tag(repo, CORE, APP)
    (repo / "packages/core/README.md").write_text("# acme-core\n\nBetter words.\n")
    commit_all(repo, "docs(core): improve README")
    posts = len(local_index.requests_for("POST"))

    again = rk(repo, "publish", *flags)
    assert again.returncode == 0, again.stderr
    assert f"already released, skipped without building: {APP} 0.1.0, {CORE} 0.1.0" in again.stderr
    notes = [line for line in again.stderr.splitlines() if "unreleased changes" in line]
    assert len(notes) == 1 and f"{CORE} (since {CORE}-v0.1.0)" in notes[0] and APP not in notes[0]
    assert "RK511" not in again.stdout + again.stderr
    assert len(local_index.requests_for("POST")) == posts
    summary = json.loads((repo / ".releasekit" / "last-run.json").read_text())
    assert {p["name"]: p["status"] for p in summary["packages"]} == {
        APP: "already-published", CORE: "already-published"}

    gate = rk(repo, "preflight", "--check-url", local_index.simple_url, "--format", "json")
    conflicts = next(g for g in json.loads(gate.stdout)["gates"] if g["id"] == "version_conflicts")
    assert conflicts["status"] == "pass" and "2 already released" in conflicts["reason"]

    # A fix in app: only app is built and uploaded; core stays as released, never rebuilt.
    bumped = rk(repo, "bump", APP, "--patch")
    assert bumped.returncode == 0, bumped.stderr
    commit_all(repo, "fix(app): the fix")
    builds_of_core = sorted((repo / ".releasekit/builds/acme-core").iterdir())
    third = rk(repo, "publish", *flags)
    assert third.returncode == 0, third.stderr
    assert "acme_app-0.1.1-py3-none-any.whl" in local_index.files()
    assert not [r for r in local_index.requests_for("POST")[posts:] if r.filename and "core" in r.filename]
    assert sorted((repo / ".releasekit/builds/acme-core").iterdir()) == builds_of_core


def test_a_tagged_head_publishes_exactly_its_tags(repo: Path, local_index: LocalIndex) -> None:
    git_out(repo, "tag", f"{CORE}-v0.1.0")  # a user's own tags (a VCS version, say) name no release
    git_out(repo, "tag", "-a", "-m", "by hand", f"{APP}-v0.1.0", env=AUTHOR_ENV)
    plan = rk(repo, "publish", "--dry-run", "--format", "json", *index_flags(local_index))
    assert [p["name"] for p in json.loads(plan.stdout)["packages"]] == [CORE, APP], plan.stderr
    assert "HEAD is tagged" not in plan.stderr
    git_out(repo, "tag", "-d", f"{APP}-v0.1.0")

    _tag(repo, APP)
    plan = rk(repo, "publish", "-p", CORE, "--dry-run", "--format", "json", *index_flags(local_index))
    assert plan.returncode == 0, plan.stderr
    assert [p["name"] for p in json.loads(plan.stdout)["packages"]] == [APP]
    assert f"HEAD is tagged as the release of {APP} 0.1.0: publishing exactly that" in plan.stderr
    assert "do not narrow a tagged release" in plan.stderr

    git_out(repo, "tag", "-d", f"{CORE}-v0.1.0")
    _tag(repo, CORE, version="0.9.0")
    wrong = rk(repo, "publish", "--dry-run", *index_flags(local_index))
    assert wrong.returncode == 1
    assert "error[RK708]" in wrong.stderr and f"{CORE}-v0.9.0" in wrong.stderr
    assert "packages/core/pyproject.toml" in wrong.stderr and "version there is 0.1.0" in wrong.stderr
