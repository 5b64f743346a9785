"""What each build backend ships: its configuration read into paths and their place in the wheel.

Each reader follows its backend's own rules (explicit options first, then the backend's
default discovery) and returns a :class:`ShippedFiles`; :mod:`releasekit.model.layout` walks it into
import packages. Nothing here runs a backend: only ``[tool.*]`` tables and the member's files.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from releasekit.model.layout_files import (
    Root,
    ShippedFiles,
    clean_path,
    glob_paths,
    is_reserved,
    module_target,
    strings,
    table,
)
from releasekit.model.package import Package

# --- hatchling ----------------------------------------------------------------------------------


def _hatch_default(pkg: Package) -> tuple[list[str], list[str], str]:
    """hatch's default file selection: (packages, only-include, what it found); empty when nothing."""
    names = dict.fromkeys(re.sub(r"[^\w\d.]+", "_", n) for n in (pkg.declared_name, pkg.name))
    for name in names:
        if (pkg.path / name / "__init__.py").is_file():
            return [name], [], f"hatch default ({name}/)"
        if (pkg.path / "src" / name / "__init__.py").is_file():
            return [f"src/{name}"], [], f"hatch default (src/{name}/)"
        if (pkg.path / f"{name}.py").is_file():
            return [], [f"{name}.py"], f"hatch default ({name}.py)"
        nested = sorted(p for p in pkg.path.glob(f"[!.]*/{name}/__init__.py"))
        if len(nested) == 1:
            top = nested[0].relative_to(pkg.path).parts[0]
            return [top], [], f"hatch default ({top}/{name}/)"
    return [], [], " or ".join(names)


def _hatch_sources(raw: object, packages: Iterable[str]) -> dict[str, str]:
    """hatch ``sources``: member-relative prefixes ("src/") and what replaces them in the wheel."""
    sources: dict[str, str] = {}
    if isinstance(raw, list):
        sources = {clean_path(s) + "/": "" for s in strings(raw) if clean_path(s)}
    elif isinstance(raw, Mapping):
        for key, value in raw.items():
            if isinstance(key, str) and isinstance(value, str):
                sources[clean_path(key) + "/" if clean_path(key) else ""] = (
                    clean_path(value) + "/" if clean_path(value) else ""
                )
    for package in packages:
        parent = posixpath.dirname(package)
        if parent and package + "/" not in sources:
            sources[parent + "/"] = ""
    return dict(sorted(sources.items()))


def read_hatch(pkg: Package) -> ShippedFiles:
    build = table(pkg.tool, "hatch", "build")
    wheel = table(build, "targets", "wheel")

    def option(key: str) -> object:
        return wheel[key] if key in wheel else build.get(key)

    only = [clean_path(p) for p in strings(option("only-include"))]
    packages = [clean_path(p) for p in strings(option("packages"))]
    include = strings(option("include"))
    bypass = option("bypass-selection") is True
    problem = None
    if bypass:
        label, paths = "hatch bypass-selection", []
    elif only:
        label, paths = "hatch only-include", only
    elif packages:
        label, paths = "hatch packages", packages
    elif include:
        label, paths = "hatch include", _hatch_include(pkg.path, include)
    else:
        packages, paths, label = _hatch_default(pkg)
        paths = paths or packages
        if not paths:
            problem = (
                f"hatchling finds no package named {label} in the member, src/ or one level down, "
                "and no [tool.hatch.build.targets.wheel] packages/only-include is set, so its build fails"
            )
            label = "hatch default"
    sources = _hatch_sources(option("sources"), packages)

    def in_wheel(relative: str) -> str:
        for prefix, replacement in sources.items():
            if not prefix:
                return clean_path(replacement + relative)
            if (relative + "/").startswith(prefix):
                return clean_path(replacement + (relative + "/")[len(prefix) :])
        return relative

    roots = [Root(pkg.path / p, in_wheel(p)) for p in paths]
    force = option("force-include")
    if isinstance(force, Mapping):
        for src, dest in force.items():
            if isinstance(src, str) and isinstance(dest, str):
                path = (pkg.path / src).resolve()
                if path.is_dir() or path.suffix == ".py":
                    roots.append(Root(path, in_wheel(clean_path(dest))))
    exclude = tuple(strings(option("exclude")))
    return ShippedFiles(tuple(roots), label, problem, exclude=exclude, may_be_empty=bypass)


def _hatch_include(member: Path, patterns: list[str]) -> list[str]:
    """``include`` patterns narrowed to the directories and modules they name (gitignore-style)."""
    found: list[str] = []
    for pattern in patterns:
        cleaned = pattern.strip().strip("/")
        while cleaned.endswith(("/**", "/*")):
            cleaned = cleaned.rsplit("/", 1)[0]
        for path in glob_paths(member, cleaned) if cleaned else []:
            relative = path.relative_to(member).as_posix()
            if (path.is_dir() or path.suffix == ".py") and relative not in found:
                found.append(relative)
    return found


