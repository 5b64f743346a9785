"""Property-based tests (hypothesis) for the parsers and the graph."""

from __future__ import annotations

import itertools
import string
import tempfile
from pathlib import Path
from typing import Any

import pytest
import tomlkit
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, Specifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from releasekit.errors import ConfigError, GraphError, ReleasekitError, VersionError, WorkspaceError
from releasekit.model import tomlio
from releasekit.model.config_parse import parse_config
from releasekit.model.graph import Graph
from releasekit.model.versions import Bump, admits, next_version, pin_requirement, widen_specifier
from releasekit.model.workspace import load_workspace

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- strategies -------------------------------------------------------------------------------

small = st.integers(min_value=0, max_value=12)


@st.composite
def versions(draw: st.DrawFn, *, public: bool = True) -> str:
    epoch = draw(st.sampled_from(["", "", "", "1!"]))
    release = ".".join(str(draw(small)) for _ in range(draw(st.integers(1, 4))))
    pre = draw(st.sampled_from(["", "", "a", "b", "rc"]))
    pre = f"{pre}{draw(small)}" if pre else ""
    post = draw(st.sampled_from(["", "", f".post{draw(small)}"]))
    dev = draw(st.sampled_from(["", "", f".dev{draw(small)}"]))
    local = "" if public else draw(st.sampled_from(["", "+local", "+ubuntu.1"]))
    return f"{epoch}{release}{pre}{post}{dev}{local}"


pre_labels = st.sampled_from(
    [
        "a",
        "b",
        "rc",
        "alpha",
        "beta",
        "c",
        "pre",
        "preview",
        "rc2",
        "b.3",
        "RC",
        "dev",
        "gamma",
        "",
        "1",
    ]
)


@st.composite
def bumps(draw: st.DrawFn) -> Bump:
    if draw(st.integers(0, 9)) == 0:
        return Bump(exact=draw(st.one_of(versions(), st.text(max_size=8))))
    return Bump(
        kind=draw(st.sampled_from([None, "major", "minor", "patch"])),
        pre=draw(st.one_of(st.none(), pre_labels)),
        dev=draw(st.booleans()),
        post=draw(st.booleans()),
    )


@st.composite
def clauses(draw: st.DrawFn) -> str:
    op = draw(st.sampled_from(["==", "!=", "<", "<=", ">", ">=", "~=", "===", "==*"]))
    version = draw(versions())
    if op == "==*":
        return "==" + ".".join(str(draw(small)) for _ in range(draw(st.integers(1, 3)))) + ".*"
    return f"{op}{version}"


@st.composite
def specifiers(draw: st.DrawFn) -> str:
    parts = draw(st.lists(clauses(), min_size=1, max_size=3))
    text = ",".join(parts)
    try:
        SpecifierSet(text)
    except InvalidSpecifier:
        assume(False)
    return text


names = st.from_regex(r"\A[A-Za-z0-9]([A-Za-z0-9._-]{0,10}[A-Za-z0-9])?\Z")
markers = st.sampled_from(
    [
        None,
        'python_version >= "3.9"',
        "os_name == 'nt'",
        'sys_platform != "win32" and python_version < "4"',
        'extra == "fast"',
        "platform_machine=='x86_64'",
    ]
)
spaces = st.sampled_from(["", " ", "  "])


@st.composite
def requirements(draw: st.DrawFn) -> str:
    text = draw(names) + draw(spaces)
    extras = draw(st.lists(st.from_regex(r"\A[a-z][a-z0-9_]{0,5}\Z"), max_size=3, unique=True))
    if extras:
        text += "[" + ("," + draw(spaces)).join(extras) + "]" + draw(spaces)
    if draw(st.booleans()):
        spec = draw(specifiers())
        text += f"({spec})" if draw(st.integers(0, 4)) == 0 else spec
    marker = draw(markers)
    if marker:
        text += draw(spaces) + ";" + draw(spaces) + marker
    try:
        Requirement(text)
    except InvalidRequirement:
        assume(False)
    return text


# --- versions -------------------------------------------------------------------------------


