"""`prepare` and `release` each append one section to GitHub's job summary: the versions and
the release PR, then the tags with links to their releases; an error is a section too.

Real git (a bare origin) and the fake GitHub, through the real command line.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from releasekit.cli import main
from tests.harness.github import FakeGitHub
from tests.workflow.conftest import Repo


def sections(path: Path) -> list[str]:
    return [line for line in path.read_text().splitlines() if line.startswith("## releasekit ")]


def test_prepare_and_release_write_one_section_each(repo: Repo, fake: FakeGitHub, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    summary = tmp_path / "step-summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    repo.commit("feat(core): add the Widget type", "packages/core/src/acme_core/__init__.py")
    repo.push()
    ws = str(repo.work)

    assert main(["prepare", "-w", ws, "--no-lock"]) == 0, capsys.readouterr().err
    assert sections(summary) == ["## releasekit prepare: opened"]
    text = summary.read_text()
    assert "| acme-core | 0.3.0 | 0.4.0 |" in text and f"Release PR: [#1]({fake.html}/acme/widgets/pull/1)" in text

    assert main(["release", "-w", ws, "--pr", "99"]) != 0  # no such PR: the error is the section
    assert sections(summary)[-1] == "## releasekit release: failed" and "error[RK720]" in summary.read_text()

    fake.merge_pull(1, repo.merge_release())
    assert main(["release", "-w", ws]) == 0, capsys.readouterr().err
    assert sections(summary) == ["## releasekit prepare: opened", "## releasekit release: failed",
                                 "## releasekit release: released"]
    last = summary.read_text().split("## releasekit release: released", 1)[1]
    assert f"[#1]({fake.html}/acme/widgets/pull/1)" in last
    assert f"[acme-core-v0.4.0]({fake.html}/acme/widgets/releases/tag/acme-core-v0.4.0)" in last
    assert "| acme-core | 0.4.0 |" in last
    assert fake.token not in summary.read_text()