# --- setuptools ---------------------------------------------------------------------------------


def _setuptools_find(base: Path, options: Mapping[str, Any]) -> list[tuple[str, Path]]:
    """``packages.find``: setuptools' finder (namespaces on by default in pyproject.toml)."""
    include = strings(options.get("include")) or ["*"]
    exclude = strings(options.get("exclude"))
    namespaces = options.get("namespaces", True) is not False
    found: list[tuple[str, Path]] = []

    def visit(directory: Path, prefix: str) -> None:
        for child in sorted(directory.iterdir()):
            if not child.is_dir() or not child.name.isidentifier() or child.name == "__pycache__":
                continue
            if not namespaces and not (child / "__init__.py").is_file():
                continue
            name = prefix + child.name
            if any(fnmatch.fnmatchcase(name, p) for p in include) and not any(
                fnmatch.fnmatchcase(name, p) for p in exclude
            ):
                found.append((name, child))
            if f"{name}*" not in exclude and f"{name}.*" not in exclude:
                visit(child, name + ".")

    if base.is_dir():
        visit(base, "")
    return found


def read_setuptools(pkg: Package) -> ShippedFiles:
    tool = table(pkg.tool, "setuptools")
    package_dir = {k: v for k, v in table(tool, "package-dir").items() if isinstance(v, str)}
    base = pkg.path / package_dir.get("", "")

    def directory_of(name: str) -> Path:
        parts = name.split(".")
        for i in range(len(parts), 0, -1):
            key = ".".join(parts[:i])
            if key in package_dir:
                return pkg.path.joinpath(package_dir[key], *parts[i:])
        return base.joinpath(*parts)

    packages = tool.get("packages")
    modules = strings(tool.get("py-modules"))
    roots = [Root(base / f"{m.replace('.', '/')}.py", f"{m.replace('.', '/')}.py") for m in modules]
    if isinstance(packages, list):
        listed = [(name, directory_of(name)) for name in strings(packages)]
        label = "setuptools packages"
    elif isinstance(packages, Mapping) and isinstance(packages.get("find"), Mapping):
        finder = packages["find"]
        wheres = strings(finder.get("where")) or ["."]
        listed = [pair for where in wheres for pair in _setuptools_find(pkg.path / clean_path(where), finder)]
        label = "setuptools packages.find"
    elif "py-modules" in tool:
        listed, label = [], "setuptools py-modules"
    else:
        return _setuptools_auto(pkg, package_dir)
    roots += [Root(path, name.replace(".", "/"), descend=False) for name, path in listed]
    stated_empty = packages == [] or (packages is None and tool.get("py-modules") == [])
    return ShippedFiles(tuple(roots), label, may_be_empty=stated_empty and not modules)


def _setuptools_auto(pkg: Package, package_dir: Mapping[str, str]) -> ShippedFiles:
    """setuptools' automatic discovery: package-dir entries, then src-layout, then flat-layout."""
    legacy = next((f for f in ("setup.py", "setup.cfg") if (pkg.path / f).is_file()), None)
    problem = f"{legacy} may list the packages, and releasekit reads only pyproject.toml" if legacy else None
    explicit = {k: v for k, v in package_dir.items() if k}
    if explicit:
        roots = tuple(Root(pkg.path / clean_path(d), k.replace(".", "/")) for k, d in explicit.items())
        return ShippedFiles(roots, "setuptools package-dir", problem)
    src = pkg.path / clean_path(package_dir.get("", "src"))
    if src.is_dir() and src != pkg.path:
        return ShippedFiles((Root(src, ""),), "setuptools src-layout", problem)
    tops = sorted(
        p.name
        for p in pkg.path.iterdir()
        if not is_reserved(p.name) and ((p.is_dir() and p.name.isidentifier()) or p.suffix == ".py")
    )
    if not problem and len(tops) > 1:
        problem = (
            f"setuptools refuses a flat layout with several top-level packages or modules "
            f"({', '.join(tops)}): its build fails"
        )
    return ShippedFiles((Root(pkg.path, ""),), "setuptools flat-layout", problem, flat=True)


# --- flit, pdm, uv_build, maturin ---------------------------------------------------------------


def _module_in(pkg: Package, dotted: str, bases: Iterable[Path]) -> list[Path]:
    parts = dotted.split(".")
    found = []
    for base in bases:
        found += [p for p in (base.joinpath(*parts), base.joinpath(*parts[:-1], parts[-1] + ".py")) if p.exists()]
    return found


