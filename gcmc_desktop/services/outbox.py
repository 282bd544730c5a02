"""The upload outbox: a folder on this workstation where every document file waits until it is
stored and recorded, so a scan taken while the server is unreachable, or an upload interrupted
by a crash, is sent later and never lost or recorded twice.

Each upload is one entry: a copy of the file (`files/{id}`) and a small JSON file
(`entries/{id}.json`) describing it — firm, user, target (a new document with its type, title
and dates, or a new version of a document), checksum, size, type, state and attempts. JSON
files rather than one SQLite database because every entry is independent and several worker
threads process entries at once: each write is a whole-file `os.replace`, atomic on its own,
so there is no shared lock to wait for and a crash leaves every entry either as it was or as
it became. They can also be read by a person looking at a stuck upload.

`process` takes an entry through its states:

    queued ──store the object──► stored ──write the row──► done (entry and copy removed)
       └──────── refused (validation, permission, deleted client) ──► failed (copy kept)

The object goes under a content-addressed key first (skipped if the key already holds the right
number of bytes: a resumed upload), then the database row is written, carrying the entry id in
the version's metadata (`outboxId`). A process that dies after the row was written but before
the entry was marked done finds that row on the next attempt and only marks the entry done: the
upload happens exactly once. The same file (by SHA-256) already on the document — or, for a new
document, already on the client — is reported and nothing is stored.

Failures that may go away (storage or database unreachable) leave the entry in its state with
the reason, for `resume_all` on the next start or when the connection is back.

Qt-free: progress and cancellation arrive through a small `Control` protocol, which the GUI's
`JobControl` satisfies.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, OperationalError

from ..models import Document, DocumentVersion, User
from . import plans
from .context import Context, require
from .documents import (
    DuplicateFile,
    VersionInput,
    add_version,
    create_document,
    find_version_by_sha256,
    version_history,
)
from .errors import DatabaseUnavailable, ServiceError
from .storage import (
    DEFAULT_CHUNK_SIZE,
    StorageCancelled,
    StorageError,
    StorageProvider,
    object_key,
    pending_key,
)

log = logging.getLogger(__name__)

QUEUED = "queued"
STORED = "stored"
DONE = "done"
FAILED = "failed"
PENDING_STATES = (QUEUED, STORED)
OUTBOX_ID = "outboxId"  # key in document_versions.metadata
# Copies without an entry are left by a crash during `enqueue`; younger ones may still be
# being written by another thread.
STRAY_AFTER_SECONDS = 3600


class Control(Protocol):
    """What `process` needs from its caller: progress and cooperative cancellation."""

    @property
    def cancelled(self) -> bool: ...

    def check(self) -> None: ...

    def progress(self, done: int, total: int, message: str = "") -> None: ...


class _NoControl:
    cancelled = False

    def check(self) -> None:
        return None

    def progress(self, done: int, total: int, message: str = "") -> None:
        return None


class UploadDeferred(ServiceError):
    """The upload could not finish now (storage or database unreachable); the entry stays in the
    outbox and is sent later."""

    default_message = "The upload is waiting in the outbox and will be sent later."


class UploadRefused(ServiceError):
    """The upload can never succeed as it stands (e.g. the client was deleted); the entry is
    marked failed and its copy kept until the user retries or discards it."""


# --------------------------------------------------------------------------------------------
# Entries


def _date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


@dataclass
class UploadTarget:
    """Where an upload goes: a new document (client, type, title, …) or a new version of
    `document_id`. Dates and the number describe the file, so they belong to either."""

    client_id: int | None = None
    document_type_id: int | None = None
    title: str | None = None
    client_business_id: int | None = None
    description: str | None = None
    tags: list[str] | None = None
    authority: str | None = None
    document_id: int | None = None
    issue_date: date | None = None
    expiry_date: date | None = None
    issuing_authority: str | None = None
    document_number: str | None = None

    @property
    def is_new_document(self) -> bool:
        return self.document_id is None

    def for_file(self, name: str) -> UploadTarget:
        """This target for one of several files: a new document without a title gets the
        file's name (without extension)."""
        if not self.is_new_document or (self.title or "").strip():
            return self
        return UploadTarget(**{**asdict(self), "title": Path(name).stem})

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("issue_date", "expiry_date"):
            if data[key] is not None:
                data[key] = data[key].isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> UploadTarget:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        for key in ("issue_date", "expiry_date"):
            known[key] = _date(known.get(key))
        return cls(**known)


