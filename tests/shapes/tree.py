"""Shapes of things in a workspace's tree that are not plain releases (real-workspaces.md §5-§8).

- :func:`samples`: ``samples/*`` are members with a [build-system] that must never be published;
  opted out by the root's ``exclude`` (a path glob) or by the sample's own ``publish = false``.
- :func:`stale_pin`: core-legacy still requires ``core>=0.4,<0.5``; util is unrelated to it.
- :func:`template_dir`: a cookiecutter template whose pyproject.toml is Jinja, not TOML.
- :func:`group_loop`: core's test group needs core-test-utils, which depends on core.
- :func:`private_tool`: an internal tool marked ``Private :: Do Not Upload``.
"""

from __future__ import annotations

from typing import Literal

from tests.shapes.layout import CORE, Shape
from tests.shapes.plugins import CORE_REQUIREMENT
from tests.shapes.texts import toml_list, tool_releasekit

SAMPLES = ("sample-hello", "sample-chat")
OptOut = Literal["exclude", "publish = false"]
PRIVATE_MEMBER = "core-devtools"
STALE_MEMBER = "core-legacy"
STALE_REQUIREMENT = "core>=0.4,<0.5"
UNRELATED_MEMBER = "util"
TEMPLATE_DIR = "templates/{{cookiecutter.project_slug}}"
TEST_UTILS = "core-test-utils"
GroupTable = Literal["dependency-groups", "dev-dependencies"]

TEMPLATE_PYPROJECT = """\
[project]
name = "{{ cookiecutter.project_slug }}"
version = "{{ cookiecutter.version }}"
description = "{{ cookiecutter.description }}"
dependencies = ["core>={{ cookiecutter.core_version }}"]
{% if cookiecutter.typed == "yes" %}
classifiers = ["Typing :: Typed"]
{% endif %}

[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"
"""
TEMPLATE_CONTEXT = """\
{
  "project_slug": "core-plugin-example",
  "module_name": "example",
  "version": "0.1.0",
  "description": "A new plugin for core.",
  "core_version": "0.7",
  "typed": "yes"
}
"""


def samples(shape: Shape, opt_out: OptOut = "exclude") -> None:
    """Two samples that import core: a [build-system], no private classifier, no licence."""
    shape.core()
    tables = [tool_releasekit(publish="false")] if opt_out == "publish = false" else []
    if opt_out == "exclude":
        shape.config.append(f"exclude = {toml_list(['samples/*'])}")
    for name in SAMPLES:
        shape.add(
            f"samples/{name.removeprefix('sample-')}", name, version="0.1.0",
            deps=[CORE_REQUIREMENT], imports=[CORE], license=None, typed=False, marker=False,
            publish=False, why_not=opt_out, tables=tables,
        )


def stale_pin(shape: Shape) -> None:
    """core is at 0.7.0 while core-legacy still asks for 0.4.x (uv locks it: a workspace source
    ignores the specifier); util depends on core alone."""
    shape.core()
    shape.add("packages/legacy", STALE_MEMBER, deps=[STALE_REQUIREMENT], imports=[CORE])
    shape.expect(STALE_MEMBER, conflicts=STALE_REQUIREMENT)
    shape.add("packages/util", UNRELATED_MEMBER, deps=[CORE_REQUIREMENT], imports=[CORE])


def template_dir(shape: Shape) -> None:
    """``templates/{{cookiecutter.project_slug}}/``: a pyproject.toml holding Jinja, which no
    member glob matches."""
    shape.core()
    shape.files.update({
        "templates/cookiecutter.json": TEMPLATE_CONTEXT,
        f"{TEMPLATE_DIR}/pyproject.toml": TEMPLATE_PYPROJECT,
        f"{TEMPLATE_DIR}/README.md": "# {{ cookiecutter.project_slug }}\n\n{{ cookiecutter.description }}\n",
        f"{TEMPLATE_DIR}/src/core/plugins/{{{{cookiecutter.module_name}}}}/__init__.py":
            '"""{{ cookiecutter.description }}"""\n',
    })


def group_loop(shape: Shape, table: GroupTable = "dependency-groups") -> None:
    """core lists core-test-utils for development only; core-test-utils depends on core."""
    core = shape.core()
    shape.add("packages/test-utils", TEST_UTILS, deps=[CORE_REQUIREMENT], imports=[CORE])
    group = toml_list([TEST_UTILS])
    if table == "dependency-groups":
        core.tables.append(f"[dependency-groups]\ntest = {group}\n")
    else:
        core.tables.append(f"[tool.uv]\ndev-dependencies = {group}\n")
    shape.sources.append(TEST_UTILS)


def private_tool(shape: Shape) -> None:
    """core-devtools: the way most workspaces keep a member off the index today."""
    shape.core()
    shape.add("packages/devtools", PRIVATE_MEMBER, deps=[CORE_REQUIREMENT], imports=[CORE], private=True,
              publish=False, why_not="private")
