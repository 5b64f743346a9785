"""The 10-package workspace the crash and fault tests publish.

Shape (arrows point at dependencies)::

    core <- left  <- top <- app <- cli        (a chain of five, with a diamond:
    core <- right <- top                        core -> left, right -> top)
    util <- plug <- cli                        (cli joins the two chains)
    util <- plug; core <- plug
    solo                                       (independent)
    docs <- (nothing)                          (independent, no internal deps)

Every member is a tiny hatchling project (static version, no third-party dependencies),
so `uv lock` works offline and `uv build` needs only the wheelhouse on the local index.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from tests.harness.workspace import commit_all, uv_lock, write_package, write_root

PREFIX = "rkz"
#: package suffix -> internal dependencies (suffixes)
SHAPE: Mapping[str, tuple[str, ...]] = {
    "core": (),
    "util": (),
    "left": ("core",),
    "right": ("core",),
    "top": ("left", "right"),
    "plug": ("util", "core"),
    "app": ("top",),
    "cli": ("app", "plug"),
    "solo": (),
    "docs": (),
}


def names() -> list[str]:
    return [f"{PREFIX}-{s}" for s in SHAPE]


def write_member(directory: Path, suffix: str, version: str, *, marker: str = "") -> Path:
    """One member as a standalone project in ``directory`` (``marker`` changes its bytes)."""
    deps = SHAPE[suffix]
    write_package(
        directory.parent, directory.name, f"{PREFIX}-{suffix}", version=version,
        deps=[f"{PREFIX}-{d}>={version}" for d in deps],
        classifiers=("Programming Language :: Python :: 3",),
    )
    init = directory / "src" / f"{PREFIX}_{suffix}" / "__init__.py"
    text = f'__version__ = "{version}"\nDEPENDS_ON = {list(deps)!r}\n'
    if marker:
        text += f"MARKER = {marker!r}\n"
    init.write_text(text, encoding="utf-8")
    return directory


def write(root: Path, version: str = "1.0.0", *, smoke_test: bool = True) -> Path:
    """Write the workspace at ``version`` (every member), lock it and commit it."""
    releasekit = (
        'state_dir = ".releasekit"\n'
        f"smoke_test = {'true' if smoke_test else 'false'}\n"
        "max_retries = 4\n"
        "retry_base_delay = 0.2\n"
    )
    write_root(root, sources=names(), releasekit=releasekit)
    with open(root / "pyproject.toml", "a", encoding="utf-8") as manifest:  # plain `doit` works too
        manifest.write('\n[tool.doit]\nloader = "releasekit"\n\n[tool.doit.plugins.loader]\n'
                       'releasekit = "releasekit.doitloader:WorkspaceLoader"\n\n'
                       '[tool.doit.plugins.command]\nrun = "releasekit.doitcmd:ReleaseRun"\n')
    for suffix in SHAPE:
        write_member(root / "packages" / suffix, suffix, version)
    uv_lock(root)
    commit_all(root, f"release {version}")
    return root


def set_version(root: Path, version: str) -> None:
    """Every member (and its internal requirements) at ``version``; relocked and committed."""
    write(root, version)
