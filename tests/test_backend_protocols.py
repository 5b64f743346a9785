"""Each backend and each test double that stands in for one has every member of its protocol,
with the protocol's signature; each protocol member is one an upper layer calls; upper layers
name only the protocols.

The assignments in ``_statically`` are for mypy (``mypy --strict`` runs on this file too); the
tests compare what mypy cannot see at run time: parameter names, kinds, defaults, annotations.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import Any

from releasekit.backends.git import Git
from releasekit.backends.github import GitHub
from releasekit.backends.protocols import ForgeBackend, GitBackend, IndexBackend, UvBackend
from releasekit.backends.registry import IndexClient
from releasekit.backends.uv import Uv
from tests.harness.doubles import EmptyIndex

PACKAGE = Path(__file__).resolve().parent.parent / "releasekit"
CONCRETE = {"Uv": UvBackend, "Git": GitBackend, "GitHub": ForgeBackend, "IndexClient": IndexBackend}
#: layers that see backends only through the protocols (commands/ and the backends are the edges)
UPPER = ("model", "engine", "workflow", "checks", "preflight", "report", "ui", "api", "doitloader.py", "doitcmd.py")


def _statically(tmp: Path) -> None:
    """Never called: mypy checks that each implementation is assignable to its protocol."""
    uv: UvBackend = Uv("uv")
    git: GitBackend = Git(tmp)
    forge: ForgeBackend = GitHub("acme/widgets", token=None)
    index: IndexBackend = IndexClient("http://127.0.0.1:9/simple/")
    empty: IndexBackend = EmptyIndex()
    del uv, git, forge, index, empty


def _implementations(tmp: Path) -> list[tuple[type[Any], object]]:
    return [
        (UvBackend, Uv("uv")),
        (GitBackend, Git(tmp)),
        (ForgeBackend, GitHub("acme/widgets", token=None)),
        (IndexBackend, IndexClient("http://127.0.0.1:9/simple/")),
        (IndexBackend, EmptyIndex()),
    ]


def members(protocol: type[Any]) -> dict[str, object]:
    return {name: value for name, value in vars(protocol).items() if not name.startswith("_")}


def _shape(signature: inspect.Signature) -> list[tuple[str, object, bool, str]]:
    """(name, kind, has a default, annotation) per parameter, ``self`` left out."""
    return [
        (p.name, p.kind, p.default is not p.empty, " ".join(str(p.annotation).split()))
        for p in signature.parameters.values()
        if p.name != "self"
    ]


def mismatches(protocol: type[Any], implementation: object) -> list[str]:
    """What ``implementation`` lacks or spells differently from ``protocol``; empty when it fits."""
    found = []
    owner = type(implementation).__name__
    for name, member in members(protocol).items():
        if not hasattr(implementation, name):
            found.append(f"{owner} has no {name}")
        elif isinstance(member, property):
            if callable(getattr(implementation, name)):
                found.append(f"{owner}.{name} is a method, the protocol's an attribute")
        else:
            want = inspect.signature(member)  # type: ignore[arg-type]
            have = inspect.signature(getattr(type(implementation), name))
            if _shape(want) != _shape(have) or " ".join(str(want.return_annotation).split()) != " ".join(
                str(have.return_annotation).split()
            ):
                found.append(f"{owner}.{name}{have} differs from {protocol.__name__}.{name}{want}")
    return found


def test_every_implementation_fits_its_protocol(tmp_path: Path) -> None:
    problems = [problem for protocol, impl in _implementations(tmp_path) for problem in mismatches(protocol, impl)]
    assert not problems, "\n".join(problems)


def test_a_drifted_double_is_caught() -> None:
    class Drifted(EmptyIndex):
        def version_files(self, name: str, version: str) -> dict[str, Any]:
            return {}

    problems = mismatches(IndexBackend, Drifted())
    assert len(problems) == 1 and "Drifted.version_files" in problems[0], problems

    class Lacking:
        check_url = "http://127.0.0.1:9/simple/"

    assert len(mismatches(IndexBackend, Lacking())) == len(members(IndexBackend)) - 1


def _upper_modules() -> list[Path]:
    return sorted(
        path
        for head in UPPER
        for path in ([PACKAGE / head] if head.endswith(".py") else (PACKAGE / head).rglob("*.py"))
    )


def test_each_protocol_member_is_called_above_the_backends() -> None:
    called = {
        node.attr
        for path in _upper_modules()
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Attribute)
    }
    unused = [
        f"{protocol.__name__}.{name}"
        for protocol in CONCRETE.values()
        for name in members(protocol)
        if name not in called
    ]
    assert not unused, f"protocol members no upper layer uses (drop them): {unused}"


def test_upper_layers_name_only_the_protocols() -> None:
    named = [
        f"{path.relative_to(PACKAGE)}:{node.lineno} imports {alias.name}"
        for path in _upper_modules()
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("releasekit.backends")
        for alias in node.names
        if alias.name in CONCRETE
    ]
    assert not named, f"construct backends with the factory next to the class, annotate with the protocol: {named}"
