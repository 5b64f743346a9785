"""Helpers for the foundation tests: build workspaces on disk, run the real CLI, hash trees."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "workspace"


def member_toml(
    name: str,
    version: str | None = "1.0.0",
    deps: Iterable[str] = (),
    *,
    optional: Mapping[str, Iterable[str]] | None = None,
    extra: str = "",
    build_system: bool = True,
) -> str:
    """A realistic member pyproject.toml."""
    lines = ["[project]", f"name = {json.dumps(name)}"]
    if version is not None:
        lines.append(f'version = "{version}"')
    else:
        lines.append('dynamic = ["version"]')
    lines.append("dependencies = [" + ", ".join(json.dumps(d) for d in deps) + "]")
    if optional:
        lines.append("")
        lines.append("[project.optional-dependencies]")
        for key, reqs in optional.items():
            lines.append(f"{key} = [" + ", ".join(json.dumps(r) for r in reqs) + "]")
    if build_system:
        lines += [
            "",
            "[build-system]",
            'requires = ["hatchling"]',
            'build-backend = "hatchling.build"',
        ]
    text = "\n".join(lines) + "\n"
    if extra:
        text += "\n" + extra.strip("\n") + "\n"
    return text


def root_toml(
    members: Iterable[str] = ("packages/*",),
    exclude: Iterable[str] | None = None,
    extra: str = "",
    sources: Iterable[str] = (),
) -> str:
    lines = ["[tool.uv.workspace]", "members = [" + ", ".join(json.dumps(m) for m in members) + "]"]
    if exclude is not None:
        lines.append("exclude = [" + ", ".join(json.dumps(e) for e in exclude) + "]")
    sources = list(sources)
    if sources:
        lines += ["", "[tool.uv.sources]", *(f"{s} = {{ workspace = true }}" for s in sources)]
    text = "\n".join(lines) + "\n"
    if extra:
        text += "\n" + extra.strip("\n") + "\n"
    return text


def write_tree(base: Path, files: Mapping[str, str | bytes]) -> Path:
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

