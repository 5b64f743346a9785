"""Shapes of a core package and its plugins (notes/real-workspaces.md §1-§3).

- :func:`batteries`: core's extras name plugins that themselves require core.
- :func:`namespace_plugins`: plugins whose import package is ``core.plugins.<x>``, a PEP 420
  namespace built with hatch ``only-include``; one plugin depends on another.
- :func:`missing_subpackage`: a plugin whose wheel leaves out a sibling folder one of its
  modules imports: it builds and uploads, and fails on import.

In a composite, call :func:`namespace_plugins` before :func:`batteries`, so the extras point at
the namespace plugins instead of adding plain ones.
"""

from __future__ import annotations

from collections.abc import Sequence

from tests.shapes.layout import CORE, Pending, Shape
from tests.shapes.texts import THIRD_PARTY, hatch_only_include, module_source

CORE_REQUIREMENT = "core>=0.7"
OPENAI = "core-plugin-openai"
AZURE = "core-plugin-azure"
EVALUATORS = "core-plugin-evaluators"
EVALS_CLI = "core-evals-cli"
#: The module of the broken plugin whose import fails, and the one it cannot find.
BROKEN_MODULE = "core.plugins.evaluators.helpers"
MISSING_MODULE = "core.plugins.metrics"


def plugin(shape: Shape, folder: str, *, deps: Sequence[str] = (), imports: Sequence[str] = ()) -> Pending:
    """``core-plugin-<folder>``: the member already there, or a plain package ``core_plugin_<x>``."""
    name = f"core-plugin-{folder}"
    if name in shape.pending:
        return shape.pending[name]
    shape.core()
    return shape.add(f"plugins/{folder}", name, deps=[CORE_REQUIREMENT, *deps], imports=[CORE, *imports])


def namespace_plugin(shape: Shape, folder: str, *, deps: Sequence[str] = (), imports: Sequence[str] = (),
                     files: dict[str, str] | None = None) -> Pending:
    """``core-plugin-<folder>`` shipping only ``src/core/plugins/<x>/`` (no ``__init__.py`` above)."""
    shape.core()
    package = "core/plugins/" + folder.replace("-", "_")
    return shape.add(
        f"plugins/{folder}",
        f"core-plugin-{folder}",
        deps=[CORE_REQUIREMENT, *deps],
        imports=[CORE, *imports],
        import_name=package,
        tables=[hatch_only_include(package)],
        files=files or {},
    )


def batteries(shape: Shape) -> None:
    """``core[openai]`` and ``core[all]``: extras whose targets hard-depend on core."""
    plugin(shape, "openai", deps=[THIRD_PARTY])
    plugin(shape, "azure")
    core = shape.core()
    core.add_extra("openai", [OPENAI])
    core.add_extra("all", [f"{OPENAI}>=0.7", f"{AZURE}>=0.7"])


def namespace_plugins(shape: Shape) -> None:
    """openai and azure as ``core.plugins.*``; azure builds on openai. A root source names azure,
    which nothing requires unless another builder adds a requirement (``Shape.unused_sources``)."""
    namespace_plugin(shape, "openai", deps=[THIRD_PARTY])
    namespace_plugin(shape, "azure", deps=[f"{OPENAI}>=0.7"], imports=["core.plugins.openai"])
    shape.spare_sources.append(AZURE)


def missing_subpackage(shape: Shape) -> None:
    """core-plugin-evaluators: ``helpers.py`` imports ``core.plugins.metrics``, which sits in the
    plugin's own src/ but outside ``only-include``; core-evals-cli depends on the plugin."""
    metrics = module_source("Metrics the evaluators use; the wheel leaves this folder out.")
    helpers = (
        '"""Scoring helpers: they need the metrics subpackage."""\n\n'
        "from __future__ import annotations\n\n"
        f"import {MISSING_MODULE}\n\n\n"
        "def score(answer: str) -> str:\n"
        f"    return answer + {MISSING_MODULE}.describe()\n"
    )
    namespace_plugin(shape, "evaluators", files={
        "src/core/plugins/evaluators/helpers.py": helpers,
        "src/core/plugins/metrics/__init__.py": metrics,
    })
    shape.expect(EVALUATORS, broken=BROKEN_MODULE)
    # Importing the plugin's package alone never touches helpers.py: a deep import does.
    shape.config.append("smoke = { import_all = true }")
    shape.add("packages/evals-cli", EVALS_CLI, deps=[f"{EVALUATORS}>=0.7"], imports=["core.plugins.evaluators"])
