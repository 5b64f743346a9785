"""The metadata a member's build backend computes: its real version and Requires-Dist.

Where ``version`` or ``dependencies`` are dynamic, pyproject.toml does not say them; the
backend does (what uv itself asks). Answers are cached in ``<state>/metadata/<name>.json``
by a fingerprint of the member's sources, its [build-system], the interpreter and, for
versions git or code may derive, the repository's state: a warm run starts no hook
process (one ``git describe`` when such a version is among the members, none otherwise).
A member the backend cannot describe is a :class:`~releasekit.model.metaresult.MetadataFailure`
value: the caller decides whether that member matters (``metadata_error`` makes the error it raises).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path

from releasekit.backends.git import git_backend
from releasekit.backends.protocols import UvBackend
from releasekit.backends.uv import uv_backend
from releasekit.errors import CommandError
from releasekit.model.metaresult import BuiltMetadata, MetadataFailure, Outcome
from releasekit.model.package import Package
from releasekit.model.pep517 import (
    BuildEnv,
    BuildSystem,
    HookJob,
    HookResult,
    ensure_env,
    install_more,
    meaningful_line,
    run_hooks,
)
from releasekit.model.versionsource import VersionSource, version_source
from releasekit.support.fsutil import atomic_write_json, fingerprint, read_json, sha256_file

#: Bumped when what is cached (or how it is computed) changes, so old entries are ignored.
CACHE_FORMAT = 1
DEFAULT_TIMEOUT = 300.0


def backend_metadata(
    packages: Sequence[Package],
    *,
    root: Path,
    state_dir: Path,
    member_dirs: Sequence[Path] = (),
    python: str | None = None,
    uv: UvBackend | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    jobs: int = 1,
) -> dict[str, Outcome]:
    """The backend's metadata for each of ``packages`` (by normalized name), cached.

    ``member_dirs`` are every workspace member's directory (their files never count for
    another member's fingerprint); ``python`` the interpreter of the build environments
    (default: this one); ``jobs`` how many hook processes may run at once.
    """
    meta_dir = state_dir / "metadata"
    interpreter = python or sys.executable
    sources = {p.name: version_source(p) for p in packages}
    needs_git = any(s.kind in ("vcs", "backend") for s in sources.values())
    keying = _Keying(
        python=f"{interpreter}|{platform.python_version()}" if python is None else interpreter,
        git=_git_state(root) if needs_git else "",
        members=tuple(sorted({os.path.realpath(d) for d in member_dirs})),
        state_dir=os.path.realpath(state_dir),
    )
    found: dict[str, Outcome] = {}
    for pkg in packages:
        cached = _load_cached(meta_dir, pkg.name, keying.key(pkg, sources[pkg.name]))
        if cached is not None:
            found[pkg.name] = cached
    misses = [p for p in packages if p.name not in found]
    if misses:
        computed = _compute(misses, meta_dir, interpreter, uv or uv_backend(), timeout, max(1, jobs))
        for pkg in misses:
            outcome = computed[pkg.name]
            if isinstance(outcome, BuiltMetadata):
                # Keyed by the sources as the backend left them (a version file it wrote counts).
                key = keying.key(pkg, sources[pkg.name])
                with contextlib.suppress(OSError):  # an answer that is not cached is still the answer
                    atomic_write_json(meta_dir / f"{pkg.name}.json", {"key": key, **_to_json(outcome)})
            found[pkg.name] = outcome
    return {p.name: found[p.name] for p in packages}


def parse_metadata(text: str) -> BuiltMetadata:
    """A METADATA file (core metadata, RFC 822 headers) as :class:`BuiltMetadata`."""
    headers = HeaderParser().parsestr(text)
    name, version = headers.get("Name"), headers.get("Version")
    if not name or not version:
        raise ValueError("the backend's METADATA has no Name or no Version")
    return BuiltMetadata(
        name=str(name).strip(),
        version=str(version).strip(),
        requires_dist=tuple(str(r).strip() for r in headers.get_all("Requires-Dist") or []),
        provides_extra=tuple(str(e).strip() for e in headers.get_all("Provides-Extra") or []),
    )


# --- the cache ---------------------------------------------------------------------------


def _git_state(root: Path) -> str:
    """HEAD and the nearest tag, with dirtiness, in one git call for the whole workspace."""
    args = ("describe", "--tags", "--long", "--dirty", "--always", "--abbrev=40")
    try:
        result = git_backend(root).run(*args, check=False)
    except CommandError as exc:  # git itself is missing
        return f"no git: {exc.message}"
    if result.returncode != 0:
        return f"no git: {meaningful_line(result.stderr)}"
    return result.stdout.strip()


@dataclass(frozen=True)
class _Keying:
    """What a cached answer depends on besides the member's own files."""

    python: str
    git: str  # HEAD, nearest tag, dirtiness: only for versions git or code computes
    members: tuple[str, ...]  # every member's directory, resolved
    state_dir: str

    def key(self, pkg: Package, source: VersionSource) -> str:
        own = os.path.realpath(pkg.path)
        # Only members nested below this one (a root that is itself a package) can be in its tree.
        nested = [d for d in self.members if d.startswith(own + os.sep)]
        key: dict[str, object] = {
            "format": CACHE_FORMAT,
            "sources": fingerprint(pkg.path, {}, exclude=[*nested, self.state_dir]),
            "build_system": pkg.build_system,
            "python": self.python,
            "git": self.git if source.kind in ("vcs", "backend") else "",
        }
        if source.path is not None and not source.path.is_relative_to(pkg.path):
            try:
                key["version_file"] = sha256_file(source.path)  # e.g. path = "../../VERSION"
            except OSError:
                key["version_file"] = "missing"
        return hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()


