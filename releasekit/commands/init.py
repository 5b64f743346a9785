"""`init`: write `[tool.releasekit]` defaults and the settings that make plain `doit` work."""

from __future__ import annotations

import argparse
from typing import Any

import tomlkit

from releasekit.commands.common import workspace, write
from releasekit.fsutil import atomic_write

LOADER_NAME = "releasekit"
LOADER_SPEC = "releasekit.doitloader:WorkspaceLoader"

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
    """``text`` with missing releasekit and doit settings added; existing values are kept."""
    doc = tomlkit.parse(text)
    added: list[str] = []
    tool: Any = doc.setdefault("tool", tomlkit.table(is_super_table=True))
    rk: Any = tool.get("releasekit")
    if rk is None:
        rk = tomlkit.table()
        rk.comment("releasekit settings; every key is documented in releasekit's README")
        tool["releasekit"] = rk
    for key, value in DEFAULTS.items():
        if key not in rk:
            rk[key] = value
            added.append(f"[tool.releasekit] {key} = {tomlkit.item(value).as_string()}")
    index: Any = rk.get("index")
    if index is None:
        index = tomlkit.table()
        rk["index"] = index
    for key, value in INDEX_DEFAULTS.items():
        if key not in index:
            index[key] = value
            added.append(f"[tool.releasekit.index] {key} = {tomlkit.item(value).as_string()}")
    doit: Any = tool.get("doit")
    if doit is None:
        doit = tomlkit.table()
        doit.comment("lets plain `doit list`, `doit publish` and `doit -n N` load releasekit's tasks")
        tool["doit"] = doit
    if "loader" not in doit:
        doit["loader"] = LOADER_NAME
        added.append(f'[tool.doit] loader = "{LOADER_NAME}"')
    plugins: Any = doit.get("plugins")
    if plugins is None:
        plugins = tomlkit.table(is_super_table=True)
        doit["plugins"] = plugins
    loaders: Any = plugins.get("loader")
    if loaders is None:
        loaders = tomlkit.table()
        plugins["loader"] = loaders
    if LOADER_NAME not in loaders:
        loaders[LOADER_NAME] = LOADER_SPEC
        added.append(f'[tool.doit.plugins.loader] {LOADER_NAME} = "{LOADER_SPEC}"')
    return (tomlkit.dumps(doc) if added else text), added


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
