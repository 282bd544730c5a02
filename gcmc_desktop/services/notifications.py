"""Notifications and reminders (issue 15): the reminder generator, the signed-in user's inbox
(a keyset-paged list), read state, and what a notification is about.

Generating. `generate_reminders` calls the database's `desktop_generate_reminders(tenant)`
(migration 0017), which makes the firm's reminders in one set-based statement — filings due in
7 and 1 days and overdue, documents expiring in 60/30/7 days and expired, tasks due and
overdue, service requests waiting on the client for 7 days — addressed to the assignee where
there is one, else to the firm's compliance managers and admins. A reminder is made once per
subject, threshold and recipient: the key table's primary key makes two runs at once (two
workstations starting together) make each reminder once. The rows are the platform's own
`notifications` (`type` = in_app, `channelStatus` = sent, as the platform's worker writes
in-app rows); `metadata` says what it is about: {"source": "gcmc-desktop", "kind", "threshold",
"subjectType", "subjectId", "clientId", "date"}.

Reading. The platform has no read flag (its channelStatus is the delivery state), so read
state is the desktop's own `desktop_notification_reads` (notification, user, readAt).
Notifications need only a signed-in member (DOMAIN.md §1): each user sees the ones addressed
to them in the signed-in firm.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    Table,
    Text,
    and_,
    case,
    func,
    literal,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from ..models import Client, Notification, Tenant, utcnow
from ..models.base import Timestamp
from .changes import note_changes
from .context import Context
from .errors import NotFoundError
from .paging import ColumnSpec, PagedQuery
from .records import guarded

ENTITY = "notification"
CHANNEL = "in_app"
SENT = "sent"
SOURCE = "gcmc-desktop"

# metadata.kind of the reminders, and how people read them.
KINDS: dict[str, str] = {
    "filing_due": "Filing due",
    "filing_overdue": "Filing overdue",
    "document_expiring": "Document expiring",
    "document_expired": "Document expired",
    "task_due": "Task due",
    "task_overdue": "Task overdue",
    "request_waiting": "Waiting on client",
}
# What a reminder can be about (metadata.subjectType).
SUBJECT_TYPES = ("filing", "document", "task", "service_request")
UNREAD = "unread"
MAX_IDS = 10_000  # one mark-read call

READS = Table(
    "desktop_notification_reads",
    MetaData(),
    Column("notificationId", Integer, primary_key=True),
    Column("userId", Text, primary_key=True),
    Column("readAt", Timestamp, nullable=False),
)


def kind_label(kind: Any) -> str:
    if not kind:
        return "Notification"
    return KINDS.get(str(kind), str(kind).replace("_", " ").capitalize())


# --------------------------------------------------------------------------------------------
# Generating


@dataclass
class ReminderReport:
    """What a run made: the new notifications' ids, how many of each kind, per firm."""

    tenants: int = 0
    ids: list[int] = field(default_factory=list)
    kinds: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def created(self) -> int:
        return len(self.ids)

    def summary(self) -> str:
        if not self.ids:
            return "No new reminders."
        parts = ", ".join(f"{n:,} {kind_label(k).lower()}" for k, n in sorted(self.kinds.items()))
        return f"{self.created:,} new reminder(s): {parts}."


def _tenants(target: Context | Session, tenant_id: int | None) -> tuple[Session, list[int]]:
    if isinstance(target, Context):
        return target.session, [target.tenant_id]
    if tenant_id is not None:
        return target, [tenant_id]
    return target, list(target.scalars(select(Tenant.id).order_by(Tenant.id)))


def generate_reminders(
    target: Context | Session, *, tenant_id: int | None = None
) -> ReminderReport:
    """Make the reminders that are due and not yet made, and commit them.

    With a Context: the signed-in firm (any member may run it; the database function makes
    the firm's reminders whoever asks). With an administrator's Session (the CLI): `tenant_id`'s
    firm, or every firm when None — each firm in a transaction of its own. Idempotent: a
    second run, or a run at the same moment on another workstation, makes nothing twice."""
    session, tenants = _tenants(target, tenant_id)
    report = ReminderReport(tenants=len(tenants))
    started = time.perf_counter()
    for tenant in tenants:
        with guarded(session):
            rows = session.execute(
                text("SELECT id, kind FROM desktop_generate_reminders(:t)"), {"t": tenant}
            ).all()
            ids = [int(r.id) for r in rows]
            note_changes(session, ENTITY, "created", ids)
            session.commit()
        report.ids.extend(ids)
        report.kinds.update(str(r.kind) for r in rows)
    report.seconds = time.perf_counter() - started
    return report


