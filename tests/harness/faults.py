"""What the local index should break, and when: thread-safe, seeded, changeable mid-test.

The index server asks :class:`Faults` on every upload POST and every GET whether to inject
something. Rules fire in the order they were added; the first rule that matches and fires
wins. Options (lag, latency, PyPI duplicate semantics, PEP 691) are one immutable snapshot
swapped under a lock, so a request never sees half an update.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from packaging.utils import canonicalize_name

#: Reset the TCP connection (SO_LINGER 0): the client gets ECONNRESET and no HTTP response.
RESET: Literal["reset"] = "reset"
#: Close the connection cleanly (FIN) without answering: the client sees an early EOF.
EOF: Literal["eof"] = "eof"

Action = int | Literal["reset", "eof"]


@dataclass(frozen=True)
class Options:
    """Index-wide behaviour switches (all off by default: plain pypiserver)."""

    #: Files stored from now on stay hidden from /simple/, /pypi/ and /packages/ for this long.
    lag_s: float = 0.0
    #: Added before every request is handled.
    delay_ms: int = 0
    #: Answer re-uploads like PyPI (200 identical, 400 "File already exists") instead of 409.
    pypi_duplicates: bool = False
    #: Answer /simple/ with PEP 691 JSON when the Accept header prefers it.
    pep691: bool = False


@dataclass(frozen=True)
class Injection:
    """One fault chosen for one request."""

    action: Action
    retry_after: str | None = None
    #: For uploads: let the server store the file first, then answer with the fault.
    after_store: bool = False

    @property
    def drops(self) -> bool:
        return not isinstance(self.action, int)


@dataclass
class Rule:
    """A fault for matching requests. ``remaining`` None means "every time"."""

    kind: Literal["upload", "get"]
    action: Action
    remaining: int | None = None
    names: frozenset[str] | None = None
    probability: float | None = None
    retry_after: str | None = None
    after_store: bool = False
    prefixes: tuple[str, ...] = ("/simple/",)
    fired: int = 0

    def matches(self, name: str | None, path: str) -> bool:
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.kind == "get" and not path.startswith(self.prefixes):
            return False
        return self.names is None or (name is not None and name in self.names)


@dataclass(frozen=True)
class RequestRecord:
    """One request and what the index answered (``status`` None: connection dropped).

    Logged just before the answer is written, so it is there when the client has it.
    """

    method: str
    path: str
    status: int | None
    injected: bool = False
    filename: str | None = None
    accept: str = ""
    #: Content-Type of the answer (empty for drops and bodiless answers).
    response_type: str = ""

    @property
    def dropped(self) -> bool:
        return self.status is None


@dataclass(frozen=True)
class UploadStats:
    """Per filename: upload POSTs received, times actually stored, POSTs after it was stored."""

    posts: int = 0
    stored: int = 0
    duplicates: int = 0
    outcomes: tuple[int | None, ...] = field(default=())


def _check_action(action: Action) -> None:
    if isinstance(action, int):
        if not 400 <= action <= 599:
            raise ValueError(f"injected status must be 4xx/5xx, not {action}")
    elif action not in (RESET, EOF):
        raise ValueError(f"unknown fault action {action!r}")


class Faults:
    """The fault plan of one index. Every public method is safe to call from any thread."""

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self._rules: list[Rule] = []
        self._options = Options()

    # -- configuration ------------------------------------------------------------------

    @property
    def options(self) -> Options:
        return self._options

    def set(self, *, lag_s: float | None = None, delay_ms: int | None = None,
            pypi_duplicates: bool | None = None, pep691: bool | None = None) -> Options:
        """Change some options; the others keep their value. Returns the new snapshot."""
        changes: dict[str, object] = {
            key: value
            for key, value in (("lag_s", lag_s), ("delay_ms", delay_ms),
                               ("pypi_duplicates", pypi_duplicates), ("pep691", pep691))
            if value is not None
        }
        with self._lock:
            self._options = replace(self._options, **changes)  # type: ignore[arg-type]
            return self._options

    def seed(self, seed: int) -> None:
        """Restart the random sequence used by ``probability`` rules."""
        with self._lock:
            self._rng = random.Random(seed)

    def clear(self) -> None:
        """Remove every rule and reset every option."""
        with self._lock:
            self._rules.clear()
            self._options = Options()

    def fail_uploads(self, action: Action, *, first: int | None = None,
                     filenames: Iterable[str] | None = None, probability: float | None = None,
                     retry_after: float | str | None = None, after_store: bool = False) -> Rule:
        """Answer upload POSTs with ``action`` (a status, RESET or EOF).

        ``first``: only the next K matching uploads; ``filenames``: only these files;
        ``probability``: each match fires with this chance (seeded). Without any of them,
        every upload fails until :meth:`clear`. ``after_store``: the file is stored
        before the fault is answered (the response is what gets lost).
        """
        _check_action(action)
        rule = Rule(
            "upload", action, first,
            frozenset(filenames) if filenames is not None else None,
            probability, _retry_after(retry_after), after_store,
        )
        with self._lock:
            self._rules.append(rule)
        return rule

    def fail_gets(self, action: Action, *, first: int | None = None,
                  projects: Iterable[str] | None = None, probability: float | None = None,
                  retry_after: float | str | None = None,
                  prefixes: tuple[str, ...] = ("/simple/",)) -> Rule:
        """Answer GETs under ``prefixes`` (default: the simple index) with ``action``.

        ``projects`` limits it to /simple/<project>/ pages (names are normalised).
        """
        _check_action(action)
        names = frozenset(canonicalize_name(p) for p in projects) if projects is not None else None
        rule = Rule("get", action, first, names, probability, _retry_after(retry_after),
                    False, prefixes)
        with self._lock:
            self._rules.append(rule)
        return rule

    def add_upload(self, action: Action, *, times: int | None = None,
                   **kwargs: Any) -> Rule:
        """:meth:`fail_uploads` with ``times`` for ``first`` (the spelling tests use)."""
        return self.fail_uploads(action, first=times, **kwargs)

    def add_get(self, action: Action, *, times: int | None = None, **kwargs: Any) -> Rule:
        """:meth:`fail_gets` with ``times`` for ``first``."""
        return self.fail_gets(action, first=times, **kwargs)

    # -- used by the server ---------------------------------------------------------------

    def pick_upload(self, filename: str | None) -> Injection | None:
        return self._pick("upload", filename, "/")

    def pick_get(self, path: str, project: str | None) -> Injection | None:
        return self._pick("get", canonicalize_name(project) if project else None, path)

    def _pick(self, kind: str, name: str | None, path: str) -> Injection | None:
        with self._lock:
            for rule in self._rules:
                if rule.kind != kind or not rule.matches(name, path):
                    continue
                if rule.probability is not None and self._rng.random() >= rule.probability:
                    continue
                if rule.remaining is not None:
                    rule.remaining -= 1
                rule.fired += 1
                return Injection(rule.action, rule.retry_after, rule.after_store)
        return None


def _retry_after(value: float | str | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return str(int(value)) if float(value).is_integer() else str(value)
