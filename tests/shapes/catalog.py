"""Every shape by name, and the composites that combine several the way real projects do.

A recipe is the list of builders applied, in order, to one empty workspace. The composites
exist so that one set of builds (the slow part) covers many shapes end to end:

- ``composite-plugins`` (a genkit-like tree): namespace plugins, batteries extras, the plugin
  with a missing subpackage, excluded samples, a dependency-group loop, a template directory,
  a private tool.
  Publishing it must fail at exactly one plugin's smoke test.
- ``composite-backends`` (a pydantic-ai-like tree): hatch-vcs, a file version, hook-templated
  dependencies, setuptools, uv_build, samples opted out by ``publish = false``, a
  ``dev-dependencies`` loop. Everything in it is publishable and works.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path

from tests.shapes.backends import setuptools_members, uv_build_member
from tests.shapes.large import large_workspace
from tests.shapes.layout import Shape
from tests.shapes.plugins import batteries, missing_subpackage, namespace_plugins
from tests.shapes.tree import group_loop, private_tool, samples, stale_pin, template_dir
from tests.shapes.versions import file_version, hook_dependencies, vcs_version

Builder = Callable[[Shape], None]

RECIPES: dict[str, tuple[Builder, ...]] = {
    "batteries": (batteries,),
    "namespace": (namespace_plugins,),
    "missing-subpackage": (missing_subpackage,),
    "vcs-version": (vcs_version,),
    "file-version": (file_version,),
    "hook-dependencies": (hook_dependencies,),
    "samples-excluded": (partial(samples, opt_out="exclude"),),
    "samples-opted-out": (partial(samples, opt_out="publish = false"),),
    "stale-pin": (stale_pin,),
    "template": (template_dir,),
    "group-loop": (partial(group_loop, table="dependency-groups"),),
    "dev-dependency-loop": (partial(group_loop, table="dev-dependencies"),),
    "other-backends": (setuptools_members, uv_build_member),
    "large": (large_workspace,),
    "composite-plugins": (
        namespace_plugins, batteries, missing_subpackage, partial(samples, opt_out="exclude"),
        partial(group_loop, table="dependency-groups"), template_dir, private_tool,
    ),
    "composite-backends": (
        vcs_version, file_version, hook_dependencies, setuptools_members, uv_build_member,
        partial(samples, opt_out="publish = false"), partial(group_loop, table="dev-dependencies"),
    ),
}
COMPOSITES = ("composite-plugins", "composite-backends")


def build_shape(name: str, root: Path, env: Mapping[str, str] | None = None) -> Shape:
    """Write, commit, lock (through ``env``'s index) and tag the shape ``name`` in ``root``."""
    shape = Shape(root)
    for builder in RECIPES[name]:
        builder(shape)
    return shape.finish(env, message=f"feat: {name} workspace")
