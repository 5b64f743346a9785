"""Surgical pyproject.toml edits with tomlkit: comments, quoting and layout survive."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import tomlkit
from tomlkit.items import String, StringType


def _string_like(old: Any, value: str) -> String:
    literal = isinstance(old, String) and old.type in (StringType.SLL, StringType.MLL) and "'" not in value
    return tomlkit.string(value, literal=literal)


def set_version(text: str, version: str) -> str:
    """Return ``text`` with ``[project].version`` replaced."""
    doc = tomlkit.parse(text)
    project = doc["project"]
    project["version"] = _string_like(project.get("version"), version)
    return tomlkit.dumps(doc)


def rewrite_requirements(text: str, rewrite: Callable[[str], str | None]) -> tuple[str, list[tuple[str, str]]]:
    """Apply ``rewrite`` to every requirement string of [project]; it returns None to keep one.

    Returns the new text and the (old, new) pairs that changed.
    """
    doc = tomlkit.parse(text)
    project: Any = doc.get("project")
    changes: list[tuple[str, str]] = []
    if project is None:
        return text, changes
    arrays: list[Any] = []
    if "dependencies" in project:
        arrays.append(project["dependencies"])
    optional = project.get("optional-dependencies")
    if optional is not None:
        arrays.extend(optional[extra] for extra in optional)
    for array in arrays:
        for index in range(len(array)):
            old = array[index]
            new = rewrite(str(old))
            if new is not None and new != str(old):
                array[index] = _string_like(old, new)
                changes.append((str(old), new))
    if not changes:
        return text, changes
    return tomlkit.dumps(doc), changes
