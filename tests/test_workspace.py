"""Workspace discovery: the root, member and exclude globs (uv semantics), package records.

The glob cases marked "uv:" were checked against real ``uv lock --offline`` (uv 0.13):
`test_member_globs_agree_with_real_uv` re-checks the non-error ones against uv itself.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from releasekit.errors import WorkspaceError
from releasekit.model.package import PRIVATE_CLASSIFIER, normalize
from releasekit.model.workspace import find_root, load_workspace
from tests.harness.cli import VENV_BIN, run_cli
from tests.harness.workspace import EXAMPLE, make_ws, member_toml, root_toml, write_tree

# --- the root ---------------------------------------------------------------------------


def test_example_workspace_loads() -> None:
    ws = load_workspace(EXAMPLE)
    assert ws.root == EXAMPLE.resolve()
    assert [p.name for p in ws.packages] == sorted(p.name for p in ws.packages)
    assert {p.name for p in ws.packages} == {
        "acme-api",
        "acme-cli",
        "acme-core",
        "acme-devtool",
        "acme-http",
        "acme-log",
        "acme-store",
    }
    assert ws.get("acme-http").internal_deps == ("acme-core", "acme-log")
    assert ws.get("ACME_HTTP").name == "acme-http"


def test_nearest_ancestor_root_from_a_deep_subdirectory() -> None:
    start = EXAMPLE / "packages" / "api" / "src" / "acme_api"
    assert find_root(start) == EXAMPLE.resolve()


def test_member_directory_is_not_mistaken_for_the_root() -> None:
    # packages/api has a pyproject.toml without [tool.uv.workspace]: keep going up.
    assert find_root(EXAMPLE / "packages" / "api") == EXAMPLE.resolve()


def test_nearest_of_two_nested_workspaces_wins(tmp_path: Path) -> None:
    outer = make_ws(tmp_path, {"packages/a": member_toml("a")})
    inner = make_ws(outer / "inner", {"packages/b": member_toml("b")})
    assert find_root(inner / "packages" / "b") == inner.resolve()
    assert [p.name for p in load_workspace(inner / "packages" / "b").packages] == ["b"]
    assert [p.name for p in load_workspace(outer / "packages").packages] == ["a"]


def test_no_workspace_anywhere(tmp_path: Path) -> None:
    write_tree(tmp_path, {"pyproject.toml": member_toml("x")})
    with pytest.raises(WorkspaceError) as info:
        find_root(tmp_path)
    assert info.value.code == "RK100"


def test_missing_start_directory(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError) as info:
        find_root(tmp_path / "nope")
    assert info.value.code == "RK100"


def test_workspace_option_selects_the_root(tmp_path: Path) -> None:
    from tests.harness.cli import run_cli

    ws = make_ws(tmp_path / "ws", {"packages/a": member_toml("a")})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    run = run_cli("--workspace", ws, "discover", "--format", "json", cwd=elsewhere)
    assert run.returncode == 0, run.stderr
    assert '"name": "a"' in run.stdout
    run = run_cli("discover", "-w", ws / "packages" / "a", cwd=elsewhere)
    assert run.returncode == 0, run.stderr


# --- member and exclude globs ------------------------------------------------------------


def _names(root: Path) -> list[str]:
    return sorted(p.relpath for p in load_workspace(root).packages)


def test_star_stays_in_one_directory(tmp_path: Path) -> None:
    # uv: `packages/*` does not reach packages/group/deep.
    make_ws(
        tmp_path,
        {"packages/a": member_toml("a"), "packages/group/deep": member_toml("deep")},
        root=root_toml(["packages/*", "packages/group/*"], exclude=["packages/group"]),
    )
    assert _names(tmp_path) == ["packages/a", "packages/group/deep"]


def test_star_matching_a_directory_with_files_but_no_pyproject_is_an_error(tmp_path: Path) -> None:
    # uv: "Workspace member `packages/x` is missing a `pyproject.toml`".
    make_ws(tmp_path, {"packages/a": member_toml("a"), "packages/x/deep": member_toml("deep")})
    with pytest.raises(WorkspaceError) as info:
        load_workspace(tmp_path)
    assert info.value.code == "RK117"
    assert "packages/x" in info.value.message


def test_double_star_recurses_but_excludes_its_base(tmp_path: Path) -> None:
    # uv: `packages/**` matches packages/a and packages/g/b, never `packages` itself,
    # even when `packages` is a package.
    make_ws(
        tmp_path,
        {
            "packages": member_toml("base"),
            "packages/a": member_toml("a"),
            "packages/g/b": member_toml("b"),
            "packages/g": member_toml("g"),
        },
        root=root_toml(["packages/**"]),
    )
    assert _names(tmp_path) == ["packages/a", "packages/g", "packages/g/b"]


def test_double_star_in_the_middle_matches_zero_or_more_directories(tmp_path: Path) -> None:
    # uv: `libs/**/pkg` matches libs/pkg and libs/x/pkg.
    make_ws(
        tmp_path,
        {"libs/pkg": member_toml("p1"), "libs/x/pkg": member_toml("p2")},
        root=root_toml(["libs/**/pkg"]),
    )
    assert _names(tmp_path) == ["libs/pkg", "libs/x/pkg"]


def test_star_matches_hidden_directories(tmp_path: Path) -> None:
    # uv: `packages/*` matches packages/.hidden when it is a package.
    make_ws(tmp_path, {"packages/a": member_toml("a"), "packages/.hidden": member_toml("h")})
    assert _names(tmp_path) == ["packages/.hidden", "packages/a"]


def test_hidden_directory_without_pyproject_is_skipped(tmp_path: Path) -> None:
    # uv: a hidden matched directory without pyproject.toml is ignored, whatever it holds.
    make_ws(tmp_path, {"packages/a": member_toml("a")})
    write_tree(tmp_path, {"packages/.cache/x.py": "x", "packages/.git/config": "x"})
    assert _names(tmp_path) == ["packages/a"]


def test_empty_directory_without_pyproject_is_skipped(tmp_path: Path) -> None:
    # uv: a matched directory holding no files (only empty directories) is ignored.
    make_ws(tmp_path, {"packages/a": member_toml("a")})
    (tmp_path / "packages" / "empty" / "sub" / "subsub").mkdir(parents=True)
    assert _names(tmp_path) == ["packages/a"]


@pytest.mark.parametrize(
    "stray", ["README.md", "sub/x.py", ".gitignore", "__pycache__/x.pyc", "empty"]
)
def test_directory_with_any_file_but_no_pyproject_is_an_error(tmp_path: Path, stray: str) -> None:
    # uv: even a lone `.gitignore` or an empty file makes the directory a broken member.
    make_ws(tmp_path, {"packages/a": member_toml("a")})
    write_tree(tmp_path, {f"packages/e/{stray}": ""})
    with pytest.raises(WorkspaceError) as info:
        load_workspace(tmp_path)
    assert info.value.code == "RK117"


def test_files_matched_by_a_member_glob_are_ignored(tmp_path: Path) -> None:
    # uv: only directories are members.
    make_ws(tmp_path, {"packages/a": member_toml("a")})
    write_tree(tmp_path, {"packages/NOTES.txt": "x"})
    assert _names(tmp_path) == ["packages/a"]


def test_exclude_literal_and_glob(tmp_path: Path) -> None:
    make_ws(
        tmp_path,
        {
            "packages/a": member_toml("a"),
            "packages/b1": member_toml("b1"),
            "packages/b2": member_toml("b2"),
            "packages/c": member_toml("c"),
        },
        root=root_toml(["packages/*"], exclude=["packages/b*", "packages/c"]),
    )
    assert _names(tmp_path) == ["packages/a"]


def test_exclude_removes_a_directory_without_pyproject(tmp_path: Path) -> None:
    # uv: an excluded directory is never inspected, so its missing pyproject.toml is fine.
    make_ws(
        tmp_path,
        {"packages/a": member_toml("a")},
        root=root_toml(["packages/*"], exclude=["packages/docs"]),
    )
    write_tree(tmp_path, {"packages/docs/index.md": "x"})
    assert _names(tmp_path) == ["packages/a"]


def test_exclude_star_also_excludes_hidden_members(tmp_path: Path) -> None:
    make_ws(
        tmp_path,
        {
            "packages/a": member_toml("a"),
            "packages/.h": member_toml("h"),
            "tools/t": member_toml("t"),
        },
        root=root_toml(["packages/*", "tools/*"], exclude=["packages/*"]),
    )
    assert _names(tmp_path) == ["tools/t"]


def test_exclude_double_star(tmp_path: Path) -> None:
    make_ws(
        tmp_path,
        {"packages/a": member_toml("a"), "libs/g/b": member_toml("b")},
        root=root_toml(["packages/*", "libs/*/*"], exclude=["libs/**"]),
    )
    assert _names(tmp_path) == ["packages/a"]


def test_nested_member_globs(tmp_path: Path) -> None:
    make_ws(
        tmp_path,
        {
            "libs/g1/a": member_toml("a"),
            "libs/g2/b": member_toml("b"),
            "plugins/x/sub/c": member_toml("c"),
        },
        root=root_toml(["libs/*/*", "plugins/*/sub/*"]),
    )
    assert _names(tmp_path) == ["libs/g1/a", "libs/g2/b", "plugins/x/sub/c"]


def test_question_mark_brackets_trailing_slash_dotdot_and_absolute(tmp_path: Path) -> None:
    make_ws(
        tmp_path,
        {
            "packages/a": member_toml("a"),
            "packages/bb": member_toml("bb"),
            "other/c": member_toml("c"),
            "x/d": member_toml("d"),
        },
        root=root_toml(
            ["packages/?", "packages/[b]b/", "packages/../other/*", f"{tmp_path.resolve()}/x/*"]
        ),
    )
    assert _names(tmp_path) == ["other/c", "packages/a", "packages/bb", "x/d"]


def test_the_same_member_through_two_globs_is_listed_once(tmp_path: Path) -> None:
    make_ws(
        tmp_path, {"packages/a": member_toml("a")}, root=root_toml(["packages/*", "packages/a"])
    )
    assert _names(tmp_path) == ["packages/a"]


def test_member_glob_matching_nothing_is_an_error(tmp_path: Path) -> None:
    # uv accepts this silently; releasekit refuses: a typo would drop packages from a release.
    make_ws(tmp_path, {"packages/a": member_toml("a")}, root=root_toml(["packages/*", "pakages/*"]))
    with pytest.raises(WorkspaceError) as info:
        load_workspace(tmp_path)
    assert info.value.code == "RK116"
    assert info.value.line == 2


def test_symlinked_member_directory(tmp_path: Path) -> None:
    make_ws(tmp_path, {"elsewhere/real": member_toml("real")})
    (tmp_path / "packages").mkdir()
    os.symlink("../elsewhere/real", tmp_path / "packages" / "real")
    assert [p.name for p in load_workspace(tmp_path).packages] == ["real"]


@pytest.mark.parametrize("kind", ["loop", "dangling"])
def test_member_glob_matching_a_broken_symlink_is_an_error(tmp_path: Path, kind: str) -> None:
    # uv: "failed to query metadata of file `packages/x`: Too many levels of symbolic links".
    make_ws(tmp_path, {"packages/a": member_toml("a")})
    if kind == "loop":
        os.symlink("y", tmp_path / "packages" / "x")
        os.symlink("x", tmp_path / "packages" / "y")
    else:
        os.symlink("nowhere", tmp_path / "packages" / "x")
    with pytest.raises(WorkspaceError) as info:
        load_workspace(tmp_path)
    assert info.value.code == "RK102"


def test_symlink_to_an_ancestor_does_not_loop_with_double_star(tmp_path: Path) -> None:
    make_ws(tmp_path, {"packages/a": member_toml("a")}, root=root_toml(["packages/**"]))
    os.symlink("..", tmp_path / "packages" / "a" / "up")
    with pytest.raises(WorkspaceError) as info:
        load_workspace(tmp_path)
    # packages/a/up -> packages: a directory with files but no pyproject.toml.
    assert info.value.code == "RK117"


@pytest.mark.parametrize("kind", ["loop", "directory"])
def test_unreadable_member_pyproject_is_an_error(tmp_path: Path, kind: str) -> None:
    # uv: "failed to read from file `packages/b/pyproject.toml`: Is a directory".
    make_ws(tmp_path, {"packages/a": member_toml("a")})
    (tmp_path / "packages" / "b").mkdir()
    target = tmp_path / "packages" / "b" / "pyproject.toml"
    if kind == "loop":
        os.symlink("pyproject.toml", target)
    else:
        target.mkdir()
    with pytest.raises(WorkspaceError) as info:
        load_workspace(tmp_path)
    assert info.value.code == "RK102"
    assert info.value.path is not None and info.value.path.name == "pyproject.toml"


def _uv_members(root: Path) -> list[str] | str:
    uv = VENV_BIN / "uv"
    env = {**os.environ, "UV_OFFLINE": "1", "UV_NO_CONFIG": "1", "UV_PYTHON_DOWNLOADS": "never"}
    proc = subprocess.run(
        [str(uv), "lock", "--offline"],
        cwd=root,
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )
    if proc.returncode != 0:
        return "error: " + proc.stderr.strip().splitlines()[-1]
    lock = (root / "uv.lock").read_text()
    (root / "uv.lock").unlink()
    block = re.search(r"\[manifest\]\s*members = \[(.*?)\]", lock, re.S)
    if block:
        return sorted(re.findall(r'"([^"]+)"', block.group(1)))
    return sorted(re.findall(r'^name = "([^"]+)"', lock, re.M))


def _rk_members(root: Path) -> list[str] | str:
    try:
        return sorted(p.name for p in load_workspace(root).packages)
    except WorkspaceError as exc:
        return f"error: {exc.code}"


CASES = {
    # name: (members, exclude, packages, stray files)
    "star": (["packages/*"], None, ["packages/a", "packages/b"], []),
    "hidden-member": (["packages/*"], None, ["packages/a", "packages/.h"], []),
    "hidden-no-pyproject": (["packages/*"], None, ["packages/a"], ["packages/.h/x.py"]),
    "double-star-self": (["packages/**"], None, ["packages", "packages/a"], []),
    "double-star-middle": (["libs/**/pkg"], None, ["libs/pkg", "libs/x/pkg"], []),
    "exclude-glob": (["packages/*"], ["packages/b*"], ["packages/a", "packages/b1"], []),
    "nested": (["libs/*/*"], None, ["libs/g1/a", "libs/g2/b"], []),
    "dotfile-only": (["packages/*"], None, ["packages/a"], ["packages/e/.gitignore"]),
    "stray-file": (["packages/*"], None, ["packages/a"], ["packages/e/sub/x.py"]),
    "file-match": (["packages/*"], None, ["packages/a"], ["packages/NOTES.txt"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_member_globs_agree_with_real_uv(tmp_path: Path, case: str) -> None:
    members, exclude, pkgs, stray = CASES[case]
    packages = {
        p: member_toml(re.sub(r"[^a-z0-9]+", "-", p.lower()).strip("-"), build_system=False)
        for p in pkgs
    }
    make_ws(tmp_path, packages, root=root_toml(members, exclude))
    write_tree(tmp_path, dict.fromkeys(stray, "x"))
    expected = _uv_members(tmp_path)
    got = _rk_members(tmp_path)
    if isinstance(expected, str):
        assert isinstance(got, str) and got.startswith("error"), (expected, got)
    else:
        assert got == expected


# --- root as a package, virtual root -------------------------------------------------------


def test_virtual_root_is_not_a_package() -> None:
    ws = load_workspace(EXAMPLE)
    assert not any(p.is_root for p in ws.packages)


def test_root_that_is_itself_a_package(tmp_path: Path) -> None:
    root = member_toml("app", "2.0.0", ["lib>=1"]) + "\n" + root_toml(["libs/*"], sources=["lib"])
    make_ws(tmp_path, {"libs/lib": member_toml("lib")}, root=root)
    ws = load_workspace(tmp_path)
    app = ws.get("app")
    assert app.is_root and app.relpath == "." and app.internal_deps == ("lib",)
    assert app.workspace_sources == ("lib",)
    # Members that list the root too (`.`) do not duplicate it.
    make_ws(tmp_path, {}, root=root.replace('members = ["libs/*"]', 'members = [".", "libs/*"]'))
    assert [p.name for p in load_workspace(tmp_path).packages] == ["app", "lib"]


def test_project_table_must_be_a_table_in_the_root(tmp_path: Path) -> None:
    make_ws(tmp_path, {"packages/a": member_toml("a")}, root='project = "x"\n' + root_toml())
    with pytest.raises(WorkspaceError) as info:
        load_workspace(tmp_path)
    assert info.value.code == "RK119"


# --- package records -----------------------------------------------------------------------


def test_names_are_normalized_and_declared_names_kept(tmp_path: Path) -> None:
    make_ws(
        tmp_path,
        {
            "packages/a": member_toml("My_Cool.Package"),
            "packages/b": member_toml("b", deps=["my-cool-package>=1"]),
        },
    )
    ws = load_workspace(tmp_path)
    pkg = ws.get("my-cool-package")
    assert pkg.declared_name == "My_Cool.Package" and pkg.name == "my-cool-package"
    assert ws.get("b").internal_deps == ("my-cool-package",)
    assert normalize("A__B..c") == "a-b-c"


def test_optional_dependencies_keep_extras_and_markers(tmp_path: Path) -> None:
    make_ws(
        tmp_path,
        {
            "packages/a": member_toml(
                "a",
                deps=["b[fast,json] >=1.0 ; python_version >= '3.10'", "requests>=2"],
                optional={
                    "tracing": ["c[otel]>=0.3; sys_platform != 'win32'"],
                    "all": ["a[tracing]"],
                },
            ),
            "packages/b": member_toml("b"),
            "packages/c": member_toml("c"),
        },
    )
    a = load_workspace(tmp_path).get("a")
    assert a.internal_deps == ("b",) and a.extra_deps == ("c",) and a.pin_targets == ("b", "c")
    by_name = {(d.name, d.section): d for d in a.dependencies}
    b = by_name["b", "dependencies"]
    assert (
        b.extras == ("fast", "json")
        and b.marker == 'python_version >= "3.10"'
        and b.specifier == ">=1.0"
    )
    assert b.internal and b.raw == "b[fast,json] >=1.0 ; python_version >= '3.10'"
    c = by_name["c", "optional-dependencies.tracing"]
    assert (
        c.extras == ("otel",)
        and c.marker == 'sys_platform != "win32"'
        and c.extra_group == "tracing"
    )
    assert not by_name["requests", "dependencies"].internal
    # A self-reference (a[tracing] inside a's extras) is not a dependency edge.
    assert [d.raw for d in a.self_references] == ["a[tracing]"]


def test_workspace_sources_root_and_member(tmp_path: Path) -> None:
    make_ws(
        tmp_path,
        {
            "packages/a": member_toml(
                "a",
                deps=["b", "c"],
                extra='[tool.uv.sources]\nc = { workspace = true }\nd = { path = "../d" }\n',
            ),
            "packages/b": member_toml("b"),
            "packages/c": member_toml("c"),
        },
        root=root_toml(sources=["B"]),
    )
    ws = load_workspace(tmp_path)
    assert ws.get("a").workspace_sources == ("b", "c")
    assert ws.get("b").workspace_sources == ("b",)


def test_private_classifier_and_virtual_packages(tmp_path: Path) -> None:
    make_ws(
        tmp_path,
        {
            "packages/private": member_toml("private", extra="").replace(
                "dependencies", f'classifiers = ["{PRIVATE_CLASSIFIER}"]\ndependencies'
            ),
            "packages/nobuild": member_toml("nobuild", build_system=False),
            "packages/nopkg": member_toml("nopkg", extra="[tool.uv]\npackage = false\n"),
            "packages/forced": member_toml(
                "forced", build_system=False, extra="[tool.uv]\npackage = true\n"
            ),
            "packages/public": member_toml("public"),
        },
    )
    ws = load_workspace(tmp_path)
    assert not ws.get("private").publishable and "Private" in ws.get("private").unpublishable_reason
    assert (
        not ws.get("nobuild").publishable
        and "build-system" in ws.get("nobuild").unpublishable_reason
    )
    assert not ws.get("nopkg").publishable
    assert ws.get("forced").publishable
    assert ws.get("public").publishable and ws.get("public").build_backend == "hatchling.build"


def test_dynamic_version_detected(tmp_path: Path) -> None:
    make_ws(
        tmp_path, {"packages/a": member_toml("a", version=None), "packages/b": member_toml("b")}
    )
    ws = load_workspace(tmp_path)
    assert ws.get("a").dynamic_version and ws.get("a").version is None
    assert not ws.get("b").dynamic_version


def test_version_both_static_and_dynamic_is_an_error(tmp_path: Path) -> None:
    text = member_toml("a").replace('version = "1.0.0"', 'version = "1.0.0"\ndynamic = ["version"]')
    make_ws(tmp_path, {"packages/a": text})
    with pytest.raises(WorkspaceError) as info:
        load_workspace(tmp_path)
    assert info.value.code == "RK112"


def test_metadata_kept_for_later_checks(tmp_path: Path) -> None:
    text = member_toml("a").replace(
        "dependencies",
        'description = "An A."\nlicense = {text = "MIT"}\nlicense-files = ["LICENSE"]\n'
        'readme = {file = "README.rst", content-type = "text/x-rst"}\nrequires-python = ">=3.11"\n'
        'authors = [{name = "x"}, {name = "y"}]\ndependencies',
    )
    make_ws(tmp_path, {"packages/a": text})
    a = load_workspace(tmp_path).get("a")
    assert (a.description, a.license, a.license_files) == ("An A.", "MIT", ("LICENSE",))
    assert (a.readme, a.readme_content_type, a.requires_python, a.authors) == (
        "README.rst",
        "text/x-rst",
        ">=3.11",
        2,
    )


def test_a_member_with_its_own_workspace_table_is_an_error(tmp_path: Path) -> None:
    # uv: "Nested workspaces are not supported, but workspace member has a `tool.uv.workspace`
    # table".
    make_ws(tmp_path, {"packages/a": member_toml("a", extra="[tool.uv.workspace]\nmembers = []\n")})
    with pytest.raises(WorkspaceError) as info:
        load_workspace(tmp_path)
    assert info.value.code == "RK118"
    assert info.value.path == (tmp_path / "packages" / "a" / "pyproject.toml").resolve()


def test_the_root_is_found_from_inside_a_template_directory(tmp_path: Path) -> None:
    """A cookiecutter template's pyproject.toml holds Jinja, not TOML; no member glob matches it,
    so it is never parsed as a member, and a command run inside it finds the root above."""
    make_ws(tmp_path, {"packages/a": member_toml("a")})
    template = tmp_path / "templates" / "{{cookiecutter.project_slug}}"
    template.mkdir(parents=True)
    (template / "pyproject.toml").write_text(
        '[project]\nname = "{{ cookiecutter.project_slug }}"\n{% if cookiecutter.typed %}\n'
        'classifiers = ["Typing :: Typed"]\n{% endif %}\n[tool.uv.sources]\ncore = { workspace = true }\n'
    )
    result = run_cli("discover", "--format", "json", cwd=template)
    assert result.returncode == 0, result.stderr
    assert [p["name"] for p in json.loads(result.stdout)["packages"]] == ["a"]


def test_a_broken_root_manifest_is_still_reported_from_below(tmp_path: Path) -> None:
    make_ws(tmp_path, {"packages/a": member_toml("a")})
    with (tmp_path / "pyproject.toml").open("a") as handle:
        handle.write("broken = [\n")
    result = run_cli("discover", cwd=tmp_path / "packages" / "a")
    assert result.returncode == 2 and result.stderr.startswith("error[RK101] ")
