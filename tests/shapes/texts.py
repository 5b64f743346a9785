"""The file contents every shape reuses: member code, licence, ignore file, TOML snippets."""

from __future__ import annotations

from collections.abc import Sequence

#: What a real repository ignores; setuptools writes ``*.egg-info`` into src/ while building,
#: and hatch-vcs reads a dirty tree as a dev version, so a build must not dirty git.
GITIGNORE = "__pycache__/\n*.py[cod]\n*.egg-info/\nbuild/\ndist/\n.venv/\n"

LICENSE = """\
                                 Apache License
                           Version 2.0, January 2004
                        http://www.apache.org/licenses/

   Licensed under the Apache License, Version 2.0 (the "License"); you may not use this
   file except in compliance with the License. A synthetic test package of releasekit.
"""

#: The one third-party requirement a shape may use: the local test index serves it.
THIRD_PARTY = "packaging>=20"


def module_source(summary: str, imports: Sequence[str] = ()) -> str:
    """A module that really imports what its distribution depends on, and uses it."""
    lines = [f'"""{summary}"""', "", "from __future__ import annotations", ""]
    lines += [f"import {name}" for name in imports]
    calls = ", ".join(f"{name}.describe()" for name in imports)
    lines += [
        "",
        '__all__ = ["describe"]',
        "",
        "",
        "def describe() -> str:",
        '    """This module and everything it builds on, for a smoke test to print."""',
        f"    return \" <- \".join([__name__, {calls}])" if imports else "    return __name__",
        "",
    ]
    return "\n".join(lines)


def toml_list(items: Sequence[str]) -> str:
    return "[" + ", ".join(f'"{item}"' for item in items) + "]"


def hatch_only_include(folder: str) -> str:
    """The wheel config of a namespace plugin: one folder of src/, installed from src/'s level."""
    return (
        "[tool.hatch.build.targets.wheel]\n"
        f'only-include = ["src/{folder}"]\n'
        'sources = ["src"]\n'
    )


def tool_releasekit(**settings: str) -> str:
    """A member's own [tool.releasekit] table (values are TOML literals)."""
    return "[tool.releasekit]\n" + "".join(f"{key} = {value}\n" for key, value in settings.items())
