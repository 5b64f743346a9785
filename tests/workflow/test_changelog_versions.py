"""Changelog rendering and incremental updates; prerelease counters; the tag formatter."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from releasekit.errors import VersionError
from releasekit.model.config import Config
from releasekit.model.versions import Bump, advance_counter, max_kind, next_version, prerelease_bump
from releasekit.workflow import changelog
from releasekit.workflow.conventional import Change
from releasekit.workflow.tags import format_tag, package_tags, umbrella_tag

LINKS = changelog.Links("https://github.com/acme/widgets")


def change(
    type_: str,
    text: str,
    *,
    breaking: bool = False,
    notes: tuple[str, ...] = (),
    pr: int | None = None,
    scope: str | None = None,
) -> Change:
    return Change(
        sha="abcdef1234567890" * 2 + "abcdefgh",
        type=type_,
        scope=scope,
        description=text,
        breaking=breaking,
        breaking_notes=notes,
        pr=pr,
        author="Grace Hopper",
    )


def test_section_groups_links_and_authors() -> None:
    text = changelog.render_section(
        "1.3.0",
        tag="core-v1.3.0",
        previous_tag="core-v1.2.0",
        date="2026-11-21T10:00:00+00:00",
        changes=[
            change("feat", "paging", pr=12, scope="api"),
            change("fix", "crash", breaking=True, notes=("config moved",)),
            change("perf", "faster"),
            change("revert", "feat: knob"),
            change("docs", "not listed"),
        ],
        dependencies=[("acme-log", "0.4.0")],
        links=LINKS,
    )
    assert text.startswith(
        "## [1.3.0](https://github.com/acme/widgets/compare/core-v1.2.0...core-v1.3.0)"
        " (2026-11-21)\n"
    )
    order = [
        text.index(h)
        for h in (
            "### ⚠ Breaking changes",
            "### Features",
            "### Fixes",
            "### Performance",
            "### Reverts",
            "### Dependencies",
        )
    ]
    assert order == sorted(order)
    assert "* **api:** paging ([#12](https://github.com/acme/widgets/pull/12)) ([abcdef1](" in text
    assert "* config moved (" in text and "by Grace Hopper" in text
    assert "not listed" not in text
    assert "* acme-log bumped to 0.4.0" in text


def test_section_without_links_or_entries() -> None:
    text = changelog.render_section("0.1.1", tag="t", previous_tag=None, date="", changes=[])
    assert text == "## 0.1.1\n\n* No user-facing changes.\n"


def test_one_blank_line_between_sections() -> None:
    first = changelog.render_section("0.1.0", tag="t1", previous_tag=None, date="", changes=[])
    second = changelog.render_section("0.2.0", tag="t2", previous_tag="t1", date="", changes=[])
    text = changelog.insert_section(changelog.insert_section(None, first), second)
    assert "\n\n\n" not in text
    assert text == (
        "# Changelog\n\n## 0.2.0\n\n* No user-facing changes.\n\n"
        "## 0.1.0\n\n* No user-facing changes.\n"
    )


def test_insert_keeps_existing_bytes() -> None:
    section = "## 2.0.0 (2026-11-21)\n\n### Fixes\n\n* x\n"
    old = "# Changelog\n\nIntro kept.\r\n\n## 1.0.0 (2020-01-01)\n\n* hand   edited  \n"
    new = changelog.insert_section(old, section)
    assert new.replace(section + "\n", "", 1) == old
    assert new.index("## 2.0.0") < new.index("## 1.0.0") and new.startswith(
        "# Changelog\n\nIntro kept."
    )
    assert changelog.insert_section(None, section) == "# Changelog\n\n" + section
    assert changelog.insert_section("# Changelog\n", section) == "# Changelog\n\n" + section


@given(st.text(max_size=300))
def test_insert_is_pure_insertion(existing: str) -> None:
    """Whatever the old file holds, the new one is it plus one chunk holding the section."""
    section = "## 9.9.9\n\n* new\n"
    new = changelog.insert_section(existing, section)
    k = 0
    while k < min(len(new), len(existing)) and new[k] == existing[k]:
        k += 1
    inserted = len(new) - len(existing)
    # back off so the inserted chunk starts at or before the section
    k = min(k, new.index(section))
    assert new[:k] == existing[:k]
    assert new[k + inserted :] == existing[k:]
    assert section in new[k : k + inserted]


def test_extract_section_and_notes() -> None:
    text = (
        "# Changelog\n\n## [1.3.0](https://x/compare/a...b) (2026-11-21)\n\n### Features\n\n* a\n\n"
        "## 1.2.0 (2026-01-01)\n\n* old\n"
    )
    section = changelog.extract_section(text, "1.3.0")
    assert section is not None and section.startswith("## [1.3.0]") and "old" not in section
    assert changelog.release_notes(section) == "### Features\n\n* a\n"
    assert changelog.extract_section(text, "1.2.0") == "## 1.2.0 (2026-01-01)\n\n* old\n"
    assert changelog.extract_section(text, "1.2") is None
    assert changelog.has_version(text, "1.3.0") and not changelog.has_version(text, "1.3.1")


# --- versions ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "kind", "label", "expected"),
    [
        ("1.2.0", "minor", "rc", "1.3.0rc1"),
        ("1.2.0", "patch", "b", "1.2.1b1"),
        ("1.3.0rc1", "patch", "rc", "1.3.0rc2"),  # a fix during the rc series stays in it
        ("1.3.0rc2", "minor", "rc", "1.3.0rc3"),
        ("1.3.0b2", "patch", "rc", "1.3.0rc1"),  # b -> rc restarts the counter
        ("1.2.0", "minor", "dev", "1.3.0.dev1"),
        ("1.3.0.dev1", "patch", "dev", "1.3.0.dev2"),
        ("1.2.0", "major", "rc.3", "2.0.0rc3"),
        ("0.3.0", "patch", "alpha", "0.3.1a1"),
    ],
)
def test_prerelease_bumps(current: str, kind: str, label: str, expected: str) -> None:
    bump, _ = prerelease_bump(kind, label)  # type: ignore[arg-type]
    assert next_version(current, bump) == expected


def test_promotion_and_backwards_labels() -> None:
    assert next_version("1.3.0rc2", Bump(kind="patch")) == "1.3.0"
    assert next_version("1.3.0rc2", Bump(kind="minor")) == "1.3.0"
    assert next_version("1.3.0rc2", Bump(kind="major")) == "2.0.0"
    with pytest.raises(VersionError):
        next_version("1.3.0rc1", prerelease_bump("patch", "b")[0])
    with pytest.raises(VersionError):
        prerelease_bump("patch", "gamma")
    assert prerelease_bump(None, "rc2")[1] and not prerelease_bump(None, "rc")[1]


def test_counters_advance_past_existing_versions() -> None:
    assert (
        advance_counter("1.3.0rc1", ["1.3.0rc1", "1.3.0rc2", "1.2.0rc9", "1.3.0b7"]) == "1.3.0rc3"
    )
    assert advance_counter("1.3.0rc4", ["1.3.0rc1"]) == "1.3.0rc4"
    assert advance_counter("1.3.0.dev1", ["1.3.0.dev3", "1.3.0rc1.dev9"]) == "1.3.0.dev4"
    assert advance_counter("1.3.0", ["1.3.0"]) == "1.3.0"
    assert max_kind(None, "patch", "minor") == "minor" and max_kind() is None


def test_tags_use_one_formatter_and_do_not_cross_packages() -> None:
    cfg = Config()
    assert format_tag(cfg, "acme", "1.0.0") == "acme-v1.0.0"
    tags = ["acme-v1.0.0", "acme-core-v2.0.0", "acme-vnext", "acme-v1.1.0rc1", "other-v3"]
    assert package_tags(cfg, "acme", tags) == {"1.0.0": "acme-v1.0.0", "1.1.0rc1": "acme-v1.1.0rc1"}
    assert package_tags(cfg, "acme-core", tags) == {"2.0.0": "acme-core-v2.0.0"}
    assert umbrella_tag(cfg, "1.0.0") is None
    assert umbrella_tag(Config(umbrella_tag="v{version}"), "1.0.0") == "v1.0.0"
    slash = Config(tag_format="{name}/{version}")
    assert package_tags(slash, "a", ["a/1.0", "a/b/2.0"]) == {"1.0": "a/1.0"}
