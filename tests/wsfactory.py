"""Small real uv workspaces in git, written from a few keyword arguments, for check/preflight tests.

The packages have no third-party dependencies, so `uv lock` works offline (UV_OFFLINE=1).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from tests.harness.gitrepo import AUTHOR_ENV, git


def _toml_list(items: Sequence[str]) -> str:
    return "[" + ", ".join(f'"{i}"' for i in items) + "]"


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
    """One member: pyproject.toml, README, src/<import>/__init__.py (+ py.typed).

    ``import_name`` may be a dotted or slashed path (``core.plugins.x``): only the last folder
    gets the ``__init__.py``, so the parents are PEP 420 namespaces. Fields named in ``dynamic``
    are left out of [project]; ``files`` adds more files, relative to the member directory.
    """
    directory = root / relpath
    directory.mkdir(parents=True, exist_ok=True)
    cls = list(classifiers)
    if typed:
        cls.append("Typing :: Typed")
    if private:
        cls.append("Private :: Do Not Upload")
    lines = ["[project]", f'name = "{name}"']
    if dynamic:
        lines.append(f"dynamic = {_toml_list(dynamic)}")
    if "version" not in dynamic:
        lines.append(f'version = "{version}"')
    lines += [
        f'description = "The {name} package."',
        f'requires-python = "{requires_python}"',
        'authors = [{ name = "Test", email = "test@example.invalid" }]',
        f"classifiers = {_toml_list(cls)}",
    ]
    if "dependencies" not in dynamic:
        lines.append(f"dependencies = {_toml_list(deps)}")
    if readme is not None:
        lines.append(f'readme = "{readme}"')
    if license is not None:
        lines.append(f'license = "{license}"')
    if extra_project:
        lines.append(extra_project)
    if optional:
        lines.append("")
        lines.append("[project.optional-dependencies]")
        lines.extend(f"{extra} = {_toml_list(reqs)}" for extra, reqs in optional.items())
    if build_system == "hatchling":
        lines += [
            "",
            "[build-system]",
            'requires = ["hatchling"]',
            'build-backend = "hatchling.build"',
        ]
    elif build_system:
        lines += ["", build_system]
    if extra_toml:
        lines += ["", extra_toml]
    (directory / "pyproject.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    if readme is not None and write_readme:
        (directory / readme).write_text(
            readme_text or f"# {name}\n\nA test package.\n", encoding="utf-8"
        )
    module = directory / "src" / (import_name or name.replace("-", "_")).replace(".", "/")
    module.mkdir(parents=True, exist_ok=True)
    (module / "__init__.py").write_text(module_text, encoding="utf-8")
    if marker:
        (module / "py.typed").write_text("", encoding="utf-8")
    for rel, text in (files or {}).items():
        (directory / rel).parent.mkdir(parents=True, exist_ok=True)
        (directory / rel).write_text(text, encoding="utf-8")
    return directory


def write_root(
    root: Path,
    members: Sequence[str] = ("packages/*",),
    *,
    sources: Sequence[str] = (),
    releasekit: str = "",
    exclude: Sequence[str] = (),
) -> Path:
    """The workspace root's pyproject.toml (virtual: no [project])."""
    root.mkdir(parents=True, exist_ok=True)
    lines = ["[tool.uv.workspace]", f"members = {_toml_list(members)}"]
    if exclude:
        lines.append(f"exclude = {_toml_list(exclude)}")
    if sources:
        lines += ["", "[tool.uv.sources]"]
        lines.extend(f"{s} = {{ workspace = true }}" for s in sources)
    lines += ["", "[tool.releasekit]", releasekit]
    (root / "pyproject.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def simple_workspace(root: Path, *, releasekit: str = "", **overrides: object) -> Path:
    """core <- app, both publishable and complete: every check passes."""
    write_root(root, sources=("acme-core",), releasekit=releasekit)
    write_package(root, "packages/core", "acme-core", **overrides)  # type: ignore[arg-type]
    write_package(root, "packages/app", "acme-app", deps=["acme-core>=0.1.0"])
    return root


def commit_all(cwd: Path, message: str = "commit") -> None:
    if not (cwd / ".git").exists():
        git(cwd, "init", "-q", "-b", "main", env=AUTHOR_ENV)
    git(cwd, "add", "-A", env=AUTHOR_ENV)
    git(cwd, "commit", "-q", "-m", message, env=AUTHOR_ENV)


def uv_lock(root: Path, env: Mapping[str, str] | None = None) -> None:
    """Offline by default; pass an index's uv variables when a build backend must be fetched."""
    from releasekit.backends.uv import Uv

    Uv(env=env if env is not None else {"UV_OFFLINE": "1"}).lock(root)
