"""A small checker of Mermaid's Gantt grammar, written from its lexer and grammar (gantt.jison).

Mermaid is JavaScript; the tests have no browser engine to run it, so this follows its
rules line by line: optional YAML front matter, ``%%{init: ...}%%`` directives, ``gantt``,
then statements. The lexer takes the first rule that matches, so a task name that starts
with a keyword (``title``, ``section``, ``click``, a date ...) is read as that keyword, and
``#``, ``:`` and ``;`` end a name. Task data is ``tags, id, start, end-or-duration`` with
the tags ``active``, ``done``, ``crit`` and ``milestone``; with ``dateFormat x`` a start
or an end is an integer of milliseconds, a duration is a number with a unit.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import yaml

KEYWORDS = ("gantt", "dateformat", "inclusiveenddates", "topaxis", "axisformat", "tickinterval", "includes",
            "excludes", "todaymarker", "weekday", "title", "accdescription", "section", "click", "href", "call",
            "acctitle", "accdescr")
STATEMENT = re.compile(r"^(dateFormat|axisFormat|tickInterval|includes|excludes|weekday|title)\s[^#;]+$", re.I)
SECTION = re.compile(r"^section\s[^#:;]+$", re.I)
TASK = re.compile(r"^(?P<name>[^#:;]+):(?P<data>[^#;]+)$")
TAGS = ("active", "done", "crit", "milestone")
DURATION = re.compile(r"^\d+(\.\d+)?(ms|s|m|h|d|w|M|y)$")
IDENT = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


class GanttError(AssertionError):
    pass


@dataclass
class Task:
    section: str
    name: str
    tags: list[str]
    ident: str
    start: int
    end: int


@dataclass
class Gantt:
    front_matter: dict[str, object] = field(default_factory=dict)
    directives: list[dict[str, object]] = field(default_factory=list)
    settings: dict[str, str] = field(default_factory=dict)
    sections: list[str] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)


def _front_matter(lines: list[str]) -> tuple[dict[str, object], list[str]]:
    if not lines or lines[0].strip() != "---":
        return {}, lines
    end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
    if end is None:
        raise GanttError("front matter is not closed with ---")
    data = yaml.safe_load("\n".join(lines[1:end])) or {}
    if not isinstance(data, dict):
        raise GanttError(f"front matter is not a mapping: {data!r}")
    return data, lines[end + 1:]


def _time(value: str, fmt: str, where: str) -> int:
    if fmt != "x":
        raise GanttError(f"{where}: this checker knows dateFormat x only, not {fmt!r}")
    if not re.fullmatch(r"\d+", value):
        raise GanttError(f"{where}: {value!r} is not a time in milliseconds")
    return int(value)


def _task(match: re.Match[str], section: str, fmt: str, where: str) -> Task:
    name = match["name"].strip()
    if not name:
        raise GanttError(f"{where}: a task without a name")
    lowered = name.lower()
    if any(lowered.startswith(k) for k in KEYWORDS) or re.match(r"\d{4}-\d\d-\d\d", name):
        raise GanttError(f"{where}: the task name {name!r} would be read as a keyword")
    items = [item.strip() for item in match["data"].split(",")]
    tags = []
    while items and items[0] in TAGS:
        tags.append(items.pop(0))
    if len(items) != 3:
        raise GanttError(f"{where}: expected `id, start, end` after the tags, got {items!r}")
    ident, start_text, end_text = items
    if not IDENT.match(ident):
        raise GanttError(f"{where}: {ident!r} is not a task id")
    start = _time(start_text, fmt, where)
    if DURATION.match(end_text):
        number, unit = re.match(r"^([\d.]+)(\D+)$", end_text).groups()  # type: ignore[union-attr]
        factor = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}.get(unit, 0)
        end = start + round(float(number) * factor)
    else:
        end = _time(end_text, fmt, where)
    if end < start:
        raise GanttError(f"{where}: ends before it starts")
    if "milestone" not in tags and end == start:
        raise GanttError(f"{where}: a task of no length is not drawn (use milestone)")
    return Task(section, name, tags, ident, start, end)


def parse(text: str) -> Gantt:
    """The chart, or a :class:`GanttError` naming the line Mermaid would refuse."""
    out = Gantt()
    out.front_matter, lines = _front_matter(text.splitlines())
    seen_gantt = False
    section = ""
    ids: set[str] = set()
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        where = f"line {number} {line!r}"
        if not line or (line.startswith("%%") and not line.startswith("%%{")):
            continue
        if line.startswith("%%{"):
            match = re.fullmatch(r"%%\{\s*init\s*:\s*(?P<arg>.*)\}%%", line)
            if not match:
                raise GanttError(f"{where}: not a directive")
            out.directives.append(json.loads(match["arg"]))
            continue
        if not seen_gantt:
            if line != "gantt":
                raise GanttError(f"{where}: the chart must start with `gantt`")
            seen_gantt = True
            continue
        if STATEMENT.match(line):
            key, _, value = line.partition(" ")
            out.settings[key.lower()] = value.strip()
        elif SECTION.match(line):
            section = line[len("section"):].strip()
            out.sections.append(section)
        elif match := TASK.match(line):
            task = _task(match, section, out.settings.get("dateformat", ""), where)
            if task.ident in ids:
                raise GanttError(f"{where}: task id {task.ident!r} used twice")
            ids.add(task.ident)
            out.tasks.append(task)
        else:
            raise GanttError(f"{where}: not a Gantt statement")
    if not seen_gantt:
        raise GanttError("no `gantt` line")
    return out
