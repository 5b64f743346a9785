"""The fake GitHub answers in GitHub's documented shapes, and the backend works against it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer

from releasekit.backends.github import PENDING, PUBLISHED, TAGGED, GitHub
from releasekit.errors import GitHubError
from tests.harness import extract_openapi
from tests.harness.github import FakeGitHub, load_subset, running, validate


@pytest.fixture
def fake(github_server: HTTPServer) -> Iterator[FakeGitHub]:
    gen = running(repo="acme/widgets", other_repos=("acme/downstream",), server=github_server)
    yield next(gen)
    next(gen, None)


def client(fake: FakeGitHub, token: str | None = None) -> GitHub:
    return GitHub(
        "acme/widgets",
        token=token or fake.token,
        api_url=fake.url,
        max_retries=2,
        base_delay=0.0,
        sleep=lambda _s: None,
    )


def test_subset_covers_the_extracted_operations() -> None:
    subset = load_subset()
    assert set(subset["operations"]) == {f"{m} {p}" for m, p in extract_openapi.OPERATIONS}
    assert "@octokit/openapi" in subset["source"]
    release = subset["operations"]["POST /repos/{owner}/{repo}/releases"]
    assert set(release["responses"]) == {"201", "404", "422"}
    assert {"tag_name", "prerelease", "html_url"} <= set(release["responses"]["201"]["required"])
    assert release["request"]["required"] == ["tag_name"]


def test_every_backend_call_against_the_fake(fake: FakeGitHub) -> None:
    gh = client(fake)
    assert gh.open_pull("releasekit/release", "main") is None
    pr = gh.create_pull(
        title="chore(release): x", body="body", head="releasekit/release", base="main"
    )
    assert pr["number"] == 1 and pr["state"] == "open"
    with pytest.raises(GitHubError, match="already exists"):
        gh.create_pull(title="again", body="", head="releasekit/release", base="main")
    assert gh.open_pull("releasekit/release", "main")["number"] == 1  # type: ignore[index]
    assert gh.update_pull(1, title="new", body="b2")["title"] == "new"
    assert gh.get_pull(1)["body"] == "b2"
    assert gh.ensure_label(PENDING) is True and gh.ensure_label(PENDING) is False
    gh.add_labels(1, [PENDING.name])
    gh.relabel(1, PENDING, TAGGED)
    assert fake.label_names(1) == [TAGGED.name]
    assert gh.remove_label(1, PUBLISHED.name) is False
    assert gh.comments(1) == []
    gh.comment(1, "hello")
    assert [c["body"] for c in gh.comments(1)] == ["hello"]
    assert gh.release_by_tag("core-v1.0.0") is None
    rel = gh.create_release(
        tag="core-v1.0.0", name="core 1.0.0", body="notes", prerelease=True, target="a" * 40
    )
    assert rel["prerelease"] is True and gh.release_by_tag("core-v1.0.0")["id"] == rel["id"]  # type: ignore[index]
    with pytest.raises(GitHubError, match="already_exists"):
        gh.create_release(tag="core-v1.0.0", name="x", body="", prerelease=False, target="a" * 40)
    gh.dispatch("acme/downstream", "releasekit-release", {"packages": {"core": "1.0.0"}})
    assert fake.repos["acme/downstream"].dispatches[0]["client_payload"] == {
        "packages": {"core": "1.0.0"}
    }
    with pytest.raises(GitHubError, match="404"):
        gh.dispatch("acme/unknown", "releasekit-release", {})
    fake.merge_pull(1, "b" * 40)
    assert [p["number"] for p in gh.merged_pulls("releasekit/release", "main")] == [1]
    called = {e.operation for e in fake.log if e.operation}
    assert called == set(load_subset()["operations"]), "every documented operation was exercised"
    assert fake.shape_errors() == []


def test_list_results_use_the_simple_shape(fake: FakeGitHub) -> None:
    gh = client(fake)
    gh.create_pull(title="t", body="b", head="h", base="main")
    listed = gh.pulls(head="h", base="main", state="open")[0]
    assert "merged" not in listed and "merged_at" in listed  # only what GitHub lists


def test_pagination_in_the_fake(fake: FakeGitHub) -> None:
    for i in range(3):
        fake.state.pulls.append(
            fake._pull(
                "acme/widgets",
                number=50 + i,
                title="t",
                body="",
                head=f"h{i}",
                head_sha="a" * 40,
                base="main",
                base_sha="b" * 40,
            )
        )
    gh = client(fake)
    page = gh.request("GET", "/repos/acme/widgets/pulls", params={"per_page": 2})
    assert len(page.json()) == 2 and "next" in page.links
    assert len(gh._paged("/repos/acme/widgets/pulls", {})) == 3


def test_bodies_over_the_limit_are_refused(fake: FakeGitHub) -> None:
    gh = client(fake)
    with pytest.raises(GitHubError, match="too long"):
        gh.create_pull(title="t", body="x" * 65537, head="h", base="main")


def test_bad_token_and_injected_faults(fake: FakeGitHub) -> None:
    with pytest.raises(GitHubError, match="401"):
        client(fake, token="wrong-token-1234").get_pull(1)
    fake.fail("GET", r"/pulls$", 503, times=1)
    fake.fail("GET", r"/pulls$", 429, times=1, headers={"Retry-After": "0"})
    assert client(fake).open_pull("h", "main") is None
    assert [e.status for e in fake.log if e.injected] == [503, 429]


def test_validate_catches_drift() -> None:
    schema = {
        "type": "object",
        "required": {
            "id": {"type": "integer"},
            "name": {"type": "string|null"},
            "labels": {
                "type": "array",
                "items": {"type": "object", "required": {"name": {"type": "string"}}},
            },
        },
    }
    assert validate({"id": 1, "name": None, "labels": [{"name": "x"}]}, schema) == []
    assert validate({"id": True, "name": "x", "labels": []}, schema) == [
        "$.id: bool is not integer"
    ]
    assert validate({"id": 1, "labels": [{}]}, schema) == [
        "$.name: required field missing",
        "$.labels[0].name: required field missing",
    ]
    assert validate(None, None) == [] and validate({"x": 1}, None) != []