@FAST
@given(versions(public=False), bumps())
def test_bump_is_strictly_greater_or_a_clean_error(current: str, bump: Bump) -> None:
    try:
        result = next_version(current, bump)
    except VersionError:
        return
    assert Version(result) > Version(current)
    assert str(Version(result)) == result  # already in normal form


@FAST
@given(st.text(max_size=20), bumps())
def test_bump_of_garbage_is_a_clean_error(current: str, bump: Bump) -> None:
    try:
        Version(current)
    except InvalidVersion:
        valid = False
    else:
        valid = True
    assume(not valid)
    with pytest.raises(VersionError) as info:
        next_version(current, bump)
    assert info.value.code in ("RK113", "RK141", "RK150")


@FAST
@given(specifiers(), versions())
def test_widen_admits_and_keeps_admitting_clauses(spec: str, version: str) -> None:
    result = widen_specifier(spec, version)
    if admits(spec, version):
        assert result is None
        return
    assert result is not None
    widened = SpecifierSet(result)  # valid
    assert widened.contains(Version(version), prereleases=True)
    kept = [
        c.strip()
        for c in spec.split(",")
        if Specifier(c.strip()).contains(Version(version), prereleases=True)
    ]
    assert set(kept) <= {c.strip() for c in result.split(",")}


@FAST
@given(requirements(), versions())
def test_pin_keeps_name_extras_and_marker(raw: str, version: str) -> None:
    pinned = pin_requirement(raw, version)
    before, after = Requirement(raw), Requirement(pinned)
    assert after.name == before.name
    assert after.extras == before.extras
    assert str(after.marker) == str(before.marker)
    assert str(after.specifier) == f"=={version}"
    assert after.url is None


# --- the TOML reader and the workspace parser -------------------------------------------------

toml_ish = st.text(
    alphabet=string.ascii_letters + string.digits + " =[]{}\"'.,#\n\t-_+:\\e", max_size=200
)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.binary(max_size=300), toml_ish.map(str.encode)))
def test_toml_reader_raises_only_workspace_error(data: bytes) -> None:
    path = Path("pyproject.toml")
    try:
        tomlio.parse(tomlio.decode(data, path), path)
    except WorkspaceError as exc:
        assert exc.code in ("RK101", "RK103")
        assert "\n" not in exc.one_line()


def test_toml_reader_on_pathological_inputs() -> None:
    path = Path("pyproject.toml")
    for text in [
        "a = " + "[" * 100_000,
        "a = " + "{b = " * 50_000,
        "a = " + "9" * 5000,
        "a = 1979-02-30",
        "a = 0x" + "f" * 5000,
        "\ufeffa = 1",
        'a = "\\uD800"',
    ]:
        try:
            tomlio.parse(text, path)
        except WorkspaceError as exc:
            assert exc.code == "RK101"


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.text(max_size=6),
    st.sampled_from(["1.0", "a>=1", "b", "version", "Private :: Do Not Upload", "-x"]),
)
values: Any = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.sampled_from(["text", "file", "x", "workspace", "a"]), inner, max_size=3
        ),
    ),
    max_leaves=6,
)
PROJECT_KEYS = [
    "name",
    "version",
    "dynamic",
    "dependencies",
    "optional-dependencies",
    "classifiers",
    "license",
    "license-files",
    "readme",
    "authors",
    "description",
    "requires-python",
]


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_clean(v) for v in value if v is not None]
    return value


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    project=st.dictionaries(st.sampled_from(PROJECT_KEYS), values, max_size=6),
    tool_uv=st.dictionaries(
        st.sampled_from(["sources", "package", "workspace"]), values, max_size=2
    ),
    build=st.one_of(st.none(), values),
)
def test_workspace_parser_raises_only_releasekit_errors(
    project: dict[str, Any], tool_uv: dict[str, Any], build: Any
) -> None:
    member: dict[str, Any] = {"project": _clean(project)}
    if tool_uv:
        member["tool"] = {"uv": _clean(tool_uv)}
    if build is not None:
        member["build-system"] = _clean(build)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "pyproject.toml").write_text('[tool.uv.workspace]\nmembers = ["p"]\n')
        (root / "p").mkdir()
        (root / "p" / "pyproject.toml").write_text(tomlkit.dumps(member))
        try:
            ws = load_workspace(root)
        except ReleasekitError as exc:
            assert exc.code.startswith("RK1")
            return
        assert len(ws.packages) == 1