@dataclass
class OutboxEntry:
    id: str
    tenant_id: int
    user_id: str
    target: UploadTarget
    source_path: str
    original_name: str
    sha256: str
    size: int
    mime_type: str
    state: str = QUEUED
    reason: str | None = None
    attempts: int = 0
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    storage_key: str | None = None
    storage_provider: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["target"] = self.target.to_json()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OutboxEntry:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["target"] = UploadTarget.from_json(known.get("target") or {})
        return cls(**known)


@dataclass(frozen=True)
class Outcome:
    """How an upload ended: recorded (new document or version) or found to be a duplicate."""

    entry: OutboxEntry
    message: str
    document_id: int | None
    version_id: int | None
    client_id: int | None
    duplicate: bool = False


# --------------------------------------------------------------------------------------------
# The outbox folder


def default_path() -> Path:
    from gcmc_desktop.db.embedded import data_dir

    return data_dir() / "outbox"


def _write_json(path: Path, data: dict[str, Any]) -> None:
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    with temp.open("w", encoding="utf-8") as out:
        json.dump(data, out, ensure_ascii=False, indent=1)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temp, path)


def _unlink(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


class Outbox:
    """The outbox folder (default: `<data dir>/outbox`). Safe to share between threads; one
    entry is processed by one thread at a time."""

    def __init__(self, path: Path | str | None = None) -> None:
        self.root = Path(path) if path is not None else default_path()
        self.entries_dir = self.root / "entries"
        self.files_dir = self.root / "files"
        self.entries_dir.mkdir(parents=True, exist_ok=True)
        self.files_dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._busy: set[str] = set()

    # -- reading --------------------------------------------------------------------------------

    def _entry_path(self, entry_id: str) -> Path:
        return self.entries_dir / f"{entry_id}.json"

    def copy_path(self, entry: OutboxEntry | str) -> Path:
        return self.files_dir / (entry if isinstance(entry, str) else entry.id)

    def get(self, entry_id: str) -> OutboxEntry | None:
        try:
            with self._entry_path(entry_id).open(encoding="utf-8") as source:
                return OutboxEntry.from_json(json.load(source))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, TypeError) as exc:
            log.warning("Unreadable outbox entry %s: %s", entry_id, exc)
            return None

    def entries(self) -> list[OutboxEntry]:
        """Every entry, oldest first."""
        found = []
        for path in self.entries_dir.glob("*.json"):
            entry = self.get(path.stem)
            if entry is not None:
                found.append(entry)
        return sorted(found, key=lambda e: (e.created_at, e.id))

    def _mine(self, ctx: Context, states: tuple[str, ...]) -> list[OutboxEntry]:
        # Another user's (or firm's) uploads wait for them: they are recorded under their name.
        return [
            e
            for e in self.entries()
            if e.tenant_id == ctx.tenant_id and e.user_id == ctx.user_id and e.state in states
        ]

    def pending(self, ctx: Context) -> list[OutboxEntry]:
        """This user's uploads in this firm that still have to be sent."""
        return self._mine(ctx, PENDING_STATES)

    def failed(self, ctx: Context) -> list[OutboxEntry]:
        """This user's uploads that were refused; their copies wait for retry or discard."""
        return self._mine(ctx, (FAILED,))

    # -- writing --------------------------------------------------------------------------------

    def save(self, entry: OutboxEntry) -> None:
        _write_json(self._entry_path(entry.id), entry.to_json())

    def enqueue(
        self,
        ctx: Context,
        source: Path | str,
        target: UploadTarget,
        *,
        mime_type: str,
        control: Control | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> OutboxEntry:
        """Copy `source` into the outbox (hashing it on the way) and record the entry. From
        here on the original may be moved or deleted. StorageError if it cannot be read or the
        outbox cannot be written; whatever `control.check()` raises on cancel (nothing is left)."""
        control = control or _NoControl()
        source = Path(source)
        entry_id = secrets.token_hex(12)
        copy = self.copy_path(entry_id)
        partial = copy.with_name(f".{entry_id}.part")
        digest = hashlib.sha256()
        done = 0
        try:
            total = source.stat().st_size
            with source.open("rb") as reader, partial.open("wb") as writer:
                while chunk := reader.read(chunk_size):
                    control.check()
                    digest.update(chunk)
                    writer.write(chunk)
                    done += len(chunk)
                    control.progress(done, total, f"Copying {source.name}")
                writer.flush()
                os.fsync(writer.fileno())
            os.replace(partial, copy)
        except OSError as exc:
            _unlink(partial)
            if isinstance(exc, FileNotFoundError) and not source.exists():
                raise StorageError(f"The file {source} no longer exists.") from None
            raise StorageError(
                f"{source.name} could not be copied to the upload outbox: {exc.strerror or exc}."
            ) from None
        except BaseException:
            _unlink(partial)
            raise
        entry = OutboxEntry(
            id=entry_id,
            tenant_id=ctx.tenant_id,
            user_id=ctx.user_id,
            target=target.for_file(source.name),
            source_path=str(source),
            original_name=source.name,
            sha256=digest.hexdigest(),
            size=done,
            mime_type=mime_type,
        )
        try:
            self.save(entry)
        except BaseException:
            _unlink(copy)
            raise
        return entry

    def discard(self, entry: OutboxEntry | str) -> None:
        """Forget an upload (the user cancelled it or gave up on a refused one). An object
        already stored without a row is left to the storage's orphan clean-up."""
        entry_id = entry if isinstance(entry, str) else entry.id
        _unlink(self._entry_path(entry_id))
        _unlink(self.copy_path(entry_id))

    def retry(self, entry: OutboxEntry) -> OutboxEntry:
        """Put a failed entry back in the queue (e.g. after the client's record was fixed)."""
        entry.state = STORED if entry.storage_key else QUEUED
        entry.reason = None
        self.save(entry)
        return entry

    def tidy_done(self) -> int:
        """Remove entries marked done, and their copies: left by a process that died between
        marking an entry done and removing it (issue 9 #27). Their rows are written, so nothing
        is lost, whoever's they are. Returns how many."""
        removed = 0
        for entry in self.entries():
            if entry.state != DONE:
                continue
            with self._claim(entry.id) as free:
                if free:  # one being finished right now by this process removes itself
                    _unlink(self.copy_path(entry))
                    _unlink(self._entry_path(entry.id))
                    removed += 1
        return removed

    def remove_strays(self, now: float | None = None) -> int:
        """Tidy the outbox at start: entries already done (`tidy_done`), then copies (and
        half-written copies) that no entry refers to, left by a crash during `enqueue`.
        Returns how many copies of either kind were removed."""
        tidied = self.tidy_done()
        limit = (now or time.time()) - STRAY_AFTER_SECONDS
        known = {p.stem for p in self.entries_dir.glob("*.json")}
        removed = 0
        for path in self.files_dir.iterdir():
            name = path.name.removeprefix(".").removesuffix(".part")
            if name in known:
                continue
            with contextlib.suppress(OSError):
                if path.stat().st_mtime < limit:
                    path.unlink()
                    removed += 1
        for path in self.entries_dir.glob(".*.tmp"):
            with contextlib.suppress(OSError):
                if path.stat().st_mtime < limit:
                    path.unlink()
        return tidied + removed

    @contextlib.contextmanager
    def _claim(self, entry_id: str) -> Iterator[bool]:
        with self._lock:
            free = entry_id not in self._busy
            if free:
                self._busy.add(entry_id)
        try:
            yield free
        finally:
            if free:
                with self._lock:
                    self._busy.discard(entry_id)

    # -- processing -----------------------------------------------------------------------------

    def process(
        self,
        entry: OutboxEntry,
        ctx: Context,
        storage: StorageProvider,
        control: Control | None = None,
    ) -> Outcome:
        """Store the entry's file, record it, mark it done. Raises UploadDeferred (entry kept,
        try later), UploadRefused (entry marked failed) or the control's cancellation."""
        control = control or _NoControl()
        if (entry.tenant_id, entry.user_id) != (ctx.tenant_id, ctx.user_id):
            raise UploadRefused("This upload belongs to another user or firm.")
        with self._claim(entry.id) as free:
            if not free:
                raise UploadDeferred(f"{entry.original_name} is already being uploaded.")
            current = self.get(entry.id)
            if current is None:
                raise UploadRefused(f"{entry.original_name} is no longer in the upload outbox.")
            entry = current
            if entry.state == FAILED:
                raise UploadRefused(entry.reason or f"{entry.original_name} was refused.")
            entry.attempts += 1
            entry.reason = None
            self.save(entry)
            try:
                return self._process(entry, ctx, storage, control)
            except StorageCancelled:
                self._keep(entry, ctx, "Cancelled.")
                raise
            except (StorageError, OperationalError, DatabaseUnavailable) as exc:
                reason = exc.message if isinstance(exc, ServiceError) else _UNREACHABLE
                self._keep(entry, ctx, reason)
                raise UploadDeferred(
                    f"{entry.original_name} is kept in the outbox and will be sent later: {reason}"
                ) from exc
            except DBAPIError as exc:
                if not exc.connection_invalidated:
                    self._fail(entry, ctx, _DATABASE_REFUSED)
                    raise UploadRefused(f"{entry.original_name}: {_DATABASE_REFUSED}") from exc
                self._keep(entry, ctx, _UNREACHABLE)
                raise UploadDeferred(
                    f"{entry.original_name} is kept in the outbox: {_UNREACHABLE}"
                ) from exc
            except ServiceError as exc:
                self._fail(entry, ctx, exc.message)
                raise UploadRefused(f"{entry.original_name}: {exc.message}") from exc
            except BaseException as exc:
                # A cancel from the caller's control, or a bug: the entry stays to be resumed.
                self._keep(entry, ctx, str(exc) or "Interrupted.")
                raise

    def _keep(self, entry: OutboxEntry, ctx: Context, reason: str) -> None:
        _rollback(ctx)
        entry.reason = reason
        if self.get(entry.id) is not None:  # not discarded meanwhile
            self.save(entry)

    def _fail(self, entry: OutboxEntry, ctx: Context, reason: str) -> None:
        _rollback(ctx)
        entry.state = FAILED
        entry.reason = reason
        if self.get(entry.id) is not None:
            self.save(entry)

    def _process(
        self, entry: OutboxEntry, ctx: Context, storage: StorageProvider, control: Control
    ) -> Outcome:
        target = entry.target
        require(ctx, "documents", "create" if target.is_new_document else "edit")
        if entry.state == STORED:
            # The row may have been written just before a crash: never write it twice.
            recorded = _recorded(ctx, entry)
            if recorded is not None:
                return self._finish(entry, recorded)
        duplicate = _duplicate(ctx, entry)
        if duplicate is not None:
            return self._finish(entry, duplicate)
        if entry.state != STORED:
            # Before the file goes to the storage: a firm over its plan's storage stores nothing.
            plans.check_limit(ctx, "storage", entry.size)

        key = entry.storage_key or _key_for(entry)
        copy = self.copy_path(entry)
        if storage.size(key) != entry.size:
            control.check()
            storage.put_file(
                key,
                copy,
                sha256=entry.sha256,
                size=entry.size,
                content_type=entry.mime_type,
                progress=lambda done, total: control.progress(
                    done, total, f"Uploading {entry.original_name}"
                ),
                cancelled=lambda: control.cancelled,
            )
        else:
            control.progress(entry.size, entry.size, f"{entry.original_name} already stored")
        entry.state = STORED
        entry.storage_key = key
        entry.storage_provider = storage.name
        self.save(entry)

        control.check()  # the last point at which a cancel still leaves no trace in the database
        version = VersionInput(
            file_url=key,
            storage_provider=storage.name,
            file_size=entry.size,
            mime_type=entry.mime_type,
            sha256=entry.sha256,
            original_name=entry.original_name,
            issue_date=target.issue_date,
            expiry_date=target.expiry_date,
            issuing_authority=target.issuing_authority,
            document_number=target.document_number,
            meta={OUTBOX_ID: entry.id},
        )
        try:
            if target.is_new_document:
                document = create_document(
                    ctx,
                    client_id=_required(target.client_id, "client"),
                    document_type_id=_required(target.document_type_id, "document type"),
                    title=target.title or Path(entry.original_name).stem,
                    first_version=version,
                    client_business_id=target.client_business_id,
                    description=target.description,
                    tags=target.tags,
                    authority=target.authority,
                )
                outcome = Outcome(
                    entry,
                    f'Uploaded {entry.original_name} as the new document "{document["title"]}".',
                    document["id"],
                    document["latest_version_id"],
                    document["client_id"],
                )
            else:
                document_id = _required(target.document_id, "document")
                added = add_version(ctx, document_id, version)
                number = len(version_history(ctx, document_id))
                document = ctx.session.get(Document, document_id)
                title = document.title if document is not None else "the document"
                outcome = Outcome(
                    entry,
                    f'Uploaded {entry.original_name} as version {number} of "{title}".',
                    document_id,
                    added["id"],
                    document.client_id if document is not None else None,
                )
        except DuplicateFile as exc:
            # Someone added the same file between our check and our write.
            ctx.session.rollback()
            outcome = _duplicate_outcome(ctx, entry, exc)
        return self._finish(entry, outcome)

    def _finish(self, entry: OutboxEntry, outcome: Outcome) -> Outcome:
        # Marked done before anything is deleted: a crash in between leaves a done entry, which
        # `resume_all` only tidies away.
        entry.state = DONE
        entry.reason = None
        self.save(entry)
        _unlink(self.copy_path(entry))
        _unlink(self._entry_path(entry.id))
        return outcome

    def resume_all(
        self, ctx: Context, storage: StorageProvider, control: Control | None = None
    ) -> list[tuple[OutboxEntry, Outcome | ServiceError]]:
        """Send this user's pending uploads, oldest first. Stops at the first upload that has
        to wait (the server or storage is unreachable: the others would wait too)."""
        control = control or _NoControl()
        self.remove_strays()
        results: list[tuple[OutboxEntry, Outcome | ServiceError]] = []
        for entry in self._mine(ctx, (*PENDING_STATES, DONE)):
            control.check()
            if entry.state == DONE:
                self._finish(entry, Outcome(entry, "", None, None, None))
                continue
            try:
                results.append((entry, self.process(entry, ctx, storage, control)))
            except UploadRefused as exc:
                results.append((entry, exc))
            except UploadDeferred as exc:
                results.append((entry, exc))
                break
        return results


# --------------------------------------------------------------------------------------------
# Module-level shortcuts over the default outbox (or one at `path`)


def pending(ctx: Context, *, path: Path | str | None = None) -> list[OutboxEntry]:
    return Outbox(path).pending(ctx)


def enqueue(
    ctx: Context,
    source: Path | str,
    target: UploadTarget,
    *,
    mime_type: str,
    control: Control | None = None,
    path: Path | str | None = None,
) -> OutboxEntry:
    return Outbox(path).enqueue(ctx, source, target, mime_type=mime_type, control=control)


def process(
    entry: OutboxEntry,
    ctx: Context,
    storage: StorageProvider,
    control: Control | None = None,
    *,
    path: Path | str | None = None,
) -> Outcome:
    return Outbox(path).process(entry, ctx, storage, control)


def resume_all(
    ctx: Context,
    storage: StorageProvider,
    control: Control | None = None,
    *,
    path: Path | str | None = None,
) -> list[tuple[OutboxEntry, Outcome | ServiceError]]:
    return Outbox(path).resume_all(ctx, storage, control)


# --------------------------------------------------------------------------------------------
# Helpers

_UNREACHABLE = "the database cannot be reached."
_DATABASE_REFUSED = "the database refused to record the file."


def _rollback(ctx: Context) -> None:
    with contextlib.suppress(Exception):
        ctx.session.rollback()


def _required(value: int | None, what: str) -> int:
    if value is None:
        raise UploadRefused(f"The upload does not say which {what} it is for.")
    return value


def _key_for(entry: OutboxEntry) -> str:
    """A new version's key names its document; a new document has no id until its row exists,
    so its first file waits under the firm's pending prefix (still content-addressed)."""
    if entry.target.document_id is not None:
        return object_key(entry.tenant_id, entry.target.document_id, entry.sha256)
    return pending_key(entry.tenant_id, entry.sha256)


def _candidates(ctx: Context, entry: OutboxEntry) -> Any:
    """The versions an entry could collide with: its document's, or its client's documents'."""
    query = select(DocumentVersion, Document).join(
        Document, Document.id == DocumentVersion.document_id
    )
    if entry.target.document_id is not None:
        return query.where(DocumentVersion.document_id == entry.target.document_id)
    return query.where(Document.client_id == entry.target.client_id)


def _recorded(ctx: Context, entry: OutboxEntry) -> Outcome | None:
    """The version this entry already wrote, if a crash came between the row and `done`."""
    row = ctx.session.execute(
        _candidates(ctx, entry).where(DocumentVersion.meta[OUTBOX_ID].astext == entry.id).limit(1)
    ).first()
    if row is None:
        return None
    version, document = row
    return Outcome(
        entry,
        f'Uploaded {entry.original_name} to "{document.title}".',
        document.id,
        version.id,
        document.client_id,
    )


def _duplicate(ctx: Context, entry: OutboxEntry) -> Outcome | None:
    """An existing version holding the same file: on the target document, or (for a new
    document) on any of the client's documents."""
    if entry.target.document_id is not None:
        found = find_version_by_sha256(ctx, entry.target.document_id, entry.sha256)
        if found is None:
            return None
        document_id = entry.target.document_id
        version = found.version
        version_id = found.id
    else:
        require(ctx, "documents", "view")
        row = ctx.session.execute(
            _candidates(ctx, entry)
            .where(DocumentVersion.meta["sha256"].astext == entry.sha256)
            .order_by(DocumentVersion.uploaded_at, DocumentVersion.id)
            .limit(1)
        ).first()
        if row is None:
            return None
        version, document = row
        version_id, document_id = version.id, document.id
    history = version_history(ctx, document_id)
    number = next((r.number for r in history if r.id == version_id), len(history))
    document = ctx.session.get(Document, document_id)
    uploaded_by_id = (
        version["uploaded_by_id"] if isinstance(version, dict) else version.uploaded_by_id
    )
    uploader = ctx.session.scalar(select(User.name).where(User.id == uploaded_by_id))
    error = DuplicateFile(
        version,
        number=number,
        document_title=document.title if document is not None else "the document",
        uploaded_by=uploader,
    )
    return _duplicate_outcome(ctx, entry, error, document)


def _duplicate_outcome(
    ctx: Context, entry: OutboxEntry, error: DuplicateFile, document: Document | None = None
) -> Outcome:
    document = document or ctx.session.get(Document, error.existing["document_id"])
    return Outcome(
        entry,
        f"Not uploaded again: {error.message}",
        error.existing["document_id"],
        error.existing["id"],
        document.client_id if document is not None else None,
        duplicate=True,
    )


# --------------------------------------------------------------------------------------------
# The text layer, written after the upload
