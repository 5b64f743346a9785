"""Whether a package's README renders on PyPI, and the manifest facts the build gate reads."""

from __future__ import annotations

import io
import tomllib
from pathlib import Path
from typing import Any, Literal

from releasekit.checks.findings import last_lines
from releasekit.model.package import Package

READABLE_TYPES = ("text/markdown", "text/plain", "text/x-rst")


def build_system(pkg: Package) -> dict[str, Any]:
    """``pkg``'s [build-system] table as the file says it (empty when it cannot be read)."""
    try:
        value = tomllib.loads(pkg.manifest.read_text(encoding="utf-8")).get("build-system")
    except (OSError, tomllib.TOMLDecodeError):
        return {}
    return value if isinstance(value, dict) else {}


def readme_content_type(pkg: Package) -> str | None:
    """The README's declared content type, or the one its extension implies (PEP 621)."""
    if pkg.readme_content_type:
        return pkg.readme_content_type.split(";")[0].strip().lower()
    if pkg.readme is None:
        return None
    suffix = Path(pkg.readme).suffix.lower()
    return {
        ".md": "text/markdown",
        ".markdown": "text/markdown",
        ".rst": "text/x-rst",
        ".txt": "text/plain",
        "": "text/plain",
    }.get(suffix)


def readme_problem(pkg: Package) -> tuple[Literal["fail", "warn"], str] | None:
    """Why ``pkg``'s README would not render on PyPI, or None when it renders."""
    if pkg.readme is None:
        return None
    if pkg.readme == "<inline>":
        table = pkg.project.get("readme")
        text = str(table.get("text", "")) if isinstance(table, dict) else ""
    else:
        path = pkg.path / pkg.readme
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return "fail", f"readme {pkg.readme!r} does not exist"
        except (OSError, UnicodeDecodeError) as exc:
            return "fail", f"readme {pkg.readme!r} cannot be read as UTF-8 ({exc})"
    ctype = readme_content_type(pkg)
    if ctype is None:
        return (
            "fail",
            f"cannot tell the content type of {pkg.readme!r}; declare readme = {{ file, content-type }}",
        )
    if ctype not in READABLE_TYPES:
        return (
            "fail",
            f"content type {ctype!r} is not one PyPI renders ({', '.join(READABLE_TYPES)})",
        )
    if ctype != "text/x-rst":
        return None
    return _rst_problem(text)


def _rst_problem(text: str) -> tuple[Literal["fail", "warn"], str] | None:
    try:
        # lazy: optional, and +60 ms (readme_renderer) or +31 ms (docutils) only when a README is rST
        from readme_renderer import rst
    except ImportError:
        pass
    else:
        # What PyPI itself runs: None means the description would be rejected.
        stream = io.StringIO()
        if rst.render(text, stream=stream) is None:
            return "fail", "reStructuredText does not render: " + " | ".join(last_lines(stream.getvalue(), 3))
        return None
    try:
        # lazy: as readme_renderer above
        from docutils.core import publish_parts
        from docutils.utils import SystemMessage
    except ImportError:
        return (
            "warn",
            "reStructuredText not checked (neither readme_renderer nor docutils is installed)",
        )
    try:
        publish_parts(
            text,
            writer_name="html",
            settings_overrides={
                "halt_level": 2,
                "report_level": 5,
                "warning_stream": io.StringIO(),
                "raw_enabled": False,
                "file_insertion_enabled": False,
            },
        )
    except SystemMessage as exc:
        return "fail", f"reStructuredText does not render: {exc}"
    return None