config_keys = st.sampled_from(
    [
        "tag_format",
        "umbrella_tag",
        "exclude",
        "groups",
        "lockstep_groups",
        "concurrency",
        "max_retries",
        "retry_base_delay",
        "poll_timeout",
        "poll_interval",
        "smoke_test",
        "state_dir",
        "index",
        "checks",
        "bogus",
    ]
)


@FAST
@given(
    st.dictionaries(
        config_keys,
        st.one_of(
            values, st.sampled_from(["{name}-{version}", "{version.x}", "{", "{name}{version}{x}"])
        ),
        max_size=5,
    )
)
def test_config_parser_raises_only_config_errors(raw: dict[str, Any]) -> None:
    try:
        parse_config(_clean(raw))
    except ConfigError as exc:
        assert exc.code in ("RK120", "RK121")


# --- the graph -------------------------------------------------------------------------------


@st.composite
def dags(draw: st.DrawFn) -> dict[str, list[str]]:
    n = draw(st.integers(0, 30))
    names = draw(st.permutations([f"n{i}" for i in range(n)]))
    deps: dict[str, list[str]] = {}
    for i, name in enumerate(names):
        deps[name] = draw(st.lists(st.sampled_from(names[:i]), max_size=4)) if i else []
    return deps


@st.composite
def digraphs(draw: st.DrawFn) -> dict[str, list[str]]:
    n = draw(st.integers(1, 25))
    names = [f"n{i}" for i in range(n)]
    return {name: draw(st.lists(st.sampled_from(names), max_size=3)) for name in names}


def _acyclic(deps: dict[str, list[str]]) -> bool:
    """An independent check: repeatedly remove nodes whose dependencies are all removed."""
    remaining = {n: {d for d in ds if d != n and d in deps} for n, ds in deps.items()}
    changed = True
    while changed:
        changed = False
        for node in [n for n, ds in remaining.items() if not ds]:
            del remaining[node]
            for ds in remaining.values():
                ds.discard(node)
            changed = True
    return not remaining


@FAST
@given(dags())
def test_levels_are_consistent_on_random_dags(deps: dict[str, list[str]]) -> None:
    g = Graph.build(deps)
    assert g.find_cycle() is None
    level = g.level_of
    assert sorted(level) == sorted(deps)
    for node, ds in g.deps.items():
        for dep in ds:
            assert level[node] > level[dep]  # every edge goes from a higher level to a lower one
        assert level[node] == (1 + max(level[d] for d in ds) if ds else 0)
    order = g.order()
    position = {n: i for i, n in enumerate(order)}
    assert all(position[d] < position[n] for n, ds in g.deps.items() for d in ds)
    path, weight = g.critical_path()
    assert weight == len(g.levels) == len(path)
    assert all(path[i] in g.deps[path[i + 1]] for i in range(len(path) - 1))


@FAST
@given(digraphs(), st.data())
def test_cycle_detection_finds_a_real_cycle(
    deps: dict[str, list[str]], data: st.DataObject
) -> None:
    if data.draw(st.booleans()) and len(deps) > 1:
        # plant a cycle through 2..n nodes
        ring = data.draw(
            st.lists(st.sampled_from(sorted(deps)), min_size=2, max_size=len(deps), unique=True)
        )
        for a, b in zip(ring, ring[1:] + ring[:1], strict=True):
            deps[a] = [*deps[a], b]
    g = Graph.build(deps)
    cycle = g.find_cycle()
    if _acyclic(deps):
        assert cycle is None
        return
    assert cycle is not None
    assert cycle[0] == cycle[-1] and len(cycle) >= 3
    assert len(set(cycle[:-1])) == len(cycle) - 1
    for a, b in itertools.pairwise(cycle):
        assert b in g.deps[a]
    try:
        g.require_acyclic()
    except GraphError as exc:
        assert exc.message == "dependency cycle: " + " -> ".join(cycle)
    else:
        raise AssertionError("require_acyclic accepted a cycle")
