"""`init`: write `[tool.releasekit]` defaults and the settings that make plain `doit` work."""

from __future__ import annotations

import argparse
import tomllib
from typing import Any

import tomlkit
from tomlkit.items import InlineTable

from releasekit.commands.common import workspace, write
from releasekit.errors import ConfigError
from releasekit.support.fsutil import atomic_write

LOADER_NAME = "releasekit"
LOADER_SPEC = "releasekit.doitloader:WorkspaceLoader"
#: doit's default command, replaced so `doit -n N` dispatches and drains like `releasekit publish`.
RUN_SPEC = "releasekit.doitcmd:ReleaseRun"

DEFAULTS: dict[str, Any] = {
    "tag_format": "{name}-v{version}",
    "concurrency": 0,
    "max_retries": 3,
    "retry_base_delay": 1.0,
    "smoke_test": True,
    "state_dir": ".releasekit",
}
INDEX_DEFAULTS: dict[str, Any] = {"target": "pypi"}


def init_text(text: str) -> tuple[str, list[str]]:
    """``text`` with missing releasekit and doit settings added; existing values are kept.

    New sub-tables are written as ``[tool.releasekit.index]`` tables; when the user wrote
    ``[tool.releasekit]`` as an inline table or with dotted keys, tomlkit cannot nest a table
    there (it raises, or renders ``[releasekit.index]`` at the top level), so inline tables
    are used instead. Every result is re-read and checked before it is returned.
    """
    if not _missing(tomllib.loads(text)):
        return text, []
    for inline in (False, True):
        try:
            new_text, added = _add_settings(text, inline=inline)
        except (ValueError, TypeError, KeyError):
            continue  # tomlkit refuses this layout (a table inside an inline table)
        if _landed(text, new_text):
            if "\r\n" in text:
                new_text = new_text.replace("\r\n", "\n").replace("\n", "\r\n")
            return new_text, added
    raise ConfigError(
        "cannot add the releasekit settings to this layout of [tool.releasekit] / [tool.doit]",
        code="RK122",
        hint="add them by hand: " + "; ".join(_wanted_lines()),
    )


def _wanted() -> list[tuple[tuple[str, ...], Any]]:
    wanted: list[tuple[tuple[str, ...], Any]] = [
        (("tool", "releasekit", key), value) for key, value in DEFAULTS.items()
    ]
    wanted += [(("tool", "releasekit", "index", key), value) for key, value in INDEX_DEFAULTS.items()]
    wanted.append((("tool", "doit", "loader"), LOADER_NAME))
    wanted.append((("tool", "doit", "plugins", "loader", LOADER_NAME), LOADER_SPEC))
    wanted.append((("tool", "doit", "plugins", "command", "run"), RUN_SPEC))
    return wanted


def _wanted_lines() -> list[str]:
    return [f"{'.'.join(path)} = {tomlkit.item(value).as_string()}" for path, value in _wanted()]


def _lookup(data: Any, path: tuple[str, ...]) -> tuple[bool, Any]:
    for part in path:
        if not isinstance(data, dict) or part not in data:
            return False, None
        data = data[part]
    return True, data


def _missing(data: dict[str, Any]) -> list[tuple[str, ...]]:
    return [path for path, _ in _wanted() if not _lookup(data, path)[0]]


def _landed(old_text: str, new_text: str) -> bool:
    """Nothing of ``old_text`` changed, and every setting is now where releasekit reads it."""
    try:
        old, new = tomllib.loads(old_text), tomllib.loads(new_text)
    except tomllib.TOMLDecodeError:
        return False
    return _contains(new, old) and not _missing(new) and set(new) == set(old) | {"tool"}


def _contains(big: Any, small: Any) -> bool:
    if isinstance(small, dict):
        return isinstance(big, dict) and all(k in big and _contains(big[k], v) for k, v in small.items())
    return bool(big == small)


def _add_settings(text: str, *, inline: bool) -> tuple[str, list[str]]:
    doc = tomlkit.parse(text)
    added: list[str] = []

    def new_table(parent: Any, *, super_table: bool = False) -> Any:
        if inline or isinstance(parent, InlineTable):
            return tomlkit.inline_table()
        return tomlkit.table(is_super_table=super_table)

    tool: Any = doc.setdefault("tool", tomlkit.table(is_super_table=True))
    rk: Any = tool.get("releasekit")
    if rk is None:
        rk = new_table(tool)
        if not isinstance(rk, InlineTable):
            rk.comment("releasekit settings; every key is documented in releasekit's README")
        tool["releasekit"] = rk
        rk = tool["releasekit"]
    for key, value in DEFAULTS.items():
        if key not in rk:
            rk[key] = value
            added.append(f"[tool.releasekit] {key} = {tomlkit.item(value).as_string()}")
    index: Any = rk.get("index")
    if index is None:
        rk["index"] = new_table(rk)
        index = rk["index"]
    for key, value in INDEX_DEFAULTS.items():
        if key not in index:
            index[key] = value
            added.append(f"[tool.releasekit.index] {key} = {tomlkit.item(value).as_string()}")
    doit: Any = tool.get("doit")
    if doit is None:
        doit = new_table(tool)
        if not isinstance(doit, InlineTable):
            doit.comment("lets plain `doit list`, `doit publish` and `doit -n N` load releasekit's tasks")
        tool["doit"] = doit
        doit = tool["doit"]
    if "loader" not in doit:
        doit["loader"] = LOADER_NAME
        added.append(f'[tool.doit] loader = "{LOADER_NAME}"')
    plugins: Any = doit.get("plugins")
    if plugins is None:
        doit["plugins"] = new_table(doit, super_table=True)
        plugins = doit["plugins"]
    loaders: Any = plugins.get("loader")
    if loaders is None:
        plugins["loader"] = new_table(plugins)
        loaders = plugins["loader"]
    if LOADER_NAME not in loaders:
        loaders[LOADER_NAME] = LOADER_SPEC
        added.append(f'[tool.doit.plugins.loader] {LOADER_NAME} = "{LOADER_SPEC}"')
    commands: Any = plugins.get("command")
    if commands is None:
        plugins["command"] = new_table(plugins)
        commands = plugins["command"]
    if "run" not in commands:
        commands["run"] = RUN_SPEC
        added.append(f'[tool.doit.plugins.command] run = "{RUN_SPEC}"')
    return tomlkit.dumps(doc), added


def init(args: argparse.Namespace) -> int:
    ws = workspace(args)
    text = ws.manifest.read_text(encoding="utf-8")
    new_text, added = init_text(text)
    rel = ws.relative(ws.manifest)
    if not added:
        write(f"{rel} already has every releasekit and doit setting; nothing to do\n")
        return 0
    verb = "would add" if args.dry_run else "added"
    lines = [f"{verb} to {rel}:", *(f"  {line}" for line in added)]
    if args.dry_run:
        write("\n".join(lines) + "\ndry run: nothing was written\n")
        return 0
    atomic_write(ws.manifest, new_text.encode("utf-8"))
    lines.append("now `doit list --all` shows the release tasks and `releasekit plan` previews them")
    write("\n".join(lines) + "\n")
    return 0
