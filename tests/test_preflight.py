"""Preflight gates on real git repositories, real `uv lock --check`, and an index on 127.0.0.1."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug.wrappers import Request, Response

from releasekit.engine.builds import BuildRecord, build_dir, save_record
from releasekit.engine.credentials import resolve_credentials, upload_env
from releasekit.engine.plan import Plan, build_plan
from releasekit.errors import EXIT_REFUSED, GraphError
from releasekit.model.workspace import load_workspace
from releasekit.preflight.gates import (
    GATE_IDS,
    NETWORK_GATES,
    PreflightError,
    PreflightReport,
    PreflightSettings,
    run_preflight,
)
from releasekit.support.state import StateLock, ensure_state_dir
from tests.harness.cli import in_process
from tests.harness.gitrepo import git_out
from tests.harness.workspace import commit_all, simple_workspace, uv_lock, write_package, write_root

TOKEN_ENV = {"UV_PUBLISH_TOKEN": "pypi-test-token"}
GHA = {"GITHUB_ACTIONS": "true"}
AUTH_VARS = (
    "UV_PUBLISH_TOKEN",
    "UV_PUBLISH_USERNAME",
    "UV_PUBLISH_PASSWORD",
    "TESTPYPI_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_URL",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "GITHUB_ACTIONS",
)


class FakeIndex:
    """A PEP 503 simple index on pytest-httpserver: project -> {filename: sha256}, else 404."""

    def __init__(self, server: HTTPServer) -> None:
        self.projects: dict[str, dict[str, str]] = {}
        self.status: int | None = None
        self.requests: list[str] = []
        server.expect_request(re.compile(r"^/simple/.*")).respond_with_handler(self.handle)
        self.url = server.url_for("/simple/")

    def handle(self, request: Request) -> Response:
        self.requests.append(request.path)
        if self.status is not None:
            return Response("injected failure", status=self.status)
        name = request.path[len("/simple/") :].strip("/")
        if not name:
            return Response("<html><body></body></html>", content_type="text/html")
        files = self.projects.get(name)
        if files is None:
            return Response("not found", status=404)
        links = "".join(f'<a href="/packages/{fn}#sha256={sha}">{fn}</a>\n' for fn, sha in files.items())
        return Response(f"<html><body>{links}</body></html>", content_type="text/html")


@pytest.fixture
def index(httpserver: HTTPServer) -> FakeIndex:
    return FakeIndex(httpserver)


@pytest.fixture(autouse=True)
def offline_uv(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UV_OFFLINE", "1")
    for name in AUTH_VARS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A committed workspace (core <- app) with a fresh uv.lock."""
    root = simple_workspace(tmp_path / "repo")
    uv_lock(root)
    commit_all(root, "initial")
    return root


def plan_of(root: Path) -> Plan | None:
    try:
        return build_plan(load_workspace(root))
    except GraphError:
        return None


def preflight(
    root: Path,
    index: FakeIndex | None = None,
    *,
    skip: Collection[str] = (),
    environ: Mapping[str, str] | None = None,
    only: str | None = None,
    **changes: object,
) -> PreflightReport:
    """Run the gates (``only`` one of them: faster) against ``index``, or offline without it."""
    ws = load_workspace(root)
    settings = PreflightSettings.from_config(
        ws.config,
        check_url=changes.pop("check_url", index.url if index else "http://127.0.0.1:9/simple/"),
        environ=TOKEN_ENV if environ is None else environ,
        max_retries=0,
        retry_base_delay=0.0,
        **changes,
    )
    skipped = set(skip) | (set() if index else set(NETWORK_GATES))
    if only is not None:
        skipped |= set(GATE_IDS) - {only}
    return run_preflight(ws, plan_of(root), settings, skip=skipped)


def status(report: PreflightReport) -> dict[str, str]:
    return {g.id: g.status for g in report.gates}


# --- the whole set -------------------------------------------------------------------------


def test_a_clean_release_passes_every_gate(repo: Path, index: FakeIndex) -> None:
    report = preflight(repo, index, target="testpypi")
    assert status(report) == dict.fromkeys(GATE_IDS, "pass"), report.render()
    assert report.ok
    report.raise_if_failed()
    assert report.auth is not None and report.auth.method == "token"
    assert "/simple/acme-core/" in index.requests


