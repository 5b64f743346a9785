"""The package-manager backend: uv for build, publish, lock, venv and install.

Facts this module relies on (measured, see the project notes): ``uv publish`` retries
dropped connections only, never 5xx or 429, and prints response headers (Retry-After)
only at trace level; ``uv build --out-dir`` also writes a ``.gitignore``; without
``--trusted-publishing never`` uv tries OIDC and can hang for ~50 s.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path

from releasekit.backends.process import Result, run
from releasekit.backends.protocols import UvBackend
from releasekit.errors import CommandError

_RETRY_AFTER = re.compile(r'"retry-after":\s*"([^"]+)"', re.IGNORECASE)
_STATUS = re.compile(r"status code (\d{3})")


def uv_binary() -> str:
    """The uv executable: $RELEASEKIT_UV, the `uv` wheel's binary, or uv on PATH."""
    override = os.environ.get("RELEASEKIT_UV")
    if override:
        return override
    try:
        # lazy: the optional `uv` wheel (+1.6 ms), looked for only when $RELEASEKIT_UV is unset
        from uv import find_uv_bin

        return str(find_uv_bin())
    except (ImportError, FileNotFoundError):
        pass
    found = shutil.which("uv")
    if found:
        return found
    raise CommandError(["uv"], 127, "uv not found", hint="pip install uv, or set RELEASEKIT_UV")


@dataclass(frozen=True)
class PublishOutcome:
    """How one `uv publish` call ended, classified for the retry logic."""

    ok: bool
    kind: str  # "ok" | "transient" | "duplicate" | "mismatch" | "nocreds" | "auth" | "fatal"
    status: int | None
    retry_after: float | None
    message: str
    skipped: tuple[str, ...]
    uploaded: tuple[str, ...]
    #: Files the index answered with success ("Upload succeeded"): stored, even if a lagging
    #: index does not list them yet, so they must never be sent again.
    accepted: tuple[str, ...] = ()
    #: The file uv stopped at (``error: Failed to publish `PATH` ...``), if it says.
    failed_file: str | None = None


def _accepted(text: str) -> tuple[str, ...]:
    """Files uv reports as stored: an "Uploading F" line later followed by "Upload succeeded"."""
    accepted: list[str] = []
    current: str | None = None
    for line in text.splitlines():
        started = re.search(r"Uploading (\S+) \(", line)
        if started:
            current = started.group(1)
        elif current is not None and "Upload succeeded" in line:
            accepted.append(current)
            current = None
    return tuple(accepted)


def classify_publish(result: Result) -> PublishOutcome:
    text = result.stdout + "\n" + result.stderr
    visible = "\n".join(line for line in text.splitlines() if not line.startswith(("TRACE ", "DEBUG "))).strip()
    skipped = tuple(re.findall(r"File (\S+) already exists, skipping", text))
    uploaded = tuple(re.findall(r"Uploading (\S+) \(", text))
    statuses = [int(s) for s in _STATUS.findall(visible)]
    status = statuses[-1] if statuses else None
    retry_after: float | None = None
    for match in _RETRY_AFTER.findall(text):
        retry_after = parse_retry_after(match)
    accepted = _accepted(text)
    failed = re.search(r"Failed to publish `([^`]+)`", visible)
    failed_file = os.path.basename(failed.group(1)) if failed else None
    if result.returncode == 0:
        return PublishOutcome(True, "ok", status, None, visible, skipped, uploaded, accepted)
    lowered = visible.lower()
    if "local file and index file do not match" in lowered:
        kind = "mismatch"
    elif status is None and "missing credentials" in lowered:
        kind = "nocreds"  # uv sent nothing: no token, password or trusted publishing was found
    elif status in (401, 403) or (status is None and "credentials" in lowered):
        kind = "auth"
    elif status == 409 or "already exists" in lowered or (status == 400 and "exist" in lowered):
        kind = "duplicate"
    elif _is_transient(status, lowered):
        kind = "transient"
    else:
        kind = "fatal"
    return PublishOutcome(False, kind, status, retry_after, visible, skipped, uploaded, accepted, failed_file)


_CONNECTION_MARKERS = ("failed to send", "error sending request", "connection", "timed out", "timeout", "broken pipe")


def _is_transient(status: int | None, lowered: str) -> bool:
    """5xx, 408 and 429 answers, or no answer at all (a dropped or refused connection)."""
    if status is not None:
        return status >= 500 or status in {408, 429}
    return any(marker in lowered for marker in _CONNECTION_MARKERS)


