"""The index URLs a command uses: resolved here, once, from the options, the config and the presets."""

from __future__ import annotations

from typing import NamedTuple

from releasekit.model.config import TARGETS, IndexConfig


class IndexUrls(NamedTuple):
    publish: str
    check: str
    json_api: str


def index_urls(
    index: IndexConfig,
    target: str | None = None,
    *,
    publish_url: str | None = None,
    check_url: str | None = None,
    json_api_url: str | None = None,
) -> IndexUrls:
    """The URLs for ``target`` (default: the config's): explicit ones, then the config's, then the preset.

    The config's URLs belong to its own target, so another target gets only its preset.
    An explicit empty ``json_api_url`` means none.
    """
    chosen = target or index.target
    preset = TARGETS.get(chosen, {})
    own = index if chosen == index.target else IndexConfig()
    return IndexUrls(
        publish_url or own.publish_url or preset.get("publish_url", ""),
        check_url or own.check_url or preset.get("check_url", ""),
        json_api_url if json_api_url is not None else (own.json_api_url or preset.get("json_api_url", "")),
    )
