"""The "did you mean" hint every lookup of a user-typed name gives when the name is unknown."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def did_you_mean(value: str, known: Iterable[str], otherwise: str) -> str:
    """``did you mean `x`?`` for the closest known name, else ``otherwise`` (what the names are)."""
    match = difflib.get_close_matches(value, list(known), n=1, cutoff=0.6)
    return f"did you mean `{match[0]}`?" if match else otherwise


def listed(label: str, known: Iterable[str]) -> str:
    """``label: a, b, c``: the fallback hint naming every known value."""
    return f"{label}: " + ", ".join(known)
