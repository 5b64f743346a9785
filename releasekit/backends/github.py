"""The forge backend: the GitHub REST endpoints the release workflow needs, every answer checked.

Requests, retries and rate limits are :mod:`releasekit.backends.github_http`'s; this module
knows the endpoints, the repository names and the ``autorelease:`` labels.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from releasekit.backends.github_http import DEFAULT_API_URL, GitHubHttp, valid_repo
from releasekit.backends.protocols import ForgeBackend
from releasekit.errors import GitHubError
from releasekit.support.retry import RetryCallback

#: GitHub rejects pull-request bodies longer than this many characters.
MAX_BODY = 65536
TOKEN_VARS = ("RELEASEKIT_GITHUB_TOKEN", "GITHUB_TOKEN", "GH_TOKEN")
_REMOTE = re.compile(
    r"^(?:(?:https?|ssh|git)://(?:[^@/]+@)?[^/:]+(?::\d+)?/|[^@/\s]+@[^:/\s]+:)"
    r"(?P<repo>[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+?)(?:\.git)?/?$"
)


def repo_from_remote(url: str | None) -> str | None:
    """``owner/name`` from a GitHub remote URL (https, ssh or scp-like), else None."""
    if not url:
        return None
    match = _REMOTE.match(url.strip())
    return match.group("repo") if match else None


def token_from_env(environ: Mapping[str, str] | None = None) -> str | None:
    env = os.environ if environ is None else environ
    for name in TOKEN_VARS:
        if env.get(name):
            return env[name]
    return None


def html_base(api_url: str) -> str:
    """The web address matching an API base: github.com for api.github.com, GHES without /api/v3."""
    server = os.environ.get("GITHUB_SERVER_URL")
    if server:
        return server.rstrip("/")
    url = api_url.rstrip("/")
    if url == DEFAULT_API_URL:
        return "https://github.com"
    return re.sub(r"/api/v3$", "", url)


@dataclass(frozen=True)
class Label:
    name: str
    color: str
    description: str


PENDING = Label("autorelease: pending", "ededed", "releasekit: release PR not merged or not tagged yet")
TAGGED = Label("autorelease: tagged", "0e8a16", "releasekit: merged, tagged and GitHub releases created")
PUBLISHED = Label("autorelease: published", "5319e7", "releasekit: every package is live on the index")


class GitHub(GitHubHttp):
    """The endpoints of one repository the release workflow calls."""

    @property
    def html_url(self) -> str:
        return f"{html_base(self.api_url)}/{self.repo}"

    # --- pull requests ------------------------------------------------------------------

    def _owner(self) -> str:
        return self.repo.split("/", 1)[0]

    def pulls(self, *, head: str, base: str, state: str) -> list[dict[str, Any]]:
        """Pull requests from branch ``head`` of this repository into ``base``."""
        return self._paged(
            f"/repos/{self.repo}/pulls",
            {
                "state": state,
                "head": f"{self._owner()}:{head}",
                "base": base,
                "sort": "updated",
                "direction": "desc",
            },
            pages=3,
        )

    def open_pull(self, head: str, base: str) -> dict[str, Any] | None:
        found = self.pulls(head=head, base=base, state="open")
        return found[0] if found else None

    def merged_pulls(self, head: str, base: str) -> list[dict[str, Any]]:
        """Merged pull requests from ``head``, oldest merge first."""
        found = [p for p in self.pulls(head=head, base=base, state="closed") if p.get("merged_at")]
        return sorted(found, key=lambda p: str(p["merged_at"]))

    def get_pull(self, number: int) -> dict[str, Any]:
        path = f"/repos/{self.repo}/pulls/{number}"
        data: dict[str, Any] = self._json(self.request("GET", path), f"GET {path}")
        return data

    def create_pull(self, *, title: str, body: str, head: str, base: str) -> dict[str, Any]:
        path = f"/repos/{self.repo}/pulls"
        response = self.request(
            "POST",
            path,
            json={"title": title, "body": body, "head": head, "base": base},
            expect=(201,),
        )
        data: dict[str, Any] = self._json(response, f"POST {path}")
        return data

    def update_pull(self, number: int, *, title: str, body: str) -> dict[str, Any]:
        path = f"/repos/{self.repo}/pulls/{number}"
        data: dict[str, Any] = self._json(
            self.request("PATCH", path, json={"title": title, "body": body}), f"PATCH {path}"
        )
        return data

    # --- labels -------------------------------------------------------------------------

    def ensure_label(self, label: Label) -> bool:
        """Create ``label`` in the repository if missing; True if it was created."""
        path = f"/repos/{self.repo}/labels/{quote(label.name, safe='')}"
        if self.request("GET", path, allow=(404,)).status_code == 200:
            return False
        self.require_token(f"create the label {label.name!r}")
        response = self.request(
            "POST",
            f"/repos/{self.repo}/labels",
            json={"name": label.name, "color": label.color, "description": label.description},
            expect=(201,),
            allow=(422,),
        )
        # 422 "already_exists": another run created it in between, which is what we wanted.
        return response.status_code == 201

    def add_labels(self, number: int, names: Sequence[str]) -> None:
        self.request("POST", f"/repos/{self.repo}/issues/{number}/labels", json={"labels": list(names)})

    def remove_label(self, number: int, name: str) -> bool:
        """Take ``name`` off an issue or PR; False if it was not there."""
        response = self.request(
            "DELETE",
            f"/repos/{self.repo}/issues/{number}/labels/{quote(name, safe='')}",
            allow=(404,),
        )
        return response.status_code == 200

    def relabel(self, number: int, remove: Label | None, add: Label) -> None:
        """Swap one autorelease label for the next, creating the label first if needed."""
        self.ensure_label(add)
        self.add_labels(number, [add.name])
        if remove is not None:
            self.remove_label(number, remove.name)

    # --- comments -----------------------------------------------------------------------

    def comments(self, number: int) -> list[dict[str, Any]]:
        return self._paged(f"/repos/{self.repo}/issues/{number}/comments", {})

    def comment(self, number: int, body: str) -> dict[str, Any]:
        path = f"/repos/{self.repo}/issues/{number}/comments"
        data: dict[str, Any] = self._json(
            self.request("POST", path, json={"body": body}, expect=(201,)), f"POST {path}"
        )
        return data

    # --- releases and dispatch ----------------------------------------------------------

    def release_by_tag(self, tag: str) -> dict[str, Any] | None:
        path = f"/repos/{self.repo}/releases/tags/{quote(tag, safe='')}"
        response = self.request("GET", path, allow=(404,))
        if response.status_code == 404:
            return None
        data: dict[str, Any] = self._json(response, f"GET {path}")
        return data

    def create_release(self, *, tag: str, name: str, body: str, prerelease: bool, target: str) -> dict[str, Any]:
        path = f"/repos/{self.repo}/releases"
        response = self.request(
            "POST",
            path,
            json={
                "tag_name": tag,
                "target_commitish": target,
                "name": name,
                "body": body[:125000],
                "draft": False,
                "prerelease": prerelease,
            },
            expect=(201,),
        )
        data: dict[str, Any] = self._json(response, f"POST {path}")
        return data

    def dispatch(self, repo: str, event_type: str, payload: Mapping[str, Any]) -> None:
        """``repository_dispatch`` to ``repo`` (which may be another repository)."""
        if not valid_repo(repo):
            raise GitHubError(
                f"{repo!r} is not a GitHub repository name",
                code="RK721",
                hint="write downstream repositories as owner/name",
            )
        self.request(
            "POST",
            f"/repos/{repo}/dispatches",
            json={"event_type": event_type, "client_payload": dict(payload)},
            expect=(204,),
        )


def forge_backend(
    repo: str,
    *,
    token: str | None,
    api_url: str = DEFAULT_API_URL,
    max_retries: int = 3,
    base_delay: float = 1.0,
    on_retry: RetryCallback | None = None,
) -> ForgeBackend:
    """The GitHub repository ``repo``, as the release workflow sees it."""
    return GitHub(repo, token=token, api_url=api_url, max_retries=max_retries, base_delay=base_delay, on_retry=on_retry)