def parse_retry_after(value: str) -> float | None:
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class Uv:
    """Thin, checked wrappers around the uv commands releasekit runs."""

    def __init__(self, binary: str | None = None, env: Mapping[str, str] | None = None) -> None:
        self.binary = binary or uv_binary()
        self.env = dict(env or {})

    def _run(
        self,
        args: Sequence[str],
        *,
        cwd: Path | None = None,
        check: bool = True,
        env: Mapping[str, str] | None = None,
        hint: str | None = None,
        timeout: float | None = None,
    ) -> Result:
        merged = {**self.env, **(env or {})}
        return run([self.binary, *args], cwd=cwd, env=merged, check=check, hint=hint, timeout=timeout)

    def version(self) -> str:
        return self._run(["--version"]).stdout.strip()

    def build(self, project_dir: Path, out_dir: Path, *, cwd: Path, python: Path | None = None) -> list[Path]:
        """`uv build --no-sources` one project into ``out_dir``; returns the sdist and wheel.

        ``python``: build in that interpreter's environment instead of isolated ones.
        """
        out_dir.mkdir(parents=True, exist_ok=True)
        shared = ["--no-build-isolation", "--python", str(python)] if python is not None else []
        self._run(
            ["build", "--no-sources", *shared, "--out-dir", str(out_dir), str(project_dir)],
            cwd=cwd,
            hint="the package must build without [tool.uv.sources]; try `uv build --no-sources` yourself",
        )
        return sorted(p for p in out_dir.iterdir() if p.name.endswith((".whl", ".tar.gz")))

    def publish(
        self,
        files: Sequence[Path],
        *,
        publish_url: str,
        check_url: str,
        trusted_publishing: str,
        env: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> PublishOutcome:
        """One `uv publish` attempt with explicit files; the caller decides about retries."""
        if not files:
            raise ValueError("uv publish needs explicit files")
        args = ["publish", "--trusted-publishing", trusted_publishing, "--publish-url", publish_url]
        if check_url:
            args += ["--check-url", check_url]
        args += [str(f) for f in files]
        extra = {"RUST_LOG": "uv_publish=trace", **(env or {})}
        result = self._run(args, check=False, env=extra, timeout=timeout)
        return classify_publish(result)

    def lock(self, root: Path, *, check: bool = False) -> Result:
        args = ["lock", "--check"] if check else ["lock"]
        return self._run(args, cwd=root, check=not check, hint="run `uv lock` yourself to see why")

    def find_python(self, project_dir: Path) -> str:
        """The interpreter `uv build` picks for ``project_dir`` (its .python-version, requires-python, UV_PYTHON)."""
        return self._run(["python", "find", "--no-python-downloads"], cwd=project_dir).stdout.strip()

    def venv(self, path: Path, python: str | None = None) -> Path:
        args = ["venv", "--quiet", str(path)]
        args += ["--python", python or sys.executable]
        self._run(args)
        return venv_python(path)

    def install_requirements(
        self, python: Path, requirements: Sequence[str], *, timeout: float | None = None
    ) -> Result:
        """`uv pip install` into ``python``'s environment from wherever uv is configured to look.

        No index flags: uv's own configuration and UV_* variables choose the index, exactly
        as for `uv build`'s build environments.
        """
        args = ["pip", "install", "--python", str(python), *requirements]
        return self._run(args, timeout=timeout, hint="the build requirements must be installable; see uv's output")

    def pip_install(
        self,
        python: Path,
        requirement: str,
        *,
        index_url: str,
        fallback_url: str = "",
        extra_indexes: Sequence[str] = (),
        refresh: Sequence[str] = (),
        timeout: float | None = None,
        check: bool = True,
    ) -> Result:
        """Install from ``index_url`` first, then ``extra_indexes``; third-party packages may come
        from ``fallback_url``. uv takes each package from the first index that has it."""
        args = ["pip", "install", "--python", str(python)]
        ordered = list(dict.fromkeys([index_url, *extra_indexes, *([fallback_url] if fallback_url else [])]))
        # uv prefers every --index over --default-index, in the order given.
        for url in ordered[:-1]:
            args += ["--index", url]
        args += ["--default-index", ordered[-1]]
        for name in refresh:
            args += ["--refresh-package", name]
        args.append(requirement)
        return self._run(args, timeout=timeout, check=check, hint="see the resolver output above")

    def pip_check(self, python: Path) -> Result:
        """`uv pip check`: are the installed packages' requirements satisfied and compatible?"""
        return self._run(["pip", "check", "--python", str(python)], check=False)


def uv_backend(env: Mapping[str, str] | None = None) -> UvBackend:
    """The uv the upper layers use: they see only :class:`UvBackend`."""
    return Uv(env=env)


def venv_python(venv: Path) -> Path:
    if os.name == "nt":  # pragma: no cover
        return venv / "Scripts" / "python.exe"
    return venv / "bin" / "python"
