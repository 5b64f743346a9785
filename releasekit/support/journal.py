"""The crash journal: original bytes of every file releasekit rewrites, until it is restored.

Protocol for one rewrite (each step durable before the next):
1. the original bytes go to ``journal/<id>.orig``;
2. an entry ``journal/<id>.json`` records the path and the hashes of the original and new bytes;
3. the file is replaced atomically.
Restoring is the reverse, and is idempotent, so a process killed at any instant leaves a
state that :meth:`Journal.repair` brings back without human help. A file changed by someone
else while it was rewritten is never clobbered: its original is kept and the user told.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from releasekit.errors import EnvironmentFault, StateError
from releasekit.support import envfaults
from releasekit.support.fsutil import atomic_write, atomic_write_json, fsync_dir, remove_stale_tmp, sha256_bytes

ANY = "any"
COMMIT_MARK = "commit-in-progress"  # not *.json: never taken for an entry


@dataclass(frozen=True)
class Entry:
    id: str
    path: Path
    original_sha256: str
    new_sha256: str
    reason: str
    pid: int
    created: float


class Journal:
    def __init__(self, state_dir: Path) -> None:
        self.directory = state_dir / "journal"

    @staticmethod
    def entry_id(path: Path) -> str:
        return hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:20]

    def _entry_file(self, entry_id: str) -> Path:
        return self.directory / f"{entry_id}.json"

    def _backup_file(self, entry_id: str) -> Path:
        return self.directory / f"{entry_id}.orig"

    def entries(self) -> list[Entry]:
        if not self.directory.is_dir():
            return []
        found = []
        for item in sorted(self.directory.glob("*.json")):
            try:
                raw = json.loads(item.read_text(encoding="utf-8"))
                found.append(
                    Entry(
                        id=item.stem,
                        path=Path(raw["path"]),
                        original_sha256=raw["original_sha256"],
                        new_sha256=raw["new_sha256"],
                        reason=raw.get("reason", ""),
                        pid=int(raw.get("pid", 0)),
                        created=float(raw.get("created", 0)),
                    )
                )
            except (OSError, ValueError, KeyError, TypeError):
                # A half-written entry cannot exist (atomic rename); a damaged one is the
                # user's to inspect, so leave it and say so.
                raise StateError(
                    "unreadable journal entry",
                    path=item,
                    code="RK302",
                    hint="inspect it; delete it only if the file it names is known to be intact",
                ) from None
        return found

    def is_empty(self) -> bool:
        """No entry and no interrupted commit: nothing for :meth:`repair` to do."""
        return not self.entries() and not (self.directory / COMMIT_MARK).exists()

    def record(self, path: Path, original: bytes, new: bytes | None, reason: str) -> Entry:
        """Steps 1 and 2 of the protocol: durable backup and entry before any change.

        ``new=None`` means another program (uv lock) will write the file: any content found
        at restore time is then releasekit's doing and is replaced.
        """
        path = path.resolve()
        entry_id = self.entry_id(path)
        if self._entry_file(entry_id).exists():
            raise StateError(
                f"{path} is already rewritten by an unfinished operation",
                path=self._entry_file(entry_id),
                code="RK301",
                hint="run `releasekit restore` first",
            )
        self.directory.mkdir(parents=True, exist_ok=True)
        atomic_write(self._backup_file(entry_id), original)
        entry = Entry(
            id=entry_id,
            path=path,
            original_sha256=sha256_bytes(original),
            new_sha256=ANY if new is None else sha256_bytes(new),
            reason=reason,
            pid=os.getpid(),
            created=time.time(),
        )
        atomic_write_json(
            self._entry_file(entry_id),
            {
                "path": str(path),
                "original_sha256": entry.original_sha256,
                "new_sha256": entry.new_sha256,
                "reason": reason,
                "pid": entry.pid,
                "created": entry.created,
            },
        )
        return entry

    def rewrite(self, path: Path, new: bytes, reason: str) -> Entry:
        """Journal ``path`` and replace its content with ``new``."""
        original = path.read_bytes()
        entry = self.record(path, original, new, reason)
        atomic_write(path, new)
        return entry

    def _drop(self, entry: Entry) -> None:
        for item in (self._entry_file(entry.id), self._backup_file(entry.id)):
            with contextlib.suppress(FileNotFoundError):
                item.unlink()
        fsync_dir(self.directory)

    def _drop_restored(self, entry: Entry, done: str) -> str:
        """Forget an entry whose file is original again. A state directory that cannot be
        written keeps the entry, which is harmless: the next repair finds the file original."""
        try:
            self._drop(entry)
        except OSError as exc:
            fault = envfaults.from_oserror(exc)
            if fault is None:
                raise
            return (
                f"{entry.path}: {done} (its journal entry stays until the state directory can be written: "
                f"{fault.message})"
            )
        return f"{entry.path}: {done}"

    def commit(self, entry: Entry) -> None:
        """Keep the new content: forget the backup (used by `bump` after it succeeded)."""
        self._drop(entry)

    def commit_all(self, entries: list[Entry]) -> None:
        """Keep the new content of several files as one decision.

        A mark listing the entries is written (atomically, fsynced) before any is dropped; a
        run killed while dropping them leaves the mark, and :meth:`repair` finishes the commit
        instead of restoring the entries not yet dropped (which would leave a half-bumped
        workspace: some files new, some old).
        """
        if not entries:
            return
        mark = self.directory / COMMIT_MARK
        atomic_write_json(mark, {"ids": [e.id for e in entries], "pid": os.getpid()})
        for entry in entries:
            self._drop(entry)
        self._finish_commit(mark)

    def _finish_commit(self, mark: Path) -> None:
        with contextlib.suppress(FileNotFoundError):
            mark.unlink()
        fsync_dir(self.directory)

    def _complete_interrupted_commit(self) -> set[str]:
        """Finish a commit a killed run began; returns the ids it could not drop (a read-only
        state directory), whose files keep their new content and must not be restored."""
        mark = self.directory / COMMIT_MARK
        remove_stale_tmp(mark)
        if not mark.exists():
            return set()
        try:
            ids = json.loads(mark.read_text(encoding="utf-8"))["ids"]
            if not isinstance(ids, list):
                raise TypeError(ids)
        except (OSError, ValueError, KeyError, TypeError):
            raise StateError(
                "unreadable commit mark in the journal",
                path=mark,
                code="RK302",
                hint="inspect it; the files it names were meant to keep their new content",
            ) from None
        try:
            for entry_id in ids:
                for item in (self._entry_file(str(entry_id)), self._backup_file(str(entry_id))):
                    with contextlib.suppress(FileNotFoundError):
                        item.unlink()
            self._finish_commit(mark)
        except OSError as exc:
            if envfaults.from_oserror(exc) is None:
                raise
            return {str(entry_id) for entry_id in ids}
        return set()

    def restore(self, entry: Entry) -> str:
        """Put the original bytes back; returns what happened, in words."""
        remove_stale_tmp(entry.path)
        try:
            current = entry.path.read_bytes()
        except FileNotFoundError:
            current = None
        current_hash = sha256_bytes(current) if current is not None else None
        if current_hash == entry.original_sha256:
            return self._drop_restored(entry, "already original")
        if entry.new_sha256 != ANY and current_hash not in (entry.new_sha256, None):
            kept = entry.path.with_name(entry.path.name + ".releasekit-original")
            atomic_write(kept, self._backup_file(entry.id).read_bytes())
            self._drop_restored(entry, "kept")
            raise StateError(
                f"{entry.path} was changed by someone else while releasekit had rewritten it; "
                f"left as is, original saved as {kept.name}",
                path=entry.path,
                code="RK303",
                hint="compare the two files and keep the right one",
            )
        original = self._backup_file(entry.id).read_bytes()
        if sha256_bytes(original) != entry.original_sha256:
            raise StateError(
                "journal backup does not match its recorded hash",
                path=self._backup_file(entry.id),
                code="RK302",
                hint="the state directory was damaged; restore the file from git",
            )
        atomic_write(entry.path, original)
        if sha256_bytes(entry.path.read_bytes()) != entry.original_sha256:  # pragma: no cover
            raise StateError("restored file does not match its original hash", path=entry.path, code="RK302")
        return self._drop_restored(entry, "restored")

    def repair(self) -> list[str]:
        """Restore everything a killed run left behind; also clears orphan backups.

        A file that cannot be restored (changed by someone else, damaged backup) does not stop
        the others: every entry is tried, then the problems are raised together. A file that
        cannot be written back now (a full disk, a read-only mount) raises PinnedFiles (RK313),
        which names each one and its backup.
        """
        messages: list[str] = []
        problems: list[StateError] = []
        unrestored: list[tuple[Entry, EnvironmentFault]] = []
        committed: set[str] = set()
        if self.directory.is_dir():
            committed = self._complete_interrupted_commit()
        for entry in self.entries():
            if entry.id in committed:
                continue
            try:
                messages.append(self.restore(entry))
            except StateError as exc:
                problems.append(exc)
            except OSError as exc:  # the file cannot be written back now: say which and how
                fault = envfaults.from_oserror(exc)
                if fault is None:
                    raise
                unrestored.append((entry, fault))
        if self.directory.is_dir():
            for orphan in self.directory.glob("*.orig"):
                if not self._entry_file(orphan.stem).exists():
                    with contextlib.suppress(OSError):
                        orphan.unlink()
        if unrestored:
            files = [(entry.path, self._backup_file(entry.id)) for entry, _ in unrestored]
            raise envfaults.PinnedFiles(files, unrestored[0][1], messages)
        if len(problems) == 1:
            raise problems[0]
        if problems:
            first = problems[0]
            raise StateError(
                f"{len(problems)} files could not be restored: "
                + "; ".join(f"{p.path}: {p.message}" for p in problems),
                code=first.code,
                hint=first.hint,
            )
        return messages

    @contextlib.contextmanager
    def rewritten(self, path: Path, new: bytes, reason: str) -> Iterator[Entry]:
        """Rewrite ``path`` for the duration of the block; restore it on any exit."""
        original = path.read_bytes()
        entry = self.rewrite(path, new, reason)
        try:
            yield entry
        finally:
            try:
                self.restore(entry)
            except OSError:
                # The backup is gone with the state directory (removed, unmounted): the original
                # bytes are still here, so the file comes back all the same; the error stands.
                if path.exists() and sha256_bytes(path.read_bytes()) == entry.new_sha256:
                    atomic_write(path, original)
                raise
