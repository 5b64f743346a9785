"""`releasekit.model.layout`: the import packages each build backend ships, from its configuration,
and the same read from a built wheel (checked against real `uv build` in the slow test)."""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from pathlib import Path

import pytest

from releasekit.backends.uv import Uv
from releasekit.model.layout import ImportLayout, import_layout, wheel_import_packages
from releasekit.model.package import Package
from releasekit.model.workspace import load_workspace
from tests.harness.index import LocalIndex
from tests.harness.workspace import write_root

BACKENDS = {
    "hatchling": ('["hatchling"]', "hatchling.build"),
    "setuptools": ('["setuptools>=61"]', "setuptools.build_meta"),
    "flit": ('["flit_core>=3.4"]', "flit_core.buildapi"),
    "pdm": ('["pdm-backend"]', "pdm.backend"),
    "uv": ('["uv_build>=0.13,<0.14"]', "uv_build"),
    "maturin": ('["maturin>=1,<2"]', "maturin"),
    "poetry": ('["poetry-core"]', "poetry.core.masonry.api"),
}
NAMESPACE_PLUGIN = """
[tool.hatch.build.targets.wheel]
only-include = ["src/core/plugins/openai"]
sources = ["src"]
"""


def member(root: Path, relpath: str, name: str, backend: str, config: str = "", files: Iterable[str] = (),
           project: str = "") -> Package:
    """One member in workspace ``root``: pyproject.toml and empty ``files``; the parsed Package."""
    directory = root / relpath
    directory.mkdir(parents=True, exist_ok=True)
    requires, api = BACKENDS[backend]
    (directory / "pyproject.toml").write_text(
        f'[project]\nname = "{name}"\nversion = "0.1.0"\n{project}\n\n'
        f'[build-system]\nrequires = {requires}\nbuild-backend = "{api}"\n{config}\n',
        encoding="utf-8",
    )
    for file in files:
        (directory / file).parent.mkdir(parents=True, exist_ok=True)
        (directory / file).write_text('"""A module."""\n' if file.endswith(".py") else "", encoding="utf-8")
    if not (root / "pyproject.toml").exists():
        write_root(root, members=[relpath])
    return load_workspace(root).get(name)


def layout(tmp_path: Path, backend: str, config: str = "", files: Iterable[str] = (), *, name: str = "acme-core",
           project: str = "") -> ImportLayout:
    return import_layout(member(tmp_path / "ws", "m", name, backend, config, files, project))


def readable(found: ImportLayout) -> tuple[tuple[str, ...], tuple[str, ...]]:
    assert found.problem is None, found.problem
    return found.packages, found.namespaces


# --- hatchling ----------------------------------------------------------------------------------


def test_hatch_only_include_with_sources_is_a_namespace_plugin(tmp_path: Path) -> None:
    files = ["src/core/plugins/openai/__init__.py", "src/core/plugins/openai/py.typed", "src/core/README.md"]
    found = layout(tmp_path, "hatchling", NAMESPACE_PLUGIN, files, name="core-plugin-openai")
    assert readable(found) == (("core.plugins.openai",), ("core", "core.plugins"))
    assert found.paths["core.plugins.openai"] == tmp_path / "ws/m/src/core/plugins/openai"
    assert found.source == "hatch only-include"


def test_hatch_packages_descend_through_namespace_portions(tmp_path: Path) -> None:
    files = [
        "livekit/plugins/openai/__init__.py",
        "livekit/plugins/openai/llm/__init__.py",
        "livekit/plugins/tests/__init__.py",  # tests, caches and hidden dirs are never import packages
        "livekit/plugins/__pycache__/x.py",
        "livekit/.hidden/__init__.py",
        "livekit/plugins/nested-project/pyproject.toml",
    ]
    config = '[tool.hatch.build.targets.wheel]\npackages = ["livekit"]'
    found = layout(tmp_path, "hatchling", config, files, name="livekit-plugins-openai")
    assert readable(found) == (("livekit.plugins.openai",), ("livekit", "livekit.plugins"))
    assert found.source == "hatch packages"


def test_hatch_packages_strip_their_parent_and_build_level_keys_count(tmp_path: Path) -> None:
    config = '[tool.hatch.build]\npackages = ["src/acme", "src/extra.py"]'
    found = layout(tmp_path, "hatchling", config, ["src/acme/__init__.py", "src/extra.py", "src/other/__init__.py"])
    assert readable(found) == (("acme", "extra"), ())
    assert found.paths["extra"] == tmp_path / "ws/m/src/extra.py"


