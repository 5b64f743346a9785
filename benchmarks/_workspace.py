"""Generated uv workspaces for the benchmarks (a helper: it has no ``run()``).

Both benchmarks need a real workspace on disk, so that ``releasekit.model.workspace`` parses it and
``releasekit.engine.plan.build_plan`` computes the same plan (levels, priorities, stage tasks) the
product would. Each member is a tiny hatchling project whose module imports its internal
dependencies, so a smoke install that forgets one of them fails.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path


def module_name(name: str) -> str:
    return name.replace("-", "_")


def root_manifest(
    names: Iterable[str],
    *,
    publish_url: str,
    check_url: str,
    extra_config: str = "",
    member_globs: Sequence[str] = ("packages/*",),
) -> str:
    """The root pyproject.toml: the members, their workspace sources, releasekit's settings and
    the index (only 127.0.0.1)."""
    sources = "\n".join(f"{name} = {{ workspace = true }}" for name in names)
    globs = ", ".join(f'"{g}"' for g in member_globs)
    return (
        "[tool.uv.workspace]\n"
        f"members = [{globs}]\n\n"
        "[tool.uv.sources]\n"
        f"{sources}\n\n"
        "[tool.releasekit]\n"
        'state_dir = ".releasekit"\n'
        "smoke_test = true\n"
        "max_retries = 0\n"
        f"{extra_config}"
        "\n[tool.releasekit.index]\n"
        'target = "custom"\n'
        f'publish_url = "{publish_url}"\n'
        f'check_url = "{check_url}"\n'
        'fallback_url = ""\n'
        'trusted_publishing = "never"\n'
    )


def write_workspace(
    root: Path,
    deps: Mapping[str, Sequence[str]],
    *,
    version: str = "0.1.0",
    publish_url: str = "http://127.0.0.1:9/",
    check_url: str = "http://127.0.0.1:9/simple/",
    extra_config: str = "",
) -> Path:
    """Write a workspace whose members are ``deps`` (name -> internal dependency names).

    The index defaults point at a closed port on 127.0.0.1: a benchmark never talks to
    anything else, and a mistake fails fast instead of reaching the network.
    """
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(
        root_manifest(deps, publish_url=publish_url, check_url=check_url, extra_config=extra_config),
        encoding="utf-8",
    )
    for name, needs in deps.items():
        pkg = root / "packages" / name
        src = pkg / "src" / module_name(name)
        src.mkdir(parents=True, exist_ok=True)
        requirements = ", ".join(f'"{d}>={version}"' for d in needs)
        (pkg / "pyproject.toml").write_text(
            "[project]\n"
            f'name = "{name}"\n'
            f'version = "{version}"\n'
            f'description = "Benchmark package {name}."\n'
            'requires-python = ">=3.9"\n'
            f"dependencies = [{requirements}]\n\n"
            "[build-system]\n"
            'requires = ["hatchling"]\n'
            'build-backend = "hatchling.build"\n',
            encoding="utf-8",
        )
        imports = "".join(f"import {module_name(d)}  # noqa: F401\n" for d in needs)
        (src / "__init__.py").write_text(f'{imports}__version__ = "{version}"\n', encoding="utf-8")
    return root
