"""Credentials in index URLs: refused where they come in, masked wherever a URL goes out."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from releasekit.engine.builds import BuildRecord, load_record, note, notes_for, save_record
from releasekit.errors import ConfigError, UsageError
from releasekit.model.config_parse import parse_config
from releasekit.support.redact import mask_urls
from releasekit.support.urlcreds import has_credentials, refuse_credentials

SECRET = "s3cr3t-canary"


@pytest.mark.parametrize(("text", "masked"), [
    (f"http://u:{SECRET}@host/simple/", "http://u:***@host/simple/"),
    (f"GET https://__token__:pypi-{SECRET}@pypi.org/legacy/ ok", "GET https://__token__:***@pypi.org/legacy/ ok"),
    (f"'https://{SECRET}@host/x'", "'https://***@host/x'"),  # a token as the user alone
    (f"http://u:p@{SECRET}@host/", "http://u:***@host/"),  # an "@" inside the password
    ("ssh://git@github.com/acme/x.git", "ssh://git@github.com/acme/x.git"),  # a login, not a secret
    ("http://127.0.0.1:8080/simple/ (mail a@b.c)", "http://127.0.0.1:8080/simple/ (mail a@b.c)"),
])
def test_every_form_of_url_credentials_is_masked(text: str, masked: str) -> None:
    assert mask_urls(text) == masked


def test_refused_from_the_command_line_naming_the_option() -> None:
    assert not has_credentials("https://pypi.org/simple/") and has_credentials(f"https://{SECRET}@h/")
    with pytest.raises(UsageError) as raised:
        refuse_credentials({"--publish-url": "https://h/", "--check-url": f"https://u:{SECRET}@h/simple/"})
    line = raised.value.one_line()
    assert raised.value.code == "RK155" and line.startswith("error[RK155] --check-url: credentials in an index URL")
    assert SECRET not in line and "UV_PUBLISH_TOKEN" in line and "~/.netrc" in line


def test_refused_from_the_config_naming_its_line(tmp_path: Path) -> None:
    text = f'[tool.releasekit]\nconcurrency = 2\n\n[tool.releasekit.index]\ncheck_url = "https://u:{SECRET}@h/"\n'
    raw = tomllib.loads(text)["tool"]["releasekit"]
    with pytest.raises(ConfigError) as raised:
        parse_config(raw, tmp_path / "pyproject.toml", text)
    assert raised.value.code == "RK155" and raised.value.line == 5
    assert SECRET not in raised.value.one_line()


def test_build_records_key_indexes_by_the_masked_url(tmp_path: Path) -> None:
    (tmp_path / "builds" / "acme" / "1.0").mkdir(parents=True)
    save_record(tmp_path, BuildRecord("acme", "1.0", "fp", {"acme-1.0.tar.gz": "0" * 64}, {}))
    url = f"https://u:{SECRET}@h/simple/"
    note(tmp_path, "acme", "1.0", url, "upload", "uploaded")
    stored = (tmp_path / "builds" / "acme" / "1.0" / "record.json").read_text()
    assert SECRET not in stored and "https://u:***@h/simple/" in stored
    record = load_record(tmp_path, "acme", "1.0")
    assert record is not None and notes_for(record, url) == {"upload": "uploaded"}