def read_flit(pkg: Package) -> ShippedFiles:
    configured = table(pkg.tool, "flit", "module").get("name")
    name = configured if isinstance(configured, str) else pkg.declared_name.replace("-", "_")
    label = "flit module" if isinstance(configured, str) else f"flit default ({name})"
    found = _module_in(pkg, name, (pkg.path, pkg.path / "src"))
    if len(found) != 1:
        where = ", ".join(p.relative_to(pkg.path).as_posix() for p in found)
        why = f"several candidates ({where})" if found else "none in the member or src/"
        return ShippedFiles((), label, f"flit looks for module {name!r} and finds {why}: its build fails")
    return ShippedFiles((Root(found[0], module_target(name, found[0])),), label)


def read_pdm(pkg: Package) -> ShippedFiles:
    build = table(pkg.tool, "pdm", "build")
    includes = strings(build.get("includes"))
    excludes = tuple(strings(build.get("excludes")))
    configured = build.get("package-dir")
    if isinstance(configured, str):
        package_dir = clean_path(configured)
    else:
        src_named = any(clean_path(i) == "src" or clean_path(i).startswith("src/") for i in includes)
        use_src = ((pkg.path / "src").is_dir() and not includes) or src_named
        package_dir = "src" if use_src and not {"src", "src/"} & set(excludes) else ""
    prefix = package_dir + "/" if package_dir else ""
    base = pkg.path / package_dir
    if includes:
        paths = [p for pattern in includes for p in glob_paths(pkg.path, clean_path(pattern))]
        label = "pdm includes"
    else:
        paths = sorted(p for p in base.iterdir() if (p / "__init__.py").is_file()) if base.is_dir() else []
        paths = paths or (sorted(base.glob("*.py")) if base.is_dir() else [])
        label = f"pdm default (package-dir {package_dir or '.'!r})"

    def target(path: Path) -> str:
        relative = path.relative_to(pkg.path).as_posix()
        return relative[len(prefix) :] if prefix and relative.startswith(prefix) else relative

    return ShippedFiles(tuple(Root(p, target(p)) for p in paths), label, exclude=excludes)


def read_uv_build(pkg: Package) -> ShippedFiles:
    options = table(pkg.tool, "uv", "build-backend")
    root = options.get("module-root", "src")
    base = pkg.path / clean_path(root if isinstance(root, str) else "src")
    raw = options.get("module-name")
    names = [raw] if isinstance(raw, str) else strings(raw)
    label = "uv_build module-name" if names else "uv_build default module-name"
    names = names or [pkg.name.replace("-", "_").replace(".", "_")]
    namespace = options.get("namespace") is True
    roots: list[Root] = []
    missing: list[Root] = []
    for name in names:
        path = base.joinpath(*name.split("."))
        needed = path if namespace else path / "__init__.py"
        (roots if needed.exists() else missing).append(Root(path, name.replace(".", "/")))
    if missing:
        suffix = "/" if namespace else "/__init__.py"
        where = ", ".join(r.source.relative_to(pkg.path).as_posix() + suffix for r in missing)
        return ShippedFiles(tuple(roots), label, f"uv_build expects {where}, which does not exist: its build fails")
    return ShippedFiles(tuple(roots), label + (" (namespace)" if namespace else ""))


def read_maturin(pkg: Package) -> ShippedFiles:
    options = table(pkg.tool, "maturin")
    configured = options.get("module-name")
    module = configured if isinstance(configured, str) else pkg.name.replace("-", "_")
    source = options.get("python-source")
    base = pkg.path / clean_path(source) if isinstance(source, str) else pkg.path
    top = module.split(".")[0]
    if (base / top).is_dir():
        label = "maturin python-source" if isinstance(source, str) else "maturin mixed layout"
        return ShippedFiles((Root(base / top, top),), label)
    problem = (
        None
        if isinstance(configured, str)
        else ("maturin takes the module name from Cargo.toml, which releasekit does not read")
    )
    return ShippedFiles((), "maturin native module", problem, native=(module,))


READERS: dict[str, Callable[[Package], ShippedFiles]] = {
    "hatchling": read_hatch,
    "setuptools": read_setuptools,
    "flit_core": read_flit,
    "flit": read_flit,
    "pdm": read_pdm,
    "uv_build": read_uv_build,
    "maturin": read_maturin,
}


def reader_for(backend: str | None) -> Callable[[Package], ShippedFiles] | None:
    """The reader for a ``build-backend`` string; no [build-system] builds with setuptools."""
    if backend is None:
        return read_setuptools
    return READERS.get(backend.split(":")[0].split(".")[0].strip())
