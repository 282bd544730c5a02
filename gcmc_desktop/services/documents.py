"""Documents and their file versions (DOMAIN.md §2): create with a first version, add versions,
delete versions, history, edits with the desktop's status transitions, expiry, and the list query
the documents page shows.

The platform's version rules are kept in one transaction each: the newest version is the only one
with `isLatest`, `documents.latestVersionId` points to it, and the status is recomputed from its
expiry date. Adding or removing a version locks the document row first, so two workstations
uploading at once cannot leave two "latest" versions. The file itself is stored before any of
this runs (see ARCHITECTURE.md, document storage): these functions record it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.orm import Session

from ..models import Client, ClientBusiness, Document, DocumentType, DocumentVersion, User, utcnow
from . import plans, records
from .catalog import AUTHORITIES, DOCUMENT_STATUSES
from .context import Context, require
from .document_types import clean_tags
from .errors import ConflictError, NotFoundError, ServiceError, ValidationError
from .integrity import register_constraint_message
from .paging import (
    ColumnSpec,
    PagedQuery,
    format_date,
    matches_function,
    page_function,
    search_function,
)
from .records import guarded

log = logging.getLogger(__name__)

# Desktop convention (DOMAIN.md §2): the status changes a user may make by hand. Uploading a
# version sets valid/expired by the platform's rule regardless.
STATUS_TRANSITIONS: dict[str, frozenset[str]] = {
    "pending_review": frozenset({"valid", "rejected"}),
    "valid": frozenset({"expired"}),
    "expired": frozenset(),
    "rejected": frozenset(),
}
DOCUMENT_FIELDS = (
    "title",
    "description",
    "tags",
    "authority",
    "document_type_id",
    "client_business_id",
    "status",
)
DOCUMENT_RULES: dict[str, records.FieldRule] = {
    "title": records.TEXT,
    "description": records.FieldRule(max_length=records.NOTES_LENGTH),
    "tags": records.FieldRule("tags"),
    "authority": records.FieldRule(max_length=records.CODE_LENGTH),
    "document_type_id": records.FieldRule("integer"),
    "client_business_id": records.FieldRule("integer"),
    "status": records.FieldRule(max_length=records.CODE_LENGTH),
}
FILE_URL_LENGTH = 1024
SHA256 = re.compile(r"^[0-9a-f]{64}$")
# document_versions.fileSize is a 32-bit integer column.
MAX_FILE_SIZE = 2**31 - 1

ExpiryState = Literal["expired", "expiring_30", "expiring_60", "expiring_90", "valid", "none"]


# --------------------------------------------------------------------------------------------
# Input


@dataclass(frozen=True)
class VersionInput:
    """One stored file, as a new document version. `sha256`, `original_name` and
    `document_number` go into the version's metadata (with any `meta` extras); `ocr_text` is
    the text layer or OCR result, searched by the documents list."""

    file_url: str
    storage_provider: str
    file_size: int | None = None
    mime_type: str | None = None
    sha256: str | None = None
    original_name: str | None = None
    issue_date: date | datetime | None = None
    expiry_date: date | datetime | None = None
    issuing_authority: str | None = None
    document_number: str | None = None
    ocr_text: str | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)


def _new_version(ctx: Context, version: VersionInput) -> DocumentVersion:
    """The version row for `version`, checked (types, lengths, storable text, dates). Its
    `uploaded_at` is set by the caller once the document is locked."""
    errors: dict[str, str] = {}

    def check(name: str, value: Any, rule: records.FieldRule) -> Any:
        cleaned, problem = records.check_value(value, rule)
        if problem:
            errors[name] = problem
        return cleaned

    file_url = check("file_url", version.file_url, records.FieldRule(max_length=FILE_URL_LENGTH))
    provider = check("storage_provider", version.storage_provider, records.FieldRule(max_length=50))
    if file_url is None:
        errors.setdefault("file_url", "The stored file's location is missing.")
    if provider is None:
        errors.setdefault("storage_provider", "The storage provider is missing.")
    file_size, problem = records.check_integer(version.file_size, maximum=MAX_FILE_SIZE)
    if problem:
        errors["file_size"] = "The file size is out of range."
    mime_type = check("mime_type", version.mime_type, records.TEXT)
    sha = check("sha256", version.sha256, records.FieldRule(max_length=64))
    sha = sha.lower() if sha else None
    if sha is not None and not SHA256.match(sha):
        errors["sha256"] = "The file's SHA-256 must be 64 hexadecimal characters."
    issued = check("issue_date", version.issue_date, records.FieldRule("date"))
    expires = check("expiry_date", version.expiry_date, records.FieldRule("date"))
    if issued and expires and expires < issued:
        errors["expiry_date"] = "The expiry date cannot be before the issue date."
    issuing_authority = check("issuing_authority", version.issuing_authority, records.TEXT)
    number = check(
        "document_number",
        version.document_number,
        records.FieldRule(max_length=records.NUMBER_LENGTH),
    )
    # The file's own name and text come from the file, not from a person: made storable
    # rather than refused (a Linux file name may hold undecodable bytes).
    original_name = version.original_name
    if original_name is not None and not isinstance(original_name, str):
        errors["original_name"] = "Must be text."
        original_name = None
    if original_name is not None:
        original_name = records.storable_text(original_name)[: records.NAME_LENGTH] or None
    ocr_text = _text_layer(version.ocr_text, errors)
    meta: dict[str, Any] = {}
    if not isinstance(version.meta, Mapping):
        errors["meta"] = "Must be a set of named values."
    else:
        checked = check("meta", dict(version.meta), records.FieldRule("json", records.JSON_LENGTH))
        meta = checked or {}
    if errors:
        raise ValidationError(field_errors=errors)
    for key, value in (
        ("sha256", sha),
        ("originalName", original_name),
        ("documentNumber", number),
    ):
        if value is not None:
            meta[key] = value
    if file_size:
        plans.check_limit(ctx, "storage", file_size)  # the firm's plan (issue 15)
    return DocumentVersion(
        file_url=file_url,
        storage_provider=provider,
        file_size=file_size,
        mime_type=mime_type,
        issue_date=issued,
        expiry_date=expires,
        issuing_authority=issuing_authority,
        ocr_text=ocr_text,
        meta=meta or None,
        uploaded_by_id=ctx.user_id,
    )


def _text_layer(value: Any, errors: dict[str, str]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        errors["ocr_text"] = "Must be text."
        return None
    return records.storable_text(value)[: records.TEXT_LAYER_LENGTH] or None


def _upload_time(existing: list[DocumentVersion]) -> datetime:
    """When a new version is uploaded: now, taken under the document's lock, and always after
    the newest existing version (clocks of workstations differ, and times are stored to the
    millisecond), so the latest version is also the newest by `uploadedAt`."""
    now = utcnow()
    newest = max((v.uploaded_at for v in existing if v.uploaded_at is not None), default=None)
    if newest is not None and now <= newest:
        now = newest + timedelta(milliseconds=1)
    return now


def status_for_expiry(expiry_date: datetime | None, now: datetime | None = None) -> str:
    """The platform's rule for a new latest version: expired if its expiry is past, else valid."""
    now = now or utcnow()
    return "expired" if expiry_date is not None and expiry_date < now else "valid"


