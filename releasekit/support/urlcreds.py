"""Credentials in index URLs (``https://user:password@host/``) are refused, never used.

A URL travels where a secret must not: the process list and shell history (an option), git
(a config file), CI logs, error messages, the keys of build records. uv and releasekit take
upload credentials from ``UV_PUBLISH_TOKEN`` or ``UV_PUBLISH_USERNAME``/``UV_PUBLISH_PASSWORD``
and credentials for reading a private index from ``~/.netrc``, so a URL never needs them.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from releasekit.errors import UsageError

CREDENTIALS_REFUSED = "credentials in an index URL are refused (they would show in process lists, logs and state files)"
CREDENTIALS_HINT = (
    "give the URL without user:password@; upload credentials go in UV_PUBLISH_TOKEN or "
    "UV_PUBLISH_USERNAME/UV_PUBLISH_PASSWORD, an index that needs them to be read takes them from ~/.netrc"
)


def has_credentials(url: str | None) -> bool:
    """Does ``url`` carry a userinfo part (``user@``, ``user:password@``)?"""
    if not url:
        return False
    try:
        return "@" in urlsplit(url.strip()).netloc
    except ValueError:  # an invalid URL: whatever reads it reports that
        return "@" in url


def refuse_credentials(urls: dict[str, str | None]) -> None:
    """UsageError (RK154) for the first option (``--check-url``) whose URL carries credentials."""
    for option, url in urls.items():
        if has_credentials(url):
            raise UsageError(f"{option}: {CREDENTIALS_REFUSED}", code="RK155", hint=CREDENTIALS_HINT)
