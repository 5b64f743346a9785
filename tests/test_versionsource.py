"""Where a version lives, for every build backend's way of computing one (files on disk, no subprocess)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from releasekit.errors import VersionError
from releasekit.model.package import Package
from releasekit.model.versionsource import read_file_version, replace_file_version, version_source
from releasekit.model.workspace import load_workspace
from tests.harness.workspace import root_toml, write_tree

HATCH = '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
SETUPTOOLS = '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n'
DYNAMIC = '[project]\nname = "acme-pkg"\ndynamic = ["version"]\n'


def member(tmp_path: Path, pyproject: str, files: Mapping[str, str] | None = None) -> Package:
    """The one member of a fresh workspace, as releasekit reads it."""
    tree = {"pyproject.toml": root_toml(["pkg"]), "pkg/pyproject.toml": pyproject}
    tree.update({f"pkg/{rel}": text for rel, text in (files or {}).items()})
    write_tree(tmp_path, tree)
    return load_workspace(tmp_path).get("acme-pkg")


def test_static_version_is_replaced_in_the_project_table_only(tmp_path: Path) -> None:
    text = '[project]\nname = "acme-pkg"\nversion = "1.2.0"  # keep me\n\n[tool.x]\nversion = "9"\n' + HATCH
    pkg = member(tmp_path, text)
    source = version_source(pkg)
    assert (source.kind, source.tool, source.path) == ("static", "pyproject", pkg.manifest)
    assert read_file_version(source) == "1.2.0"
    assert replace_file_version(source, text, "1.3.0") == text.replace('"1.2.0"', '"1.3.0"')
    assert source.describe() == "version in pyproject.toml (pyproject)"


def test_hatch_path_with_the_default_pattern(tmp_path: Path) -> None:
    about = '"""About."""\n\nVERSION = "v0.4.1"\n__all__ = ["VERSION"]\n'
    pkg = member(tmp_path, DYNAMIC + HATCH + '[tool.hatch.version]\npath = "src/acme/__about__.py"\n',
                 {"src/acme/__about__.py": about})
    source = version_source(pkg)
    assert (source.kind, source.tool) == ("file", "hatch path")
    assert source.path == pkg.path / "src/acme/__about__.py"
    assert source.describe() == "version in src/acme/__about__.py (hatch path)"
    assert read_file_version(source) == "0.4.1"  # hatch drops a leading v
    assert replace_file_version(source, about, "0.5.0") == about.replace("v0.4.1", "v0.5.0")


def test_hatch_path_with_a_custom_pattern(tmp_path: Path) -> None:
    config = "[tool.hatch.version]\npath = \"version.txt\"\npattern = \"release: (?P<version>[0-9.]+)\"\n"
    pkg = member(tmp_path, DYNAMIC + HATCH + config, {"version.txt": "name: acme\nrelease: 2.0.1\n"})
    source = version_source(pkg)
    assert read_file_version(source) == "2.0.1"
    assert replace_file_version(source, "release: 2.0.1\n", "2.1.0") == "release: 2.1.0\n"


def test_a_file_without_the_version_is_rk144_naming_the_file(tmp_path: Path) -> None:
    pkg = member(tmp_path, DYNAMIC + HATCH + '[tool.hatch.version]\npath = "acme/v.py"\n',
                 {"acme/v.py": "# nothing here\n"})
    source = version_source(pkg)
    assert read_file_version(source) is None
    with pytest.raises(VersionError) as caught:
        replace_file_version(source, "# nothing here\n", "1.0.0")
    assert caught.value.code == "RK144"
    assert caught.value.path == pkg.path / "acme/v.py"
    assert "acme/v.py (hatch path)" in caught.value.message


@pytest.mark.parametrize(("config", "kind", "tool"), [
    ('[tool.hatch.version]\nsource = "vcs"\n', "vcs", "hatch-vcs"),
    ('[tool.hatch.version]\nsource = "uv-dynamic-versioning"\n', "vcs", "uv-dynamic-versioning"),
    ('[tool.hatch.version]\nsource = "code"\npath = "v.py"\n', "backend", "hatch code"),
    ('[tool.hatch.version]\nsource = "env"\nvariable = "V"\n', "backend", "hatch env"),
])
def test_hatch_sources_that_are_not_a_file(tmp_path: Path, config: str, kind: str, tool: str) -> None:
    source = version_source(member(tmp_path, DYNAMIC + HATCH + config))
    assert (source.kind, source.tool, source.path) == (kind, tool, None)


def test_git_derived_versions_cannot_be_written(tmp_path: Path) -> None:
    pkg = member(tmp_path, DYNAMIC + HATCH + '[tool.hatch.version]\nsource = "vcs"\n')
    source = version_source(pkg)
    assert source.describe() == "version from git tags (hatch-vcs)"
    assert read_file_version(source) is None
    with pytest.raises(VersionError) as caught:
        replace_file_version(source, "", "1.0.0")
    assert caught.value.code == "RK144"
    assert caught.value.path == pkg.manifest
    assert "release tag" in caught.value.hint


@pytest.mark.parametrize(("layout", "package_dir", "where"), [
    ({"acme/__init__.py": '__version__ = "3.1.0"\n'}, "", "acme/__init__.py"),
    ({"src/acme/__init__.py": '__version__: str = "3.1.0"\n'}, "", "src/acme/__init__.py"),
    ({"lib/acme/__init__.py": "__version__ = '3.1.0'\n"}, '[tool.setuptools]\npackage-dir = {"" = "lib"}\n',
     "lib/acme/__init__.py"),
    ({"code/__init__.py": '__version__ = "3.1.0"\n'}, '[tool.setuptools.package-dir]\nacme = "code"\n',
     "code/__init__.py"),
    ({"src/acme/__init__.py": "from ._version import __version__ as __version__\n",
      "src/acme/_version.py": 'VERSION = "x"\n__version__ = "3.1.0"\n'}, "", "src/acme/_version.py"),
    ({"acme/__init__.py": "from acme.meta import RELEASE as __version__\n",
      "acme/meta.py": 'RELEASE = "3.1.0"\n'}, "", "acme/meta.py"),
])
def test_setuptools_attr_finds_the_module_file(
    tmp_path: Path, layout: dict[str, str], package_dir: str, where: str
) -> None:
    config = '[tool.setuptools.dynamic]\nversion = {attr = "acme.__version__"}\n' + package_dir
    source = version_source(member(tmp_path, DYNAMIC + SETUPTOOLS + config, layout))
    assert (source.kind, source.tool, source.relpath) == ("file", "setuptools attr", where)
    assert read_file_version(source) == "3.1.0"
    assert source.path is not None
    source.path.write_text(replace_file_version(source, source.path.read_text(), "3.2.0"))
    assert read_file_version(source) == "3.2.0"


def test_setuptools_attr_of_a_module_that_does_not_exist_is_backend(tmp_path: Path) -> None:
    config = '[tool.setuptools.dynamic]\nversion = {attr = "nowhere.__version__"}\n'
    source = version_source(member(tmp_path, DYNAMIC + SETUPTOOLS + config))
    assert (source.kind, source.tool) == ("backend", "setuptools attr")


def test_setuptools_file(tmp_path: Path) -> None:
    config = '[tool.setuptools.dynamic]\nversion = {file = "VERSION"}\n'
    source = version_source(member(tmp_path, DYNAMIC + SETUPTOOLS + config, {"VERSION": "0.9.0\n"}))
    assert (source.kind, source.tool, source.relpath) == ("file", "setuptools file", "VERSION")
    assert read_file_version(source) == "0.9.0"
    assert replace_file_version(source, "0.9.0\n", "1.0.0") == "1.0.0\n"


@pytest.mark.parametrize(("requires", "extra"), [
    ('["setuptools>=64", "setuptools-scm>=8"]', ""),
    ('["setuptools>=64", "setuptools_scm[toml]"]', ""),
    ('["setuptools>=64"]', "[tool.setuptools_scm]\n"),
])
def test_setuptools_scm(tmp_path: Path, requires: str, extra: str) -> None:
    build = f'[build-system]\nrequires = {requires}\nbuild-backend = "setuptools.build_meta"\n'
    source = version_source(member(tmp_path, DYNAMIC + build + extra))
    assert (source.kind, source.tool) == ("vcs", "setuptools-scm")


def test_setuptools_without_a_dynamic_table_is_setup_py(tmp_path: Path) -> None:
    source = version_source(member(tmp_path, DYNAMIC + SETUPTOOLS))
    assert (source.kind, source.tool) == ("backend", "setuptools setup.py")
    assert source.describe() == "version computed by the build backend (setuptools setup.py)"


def test_no_build_system_means_setuptools(tmp_path: Path) -> None:
    config = '[tool.setuptools.dynamic]\nversion = {file = "VERSION"}\n'
    source = version_source(member(tmp_path, DYNAMIC + config, {"VERSION": "1.0\n"}))
    assert (source.kind, source.tool) == ("file", "setuptools file")


PDM = '[build-system]\nrequires = ["pdm-backend"]\nbuild-backend = "pdm.backend"\n'


def test_pdm_file_and_scm(tmp_path: Path) -> None:
    config = '[tool.pdm.version]\nsource = "file"\npath = "src/acme/__init__.py"\n'
    source = version_source(member(tmp_path, DYNAMIC + PDM + config, {"src/acme/__init__.py": '__version__ = "4.0"\n'}))
    assert (source.kind, source.tool, read_file_version(source)) == ("file", "pdm file", "4.0")
    scm = version_source(member(tmp_path / "b", DYNAMIC + PDM + '[tool.pdm.version]\nsource = "scm"\n'))
    assert (scm.kind, scm.tool) == ("vcs", "pdm scm")


FLIT = '[build-system]\nrequires = ["flit_core>=3.4"]\nbuild-backend = "flit_core.buildapi"\n'


def test_flit_module_version(tmp_path: Path) -> None:
    source = version_source(member(tmp_path, DYNAMIC + FLIT, {"acme_pkg.py": '"""Doc."""\n__version__ = "0.3"\n'}))
    assert (source.kind, source.tool, source.relpath) == ("file", "flit module", "acme_pkg.py")
    assert read_file_version(source) == "0.3"
    named = version_source(member(tmp_path / "b", DYNAMIC + FLIT + '[tool.flit.module]\nname = "acme"\n',
                                  {"src/acme/__init__.py": '__version__ = "0.4"\n'}))
    assert (named.relpath, read_file_version(named)) == ("src/acme/__init__.py", "0.4")


def test_maturin_cargo_toml(tmp_path: Path) -> None:
    build = '[build-system]\nrequires = ["maturin>=1"]\nbuild-backend = "maturin"\n'
    cargo = '[package]\nname = "acme"\nversion = "0.7.2"\n\n[dependencies]\nserde = { version = "1" }\n'
    source = version_source(member(tmp_path, DYNAMIC + build, {"Cargo.toml": cargo}))
    assert (source.kind, source.tool, source.relpath) == ("file", "maturin Cargo.toml", "Cargo.toml")
    assert read_file_version(source) == "0.7.2"
    assert replace_file_version(source, cargo, "0.8.0") == cargo.replace('"0.7.2"', '"0.8.0"')


def test_uv_build_and_unknown_backends_compute_it(tmp_path: Path) -> None:
    build = '[build-system]\nrequires = ["uv_build"]\nbuild-backend = "uv_build"\n'
    assert version_source(member(tmp_path, DYNAMIC + build)).kind == "backend"
    other = '[build-system]\nrequires = ["mesonpy"]\nbuild-backend = "mesonpy"\n'
    source = version_source(member(tmp_path / "b", DYNAMIC + other))
    assert (source.kind, source.tool) == ("backend", "mesonpy")
