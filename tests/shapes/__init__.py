"""A corpus of real-workspace shapes (notes/real-workspaces.md) as small synthetic uv workspaces.

Each builder adds one shape to a :class:`Shape`; ``build_shape(name, root, env)`` writes a
recipe of them, commits, locks with real uv against a local index and tags. ``Expected`` says
what each member must become: its version as its build backend computes it, whether it may be
published, and which modules a clean install imports (or fails to).
"""

from tests.shapes.catalog import COMPOSITES, RECIPES, build_shape
from tests.shapes.layout import Expected, Shape

__all__ = ["COMPOSITES", "RECIPES", "Expected", "Shape", "build_shape"]
