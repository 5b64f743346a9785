"""The one workspace writer: real uv workspaces on disk (and in git), from a few arguments.

- :func:`member_toml` / :func:`root_toml` render a pyproject.toml; :func:`write_tree` and
  :func:`make_ws` write files from them (for tests about reading exact TOML).
- :func:`write_package` / :func:`write_root` / :func:`simple_workspace` write whole members
  (README, an import package, py.typed) that build and pass the checks.
- :func:`commit_all`, :func:`uv_lock` and :func:`copy_example_workspace` finish a workspace.

Members have no third-party dependencies, so `uv lock` works offline (UV_OFFLINE=1).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from releasekit.backends.uv import Uv
from tests.harness.gitrepo import AUTHOR_ENV, git

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "workspace"
HATCHLING = '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"'


def _toml_list(items: Iterable[str]) -> str:
    return "[" + ", ".join(json.dumps(i) for i in items) + "]"


def _with_extra(lines: list[str], extra: str) -> str:
    text = "\n".join(lines) + "\n"
    return text + "\n" + extra.strip("\n") + "\n" if extra else text


def member_toml(
    name: str,
    version: str | None = "1.0.0",
    deps: Iterable[str] = (),
    *,
    optional: Mapping[str, Iterable[str]] | None = None,
    extra: str = "",
    build_system: bool | str = True,
    dynamic: Sequence[str] = (),
    metadata: Sequence[str] = (),
    after_deps: Sequence[str] = (),
) -> str:
    """A member's pyproject.toml. ``version=None`` makes the version dynamic; fields named in
    ``dynamic`` are left out. ``metadata`` lines go before ``dependencies``, ``after_deps``
    after it; ``build_system`` is hatchling (True), none (False) or a table's text."""
    lines = ["[project]", f"name = {json.dumps(name)}"]
    dynamic = list(dynamic) or (["version"] if version is None else [])
    if dynamic:
        lines.append(f"dynamic = {_toml_list(dynamic)}")
    if version is not None and "version" not in dynamic:
        lines.append(f'version = "{version}"')
    lines += metadata
    if "dependencies" not in dynamic:
        lines.append(f"dependencies = {_toml_list(deps)}")
    lines += after_deps
    if optional:
        lines += ["", "[project.optional-dependencies]"]
        lines += [f"{key} = {_toml_list(reqs)}" for key, reqs in optional.items()]
    if build_system:
        lines += ["", HATCHLING if build_system is True else str(build_system)]
    return _with_extra(lines, extra)


def root_toml(
    members: Iterable[str] = ("packages/*",),
    exclude: Iterable[str] | None = None,
    extra: str = "",
    sources: Iterable[str] = (),
) -> str:
    """A virtual workspace root (no [project])."""
    lines = ["[tool.uv.workspace]", f"members = {_toml_list(members)}"]
    if exclude is not None:
        lines.append(f"exclude = {_toml_list(exclude)}")
    if sources := list(sources):
        lines += ["", "[tool.uv.sources]", *(f"{s} = {{ workspace = true }}" for s in sources)]
    return _with_extra(lines, extra)


def write_tree(base: Path, files: Mapping[str, str | bytes]) -> Path:
    """``files`` maps a path relative to ``base`` to its text or bytes."""
    for rel, content in files.items():
        path = base / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return base


def make_ws(base: Path, packages: Mapping[str, str], root: str | None = None) -> Path:
    """``packages`` maps a member directory (relative) to its pyproject text."""
    files: dict[str, str] = {"pyproject.toml": root if root is not None else root_toml()}
    files.update({f"{rel}/pyproject.toml": text for rel, text in packages.items()})
    return write_tree(base, files)


