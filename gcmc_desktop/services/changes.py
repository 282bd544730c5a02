"""What changed: change sets, collected per session and announced by the database.

A `ChangeSet` maps entity types (the audit trail's names: client, document, …) to the ids
created, updated and deleted. Two sources feed it, Qt-free:

- `track_changes(session)`: every flush of the session records its rows; a commit publishes
  them (a rollback forgets them), so an operation knows exactly what it changed.
- `ChangeListener`: one connection off the GUI thread LISTENs on the firm's channel (migration
  0007) and turns other workstations' committed changes into change sets; a dropped connection
  is re-established and resubscribed, and reports "anything may have changed" once back.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import event
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

ACTIONS = ("created", "updated", "deleted")
_LETTERS = {"c": "created", "u": "updated", "d": "deleted"}
EVERYTHING = "*"


@dataclass
class EntityChanges:
    created: set[int] = field(default_factory=set)
    updated: set[int] = field(default_factory=set)
    deleted: set[int] = field(default_factory=set)
    # Too many to list (or unknown): treat every row of the type as changed.
    all: bool = False

    def ids(self) -> set[int]:
        return self.created | self.updated | self.deleted


@dataclass
class ChangeSet:
    """{entity type: EntityChanges}; the entity type "*" means everything may have changed."""

    entities: dict[str, EntityChanges] = field(default_factory=dict)
    remote: bool = False

    @classmethod
    def everything(cls, *, remote: bool = True) -> ChangeSet:
        return cls({EVERYTHING: EntityChanges(all=True)}, remote=remote)

    def add(self, entity: str, action: str, ids: Iterable[int] | None) -> None:
        changes = self.entities.setdefault(entity, EntityChanges())
        if ids is None:
            changes.all = True
        else:
            getattr(changes, action).update(ids)

    def merge(self, other: ChangeSet) -> None:
        for entity, changes in other.entities.items():
            mine = self.entities.setdefault(entity, EntityChanges())
            for action in ACTIONS:
                getattr(mine, action).update(getattr(changes, action))
            mine.all = mine.all or changes.all

    def touches(self, entities: Iterable[str]) -> bool:
        """Does this change concern any of `entities`?"""
        return EVERYTHING in self.entities or any(e in self.entities for e in entities)

    def ids(self, entity: str) -> set[int] | None:
        """The changed ids of `entity`; None when every row may have changed."""
        if EVERYTHING in self.entities:
            return None
        changes = self.entities.get(entity)
        if changes is None:
            return set()
        return None if changes.all else changes.ids()

    def __bool__(self) -> bool:
        return bool(self.entities)


def parse_notification(payload: str) -> ChangeSet | None:
    """A change set from a notification's payload; None for anything malformed (any staff
    member can NOTIFY on their firm's channel, so the payload is not trusted)."""
    try:
        data = json.loads(payload)
        entity, action, ids = data["e"], _LETTERS[data["a"]], data.get("ids")
        if not isinstance(entity, str) or not entity or len(entity) > 64:
            return None
        if ids is not None:
            ids = [int(i) for i in ids if isinstance(i, int)]
    except (ValueError, KeyError, TypeError):
        return None
    changes = ChangeSet(remote=True)
    changes.add(entity, action, ids)
    return changes


# --------------------------------------------------------------------------------------------
# Local: what a session's commits changed

_PENDING = "gcmc_changes_pending"
_COMMITTED = "gcmc_changes_committed"


def _entity_type(obj: Any) -> str:
    from .audit import entity_type

    return entity_type(obj)


def track_changes(session: Session) -> None:
    """Record every flushed row of `session`; `take_committed(session)` hands them out."""
    if event.contains(session, "after_flush", _after_flush):
        return
    event.listen(session, "after_flush", _after_flush)
    event.listen(session, "after_commit", _after_commit)
    event.listen(session, "after_rollback", _after_rollback)


def _after_flush(session: Session, _flush: Any) -> None:
    pending: ChangeSet = session.info.setdefault(_PENDING, ChangeSet())
    for action, objects in (
        ("created", session.new),
        ("updated", session.dirty),
        ("deleted", session.deleted),
    ):
        for obj in objects:
            ident = getattr(obj, "id", None)
            if action == "updated" and not session.is_modified(obj, include_collections=False):
                continue
            pending.add(_entity_type(obj), action, [ident] if isinstance(ident, int) else [])


