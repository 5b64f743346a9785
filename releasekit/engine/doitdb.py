"""doit's database on a disk that may be full or read-only: named faults, never a traceback.

The database is only a cache (the index is the source of truth), so a run whose database
cannot be saved loses nothing but the shortcut on the next run. It is opened (created) before
the run starts, so a disk that cannot hold it stops the run before anything happens; doit
writes it once, at the end, where a failure becomes a line of the run's summary instead of
doit's traceback.
"""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

from doit.dependency import SqliteDB

from releasekit.errors import ReleasekitError, StateError
from releasekit.support import envfaults

if TYPE_CHECKING:
    from releasekit.engine.settings import PublishSettings

#: doit configuration that makes ``backend = "sqlite3"`` this class.
PLUGIN = {"BACKEND": {"sqlite3": "releasekit.engine.doitdb:GuardedSqliteDB"}}
_TABLE = "create table if not exists doit (task_id text not null primary key, task_data json)"


def _db_error(exc: sqlite3.Error, path: Path | str, doing: str) -> ReleasekitError:
    if isinstance(exc, sqlite3.OperationalError):  # a full disk, a read-only or unopenable file
        return envfaults.from_text(str(exc), doing=doing, path=path) or envfaults.fault(
            envfaults.READ_ONLY, path, f"sqlite: {exc}", doing=doing
        )
    return StateError(
        f"doit's database is damaged: {exc}",
        path=path,
        code="RK302",
        hint="delete it: it is only a cache, the next run asks the index again",
    )


def check_database(path: Path) -> None:
    """Open (creating) doit's database now; a disk that cannot hold it is an error naming it."""
    try:
        conn = sqlite3.connect(path)
        try:
            conn.execute(_TABLE)
            conn.commit()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise _db_error(exc, path, "opening doit's database") from None


class GuardedSqliteDB(SqliteDB):  # type: ignore[misc]
    """doit's sqlite backend, whose final write reports a failure instead of raising it."""

    def __init__(self, name: str, codec: Any, *, module_name: str | None = None) -> None:
        super().__init__(name, codec, module_name=module_name)
        #: One-line errors of saving it (the run reads them for its summary).
        self.faults: list[str] = []

    def dump(self) -> None:
        try:
            super().dump()
        except sqlite3.Error as exc:
            self.faults.append(_db_error(exc, self.name, "saving doit's database").one_line())
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()


def doit_db_path(settings: PublishSettings) -> Path:
    """One doit DB per index, so a rehearsal never marks tasks done for the real index."""
    index = hashlib.sha256(settings.check_url.encode()).hexdigest()[:10]
    return Path(settings.state_dir) / f"doit-{index}.sqlite3"
