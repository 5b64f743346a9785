"""The smoke test: install a package with its exact pins into a fresh venv and prove it works.

A wheel can build, upload and verify and still not work: a namespace plugin whose top level
holds no ``__init__.py`` (notes/real-workspaces.md §2), or a module importing a sibling the
build left out (§3). So the stage imports what the wheel really installs, namespace-aware
(:func:`releasekit.model.layout.wheel_import_packages`), or every module it ships
(``smoke.import_all``); nothing to import is a failure, never a pass. Then ``uv pip check``
and an optional command. Failures read cause first; the full output goes to a log file.
"""

from __future__ import annotations

import fnmatch
import json
import os
import shlex
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from releasekit.backends.process import Result, run
from releasekit.backends.uv import uv_backend, venv_python
from releasekit.errors import PublishError
from releasekit.model.layout import wheel_import_packages
from releasekit.support import envfaults

#: Modules a deep import never runs: entry points, and test code that needs test tools.
ALWAYS_SKIPPED = ("__main__", "*.__main__", "tests", "tests.*", "*.tests", "*.tests.*", "conftest", "*.conftest")
_MARK = "releasekit-smoke-result:"

# Runs in the smoke venv (`python -I`): imports each module, one failure never hides the next.
_IMPORTER = r"""
import importlib, importlib.metadata, json, sys, traceback
modules, dist, version = json.loads(sys.argv[1])
results = []
for module in modules:
    try:
        importlib.import_module(module)
        results.append({"module": module, "ok": True})
    except BaseException as exc:  # SystemExit and friends count as failures too
        last = (traceback.format_exception_only(type(exc), exc) or [repr(exc)])[-1].strip()
        results.append({"module": module, "ok": False, "error": last, "traceback": traceback.format_exc()})
try:
    installed = importlib.metadata.version(dist)
except importlib.metadata.PackageNotFoundError:
    installed = None
print("MARK" + json.dumps({"results": results, "installed": installed}))
""".replace("MARK", _MARK)


def settings_for(package: Mapping[str, Any]) -> dict[str, Any]:
    """The package's smoke settings (config merged with its member overrides), plain data."""
    smoke = package.get("smoke") or {}
    return {
        "imports": list(smoke.get("imports", [])),
        "import_all": bool(smoke.get("import_all", False)),
        "skip": list(smoke.get("skip", [])),
        "pip_check": bool(smoke.get("pip_check", True)),
        "command": str(smoke.get("command", "")),
    }


def wheel_modules(names: Iterable[str], skip: Iterable[str] = ()) -> list[str]:
    """Every importable module a wheel ships (``pkg/mod.py`` -> ``pkg.mod``), minus ``skip``."""
    patterns = (*ALWAYS_SKIPPED, *skip)
    packages = wheel_import_packages(names)
    found: set[str] = set()
    for name in names:
        if not name.endswith(".py") or name.split("/", 1)[0].endswith((".dist-info", ".data")):
            continue
        dotted = name[: -len(".py")].replace("/", ".")
        if dotted.endswith(".__init__"):
            dotted = dotted[: -len(".__init__")]
        if not all(part.isidentifier() for part in dotted.split(".")):
            continue
        if not any(dotted == p or dotted.startswith(p + ".") for p in packages):
            continue  # data or scripts outside every import package
        if any(fnmatch.fnmatchcase(dotted, pattern) for pattern in patterns):
            continue
        found.add(dotted)
    return sorted(found)


def modules_to_import(wheel: Path, smoke: Mapping[str, Any]) -> list[str]:
    if smoke["imports"]:
        return list(smoke["imports"])
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    if smoke["import_all"]:
        return wheel_modules(names, smoke["skip"])
    # A namespace without an __init__ resolves to its modules: never run an entry point or tests.
    return [m for m in wheel_import_packages(names) if not any(fnmatch.fnmatchcase(m, p) for p in ALWAYS_SKIPPED)]


class SmokeLog:
    """The run's log of one package's smoke test: every command with its whole output."""

    def __init__(self, path: Path, task: str) -> None:
        self.path = path
        self.task = task  # named in a disk fault, so the line says which stage stopped
        with envfaults.named(f"writing the smoke log of {task}", path):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("", encoding="utf-8")

    def add(self, title: str, result: Result | str) -> None:
        text = (
            result
            if isinstance(result, str)
            else (f"$ {shlex.join(result.argv)}\nexit {result.returncode}\n{result.stdout}{result.stderr}")
        )
        with (
            envfaults.named(f"writing the smoke log of {self.task}", self.path),
            self.path.open("a", encoding="utf-8") as handle,
        ):
            handle.write(f"--- {title}\n{text.rstrip()}\n\n")


