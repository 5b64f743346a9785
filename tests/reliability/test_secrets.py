"""Credentials never leak: not to stdout, stderr, logs, state files, the NDJSON stream or
exception messages, including what releasekit relays from uv, git and GitHub.

Canary values stand in for the secrets. The index really uses the password canary (so a
successful upload proves it was used); the token canary is what uv sends to an index that
refuses it; the GitHub canary is a token the fake GitHub accepts, then echoes back in an
error, and is also embedded in the git remote's URL. Everything a run writes or prints is
searched for each canary, raw and in the encodings a leak usually takes (base64 as in an
Authorization header, URL-encoded).
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.harness.cli import Run, index_flags, rk
from tests.harness.github import FakeGitHub
from tests.harness.gitrepo import GitRepo, git
from tests.harness.index import LocalIndex
from tests.harness.netutil import EgressTrap
from tests.harness.runstate import STATE, last_run
from tests.harness.tree import workspace_files
from tests.harness.uvenv import SCRUBBED, hermetic_uv_env
from tests.reliability import workspace10

pytestmark = pytest.mark.slow

PASSWORD = "rkcanary-PASSWORD-6f1d0c9e"
TOKEN = "pypi-rkcanary-TOKEN-0b7e44d2a1"
GH_TOKEN = "ghs_rkcanaryGITHUB5a7c3e19"
USERNAME = "rk-secret-tests"
URL_PASSWORD = "rkcanary-URLPASS-51e2a7c4"  # only ever in a URL: nothing else knows it is secret
CANARIES = {"UV_PUBLISH_PASSWORD": PASSWORD, "UV_PUBLISH_TOKEN": TOKEN, "GITHUB_TOKEN": GH_TOKEN,
            "a URL's password": URL_PASSWORD}


def leak_forms(secret: str) -> dict[str, bytes]:
    """The secret as text, URL-encoded, and inside the Basic credentials uv would send."""
    forms = {"raw": secret.encode(), "url-encoded": quote(secret, safe="").encode()}
    for user in (USERNAME, "__token__", "x-access-token"):
        forms[f"basic({user})"] = base64.b64encode(f"{user}:{secret}".encode())
    return forms


class Scanner:
    """Collects everything that leaves releasekit, then looks for the canaries in it."""

    def __init__(self) -> None:
        self.texts: list[tuple[str, bytes]] = []

    def output(self, label: str, done: Run) -> None:
        self.texts.append((f"{label}: stdout", done.stdout.encode()))
        self.texts.append((f"{label}: stderr", done.stderr.encode()))

    def tree(self, label: str, root: Path) -> None:
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.is_symlink():
                self.texts.append((f"{label}: {path.relative_to(root)}", path.read_bytes()))

    def leaks(self) -> list[str]:
        found = []
        for name, secret in CANARIES.items():
            for form, needle in leak_forms(secret).items():
                found += [f"{name} ({form}) in {where}" for where, data in self.texts if needle in data]
        return found

    def size(self) -> int:
        return sum(len(data) for _, data in self.texts)


@pytest.fixture
def canary_index(tmp_path: Path, wheelhouse: Path, uv_cache_dir: Path, egress_trap: EgressTrap,
                 monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalIndex]:
    """An index whose upload password is the canary, and a hermetic environment for it."""
    index = LocalIndex(tmp_path / "canary-index" / "packages", seed_dirs=[wheelhouse],
                       username=USERNAME, password=PASSWORD)
    env = hermetic_uv_env(index, uv_cache_dir, egress_trap.url, tmp_path / "uv-home")
    for key in list(os.environ):
        if key.startswith("UV_") or key in SCRUBBED or key in ("GITHUB_TOKEN", "GH_TOKEN", "RELEASEKIT_GITHUB_TOKEN"):
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    # Crash reports (releasekit-crash-*.txt) would land here: they are scanned too.
    (tmp_path / "tmp").mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    before = len(egress_trap.attempts)
    try:
        yield index
    finally:
        index.stop()
    assert not egress_trap.attempts[before:], egress_trap.attempts[before:]


def _env(drop: tuple[str, ...] = (), **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in drop}
    return {**env, **extra}


def test_publish_never_shows_or_stores_a_credential(
        tmp_path: Path, canary_index: LocalIndex, git_env: dict[str, str]) -> None:
    ws = workspace10.write(tmp_path / "ws10")
    # A token in the remote's URL, as actions/checkout leaves it with persist-credentials.
    git(ws, "remote", "add", "origin", f"https://x-access-token:{GH_TOKEN}@127.0.0.1:9/acme/widgets.git")
    fake = FakeGitHub("acme/widgets", token=GH_TOKEN).start()
    scan = Scanner()
    try:
        github = {"GITHUB_TOKEN": GH_TOKEN, "GITHUB_API_URL": fake.url}
        # GitHub answers the release-PR lookup after the upload with an error that echoes the token.
        fake.fail("GET", r"/pulls", 401, body={"message": f"Bad credentials: token {GH_TOKEN} is revoked",
                                                "documentation_url": "https://docs.github.com/rest"})
        ok = rk(ws, "publish", "--format", "json", "-p", "rkz-left", "--with-deps",
                        *index_flags(canary_index), env=_env(**github))
        scan.output("publish --format json (password auth, GitHub echoes its token)", ok)
        assert {p["status"] for p in last_run(ws)["packages"]} == {"published"}, ok.stderr
        assert ok.returncode != 0 and "error[RK72" in ok.stderr  # the label step failed, loudly
        assert ok.stdout.splitlines()[-1].startswith("{")  # the NDJSON stream is intact

        # The index fails every upload, and a table run relays uv's error.
        canary_index.faults.fail_uploads(500)
        failed = rk(ws, "publish", "-p", "rkz-util", "--max-retries", "1",
                            *index_flags(canary_index), env=_env(**github))
        scan.output("publish, uploads answered 500", failed)
        assert failed.returncode == 1 and "RK520" in failed.stdout, failed.stdout + failed.stderr

        # A token the index refuses: uv relays the 403.
        canary_index.faults.clear()
        refused = rk(ws, "publish", "--format", "json", "-p", "rkz-solo", *index_flags(canary_index),
                             env=_env(UV_PUBLISH_TOKEN=TOKEN, drop=("UV_PUBLISH_USERNAME", "UV_PUBLISH_PASSWORD"),
                                      **github))
        scan.output("publish --format json with a refused UV_PUBLISH_TOKEN", refused)
        assert refused.returncode == 1 and "RK605" in refused.stdout, refused.stdout + refused.stderr
    finally:
        fake.stop()
    scan.tree("state dir", ws / STATE)
    scan.tree("TMPDIR", tmp_path / "tmp")
    assert list((ws / STATE).glob("doit-*.sqlite3")), "the doit DB is part of what is scanned"
    assert scan.size() > 20_000  # outputs, events, summaries, records, journal, doit DB, artifacts
    leaks = scan.leaks()
    assert not leaks, leaks


URL_OPTIONS = ("--publish-url", "--check-url", "--json-api-url", "--fallback-url")
URL_KEYS = ("publish_url", "check_url", "json_api_url", "fallback_url")


def test_credentials_in_any_index_url_are_refused_and_never_shown(
        tmp_path: Path, canary_index: LocalIndex, git_env: dict[str, str]) -> None:
    """URL credentials are refused (RK155), wherever they are written: every option, every
    config key, and what argparse echoes of a mistyped argument. The canary password (known
    to no environment variable) and a token given as the user alone show nowhere, and nothing
    is built or uploaded."""
    ws = workspace10.write(tmp_path / "ws10")
    before = workspace_files(ws)
    scan = Scanner()
    index = index_flags(canary_index)
    carriers = {"user:password": f"http://{USERNAME}:{URL_PASSWORD}@127.0.0.1:9/simple/",
                "token as user": f"https://{TOKEN}@127.0.0.1:9/simple/"}
    for form, url in carriers.items():
        for option in URL_OPTIONS:
            flags = [*index[:index.index(option)], *index[index.index(option) + 2:], option, url] \
                if option in index else [*index, option, url]
            for extra in ((), ("--dry-run",), ("--format", "json"))[:3 if form == "user:password" else 1]:
                done = rk(ws, "publish", *extra, *flags)
                scan.output(f"publish {' '.join(extra)} {option} ({form})", done)
                lines = done.stderr.splitlines()
                assert done.returncode == 2 and lines == [line for line in lines if line.startswith("error[RK155]")], (
                    done.stdout + done.stderr)
                assert f"{option}:" in done.stderr
                # stdout: nothing, or with --format json the one error object (scanned for the secret too).
                assert done.stdout == "" or json.loads(done.stdout)["error"]["code"] == "RK155"
        checked = rk(ws, "preflight", "--check-url", url)
        scan.output(f"preflight --check-url ({form})", checked)
        assert checked.returncode == 2 and "error[RK155] --check-url:" in checked.stderr, checked.stderr
        # argparse quotes what it cannot parse: the quote is masked like everything else.
        for argv in (("publish", "-j", url), ("publish", "--target", url), ("publish", url),
                     ("preflight", "--trusted-publishing", url), ("plan", "--format", url)):
            echoed = rk(ws, *argv)
            scan.output(" ".join(argv[:-1]) + f" <url> ({form})", echoed)
            assert echoed.returncode == 2 and echoed.stderr.startswith("error[RK150]"), echoed.stderr
            assert "***@" in echoed.stderr, echoed.stderr
    manifest = ws / "pyproject.toml"
    text = manifest.read_text()
    for key in URL_KEYS:
        manifest.write_text(text + f'\n[tool.releasekit.index]\n{key} = "http://{USERNAME}:{URL_PASSWORD}@127.0.0.1:9/"\n')
        for argv in (("plan",), ("publish", "--dry-run"), ("publish", *index)):
            done = rk(ws, *argv)
            scan.output(f"{' '.join(argv[:2])} with index.{key} carrying a password", done)
            assert done.returncode == 2 and done.stderr.startswith("error[RK155] pyproject.toml:"), done.stderr
            assert f"`index.{key}`" in done.stderr
    manifest.write_text(text)
    assert workspace_files(ws) == before
    assert not canary_index.uploads and not (ws / STATE / "builds").exists()
    scan.tree("state dir", ws / STATE)
    scan.tree("TMPDIR", tmp_path / "tmp")
    leaks = scan.leaks()
    assert not leaks, leaks


def test_workflow_commands_redact_what_git_and_github_echo(
        workspace_repo: GitRepo, uv_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = workspace_repo.path
    workspace_repo.git("remote", "set-url", "origin", f"https://x-access-token:{GH_TOKEN}@127.0.0.1:9/acme/widgets.git")
    (tmp_path / "tmp").mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    scan = Scanner()
    with _github(GH_TOKEN) as fake:
        env = _env(GITHUB_TOKEN=GH_TOKEN, GITHUB_API_URL=fake.url, GITHUB_REPOSITORY="acme/widgets",
                   UV_PUBLISH_TOKEN=TOKEN, UV_OFFLINE="1")
        # prepare: GitHub answers, then `git ls-remote` on the token URL fails.
        prepared = rk(ws, "prepare", env=env)
        scan.output("prepare (git remote with a token in its URL, unreachable)", prepared)
        assert prepared.returncode == 1 and "error[RK400]" in prepared.stderr and "ls-remote" in prepared.stderr, (
            prepared.stdout + prepared.stderr)
        # The same commands with GitHub refusing the token and echoing it.
        fake.fail("GET", r".*", 401, times=50, body={"message": f"Bad credentials: {GH_TOKEN}"})
        for args in (("prepare",), ("release",), ("notify",), ("prepare", "--format", "json")):
            done = rk(ws, *args, env=env)
            scan.output(" ".join(args) + " (GitHub echoes the token)", done)
            assert "Traceback" not in done.stdout + done.stderr
            assert done.returncode != 0 or args == ("notify",), done.stdout + done.stderr
    scan.tree("state dir", ws / ".releasekit")
    scan.tree("TMPDIR", tmp_path / "tmp")
    leaks = scan.leaks()
    assert not leaks, leaks


class _github:
    def __init__(self, token: str) -> None:
        self.fake = FakeGitHub("acme/widgets", token=token)

    def __enter__(self) -> FakeGitHub:
        return self.fake.start()

    def __exit__(self, *exc: Any) -> None:
        self.fake.stop()
