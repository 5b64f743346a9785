"""What ``plan`` (and a dry run) prints: the order, the versions, the pins and why."""

from __future__ import annotations

import textwrap

from releasekit.engine.plan import Plan
from releasekit.support.render import table, table_width, to_json


def plan(p: Plan, fmt: str) -> str:
    if fmt == "json":
        return to_json(p.to_json())
    rows = [
        (
            pkg.order + 1,
            pkg.level,
            pkg.name,
            pkg.version,
            pkg.next_version if pkg.next_version != pkg.version else "=",
            pkg.reason,
            ", ".join(f"{k}=={v}" for k, v in pkg.pins.items()) or "-",
        )
        for pkg in p.packages
    ]
    headers = ("#", "level", "package", "version", "next", "why", "pins at build")
    text = table(headers, rows, shrink=(6,), floors={6: 32}, prose=(5,))
    if max(map(len, text.splitlines())) > table_width():
        # Too wide: the reasons move under the table, whole (they are what a reviewer reads).
        narrow = [(*row[:5], row[6]) for row in rows]
        text = table((*headers[:5], headers[6]), narrow, shrink=(5,), floors={5: 32})
        text += "\nwhy:\n" + "".join(
            "\n".join(
                textwrap.wrap(
                    f"{pkg.name}: {pkg.reason}", table_width() - 2, initial_indent="  ", subsequent_indent="    "
                )
            )
            + "\n"
            for pkg in p.packages
        )
    if p.packages:
        stages = " -> ".join(p.packages[0].stages)
        text += f"\nstages per package: {stages}\n"
        critical = f"critical path: {' -> '.join(p.critical_path)} ({len(p.critical_path)} packages)"
        text += "\n".join(textwrap.wrap(critical, table_width(), subsequent_indent="  ", break_on_hyphens=False)) + "\n"
        text += f"doit tasks: {len(p.tasks)} (run `doit list --all` in the workspace to see them)\n"
    else:
        text += "\nnothing to release\n"
    if p.skipped:
        text += "\nskipped:\n" + "".join(f"  {s.name} {s.version or ''}: {s.reason}\n" for s in p.skipped)
    return text
