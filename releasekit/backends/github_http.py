"""GitHub's REST API as a transport: one request with retries, pagination, and checked answers.

5xx, 408, dropped connections and rate limits (429, or 403 with ``X-RateLimit-Remaining: 0``
or ``Retry-After``) are retried through :func:`releasekit.support.retry.call_with_retries` with
jitter, waiting at least as long as GitHub asks; a wait longer than ``max_wait`` fails at once
with the reset time instead of stalling a CI job, and retries that run out are GitHub's own
errors (RK723, RK724), never an index's. Anything else is a :class:`GitHubError` naming the
request, the status and GitHub's message, with the token masked.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from email.utils import parsedate_to_datetime
from typing import Any

import requests

from releasekit import __version__
from releasekit.errors import GitHubError
from releasekit.support.redact import redact, register
from releasekit.support.retry import RetryCallback, TransientError, call_with_retries

DEFAULT_API_URL = "https://api.github.com"
_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_HINTS = {
    401: "the token is invalid or expired; check GITHUB_TOKEN",
    403: "the token lacks a permission: grant `contents: write` and `pull-requests: write`",
    404: "the repository does not exist or the token cannot see it",
    422: "GitHub rejected the request's content",
}


def valid_repo(repo: str) -> bool:
    """``owner/name`` as GitHub spells repository names."""
    return bool(_REPO.match(repo))


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
            except (TypeError, ValueError):
                return None
    return None


def _message(response: requests.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text.strip()[:300]
    if not isinstance(data, dict):
        return str(data)[:300]
    text = str(data.get("message", ""))
    errors = data.get("errors")
    if isinstance(errors, list) and errors:
        details = []
        for err in errors[:5]:
            if isinstance(err, dict):
                details.append(
                    str(err.get("message") or " ".join(str(err.get(k, "")) for k in ("resource", "field", "code")))
                )
            else:
                details.append(str(err))
        text += " (" + "; ".join(d.strip() for d in details if d.strip()) + ")"
    return text


class GitHubHttp:
    """Requests to the API on behalf of one repository. ``sleep`` and ``session`` are injectable for tests."""

    def __init__(
        self,
        repo: str,
        *,
        token: str | None,
        api_url: str = DEFAULT_API_URL,
        max_retries: int = 3,
        base_delay: float = 1.0,
        max_wait: float = 900.0,
        timeout: float = 30.0,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] | None = None,
        on_retry: RetryCallback | None = None,
    ) -> None:
        if not valid_repo(repo):
            raise GitHubError(
                f"{repo!r} is not a GitHub repository name",
                code="RK721",
                hint="write it as owner/name (workflow.github_repository or GITHUB_REPOSITORY)",
            )
        self.repo = repo
        self.token = token
        register(token)
        self.api_url = api_url.rstrip("/")
        self.max_retries = max_retries
        self.base_delay = base_delay
        self.max_wait = max_wait
        self.timeout = timeout
        self.session = session or requests.Session()
        self.sleep = sleep
        self.on_retry = on_retry

    def require_token(self, action: str) -> None:
        if not self.token:
            raise GitHubError(
                f"no GitHub token to {action}",
                code="RK722",
                hint="set GITHUB_TOKEN (in Actions: GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }})",
            )

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        expect: Sequence[int] = (200,),
        allow: Sequence[int] = (),
    ) -> requests.Response:
        """One API call with retries; returns a response whose status is in ``expect``/``allow``."""
        if method != "GET":
            self.require_token(f"{method} {path}")
        url = path if path.startswith("http") else f"{self.api_url}{path}"

        def attempt() -> requests.Response:
            return self._attempt(method, url, path=path, params=params, json=json, expect=expect, allow=allow)

        try:
            return call_with_retries(
                attempt,
                max_retries=self.max_retries,
                base_delay=self.base_delay,
                on_retry=self.on_retry,
                sleep=self.sleep,
            )
        except TransientError as exc:
            raise self._gave_up(exc) from None

    def _gave_up(self, exc: TransientError) -> GitHubError:
        """The last transient answer, as GitHub's own error: never an index code or hint."""
        tries = f"{self.max_retries + 1} attempt(s)"
        if exc.status in (403, 429):
            return GitHubError(
                f"{exc.message}, through {tries}",
                code="RK723",
                hint="wait for the rate limit to reset and rerun (every step completes what is "
                "missing), or raise --max-retries",
            )
        return GitHubError(
            f"{exc.message}, through {tries}",
            code="RK724",
            hint="GitHub may be having an outage: rerun later (every step completes what is "
            "missing), or raise --max-retries",
        )

    def _attempt(
        self,
        method: str,
        url: str,
        *,
        path: str,
        params: Mapping[str, Any] | None,
        json: Any,
        expect: Sequence[int],
        allow: Sequence[int],
    ) -> requests.Response:
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": f"releasekit/{__version__}",
        }
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        what = f"{method} {path}"
        try:
            response = self.session.request(
                method, url, params=params, json=json, headers=headers, timeout=self.timeout
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise TransientError(f"GitHub {what}: {redact(str(exc))}") from None
        status = response.status_code
        if status in expect or status in allow:
            return response
        message = redact(_message(response))
        limited = status == 429 or (
            status == 403
            and (
                response.headers.get("X-RateLimit-Remaining") == "0"
                or "Retry-After" in response.headers
                or "rate limit" in message.lower()
            )
        )
        if limited:
            wait = _retry_after(response)
            if wait is None and response.headers.get("X-RateLimit-Remaining") == "0":
                try:
                    wait = max(0.0, float(response.headers["X-RateLimit-Reset"]) - time.time()) + 1.0
                except (KeyError, ValueError):
                    wait = None
            if wait is None:
                wait = 60.0  # GitHub's advice for secondary limits without a header
            if wait > self.max_wait:
                reset = time.strftime("%H:%M:%S UTC", time.gmtime(time.time() + wait))
                raise GitHubError(
                    f"GitHub {what}: rate limit exhausted until {reset} ({message})",
                    code="RK723",
                    hint="wait for the reset, or use a token with a higher limit",
                )
            raise TransientError(f"GitHub {what}: {status} rate limited ({message})", retry_after=wait, status=status)
        if status >= 500 or status == 408:
            raise TransientError(
                f"GitHub {what}: {status} {message}",
                retry_after=_retry_after(response),
                status=status,
            )
        raise GitHubError(
            f"GitHub {what} answered {status}: {message}",
            code="RK720",
            hint=_HINTS.get(status, "see GitHub's message"),
        )

    def _json(self, response: requests.Response, what: str) -> Any:
        try:
            return response.json()
        except ValueError:
            raise GitHubError(
                f"GitHub {what} answered {response.status_code} with a body that is not JSON",
                code="RK720",
                hint="check GITHUB_API_URL",
            ) from None

    def _paged(self, path: str, params: Mapping[str, Any], *, pages: int = 10) -> list[dict[str, Any]]:
        """Follow ``Link: rel="next"`` for up to ``pages`` pages."""
        items: list[dict[str, Any]] = []
        url: str | None = path
        query: Mapping[str, Any] | None = {**params, "per_page": 100}
        for _ in range(pages):
            if url is None:
                break
            response = self.request("GET", url, params=query)
            data = self._json(response, f"GET {path}")
            if not isinstance(data, list):
                raise GitHubError(f"GitHub GET {path} did not answer a list", code="RK720")
            items.extend(d for d in data if isinstance(d, dict))
            url = response.links.get("next", {}).get("url")
            query = None
        return items
