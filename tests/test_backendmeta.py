"""The metadata build backends compute, asked the way uv asks: real uv, real backends from the
local index, real git tags. Every test builds a small workspace in tmp_path."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from releasekit.model import pep517
from releasekit.model.backendmeta import backend_metadata
from releasekit.model.metaresult import BuiltMetadata, MetadataFailure, metadata_error
from releasekit.model.workspace import Workspace, load_workspace
from tests.harness.gitrepo import git
from tests.harness.workspace import root_toml, write_tree

pytestmark = pytest.mark.slow



def build_system(*requires: str, backend: str = "hatchling.build", backend_path: str = "") -> str:
    text = "[build-system]\nrequires = [" + ", ".join(f'"{r}"' for r in requires) + f']\nbuild-backend = "{backend}"\n'
    return text + (f'backend-path = ["{backend_path}"]\n' if backend_path else "")


HATCH = build_system("hatchling")


def project(name: str, *, version: str | None = None, deps: tuple[str, ...] = (), dynamic: tuple[str, ...] = ()) -> str:
    lines = ["[project]", f'name = "{name}"']
    if version:
        lines.append(f'version = "{version}"')
    if not dynamic or "dependencies" not in dynamic:
        lines.append("dependencies = [" + ", ".join(f'"{d}"' for d in deps) + "]")
    if dynamic:
        lines.append("dynamic = [" + ", ".join(f'"{d}"' for d in dynamic) + "]")
    return "\n".join(lines) + "\n"


def workspace(base: Path, members: Mapping[str, Mapping[str, str]]) -> Workspace:
    """``members`` maps a member directory to its files (pyproject.toml included)."""
    tree = {"pyproject.toml": root_toml(list(members))}
    for rel, files in members.items():
        tree.update({f"{rel}/{name}": text for name, text in files.items()})
    write_tree(base, tree)
    return load_workspace(base)


def metadata(ws: Workspace, **options: object) -> dict[str, BuiltMetadata | MetadataFailure]:
    return backend_metadata(ws.packages, root=ws.root, state_dir=ws.state_dir,
                            member_dirs=[p.path for p in ws.packages], **options)  # type: ignore[arg-type]


def environments(ws: Workspace) -> list[Path]:
    return [p for p in (ws.state_dir / "metadata" / "envs").iterdir() if p.is_dir()]


def built(outcome: BuiltMetadata | MetadataFailure) -> BuiltMetadata:
    assert isinstance(outcome, BuiltMetadata), outcome
    return outcome


@pytest.fixture
def hook_runs(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The members of every hook process started (through the real runner)."""
    calls: list[list[str]] = []
    real = pep517.run_hooks

    def counting(env: pep517.BuildEnv, system: pep517.BuildSystem, jobs: list[pep517.HookJob],
                 **kwargs: object) -> dict[str, pep517.HookResult]:
        calls.append([j.name for j in jobs])
        return real(env, system, jobs, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("releasekit.model.backendmeta.run_hooks", counting)
    return calls


def refuse(*args: object, **kwargs: object) -> None:
    raise AssertionError(f"a process was started: {args}")


def test_hatchling_static_path_and_templated_dependencies_share_one_env(
    tmp_path: Path, uv_env: dict[str, str], hook_runs: list[list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    hook = (
        "from hatchling.metadata.plugin.interface import MetadataHookInterface\n\n"
        "class CustomMetadataHook(MetadataHookInterface):\n"
        "    def update(self, metadata):\n"
        '        metadata["dependencies"] = ["corepkg==" + metadata["version"]]\n'
        '        metadata["optional-dependencies"] = {"cli": ["acme-cli[rich]==" + metadata["version"]]}\n'
    )
    ws = workspace(tmp_path, {
        "core": {"pyproject.toml": project("corepkg", version="1.4.0", deps=("httpx>=0.27",)) + HATCH,
                 "corepkg/__init__.py": ""},
        "about": {"pyproject.toml": project("acme-about", dynamic=("version",)) + HATCH
                  + '[tool.hatch.version]\npath = "acme_about/__about__.py"\n',
                  "acme_about/__init__.py": "", "acme_about/__about__.py": '__version__ = "0.9.3"\n'},
        "meta": {"pyproject.toml": project("acme-meta", dynamic=("version", "dependencies", "optional-dependencies"))
                 + HATCH + '[tool.hatch.version]\npath = "acme_meta/__init__.py"\n'
                 + "[tool.hatch.metadata.hooks.custom]\n",
                 "hatch_build.py": hook, "acme_meta/__init__.py": '__version__ = "2.0.0"\n'},
    })
    found = metadata(ws)
    assert built(found["corepkg"]) == BuiltMetadata("corepkg", "1.4.0", ("httpx>=0.27",), ())
    assert built(found["acme-about"]).version == "0.9.3"
    meta = built(found["acme-meta"])
    assert meta.version == "2.0.0"
    assert meta.requires_dist == ("corepkg==2.0.0", "acme-cli[rich]==2.0.0; extra == 'cli'")
    assert meta.provides_extra == ("cli",)
    assert hook_runs == [["acme-about", "acme-meta", "corepkg"]]  # one env, one process
    assert len(environments(ws)) == 1

    with monkeypatch.context() as patched:
        patched.setattr(subprocess, "run", refuse)
        patched.setattr(subprocess, "Popen", refuse)
        assert metadata(ws) == found, "a warm call starts no process at all"

    (tmp_path / "about/acme_about/__about__.py").write_text('__version__ = "0.9.4"\n')
    again = metadata(ws)
    assert built(again["acme-about"]).version == "0.9.4"
    assert hook_runs[1:] == [["acme-about"]], "only the edited member is asked again"


def tagged_repo(path: Path, tag: str) -> None:
    git(path, "init", "-q", "-b", "main")
    git(path, "add", "-A")
    git(path, "commit", "-qm", "initial")
    git(path, "tag", tag)


def test_versions_from_git_tags(
    tmp_path: Path, uv_env: dict[str, str], git_env: dict[str, str], hook_runs: list[list[str]]
) -> None:
    ws = workspace(tmp_path, {
        "vcs": {"pyproject.toml": project("acme-vcs", dynamic=("version",))
                + build_system("hatchling", "hatch-vcs")
                + '[tool.hatch.version]\nsource = "vcs"\nraw-options = { root = ".." }\n', "acme_vcs/__init__.py": ""},
        "scm": {"pyproject.toml": project("acme-scm", dynamic=("version",))
                + build_system("setuptools>=64", "setuptools-scm>=8", backend="setuptools.build_meta")
                + '[tool.setuptools_scm]\nroot = ".."\n[tool.setuptools]\npackages = []\n'},
        "udv": {"pyproject.toml": project("acme-udv", dynamic=("version", "dependencies"))
                + build_system("hatchling", "uv-dynamic-versioning")
                + '[tool.hatch.version]\nsource = "uv-dynamic-versioning"\n'
                "[tool.hatch.metadata.hooks.uv-dynamic-versioning]\n"
                'dependencies = ["acme-vcs=={{ version }}"]\n',
                "acme_udv/__init__.py": ""},
    })
    (tmp_path / ".gitignore").write_text(".releasekit/\n*.egg-info/\n")
    tagged_repo(tmp_path, "v1.5.0")
    found = metadata(ws)
    assert built(found["acme-vcs"]).version == "1.5.0"
    assert built(found["acme-scm"]).version == "1.5.0"
    assert built(found["acme-udv"]).version == "1.5.0"
    assert built(found["acme-udv"]).requires_dist == ("acme-vcs==1.5.0",)
    runs = len(hook_runs)
    assert metadata(ws) == found and len(hook_runs) == runs, "same tag, same commit: cached"

    (tmp_path / "README.md").write_text("outside every member: only the git state changes\n")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "docs")
    untagged = {name: built(m).version for name, m in metadata(ws).items()}
    assert all(v.startswith(("1.5.1.dev1", "1.5.0.post1.dev0")) for v in untagged.values()), untagged
    git(tmp_path, "tag", "v1.6.0")
    retagged = metadata(ws)
    assert {name: built(m).version for name, m in retagged.items()} == dict.fromkeys(found, "1.6.0")


SETUP_PY = """\
import sys
sys.path.insert(0, "src")
import acme_shared
from setuptools import setup
setup(version=acme_shared.__version__, packages=["acme_shared"], package_dir={"": "src"})
"""
UVB_DEP = "acme-attr[x]>=5; python_version >= '3.9'"


def test_setuptools_attr_uv_build_flit_and_pdm(tmp_path: Path, uv_env: dict[str, str]) -> None:
    ws = workspace(tmp_path, {
        "attr": {"pyproject.toml": project("acme-attr", dynamic=("version",), deps=("acme-flit>=0.3",))
                 + build_system("setuptools>=61", backend="setuptools.build_meta")
                 + '[tool.setuptools.dynamic]\nversion = {attr = "acme_attr.__version__"}\n',
                 "src/acme_attr/__init__.py": '__version__ = "5.1.0"\n'},
        # Two setup.py members importing a module of the same name from their own trees: one
        # process serves both, so the second must not get the first's module from sys.modules.
        **{f"setup-{v}": {"pyproject.toml": project(f"acme-setup-{v}", dynamic=("version",))
                          + build_system("setuptools>=61", backend="setuptools.build_meta"),
                          "setup.py": SETUP_PY, "src/acme_shared/__init__.py": f'__version__ = "{v}.0"\n'}
           for v in ("1", "2")},
        "uvb": {"pyproject.toml": project("acme-uvb", version="0.2.0", deps=(UVB_DEP,))
                + build_system("uv_build>=0.8,<0.14", backend="uv_build"),
                "src/acme_uvb/__init__.py": ""},
        "flit": {"pyproject.toml": project("acme-flit", dynamic=("version", "description"))
                 + build_system("flit_core>=3.4,<5", backend="flit_core.buildapi"),
                 "acme_flit.py": '"""The flit member."""\n__version__ = "0.3.1"\n'},
        "pdm": {"pyproject.toml": project("acme-pdm", dynamic=("version",))
                + build_system("pdm-backend", backend="pdm.backend")
                + '[tool.pdm.version]\nsource = "file"\npath = "src/acme_pdm/__init__.py"\n',
                "src/acme_pdm/__init__.py": '__version__ = "7.0.2"\n'},
    })
    found = metadata(ws)
    assert built(found["acme-attr"]) == BuiltMetadata("acme-attr", "5.1.0", ("acme-flit>=0.3",), ())
    assert (built(found["acme-setup-1"]).version, built(found["acme-setup-2"]).version) == ("1.0", "2.0")
    assert built(found["acme-uvb"]).requires_dist == ("acme-attr[x]>=5 ; python_full_version >= '3.9'",)
    assert built(found["acme-flit"]).version == "0.3.1"
    assert built(found["acme-pdm"]).version == "7.0.2"
    assert len(environments(ws)) == 4


MINIMAL_BACKEND = """\
# An in-tree backend without the optional prepare_metadata_for_build_wheel hook, which needs
# one more requirement than [build-system] says (its get_requires_for_build_wheel answer).
from hatchling.build import build_sdist


def get_requires_for_build_wheel(config_settings=None):
    return ["flit_core>=3"]


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    import flit_core  # installed only because get_requires_for_build_wheel asked for it
    from hatchling.build import build_wheel as hatchling_build_wheel
    return hatchling_build_wheel(wheel_directory, config_settings, metadata_directory)
"""


def test_an_in_tree_backend_without_prepare_metadata_and_with_extra_requires(
    tmp_path: Path, uv_env: dict[str, str], hook_runs: list[list[str]]
) -> None:
    ws = workspace(tmp_path, {"intree": {
        "pyproject.toml": project("acme-intree", version="3.3.3", deps=("attrs",))
        + build_system("hatchling", backend="minimal_backend", backend_path="_build"),
        "_build/minimal_backend.py": MINIMAL_BACKEND, "acme_intree/__init__.py": ""}})
    assert built(metadata(ws)["acme-intree"]) == BuiltMetadata("acme-intree", "3.3.3", ("attrs",), ())
    assert hook_runs == [["acme-intree"], ["acme-intree"]], "asked, installed flit_core, asked again"
    (tmp_path / "intree/acme_intree/__init__.py").write_text("# changed\n")
    assert built(metadata(ws)["acme-intree"]).version == "3.3.3"
    assert len(hook_runs) == 3, "the environment remembers what it installed"


def test_a_backend_that_raises_is_a_failure_with_its_error_line_and_a_log(
    tmp_path: Path, uv_env: dict[str, str]
) -> None:
    ws = workspace(tmp_path, {
        "broken": {"pyproject.toml": project("acme-broken", dynamic=("version",)) + HATCH
                   + '[tool.hatch.version]\npath = "acme_broken/missing.py"\n', "acme_broken/__init__.py": ""},
        "fine": {"pyproject.toml": project("acme-fine", version="1.0.0") + HATCH, "acme_fine/__init__.py": ""},
    })
    found = metadata(ws)
    failure = found["acme-broken"]
    assert isinstance(failure, MetadataFailure)
    assert failure.message.startswith(
        "OSError: Error getting the version from source `regex`: file does not exist: acme_broken/missing.py"
    ), failure.message
    assert "prepare_metadata_for_build_wheel of hatchling.build" in failure.message
    assert failure.log == ws.state_dir / "metadata/logs/acme-broken.log"
    assert "Traceback" in failure.log.read_text()
    assert built(found["acme-fine"]).version == "1.0.0", "one broken member does not sink the others"

    error = metadata_error(ws.get("acme-broken"), failure)
    assert error.code == "RK145" and error.path == ws.get("acme-broken").manifest
    assert "uv build broken" in error.hint and str(failure.log) in error.hint
    assert "(hatchling.build)" in error.message and "missing.py" in error.message


def hooked(name: str, *body: str) -> dict[str, str]:
    """A hatchling member (version 1.0.0) whose in-tree metadata hook runs ``body``."""
    module = name.replace("-", "_")
    hook = ("import os, sys, time\n"
            "from hatchling.metadata.plugin.interface import MetadataHookInterface\n\n"
            "class CustomMetadataHook(MetadataHookInterface):\n"
            "    def update(self, metadata):\n" + "".join(f"        {line}\n" for line in body)
            + '        metadata["dependencies"] = []\n')
    pyproject = project(name, version="1.0.0", dynamic=("dependencies",))  # hatchling runs hooks for dynamic fields
    return {"pyproject.toml": pyproject + HATCH + "[tool.hatch.metadata.hooks.custom]\n",
            "hatch_build.py": hook, f"{module}/__init__.py": ""}


def test_a_hook_that_ends_its_process_or_hangs_fails_alone(tmp_path: Path, uv_env: dict[str, str]) -> None:
    ws = workspace(tmp_path, {
        "crash": hooked("acme-crash", "print('about to leave', flush=True)", "os._exit(3)"),
        "noisy": hooked("acme-noisy", "print('noise on stdout')", "print('noise on stderr', file=sys.stderr)",
                        "os.system('echo noise from a subprocess')"),
        "slow": hooked("acme-slow", "time.sleep(120)"),
    })
    found = metadata(ws, timeout=4, jobs=2)  # [crash, noisy] and [slow] in two processes
    crash = found["acme-crash"]
    assert isinstance(crash, MetadataFailure) and crash.log is not None
    assert crash.message == "about to leave (exit code 3) (hatchling.build)"
    assert built(found["acme-noisy"]).version == "1.0.0", "a member after a crash is still answered"
    noise = (ws.state_dir / "metadata/logs/acme-noisy.log").read_text()
    assert all(f"noise {where}" in noise for where in ("on stdout", "on stderr", "from a subprocess"))
    slow = found["acme-slow"]
    assert isinstance(slow, MetadataFailure)
    assert slow.message.startswith("HookTimeout: the hook did not finish within 4 s"), slow.message


def test_a_half_made_environment_is_never_used(tmp_path: Path, uv_env: dict[str, str]) -> None:
    ws = workspace(tmp_path, {"core": {"pyproject.toml": project("acme-core", version="1.0.0") + HATCH}})
    envs = ws.state_dir / "metadata" / "envs"
    env_id = pep517.BuildSystem.of(ws.get("acme-core").build_system).env_id(sys.executable)
    (envs / env_id / "bin").mkdir(parents=True)  # killed after `uv venv`, before the install finished
    (envs / env_id / "bin" / "python").symlink_to(sys.executable)
    assert built(metadata(ws)["acme-core"]).version == "1.0.0"
    assert (envs / env_id / pep517.ENV_META).is_file()
    assert (envs / env_id / "lib").is_dir(), "made again, not used"
    script = (envs / env_id / "bin" / "hatchling").read_text().splitlines()[0]
    assert script == f"#!{envs / env_id / 'bin' / 'python'}", "console scripts point into the environment itself"


def test_a_build_requirement_missing_from_the_index_is_a_failure_saying_so(
    tmp_path: Path, uv_env: dict[str, str]
) -> None:
    ws = workspace(tmp_path, {"lost": {
        "pyproject.toml": project("acme-lost", version="1.0.0")
        + build_system("hatchling", "releasekit-no-such-backend>=1")}})
    failure = metadata(ws)["acme-lost"]
    assert isinstance(failure, MetadataFailure)
    assert "releasekit-no-such-backend" in failure.message.split("(")[0], failure.message
    assert "cannot create the build environment" in failure.message
    assert failure.log is not None and "releasekit-no-such-backend" in failure.log.read_text()
    assert environments(ws) == [], "no half-made env is kept"
