"""A stateful fake of the GitHub REST subset releasekit calls, served on 127.0.0.1.

No self-hostable forge speaks GitHub's API (notes/test-harness.md §5), so this fake keeps
pull requests, labels, comments, releases and dispatches in memory and answers with the
status codes and fields GitHub documents. Every answer it gives is logged with its OpenAPI
operation, and :meth:`FakeGitHub.shape_errors` checks the log against
``tests/data/github_openapi_subset.json`` (extracted from ``@octokit/openapi`` by
``extract_openapi.py``), so the fake cannot drift from the real API unnoticed.

Given a bare ``origin``, the fake reads branches and tags from it the way GitHub would: a PR
head must exist, and ``merge_pull`` records a merge commit made in that repository.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.harness.gitrepo import git

SUBSET = Path(__file__).resolve().parent.parent / "data" / "github_openapi_subset.json"
DOCS = "https://docs.github.com/rest"
#: Full-PR fields GitHub omits from list results (the "pull-request-simple" schema).
_FULL_ONLY = (
    "additions",
    "changed_files",
    "comments",
    "commits",
    "deletions",
    "mergeable",
    "mergeable_state",
    "merged",
    "maintainer_can_modify",
    "merged_by",
    "review_comments",
)


def load_subset() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SUBSET.read_text(encoding="utf-8"))
    return data


def validate(value: Any, schema: dict[str, Any] | None, where: str = "$") -> list[str]:
    """Errors of ``value`` against a compact schema (types and required fields)."""
    if schema is None:
        return [] if value in (None, b"", "") else [f"{where}: documented without a body"]
    errors: list[str] = []
    types = [t for t in schema.get("type", "").split("|") if t]
    if types and not _type_ok(value, types):
        return [f"{where}: {type(value).__name__} is not {'|'.join(types)}"]
    if isinstance(value, dict):
        for name, sub in schema.get("required", {}).items():
            if name not in value:
                errors.append(f"{where}.{name}: required field missing")
            else:
                errors.extend(validate(value[name], sub, f"{where}.{name}"))
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            errors.extend(validate(item, schema["items"], f"{where}[{i}]"))
    return errors


def _type_ok(value: Any, types: list[str]) -> bool:
    checks: dict[str, Callable[[Any], bool]] = {
        "null": lambda v: v is None,
        "string": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "object": lambda v: isinstance(v, dict),
        "array": lambda v: isinstance(v, list),
    }
    return any(checks[t](value) for t in types if t in checks)


@dataclass
class Exchange:
    """One answer the fake gave."""

    method: str
    path: str
    operation: str | None
    status: int
    body: Any
    request: Any
    injected: bool = False


@dataclass
class Fault:
    method: str
    pattern: re.Pattern[str]
    status: int
    times: int
    headers: dict[str, str]
    body: Any


@dataclass
class Repo:
    name: str
    pulls: list[dict[str, Any]] = field(default_factory=list)
    labels: dict[str, dict[str, Any]] = field(default_factory=dict)
    releases: list[dict[str, Any]] = field(default_factory=list)
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    dispatches: list[dict[str, Any]] = field(default_factory=list)


class FakeGitHub:
    """The fake server; ``url`` is what GITHUB_API_URL should be set to."""

    def __init__(
        self,
        repo: str = "acme/widgets",
        *,
        origin: Path | None = None,
        token: str = "ghs_fake_token_0123456789",
        other_repos: tuple[str, ...] = (),
        server: HTTPServer | None = None,
    ) -> None:
        self.repo = repo
        self.origin = origin
        self.token = token
        self.repos = {name: Repo(name) for name in (repo, *other_repos)}
        self.log: list[Exchange] = []
        self.faults: list[Fault] = []
        self.tags_created_by_api: list[str] = []
        self._ids = itertools.count(1001)
        self._numbers = itertools.count(1)
        self._clock = itertools.count(0)
        self._lock = threading.Lock()
        # Stopping a server costs ~0.5 s (werkzeug's poll interval): tests may share one.
        self._owns_server = server is None
        self.server = server or HTTPServer(host="127.0.0.1", port=0)
        self._routes = self._build_routes()

    # --- lifecycle ---------------------------------------------------------------------

    def start(self) -> FakeGitHub:
        self.server.clear()
        self.server.expect_request(re.compile(r"^/.*$")).respond_with_handler(self._handle)
        if not self.server.is_running():
            self.server.start()
        return self

    def stop(self) -> None:
        if self._owns_server and self.server.is_running():
            self.server.stop()
        else:
            self.server.clear()

    @property
    def url(self) -> str:
        return self.server.url_for("/").rstrip("/")

    @property
    def html(self) -> str:
        return self.url

    # --- helpers for tests -------------------------------------------------------------

    @property
    def state(self) -> Repo:
        return self.repos[self.repo]

    def fail(
        self,
        method: str,
        pattern: str,
        status: int,
        *,
        times: int = 1,
        headers: dict[str, str] | None = None,
        body: Any = None,
    ) -> None:
        """Answer the next ``times`` matching requests with ``status`` instead."""
        self.faults.append(
            Fault(
                method.upper(),
                re.compile(pattern),
                status,
                times,
                headers or {},
                body if body is not None else {"message": f"injected {status}"},
            )
        )

    def pull(self, number: int) -> dict[str, Any]:
        return next(p for p in self.state.pulls if p["number"] == number)

    def label_names(self, number: int) -> list[str]:
        return [lb["name"] for lb in self.pull(number)["labels"]]

    def merge_pull(self, number: int, merge_sha: str) -> None:
        """What GitHub does when the PR is merged: closed, merged, with its merge commit."""
        with self._lock:
            pr = self.pull(number)
            now = self._now()
            pr.update(
                state="closed",
                merged=True,
                merged_at=now,
                closed_at=now,
                updated_at=now,
                merge_commit_sha=merge_sha,
                mergeable=None,
                mergeable_state="unknown",
                merged_by=self._user("maintainer"),
            )

    def requests_to(self, method: str, fragment: str) -> list[Exchange]:
        return [e for e in self.log if e.method == method and fragment in e.path]

    def shape_errors(self) -> list[str]:
        """Every logged answer checked against GitHub's documented codes and fields."""
        subset = load_subset()["operations"]
        errors: list[str] = []
        for ex in self.log:
            if ex.injected or ex.operation is None:
                continue
            op = subset[ex.operation]
            if ex.status in (401, 404):
                continue  # bad credentials / unknown resource: possible on every endpoint
            if str(ex.status) not in op["responses"]:
                errors.append(f"{ex.operation}: status {ex.status} is not documented")
                continue
            errors.extend(
                f"{ex.operation} {ex.status} {e}"
                for e in validate(ex.body, op["responses"][str(ex.status)])
            )
            request = op.get("request")
            if request and isinstance(ex.request, dict) and 200 <= ex.status < 300:
                missing = [k for k in request["required"] if k not in ex.request]
                unknown = [
                    k
                    for k in ex.request
                    if request["properties"] and k not in request["properties"]
                ]
                errors.extend(f"{ex.operation}: request lacks {k!r}" for k in missing)
                errors.extend(f"{ex.operation}: request has undocumented {k!r}" for k in unknown)
        return errors

    # --- object builders (GitHub's shapes) ----------------------------------------------

    def _now(self) -> str:
        second = next(self._clock)
        return f"2026-11-21T12:{second // 60 % 60:02d}:{second % 60:02d}Z"

    def _user(self, login: str = "releasekit-bot") -> dict[str, Any]:
        base = f"{self.url}/users/{login}"
        return {
            "login": login,
            "id": 4242,
            "node_id": "U_kgDOfake",
            "avatar_url": f"{self.html}/avatars/{login}",
            "gravatar_id": "",
            "url": base,
            "html_url": f"{self.html}/{login}",
            "followers_url": f"{base}/followers",
            "following_url": f"{base}/following{{/other_user}}",
            "gists_url": f"{base}/gists{{/gist_id}}",
            "starred_url": f"{base}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{base}/subscriptions",
            "organizations_url": f"{base}/orgs",
            "repos_url": f"{base}/repos",
            "events_url": f"{base}/events{{/privacy}}",
            "received_events_url": f"{base}/received_events",
            "type": "Bot",
            "site_admin": False,
        }

    def _label(
        self, repo: str, name: str, color: str = "ededed", description: str | None = None
    ) -> dict[str, Any]:
        return {
            "id": next(self._ids),
            "node_id": "LA_fake",
            "url": f"{self.url}/repos/{repo}/labels/{name}",
            "name": name,
            "description": description,
            "color": color,
            "default": False,
        }

    def _repo_obj(self, repo: str) -> dict[str, Any]:
        return {
            "id": 77,
            "node_id": "R_fake",
            "name": repo.split("/")[1],
            "full_name": repo,
            "private": False,
            "html_url": f"{self.html}/{repo}",
            "url": f"{self.url}/repos/{repo}",
        }

    def _ref(self, repo: str, branch: str, sha: str) -> dict[str, Any]:
        owner = repo.split("/", maxsplit=1)[0]
        return {
            "label": f"{owner}:{branch}",
            "ref": branch,
            "sha": sha,
            "repo": self._repo_obj(repo),
            "user": self._user(owner),
        }

    def _pull(
        self,
        repo: str,
        *,
        number: int,
        title: str,
        body: str | None,
        head: str,
        head_sha: str,
        base: str,
        base_sha: str,
    ) -> dict[str, Any]:
        api = f"{self.url}/repos/{repo}"
        html = f"{self.html}/{repo}/pull/{number}"
        now = self._now()
        links = {
            k: {"href": v}
            for k, v in {
                "self": f"{api}/pulls/{number}",
                "html": html,
                "issue": f"{api}/issues/{number}",
                "comments": f"{api}/issues/{number}/comments",
                "review_comments": f"{api}/pulls/{number}/comments",
                "review_comment": f"{api}/pulls/comments{{/number}}",
                "commits": f"{api}/pulls/{number}/commits",
                "statuses": f"{api}/statuses/{head_sha}",
            }.items()
        }
        return {
            "url": f"{api}/pulls/{number}",
            "id": next(self._ids),
            "node_id": "PR_fake",
            "html_url": html,
            "diff_url": f"{html}.diff",
            "patch_url": f"{html}.patch",
            "issue_url": f"{api}/issues/{number}",
            "commits_url": f"{api}/pulls/{number}/commits",
            "review_comments_url": f"{api}/pulls/{number}/comments",
            "review_comment_url": f"{api}/pulls/comments{{/number}}",
            "comments_url": f"{api}/issues/{number}/comments",
            "statuses_url": f"{api}/statuses/{head_sha}",
            "number": number,
            "state": "open",
            "locked": False,
            "title": title,
            "user": self._user(),
            "body": body,
            "labels": [],
            "milestone": None,
            "active_lock_reason": None,
            "created_at": now,
            "updated_at": now,
            "closed_at": None,
            "merged_at": None,
            "merge_commit_sha": None,
            "assignee": None,
            "assignees": [],
            "requested_reviewers": [],
            "head": self._ref(repo, head, head_sha),
            "base": self._ref(repo, base, base_sha),
            "_links": links,
            "author_association": "CONTRIBUTOR",
            "auto_merge": None,
            "draft": False,
            "merged": False,
            "mergeable": True,
            "rebaseable": True,
            "mergeable_state": "clean",
            "merged_by": None,
            "comments": 0,
            "review_comments": 0,
            "maintainer_can_modify": False,
            "commits": 1,
            "additions": 1,
            "deletions": 0,
            "changed_files": 1,
        }

    # --- routing -----------------------------------------------------------------------

    def _build_routes(
        self,
    ) -> list[tuple[str, re.Pattern[str], str, Callable[..., tuple[int, Any]]]]:
        repo = r"/repos/(?P<repo>[^/]+/[^/]+)"
        table = [
            ("GET", r"/pulls", "/pulls", self._list_pulls),
            ("POST", r"/pulls", "/pulls", self._create_pull),
            ("GET", r"/pulls/(?P<number>\d+)", "/pulls/{pull_number}", self._get_pull),
            ("PATCH", r"/pulls/(?P<number>\d+)", "/pulls/{pull_number}", self._update_pull),
            ("GET", r"/labels/(?P<name>.+)", "/labels/{name}", self._get_label),
            ("POST", r"/labels", "/labels", self._create_label),
            (
                "POST",
                r"/issues/(?P<number>\d+)/labels",
                "/issues/{issue_number}/labels",
                self._add_labels,
            ),
            (
                "DELETE",
                r"/issues/(?P<number>\d+)/labels/(?P<name>.+)",
                "/issues/{issue_number}/labels/{name}",
                self._remove_label,
            ),
            (
                "GET",
                r"/issues/(?P<number>\d+)/comments",
                "/issues/{issue_number}/comments",
                self._list_comments,
            ),
            (
                "POST",
                r"/issues/(?P<number>\d+)/comments",
                "/issues/{issue_number}/comments",
                self._add_comment,
            ),
            ("GET", r"/releases/tags/(?P<tag>.+)", "/releases/tags/{tag}", self._get_release),
            ("POST", r"/releases", "/releases", self._create_release),
            ("POST", r"/dispatches", "/dispatches", self._dispatch),
        ]
        return [
            (m, re.compile(f"^{repo}{rx}$"), f"{m} /repos/{{owner}}/{{repo}}{tpl}", fn)
            for m, rx, tpl, fn in table
        ]

    def _handle(self, request: Request) -> Response:
        method, path = request.method, request.path
        payload: Any = None
        if request.data:
            try:
                payload = json.loads(request.data)
            except ValueError:
                payload = request.data.decode("utf-8", "replace")
        with self._lock:
            for fault in self.faults:
                if fault.times > 0 and fault.method == method and fault.pattern.search(path):
                    fault.times -= 1
                    self.log.append(
                        Exchange(method, path, None, fault.status, fault.body, payload, True)
                    )
                    return Response(
                        json.dumps(fault.body),
                        fault.status,
                        headers=fault.headers,
                        content_type="application/json",
                    )
            if request.headers.get("Authorization") not in (
                f"Bearer {self.token}",
                f"token {self.token}",
            ):
                status, body, operation = (
                    401,
                    {"message": "Bad credentials", "documentation_url": DOCS},
                    None,
                )
                headers: dict[str, str] = {}
            else:
                status, body, operation, headers = self._route(method, path, request, payload)
            self.log.append(Exchange(method, path, operation, status, body, payload))
        if status == 204:
            return Response(status=204)
        return Response(json.dumps(body), status, headers=headers, content_type="application/json")

    def _route(
        self, method: str, path: str, request: Request, payload: Any
    ) -> tuple[int, Any, str | None, dict[str, str]]:
        for route_method, pattern, operation, handler in self._routes:
            match = pattern.match(path)
            if match and route_method == method:
                groups = match.groupdict()
                repo = self.repos.get(groups.pop("repo"))
                if repo is None:
                    return 404, {"message": "Not Found", "documentation_url": DOCS}, operation, {}
                query = {k: v[-1] for k, v in parse_qs(request.query_string.decode()).items()}
                result = handler(repo, payload, query, **groups)
                status, body = result[0], result[1]
                headers = result[2] if len(result) > 2 else {}  # type: ignore[misc]
                return status, body, operation, headers
        return 404, {"message": "Not Found", "documentation_url": DOCS}, None, {}

    def _git(self, *args: str) -> str | None:
        if self.origin is None:
            return None
        proc = git(self.origin, "--git-dir", str(self.origin), *args, check=False)
        return proc.stdout.strip() if proc.returncode == 0 else None

    @staticmethod
    def _invalid(
        field_name: str,
        code: str = "invalid",
        message: str | None = None,
        resource: str = "PullRequest",
    ) -> tuple[int, Any]:
        error: dict[str, Any] = {"resource": resource, "field": field_name, "code": code}
        if message:
            error = {"resource": resource, "code": "custom", "message": message}
        return 422, {"message": "Validation Failed", "errors": [error], "documentation_url": DOCS}

    # --- handlers ----------------------------------------------------------------------

    def _list_pulls(
        self, repo: Repo, payload: Any, query: dict[str, str]
    ) -> tuple[int, Any, dict[str, str]]:
        state = query.get("state", "open")
        found = [p for p in repo.pulls if state == "all" or p["state"] == state]
        if "head" in query:
            found = [p for p in found if p["head"]["label"] == query["head"]]
        if "base" in query:
            found = [p for p in found if p["base"]["ref"] == query["base"]]
        reverse = query.get(
            "direction", "desc" if query.get("sort") in ("updated", "popularity") else "asc"
        )
        key = {"updated": "updated_at", "created": "created_at"}.get(
            query.get("sort", "created"), "created_at"
        )
        found.sort(key=lambda p: (p[key], p["number"]), reverse=reverse == "desc")
        per_page = min(int(query.get("per_page", 30)), 100)
        page = int(query.get("page", 1))
        chunk = found[(page - 1) * per_page : page * per_page]
        headers = {}
        if page * per_page < len(found):
            nxt = {**query, "page": str(page + 1)}
            qs = "&".join(f"{k}={v}" for k, v in nxt.items())
            headers["Link"] = f'<{self.url}/repos/{repo.name}/pulls?{qs}>; rel="next"'
        simple = [{k: v for k, v in p.items() if k not in _FULL_ONLY} for p in chunk]
        return 200, simple, headers

    def _create_pull(self, repo: Repo, payload: Any, query: dict[str, str]) -> tuple[int, Any]:
        if not isinstance(payload, dict) or "head" not in payload or "base" not in payload:
            return self._invalid(
                "head" if not isinstance(payload, dict) or "head" not in payload else "base",
                "missing_field",
            )
        body = payload.get("body")
        if isinstance(body, str) and len(body) > 65536:
            return self._invalid("body", message="body is too long (maximum is 65536 characters)")
        head, base = str(payload["head"]).split(":")[-1], str(payload["base"])
        owner = repo.name.split("/")[0]
        for p in repo.pulls:
            if p["state"] == "open" and p["head"]["ref"] == head and p["base"]["ref"] == base:
                return self._invalid(
                    "head", message=f"A pull request already exists for {owner}:{head}."
                )
        head_sha = self._git("rev-parse", f"refs/heads/{head}") if self.origin else "1" * 40
        base_sha = self._git("rev-parse", f"refs/heads/{base}") if self.origin else "0" * 40
        if head_sha is None:
            return self._invalid("head")
        if base_sha is None:
            return self._invalid("base")
        if head_sha == base_sha:
            return self._invalid("head", message=f"No commits between {base} and {head}")
        number = next(self._numbers)
        pr = self._pull(
            repo.name,
            number=number,
            title=str(payload.get("title", "")),
            body=body,
            head=head,
            head_sha=head_sha,
            base=base,
            base_sha=base_sha,
        )
        repo.pulls.append(pr)
        return 201, pr

    def _get_pull(
        self, repo: Repo, payload: Any, query: dict[str, str], number: str
    ) -> tuple[int, Any]:
        for p in repo.pulls:
            if p["number"] == int(number):
                if self.origin and p["state"] == "open":
                    p["head"]["sha"] = (
                        self._git("rev-parse", f"refs/heads/{p['head']['ref']}") or p["head"]["sha"]
                    )
                return 200, p
        return 404, {"message": "Not Found", "documentation_url": DOCS}

    def _update_pull(
        self, repo: Repo, payload: Any, query: dict[str, str], number: str
    ) -> tuple[int, Any]:
        for p in repo.pulls:
            if p["number"] == int(number):
                body = payload.get("body") if isinstance(payload, dict) else None
                if isinstance(body, str) and len(body) > 65536:
                    return self._invalid(
                        "body", message="body is too long (maximum is 65536 characters)"
                    )
                for key in ("title", "body", "state", "base"):
                    if isinstance(payload, dict) and key in payload:
                        if key == "base":
                            p["base"]["ref"] = payload["base"]
                        else:
                            p[key] = payload[key]
                p["updated_at"] = self._now()
                return 200, p
        return 404, {"message": "Not Found", "documentation_url": DOCS}

    def _get_label(
        self, repo: Repo, payload: Any, query: dict[str, str], name: str
    ) -> tuple[int, Any]:
        if name in repo.labels:
            return 200, repo.labels[name]
        return 404, {"message": "Not Found", "documentation_url": DOCS}

    def _create_label(self, repo: Repo, payload: Any, query: dict[str, str]) -> tuple[int, Any]:
        if not isinstance(payload, dict) or not payload.get("name"):
            return self._invalid("name", "missing_field", resource="Label")
        name = str(payload["name"])
        if name in repo.labels:
            return self._invalid("name", "already_exists", resource="Label")
        color = str(payload.get("color", "ededed"))
        if not re.fullmatch(r"[0-9a-fA-F]{6}", color):
            return self._invalid("color", resource="Label")
        repo.labels[name] = self._label(repo.name, name, color, payload.get("description"))
        return 201, repo.labels[name]

    def _issue(self, repo: Repo, number: str) -> dict[str, Any] | None:
        return next((p for p in repo.pulls if p["number"] == int(number)), None)

    def _add_labels(
        self, repo: Repo, payload: Any, query: dict[str, str], number: str
    ) -> tuple[int, Any]:
        issue = self._issue(repo, number)
        if issue is None:
            return 404, {"message": "Not Found", "documentation_url": DOCS}
        names = payload.get("labels") if isinstance(payload, dict) else payload
        if not isinstance(names, list):
            return self._invalid("labels", resource="Label")
        for name in names:
            if name not in repo.labels:  # GitHub creates unknown labels with a default colour
                repo.labels[name] = self._label(repo.name, name)
            if name not in [lb["name"] for lb in issue["labels"]]:
                issue["labels"].append(repo.labels[name])
        return 200, issue["labels"]

    def _remove_label(
        self, repo: Repo, payload: Any, query: dict[str, str], number: str, name: str
    ) -> tuple[int, Any]:
        issue = self._issue(repo, number)
        if issue is None or name not in [lb["name"] for lb in issue["labels"]]:
            return 404, {"message": "Label does not exist", "documentation_url": DOCS}
        issue["labels"] = [lb for lb in issue["labels"] if lb["name"] != name]
        return 200, issue["labels"]

    def _list_comments(
        self, repo: Repo, payload: Any, query: dict[str, str], number: str
    ) -> tuple[int, Any]:
        if self._issue(repo, number) is None:
            return 404, {"message": "Not Found", "documentation_url": DOCS}
        return 200, repo.comments.get(int(number), [])

    def _add_comment(
        self, repo: Repo, payload: Any, query: dict[str, str], number: str
    ) -> tuple[int, Any]:
        if self._issue(repo, number) is None:
            return 404, {"message": "Not Found", "documentation_url": DOCS}
        if not isinstance(payload, dict) or not payload.get("body"):
            return self._invalid("body", "missing_field", resource="IssueComment")
        now = self._now()
        cid = next(self._ids)
        comment = {
            "id": cid,
            "node_id": "IC_fake",
            "url": f"{self.url}/repos/{repo.name}/issues/comments/{cid}",
            "html_url": f"{self.html}/{repo.name}/pull/{number}#issuecomment-{cid}",
            "body": payload["body"],
            "user": self._user(),
            "created_at": now,
            "updated_at": now,
            "issue_url": f"{self.url}/repos/{repo.name}/issues/{number}",
            "author_association": "CONTRIBUTOR",
        }
        repo.comments.setdefault(int(number), []).append(comment)
        return 201, comment

    def _get_release(
        self, repo: Repo, payload: Any, query: dict[str, str], tag: str
    ) -> tuple[int, Any]:
        for rel in repo.releases:
            if rel["tag_name"] == tag:
                return 200, rel
        return 404, {"message": "Not Found", "documentation_url": DOCS}

    def _create_release(self, repo: Repo, payload: Any, query: dict[str, str]) -> tuple[int, Any]:
        if not isinstance(payload, dict) or not payload.get("tag_name"):
            return self._invalid("tag_name", "missing_field", resource="Release")
        tag = str(payload["tag_name"])
        if any(rel["tag_name"] == tag for rel in repo.releases):
            return self._invalid("tag_name", "already_exists", resource="Release")
        if (
            self.origin is not None
            and self._git("rev-parse", "-q", "--verify", f"refs/tags/{tag}") is None
        ):
            self.tags_created_by_api.append(tag)
        rid = next(self._ids)
        api = f"{self.url}/repos/{repo.name}"
        now = self._now()
        release = {
            "url": f"{api}/releases/{rid}",
            "html_url": f"{self.html}/{repo.name}/releases/tag/{tag}",
            "assets_url": f"{api}/releases/{rid}/assets",
            "upload_url": f"{api}/releases/{rid}/assets{{?name,label}}",
            "tarball_url": f"{api}/tarball/{tag}",
            "zipball_url": f"{api}/zipball/{tag}",
            "id": rid,
            "node_id": "RE_fake",
            "tag_name": tag,
            "target_commitish": str(payload.get("target_commitish") or "main"),
            "name": payload.get("name"),
            "body": payload.get("body"),
            "draft": bool(payload.get("draft", False)),
            "prerelease": bool(payload.get("prerelease", False)),
            "created_at": now,
            "published_at": now,
            "author": self._user(),
            "assets": [],
        }
        repo.releases.append(release)
        return 201, release

    def _dispatch(self, repo: Repo, payload: Any, query: dict[str, str]) -> tuple[int, Any]:
        if not isinstance(payload, dict) or not payload.get("event_type"):
            return self._invalid("event_type", "missing_field", resource="Repository")
        client = payload.get("client_payload", {})
        if len(str(payload["event_type"])) > 100 or (isinstance(client, dict) and len(client) > 10):
            return self._invalid("client_payload", resource="Repository")
        repo.dispatches.append(payload)
        return 204, None


def running(**kwargs: Any) -> Iterator[FakeGitHub]:
    """Start a fake, yield it, and fail if any of its answers drifted from GitHub's docs."""
    fake = FakeGitHub(**kwargs).start()
    try:
        yield fake
    finally:
        fake.stop()
    errors = fake.shape_errors()
    assert not errors, "the fake answered outside GitHub's documented shapes:\n" + "\n".join(errors)
