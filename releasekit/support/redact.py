"""Keep credentials out of everything releasekit prints or stores.

Secrets are read from the environment variables that carry them; any text that leaves
releasekit (logs, errors, relayed uv/git output, state files, events) passes through
:func:`redact`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping

SECRET_ENV_VARS = (
    "UV_PUBLISH_TOKEN",
    "UV_PUBLISH_PASSWORD",
    "TESTPYPI_TOKEN",
    "PYPI_TOKEN",
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "RELEASEKIT_GITHUB_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "TWINE_PASSWORD",
)
MASK = "***"
_MIN_SECRET_LEN = 4
_extra: set[str] = set()
# Credentials embedded in URLs: https://user:secret@host/, https://token@host/. The userinfo
# runs to the last "@" before the path, so a password holding an "@" is masked whole.
_URL_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<userinfo>[^/?#\s]*)@")


def register(*values: str | None) -> None:
    """Add secrets that do not come from the usual environment variables."""
    for value in values:
        if value and len(value) >= _MIN_SECRET_LEN:
            _extra.add(value)


def secrets(environ: Mapping[str, str] | None = None) -> list[str]:
    env = os.environ if environ is None else environ
    found = {env[name] for name in SECRET_ENV_VARS if env.get(name)}
    found.update(_extra)
    # Longest first, so a secret that contains another is masked whole.
    return sorted((s for s in found if len(s) >= _MIN_SECRET_LEN), key=len, reverse=True)


def redact(text: str, extra: Iterable[str] = ()) -> str:
    """Mask every known secret (and URL-embedded passwords) in ``text``."""
    if not text:
        return text
    for secret in [*secrets(), *extra]:
        if secret and secret in text:
            text = text.replace(secret, MASK)
    return mask_urls(text)


def _masked_userinfo(match: re.Match[str]) -> str:
    scheme, userinfo = match["scheme"], match["userinfo"]
    if ":" in userinfo:
        return f"{scheme}{userinfo.split(':', 1)[0]}:{MASK}@"
    if scheme.lower() in ("http://", "https://"):
        return f"{scheme}{MASK}@"  # a user alone over HTTP is usually a token
    return match.group()  # ssh://git@host: a login name, not a secret


def mask_urls(text: str) -> str:
    """Every URL's password (or HTTP user-only token) in ``text`` replaced by ``***``."""
    return _URL_USERINFO.sub(_masked_userinfo, text)
