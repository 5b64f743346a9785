"""Locations shared by the project's tasks."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
WHEELHOUSE = ROOT / ".cache" / "wheelhouse"
EXAMPLE = ROOT / "examples" / "workspace"
