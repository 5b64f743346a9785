"""The GitHub backend in-process with `responses`: retries, rate limits, errors, PR bodies."""

from __future__ import annotations

import time

import pytest
import requests
import responses

from releasekit.backends.github import (
    MAX_BODY,
    PENDING,
    GitHub,
    html_base,
    repo_from_remote,
    token_from_env,
)
from releasekit.errors import GitHubError
from releasekit.support.retry import TransientError
from releasekit.workflow.release_manifest import Manifest, ManifestEntry
from releasekit.workflow.release_pr import pr_body

API = "https://api.example.test"
TOKEN = "ghp_secret_token_value_1234"
PULLS = f"{API}/repos/acme/widgets/pulls"


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def gh(sleeps: list[float]) -> GitHub:
    return GitHub(
        "acme/widgets",
        token=TOKEN,
        api_url=API,
        max_retries=3,
        base_delay=0.01,
        sleep=sleeps.append,
    )


@responses.activate
def test_headers_and_token(gh: GitHub) -> None:
    responses.get(PULLS, json=[])
    assert gh.open_pull("releasekit/release", "main") is None
    call = responses.calls[0].request
    assert call.headers["Authorization"] == f"Bearer {TOKEN}"
    assert call.headers["Accept"] == "application/vnd.github+json"
    assert call.headers["X-GitHub-Api-Version"] == "2022-11-28"
    assert "head=acme%3Areleasekit%2Frelease" in str(call.url) and "state=open" in str(call.url)


@responses.activate
def test_server_errors_are_retried_with_jitter(gh: GitHub, sleeps: list[float]) -> None:
    responses.get(PULLS, status=502, json={"message": "bad gateway"})
    responses.get(PULLS, status=503, json={"message": "unavailable"})
    responses.get(PULLS, json=[{"number": 3, "merged_at": None}])
    assert gh.open_pull("b", "main") == {"number": 3, "merged_at": None}
    assert len(responses.calls) == 3 and len(sleeps) == 2
    assert all(0 <= s <= 0.02 for s in sleeps)


@responses.activate
def test_retries_run_out(gh: GitHub, sleeps: list[float]) -> None:
    """Out of retries, a GitHub failure is GitHub's (RK724), never the index's RK520."""
    responses.get(PULLS, status=500, json={"message": "boom"})
    with pytest.raises(GitHubError) as info:
        gh.open_pull("b", "main")
    assert len(responses.calls) == 4  # 1 + max_retries
    error = info.value
    assert error.code == "RK724" and "500 boom" in error.message and "4 attempt" in error.message
    assert "--max-retries" in error.hint and "index" not in error.one_line()
    assert not isinstance(error, TransientError)


@responses.activate
def test_rate_limit_through_every_retry(gh: GitHub, sleeps: list[float]) -> None:
    responses.get(PULLS, status=429, headers={"Retry-After": "1"}, json={"message": "slow down"})
    with pytest.raises(GitHubError) as info:
        gh.open_pull("b", "main")
    assert info.value.code == "RK723" and "rate limited" in info.value.message
    assert "--max-retries" in info.value.hint and sleeps == [1.0, 1.0, 1.0]


@responses.activate
def test_connection_errors_are_retried(gh: GitHub) -> None:
    responses.get(PULLS, body=requests.ConnectionError("reset by peer"))
    responses.get(PULLS, json=[])
    assert gh.open_pull("b", "main") is None


@responses.activate
def test_retry_after_is_a_floor(gh: GitHub, sleeps: list[float]) -> None:
    responses.get(PULLS, status=429, headers={"Retry-After": "7"}, json={"message": "slow down"})
    responses.get(PULLS, json=[])
    gh.open_pull("b", "main")
    assert sleeps == [7.0]


@responses.activate
def test_primary_rate_limit_waits_until_reset(gh: GitHub, sleeps: list[float]) -> None:
    reset = int(time.time()) + 30
    responses.get(
        PULLS,
        status=403,
        json={"message": "API rate limit exceeded"},
        headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)},
    )
    responses.get(PULLS, json=[])
    gh.open_pull("b", "main")
    assert len(sleeps) == 1 and 25 <= sleeps[0] <= 32


@responses.activate
def test_rate_limit_far_away_fails_at_once(gh: GitHub, sleeps: list[float]) -> None:
    responses.get(
        PULLS,
        status=403,
        json={"message": "API rate limit exceeded"},
        headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(time.time()) + 7200)},
    )
    with pytest.raises(GitHubError) as info:
        gh.open_pull("b", "main")
    assert info.value.code == "RK723" and "until" in info.value.message and sleeps == []


@responses.activate
def test_secondary_limit_without_header_waits_a_minute(gh: GitHub, sleeps: list[float]) -> None:
    responses.get(PULLS, status=403, json={"message": "You have exceeded a secondary rate limit"})
    responses.get(PULLS, json=[])
    gh.open_pull("b", "main")
    assert sleeps == [60.0]