def test_report_renders_table_and_json(repo: Path) -> None:
    (repo / "stray.txt").write_text("x")
    report = preflight(repo)
    text = report.render()
    assert re.search(r"clean_worktree\s+FAIL\s+1 uncommitted", text)
    assert "?? stray.txt" in text
    assert "index_reachable    skipped" in text
    assert "preflight FAILED" in text
    data = json.loads(report.render("json"))
    assert data["schema"] == "releasekit.preflight/1" and data["ok"] is False
    assert [g["id"] for g in data["gates"]] == list(GATE_IDS)
    assert data["auth"] == {
        "method": "token",
        "source": "UV_PUBLISH_TOKEN",
        "trusted_publishing": "never",
    }
    with pytest.raises(PreflightError) as caught:
        report.raise_if_failed()
    assert caught.value.exit_code == EXIT_REFUSED and "clean_worktree" in caught.value.message


# --- git -----------------------------------------------------------------------------------


def test_dirty_tracked_and_untracked_files_fail(repo: Path) -> None:
    (repo / "packages/core/src/acme_core/__init__.py").write_text("changed = 1\n")
    (repo / "packages/app/notes.txt").write_text("untracked\n")
    gate = preflight(repo, only="clean_worktree").gate("clean_worktree")
    assert gate.status == "fail"
    assert set(gate.details) == {
        " M packages/core/src/acme_core/__init__.py",
        "?? packages/app/notes.txt",
    }


def test_releasekits_own_state_is_never_dirt(repo: Path) -> None:
    ws = load_workspace(repo)
    with StateLock(ws.state_dir, "test"):
        (ws.state_dir / "journal").mkdir()
        (ws.state_dir / "doit.sqlite3").write_bytes(b"db")
        gate = preflight(repo, only="clean_worktree").gate("clean_worktree")
    assert gate.status == "pass", gate
    assert ".releasekit excluded" in gate.reason


def test_a_state_dir_configured_elsewhere_without_gitignore_is_not_dirt(repo: Path) -> None:
    manifest = repo / "pyproject.toml"
    manifest.write_text(
        manifest.read_text().replace("[tool.releasekit]\n", '[tool.releasekit]\nstate_dir = "var/rk"\n')
    )
    commit_all(repo, "move state")
    state = ensure_state_dir(repo / "var/rk")
    (state / ".gitignore").unlink()  # even without its own ignore file
    (state / "builds").mkdir()
    (state / "builds/acme_core-0.1.0.tar.gz").write_bytes(b"x")
    assert preflight(repo, only="clean_worktree").gate("clean_worktree").status == "pass"
    (repo / "var/other.txt").write_text("but this is dirt")
    gate = preflight(repo, only="clean_worktree").gate("clean_worktree")
    assert gate.status == "fail" and gate.details == ("?? var/other.txt",)


def test_only_the_workspace_subtree_counts(tmp_path: Path) -> None:
    top = tmp_path / "mono"
    root = simple_workspace(top / "py")
    uv_lock(root)
    (top / "js").mkdir()
    (top / "js/index.js").write_text("1")
    commit_all(top)
    (top / "js/index.js").write_text("2")  # another team's work in progress
    assert preflight(root, only="clean_worktree").gate("clean_worktree").status == "pass"
    (root / "packages/core/new.py").write_text("")
    assert preflight(root, only="clean_worktree").gate("clean_worktree").details == ("?? py/packages/core/new.py",)


def test_not_a_git_repository_fails_the_git_gates(tmp_path: Path) -> None:
    root = simple_workspace(tmp_path / "plain")
    report = preflight(root)
    assert status(report)["clean_worktree"] == "fail"
    assert status(report)["not_shallow"] == "fail"
    assert "not inside a git work tree" in report.gate("not_shallow").reason


def test_shallow_clone_fails_and_full_clone_passes(repo: Path, tmp_path: Path) -> None:
    (repo / "packages/core/CHANGES.md").write_text("second\n")
    commit_all(repo, "second")
    git_out(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo}", "shallow")
    git_out(tmp_path, "clone", "-q", f"file://{repo}", "full")
    shallow = preflight(tmp_path / "shallow", only="not_shallow").gate("not_shallow")
    assert shallow.status == "fail" and "shallow" in shallow.reason
    assert "fetch-depth: 0" in shallow.hint
    assert preflight(tmp_path / "full", only="not_shallow").gate("not_shallow").status == "pass"


# --- uv lock --check -----------------------------------------------------------------------


