"""Parsing what indexes say: PEP 503 HTML, PEP 691 JSON and distribution filenames."""

from __future__ import annotations

from packaging.version import Version

from releasekit.backends.registry import file_version, parse_simple_html, parse_simple_json

PYPISERVER_PAGE = """<!DOCTYPE html><html><body><h1>Links for acme-core</h1>
<a href="/packages/acme_core-0.3.0-py3-none-any.whl#sha256=aa11">acme_core-0.3.0-py3-none-any.whl</a><br>
<a href="/packages/acme_core-0.3.0.tar.gz#sha256=bb22">acme_core-0.3.0.tar.gz</a><br>
<a href="../../+f/1/2/acme_core-0.2.0.tar.gz" data-yanked="">acme_core-0.2.0.tar.gz</a>
</body></html>"""


def test_html_links_keep_hashes_and_resolve_relative_urls() -> None:
    files = parse_simple_html(PYPISERVER_PAGE, "http://127.0.0.1:1/simple/acme-core/")
    wheel = files["acme_core-0.3.0-py3-none-any.whl"]
    assert wheel.sha256 == "aa11"
    assert wheel.url == "http://127.0.0.1:1/packages/acme_core-0.3.0-py3-none-any.whl"
    old = files["acme_core-0.2.0.tar.gz"]
    assert old.sha256 is None and old.yanked
    assert old.url == "http://127.0.0.1:1/+f/1/2/acme_core-0.2.0.tar.gz"


def test_pep691_json() -> None:
    data = {
        "meta": {"api-version": "1.0"},
        "name": "acme-core",
        "files": [
            {"filename": "acme_core-0.3.0.tar.gz", "url": "../../f/acme_core-0.3.0.tar.gz",
             "hashes": {"sha256": "ABCD"}},
            {"filename": "acme_core-0.3.0-py3-none-any.whl", "url": "https://files.example/w.whl",
             "hashes": {}, "yanked": "broken"},
        ],
    }
    files = parse_simple_json(data, "https://idx.example/simple/acme-core/")
    assert files["acme_core-0.3.0.tar.gz"].sha256 == "abcd"
    assert files["acme_core-0.3.0.tar.gz"].url == "https://idx.example/f/acme_core-0.3.0.tar.gz"
    assert files["acme_core-0.3.0-py3-none-any.whl"].yanked


def test_file_versions() -> None:
    assert file_version("acme_core-0.3.0-py3-none-any.whl") == ("acme-core", Version("0.3.0"))
    assert file_version("Acme.Core-1.0rc1.tar.gz") == ("acme-core", Version("1.0rc1"))
    assert file_version("README.md") is None
    assert file_version("broken-.whl") is None
