"""What a shape's members really build into, found with real uv: the files, their metadata,
and what a clean install of them imports."""

from __future__ import annotations

import json
import subprocess
import zipfile
from collections.abc import Iterable, Mapping
from email.message import Message
from email.parser import Parser
from pathlib import Path

from releasekit.backends.uv import Uv, uv_binary

#: Imports each module, calls its ``describe()`` when it has one, prints {module: "" | error}.
IMPORT_PROBE = """\
import importlib, json, sys
report = {}
for name in sys.argv[1:]:
    try:
        module = importlib.import_module(name)
        getattr(module, "describe", lambda: "")()
        report[name] = ""
    except Exception as exc:
        report[name] = f"{type(exc).__name__}: {exc}"
print(json.dumps(report))
"""


def uv(*args: str, cwd: Path, env: Mapping[str, str]) -> str:
    """A checked uv command; the failure shows uv's whole output."""
    proc = subprocess.run([uv_binary(), *args], cwd=cwd, env=dict(env), capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise AssertionError(f"uv {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}{proc.stderr}")
    return proc.stdout + proc.stderr


def build_every_member(root: Path, out: Path, env: Mapping[str, str]) -> list[Path]:
    """``uv build --all-packages --no-sources``: every member's sdist and wheel, as an index sees them."""
    uv("build", "--all-packages", "--no-sources", "--quiet", "--out-dir", str(out), cwd=root, env=env)
    return sorted(p for p in out.iterdir() if p.name.endswith((".whl", ".tar.gz")))


def wheel_names(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()


def wheel_metadata(wheel: Path) -> Message:
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        return Parser().parsestr(archive.read(name).decode("utf-8"))


def clean_install(venv: Path, wheels: Iterable[Path], env: Mapping[str, str]) -> Path:
    """A new venv holding ``wheels`` (third-party dependencies from the env's index): its python."""
    python = Uv(env=env).venv(venv)
    uv("pip", "install", "--python", str(python), *map(str, wheels), cwd=venv, env=env)
    return python


def import_report(python: Path, modules: Iterable[str], env: Mapping[str, str]) -> dict[str, str]:
    """{module: ""} for every module that imports (and describes itself), else the exception."""
    clean = {k: v for k, v in env.items() if k != "PYTHONPATH"}  # only what the venv holds
    proc = subprocess.run([str(python), "-c", IMPORT_PROBE, *modules], env=clean, capture_output=True,
                          text=True, check=False)
    if proc.returncode != 0:
        raise AssertionError(f"the import probe failed ({proc.returncode}): {proc.stderr}")
    report: dict[str, str] = json.loads(proc.stdout)
    return report