def _load_cached(meta_dir: Path, name: str, key: str) -> BuiltMetadata | None:
    try:
        raw = read_json(meta_dir / f"{name}.json")
        if raw.get("key") != key:
            return None
        return BuiltMetadata(
            name=raw["name"],
            version=raw["version"],
            requires_dist=tuple(raw["requires_dist"]),
            provides_extra=tuple(raw["provides_extra"]),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _to_json(metadata: BuiltMetadata) -> dict[str, object]:
    return {
        "name": metadata.name,
        "version": metadata.version,
        "requires_dist": list(metadata.requires_dist),
        "provides_extra": list(metadata.provides_extra),
    }


# --- computing ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Batch:
    env: BuildEnv
    system: BuildSystem
    members: tuple[Package, ...]


def _compute(
    packages: Sequence[Package], meta_dir: Path, python: str, uv: UvBackend, timeout: float, jobs: int
) -> dict[str, Outcome]:
    outcomes: dict[str, Outcome] = {}
    batches: list[_Batch] = []
    by_env: dict[str, list[Package]] = {}
    for pkg in packages:
        by_env.setdefault(BuildSystem.of(pkg.build_system).env_id(python), []).append(pkg)
    for members in by_env.values():
        system = BuildSystem.of(members[0].build_system)
        try:
            env = ensure_env(meta_dir / "envs", system, python, uv=uv)
        except (CommandError, OSError) as exc:
            reason = f"cannot create the build environment with {', '.join(system.requires) or 'no requirements'}"
            outcomes.update(_fail_all(members, meta_dir, reason, exc))
            continue
        batches.extend(_batches(env, members, jobs))
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for done in pool.map(lambda b: _run_batch(b, meta_dir, uv, timeout), batches):
            outcomes.update(done)
    return outcomes


def _run_batch(batch: _Batch, meta_dir: Path, uv: UvBackend, timeout: float) -> dict[str, Outcome]:
    try:
        return _ask(batch, meta_dir, uv, timeout)
    except OSError as exc:  # the state directory cannot be written
        return _fail_all(batch.members, meta_dir, "cannot run the backend's hooks", exc)


def _batches(env: BuildEnv, members: Sequence[Package], jobs: int) -> Iterator[_Batch]:
    """Members of one environment that one process can serve: same backend, no in-tree backend."""
    by_backend: dict[BuildSystem, list[Package]] = {}
    for pkg in members:
        system = BuildSystem.of(pkg.build_system)
        if system.backend_path:  # an in-tree backend is imported from the member: a process of its own
            yield _Batch(env, system, (pkg,))
        else:
            by_backend.setdefault(system, []).append(pkg)
    for system, group in by_backend.items():
        size = -(-len(group) // jobs)
        for start in range(0, len(group), size):
            yield _Batch(env, system, tuple(group[start : start + size]))


def _ask(batch: _Batch, meta_dir: Path, uv: UvBackend, timeout: float) -> dict[str, Outcome]:
    jobs = {pkg.name: HookJob(pkg.name, pkg.path, meta_dir / "logs" / f"{pkg.name}.log") for pkg in batch.members}
    work = meta_dir / "work"
    results = run_hooks(batch.env, batch.system, list(jobs.values()), work_dir=work, timeout=timeout)
    needs = sorted({r for result in results.values() if result.status == "needs" for r in result.requires})
    if needs:
        waiting = [pkg for pkg in batch.members if results[pkg.name].status == "needs"]
        try:
            install_more(batch.env, needs, uv=uv)
        except (CommandError, OSError) as exc:
            reason = f"cannot install what the backend asked for ({', '.join(needs)})"
            return {**_convert(results, jobs, batch.system), **_fail_all(waiting, meta_dir, reason, exc)}
        again = [jobs[pkg.name] for pkg in waiting]
        results.update(run_hooks(batch.env, batch.system, again, work_dir=work, timeout=timeout))
    return _convert(results, jobs, batch.system)


def _convert(results: dict[str, HookResult], jobs: dict[str, HookJob], system: BuildSystem) -> dict[str, Outcome]:
    outcomes: dict[str, Outcome] = {}
    for name, result in results.items():
        log = jobs[name].log
        context = f"{result.hook} of {system.backend}" if result.hook else system.backend
        if result.status == "ok":
            try:
                outcomes[name] = parse_metadata(result.metadata)
                continue
            except ValueError as exc:
                message = f"{exc} ({context})"
        elif result.status == "needs":
            message = f"the backend still asks for {', '.join(result.requires)} after they were installed"
        else:
            message = f"{result.error} ({context})"
        outcomes[name] = MetadataFailure(message, log)
    return outcomes


def _fail_all(
    members: Sequence[Package], meta_dir: Path, reason: str, exc: CommandError | OSError
) -> dict[str, Outcome]:
    output = exc.output if isinstance(exc, CommandError) else str(exc)
    detail = meaningful_line(output) or str(exc)
    outcomes: dict[str, Outcome] = {}
    for pkg in members:
        log = meta_dir / "logs" / f"{pkg.name}.log"
        try:
            log.parent.mkdir(parents=True, exist_ok=True)
            log.write_text(f"{reason}\n{exc}\n\n{output}\n", encoding="utf-8")
        except OSError:
            outcomes[pkg.name] = MetadataFailure(f"{detail} ({reason})", None)
        else:
            outcomes[pkg.name] = MetadataFailure(f"{detail} ({reason})", log)
    return outcomes