# --------------------------------------------------------------------------------------------
# The inbox


def _meta(key: str) -> Any:
    return Notification.meta[key].astext


def _client_id_expr() -> Any:
    """metadata.clientId as an integer; NULL for anything that is not a plain id (rows the
    platform or someone by hand wrote)."""
    raw = _meta("clientId")
    return case((raw.op("~")(r"^[0-9]{1,9}$"), raw.cast(Integer)), else_=None)


KIND_EXPR = _meta("kind")


def inbox_query(ctx: Context) -> PagedQuery:
    """The notifications addressed to the signed-in user in this firm, newest first. Filters:
    `unread` (True: only unread; False: only read), `kind` (metadata.kind, or a list)."""
    reads = READS.alias("r")
    client_name = select(Client.name).where(Client.id == _client_id_expr()).scalar_subquery()
    base = (
        select(Notification)
        .outerjoin(
            reads,
            and_(reads.c.notificationId == Notification.id, reads.c.userId == ctx.user_id),
        )
        .where(
            Notification.tenant_id == ctx.tenant_id,
            Notification.recipient_user_id == ctx.user_id,
        )
    )
    columns = (
        ColumnSpec("created_at", "When", Notification.created_at),
        ColumnSpec("kind", "Kind", KIND_EXPR, sortable=False, formatter=kind_label),
        # A scalar subquery, not a join: one primary-key probe per row shown (a join on the
        # metadata expression cannot use an index).
        ColumnSpec("client", "Client", client_name, sortable=False, nullable=True),
        ColumnSpec("read_at", "Read", reads.c.readAt, sortable=False, nullable=True),
        ColumnSpec("message", "Notification", Notification.message, sortable=False),
    )

    def unread(value: Any) -> Any:
        # NOT EXISTS rather than the joined column IS NULL: an anti-join the planner runs as
        # one index probe per row while it walks the inbox index newest first.
        read = (
            select(READS.c.notificationId)
            .where(READS.c.notificationId == Notification.id, READS.c.userId == ctx.user_id)
            .exists()
        )
        return ~read if value else read

    return PagedQuery(
        base,
        columns,
        search_columns=(Notification.message,),
        filter_columns={"kind": KIND_EXPR},
        filter_predicates={UNREAD: unread},
        id_column=Notification.id,
        sort_key="created_at",
        descending=True,
    )


def unread_count(ctx: Context) -> int:
    """How many notifications addressed to me in this firm I have not read."""
    reads = READS.alias("r")
    return int(
        ctx.session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(
                Notification.tenant_id == ctx.tenant_id,
                Notification.recipient_user_id == ctx.user_id,
                ~select(reads.c.notificationId)
                .where(
                    reads.c.notificationId == Notification.id,
                    reads.c.userId == ctx.user_id,
                )
                .exists(),
            )
        )
        or 0
    )


def _mine(ctx: Context, ids: Iterable[int] | None) -> Any:
    """Mine in this firm (all, or those of `ids`), not yet read."""
    reads = READS.alias("r")
    stmt = select(Notification.id).where(
        Notification.tenant_id == ctx.tenant_id,
        Notification.recipient_user_id == ctx.user_id,
        ~select(reads.c.notificationId)
        .where(reads.c.notificationId == Notification.id, reads.c.userId == ctx.user_id)
        .exists(),
    )
    if ids is not None:
        stmt = stmt.where(Notification.id.in_(ids))
    return stmt


