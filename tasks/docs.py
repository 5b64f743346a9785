"""Generated parts of the README: the configuration table and the error codes.

Both come from the code (config field docstrings, errors.CODES), so the README cannot drift;
tests/test_readme.py fails when the README is out of date and `doit docs` rewrites it.
"""

from __future__ import annotations

import re
from pathlib import Path

from tasks.paths import ROOT

README = ROOT / "README.md"


def config_table(member: bool = False) -> str:
    from releasekit.model.config import Config, MemberConfig
    from releasekit.model.configdoc import describe

    rows = ["| key | type | default | meaning |", "|---|---|---|---|"]
    for key, kind, default, meaning in describe(MemberConfig if member else Config):
        rows.append(f"| `{key}` | {kind} | `{default}` | {meaning} |")
    return "\n".join(rows)


def member_config_table() -> str:
    return config_table(member=True)


def errors_table() -> str:
    from releasekit.errors import CODES

    rows = ["| code | meaning |", "|---|---|"]
    rows.extend(f"| `{code}` | {meaning} |" for code, meaning in sorted(CODES.items()))
    return "\n".join(rows)


SECTIONS = {"config": config_table, "member-config": member_config_table, "errors": errors_table}


def render(text: str) -> str:
    for name, make in SECTIONS.items():
        pattern = re.compile(rf"(<!-- BEGIN {name} -->\n)(?:.*?\n)?(<!-- END {name} -->)", re.DOTALL)
        if not pattern.search(text):
            raise SystemExit(f"README.md has no <!-- BEGIN {name} --> ... <!-- END {name} --> markers")
        text = pattern.sub(lambda m, make=make: m.group(1) + make() + "\n" + m.group(2), text)
    return text


def update_readme(path: Path = README) -> None:
    text = path.read_text(encoding="utf-8")
    new = render(text)
    if new != text:
        path.write_text(new, encoding="utf-8")


def task_docs() -> dict[str, object]:
    """regenerate the README's configuration and error-code tables from the code"""
    return {"actions": [update_readme], "uptodate": [False], "verbosity": 2}