def _after_commit(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending:
        session.info.setdefault(_COMMITTED, ChangeSet()).merge(pending)


def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


def note_changes(session: Session, entity: str, action: str, ids: Iterable[int]) -> None:
    """Record rows written with set-based SQL (which the ORM's flush does not see) as this
    transaction's changes: published with its commit, forgotten with its rollback."""
    session.info.setdefault(_PENDING, ChangeSet()).add(entity, action, list(ids))


def take_committed(session: Session) -> ChangeSet:
    """What `session` committed since the last call (and forget it)."""
    return session.info.pop(_COMMITTED, None) or ChangeSet()


# --------------------------------------------------------------------------------------------
# Remote: the firm's channel


class ChangeListener:
    """LISTEN on the firm's change channel in a daemon thread; call `on_changes(ChangeSet)`
    for each notification and `on_state(connected)` when the connection drops or returns.

    Callbacks run on the listener's thread: a GUI hands them to its own thread (the change
    bus emits a queued Qt signal)."""

    RETRY_SECONDS = (0.5, 1, 2, 5)
    PING_SECONDS = 5.0

    def __init__(
        self,
        url: URL,
        tenant_id: int,
        on_changes: Callable[[ChangeSet], None],
        on_state: Callable[[bool], None] | None = None,
    ) -> None:
        self._url = url
        self._tenant_id = tenant_id
        self._on_changes = on_changes
        self._on_state = on_state or (lambda _connected: None)
        self._stop = threading.Event()
        self._conn: psycopg.Connection | None = None
        self._thread = threading.Thread(target=self._run, name="gcmc-changes", daemon=True)
        self.subscribed = threading.Event()

    def start(self) -> ChangeListener:
        self._thread.start()
        return self

    def stop(self, timeout: float = 3.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _connect(self) -> psycopg.Connection:
        params = dict(self._url.query)
        conn = psycopg.connect(
            user=self._url.username,
            password=self._url.password,
            host=self._url.host or params.get("host"),
            port=self._url.port,
            dbname=self._url.database,
            autocommit=True,
            connect_timeout=5,
            application_name="gcmc-desktop changes",
        )
        conn.execute("SELECT set_config('gcmc.tenant_id', %s, false)", (str(self._tenant_id),))
        channel = conn.execute("SELECT gcmc_change_channel()").fetchone()[0]
        if channel is None:
            conn.close()
            raise PermissionError("not a member of this firm")
        conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
        return conn

    def _run(self) -> None:
        attempt = 0
        was_connected = False
        while not self._stop.is_set():
            try:
                self._conn = self._connect()
            except PermissionError:
                log.info("change listener: no channel for tenant %s", self._tenant_id)
                return
            except psycopg.Error as exc:
                log.info("change listener cannot connect: %s", type(exc).__name__)
                self._stop.wait(self.RETRY_SECONDS[min(attempt, len(self.RETRY_SECONDS) - 1)])
                attempt += 1
                continue
            if was_connected:  # notifications sent while we were away are lost: resync
                self._on_changes(ChangeSet.everything())
            attempt, was_connected = 0, True
            self._on_state(True)
            self.subscribed.set()
            try:
                self._listen(self._conn)
            except psycopg.Error as exc:
                log.info("change listener lost its connection: %s", type(exc).__name__)
                self.subscribed.clear()
                self._on_state(False)
            finally:
                self._close()

    def _listen(self, conn: psycopg.Connection) -> None:
        checked = time.monotonic()
        while not self._stop.is_set():
            for note in conn.notifies(timeout=0.5):
                changes = parse_notification(note.payload)
                if changes is not None:
                    self._on_changes(changes)
            if conn.closed or conn.broken:
                raise psycopg.OperationalError("connection closed")
            if time.monotonic() - checked > self.PING_SECONDS:  # a silent socket may be dead
                conn.execute("SELECT 1")
                checked = time.monotonic()

    def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(psycopg.Error):
                conn.close()