def expiry_state(expiry_date: date | datetime | None, today: date | None = None) -> ExpiryState:
    """How close a document is to expiry, by calendar date. An expiry date is the first day the
    document is no longer valid (the platform stores it at midnight and compares with now)."""
    if expiry_date is None:
        return "none"
    today = today or date.today()
    expires = expiry_date.date() if isinstance(expiry_date, datetime) else expiry_date
    days = (expires - today).days
    if days <= 0:
        return "expired"
    if days <= 30:
        return "expiring_30"
    if days <= 60:
        return "expiring_60"
    if days <= 90:
        return "expiring_90"
    return "valid"


def validate_document(data: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    """Clean and check a document's own fields (not its versions); raises ValidationError with
    a message per field."""
    errors: dict[str, str] = {}
    cleaned = records.clean_fields(
        data, DOCUMENT_RULES, "document", untrimmed=("tags",), errors=errors
    )
    if "tags" in cleaned:
        cleaned["tags"] = clean_tags(cleaned["tags"])
    if (not partial or "title" in cleaned) and not cleaned.get("title"):
        errors.setdefault("title", "Enter the document's title.")
    if cleaned.get("authority") is not None and cleaned["authority"] not in AUTHORITIES:
        errors["authority"] = "Choose one of: " + ", ".join(AUTHORITIES) + ", or none."
    if (not partial or "document_type_id" in cleaned) and cleaned.get("document_type_id") is None:
        errors.setdefault("document_type_id", "Choose the document type.")
    if "status" in cleaned and cleaned["status"] not in DOCUMENT_STATUSES:
        errors["status"] = "Choose one of: " + ", ".join(DOCUMENT_STATUSES) + "."
    if errors:
        raise ValidationError(field_errors=errors)
    return cleaned


def _check_references(ctx: Context, client_id: int, values: dict[str, Any]) -> None:
    """The type and business must be this firm's (and the business this client's): a clear
    field message instead of a foreign-key error, or a business of another client."""
    if values.get("document_type_id") is not None:
        try:
            records.get(ctx, DocumentType, values["document_type_id"])
        except NotFoundError:
            raise ValidationError(
                field_errors={"document_type_id": "The selected document type does not exist."}
            ) from None
    business_id = values.get("client_business_id")
    if business_id is not None:
        owner = ctx.session.scalar(
            select(ClientBusiness.client_id).where(ClientBusiness.id == business_id)
        )
        if owner != client_id:
            raise ValidationError(
                field_errors={"client_business_id": "Choose one of this client's businesses."}
            )


# --------------------------------------------------------------------------------------------
# Errors


class DuplicateFile(ServiceError):
    """The same file (by SHA-256) is already a version of the document: nothing was added.
    `existing` is that version as plain data, `number` its position (1 = first upload)."""

    def __init__(
        self,
        existing: DocumentVersion | dict[str, Any],
        *,
        number: int,
        document_title: str,
        uploaded_by: str | None,
    ) -> None:
        self.existing: dict[str, Any] = (
            existing if isinstance(existing, dict) else records.snapshot(existing)
        )
        self.number = number
        self.document_title = document_title
        self.uploaded_by = uploaded_by
        # Stored as naive UTC; the user reads their local calendar date.
        when = format_date(self.existing.get("uploaded_at")) or "an unknown date"
        super().__init__(
            f'This file is already version {number} of "{document_title}", uploaded on {when} '
            f"by {uploaded_by or 'an unknown user'}."
        )


# --------------------------------------------------------------------------------------------
# Reading


@dataclass(frozen=True)
class VersionRow:
    """A version as the history shows it: its columns as plain data (`version`, keyed by
    attribute name), its number (1 = first upload) and who uploaded it."""

    version: dict[str, Any]
    number: int
    uploaded_by: str | None

    @property
    def id(self) -> int:
        return self.version["id"]

    @property
    def sha256(self) -> str | None:
        return (self.version.get("meta") or {}).get("sha256")

    @property
    def original_name(self) -> str | None:
        return (self.version.get("meta") or {}).get("originalName")

    @property
    def document_number(self) -> str | None:
        return (self.version.get("meta") or {}).get("documentNumber")


def get_document(ctx: Context, document_id: int) -> dict[str, Any]:
    """The document's fields as plain data (with "id", "client_id" and "updated_at")."""
    require(ctx, "documents", "view")
    return records.snapshot(records.get(ctx, Document, document_id))


def _versions_query(document_id: int) -> Any:
    # Joined to the document so the session's tenant criterion applies to versions too (they
    # have no tenantId of their own; row-level security guards them through the document).
    return (
        select(DocumentVersion, User.name)
        .join(Document, Document.id == DocumentVersion.document_id)
        .outerjoin(User, User.id == DocumentVersion.uploaded_by_id)
        .where(DocumentVersion.document_id == document_id)
    )


def version_history(ctx: Context, document_id: int) -> list[VersionRow]:
    """The document's versions, newest first, numbered from the first upload."""
    require(ctx, "documents", "view")
    rows = ctx.session.execute(
        _versions_query(document_id).order_by(
            DocumentVersion.uploaded_at.desc(), DocumentVersion.id.desc()
        )
    ).all()
    total = len(rows)
    return [
        VersionRow(records.snapshot(version), total - index, name)
        for index, (version, name) in enumerate(rows)
    ]


def find_version_by_sha256(ctx: Context, document_id: int, sha256: str) -> VersionRow | None:
    """The document's version holding the file with this SHA-256, if any."""
    require(ctx, "documents", "view")
    sha = sha256.strip().lower()
    for row in version_history(ctx, document_id):
        if row.sha256 == sha:
            return row
    return None


# --------------------------------------------------------------------------------------------
# Writing


def create_document(
    ctx: Context,
    *,
    client_id: int,
    document_type_id: int,
    title: str,
    first_version: VersionInput,
    client_business_id: int | None = None,
    description: str | None = None,
    tags: list[str] | str | None = None,
    authority: str | None = None,
) -> dict[str, Any]:
    """A document with its first version, the latest pointer and status, in one transaction.
    The authority defaults to the document type's. Returns the document as plain data."""
    require(ctx, "documents", "create")
    values = validate_document(
        {
            "title": title,
            "document_type_id": document_type_id,
            "client_business_id": client_business_id,
            "description": description,
            "tags": tags,
            "authority": authority,
        },
        partial=False,
    )
    client_id, problem = records.check_integer(client_id)
    if problem or client_id is None:
        raise ValidationError(field_errors={"client_id": problem or "Choose the client."})
    records.get(ctx, Client, client_id)  # NotFoundError for another firm's or a deleted client
    _check_references(ctx, client_id, values)
    version = _new_version(ctx, first_version)
    version.uploaded_at = utcnow()  # a new document: no other version to come after
    if values.get("authority") is None:
        values["authority"] = ctx.session.scalar(
            select(DocumentType.authority).where(DocumentType.id == values["document_type_id"])
        )
    try:
        with guarded(ctx.session):
            document = Document(
                tenant_id=ctx.tenant_id,
                client_id=client_id,
                status=status_for_expiry(version.expiry_date),
                **values,
            )
            version.document = document
            version.is_latest = True
            document.latest_version = version
            ctx.session.add_all([document, version])
            ctx.session.commit()
    except BaseException:
        ctx.session.rollback()
        raise
    return records.snapshot(document)


def _lock_document(ctx: Context, document_id: int) -> Document:
    """The document row, locked until the transaction ends (FOR UPDATE): version changes of one
    document are serialised."""
    return records.get(ctx, Document, document_id, for_update=True)


def _versions_of(ctx: Context, document_id: int) -> list[DocumentVersion]:
    return list(
        ctx.session.scalars(
            select(DocumentVersion)
            .join(Document, Document.id == DocumentVersion.document_id)
            .where(DocumentVersion.document_id == document_id)
            .order_by(DocumentVersion.uploaded_at, DocumentVersion.id)
            .execution_options(populate_existing=True)
        )
    )


def _uploader_name(ctx: Context, user_id: str | None) -> str | None:
    if user_id is None:
        return None
    return ctx.session.scalar(select(User.name).where(User.id == user_id))


def add_version(ctx: Context, document_id: int, version: VersionInput) -> dict[str, Any]:
    """A new latest version: the others lose `isLatest`, the pointer moves, the status follows
    the new expiry date — all or nothing. The same file twice raises DuplicateFile. Returns the
    new version as plain data."""
    require(ctx, "documents", "edit")
    new = _new_version(ctx, version)
    sha = (new.meta or {}).get("sha256")
    try:
        with guarded(ctx.session):
            document = _lock_document(ctx, document_id)
            existing = _versions_of(ctx, document_id)
            # Under the lock (issue 9 #26): taken before it, a version that waited for the lock
            # could become the latest while older by upload time than the one before it.
            new.uploaded_at = _upload_time(existing)
            if sha is not None:
                for number, old in enumerate(existing, 1):
                    if (old.meta or {}).get("sha256") == sha:
                        raise DuplicateFile(
                            old,
                            number=number,
                            document_title=document.title,
                            uploaded_by=_uploader_name(ctx, old.uploaded_by_id),
                        )
            for old in existing:
                if old.is_latest:
                    old.is_latest = False
            new.document = document
            new.is_latest = True
            document.latest_version = new
            document.status = status_for_expiry(new.expiry_date)
            ctx.session.add(new)
            ctx.session.commit()
    except BaseException:
        ctx.session.rollback()
        raise
    return records.snapshot(new)


def delete_version(ctx: Context, version_id: int) -> None:
    """Delete one version. The only version cannot be deleted (delete the document instead);
    deleting the latest promotes the newest remaining one by upload time (DOMAIN.md §2)."""
    require(ctx, "documents", "delete")
    try:
        with guarded(ctx.session):
            document_id = ctx.session.scalar(
                select(DocumentVersion.document_id)
                .join(Document, Document.id == DocumentVersion.document_id)
                .where(DocumentVersion.id == version_id)
            )
            if document_id is None:
                raise NotFoundError()
            document = _lock_document(ctx, document_id)
            versions = _versions_of(ctx, document_id)
            target = next((v for v in versions if v.id == version_id), None)
            if target is None:  # deleted by someone else while we waited for the lock
                raise NotFoundError()
            if len(versions) == 1:
                raise ValidationError(
                    f'This is the only version of "{document.title}" and cannot be deleted. '
                    "Delete the document instead."
                )
            remaining = [v for v in versions if v.id != version_id]
            if target.is_latest or document.latest_version_id == version_id:
                promoted = remaining[-1]  # ordered by uploadedAt, then id
                for v in remaining:
                    v.is_latest = v is promoted
                document.latest_version = promoted
                # A hand-set review state stays; valid/expired follow the promoted version.
                if document.status in ("valid", "expired"):
                    document.status = status_for_expiry(promoted.expiry_date)
                # Move the pointer before the row goes, so the key never points at a deleted row.
                ctx.session.flush()
            ctx.session.delete(target)
            ctx.session.commit()
            # The loaded collection would still hold the deleted row.
            ctx.session.expire(document, ["versions"])
    except BaseException:
        ctx.session.rollback()
        raise


def update_document(
    ctx: Context, document_id: int, changes: dict[str, Any], expected_updated_at: datetime | None
) -> dict[str, Any]:
    """Edit title, description, tags, authority, type, business or status. A status change must
    follow the desktop's transitions (pending_review → valid | rejected, valid → expired)."""
    require(ctx, "documents", "edit")
    values = validate_document(changes, partial=True)
    try:
        with guarded(ctx.session):
            document = _lock_document(ctx, document_id)
            if expected_updated_at is not None and document.updated_at != expected_updated_at:
                current = records.snapshot(document)
                ctx.session.rollback()
                raise ConflictError(current=current)
            new_status = values.get("status")
            if new_status is not None and new_status != document.status:
                allowed = STATUS_TRANSITIONS.get(document.status, frozenset())
                if new_status not in allowed:
                    choices = " or ".join(sorted(allowed)) or "nothing else"
                    raise ValidationError(
                        field_errors={
                            "status": f'A document that is "{document.status}" can only become '
                            f"{choices} by hand."
                        }
                    )
            _check_references(ctx, document.client_id, values)
            for key, value in values.items():
                setattr(document, key, value)
            ctx.session.commit()
    except BaseException:
        ctx.session.rollback()
        raise
    return records.snapshot(document)


def delete_document(ctx: Context, document_id: int) -> None:
    """Delete a document with all its versions."""
    require(ctx, "documents", "delete")
    records.delete(ctx, Document, document_id)


# --------------------------------------------------------------------------------------------
# Expiry maintenance


def refresh_document_statuses(target: Context | Session, now: datetime | None = None) -> int:
    """Flip `valid` documents whose latest version's expiry is past to `expired`; returns how
    many. The platform never does this (DOMAIN.md §2), so lists and scores drift without it.

    With a Context: that firm only, needs documents:edit, and each change is audited. With a
    plain Session (an administrator's, `gcmc maintenance documents`): every firm, one UPDATE,
    counts logged per firm."""
    now = now or utcnow()
    expired_latest = (
        select(DocumentVersion.id)
        .where(
            DocumentVersion.id == Document.latest_version_id,
            DocumentVersion.expiry_date < now,
        )
        .exists()
    )
    if isinstance(target, Context):
        ctx = target
        require(ctx, "documents", "edit")
        try:
            with guarded(ctx.session):
                documents = list(
                    ctx.session.scalars(
                        select(Document)
                        .where(Document.status == "valid", expired_latest)
                        .with_for_update()
                    )
                )
                for document in documents:
                    document.status = "expired"
                ctx.session.commit()
        except BaseException:
            ctx.session.rollback()
            raise
        log.info("Marked %d document(s) expired in firm %s", len(documents), ctx.tenant_id)
        return len(documents)

    session = target
    rows = session.execute(
        update(Document)
        .where(Document.status == "valid", expired_latest)
        .values(status="expired", updated_at=utcnow())
        .returning(Document.tenant_id)
        .execution_options(synchronize_session=False)
    ).all()
    per_tenant: dict[int, int] = {}
    for (tenant_id,) in rows:
        per_tenant[tenant_id] = per_tenant.get(tenant_id, 0) + 1
    for tenant_id, count in sorted(per_tenant.items()):
        log.info("Firm %s: %d document(s) marked expired", tenant_id, count)
    log.info("Marked %d document(s) expired in %d firm(s)", len(rows), len(per_tenant))
    return len(rows)


# --------------------------------------------------------------------------------------------
# The documents list


def _status_label(value: Any) -> str:
    return (value or "").replace("_", " ").capitalize()


# Each document's latest-version sort fields and its type's name, kept by triggers (migrations
# 0008, 0009) and indexed (tenantId, field, documentId): sorting on a joined column cannot use an
# index, and under row-level security it evaluated the versions' policy once per version row.
LATEST = Table(
    "desktop_latest_versions",
    MetaData(),
    Column("documentId", Integer, primary_key=True),
    Column("tenantId", Integer, nullable=False),
    Column("versionId", Integer),
    Column("expiryDate", DateTime),
    Column("uploadedAt", DateTime),
    Column("typeName", Text),
)
# Each document's client name, kept by triggers (migration 0009), indexed (tenantId, clientName,
# documentId); readable only with documents:view and clients:view.
CLIENT_NAMES = Table(
    "desktop_client_names",
    MetaData(),
    Column("documentId", Integer, primary_key=True),
    Column("tenantId", Integer, nullable=False),
    Column("clientName", Text),
)

DOCUMENT_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("title", "Title", Document.title),
    ColumnSpec(
        "client",
        "Client",
        CLIENT_NAMES.c.clientName,
        nullable=True,
        tie_breaker=CLIENT_NAMES.c.documentId,
    ),
    ColumnSpec("type", "Type", LATEST.c.typeName, nullable=True, tie_breaker=LATEST.c.documentId),
    ColumnSpec("authority", "Authority", Document.authority),
    ColumnSpec("status", "Status", Document.status, formatter=_status_label),
    # The latest version's fields: both NULL for a platform document without versions.
    ColumnSpec(
        "expiry",
        "Expires",
        LATEST.c.expiryDate,
        formatter=format_date,
        nullable=True,
        tie_breaker=LATEST.c.documentId,
    ),
    ColumnSpec(
        "uploaded",
        "Uploaded",
        LATEST.c.uploadedAt,
        formatter=format_date,
        nullable=True,
        tie_breaker=LATEST.c.documentId,
    ),
)
# Filter keys by attribute name, as the services spell them.
DOCUMENT_FILTERS = {
    "status": Document.status,
    "document_type_id": Document.document_type_id,
    "authority": Document.authority,
    "client_id": Document.client_id,
}
EXPIRING_WITHIN = "expiring_within_days"


