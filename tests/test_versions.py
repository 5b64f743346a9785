"""PEP 440 bumps, prerelease labels, pinning and widening of requirement strings."""

from __future__ import annotations

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from releasekit.errors import VersionError
from releasekit.model.versions import (
    Bump,
    admits,
    next_version,
    parse_pre_label,
    parse_version,
    pin_requirement,
    split_requirement,
    widen_requirement,
    widen_specifier,
)

BUMPS = [
    ("1.2.3", Bump(kind="major"), "2.0.0"),
    ("1.2.3", Bump(kind="minor"), "1.3.0"),
    ("1.2.3", Bump(kind="patch"), "1.2.4"),
    ("1.0", Bump(kind="patch"), "1.0.1"),
    ("1", Bump(kind="minor"), "1.1.0"),
    ("1.2.3.4", Bump(kind="patch"), "1.2.4"),
    ("1!1.0", Bump(kind="minor"), "1!1.1.0"),
    ("1.2.3+local", Bump(kind="patch"), "1.2.4"),
    # prereleases are promoted to their final release when the bump allows it
    ("1.2.3rc1", Bump(kind="patch"), "1.2.3"),
    ("1.2.0rc1", Bump(kind="minor"), "1.2.0"),
    ("1.2.1rc1", Bump(kind="minor"), "1.3.0"),
    ("2.0.0b1", Bump(kind="major"), "2.0.0"),
    ("2.1.0b1", Bump(kind="major"), "3.0.0"),
    ("1.2.3.dev4", Bump(kind="patch"), "1.2.3"),
    ("1.2.3.dev4", Bump(kind="minor"), "1.3.0"),
    ("1.2.3.post2", Bump(kind="patch"), "1.2.4"),
    # --pre
    ("1.2.3", Bump(pre="rc"), "1.2.4rc1"),
    ("1.2.3", Bump(kind="minor", pre="b"), "1.3.0b1"),
    ("1.2.3", Bump(kind="major", pre="alpha"), "2.0.0a1"),
    ("1.2.3rc1", Bump(pre="rc"), "1.2.3rc2"),
    ("1.2.3a2", Bump(pre="beta"), "1.2.3b1"),
    ("1.2.3a2", Bump(pre="rc5"), "1.2.3rc5"),
    ("1.2.3b1", Bump(pre="c"), "1.2.3rc1"),
    ("1.2.3rc1.dev1", Bump(pre="rc"), "1.2.3rc1"),
    ("1.2.3.dev3", Bump(pre="rc"), "1.2.3rc1"),
    ("1.2.3", Bump(pre="rc", dev=True), "1.2.4rc1.dev1"),
    ("1.2.3rc1", Bump(pre="rc", dev=True), "1.2.3rc2.dev1"),
    ("1.2.3rc1.dev1", Bump(pre="rc", dev=True), "1.2.3rc1.dev2"),
    # --dev
    ("1.2.3", Bump(dev=True), "1.2.4.dev1"),
    ("1.2.3.dev1", Bump(dev=True), "1.2.3.dev2"),
    ("1.2.3rc1", Bump(dev=True), "1.2.3rc2.dev1"),
    ("1.2.3rc1.dev1", Bump(dev=True), "1.2.3rc1.dev2"),
    ("1.2.3", Bump(kind="minor", dev=True), "1.3.0.dev1"),
    # --post
    ("1.2.3", Bump(post=True), "1.2.3.post1"),
    ("1.2.3.post1", Bump(post=True), "1.2.3.post2"),
    ("1!1.0", Bump(post=True), "1!1.0.post1"),
    # --version
    ("1.2.3", Bump(exact="1.2.4"), "1.2.4"),
    ("1.2.3", Bump(exact="v2.0-RC1"), "2.0rc1"),
]


@pytest.mark.parametrize(("current", "bump", "expected"), BUMPS)
def test_next_version(current: str, bump: Bump, expected: str) -> None:
    result = next_version(current, bump)
    assert result == expected
    assert Version(result) > Version(current)


@pytest.mark.parametrize(
    ("current", "bump", "fragment"),
    [
        ("1.2.3rc1", Bump(pre="a"), "backwards"),
        ("1.2.3rc2", Bump(pre="rc1"), "not greater"),
        ("1.2.3rc1", Bump(post=True), "post-release of the prerelease"),
        ("1.2.3", Bump(exact="1.2.3"), "not greater"),
        ("1.2.3", Bump(exact="1.0"), "not greater"),
        ("1.2.3", Bump(exact="banana"), "not a valid PEP 440"),
        ("1.2.3", Bump(), "no bump given"),
        ("1.2.3", Bump(pre="gamma"), "unknown prerelease label"),
        ("1.2.3", Bump(pre="dev"), "unknown prerelease label"),
        ("not-a-version", Bump(kind="patch"), "not a valid PEP 440"),
    ],
)
def test_next_version_refuses(current: str, bump: Bump, fragment: str) -> None:
    with pytest.raises(VersionError) as info:
        next_version(current, bump)
    assert fragment in info.value.message
    assert info.value.code in ("RK113", "RK141", "RK150")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("rc", ("rc", None)),
        ("RC2", ("rc", 2)),
        ("rc.3", ("rc", 3)),
        ("beta-1", ("b", 1)),
        ("alpha", ("a", None)),
        ("c", ("rc", None)),
        ("preview_4", ("rc", 4)),
        (" b ", ("b", None)),
    ],
)
def test_parse_pre_label(text: str, expected: tuple[str, int | None]) -> None:
    assert parse_pre_label(text) == expected