def test_stale_lock_fails_with_uvs_exit_code(repo: Path) -> None:
    app = repo / "packages/app/pyproject.toml"
    original = app.read_text()
    app.write_text(original.replace('"acme-core>=0.1.0"', '"acme-core[fast]>=0.1.0"'))
    gate = preflight(repo, only="lock_current").gate("lock_current")
    assert gate.status == "fail"
    assert gate.reason.startswith("`uv lock --check` exited with code 1: uv.lock is out of date")
    assert any("needs to be updated" in line for line in gate.details)
    uv_lock(repo)
    assert preflight(repo, only="lock_current").gate("lock_current").status == "pass"


def test_a_lock_that_cannot_be_resolved_fails_too(repo: Path) -> None:
    app = repo / "packages/app/pyproject.toml"
    app.write_text(app.read_text().replace('"acme-core>=0.1.0"', '"acme-core", "no-such-dist-rk"'))
    gate = preflight(repo, only="lock_current").gate("lock_current")
    assert gate.status == "fail"
    assert gate.reason == "`uv lock --check` exited with code 1: the lock could not be checked"
    assert any("no-such-dist-rk" in line for line in gate.details)


def test_missing_lock_is_a_warning(tmp_path: Path) -> None:
    root = simple_workspace(tmp_path / "ws")
    commit_all(root)
    gate = preflight(root, only="lock_current").gate("lock_current")
    assert gate.status == "warn" and "no uv.lock" in gate.reason


# --- graph and files -----------------------------------------------------------------------


def test_cycle_fails_and_the_command_still_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "ws"
    write_root(root)
    write_package(root, "packages/a", "a", deps=["b"])
    write_package(root, "packages/b", "b", deps=["a"])
    report = preflight(root)
    assert report.gate("no_cycles").reason.startswith(
        "dependency cycle: a -> b -> a (a -> b: packages/a/pyproject.toml [project.dependencies] 'b'; ")
    rc, out, err = in_process(capsys, "-w", str(root), "preflight", "--offline")
    # The other gates still report; then the same refusal as `plan` and `publish`.
    assert rc == 2
    assert re.search(r"no_cycles\s+FAIL\s+dependency cycle: a -> b -> a", out)
    assert err.strip().splitlines()[-1].startswith("error[RK107] packages/a/pyproject.toml: dependency cycle")


def test_stale_dist_fails(repo: Path) -> None:
    (repo / "packages/core/dist").mkdir()
    (repo / "packages/core/dist/.gitignore").write_text("*\n")
    assert preflight(repo, only="no_stale_dist").gate("no_stale_dist").status == "pass"
    (repo / "packages/core/dist/acme_core-0.0.9.tar.gz").write_bytes(b"old")
    gate = preflight(repo, only="no_stale_dist").gate("no_stale_dist")
    assert gate.status == "fail" and gate.details == ("packages/core/dist: 1 file(s)",)


