"""JSON and the 100-column table every command prints. Pure functions: data in, str out."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any


def to_json(value: Any, expanded_levels: int = 2) -> str:
    """JSON with the outer ``expanded_levels`` of containers one item per line, and every item
    below that on a single line: ``"packages": [`` then one package per line.

    ``json.dumps(indent=...)`` runs the pure-Python encoder, which made rendering the plan of a
    1000-package workspace cost more than loading it; single-line items use the C encoder.
    """
    return _json(value, expanded_levels, "") + "\n"


def _json(value: Any, levels: int, indent: str) -> str:
    if levels <= 0 or not isinstance(value, dict | list | tuple) or not value:
        return json.dumps(value)
    inner = indent + "  "
    if isinstance(value, dict):
        items = [f"{inner}{json.dumps(str(k))}: {_json(v, levels - 1, inner)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{indent}}}"
    items = [f"{inner}{_json(v, levels - 1, inner)}" for v in value]
    return "[\n" + ",\n".join(items) + f"\n{indent}]"


#: Tables stay readable in a 100-column terminal, even with 60+ members and 40-character
#: names; a wider $COLUMNS gives them more room.
MIN_WIDTH = 100


def table_width() -> int:
    if os.environ.get("RELEASEKIT_WIDE"):
        return 10**6  # --wide
    try:
        return max(MIN_WIDTH, int(os.environ.get("COLUMNS", "0")))
    except ValueError:
        return MIN_WIDTH


def table(
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    shrink: Sequence[int] = (),
    max_width: int | None = None,
    floors: Mapping[int, int] | None = None,
    prose: Sequence[int] = (),
) -> str:
    """A plain aligned text table (no colour, safe for pipes and logs).

    Columns listed in ``shrink`` give way, the widest first, until the table fits
    ``max_width`` (default :func:`table_width`): a list cell keeps its first names and says how
    many more (``a, b, … +28``); a ``prose`` column (a message) is cut with a trailing … instead.
    """
    body = [[("" if c is None else str(c)) for c in row] for row in rows]
    limit = table_width() if max_width is None else max_width

    def measure() -> list[int]:
        widths = [len(h) for h in headers]
        for row in body:
            for i, cell in enumerate(row):
                widths[i] = max(widths[i], len(cell))
        return widths

    widths = measure()
    if shrink and sum(widths) + 2 * (len(widths) - 1) > limit:
        budget = list(widths)
        floor = {i: max(len(headers[i]), (floors or {}).get(i, 12)) for i in shrink}
        excess = sum(budget) + 2 * (len(budget) - 1) - limit
        while excess > 0:
            column = max((i for i in shrink if budget[i] > floor[i]), key=lambda i: budget[i], default=None)
            if column is None:
                break
            budget[column] -= 1
            excess -= 1
        for row in body:
            for i in shrink:
                row[i] = elide(row[i], budget[i], as_list=i not in prose)
        widths = measure()
    lines = ["  ".join(h.ljust(widths[i]) for i, h in enumerate(headers)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines.extend("  ".join(c.ljust(widths[i]) for i, c in enumerate(row)).rstrip() for row in body)
    return "\n".join(lines) + "\n"


def elide(cell: str, width: int, *, as_list: bool = True) -> str:
    """``cell`` cut to ``width``: whole names of a comma list and a count, else a trailing …."""
    if len(cell) <= width:
        return cell
    items = cell.split(", ") if as_list else [cell]
    if len(items) > 1:
        for keep in range(len(items) - 1, 0, -1):
            text = ", ".join(items[:keep]) + f", … +{len(items) - keep}"
            if len(text) <= width:
                return text
        text = f"{len(items)} packages"
        if len(text) <= width:
            return text
    return cell[: max(width - 1, 0)] + "…"
