"""The retry policy: full jitter within an exponential ceiling, Retry-After as a floor."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from releasekit.errors import IntegrityError
from releasekit.support.retry import MAX_BACKOFF, TransientError, backoff, call_with_retries


@given(attempt=st.integers(1, 30), base=st.floats(0, 10), seed=st.integers(0, 2**32 - 1))
def test_backoff_stays_within_the_exponential_ceiling(attempt: int, base: float, seed: int) -> None:
    rng = random.Random(seed)
    delay = backoff(attempt, base, rng=rng.uniform)
    assert 0.0 <= delay <= min(MAX_BACKOFF, base * 2 ** (attempt - 1)) + 1e-9


@given(attempt=st.integers(1, 10), retry_after=st.floats(0, 100), seed=st.integers(0, 1000))
def test_retry_after_is_a_floor(attempt: int, retry_after: float, seed: int) -> None:
    rng = random.Random(seed)
    assert backoff(attempt, 1.0, retry_after, rng=rng.uniform) >= retry_after


def test_transient_errors_are_retried_then_succeed() -> None:
    calls: list[int] = []
    slept: list[float] = []
    seen: list[tuple[int, float]] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise TransientError("503", retry_after=2.0, status=503)
        return "ok"

    result = call_with_retries(flaky, max_retries=3, base_delay=0.5, sleep=slept.append,
                               on_retry=lambda attempt, delay, exc: seen.append((attempt, delay)))
    assert result == "ok"
    assert len(calls) == 3
    assert [a for a, _ in seen] == [1, 2]
    assert all(d >= 2.0 for d in slept)


def test_retries_are_bounded() -> None:
    calls: list[int] = []

    def always() -> None:
        calls.append(1)
        raise TransientError("still down")

    with pytest.raises(TransientError):
        call_with_retries(always, max_retries=2, base_delay=0, sleep=lambda s: None)
    assert len(calls) == 3


def test_other_errors_are_not_retried() -> None:
    calls: list[int] = []

    def bad() -> None:
        calls.append(1)
        raise IntegrityError("different bytes")

    with pytest.raises(IntegrityError):
        call_with_retries(bad, max_retries=5, base_delay=0, sleep=lambda s: None)
    assert len(calls) == 1