def write_package(
    root: Path,
    relpath: str,
    name: str,
    *,
    version: str = "0.1.0",
    deps: Sequence[str] = (),
    optional: dict[str, Sequence[str]] | None = None,
    readme: str | None = "README.md",
    readme_text: str | None = None,
    write_readme: bool = True,
    license: str | None = "Apache-2.0",
    typed: bool = True,
    marker: bool = True,
    classifiers: Sequence[str] = ("Programming Language :: Python :: 3",),
    build_system: str | None = "hatchling",
    private: bool = False,
    import_name: str | None = None,
    extra_project: str = "",
    extra_toml: str = "",
    dynamic: Sequence[str] = (),
    requires_python: str = ">=3.9",
    module_text: str = '__version__ = "0"\n',
    files: Mapping[str, str] | None = None,
) -> Path:
    """One complete member: pyproject.toml, README, src/<import>/__init__.py (+ py.typed).

    ``import_name`` may be a dotted or slashed path (``core.plugins.x``): only the last folder
    gets the ``__init__.py``, so the parents are PEP 420 namespaces. Fields named in ``dynamic``
    are left out of [project]; ``files`` adds more files, relative to the member directory.
    """
    cls = [*classifiers, *(["Typing :: Typed"] if typed else []), *(["Private :: Do Not Upload"] if private else [])]
    metadata = [
        f'description = "The {name} package."',
        f'requires-python = "{requires_python}"',
        'authors = [{ name = "Test", email = "test@example.invalid" }]',
        f"classifiers = {_toml_list(cls)}",
    ]
    after_deps = [f'readme = "{readme}"'] if readme is not None else []
    after_deps += [f'license = "{license}"'] if license is not None else []
    after_deps += [extra_project] if extra_project else []
    text = member_toml(name, version, deps, optional=optional, extra=extra_toml, dynamic=dynamic,
                       build_system=True if build_system == "hatchling" else (build_system or False),
                       metadata=metadata, after_deps=after_deps)
    directory = root / relpath
    module = f"src/{(import_name or name.replace('-', '_')).replace('.', '/')}"
    tree: dict[str, str] = {"pyproject.toml": text, f"{module}/__init__.py": module_text}
    if readme is not None and write_readme:
        tree[readme] = readme_text or f"# {name}\n\nA test package.\n"
    if marker:
        tree[f"{module}/py.typed"] = ""
    return write_tree(directory, {**tree, **(files or {})})


def write_root(
    root: Path,
    members: Sequence[str] = ("packages/*",),
    *,
    sources: Sequence[str] = (),
    releasekit: str = "",
    exclude: Sequence[str] = (),
) -> Path:
    """The workspace root's pyproject.toml (virtual: no [project]) with a [tool.releasekit]."""
    text = root_toml(members, exclude or None, sources=sources) + f"\n[tool.releasekit]\n{releasekit}\n"
    return write_tree(root, {"pyproject.toml": text})


def simple_workspace(root: Path, *, releasekit: str = "", **overrides: object) -> Path:
    """core <- app, both publishable and complete: every check passes."""
    write_root(root, sources=("acme-core",), releasekit=releasekit)
    write_package(root, "packages/core", "acme-core", **overrides)  # type: ignore[arg-type]
    write_package(root, "packages/app", "acme-app", deps=["acme-core>=0.1.0"])
    return root


def commit_all(cwd: Path, message: str = "commit") -> None:
    """Commit everything (``git init`` first when needed) as the environment's test author."""
    if not (cwd / ".git").exists():
        git(cwd, "init", "-q", "-b", "main", env=AUTHOR_ENV)
    git(cwd, "add", "-A", env=AUTHOR_ENV)
    git(cwd, "commit", "-q", "-m", message, env=AUTHOR_ENV)


def uv_lock(root: Path, env: Mapping[str, str] | None = None) -> None:
    """Offline by default; pass an index's uv variables when a build backend must be fetched."""
    Uv(env=env if env is not None else {"UV_OFFLINE": "1"}).lock(root)


def copy_example_workspace(dest: Path, source: Path = EXAMPLE) -> Path:
    """Copy the bundled example workspace to ``dest`` (merged into an existing directory),
    without what a run leaves in it."""
    shutil.copytree(source, dest, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns(".releasekit", "dist", "__pycache__", ".venv"))
    return dest