def test_hatch_target_options_win_over_build_options(tmp_path: Path) -> None:
    config = '[tool.hatch.build]\npackages = ["src/a"]\n[tool.hatch.build.targets.wheel]\npackages = ["src/b"]'
    assert readable(layout(tmp_path, "hatchling", config, ["src/a/__init__.py", "src/b/__init__.py"]))[0] == ("b",)


@pytest.mark.parametrize(
    ("files", "packages", "namespaces", "source"),
    [
        (["src/acme_core/__init__.py"], ("acme_core",), (), "hatch default (src/acme_core/)"),
        (["acme_core/__init__.py", "tests/__init__.py"], ("acme_core",), (), "hatch default (acme_core/)"),
        (["acme_core.py", "setup_helpers.py"], ("acme_core",), (), "hatch default (acme_core.py)"),
        (["ns/acme_core/__init__.py"], ("ns.acme_core",), ("ns",), "hatch default (ns/acme_core/)"),
    ],
)
def test_hatch_default_file_selection(tmp_path: Path, files: list[str], packages: tuple[str, ...],
                                      namespaces: tuple[str, ...], source: str) -> None:
    found = layout(tmp_path, "hatchling", "", files)
    assert readable(found) == (packages, namespaces) and found.source == source


def test_hatch_sources_table_force_include_and_exclude(tmp_path: Path) -> None:
    config = """
[tool.hatch.build.targets.wheel]
only-include = ["lib", "gen"]
sources = { "lib" = "acme", "gen" = "acme_gen" }
exclude = ["/lib/legacy"]
force-include = { "tools/cli.py" = "acme_cli.py" }
"""
    files = ["lib/__init__.py", "lib/legacy/__init__.py", "gen/__init__.py", "tools/cli.py"]
    found = layout(tmp_path, "hatchling", config, files)
    assert readable(found) == (("acme", "acme_cli", "acme_gen"), ())
    assert found.paths["acme"] == tmp_path / "ws/m/lib"


def test_hatch_include_patterns_and_bypass_selection(tmp_path: Path) -> None:
    config = '[tool.hatch.build.targets.wheel]\ninclude = ["/acme/**", "*.py"]'
    found = layout(tmp_path, "hatchling", config, ["acme/__init__.py", "tool.py", "docs/conf/x.txt"])
    assert readable(found) == (("acme", "tool"), ()) and found.source == "hatch include"
    meta = layout(tmp_path / "meta", "hatchling", "[tool.hatch.build.targets.wheel]\nbypass-selection = true")
    assert readable(meta) == ((), ())


def test_hatch_without_a_match_is_a_problem_then_a_guess(tmp_path: Path) -> None:
    found = layout(tmp_path, "hatchling", "", ["src/elsewhere/__init__.py"])
    assert found.problem is not None and "hatchling finds no package named acme_core" in found.problem
    assert found.packages == ("elsewhere",)  # best effort, so a check can still say what it saw


def test_project_import_names_settle_an_unreadable_layout(tmp_path: Path) -> None:
    project = 'import-names = ["core.plugins.openai"]'
    files = ["src/core/plugins/openai/__init__.py"]
    found = layout(tmp_path, "hatchling", "", files, name="core-plugin-openai", project=project)
    assert readable(found) == (("core.plugins.openai",), ("core", "core.plugins"))
    assert found.source == "[project] import-names"


def test_a_configured_path_that_does_not_exist_is_a_problem(tmp_path: Path) -> None:
    found = layout(tmp_path, "hatchling", NAMESPACE_PLUGIN, ["src/core/plugins/other/__init__.py"])
    assert found.problem == "hatch only-include names src/core/plugins/openai, which does not exist"


# --- setuptools ---------------------------------------------------------------------------------


def test_setuptools_find_with_namespaces_in_src(tmp_path: Path) -> None:
    config = '[tool.setuptools.packages.find]\nwhere = ["src"]'
    files = ["src/core/plugins/x/__init__.py", "src/core/plugins/x/sub/__init__.py", "src/core/plugins/helper.py"]
    found = layout(tmp_path, "setuptools", config, files)
    assert readable(found) == (("core.plugins.helper", "core.plugins.x"), ("core", "core.plugins"))
    assert found.source == "setuptools packages.find"


