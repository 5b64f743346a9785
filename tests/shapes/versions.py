"""Shapes whose version or dependencies only the build backend knows (real-workspaces.md §4).

- :func:`vcs_version`: hatch-vcs reads the member's own git tag (``core-telemetry-v0.3.0``) in
  a repository that holds other members' tags too.
- :func:`file_version`: hatch reads ``__version__`` from ``src/core_tracing/__about__.py``.
- :func:`hook_dependencies`: an in-tree hatch metadata hook writes ``pkg-slim[cli]==<version>``
  into pkg's dependencies; pkg's ``[tool.uv.sources]`` is the only static trace of that edge.
"""

from __future__ import annotations

from tests.shapes.layout import CORE, Shape
from tests.shapes.plugins import CORE_REQUIREMENT
from tests.shapes.texts import THIRD_PARTY

HATCH_VCS = '[build-system]\nrequires = ["hatchling", "hatch-vcs"]\nbuild-backend = "hatchling.build"'

VCS_MEMBER = "core-telemetry"
VCS_VERSION = "0.3.0"
VCS_TAG = f"{VCS_MEMBER}-v{VCS_VERSION}"
FILE_MEMBER = "core-tracing"
FILE_VERSION = "0.5.1"
HOOK_MEMBER = "pkg"
SLIM_MEMBER = "pkg-slim"
HOOK_VERSION = "1.2.0"
#: The requirement the hook writes into pkg's metadata.
HOOK_REQUIREMENT = f"{SLIM_MEMBER}[cli]=={HOOK_VERSION}"

HOOK_SOURCE = '''\
"""pkg ships in lockstep with pkg-slim: its one dependency is pkg-slim at exactly its own version."""

from __future__ import annotations

from typing import Any

from hatchling.metadata.plugin.interface import MetadataHookInterface


class LockstepDependencies(MetadataHookInterface):
    def update(self, metadata: dict[str, Any]) -> None:
        metadata["dependencies"] = ["pkg-slim[cli]==" + metadata["version"]]
'''


def vcs_version(shape: Shape) -> None:
    """core-telemetry: ``dynamic = ["version"]`` from its own tag, found with ``git describe
    --match`` from the repository's root (two levels up), since other members tag too."""
    relpath = "packages/telemetry"
    up = "/".join([".."] * (relpath.count("/") + 1))
    shape.core()
    shape.add(
        relpath, VCS_MEMBER, builds=VCS_VERSION, dynamic=["version"], build_system=HATCH_VCS,
        deps=[CORE_REQUIREMENT], imports=[CORE],
        tables=[
            '[tool.hatch.version]\nsource = "vcs"\n'
            f"tag-pattern = '^{VCS_MEMBER}-v(?P<version>.+)$'\n",
            "[tool.hatch.version.raw-options]\n"
            f'root = "{up}"\n'
            'git_describe_command = ["git", "describe", "--dirty", "--tags", "--long", '
            f'"--match", "{VCS_MEMBER}-v*"]\n',
        ],
    )
    shape.tags.append(VCS_TAG)


def file_version(shape: Shape) -> None:
    """core-tracing: hatch's ``[tool.hatch.version] path`` names the file with ``__version__``."""
    about = "src/core_tracing/__about__.py"
    shape.core()
    shape.add(
        "packages/tracing", FILE_MEMBER, builds=FILE_VERSION, dynamic=["version"],
        deps=[CORE_REQUIREMENT], imports=[CORE],
        tables=[f'[tool.hatch.version]\npath = "{about}"\n'],
        files={about: f'__version__ = "{FILE_VERSION}"\n'},
    )


def hook_dependencies(shape: Shape) -> None:
    """pkg-slim (static, with a ``cli`` extra) and pkg, whose version comes from a file and whose
    dependencies a ``hatch_build.py`` metadata hook writes from that version."""
    shape.add("packages/pkg-slim", SLIM_MEMBER, version=HOOK_VERSION, optional={"cli": [THIRD_PARTY]})
    about = "src/pkg/__about__.py"
    shape.add(
        "packages/pkg", HOOK_MEMBER, builds=HOOK_VERSION, dynamic=["version", "dependencies"],
        imports=["pkg_slim"],
        tables=[
            f'[tool.hatch.version]\npath = "{about}"\n',
            "[tool.hatch.metadata.hooks.custom]\n",
            f"[tool.uv.sources]\n{SLIM_MEMBER} = {{ workspace = true }}\n",
        ],
        files={about: f'__version__ = "{HOOK_VERSION}"\n', "hatch_build.py": HOOK_SOURCE},
    )
    shape.hidden_edges.append((HOOK_MEMBER, SLIM_MEMBER, "dependency"))