def tags_text(tags: Any) -> Any:
    """The tags as one searchable string; the same immutable SQL function as the trigram index
    of migration 0005 (array_to_string itself cannot be indexed)."""
    return func.desktop_tags_text(tags)


def _expiring_within(days: Any) -> Any:
    """Latest version expiring in [now, now + days] (the platform's "expiring", DOMAIN.md §2)."""
    try:
        span = int(days)
    except (TypeError, ValueError):
        raise ValueError(f"{EXPIRING_WITHIN} takes a number of days, not {days!r}") from None
    if span < 0:
        raise ValueError(f"{EXPIRING_WITHIN} cannot be negative")
    now = utcnow()
    return and_(
        LATEST.c.expiryDate >= now,
        LATEST.c.expiryDate <= now + timedelta(days=span),
    )


# A search first walks the list in its order (see PagedQuery): while the term is frequent enough
# to fill a page within SEARCH_SCAN rows. Otherwise a term with at most SEARCH_CAP matches pages
# over the search function's ids, a more frequent one over all of them.
SEARCH_CAP = 1_000
SEARCH_SCAN = 20_000
# The walk's first chunk: small, as each document row read costs its joins (a rare term pays it
# before the probe); a term on a third of the documents still fills a page in two chunks.
SEARCH_SAMPLE = 250