def test_setuptools_find_without_namespaces_and_with_filters(tmp_path: Path) -> None:
    files = ["src/core/plugins/x/__init__.py", "src/acme/__init__.py", "src/acme/tests/__init__.py",
             "src/other/__init__.py"]
    plain = '[tool.setuptools.packages.find]\nwhere = ["src"]\nnamespaces = false\ninclude = ["acme*"]'
    assert readable(layout(tmp_path / "a", "setuptools", plain, files))[0] == ("acme",)
    only_core = '[tool.setuptools.packages.find]\nwhere = ["src"]\nnamespaces = false\ninclude = ["core*"]'
    assert layout(tmp_path / "b", "setuptools", only_core, files).problem == (
        "setuptools packages.find selects no Python package or module"
    )


def test_setuptools_explicit_packages_package_dir_and_py_modules(tmp_path: Path) -> None:
    config = """
[tool.setuptools]
packages = ["acme.sub", "agent_framework.lab.gaia"]
py-modules = ["single_module"]
package-dir = { "" = "src", "agent_framework.lab.gaia" = "gaia/agent_framework/lab/gaia" }
"""
    files = ["src/acme/__init__.py", "src/acme/sub/__init__.py", "src/single_module.py",
             "gaia/agent_framework/lab/gaia/__init__.py"]
    found = layout(tmp_path, "setuptools", config, files)
    # acme/__init__.py is not listed, so the wheel has acme/ as a namespace portion
    assert readable(found) == (
        ("acme.sub", "agent_framework.lab.gaia", "single_module"),
        ("acme", "agent_framework", "agent_framework.lab"),
    )
    assert found.paths["agent_framework.lab.gaia"] == tmp_path / "ws/m/gaia/agent_framework/lab/gaia"


@pytest.mark.parametrize(
    ("files", "packages", "source"),
    [
        (["src/acme/__init__.py", "src/helper.py"], ("acme", "helper"), "setuptools src-layout"),
        (["acme/__init__.py", "tests/__init__.py", "docs/conf.py", "noxfile.py"], ("acme",), "setuptools flat-layout"),
    ],
)
def test_setuptools_automatic_discovery(tmp_path: Path, files: list[str], packages: tuple[str, ...],
                                        source: str) -> None:
    found = layout(tmp_path, "setuptools", "", files)
    assert readable(found)[0] == packages and found.source == source


def test_setuptools_flat_layout_with_two_packages_or_a_setup_py_is_a_problem(tmp_path: Path) -> None:
    two = layout(tmp_path / "a", "setuptools", "", ["acme/__init__.py", "assets/__init__.py"])
    assert two.problem is not None and "several top-level packages or modules (acme, assets)" in two.problem
    legacy = layout(tmp_path / "b", "setuptools", "", ["src/acme/__init__.py", "setup.py"])
    assert legacy.problem == "setup.py may list the packages, and releasekit reads only pyproject.toml"


# --- flit, pdm, uv_build, maturin, others -------------------------------------------------------


def test_flit_default_dotted_and_ambiguous_modules(tmp_path: Path) -> None:
    found = layout(tmp_path / "a", "flit", "", ["acme_core/__init__.py"])
    assert readable(found)[0] == ("acme_core",) and found.source == "flit default (acme_core)"
    dotted = layout(tmp_path / "b", "flit", '[tool.flit.module]\nname = "core.plugins.x"',
                    ["src/core/plugins/x/__init__.py"])
    assert readable(dotted) == (("core.plugins.x",), ("core", "core.plugins"))
    both = layout(tmp_path / "c", "flit", "", ["acme_core.py", "src/acme_core/__init__.py"])
    assert both.problem is not None and "several candidates (acme_core.py, src/acme_core)" in both.problem


def test_pdm_default_package_dir_and_includes(tmp_path: Path) -> None:
    found = layout(tmp_path / "a", "pdm", "", ["src/acme/__init__.py", "src/core/x/__init__.py"])
    assert readable(found)[0] == ("acme",)  # pdm's default finds regular packages only
    config = '[tool.pdm.build]\nincludes = ["src/core"]'
    namespace = layout(tmp_path / "b", "pdm", config, ["src/core/plugins/x/__init__.py"])
    assert readable(namespace) == (("core.plugins.x",), ("core", "core.plugins"))


