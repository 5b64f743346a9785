"""``[tool.releasekit.workflow]`` values that parse but cannot work, reported at the line to fix.

The config loader checks types; these rules need the values together (a release branch that is
the base branch would be rewritten by every prepare), so each workflow step runs them first.
"""

from __future__ import annotations

from pathlib import Path

from releasekit.backends.github_http import valid_repo
from releasekit.errors import ConfigError
from releasekit.model.tomlio import line_of_key
from releasekit.model.workspace import Workspace


def check_config(ws: Workspace) -> None:
    """Raise ConfigError (RK702) for the first workflow setting no step could work with."""
    cfg = ws.config.workflow
    text = ws.manifest.read_text(encoding="utf-8")

    def fail(key: str, message: str, hint: str) -> ConfigError:
        return ConfigError(
            f"[tool.releasekit.workflow] {message}",
            path=ws.manifest,
            line=line_of_key(text, key),
            code="RK702",
            hint=hint,
        )

    if not cfg.release_branch or cfg.release_branch == cfg.base_branch:
        raise fail(
            "release_branch",
            f"`release_branch` {cfg.release_branch!r} must differ from `base_branch` {cfg.base_branch!r}",
            "releasekit rewrites the release branch on every prepare; give it its own name",
        )
    if not cfg.base_branch or not cfg.remote:
        raise fail("base_branch", "`base_branch` and `remote` must not be empty", 'e.g. base_branch = "main"')
    log = Path(cfg.changelog_file)
    if not cfg.changelog_file or log.is_absolute() or ".." in log.parts:
        raise fail(
            "changelog_file",
            f"`changelog_file` {cfg.changelog_file!r} must be a relative path inside each package",
            'e.g. changelog_file = "CHANGELOG.md"',
        )
    for repo in (cfg.github_repository, *cfg.downstream_repositories):
        if repo and not valid_repo(repo):
            key = "github_repository" if repo == cfg.github_repository else "downstream_repositories"
            raise fail(key, f"{repo!r} is not a GitHub repository name", "write it as owner/name")
    if not 0 < len(cfg.dispatch_event_type) <= 100:
        raise fail(
            "dispatch_event_type",
            "`dispatch_event_type` must be 1 to 100 characters (GitHub's limit)",
            'e.g. dispatch_event_type = "releasekit-release"',
        )
