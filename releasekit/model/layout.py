"""The import packages a distribution ships, read from its build backend's configuration.

A distribution's import name is often not its name: ``core-plugin-openai`` ships
``core.plugins.openai`` inside the PEP 420 namespace ``core``. Checks that need the import
packages (PEP 561 markers, naming) ask :func:`import_layout`, which reads what the backend
would put in the wheel; :func:`wheel_import_packages` reads the same from a built wheel, and
both apply one rule, so the two agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path

from releasekit.model.layout_backends import reader_for
from releasekit.model.layout_files import Root, ShippedFiles, is_reserved, strings
from releasekit.model.package import Package

_EXTENSIONS = (".so", ".pyd")
_SKIPPED_DIRS = frozenset({"__pycache__", "tests", "test", "node_modules", "site-packages"})
_MAX_DEPTH = 12  # namespace portions nest a few levels; deeper trees are not code to ship
HOW_TO_DECLARE = (
    "declare the import packages where the build backend reads them (e.g. [tool.hatch.build."
    'targets.wheel] packages = ["src/acme"]) or in [project] import-names (PEP 794)'
)


@dataclass(frozen=True)
class ImportLayout:
    """The import packages of one distribution and where they live in its source tree."""

    #: Dotted import names that carry code, sorted: packages with ``__init__.py`` and single
    #: modules, never the namespace portions above them.
    packages: tuple[str, ...]
    #: Dotted name -> its directory (or the module's file) in the source tree.
    paths: Mapping[str, Path] = field(compare=False)
    #: PEP 420 namespace portions above the packages: ``("core", "core.plugins")``.
    namespaces: tuple[str, ...]
    #: What the layout was read from, for messages: "hatch only-include", ...
    source: str
    #: Why the layout could not be read with confidence (callers warn, never fail).
    problem: str | None = None


def _module_name(filename: str) -> str | None:
    if filename.endswith(".py"):
        return filename[:-3]
    if filename.endswith(_EXTENSIONS):
        return filename.split(".", 1)[0]
    return None


def _classify(names: Iterable[str]) -> tuple[dict[str, str], tuple[str, ...]]:
    """(dotted name -> the file that makes it importable, namespaces) of a wheel's file list.

    A package is the outermost directory with ``__init__.py``; a module is a ``.py`` file or a
    compiled extension directly in the wheel's top or in a namespace portion.
    """
    files = [n for n in names if n and not n.endswith("/") and not n.split("/", 1)[0].endswith((".dist-info", ".data"))]
    inits = {n[: -len("/__init__.py")] for n in files if n.endswith("/__init__.py")}
    found: dict[str, str] = {}
    for name in files:
        parts = name.split("/")
        owner = next(("/".join(parts[:i]) for i in range(1, len(parts)) if "/".join(parts[:i]) in inits), None)
        if owner is not None:
            dotted_parts = owner.split("/")
            found.setdefault(".".join(dotted_parts), owner + "/__init__.py")
            continue
        module = _module_name(parts[-1])
        if module and module != "__init__":
            found.setdefault(".".join([*parts[:-1], module]), name)
    found = {k: v for k, v in found.items() if all(p.isidentifier() for p in k.split("."))}
    namespaces = {".".join(k.split(".")[:i]) for k in found for i in range(1, k.count(".") + 1)}
    return found, tuple(sorted(namespaces - set(found)))


def wheel_import_packages(names: Iterable[str]) -> tuple[str, ...]:
    """The import packages and modules a wheel installs, from its file list (``namelist()``)."""
    return tuple(sorted(_classify(names)[0]))


def _walk(root: Root, selection: ShippedFiles, member: Path, out: dict[str, Path]) -> None:
    """Record ``root``'s importable files under their wheel paths, as the backend would ship them."""

    def excluded(path: Path) -> bool:
        if not selection.exclude or not path.is_relative_to(member):
            return False
        relative = path.relative_to(member).as_posix()
        return any(_ignores(pattern, relative) for pattern in selection.exclude)

    def visit(source: Path, target: str, depth: int) -> None:
        if excluded(source):
            return
        if source.is_file():
            if _module_name(source.name):
                out[target] = source
            return
        if target and (source / "__init__.py").is_file():
            out[target + "/__init__.py"] = source
            return
        if not source.is_dir() or depth > _MAX_DEPTH:
            return
        for child in sorted(source.iterdir()):
            inner = f"{target}/{child.name}" if target else child.name
            top = source == member and selection.flat
            if child.is_file():
                if not (top and is_reserved(child.name)):
                    visit(child, inner, depth + 1)
            elif root.descend and _enterable(child) and not (top and is_reserved(child.name)):
                visit(child, inner, depth + 1)

    visit(root.source, root.target, 0)


