"""The README's configuration tables, rendered from the config dataclasses' field docstrings."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import itertools
import textwrap
import typing
from typing import Any

from releasekit.model.config import Config
from releasekit.model.config_parse import type_name


def describe(cls: Any = Config) -> list[tuple[str, str, str, str]]:
    """(key, type, default, meaning) rows for the README: the root's table, or ``MemberConfig``."""
    rows: list[tuple[str, str, str, str]] = []

    def walk(cls: Any, prefix: str) -> None:
        hints = typing.get_type_hints(cls)
        docs = _field_docs(cls)
        instance = cls()
        for f in dataclasses.fields(cls):
            tp = hints[f.name]
            if dataclasses.is_dataclass(tp):
                walk(tp, f"{prefix}{f.name}.")
                continue
            default = getattr(instance, f.name)
            if isinstance(default, tuple):
                default = list(default)
            key = f.metadata.get("key", prefix + f.name)
            rows.append((key, type_name(tp), _toml_literal(default), docs.get(f.name, "")))

    walk(cls, "")
    return rows


def _toml_literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{}" if not value else str(value)
    return str(value)


def _field_docs(cls: Any) -> dict[str, str]:
    """Attribute docstrings (the string literal after each field) via the AST."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    body = tree.body[0].body  # type: ignore[attr-defined]
    docs: dict[str, str] = {}
    for node, nxt in itertools.pairwise(body):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(nxt, ast.Expr)
            and isinstance(nxt.value, ast.Constant)
            and isinstance(nxt.value.value, str)
        ):
            docs[node.target.id] = " ".join(nxt.value.value.split())
    return docs