def test_uv_build_module_name_root_namespace_and_missing(tmp_path: Path) -> None:
    assert readable(layout(tmp_path / "a", "uv", "", ["src/acme_core/__init__.py"]))[0] == ("acme_core",)
    config = '[tool.uv.build-backend]\nmodule-name = ["core.plugins.x", "other"]\nmodule-root = ""'
    found = layout(tmp_path / "b", "uv", config, ["core/plugins/x/__init__.py", "other/__init__.py"])
    assert readable(found) == (("core.plugins.x", "other"), ("core", "core.plugins"))
    config = '[tool.uv.build-backend]\nmodule-name = "core"\nnamespace = true'
    files = ["src/core/plugins/x/__init__.py", "src/core/y/__init__.py", "src/core/m.py"]
    assert readable(layout(tmp_path / "c", "uv", config, files))[0] == ("core.m", "core.plugins.x", "core.y")
    missing = layout(tmp_path / "d", "uv", "", ["src/acme/__init__.py"])
    assert missing.problem == "uv_build expects src/acme_core/__init__.py, which does not exist: its build fails"


def test_maturin_python_source_and_native_only(tmp_path: Path) -> None:
    config = '[tool.maturin]\npython-source = "python"\nmodule-name = "acme._native"'
    found = layout(tmp_path / "a", "maturin", config, ["python/acme/__init__.py"])
    assert readable(found)[0] == ("acme",) and found.paths["acme"] == tmp_path / "a/ws/m/python/acme"
    native = layout(tmp_path / "b", "maturin", '[tool.maturin]\nmodule-name = "acme_rs"')
    assert readable(native) == (("acme_rs",), ()) and "acme_rs" not in native.paths


def test_an_unknown_backend_is_a_guess_with_a_problem(tmp_path: Path) -> None:
    found = layout(tmp_path, "poetry", "", ["src/acme/__init__.py"])
    assert found.packages == ("acme",) and found.source == "a scan of src/"
    assert found.problem == "releasekit does not read the configuration of 'poetry.core.masonry.api'"


# --- wheels -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["core/plugins/openai/__init__.py", "core/plugins/openai/py.typed", "core/plugins/openai/x/__init__.py"],
         ("core.plugins.openai",)),
        (["a/__init__.py", "a/b.py", "mod.py", "x-1.0.dist-info/METADATA", "x-1.0.data/scripts/tool.py"],
         ("a", "mod")),
        (["pkg/__init__.py", "pkg/_native.cpython-311-x86_64-linux-gnu.so"], ("pkg",)),
        (["_speedups.cpython-311-x86_64-linux-gnu.so", "fast.abi3.so", "win.cp311-win_amd64.pyd"],
         ("_speedups", "fast", "win")),
        (["ns/helper.py", "ns/sub/__init__.py", "ns/README.md", "core/", "bad-name/__init__.py"],
         ("ns.helper", "ns.sub")),
    ],
)
def test_wheel_import_packages(names: list[str], expected: tuple[str, ...]) -> None:
    assert wheel_import_packages(names) == expected


@pytest.mark.slow
def test_real_uv_builds_ship_exactly_the_layout(tmp_path: Path, local_index: LocalIndex,
                                                uv_env: dict[str, str]) -> None:
    root = tmp_path / "ws"
    write_root(root, members=["plugins/*"])
    readme = 'readme = "README.md"'
    members = [
        member(root, "plugins/openai", "core-plugin-openai", "hatchling", NAMESPACE_PLUGIN,
               ["src/core/plugins/openai/__init__.py", "src/core/plugins/openai/py.typed", "README.md"], readme),
        member(root, "plugins/tools", "core-plugin-tools", "setuptools",
               '[tool.setuptools.packages.find]\nwhere = ["src"]',
               ["src/core/plugins/tools/__init__.py", "src/core/plugins/tools/api.py", "src/core/util.py"]),
        member(root, "plugins/eval", "core-plugin-eval", "uv",
               '[tool.uv.build-backend]\nmodule-name = "core.plugins.evaluators"',
               ["src/core/plugins/evaluators/__init__.py", "src/core/plugins/evaluators/py.typed"]),
    ]
    uv = Uv()
    for pkg in members:
        found = import_layout(pkg)
        assert found.problem is None, found.problem
        out = tmp_path / "dist" / pkg.name
        wheel = next(p for p in uv.build(pkg.path, out, cwd=root) if p.suffix == ".whl")
        with zipfile.ZipFile(wheel) as archive:
            assert wheel_import_packages(archive.namelist()) == found.packages, pkg.name
    assert import_layout(members[1]).packages == ("core.plugins.tools", "core.util")
