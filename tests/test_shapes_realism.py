"""The shape corpus is real: what its builders write, real uv locks and builds, and a clean
install behaves as each shape says (tests/shapes; notes/real-workspaces.md).

Builds are the slow part, so every builder is built once through the shapes that hold it:
the two composites hold every builder but one, and ``batteries`` (plain plugins) and
``stale-pin`` are built alone. Every recipe is locked on its own (quick).
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.harness.gitrepo import git_out
from tests.shapes import COMPOSITES, RECIPES, Shape, build_shape
from tests.shapes.artifacts import build_every_member, clean_install, import_report, uv, wheel_metadata, wheel_names
from tests.shapes.plugins import MISSING_MODULE
from tests.shapes.tree import TEMPLATE_DIR
from tests.shapes.versions import HOOK_MEMBER, HOOK_REQUIREMENT, SLIM_MEMBER, VCS_TAG

BUILT = (*COMPOSITES, "batteries", "stale-pin")


@dataclass
class Built:
    shape: Shape
    files: dict[str, Path]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, shape_env: dict[str, str]) -> Callable[[str], Built]:
    """A fresh copy of the shape with every member built by `uv build --all-packages --no-sources`."""
    cache: dict[str, Built] = {}

    def get(name: str) -> Built:
        if name not in cache:
            base = tmp_path_factory.mktemp(f"built-{name}")
            shape = build_shape(name, base / "ws", shape_env)
            files = build_every_member(shape.root, base / "dist", shape_env)
            cache[name] = Built(shape, {f.name: f for f in files})
        return cache[name]

    return get


def lock_members(root: Path) -> list[str]:
    return sorted(tomllib.loads((root / "uv.lock").read_text(encoding="utf-8"))["manifest"]["members"])


def _builders(name: str) -> set[tuple[object, ...]]:
    """A recipe's builders, a partial() as its function and arguments."""
    return {(getattr(b, "func", b), *sorted(getattr(b, "keywords", {}).items())) for b in RECIPES[name]}


def test_every_shape_builder_is_in_a_built_shape() -> None:
    covered = set().union(*map(_builders, BUILT))
    missing = [name for name in RECIPES if name != "large" and not _builders(name) <= covered]
    assert not missing, f"no built shape holds these recipes' builders: {missing}"


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_every_shape_locks_with_exactly_its_members(name: str, shapes: Callable[[str], Shape],
                                                    shape_env: dict[str, str]) -> None:
    shape = shapes(name)  # the builder ran `uv lock` through the local index
    assert lock_members(shape.root) == sorted(shape.expected)  # no template, every sample
    uv("lock", "--check", cwd=shape.root, env=shape_env)
    assert git_out(shape.root, "status", "--porcelain") == ""


@pytest.mark.slow
@pytest.mark.parametrize("name", BUILT)
def test_members_build_to_the_backends_version_and_import(name: str, built: Callable[[str], Built],
                                                          shape_env: dict[str, str], tmp_path: Path) -> None:
    result = built(name)
    shape = result.shape
    for member in shape.expected.values():
        wheel = result.files.get(f"{member.wheel_prefix}-py3-none-any.whl")
        assert wheel is not None and f"{member.wheel_prefix}.tar.gz" in result.files, (member, sorted(result.files))
        metadata = wheel_metadata(wheel)
        assert (metadata["Name"], metadata["Version"]) == (member.name, member.version)
        folder = member.modules[0].replace(".", "/")
        names = wheel_names(wheel)
        assert f"{folder}/__init__.py" in names
        parents = [folder.rsplit("/", depth)[0] for depth in range(1, folder.count("/") + 1)]
        assert not [p for p in parents if f"{p}/__init__.py" in names], f"{member.name} is not a namespace"
    # Building dirtied nothing git sees: hatch-vcs would read a dirty tree as a dev version.
    assert git_out(shape.root, "status", "--porcelain") == ""
    wheels = {f.name.split("-")[0]: f for f in result.files.values() if f.suffix == ".whl"}
    conflicting = {m.wheel_prefix.split("-")[0] for m in shape.expected.values() if m.conflicts}
    python = clean_install(tmp_path / "venv", [w for k, w in wheels.items() if k not in conflicting], shape_env)
    for member in (m for m in shape.expected.values() if m.conflicts):
        with pytest.raises(AssertionError, match="No solution found") as refused:
            clean_install(tmp_path / f"venv-{member.name}", wheels.values(), shape_env)
        assert member.conflicts in str(refused.value)
    modules = [m for member in shape.expected.values() if not member.conflicts
               for m in (*member.modules, member.broken) if m]
    report = import_report(python, modules, shape_env)
    broken = {member.broken for member in shape.expected.values() if member.broken}
    assert {m: e for m, e in report.items() if e and m not in broken} == {}
    for module in broken:
        assert report[module] == f"ModuleNotFoundError: No module named '{MISSING_MODULE}'"


@pytest.mark.slow
def test_the_hook_writes_the_exact_slim_requirement_and_uv_locks_it(built: Callable[[str], Built]) -> None:
    result = built("composite-backends")
    pkg = next(f for n, f in result.files.items() if n.startswith(f"{HOOK_MEMBER}-") and n.endswith(".whl"))
    assert wheel_metadata(pkg).get_all("Requires-Dist") == [HOOK_REQUIREMENT]
    lock = tomllib.loads((result.shape.root / "uv.lock").read_text(encoding="utf-8"))
    entry = next(p for p in lock["package"] if p["name"] == HOOK_MEMBER)
    assert entry["dependencies"] == [{"name": SLIM_MEMBER, "extra": ["cli"]}]
    # ...while pkg's pyproject.toml names pkg-slim only in [tool.uv.sources].
    project = tomllib.loads(result.shape.pyproject(HOOK_MEMBER).read_text(encoding="utf-8"))
    assert "dependencies" not in project["project"] and SLIM_MEMBER in project["tool"]["uv"]["sources"]


@pytest.mark.slow
def test_the_vcs_version_is_the_members_own_tag(built: Callable[[str], Built]) -> None:
    root = built("composite-backends").shape.root
    assert git_out(root, "tag", "--points-at", "HEAD").split() == [VCS_TAG]


def test_the_template_is_jinja_that_no_member_glob_matches(shapes: Callable[[str], Shape]) -> None:
    shape = shapes("template")
    text = (shape.root / TEMPLATE_DIR / "pyproject.toml").read_text(encoding="utf-8")
    with pytest.raises(tomllib.TOMLDecodeError):
        tomllib.loads(text)
    assert "{% if" in text and "{{ cookiecutter.project_slug }}" in text
    assert TEMPLATE_DIR not in [m.path for m in shape.expected.values()]