# The sort keys desktop_document_search_page knows (its allow-list; None: by id).
SEARCH_PAGE_KEYS = (None, "title", "client", "type", "authority", "status", "expiry", "uploaded")


# What the Client column says to a role that may view documents but not clients.
NO_CLIENT_ACCESS = "(no access to clients)"


def _document_columns(ctx: Context) -> tuple[ColumnSpec, ...]:
    """The list's columns for this user. Without `clients:view` the Client column stays, but
    says so on every row and cannot be sorted on: the clients' names are guarded by that
    permission (row-level security hides them too), and an empty column would look like
    documents without a client."""
    if ctx.can("clients", "view"):
        return DOCUMENT_COLUMNS
    hidden = ColumnSpec(
        "client",
        "Client",
        literal(None, String).label("client"),
        sortable=False,
        nullable=True,
        formatter=lambda _value: NO_CLIENT_ACCESS,
    )
    return tuple(hidden if spec.key == "client" else spec for spec in DOCUMENT_COLUMNS)


def document_list_query(
    ctx: Context,
    *,
    client_id: int | None = None,
    search_cap: int = SEARCH_CAP,
    search_scan: int = SEARCH_SCAN,
) -> PagedQuery:
    """The firm's documents (or one client's), sorted by title. Filters: `status`,
    `document_type_id`, `authority`, `client_id` (equality) and `expiring_within_days` (an int);
    search over title, tags and the latest version's text."""
    require(ctx, "documents", "view")
    columns = _document_columns(ctx)
    # The explicit tenant condition duplicates the session's automatic criterion on purpose: it
    # lets the planner use the (tenantId, …) indexes.
    base = (
        select(Document)
        # Inner joins of the trigger-kept tables (one row per document each): a sort by expiry,
        # upload date, type or client name then starts at that table's index.
        .join(LATEST, LATEST.c.documentId == Document.id)
        .where(Document.tenant_id == ctx.tenant_id, LATEST.c.tenantId == ctx.tenant_id)
    )
    if columns is DOCUMENT_COLUMNS:
        base = base.join(CLIENT_NAMES, CLIENT_NAMES.c.documentId == Document.id).where(
            CLIENT_NAMES.c.tenantId == ctx.tenant_id
        )
    if client_id is not None:
        base = base.where(Document.client_id == client_id)
    return PagedQuery(
        base,
        columns,
        search_ids=search_function("desktop_document_search", ctx.tenant_id),
        # A frequent term's walk in list order tests each chunk's ids in one call: title, tags
        # and the latest version's text, without a policy check of the parent per version.
        search_matches=matches_function("desktop_document_matches", ctx.tenant_id),
        # What the walk cannot serve (a rare term, or matches in one block far down the order):
        # the page of matches in list order from one call (migration 0022). Not for one
        # client's documents: the firm's first matches would mostly be another client's.
        search_page=(
            page_function("desktop_document_search_page", ctx.tenant_id)
            if client_id is None
            else None
        ),
        search_page_keys=SEARCH_PAGE_KEYS,
        search_sample=SEARCH_SAMPLE,
        search_cap=search_cap,
        search_scan=search_scan,
        filter_columns=DOCUMENT_FILTERS,
        filter_predicates={EXPIRING_WITHIN: _expiring_within},
        id_column=Document.id,
        sort_key="title",
    )