def _enterable(directory: Path) -> bool:
    """A directory that can be a namespace portion: importable name, not another project's tree."""
    name = directory.name
    return (
        name.isidentifier()
        and name not in _SKIPPED_DIRS
        and not directory.is_symlink()
        and not (directory / "pyproject.toml").exists()
    )


def _ignores(pattern: str, relative: str) -> bool:
    """A gitignore-style pattern (hatch ``exclude``, pdm ``excludes``) matching a member path."""
    cleaned = pattern.strip().rstrip("/")
    if cleaned.startswith("/") or "/" in cleaned:
        cleaned = cleaned.lstrip("/")
        return fnmatchcase(relative, cleaned) or relative.startswith(cleaned + "/")
    return any(fnmatchcase(part, cleaned) for part in relative.split("/"))


def resolve(selection: ShippedFiles, member: Path) -> ImportLayout:
    """Walk a backend's selection into import packages, their paths and namespace portions."""
    out: dict[str, Path] = {}
    problem = selection.problem
    for root in selection.roots:
        if not root.source.exists() and problem is None:
            shown = root.source.relative_to(member).as_posix() if root.source.is_relative_to(member) else root.source
            problem = f"{selection.source} names {shown}, which does not exist"
        _walk(root, selection, member, out)
    native = [n.replace(".", "/") + ".so" for n in selection.native]
    found, namespaces = _classify([*out, *native])
    paths = {name: out[file] for name, file in found.items() if file in out}
    if not found and problem is None and not selection.may_be_empty:
        problem = f"{selection.source} selects no Python package or module"
    return ImportLayout(tuple(sorted(found)), paths, namespaces, selection.source, problem)


def _declared(pkg: Package) -> ShippedFiles | None:
    """``[project] import-names`` (PEP 794), looked up in src/ and the member itself."""
    names = [entry.split(";")[0].strip() for entry in strings(pkg.project.get("import-names"))]
    if not names:
        return None
    roots = []
    for name in names:
        parts = name.split(".")
        candidates = [
            path
            for base in (pkg.path / "src", pkg.path)
            for path in (base.joinpath(*parts), base.joinpath(*parts[:-1], parts[-1] + ".py"))
        ]
        found = next((p for p in candidates if p.exists()), candidates[0])
        roots.append(Root(found, "/".join(parts) + (".py" if found.suffix == ".py" else "")))
    return ShippedFiles(tuple(roots), "[project] import-names")


def _guess(pkg: Package, why: str) -> ShippedFiles:
    src = pkg.path / "src"
    if src.is_dir():
        return ShippedFiles((Root(src, ""),), "a scan of src/", why)
    return ShippedFiles((Root(pkg.path, ""),), "a scan of the member directory", why, flat=True)


def import_layout(pkg: Package) -> ImportLayout:
    """The import packages ``pkg`` ships, read from its build backend's configuration.

    A backend releasekit does not read, or a configuration that does not resolve, gives a
    best-effort layout with ``problem`` set; ``[project] import-names`` then has the last word.
    """
    reader = reader_for(pkg.build_backend)
    if reader is None:
        selection = _guess(pkg, f"releasekit does not read the configuration of {pkg.build_backend!r}")
    else:
        selection = reader(pkg)
    layout = resolve(selection, pkg.path)
    if layout.problem is None:
        return layout
    declared = _declared(pkg)
    if declared is not None:
        stated = resolve(declared, pkg.path)
        if stated.problem is None:
            return stated
    if not layout.packages and reader is not None:
        guessed = resolve(_guess(pkg, layout.problem), pkg.path)
        return ImportLayout(guessed.packages, guessed.paths, guessed.namespaces, layout.source, layout.problem)
    return layout
