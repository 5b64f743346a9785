"""tomlkit edits keep comments, quoting and layout; pinning keeps extras and markers."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from releasekit.engine.pin import pinned, pinned_text
from releasekit.model.edit import rewrite_requirements, set_version
from releasekit.support.journal import Journal

PYPROJECT = """\
# A comment before everything.
[project]
name = 'acme-api'   # literal string, two spaces before the comment
version = '0.3.0'  # bumped by releasekit
description = "The \\"API\\"."
dependencies = [
    "acme-http>=0.3.0",  # internal
    'acme-store >= 0.3.0 ; python_version >= "3.9"',
    "requests[socks]>=2,<3",
    # a lone comment inside the array
]

[project.optional-dependencies]
tracing = ["acme-log[json]>=0.3.0; python_version >= \\"3.9\\""]
all = ["acme-api[tracing]"]

[tool.other]
keep = { inline = true, nested = [1, 2] }   # inline table
"""


def _diff_lines(a: str, b: str) -> list[tuple[str, str]]:
    return [(x, y) for x, y in zip(a.splitlines(), b.splitlines(), strict=True) if x != y]


def test_set_version_changes_one_line_only() -> None:
    out = set_version(PYPROJECT, "0.4.0")
    assert _diff_lines(PYPROJECT, out) == [
        ("version = '0.3.0'  # bumped by releasekit", "version = '0.4.0'  # bumped by releasekit")
    ]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('version = "1.0"', 'version = "2.0"'),
        ("version = '1.0'", "version = '2.0'"),
        ("version='1.0'#c", "version='2.0'#c"),
        ("version = '''1.0'''", "version = '2.0'"),
    ],
)
def test_set_version_keeps_quoting(line: str, expected: str) -> None:
    text = f'[project]\nname = "x"\n{line}\n'
    assert set_version(text, "2.0") == f'[project]\nname = "x"\n{expected}\n'


def test_set_version_with_crlf_and_dotted_keys() -> None:
    crlf = "[project]\r\nname = 'x'\r\nversion = '1.0'   # v\r\n"
    assert set_version(crlf, "2.0") == "[project]\r\nname = 'x'\r\nversion = '2.0'   # v\r\n"
    dotted = 'project.name = "x"\nproject.version = "1.0"\n'
    assert set_version(dotted, "2.0") == 'project.name = "x"\nproject.version = "2.0"\n'


def test_rewrite_requirements_keeps_everything_else() -> None:
    def rewrite(raw: str) -> str | None:
        return raw.replace(">=0.3.0", ">=0.4.0") if raw.startswith("acme-") else None

    out, changes = rewrite_requirements(PYPROJECT, rewrite)
    assert changes == [
        ("acme-http>=0.3.0", "acme-http>=0.4.0"),
        (
            'acme-log[json]>=0.3.0; python_version >= "3.9"',
            'acme-log[json]>=0.4.0; python_version >= "3.9"',
        ),
    ]
    assert _diff_lines(PYPROJECT, out) == [
        ('    "acme-http>=0.3.0",  # internal', '    "acme-http>=0.4.0",  # internal'),
        (
            'tracing = ["acme-log[json]>=0.3.0; python_version >= \\"3.9\\""]',
            'tracing = ["acme-log[json]>=0.4.0; python_version >= \\"3.9\\""]',
        ),
    ]
    assert tomllib.loads(out)["tool"]["other"] == {"keep": {"inline": True, "nested": [1, 2]}}


def test_rewrite_requirements_without_changes_returns_the_same_text() -> None:
    out, changes = rewrite_requirements(PYPROJECT, lambda raw: None)
    assert out is PYPROJECT and changes == []
    out, changes = rewrite_requirements("[tool.x]\na = 1\n", lambda raw: "zzz")
    assert changes == []


def test_literal_string_with_a_quote_becomes_a_basic_string() -> None:
    text = "[project]\nname = 'x'\ndependencies = ['a>=1']\n"
    out, _ = rewrite_requirements(text, lambda raw: "a>=2; os_name == 'nt'")
    assert out == "[project]\nname = 'x'\ndependencies = [\"a>=2; os_name == 'nt'\"]\n"
    assert tomllib.loads(out)["project"]["dependencies"] == ["a>=2; os_name == 'nt'"]


def test_pinned_text_keeps_names_extras_and_markers() -> None:
    out, changes = pinned_text(
        PYPROJECT, {"acme-http": "0.4.0", "acme-store": "0.4.1", "acme-log": "1.0.0"}
    )
    data = tomllib.loads(out)["project"]
    reqs = [Requirement(r) for r in data["dependencies"] + data["optional-dependencies"]["tracing"]]
    originals = tomllib.loads(PYPROJECT)["project"]
    before = [
        Requirement(r)
        for r in originals["dependencies"] + originals["optional-dependencies"]["tracing"]
    ]
    for old, new in zip(before, reqs, strict=True):
        assert (new.name, new.extras, new.marker) == (old.name, old.extras, old.marker)
    assert [str(r.specifier) for r in reqs] == ["==0.4.0", "==0.4.1", "<3,>=2", "==1.0.0"]
    # A self-reference is never pinned; third-party requirements are untouched.
    assert data["optional-dependencies"]["all"] == ["acme-api[tracing]"]
    assert len(changes) == 3
    assert "# internal" in out and "# a lone comment inside the array" in out


def test_pinned_restores_on_every_exit(tmp_path: Path) -> None:
    manifest = tmp_path / "pyproject.toml"
    manifest.write_text(PYPROJECT)
    journal = Journal(tmp_path / ".releasekit")
    with pinned(journal, manifest, {"acme-http": "0.4.0"}, "build") as changes:
        assert changes == [("acme-http>=0.3.0", "acme-http==0.4.0")]
        assert "acme-http==0.4.0" in manifest.read_text()
        assert len(journal.entries()) == 1
    assert manifest.read_text() == PYPROJECT and journal.entries() == []
    with pytest.raises(RuntimeError), pinned(journal, manifest, {"acme-http": "0.4.0"}, "build"):
        raise RuntimeError("build failed")
    assert manifest.read_text() == PYPROJECT and journal.entries() == []
    with pinned(journal, manifest, {"unrelated": "1.0"}, "build") as changes:
        assert changes == []
    assert not journal.directory.exists() or journal.entries() == []