def smoke_test(
    package: Mapping[str, Any],
    wheel: Path,
    *,
    index_url: str,
    fallback_url: str,
    scratch: Path,
    extra_indexes: tuple[str, ...] = (),
    log: SmokeLog,
    step: Callable[..., None],
) -> dict[str, Any]:
    """Install ``package`` (plain data: name, declared_name, version, deps, smoke, ...) from
    ``index_url`` and prove it; raises :class:`PublishError` with the cause first."""
    name, version = package["name"], package["version"]
    smoke = settings_for(package)
    modules = modules_to_import(wheel, smoke)
    if not modules:
        deps = package.get("deps") or []
        meta = f" (a meta-package? it depends on {', '.join(deps)}: import one of their modules)" if deps else ""
        raise PublishError(
            f"{name} {version}: the wheel installs nothing to import, so the smoke test would prove nothing{meta}",
            code="RK613",
            hint=f"set [tool.releasekit.smoke.packages.{name}] imports = [...] in the workspace root (or "
            "[tool.releasekit.smoke] imports in its own pyproject.toml), or check what the backend puts in the wheel",
        )
    # A clean install, as a user's: the workspace's own [tool.uv] settings (its exclude-newer,
    # which would hide the freshly staged files; its indexes) must not apply, and the scratch
    # venv lives inside the workspace, where uv would find them.
    uv = uv_backend(env={"UV_NO_CONFIG": "1"})
    scratch.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"{name}-", dir=scratch) as tmp:
        venv = Path(tmp) / "venv"
        step("venv")
        uv.venv(venv, python=_python_for(package))
        step("install")
        installed = uv.pip_install(
            venv_python(venv),
            f"{package['declared_name']}=={version}",
            index_url=index_url,
            extra_indexes=extra_indexes,
            fallback_url=fallback_url,
            refresh=[name, *package.get("deps", [])],
            check=False,
        )
        log.add("install", installed)
        if installed.returncode != 0:
            fault = envfaults.from_text(installed.output, doing=f"installing {name} into the smoke venv")
            if fault is not None:  # the disk, not the package
                raise fault
            raise PublishError(
                f"{_cause(installed.output)} (installing {name}=={version} from {index_url})",
                code="RK614",
                hint=f"the whole resolver output is in {log.path}",
            )
        step("import", modules=modules)
        _import(venv, package, modules, tmp, log)
        if smoke["pip_check"]:
            step("pip check")
            checked = uv.pip_check(venv_python(venv))
            log.add("uv pip check", checked)
            if checked.returncode != 0:
                raise PublishError(
                    f"{name} {version}: `uv pip check` in the smoke venv: {_cause(checked.output)}",
                    code="RK615",
                    hint=f"an unsatisfiable or conflicting requirement; see {log.path}",
                )
        if smoke["command"]:
            _command(venv, package, smoke["command"], tmp, log, step)
    return {"status": "passed", "modules": modules}


def _import(venv: Path, package: Mapping[str, Any], modules: list[str], cwd: str, log: SmokeLog) -> None:
    name, version = package["name"], package["version"]
    argv = [str(venv_python(venv)), "-I", "-c", _IMPORTER, json.dumps([modules, package["declared_name"], version])]
    result = run(argv, cwd=cwd, check=False)
    log.add("import " + ", ".join(modules), result)
    report = next(
        (json.loads(line[len(_MARK) :]) for line in result.stdout.splitlines() if line.startswith(_MARK)), None
    )
    if report is None:
        raise PublishError(
            f"{name} {version}: the import check itself did not finish: {_cause(result.output)}",
            code="RK614",
            hint=f"see {log.path}",
        )
    failed = [r for r in report["results"] if not r["ok"]]
    if failed:
        first = failed[0]
        more = f"; {len(failed) - 1} more module(s) fail" if len(failed) > 1 else ""
        raise PublishError(
            f"{first['error']} (importing {first['module']}){more}",
            code="RK614",
            hint=f"{name} {version} installs but does not import; the tracebacks are in {log.path}",
        )
    if report["installed"] != version:
        raise PublishError(
            f"{name}: the smoke venv has version {report['installed']}, expected {version}",
            code="RK614",
            hint=f"the index served another build; see {log.path}",
        )


def _command(
    venv: Path, package: Mapping[str, Any], command: str, cwd: str, log: SmokeLog, step: Callable[..., None]
) -> None:
    text = command.format(name=package["declared_name"], version=package["version"])
    argv = shlex.split(text)
    executable = venv / "bin" / argv[0]
    if executable.exists():
        argv[0] = str(executable)
    step("command", command=text)
    path = f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
    result = run(argv, cwd=cwd, check=False, env={"VIRTUAL_ENV": str(venv), "PATH": path})
    log.add(f"command {text}", result)
    if result.returncode != 0:
        raise PublishError(
            f"`{text}` exited {result.returncode} in the smoke venv: {_cause(result.output)}",
            code="RK616",
            hint=f"see {log.path}",
        )


def _cause(output: str) -> str:
    """The line that says why: uv's `error:`/`caused by` lines, else the last non-empty one."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    causes = [line for line in lines if line.lower().startswith(("error:", "caused by", "╰─▶", "×"))]
    return (causes[-1] if causes else lines[-1] if lines else "no output")[:500]


def _python_for(package: Mapping[str, Any]) -> str | None:
    """A Python the package supports: this one when its requires-python admits it."""
    spec = package.get("requires_python")
    if not spec:
        return None
    current = ".".join(str(p) for p in sys.version_info[:3])
    try:
        return None if SpecifierSet(spec).contains(current) else spec
    except InvalidSpecifier:
        return None
