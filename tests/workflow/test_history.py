"""Next versions from a real git history: ranges from tags, attribution, rules and overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from releasekit.backends.git import Git
from releasekit.cli import main
from releasekit.errors import UsageError, WorkflowError
from releasekit.model.selection import Selection
from releasekit.model.workspace import load_workspace
from releasekit.workflow.commits import analyze
from tests.harness.gitrepo import git_out
from tests.workflow.conftest import Repo, make_repo

CORE = "packages/core/src/acme_core/__init__.py"
LOG = "packages/log/src/acme_log/__init__.py"
CLI = "packages/cli/src/acme_cli/__init__.py"


def versions(repo: Repo, **kwargs: object) -> dict[str, str]:
    ws = load_workspace(repo.work)
    return analyze(ws, Git(repo.work), **kwargs).versions  # type: ignore[arg-type]


def reconfigure(repo: Repo, extra: str) -> None:
    """Append config to [tool.releasekit] (committed as a chore, so it releases nothing)."""
    path = repo.work / "pyproject.toml"
    text = path.read_text(encoding="utf-8")
    header = "[tool.releasekit.workflow]\n"
    if extra.startswith(header):
        text = text.replace(header, extra + "\n")
    else:
        text = text.replace("[tool.releasekit.index]", extra + "\n[tool.releasekit.index]")
    path.write_text(text, encoding="utf-8")
    repo.commit("chore: configure releasekit")


def test_nothing_since_the_tags(repo: Repo) -> None:
    assert versions(repo) == {}
    repo.commit("docs(core): typo", CORE)
    assert versions(repo) == {}


def test_feature_and_dependents(repo: Repo) -> None:
    repo.commit("feat(core): widgets", CORE)
    assert versions(repo) == {
        "acme-core": "0.4.0",
        "acme-http": "0.3.1",
        "acme-store": "0.3.1",
        "acme-api": "0.3.1",
        "acme-cli": "0.3.1",
    }


def test_leaf_change_releases_only_the_leaf(repo: Repo) -> None:
    repo.commit("fix(cli): exit code", CLI)
    assert versions(repo) == {"acme-cli": "0.3.1"}


def test_zero_x_rule_is_configurable(repo: Repo) -> None:
    repo.commit("feat(cli)!: new flags", CLI)
    assert versions(repo) == {"acme-cli": "0.4.0"}
    reconfigure(repo, '[tool.releasekit.workflow]\nbreaking_on_0x = "major"')
    assert versions(repo) == {"acme-cli": "1.0.0"}


def test_dependent_bump_none(repo: Repo) -> None:
    reconfigure(repo, '[tool.releasekit.workflow]\ndependent_bump = "none"')
    repo.commit("fix(core): x", CORE)
    assert versions(repo) == {"acme-core": "0.3.1"}


def test_range_starts_at_the_current_versions_tag(repo: Repo) -> None:
    repo.commit("feat(cli): old feature", CLI)
    path = repo.work / "packages/cli/pyproject.toml"
    path.write_text(path.read_text().replace('version = "0.3.0"', 'version = "0.4.0"'))
    repo.commit("chore(release): acme-cli 0.4.0")
    git_out(repo.work, "tag", "acme-cli-v0.4.0")
    assert versions(repo) == {}
    repo.commit("fix(cli): after the release", CLI)
    assert versions(repo) == {"acme-cli": "0.4.1"}


def test_no_tags_means_whole_history(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, tag=False)
    assert versions(repo) == {}  # "chore: initial import" releases nothing
    repo.commit("fix(log): a", LOG)
    assert versions(repo)["acme-log"] == "0.3.1"


def test_revert_in_range_cancels(repo: Repo) -> None:
    sha = repo.commit("feat(core): risky", CORE)
    git_out(repo.work, "revert", "--no-edit", sha)
    assert versions(repo) == {}


def test_bump_type_override_applies_to_packages_with_commits(repo: Repo) -> None:
    repo.commit("docs(cli): wording", CLI)
    repo.commit("tidy log", LOG)
    assert versions(repo, bump_type="minor") == {
        "acme-cli": "0.4.0",
        "acme-log": "0.4.0",
        "acme-http": "0.3.1",
        "acme-api": "0.3.1",
    }
    with pytest.raises(UsageError, match="RK710"):
        versions(repo, bump_type="huge")


def test_prereleases_advance_from_existing_tags(repo: Repo) -> None:
    repo.commit("feat(cli): rc material", CLI)
    assert versions(repo, prerelease="rc") == {"acme-cli": "0.4.0rc1"}
    git_out(repo.work, "tag", "acme-cli-v0.4.0rc1")  # cut elsewhere; must not be reissued
    git_out(repo.work, "tag", "acme-cli-v0.4.0rc2")
    assert versions(repo, prerelease="rc") == {"acme-cli": "0.4.0rc3"}
    assert versions(repo, prerelease="dev") == {"acme-cli": "0.4.0.dev1"}
    with pytest.raises(WorkflowError, match="RK711"):
        versions(repo, prerelease="rc.2")  # an explicit number that exists is refused


def test_promotion(repo: Repo) -> None:
    path = repo.work / "packages/cli/pyproject.toml"
    path.write_text(path.read_text().replace('version = "0.3.0"', 'version = "0.4.0rc2"'))
    repo.commit("chore(release): acme-cli 0.4.0rc2")
    git_out(repo.work, "tag", "acme-cli-v0.4.0rc2")
    assert versions(repo) == {}
    assert versions(repo, promote=True) == {"acme-cli": "0.4.0"}
    repo.commit("fix(cli): last fix", CLI)
    assert versions(repo) == {"acme-cli": "0.4.0"}  # a change promotes by itself
    assert versions(repo, prerelease="rc") == {"acme-cli": "0.4.0rc3"}
    with pytest.raises(UsageError):
        versions(repo, promote=True, prerelease="rc")


def test_group_selection_and_lockstep(repo: Repo) -> None:
    repo.commit("fix(log): a", LOG)
    repo.commit("feat(cli): b", CLI)
    assert versions(repo, selection=Selection(groups=("foundation",))) == {
        "acme-log": "0.3.1",
        "acme-http": "0.3.1",
        "acme-api": "0.3.1",
        "acme-cli": "0.4.0",  # pulled in as a dependent: its own feature is not lost
    }
    reconfigure(repo, 'lockstep_groups = ["foundation"]')
    got = versions(repo, selection=Selection(groups=("foundation",)))
    assert got["acme-log"] == got["acme-core"] == "0.3.1"
    assert got["acme-store"] == "0.3.1"  # dependent of core, now released with it


def test_root_package_gets_only_unowned_files(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    path = repo.work / "pyproject.toml"
    text = path.read_text()
    path.write_text(
        text.replace(
            "[tool.uv.workspace]",
            '[project]\nname = "acme-root"\nversion = "1.0.0"\n'
            'dependencies = []\n\n[build-system]\nrequires = ["hatchling"]\n'
            'build-backend = "hatchling.build"\n\n[tool.uv.workspace]',
        )
    )
    repo.commit("chore: root project")
    git_out(repo.work, "tag", "acme-root-v1.0.0")
    repo.commit("fix(core): inside a member", CORE)
    assert "acme-root" not in versions(repo)
    repo.commit("fix: top-level file", "ROOT_NOTES.md")
    assert versions(repo)["acme-root"] == "1.0.1"


def test_shallow_history_is_refused(repo: Repo, tmp_path: Path) -> None:
    repo.commit("fix(cli): x", CLI)
    repo.push()
    shallow = tmp_path / "shallow"
    git_out(tmp_path, "clone", "-q", "--depth", "1", repo.origin.as_uri(), str(shallow))
    with pytest.raises(UsageError, match="shallow"):
        versions(Repo(shallow, repo.origin))


def test_plan_from_commits_cli(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.commit("feat(core): widgets (#5)", CORE)
    assert main(["plan", "-w", str(repo.work), "--from-commits"]) == 0
    out = capsys.readouterr().out
    assert "0.4.0" in out and "1 feat since acme-core-v0.3.0 -> minor" in out
    assert "depends on acme-core -> patch" in out
    assert main(["plan", "-w", str(repo.work), "--prerelease", "rc", "--format", "json"]) == 0
    assert '"next_version": "0.4.0rc1"' in capsys.readouterr().out
    assert main(["plan", "-w", str(repo.work), "--from-commits", "--minor"]) == 2
    assert "RK710" in capsys.readouterr().err
    assert main(["plan", "-w", str(repo.work), "--minor"]) == 0  # the explicit flags still work
    assert "bump: minor" in capsys.readouterr().out
    assert main(["plan", "-w", str(repo.work)]) == 0  # without flags: versions as written
    assert "version in pyproject.toml" in capsys.readouterr().out
