"""Which credentials ``uv publish`` will use: decided here, and only here.

The auth gate, the run header, the doit loader's early RK608 refusal and the upload's
environment all ask :func:`resolve_credentials` (or :func:`upload_env`), so they can never
disagree. The value names variables, never their contents: it is printed and logged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from releasekit.errors import PublishError

Method = Literal["trusted-publishing", "token", "password", "none"]

OIDC_HINT = "give the job `permissions: id-token: write` and register it as a trusted publisher"


@dataclass(frozen=True)
class Credentials:
    """How the upload authenticates; ``problem`` says why it cannot."""

    method: Method
    source: str
    #: What releasekit passes to ``uv publish --trusted-publishing``.
    trusted_publishing: Literal["always", "never"]
    problem: str = ""
    hint: str = ""

    @property
    def missing(self) -> bool:
        """Nothing to authenticate with, and trusted publishing was not asked for explicitly.

        An explicit ``always`` still goes to uv, which may find an OIDC token releasekit cannot see.
        """
        return self.method == "none" and self.trusted_publishing != "always"

    def describe(self) -> str:
        """What the auth gate and the run header say, e.g. ``token (TESTPYPI_TOKEN)``."""
        if self.method == "none":
            return "trusted-publishing (no OIDC token found)" if self.trusted_publishing == "always" else "none"
        return f"{self.method} ({self.source})"


def github_oidc_available(environ: Mapping[str, str]) -> bool:
    return bool(
        environ.get("GITHUB_ACTIONS") == "true"
        and environ.get("ACTIONS_ID_TOKEN_REQUEST_URL")
        and environ.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
    )


def token_variable(target: str, environ: Mapping[str, str]) -> str:
    """The variable holding the upload token, or "".

    For TestPyPI a ``TESTPYPI_TOKEN`` wins over ``UV_PUBLISH_TOKEN``: a token named for it is
    meant for it, so a CI job can hold both tokens without knowing the configured target.
    """
    if target == "testpypi" and environ.get("TESTPYPI_TOKEN"):
        return "TESTPYPI_TOKEN"
    return "UV_PUBLISH_TOKEN" if environ.get("UV_PUBLISH_TOKEN") else ""


def upload_env(target: str, environ: Mapping[str, str]) -> dict[str, str]:
    """Variables to add for ``uv publish``: uv reads only its own name for the token."""
    variable = token_variable(target, environ)
    if variable and variable != "UV_PUBLISH_TOKEN":
        return {"UV_PUBLISH_TOKEN": environ[variable]}
    return {}


def resolve_credentials(target: str, mode: str, environ: Mapping[str, str]) -> Credentials:
    """The credentials for an upload to ``target`` with ``index.trusted_publishing`` = ``mode``.

    ``mode`` is `auto`, `always` or `never` (or a value already resolved). `auto` uses OIDC only
    when no token or complete username/password is set, and only inside GitHub Actions with
    both request variables set.
    """
    oidc = github_oidc_available(environ)
    if mode == "always":
        if oidc:
            return Credentials("trusted-publishing", "GitHub Actions OIDC", "always")
        return Credentials(
            "none",
            "",
            "always",
            problem="trusted publishing is `always`, but no OIDC token is available (outside GitHub "
            "Actions, or ACTIONS_ID_TOKEN_REQUEST_URL/ACTIONS_ID_TOKEN_REQUEST_TOKEN not set)",
            hint=OIDC_HINT,
        )
    variable = token_variable(target, environ)
    if variable:
        return Credentials("token", variable, "never")
    user, password = environ.get("UV_PUBLISH_USERNAME"), environ.get("UV_PUBLISH_PASSWORD")
    if user and password:
        return Credentials("password", "UV_PUBLISH_USERNAME/UV_PUBLISH_PASSWORD", "never")
    if mode == "auto" and oidc:
        return Credentials("trusted-publishing", "GitHub Actions OIDC", "always")
    if user or password:
        have, lack = ("UV_PUBLISH_USERNAME", "UV_PUBLISH_PASSWORD")
        if not user:
            have, lack = lack, have
        return Credentials(
            "none",
            "",
            "never",
            problem=f"{have} is set but {lack} is not",
            hint=f"set {lack} too, or use UV_PUBLISH_TOKEN",
        )
    token_name = "TESTPYPI_TOKEN or UV_PUBLISH_TOKEN" if target == "testpypi" else "UV_PUBLISH_TOKEN"
    if environ.get("GITHUB_ACTIONS") == "true":
        hint = f"for trusted publishing, {OIDC_HINT}; otherwise set {token_name}"
    else:
        hint = f"set {token_name}, or UV_PUBLISH_USERNAME and UV_PUBLISH_PASSWORD"
    return Credentials("none", "", "never", problem="no credentials for the upload", hint=hint)


def no_credentials() -> PublishError:
    """RK608: nothing to authenticate the upload with (not the index refusing what was sent)."""
    return PublishError(
        "no upload credentials were found: UV_PUBLISH_TOKEN, UV_PUBLISH_USERNAME + UV_PUBLISH_PASSWORD "
        "and trusted publishing are all absent",
        code="RK608",
        hint="export UV_PUBLISH_TOKEN=pypi-... (uv's own variable), or run in GitHub Actions with "
        "`id-token: write` for trusted publishing (--trusted-publishing always)",
    )
