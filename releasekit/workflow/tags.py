"""The one tag formatter: every git tag releasekit writes or reads goes through here.

Tags use the normalized package name (``acme-core``), so a manifest spelled ``Acme_Core``
still maps to one tag. Reading is the inverse of writing: a tag belongs to a package only
if formatting that package's name with the tag's version gives the tag back.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from packaging.version import InvalidVersion, Version

from releasekit.model.config import Config


def format_tag(config: Config, name: str, version: str) -> str:
    """The per-package tag, e.g. ``acme-core-v1.2.0``."""
    return config.tag_format.format(name=name, version=version)


def umbrella_tag(config: Config, version: str) -> str | None:
    """The whole-release tag (``umbrella_tag``), or None when not configured."""
    if not config.umbrella_tag:
        return None
    return config.umbrella_tag.format(version=version, name="")


def _pattern(config: Config, name: str) -> re.Pattern[str]:
    parts = re.split(r"(\{name\}|\{version\})", config.tag_format)
    regex = "".join(
        re.escape(name) if p == "{name}" else "(?P<version>.+)" if p == "{version}" else re.escape(p) for p in parts
    )
    return re.compile(f"^{regex}$")


def package_tags(config: Config, name: str, tags: Iterable[str]) -> dict[str, str]:
    """``{version: tag}`` for every tag of ``name`` among ``tags`` (invalid versions ignored).

    With a format like ``{name}-v{version}``, the tags of ``acme`` must not swallow those of
    ``acme-core``: a candidate counts only if it formats back to itself and its version is
    valid PEP 440.
    """
    pattern = _pattern(config, name)
    found: dict[str, str] = {}
    for tag in tags:
        match = pattern.match(tag)
        if not match:
            continue
        version = match.group("version")
        try:
            Version(version)
        except InvalidVersion:
            continue
        if format_tag(config, name, version) == tag:
            found[version] = tag
    return found


def latest(versions: Iterable[str]) -> str | None:
    """The highest PEP 440 version of ``versions``."""
    best: Version | None = None
    text: str | None = None
    for v in versions:
        parsed = Version(v)
        if best is None or parsed > best:
            best, text = parsed, v
    return text
