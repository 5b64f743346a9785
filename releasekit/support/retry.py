"""One retry policy for every network operation: exponential backoff with full jitter.

A server's Retry-After is a floor, never shortened by jitter. Only :class:`TransientError`
is retried; everything else (auth failures, integrity mismatches) fails at once.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TypeVar

import tenacity

from releasekit.errors import ReleasekitError

T = TypeVar("T")
MAX_BACKOFF = 60.0


class TransientError(ReleasekitError):
    """A failure worth retrying: 5xx, 429, 408 or a dropped connection."""

    code = "RK520"
    exit_code = 1

    def __init__(self, message: str, *, retry_after: float | None = None, status: int | None = None) -> None:
        super().__init__(message, hint="the index may be overloaded; retry later or raise --max-retries")
        self.retry_after = retry_after
        self.status = status


RetryCallback = Callable[[int, float, BaseException], None]


def backoff(
    attempt: int, base: float, retry_after: float | None = None, rng: Callable[[float, float], float] = random.uniform
) -> float:
    """Seconds to wait before retry number ``attempt`` (1-based)."""
    ceiling = min(MAX_BACKOFF, base * (2 ** (attempt - 1)))
    delay = rng(0.0, ceiling) if ceiling > 0 else 0.0
    if retry_after is not None:
        delay = max(delay, min(retry_after, 10 * MAX_BACKOFF))
    return delay


def call_with_retries(
    func: Callable[[], T],
    *,
    max_retries: int,
    base_delay: float,
    on_retry: RetryCallback | None = None,
    sleep: Callable[[float], None] | None = None,
) -> T:
    """Run ``func``; retry up to ``max_retries`` times on :class:`TransientError`."""

    def wait(state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        retry_after = exc.retry_after if isinstance(exc, TransientError) else None
        return backoff(state.attempt_number, base_delay, retry_after)

    def before_sleep(state: tenacity.RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        delay = state.next_action.sleep if state.next_action else 0.0
        if on_retry is not None and exc is not None:
            on_retry(state.attempt_number, delay, exc)

    kwargs: dict[str, object] = {}
    if sleep is not None:
        kwargs["sleep"] = sleep
    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception_type(TransientError),
        stop=tenacity.stop_after_attempt(max_retries + 1),
        wait=wait,
        before_sleep=before_sleep,
        reraise=True,
        **kwargs,  # type: ignore[arg-type]
    )
    return retrying(func)