def _clean_ids(ids: Iterable[Any]) -> list[int]:
    out: list[int] = []
    for value in ids:
        try:
            number = int(value)
        except (TypeError, ValueError):
            continue
        if 0 < number < 2**31:
            out.append(number)
    return sorted(set(out))[:MAX_IDS]


def mark_read(ctx: Context, ids: Iterable[Any] | None = None) -> list[int]:
    """Mark my notifications `ids` (None: all of mine in this firm) read; returns the ids that
    were unread. Others' notifications and unknown ids are left alone."""
    wanted = None if ids is None else _clean_ids(ids)
    if wanted == []:
        return []
    mine = _mine(ctx, wanted).subquery()
    # One INSERT … SELECT however many (a whole inbox marked read at once).
    stmt = (
        pg_insert(READS)
        .from_select(
            ["notificationId", "userId", "readAt"],
            select(mine.c.id, literal(ctx.user_id, Text), literal(utcnow(), Timestamp)),
        )
        .on_conflict_do_nothing()
        .returning(READS.c.notificationId)
    )
    with guarded(ctx.session):
        found = sorted(ctx.session.scalars(stmt))
        note_changes(ctx.session, ENTITY, "updated", found)
        ctx.session.commit()
    return found


def mark_all_read(ctx: Context) -> list[int]:
    return mark_read(ctx, None)


def mark_unread(ctx: Context, ids: Iterable[Any]) -> list[int]:
    """Mark my notifications `ids` unread again."""
    wanted = _clean_ids(ids)
    if not wanted:
        return []
    with guarded(ctx.session):
        gone = list(
            ctx.session.scalars(
                READS.delete()
                .where(READS.c.notificationId.in_(wanted), READS.c.userId == ctx.user_id)
                .returning(READS.c.notificationId)
            )
        )
        note_changes(ctx.session, ENTITY, "updated", gone)
        ctx.session.commit()
    return gone


@dataclass(frozen=True)
class Subject:
    """What a notification is about, for opening it: the subject's type and id and its client
    (either may be None for a notification the platform wrote)."""

    notification_id: int
    subject_type: str | None
    subject_id: int | None
    client_id: int | None
    message: str


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value < 2**31 else None
    if isinstance(value, str) and value.isdigit() and len(value) <= 9:
        return int(value)
    return None


def notification_subject(ctx: Context, notification_id: int) -> Subject:
    """The subject of one of my notifications."""
    row = ctx.session.execute(
        select(Notification.id, Notification.meta, Notification.message).where(
            Notification.id == notification_id,
            Notification.tenant_id == ctx.tenant_id,
            Notification.recipient_user_id == ctx.user_id,
        )
    ).first()
    if row is None:
        raise NotFoundError("This notification no longer exists.")
    meta = row.meta if isinstance(row.meta, dict) else {}
    kind = meta.get("subjectType")
    return Subject(
        notification_id=row.id,
        subject_type=kind if kind in SUBJECT_TYPES else None,
        subject_id=_int(meta.get("subjectId")),
        client_id=_int(meta.get("clientId")),
        message=row.message,
    )


@dataclass(frozen=True)
class Arrived:
    id: int
    kind: str | None
    message: str
    created_at: datetime


def unread_among(ctx: Context, ids: Iterable[Any]) -> list[Arrived]:
    """Which of `ids` (just announced on the change bus) are mine and unread, newest first:
    what the tray tells about."""
    wanted = _clean_ids(ids)
    if not wanted:
        return []
    rows = ctx.session.execute(
        select(Notification.id, KIND_EXPR, Notification.message, Notification.created_at)
        .where(Notification.id.in_(_mine(ctx, wanted)))
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    ).all()
    return [Arrived(r[0], r[1], r[2], r[3]) for r in rows]


def kind_choices() -> list[tuple[str, str]]:
    return [(label, kind) for kind, label in KINDS.items()]


__all__ = [
    "KINDS",
    "UNREAD",
    "Arrived",
    "ReminderReport",
    "Subject",
    "generate_reminders",
    "inbox_query",
    "kind_choices",
    "kind_label",
    "mark_all_read",
    "mark_read",
    "mark_unread",
    "notification_subject",
    "unread_among",
    "unread_count",
]