def test_every_package_needs_a_declared_build_backend(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write_root(root)
    write_package(root, "packages/good", "good")
    write_package(root, "packages/legacy", "legacy", build_system=None, extra_toml="[tool.uv]\npackage = true")
    write_package(
        root,
        "packages/empty",
        "empty",
        build_system='[build-system]\nbuild-backend = "hatchling.build"',
    )
    gate = preflight(root, only="sdist_and_wheel").gate("sdist_and_wheel")
    assert gate.status == "fail"
    assert [d.split(":")[0] for d in gate.details] == ["empty", "legacy"]
    root2 = tmp_path / "ws2"
    write_root(root2)
    write_package(
        root2,
        "packages/rs",
        "rs",
        build_system='[build-system]\nrequires = ["maturin>=1"]\nbuild-backend = "maturin"',
    )
    assert preflight(root2, only="sdist_and_wheel").gate("sdist_and_wheel").status == "warn"


GOOD_RST = "Title\n=====\n\nSome *text*.\n"
BAD_RST = "Title\n=====\n\n.. unknown-directive:: boom\n\n`unclosed\n"


@pytest.mark.parametrize(
    ("readme", "text", "extra", "expected"),
    [
        ("README.md", "# hi\n<script>x</script>\n", "", "pass"),
        ("README.txt", "plain", "", "pass"),
        ("README.rst", GOOD_RST, "", "pass"),
        ("README.rst", BAD_RST, "", "fail"),
        ("README.adoc", "= hi", "", "fail"),
        (
            None,
            None,
            'readme = { text = "' + BAD_RST.replace("\n", "\\n") + '", content-type = "text/x-rst" }',
            "fail",
        ),
        (None, None, 'readme = { file = "README", content-type = "text/html" }', "fail"),
        (
            None,
            None,
            'readme = { file = "README", content-type = "text/markdown; variant=GFM" }',
            "pass",
        ),
    ],
)
def test_readme_renders_for_its_content_type(
    tmp_path: Path, readme: str | None, text: str | None, extra: str, expected: str
) -> None:
    root = tmp_path / "ws"
    write_root(root)
    pkg = write_package(root, "packages/p", "p", readme=readme, readme_text=text, extra_project=extra)
    (pkg / "README").write_text("hello\n")
    gate = preflight(root, only="readme_renders").gate("readme_renders")
    assert gate.status == expected, gate


# --- authentication ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "mode", "env", "method", "source"),
    [
        (
            "pypi",
            "auto",
            {**GHA, "ACTIONS_ID_TOKEN_REQUEST_URL": "u", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "t"},
            "trusted-publishing",
            "GitHub Actions OIDC",
        ),
        (
            "pypi",
            "auto",
            {
                **GHA,
                "ACTIONS_ID_TOKEN_REQUEST_URL": "u",
                "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "t",
                "UV_PUBLISH_TOKEN": "s3cr3t",
            },
            "token",
            "UV_PUBLISH_TOKEN",
        ),
        ("pypi", "auto", {"UV_PUBLISH_TOKEN": "s3cr3t"}, "token", "UV_PUBLISH_TOKEN"),
        (
            "testpypi",
            "auto",
            {"TESTPYPI_TOKEN": "t", "UV_PUBLISH_TOKEN": "p"},
            "token",
            "TESTPYPI_TOKEN",  # named for TestPyPI: wins there (a CI job may hold both)
        ),
        ("testpypi", "auto", {"UV_PUBLISH_TOKEN": "p"}, "token", "UV_PUBLISH_TOKEN"),
        ("testpypi", "auto", {"TESTPYPI_TOKEN": "t"}, "token", "TESTPYPI_TOKEN"),
        ("pypi", "auto", {"TESTPYPI_TOKEN": "t"}, "none", ""),
        (
            "pypi",
            "auto",
            {"UV_PUBLISH_USERNAME": "u", "UV_PUBLISH_PASSWORD": "p"},
            "password",
            "UV_PUBLISH_USERNAME/UV_PUBLISH_PASSWORD",
        ),
        ("pypi", "auto", {"UV_PUBLISH_USERNAME": "u"}, "none", ""),
        (
            "pypi",
            "never",
            {**GHA, "ACTIONS_ID_TOKEN_REQUEST_URL": "u", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "t"},
            "none",
            "",
        ),
        ("pypi", "always", {"UV_PUBLISH_TOKEN": "s3cr3t"}, "none", ""),
        (
            "pypi",
            "always",
            {**GHA, "ACTIONS_ID_TOKEN_REQUEST_URL": "u", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "t"},
            "trusted-publishing",
            "GitHub Actions OIDC",
        ),
        ("pypi", "auto", {**GHA, "ACTIONS_ID_TOKEN_REQUEST_URL": "u"}, "none", ""),
        ("pypi", "auto", {"ACTIONS_ID_TOKEN_REQUEST_URL": "u", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "t"}, "none", ""),
    ],
)
def test_resolve_credentials(target: str, mode: str, env: dict[str, str], method: str, source: str) -> None:
    info = resolve_credentials(target, mode, env)
    assert (info.method, info.source) == (method, source)
    assert bool(info.problem) == (method == "none")
    assert info.trusted_publishing == ("always" if method == "trusted-publishing" or mode == "always" else "never")
    assert "s3cr3t" not in repr(info)  # names of variables, never their values


def test_auth_hints_and_the_env_uv_gets() -> None:
    in_actions = resolve_credentials("pypi", "auto", {"GITHUB_ACTIONS": "true"})
    assert "id-token: write" in in_actions.hint
    assert "UV_PUBLISH_TOKEN" in resolve_credentials("pypi", "auto", {}).hint
    assert upload_env("testpypi", {"TESTPYPI_TOKEN": "secret-t"}) == {"UV_PUBLISH_TOKEN": "secret-t"}
    assert upload_env("pypi", {"TESTPYPI_TOKEN": "secret-t"}) == {}
    assert upload_env("pypi", {"UV_PUBLISH_TOKEN": "x"}) == {}


def test_auth_gate_from_the_environment(repo: Path) -> None:
    oidc = {
        **GHA,
        "ACTIONS_ID_TOKEN_REQUEST_URL": "https://token.invalid",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "t",
    }
    gate = preflight(repo, environ=oidc, only="auth").gate("auth")
    assert gate.status == "pass" and "trusted-publishing" in gate.reason
    assert preflight(repo, environ={}, only="auth").gate("auth").status == "fail"
    custom = preflight(repo, environ=oidc, target="custom", only="auth").gate("auth")
    assert custom.status == "warn"


