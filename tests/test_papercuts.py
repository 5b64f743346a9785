"""What a command says is exactly what happens: the papercuts a new user hit (issue 13)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from releasekit.cli import build_parser
from releasekit.engine.results import PackageResult, RunResult
from releasekit.engine.summary import render_summary
from releasekit.model.workspace import load_workspace
from releasekit.preflight.gates import PreflightSettings, run_preflight
from tests.harness.cli import run_cli
from tests.harness.doubles import EmptyIndex
from tests.harness.gitrepo import git_out
from tests.harness.workspace import EXAMPLE, commit_all

BIN = Path(sys.executable).parent


def test_preflight_takes_every_index_option_publish_takes() -> None:
    def index_options(command: str) -> set[str]:
        sub = next(a for a in build_parser()._actions if a.dest == "command").choices[command]
        return {o for a in sub._actions for o in a.option_strings if a.container.title == "index (mirrors uv publish)"}

    assert index_options("preflight") == index_options("publish") == {
        "--target", "--publish-url", "--check-url", "--json-api-url", "--fallback-url", "--trusted-publishing"}
    custom = run_cli("preflight", "--offline", "--target", "custom", "--publish-url", "http://127.0.0.1:9/",
                     "--check-url", "http://127.0.0.1:9/simple/", cwd=EXAMPLE)
    assert custom.returncode in (0, 3) and "RK150" not in custom.stderr and "RK121" not in custom.stderr


def test_dry_runs_name_the_real_destination() -> None:
    rehearsed = run_cli("publish", "--dry-run", "--rehearse", cwd=EXAMPLE)
    assert rehearsed.returncode == 0, rehearsed.stderr
    assert "would publish to a throwaway pypiserver on 127.0.0.1 (--rehearse)" in rehearsed.stdout
    assert "upload.pypi.org" not in rehearsed.stdout
    data = json.loads(run_cli("publish", "--dry-run", "--format", "json", cwd=EXAMPLE).stdout)
    assert data["dry_run"] is True
    assert data["index"]["publish_url"] == "https://upload.pypi.org/legacy/"
    assert data["index"]["check_url"] == "https://pypi.org/simple/"
    offline = json.loads(run_cli("publish", "--dry-run", "--format", "json", "--fallback-url", "none",
                                 cwd=EXAMPLE).stdout)
    assert offline["index"]["fallback_url"] == ""


def test_plain_doit_publish_without_credentials_says_so_before_any_build(tmp_path: Path) -> None:
    import shutil

    ws = tmp_path / "ws"
    shutil.copytree(EXAMPLE, ws)
    commit_all(ws, "example")
    env = {k: v for k, v in __import__("os").environ.items()
           if k not in ("UV_PUBLISH_TOKEN", "UV_PUBLISH_USERNAME", "UV_PUBLISH_PASSWORD", "TESTPYPI_TOKEN",
                        "GITHUB_ACTIONS", "ACTIONS_ID_TOKEN_REQUEST_URL")}
    done = subprocess.run([str(BIN / "doit"), "publish"], cwd=ws, capture_output=True, text=True, env=env,
                          timeout=120, check=False)
    assert done.returncode != 0
    assert "error[RK608] no upload credentials were found" in done.stdout + done.stderr
    assert "UV_PUBLISH_TOKEN" in done.stdout + done.stderr
    assert not (ws / ".releasekit" / "builds").exists()  # nothing was built


def test_plan_from_commits_lists_what_it_skips_and_plain_plan_points_at_it(tmp_path: Path) -> None:
    import shutil

    ws = tmp_path / "ws"
    shutil.copytree(EXAMPLE, ws)
    commit_all(ws, "feat: the example")
    for name in ("acme-core", "acme-log", "acme-http", "acme-store", "acme-api", "acme-cli"):
        git_out(ws, "tag", f"{name}-v0.3.0")
    (ws / "packages" / "core" / "src" / "acme_core" / "__init__.py").write_text("X = 2\n")
    commit_all(ws, "feat(core): a feature")
    history = run_cli("plan", "--from-commits", cwd=ws)
    assert history.returncode == 0, history.stderr
    assert "skipped:\n  acme-devtool 0.1.0: not publishable" in history.stdout
    plain = run_cli("plan", cwd=ws)
    assert plain.returncode == 0, plain.stderr
    assert "commits since the last release tags would bump" in plain.stderr
    assert "acme-core 0.3.0 -> 0.4.0" in plain.stderr and "plan --from-commits" in plain.stderr


def test_new_projects_does_not_apply_pypis_limit_to_another_index() -> None:
    ws = load_workspace(EXAMPLE)
    settings = PreflightSettings.from_config(ws.config, target="custom", check_url="http://127.0.0.1:9/simple/",
                                             max_new_projects=1)

    from releasekit.engine.plan import build_plan

    gates = run_preflight(ws, build_plan(ws), settings, skip=[g for g in ("clean_worktree", "not_shallow",
                          "lock_current", "readme_renders", "index_reachable", "version_conflicts")],
                          client=EmptyIndex(settings.check_url))
    reason = gates.gate("new_projects").reason
    assert "6 new project(s)" in reason and "does not apply to 127.0.0.1:9" in reason, reason


def test_doit_info_explains_the_upload_check_in_words(tmp_path: Path) -> None:
    import shutil

    ws = tmp_path / "ws"
    shutil.copytree(EXAMPLE, ws)
    info = subprocess.run([str(BIN / "doit"), "info", "upload:acme-core"], cwd=ws, capture_output=True,
                          text=True, check=False, timeout=60)
    assert "up to date when the index already lists every file of acme-core 0.3.0" in info.stdout
    assert "<function" not in info.stdout


def test_a_failed_rehearsal_does_not_promise_a_resume() -> None:
    result = RunResult("r1", [PackageResult("a", "1.0", "failed", "trial", "error[RK614] boom")], False, 1.0)
    assert "rehearse again" in render_summary(result, rehearsal=True)
    assert "only what is missing" not in render_summary(result, rehearsal=True)
    assert "only what is missing" in render_summary(result)


def test_tables_fit_unless_wide_and_n_is_concurrency() -> None:
    narrow = run_cli("graph", "--format", "table", cwd=EXAMPLE).stdout
    wide = run_cli("graph", "--format", "table", "--wide", cwd=EXAMPLE).stdout
    assert max(map(len, narrow.splitlines())) <= 100 < max(map(len, wide.splitlines()))
    assert "… +" in narrow and "… +" not in wide
    args = build_parser().parse_args(["publish", "-n", "3"])
    assert args.concurrency == 3
