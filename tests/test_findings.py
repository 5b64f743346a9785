"""The pieces checks and preflight share: one credential resolver, one suggestion helper, one
id parser, one index-URL resolution and the typed check/preflight API."""

from __future__ import annotations

from pathlib import Path

import pytest

from releasekit import api
from releasekit.api import CheckOptions, PreflightOptions
from releasekit.checks.findings import parse_ids, status_of
from releasekit.engine.credentials import resolve_credentials, upload_env
from releasekit.engine.settings import resolve
from releasekit.errors import GraphError, UsageError
from releasekit.model.config import IndexConfig
from releasekit.model.indexurls import index_urls
from releasekit.model.workspace import load_workspace
from releasekit.preflight.gates import GATE_IDS, NETWORK_GATES
from releasekit.support.suggest import did_you_mean, listed
from tests.harness.workspace import simple_workspace, write_package, write_root

OIDC = {"GITHUB_ACTIONS": "true", "ACTIONS_ID_TOKEN_REQUEST_URL": "u", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "t"}
ENVIRONMENTS = [
    {},
    {"UV_PUBLISH_TOKEN": "s3cr3t"},
    {"TESTPYPI_TOKEN": "s3cr3t-t", "UV_PUBLISH_TOKEN": "s3cr3t"},
    {"UV_PUBLISH_USERNAME": "alice", "UV_PUBLISH_PASSWORD": "s3cr3t"},
    {"UV_PUBLISH_USERNAME": "alice"},
    OIDC,
    {**OIDC, "UV_PUBLISH_TOKEN": "s3cr3t"},
    {**OIDC, "UV_PUBLISH_PASSWORD": "s3cr3t"},
]


@pytest.mark.parametrize("environ", ENVIRONMENTS)
@pytest.mark.parametrize("target", ["pypi", "testpypi"])
@pytest.mark.parametrize("mode", ["auto", "always", "never"])
def test_publish_settings_take_the_resolvers_answer(
    tmp_path: Path, target: str, mode: str, environ: dict[str, str]
) -> None:
    """The run header and uv's --trusted-publishing come from the same decision as the auth gate."""
    ws = load_workspace(simple_workspace(tmp_path / "ws"))
    settings = resolve(ws, target=target, trusted_publishing=mode, environ=environ)
    credentials = resolve_credentials(target, mode, environ)
    assert (settings.auth, settings.trusted_publishing) == (credentials.describe(), credentials.trusted_publishing)
    # What the publish settings resolved is final: asking again with it gives the same answer.
    again = resolve_credentials(target, settings.trusted_publishing, environ)
    assert (again.method, again.missing) == (credentials.method, credentials.missing)
    assert "s3cr3t" not in settings.auth and "s3cr3t" not in repr(credentials)


def test_what_counts_as_missing_credentials() -> None:
    assert resolve_credentials("pypi", "auto", {}).missing
    assert resolve_credentials("pypi", "auto", {"UV_PUBLISH_USERNAME": "alice"}).missing
    assert not resolve_credentials("pypi", "auto", {"UV_PUBLISH_TOKEN": "x"}).missing
    assert not resolve_credentials("pypi", "auto", OIDC).missing
    # An explicit `always` goes to uv even where releasekit sees no OIDC token.
    always = resolve_credentials("pypi", "always", {})
    assert not always.missing and always.problem and always.describe().startswith("trusted-publishing")
    # A half username/password never beats OIDC under `auto`: uv gets trusted publishing.
    assert resolve_credentials("pypi", "auto", {**OIDC, "UV_PUBLISH_USERNAME": "alice"}).method == "trusted-publishing"


def test_the_upload_gets_the_token_the_resolver_names() -> None:
    both = {"TESTPYPI_TOKEN": "t", "UV_PUBLISH_TOKEN": "u"}
    assert resolve_credentials("testpypi", "auto", both).source == "TESTPYPI_TOKEN"
    assert upload_env("testpypi", both) == {"UV_PUBLISH_TOKEN": "t"}
    assert resolve_credentials("pypi", "auto", both).source == "UV_PUBLISH_TOKEN"
    assert upload_env("pypi", both) == {}


def test_did_you_mean() -> None:
    assert did_you_mean("clean_worktre", GATE_IDS, "gates: ...") == "did you mean `clean_worktree`?"
    assert did_you_mean("zzz", ["a", "b"], listed("known", ["a", "b"])) == "known: a, b"


def test_one_id_parser_for_checks_and_gates() -> None:
    assert parse_ids(["a", "b, c", ""], ["a", "b", "c"], kind="x", option="--x", code="RK151", listing="xs") == [
        "a", "b", "c"]
    with pytest.raises(UsageError) as caught:
        parse_ids(["index_reachble"], GATE_IDS, kind="preflight gate", option="--skip-preflight", code="RK152",
                  listing="gates")
    assert caught.value.code == "RK152" and caught.value.hint == "did you mean `index_reachable`?"
    assert (status_of("error"), status_of("warning")) == ("fail", "warn")


def test_index_urls_of_the_configured_and_of_another_target() -> None:
    index = IndexConfig(target="testpypi", check_url="http://127.0.0.1:1/simple/")
    assert index_urls(index) == ("https://test.pypi.org/legacy/", "http://127.0.0.1:1/simple/",
                            "https://test.pypi.org/pypi/")
    # The config's own URL belongs to its target: another target gets that one's preset.
    assert index_urls(index, "pypi").check == "https://pypi.org/simple/"
    assert index_urls(index, "custom") == ("", "", "")
    assert index_urls(index, publish_url="http://x/", json_api_url="").json_api == ""


def test_api_check_and_preflight(tmp_path: Path) -> None:
    ws = load_workspace(simple_workspace(tmp_path / "ws"))
    report = api.check(ws, options=CheckOptions(skip=("missing_readme",)))
    assert report.ok and "missing_readme" in report.skipped
    with pytest.raises(UsageError) as caught:
        api.check(ws, options=CheckOptions(skip=("missing_readm",)))
    assert caught.value.code == "RK151"

    options = PreflightOptions(offline=True, skip=("clean_worktree",), environ={"UV_PUBLISH_TOKEN": "x"})
    gates = api.preflight(ws, options=options)
    status = {g.id: g.status for g in gates.gates}
    assert {gate for gate, s in status.items() if s == "skipped"} == {"clean_worktree", *NETWORK_GATES}
    assert status["auth"] == "pass" and gates.auth is not None and gates.auth.source == "UV_PUBLISH_TOKEN"
    assert gates.refusal is None
    with pytest.raises(UsageError):
        api.preflight(ws, options=PreflightOptions(skip=("no_cycles",)))


def test_api_preflight_reports_and_carries_the_refusal(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write_root(root)
    write_package(root, "packages/a", "a", deps=["b"])
    write_package(root, "packages/b", "b", deps=["a"])
    report = api.preflight(load_workspace(root), options=PreflightOptions(offline=True, environ={}))
    assert isinstance(report.refusal, GraphError)
    assert {g.id: g.status for g in report.gates}["no_cycles"] == "fail"
    assert not report.ok
