"""uv publish outcomes are classified from uv's real output (captured from uv 0.13.9)."""

from __future__ import annotations

import pytest

from releasekit.backends.process import Result
from releasekit.backends.uv import classify_publish, parse_retry_after

HEAD = (
    "Publishing 2 files to http://127.0.0.1:18557/\n"
    "Hashing pkga-0.1.0-py2.py3-none-any.whl (858B)\n"
    "Uploading pkga-0.1.0-py2.py3-none-any.whl (858B)\n"
)
RATE_LIMITED = HEAD + (
    "DEBUG Response code for http://127.0.0.1:18557/: 429 Too Many Requests\n"
    'TRACE Response headers for http://127.0.0.1:18557/: Response { url: "http://127.0.0.1:18557/", status: 429, '
    'headers: {"date": "Sat, 21 Nov 2026 12:34:24 GMT", "retry-after": "7", "content-type": "text/plain"} }\n'
    "error: Failed to publish `dist/pkga-0.1.0-py2.py3-none-any.whl` to `http://127.0.0.1:18557/`\n"
    "  cause: Server returned status code 429 Too Many Requests. Server says: slow down\n"
)
UNAVAILABLE = HEAD + (
    "error: Failed to publish `dist/pkga-0.1.0-py2.py3-none-any.whl` to `http://127.0.0.1:18555/`\n"
    "  cause: Server returned status code 503 Service Unavailable. Server says: injected 503\n"
)
PYPI_DUPLICATE = HEAD + (
    "error: Failed to publish `dist/pkga-0.1.0-py2.py3-none-any.whl` to `http://127.0.0.1:18555/`\n"
    "  cause: Server returned status code 400 Bad Request. Server says: 400 File already exists\n"
)
CONFLICT = HEAD + (
    "error: Failed to publish `dist/pkga-0.1.0.tar.gz` to `http://127.0.0.1:18081/`\n"
    "  cause: Server returned status code 409 Conflict. Server says: <pre>Package 'pkga-0.1.0.tar.gz' already exists!\n"
)
RESET = HEAD + (
    "error: Failed to publish `dist/pkga-0.1.0-py2.py3-none-any.whl` to `http://127.0.0.1:18558/`\n"
    "  cause: Failed to send POST request\n"
    "  cause: error sending request for url (http://127.0.0.1:18558/)\n"
    "  cause: client error (SendRequest)\n  cause: connection error\n"
    "  cause: Connection reset by peer (os error 104)\n"
)
MISMATCH = (
    "error: Local file and index file do not match for `pkga-0.1.0-py3-none-any.whl`. "
    "Local: sha256=3e19, Remote: sha256=6995\n"
)
FORBIDDEN = HEAD + (
    "error: Failed to publish `dist/pkga-0.1.0-py2.py3-none-any.whl` to `http://127.0.0.1:18081/`\n"
    "  cause: Server returned status code 403 Forbidden. Server says: <html>forbidden</html>\n"
)
SKIPPED = "File pkga-0.1.0-py3-none-any.whl already exists, skipping\nUploading pkga-0.1.0.tar.gz (297B)\n"


def _result(stderr: str, rc: int = 2) -> Result:
    return Result(("uv", "publish"), rc, "", stderr, 0.1)


@pytest.mark.parametrize(
    ("stderr", "kind", "status"),
    [
        (RATE_LIMITED, "transient", 429),
        (UNAVAILABLE, "transient", 503),
        (PYPI_DUPLICATE, "duplicate", 400),
        (CONFLICT, "duplicate", 409),
        (RESET, "transient", None),
        (MISMATCH, "mismatch", None),
        (FORBIDDEN, "auth", 403),
        ("error: Missing credentials for http://127.0.0.1:18081/\n", "nocreds", None),
        ("error: something nobody expected\n", "fatal", None),
    ],
)
def test_failures_are_classified(stderr: str, kind: str, status: int | None) -> None:
    outcome = classify_publish(_result(stderr))
    assert not outcome.ok
    assert (outcome.kind, outcome.status) == (kind, status)


def test_retry_after_comes_from_trace_headers_and_traces_stay_hidden() -> None:
    outcome = classify_publish(_result(RATE_LIMITED))
    assert outcome.retry_after == 7.0
    assert "TRACE" not in outcome.message and "DEBUG" not in outcome.message


def test_success_lists_skipped_and_uploaded_files() -> None:
    outcome = classify_publish(_result(SKIPPED, rc=0))
    assert outcome.ok and outcome.kind == "ok"
    assert outcome.skipped == ("pkga-0.1.0-py3-none-any.whl",)
    assert outcome.uploaded == ("pkga-0.1.0.tar.gz",)


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    assert parse_retry_after("12") == 12.0
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
    assert parse_retry_after("soon") is None


# uv 0.13.9 with RUST_LOG=uv_publish=trace: the wheel is stored, then the sdist gets a 503.
PARTIAL = (
    "Publishing 2 files to http://127.0.0.1:45285/\n"
    "Uploading rk_a-0.1.0-py3-none-any.whl (894B)\n"
    "DEBUG Response code for http://127.0.0.1:45285/: 200 OK\n"
    "INFO Upload succeeded\n"
    "Uploading rk_a-0.1.0.tar.gz (348B)\n"
    "DEBUG Response code for http://127.0.0.1:45285/: 503 Service Unavailable\n"
    "error: Failed to publish `/tmp/dist/rk_a-0.1.0.tar.gz` to `http://127.0.0.1:45285/`\n"
    "  cause: Server returned status code 503 Service Unavailable. Server says: injected 503\n"
)


def test_a_partial_upload_names_what_the_index_stored_and_where_it_stopped() -> None:
    outcome = classify_publish(_result(PARTIAL))
    assert outcome.kind == "transient"
    assert outcome.accepted == ("rk_a-0.1.0-py3-none-any.whl",)  # never to be sent again
    assert outcome.failed_file == "rk_a-0.1.0.tar.gz"
    assert classify_publish(_result(CONFLICT)).failed_file == "pkga-0.1.0.tar.gz"
    assert classify_publish(_result(CONFLICT)).accepted == ()