def test_bump_describe() -> None:
    assert Bump(kind="minor", pre="rc", dev=True).describe() == "minor + pre rc + dev"
    assert Bump(exact="2.0").describe() == "set to 2.0"
    assert Bump().empty and not Bump(post=True).empty


def test_parse_version_error_code() -> None:
    with pytest.raises(VersionError) as info:
        parse_version("1.0-final-ish")
    assert info.value.code == "RK113"


# --- pinning ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a>=1", "a==2.0.0"),
        ("a", "a==2.0.0"),
        ("a (>=1)", "a==2.0.0"),
        ("a[x,y]>=1,<3", "a[x,y]==2.0.0"),
        ("a [x, y] >= 1 ; python_version<'3.12'", "a [x, y]==2.0.0 ; python_version<'3.12'"),
        ("a;os_name=='nt'", "a==2.0.0;os_name=='nt'"),
        ('a>=1; extra == "x@y"', 'a==2.0.0; extra == "x@y"'),
        ("A.B_c[z]~=1.0,!=1.1", "A.B_c[z]==2.0.0"),
    ],
)
def test_pin_requirement(raw: str, expected: str) -> None:
    pinned = pin_requirement(raw, "2.0.0")
    assert pinned == expected
    before, after = Requirement(raw), Requirement(pinned)
    assert (after.name, after.extras, after.marker) == (before.name, before.extras, before.marker)
    assert str(after.specifier) == "==2.0.0"


def test_pin_refuses_url_requirements() -> None:
    assert split_requirement("a @ https://example.invalid/a-1.0-py3-none-any.whl") is None
    with pytest.raises(VersionError) as info:
        pin_requirement("a[x] @ file:///tmp/a ; os_name == 'nt'", "1.0")
    assert info.value.code == "RK142"


# --- widening --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "version", "expected"),
    [
        (">=1.0", "2.0.0", None),
        ("", "2.0.0", None),
        ("==1.0.0", "1.0.0+local", None),
        ("==1.0.0", "1.1.0", "==1.1.0"),
        ("==1.*", "2.0.0", "==2.0.0"),
        ("===1.0", "1.1", "==1.1"),
        ("~=1.0", "2.0.0", "~=2.0"),
        ("~=0.3", "1.0.0", "~=1.0"),
        ("~=1.2.3", "1.3.0", "~=1.3.0"),
        (">=1,<2", "2.0.0", ">=1,<3"),
        (">=1.0,<2.0", "2.1.0", ">=1.0,<2.2"),
        (">=0.3.0,<0.4", "0.4.0", ">=0.3.0,<0.5"),
        (">=1,<2", "2.0.0rc1", ">=1,<3"),
        ("<1.0.0", "1.0.0.dev1", "<1.0.1"),
        ("<=1.5", "1.6", "<=1.6"),
        (">1.0", "1.0.post1", ">=1.0.post1"),
        (">2", "1.5", ">=1.5"),
        ("!=1.1.0,>=1", "1.1.0", ">=1"),
        (">=0.5,<2", "1!1.0", ">=0.5,<1!2"),
    ],
)
def test_widen_specifier(spec: str, version: str, expected: str | None) -> None:
    result = widen_specifier(spec, version)
    assert result == expected
    if result is not None:
        assert admits(result, version)
        kept = [c for c in spec.split(",") if admits(c, version)]
        assert set(kept) <= set(result.split(","))


@pytest.mark.parametrize(
    ("raw", "version", "expected"),
    [
        ("acme-core>=0.3.0", "0.4.0", None),
        ("acme-core>=0.3.0,<0.4", "0.4.0", "acme-core>=0.3.0,<0.5"),
        ("acme-core (==0.3.0)", "0.4.0", "acme-core (==0.4.0)"),
        (
            "acme-log[json] ==0.3.0 ; python_version >= '3.9'",
            "1.0.0",
            "acme-log[json] ==1.0.0 ; python_version >= '3.9'",
        ),
        ("acme-core", "9.0", None),
        ("acme-core @ file:///x", "9.0", None),
    ],
)
def test_widen_requirement(raw: str, version: str, expected: str | None) -> None:
    assert widen_requirement(raw, version) == expected
    if expected is not None:
        before, after = Requirement(raw), Requirement(expected)
        assert (after.name, after.extras, after.marker) == (
            before.name,
            before.extras,
            before.marker,
        )
        assert after.specifier.contains(version, prereleases=True)


def test_admits_is_false_for_garbage() -> None:
    assert not admits(">=>1", "1.0")
    assert not admits(">=1", "not a version")
    assert admits(str(SpecifierSet(">=1,<2")), "1.5")