@responses.activate
def test_client_errors_fail_once_with_a_hint_and_no_token(
    gh: GitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    responses.post(
        PULLS,
        status=422,
        json={
            "message": "Validation Failed",
            "errors": [
                {"resource": "PullRequest", "code": "custom", "message": f"bad head {TOKEN}"}
            ],
        },
    )
    with pytest.raises(GitHubError) as info:
        gh.create_pull(title="t", body="b", head="x", base="main")
    text = info.value.one_line()
    assert "RK720" in text and "422" in text and "bad head" in text and TOKEN not in text
    assert len(responses.calls) == 1
    responses.get(
        f"{API}/repos/acme/widgets/pulls/9", status=401, json={"message": "Bad credentials"}
    )
    with pytest.raises(GitHubError, match="token is invalid"):
        gh.get_pull(9)


def test_writes_need_a_token() -> None:
    gh = GitHub("acme/widgets", token=None, api_url=API)
    with pytest.raises(GitHubError) as info:
        gh.create_pull(title="t", body="b", head="x", base="main")
    assert info.value.code == "RK722"


@responses.activate
def test_pagination_follows_link(gh: GitHub) -> None:
    responses.get(
        PULLS,
        json=[{"number": 1, "merged_at": "2026-01-02T00:00:00Z"}],
        headers={"Link": f'<{PULLS}?page=2>; rel="next"'},
    )
    responses.get(
        f"{PULLS}?page=2",
        json=[{"number": 2, "merged_at": "2026-01-01T00:00:00Z"}, {"number": 3, "merged_at": None}],
    )
    assert [p["number"] for p in gh.merged_pulls("b", "main")] == [2, 1]


@responses.activate
def test_labels_are_created_when_missing(gh: GitHub) -> None:
    label = f"{API}/repos/acme/widgets/labels/autorelease%3A%20pending"
    responses.get(label, status=404, json={"message": "Not Found"})
    responses.post(f"{API}/repos/acme/widgets/labels", status=201, json={"name": PENDING.name})
    assert gh.ensure_label(PENDING) is True
    responses.get(label, status=404, json={"message": "Not Found"})
    responses.post(
        f"{API}/repos/acme/widgets/labels",
        status=422,
        json={"message": "Validation Failed", "errors": [{"code": "already_exists"}]},
    )
    assert gh.ensure_label(PENDING) is False  # created concurrently: fine
    responses.delete(
        f"{API}/repos/acme/widgets/issues/4/labels/autorelease%3A%20pending",
        status=404,
        json={"message": "Label does not exist"},
    )
    assert gh.remove_label(4, PENDING.name) is False


def test_repository_names() -> None:
    for url in (
        "https://github.com/acme/widgets.git",
        "https://x-access-token:abc@github.com/acme/widgets",
        "git@github.com:acme/widgets.git",
        "ssh://git@github.com:22/acme/widgets.git",
        "https://ghe.example.com/acme/widgets/",
    ):
        assert repo_from_remote(url) == "acme/widgets", url
    assert repo_from_remote("file:///tmp/origin.git") is None
    assert repo_from_remote(None) is None
    with pytest.raises(GitHubError):
        GitHub("not a repo", token=None)
    assert token_from_env({"GH_TOKEN": "a", "GITHUB_TOKEN": "b"}) == "b"
    assert token_from_env({}) is None


def test_html_base(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_SERVER_URL", raising=False)
    assert html_base("https://api.github.com") == "https://github.com"
    assert html_base("https://ghe.example.com/api/v3") == "https://ghe.example.com"
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://srv.example/")
    assert html_base("https://api.github.com") == "https://srv.example"


def _manifest(n: int) -> Manifest:
    return Manifest(
        tuple(
            ManifestEntry(f"pkg-{i:04d}", "1.0.1", "1.0.0", f"pkg-{i:04d}-v1.0.1", f"packages/p{i}")
            for i in range(n)
        ),
        base="a" * 40,
    )


def test_pr_body_truncates_notes_and_keeps_the_manifest() -> None:
    manifest = _manifest(40)
    sections = {
        e.name: "## 1.0.1\n\n### Fixes\n\n" + "* a long fix line\n" * 200 for e in manifest.packages
    }
    body = pr_body(None, sections, manifest)
    assert len(body) <= MAX_BODY
    assert "truncated" in body
    assert Manifest.parse(body, "test") == manifest
    assert body.count("<details>") == body.count("</details>")
    small = pr_body(None, {"pkg-0000": "## 1.0.1\n\n* x\n"}, _manifest(1))
    assert "truncated" not in small and Manifest.parse(small, "t").versions == {"pkg-0000": "1.0.1"}


def test_manifest_too_big_is_a_clear_error() -> None:
    with pytest.raises(Exception, match="RK705"):
        pr_body(None, {}, _manifest(2000))


def test_damaged_manifest() -> None:
    with pytest.raises(Exception, match="RK704"):
        Manifest.parse("no manifest here", "PR #1")
    with pytest.raises(Exception, match="RK704"):
        Manifest.parse('```json releasekit-manifest\n{"schema": "other"}\n```', "PR #1")