def save_text_layer(ctx: Context, version_id: int, text: str) -> bool:
    """Record a version's extracted text (`ocrText`) for search. False when the version is
    gone."""
    require(ctx, "documents", "edit")
    version = ctx.session.scalars(
        select(DocumentVersion)
        .join(Document, Document.id == DocumentVersion.document_id)
        .where(DocumentVersion.id == version_id)
    ).one_or_none()
    if version is None:
        return False
    errors: dict[str, str] = {}
    cleaned = _text_layer(text, errors)
    if errors:
        raise ValidationError(field_errors=errors)
    try:
        version.ocr_text = cleaned
        ctx.session.commit()
    except BaseException:
        ctx.session.rollback()
        raise
    return True


def document_choices(ctx: Context, client_id: int) -> list[tuple[str, int]]:
    """(title, id) of a client's documents, by title: what can be attached to its filings."""
    require(ctx, "documents", "view")
    rows = ctx.session.execute(
        select(Document.title, Document.id)
        .where(Document.client_id == client_id)
        .order_by(Document.title, Document.id)
    )
    return [(title, document_id) for title, document_id in rows]


# --------------------------------------------------------------------------------------------
# Constraint messages (registered with the translator in `integrity`)


def _duplicate_latest_version(v: dict[str, str]) -> str:
    if "latestVersionId" in v:
        return (
            f"File version {v['latestVersionId']} is already the latest version "
            "of another document."
        )
    return "This file version is already the latest version of another document."


register_constraint_message("documents_latestVersionId_key", _duplicate_latest_version)
