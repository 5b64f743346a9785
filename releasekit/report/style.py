"""Colours of the timeline pictures: one per stage (colour-blind safe), red only for failures."""

from __future__ import annotations

from releasekit.engine.stages import ORDER

#: In pipeline order (``ORDER``: the stages with the gate after every trial).
_PALETTE = (
    "#0072B2",
    "#56B4E9",
    "#009E73",
    "#555555",
    "#BBBBBB",
    "#E69F00",
    "#F0E442",
    "#CC79A7",
    "#44AA99",
    "#332288",
)
STAGE_COLOURS: dict[str, str] = dict(zip(ORDER, _PALETTE, strict=True))
FAILED = "#D55E00"
UNKNOWN = "#888888"


def colour(stage: str) -> str:
    return STAGE_COLOURS.get(stage, UNKNOWN)
