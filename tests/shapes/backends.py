"""Members built by other backends than hatchling, each saying where its code is its own way.

- :func:`setuptools_members`: core-io (src layout, ``packages.find where = ["src"]``) and
  core-plugin-legacy (``namespaces = true``: the import package is ``core.plugins.legacy``).
- :func:`uv_build_member`: core-fastpath, whose import package ``fastpath`` is set by
  ``[tool.uv.build-backend] module-name``.
"""

from __future__ import annotations

from tests.shapes.layout import CORE, Shape
from tests.shapes.plugins import CORE_REQUIREMENT

SETUPTOOLS = '[build-system]\nrequires = ["setuptools>=77"]\nbuild-backend = "setuptools.build_meta"'
UV_BUILD = '[build-system]\nrequires = ["uv_build>=0.13,<0.14"]\nbuild-backend = "uv_build"'

SETUPTOOLS_MEMBER = "core-io"
SETUPTOOLS_NAMESPACE_MEMBER = "core-plugin-legacy"
UV_BUILD_MEMBER = "core-fastpath"
UV_BUILD_MODULE = "fastpath"


def setuptools_members(shape: Shape) -> None:
    shape.core()
    shape.add(
        "packages/io", SETUPTOOLS_MEMBER, build_system=SETUPTOOLS, deps=[CORE_REQUIREMENT], imports=[CORE],
        tables=['[tool.setuptools.packages.find]\nwhere = ["src"]\n'],
    )
    shape.add(
        "plugins/legacy", SETUPTOOLS_NAMESPACE_MEMBER, build_system=SETUPTOOLS,
        deps=[CORE_REQUIREMENT], imports=[CORE], import_name="core/plugins/legacy",
        tables=['[tool.setuptools.packages.find]\nwhere = ["src"]\ninclude = ["core.plugins.legacy*"]\n'
                "namespaces = true\n"],
    )


def uv_build_member(shape: Shape) -> None:
    shape.core()
    shape.add(
        "packages/fastpath", UV_BUILD_MEMBER, build_system=UV_BUILD, deps=[CORE_REQUIREMENT], imports=[CORE],
        import_name=UV_BUILD_MODULE, tables=[f'[tool.uv.build-backend]\nmodule-name = "{UV_BUILD_MODULE}"\n'],
    )