# --- the index -----------------------------------------------------------------------------


def test_unreachable_index_fails_and_blocks_the_index_gates(repo: Path, index: FakeIndex) -> None:
    index.status = 503
    report = preflight(repo, index)
    assert status(report)["index_reachable"] == "fail"
    assert "503" in report.gate("index_reachable").reason
    for gate_id in ("version_conflicts", "new_projects"):
        assert report.gate(gate_id).status == "fail"
        assert "not reachable" in report.gate(gate_id).reason


def test_connection_refused_is_a_failure_not_a_crash(repo: Path, httpserver: HTTPServer) -> None:
    url = httpserver.url_for("/simple/")
    httpserver.stop()
    ws = load_workspace(repo)
    settings = PreflightSettings.from_config(ws.config, check_url=url, environ=TOKEN_ENV, max_retries=0, timeout=2.0)
    report = run_preflight(ws, plan_of(repo), settings)
    assert report.gate("index_reachable").status == "fail"
    httpserver.start()


def write_record(state: Path, files: dict[str, str]) -> None:
    """What the build stage leaves: builds/<name>/<version>/record.json (releasekit.engine.builds)."""
    build_dir(state, "acme-core", "0.1.0").mkdir(parents=True, exist_ok=True)
    save_record(state, BuildRecord("acme-core", "0.1.0", fingerprint="f", files=files, pins={}))


def test_version_conflicts(repo: Path, index: FakeIndex) -> None:
    """Released (sdist and wheel there): skipped, never compared. Partial: a resume, compared."""
    state = load_workspace(repo).state_dir
    index.projects["acme-core"] = {"acme_core-0.0.9.tar.gz": "0" * 64}
    assert preflight(repo, index, only="version_conflicts").gate("version_conflicts").status == "pass"

    index.projects["acme-core"] = {
        "acme_core-0.1.0.tar.gz": "a" * 64,
        "acme_core-0.1.0-py3-none-any.whl": "b" * 64,
    }
    gate = preflight(repo, index, only="version_conflicts").gate("version_conflicts")
    assert gate.status == "pass" and "1 already released (skipped)" in gate.reason
    assert "publish skips it" in gate.details[0]
    write_record(
        state,
        {"acme_core-0.1.0.tar.gz": "c" * 64, "acme_core-0.1.0-py3-none-any.whl": "d" * 64},
    )
    gate = preflight(repo, index, only="version_conflicts").gate("version_conflicts")
    assert gate.status == "pass", "a released version is never compared with a (re)build"

    index.projects["acme-core"] = {"acme_core-0.1.0.tar.gz": "a" * 64}  # half-published
    (state / "builds").rename(state / "builds-aside")
    gate = preflight(repo, index, only="version_conflicts").gate("version_conflicts")
    assert gate.status == "warn" and "the new build must match those files" in gate.details[0]

    write_record(
        state,
        {"acme_core-0.1.0.tar.gz": "a" * 64, "acme_core-0.1.0-py3-none-any.whl": "b" * 64},
    )
    gate = preflight(repo, index, only="version_conflicts").gate("version_conflicts")
    assert gate.status == "pass" and "1 resumed" in gate.reason

    write_record(
        state,
        {"acme_core-0.1.0.tar.gz": "c" * 64, "acme_core-0.1.0-py3-none-any.whl": "b" * 64},
    )
    gate = preflight(repo, index, only="version_conflicts").gate("version_conflicts")
    assert gate.status == "fail"
    assert gate.details == (
        "acme-core==0.1.0: the index has other bytes for acme_core-0.1.0.tar.gz than releasekit built",
    )


def test_new_projects_warns_above_the_limit(tmp_path: Path, index: FakeIndex) -> None:
    root = tmp_path / "ws"
    write_root(root)
    for i in range(5):
        write_package(root, f"packages/p{i}", f"fresh-{i}")
    commit_all(root)
    gate = preflight(root, index, target="testpypi", only="new_projects").gate("new_projects")
    assert gate.status == "warn" and gate.reason.startswith("5 brand-new projects")
    assert len(gate.details) == 5
    index.projects["fresh-0"] = {}
    assert preflight(root, index, target="testpypi", only="new_projects").gate("new_projects").status == "pass"
    assert (
        preflight(root, index, target="testpypi", max_new_projects=10, only="new_projects").gate("new_projects").status
        == "pass"
    )
    index.projects.clear()
    assert preflight(root, index, target="custom", only="new_projects").gate("new_projects").status == "pass"


