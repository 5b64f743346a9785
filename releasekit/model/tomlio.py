"""Reading TOML files defensively, with errors that name the file, line and column.

Reading uses the fast stdlib parser; writing (see :mod:`releasekit.model.edit`) uses tomlkit so
comments and formatting survive.
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from pathlib import Path
from typing import Any

from releasekit.errors import WorkspaceError

MAX_TOML_BYTES = 2 * 1024 * 1024
_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


def read_bytes(path: Path, *, limit: int = MAX_TOML_BYTES) -> bytes:
    """Read a small text file, turning every OS failure into a one-line error."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise WorkspaceError("file does not exist", path=path, code="RK102", hint="check the path") from None
    except OSError as exc:
        raise WorkspaceError(
            f"cannot read: {exc.strerror or exc}",
            path=path,
            code="RK102",
            hint="fix the file's permissions or the symlink",
        ) from None
    if not stat.S_ISREG(st.st_mode):
        raise WorkspaceError("is not a regular file", path=path, code="RK102", hint="replace it with a TOML file")
    if st.st_size > limit:
        raise WorkspaceError(
            f"file is {st.st_size} bytes, more than the {limit} bytes allowed",
            path=path,
            code="RK104",
            hint="a pyproject.toml this large is almost certainly a mistake",
        )
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise WorkspaceError(
            f"cannot read: {exc.strerror or exc}",
            path=path,
            code="RK102",
            hint="fix the file's permissions",
        ) from None
    if len(data) > limit:
        raise WorkspaceError(f"file is larger than the {limit} bytes allowed", path=path, code="RK104")
    return data


def decode(data: bytes, path: Path) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise WorkspaceError(
            f"not valid UTF-8 (byte 0x{data[exc.start]:02x})",
            path=path,
            line=line,
            column=column,
            code="RK103",
            hint="TOML files must be UTF-8; re-save the file as UTF-8",
        ) from None


def parse(text: str, path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        line = column = None
        match = _POSITION.search(message)
        if match:
            line, column = int(match.group(1)), int(match.group(2))
            message = _POSITION.sub("", message).strip()
        raise WorkspaceError(
            f"invalid TOML: {message}",
            path=path,
            line=line,
            column=column,
            code="RK101",
            hint="fix the TOML syntax at that position",
        ) from None
    except RecursionError:
        raise WorkspaceError(
            "invalid TOML: nesting too deep", path=path, code="RK101", hint="flatten the file"
        ) from None
    except ValueError as exc:
        # tomllib lets int() errors through, e.g. an integer of more than 4300 digits.
        raise WorkspaceError(
            f"invalid TOML: {str(exc).split(';')[0]}",
            path=path,
            code="RK101",
            hint="fix the value; TOML integers are 64-bit",
        ) from None


def load(path: Path) -> dict[str, Any]:
    """Read and parse one TOML file."""
    return parse(decode(read_bytes(path), path), path)


def line_of_key(text: str, *keys: str) -> int | None:
    """Best-effort line number of ``key = `` in a TOML text, for error messages."""
    for key in keys:
        pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=", re.MULTILINE)
        match = pattern.search(text)
        if match:
            return text.count("\n", 0, match.start()) + 1
    return None


def line_of_text(text: str, needle: str) -> int | None:
    index = text.find(needle)
    return None if index < 0 else text.count("\n", 0, index) + 1
