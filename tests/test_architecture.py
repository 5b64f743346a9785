"""The house rules that a reader relies on: no import cycles, nothing imports upward, small modules.

The layers, lowest first, are in ``LAYERS``; a module may import its own layer and those below.
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "releasekit"

#: lowest first: a module may import from its own layer and every layer before it.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors", "support"),
    ("backends",),
    ("model",),
    ("engine", "workflow", "checks", "preflight"),
    ("report", "ui"),
    ("api", "doitloader", "doitcmd"),
    ("commands",),
    ("cli", "__main__"),
)
MAX_LINES = 400


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> Iterator[tuple[str, bool]]:
    """(imported releasekit module, whether only for type checking) for each import in the file."""
    tree = ast.parse(path.read_text())
    typing_only: set[int] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            typing_only.update(id(inner) for inner in ast.walk(node))
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            targets = [f"{node.module}.{alias.name}" for alias in node.names]
        for dotted in targets:
            target = dotted
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target.startswith("releasekit") and target != name:
                yield target, id(node) in typing_only


def _layer(module: str) -> int:
    parts = module.split(".")
    head = parts[1] if len(parts) > 1 else "__init__"
    for index, members in enumerate(LAYERS):
        if head in members:
            return index
    if head == "__init__":
        return 0
    raise AssertionError(f"{module} is in no layer: add its folder to LAYERS in {__file__}")


def test_every_module_has_a_layer() -> None:
    for module in MODULES:
        _layer(module)


def test_nothing_imports_upward() -> None:
    upward = [
        f"{name} (layer {_layer(name)}) imports {target} (layer {_layer(target)})"
        for name, path in MODULES.items()
        for target, _ in _imports(name, path)
        if _layer(target) > _layer(name)
    ]
    assert not upward, "\n".join(upward)


def test_no_import_cycles() -> None:
    edges = {name: {t for t, typing in _imports(name, path) if not typing} for name, path in MODULES.items()}
    # a package's __init__ re-exporting its own modules is not a cycle a reader trips on
    for name, targets in edges.items():
        if MODULES[name].name == "__init__.py":
            targets.difference_update({t for t in targets if t.startswith(name + ".")})
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(edges[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for name in sorted(edges):
        if name not in index:
            visit(name)
    assert not cycles, "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)


def test_modules_are_small() -> None:
    sizes = {module: len(path.read_text().splitlines()) for module, path in MODULES.items()}
    large = [f"{module}: {lines} lines" for module, lines in sorted(sizes.items()) if lines > MAX_LINES]
    assert not large, f"modules over {MAX_LINES} lines (split them along their seams): " + ", ".join(large)


def test_the_api_names_each_public_name_once_and_each_resolves() -> None:
    from releasekit import api

    assert sorted(api.__all__) == sorted(api._HOME), "api.__all__ and api._HOME list different names"
    for name in api.__all__:
        assert getattr(api, name) is getattr(importlib.import_module(api._HOME[name]), name)


def test_a_plan_never_imports_the_engine_run_nor_the_index_client() -> None:
    """`plan`, `discover` and `graph` are read often and must start fast: measured, the run's
    engine, the checks and requests were 0.4 s of a 0.8 s plan, the build-hook machinery 50 ms
    (needed only when a member's metadata is dynamic)."""
    probe = (
        "import sys, releasekit.cli\n"
        "from releasekit import api, commands\n"
        "import releasekit.commands.inspect\n"
        "api.plan\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('requests', 'doit', 'tenacity', 'rich')\n"
        "               or m in ('releasekit.engine.runner', 'releasekit.checks', 'releasekit.preflight.gates',\n"
        "                        'releasekit.model.backendmeta'))\n"
        "print(' '.join(heavy))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.split() == [], f"imported on plan's path: {done.stdout}"