def test_public_versions_refuses_local_versions_for_pypi_only(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write_root(root)
    write_package(root, "packages/a", "acme-a", version="1.0.0+cu121")
    write_package(root, "packages/b", "acme-b", version="1.0.0")
    commit_all(root)
    for target in ("pypi", "testpypi"):
        gate = preflight(root, target=target, only="public_versions").gate("public_versions")
        assert gate.status == "fail", gate
        assert gate.details == ("acme-a 1.0.0+cu121",)
        assert ("TestPyPI" if target == "testpypi" else "PyPI") in gate.reason
    custom = preflight(root, target="custom", only="public_versions").gate("public_versions")
    assert custom.status == "pass" and "allowed" in custom.reason
    on_pypi = preflight(
        root, target="custom", check_url="https://pypi.org/simple/", only="public_versions"
    ).gate("public_versions")
    assert on_pypi.status == "fail"


# --- the command ---------------------------------------------------------------------------


@pytest.fixture
def configured(repo: Path, index: FakeIndex) -> Iterator[Path]:
    manifest = repo / "pyproject.toml"
    manifest.write_text(
        manifest.read_text() + f'\n[tool.releasekit.index]\ntarget = "testpypi"\ncheck_url = "{index.url}"\n'
    )
    commit_all(repo, "configure the index")
    yield repo


def test_command_skip_preflight_overrides_one_gate_and_says_so(
    configured: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UV_PUBLISH_TOKEN", "pypi-secret")
    (configured / "scratch.txt").write_text("dirt")
    rc, out, err = in_process(capsys, "-w", str(configured), "preflight")
    assert rc == EXIT_REFUSED and "clean_worktree     FAIL" in out
    rc, out, err = in_process(
        capsys,
        "-w",
        str(configured),
        "preflight",
        "--skip-preflight",
        "clean_worktree",
        "--format",
        "json",
    )
    assert rc == 0, out
    data = json.loads(out)
    gates = {g["id"]: g for g in data["gates"]}
    assert gates["clean_worktree"] == {
        "id": "clean_worktree",
        "status": "skipped",
        "reason": "skipped by --skip-preflight clean_worktree",
        "hint": "",
        "details": [],
    }
    assert all(g["status"] == "pass" for i, g in gates.items() if i != "clean_worktree")
    assert "preflight gate clean_worktree overridden" in err
    assert "pypi-secret" not in out + err


def test_command_unknown_gate_is_one_line_exit_2(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = in_process(capsys, "-w", str(repo), "preflight", "--skip-preflight", "clean_tree")
    assert rc == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("error[RK152]")
    assert "did you mean `clean_worktree`?" in err


def test_command_selection_limits_the_packages(
    configured: Path,
    index: FakeIndex,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("UV_PUBLISH_TOKEN", "t")
    shutil.rmtree(configured / "packages/app/src")  # would not matter: app is not selected
    commit_all(configured, "drop app sources")
    rc, out, _ = in_process(capsys, "-w", str(configured), "preflight", "-p", "acme-core")
    assert rc == 0, out
    assert "/simple/acme-app/" not in index.requests


def test_publish_settings_drive_the_gates(repo: Path, index: FakeIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    """What publish passes: its resolved settings, so the gates see the upload's index and auth."""
    from releasekit.engine.settings import resolve

    ws = load_workspace(repo)
    oidc = {**GHA, "ACTIONS_ID_TOKEN_REQUEST_URL": "https://t.invalid", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "t"}
    for name, value in oidc.items():
        monkeypatch.setenv(name, value)
    settings = resolve(ws, target="testpypi", check_url=index.url)
    assert settings.trusted_publishing == "always"
    report = run_preflight(ws, plan_of(repo), settings)
    assert status(report) == dict.fromkeys(GATE_IDS, "pass"), report.render()
    assert report.auth is not None and report.auth.method == "trusted-publishing"
    assert "/simple/acme-app/" in index.requests


def test_command_index_overrides_like_publish(
    repo: Path, index: FakeIndex, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TESTPYPI_TOKEN", "t-secret")
    rc, out, _ = in_process(capsys, "-w", str(repo), "preflight", "--target", "testpypi", "--check-url", index.url)
    assert rc == 0, out
    assert "will upload with token (TESTPYPI_TOKEN)" in out
    assert index.requests
