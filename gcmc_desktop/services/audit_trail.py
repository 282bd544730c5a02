"""Reading the audit trail: one client's audit rows, or the whole firm's (the Audit page), newest
first, with the actor's and the client's names; archived rows (`desktop_audit_archive`, see
services/audit_archive.py) on request.

DOMAIN.md §1: the audit log needs only a signed-in tenant member (the platform's `audit`
permission is held by SuperAdmin alone — a gap the desktop does not copy). `require_audit_view`
is the one place that rule lives."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    Table,
    Text,
    and_,
    case,
    false,
    func,
    literal,
    select,
    true,
    union_all,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import aliased

from ..models import AuditLog, Client, User
from .context import Context, require
from .errors import PermissionDenied
from .paging import ColumnSpec, PagedQuery, search_function


def require_audit_view(ctx: Context) -> None:
    """Any member of the tenant may read its audit log. A Context exists only for a member
    (sign-in checks `tenant_users`), so this refuses only a context without a tenant."""
    if not ctx.tenant_id or not ctx.user_id:
        raise PermissionDenied("Sign in to a firm to see its audit log.")


BOOKKEEPING = frozenset({"id", "tenant_id", "client_id", "created_at", "updated_at"})


def _entity_label(value: Any) -> str:
    return str(value or "").replace("_", " ").capitalize()


def summarize_changes(changes: Any) -> str:
    """A one-line summary of the fields a row touched, for the list column."""
    if not isinstance(changes, dict):
        return ""
    # The platform writes {"created": …} / {"from": …, "to": …} / {"deleted": …}.
    if set(changes) <= {"created", "from", "to", "deleted"} and changes:
        inner = changes.get("to") or changes.get("created") or changes.get("deleted") or {}
        keys = list(inner) if isinstance(inner, dict) else []
    else:
        keys = list(changes)
    # Bookkeeping columns say nothing about what the user changed.
    keys = [k for k in keys if k not in BOOKKEEPING]
    shown = ", ".join(k.replace("_", " ") for k in keys[:6])
    return shown + (f" … (+{len(keys) - 6})" if len(keys) > 6 else "")


def change_rows(changes: Any) -> list[tuple[str, Any, Any]]:
    """(field, before, after) for the detail pane, from either the desktop's
    {field: [before, after]} or the platform's created/from-to/deleted shape."""
    if not isinstance(changes, dict):
        return []
    if changes and set(changes) <= {"created", "from", "to", "deleted"}:
        before = changes.get("from") or changes.get("deleted") or {}
        after = changes.get("to") or changes.get("created") or {}
        before = before if isinstance(before, dict) else {}
        after = after if isinstance(after, dict) else {}
        keys = list(dict.fromkeys([*before, *after]))
        return [(k, before.get(k), after.get(k)) for k in keys]
    rows = []
    for key, value in changes.items():
        if isinstance(value, list | tuple) and len(value) == 2:
            rows.append((key, value[0], value[1]))
        else:
            rows.append((key, None, value))
    return rows


AUDIT_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("created", "When", AuditLog.created_at),
    ColumnSpec(
        "entity_type", "Record", AuditLog.entity_type, sortable=False, formatter=_entity_label
    ),
    ColumnSpec("entity_id", "Id", AuditLog.entity_id, sortable=False),
    ColumnSpec("action", "Action", AuditLog.action, sortable=False, formatter=_entity_label),
    ColumnSpec("actor", "By", User.name, sortable=False, nullable=True),
    ColumnSpec("changes", "Fields", AuditLog.changes, sortable=False, formatter=summarize_changes),
)


# A compliance recalculation that changed many scores writes one summary row (migration 0018):
# {"rows": n, "scores": {client id: [before, after]}, "levels": {client id: [before, after]}}.
SCORE_SUMMARY = and_(AuditLog.entity_type == "compliance_score", AuditLog.action == "recalculate")


def _own_changes(client_id: int) -> Any:
    """The row's changes, a score summary narrowed to this client's score and level."""
    key = str(int(client_id))
    return case(
        (
            SCORE_SUMMARY,
            func.jsonb_build_object(
                literal("score_value"),
                AuditLog.changes["scores"][key],
                literal("level"),
                AuditLog.changes["levels"][key],
            ),
        ),
        else_=AuditLog.changes,
    )


def client_audit_query(ctx: Context, client_id: int) -> PagedQuery:
    """The audit rows of one client (the client itself and everything that belongs to it,
    and the recalculation summaries that name it — with just its own score change), newest
    first. Reading a client's trail shows its field values, so it takes `clients:view` as well
    as tenant membership."""
    require_audit_view(ctx)
    require(ctx, "clients", "view")
    ids = union_all(
        select(AuditLog.id).where(
            AuditLog.tenant_id == ctx.tenant_id, AuditLog.client_id == client_id
        ),
        # Through a function: under row-level security the jsonb lookup cannot use its index.
        select(func.desktop_client_score_audit(ctx.tenant_id, client_id)),
    )
    base = (
        select(AuditLog)
        .outerjoin(User, User.id == AuditLog.actor_user_id)
        .where(AuditLog.tenant_id == ctx.tenant_id, AuditLog.id.in_(ids))
    )
    columns = tuple(
        ColumnSpec(
            c.key, c.title, _own_changes(client_id), sortable=False, formatter=c.formatter,
            nullable=True,
        )
        if c.key == "changes"
        else c
        for c in AUDIT_COLUMNS
    )  # fmt: skip
    return PagedQuery(base, columns, id_column=AuditLog.id, sort_key="created", descending=True)


# -- the firm-wide Audit page -----------------------------------------------------------------

# Old rows moved out of audit_logs by `gcmc maintenance audit-archive` (migration 0021): the
# same columns, ids kept.
ARCHIVE = Table(
    "desktop_audit_archive",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("tenantId", Integer, nullable=False),
    Column("actorUserId", Text),
    Column("clientId", Integer),
    Column("entityType", Text, nullable=False),
    Column("entityId", Integer, nullable=False),
    Column("action", Text, nullable=False),
    Column("changes", JSONB),
    Column("createdAt", DateTime, nullable=False),
    Column("ipAddress", Text),
    Column("userAgent", Text),
)
AUDIT_COLUMN_NAMES = tuple(c.name for c in ARCHIVE.columns)

# What the triggers of migrations 0006/0011 and the platform write as entityType.
ENTITY_TYPES: tuple[str, ...] = (
    "client",
    "client_business",
    "client_portal_access",
    "client_task",
    "compliance_rule",
    "compliance_rule_set",
    "compliance_score",
    "conversation",
    "document",
    "document_type",
    "document_version",
    "filing",
    "filing_document",
    "filing_type",
    "message",
    "notification",
    "permission",
    "recurring_filing",
    "requirement_bundle",
    "requirement_bundle_item",
    "role",
    "service",
    "service_request",
    "service_request_template",
    "service_step",
    "subscription",
    "task",
    "tenant",
    "tenant_user",
    "user",
)
ACTIONS: tuple[str, ...] = ("create", "update", "delete")

# Filter keys of the firm's audit query.
ACTOR = "actor_user_id"
ENTITY = "entity_type"
ACTION = "action"
CLIENT = "client_id"
SINCE = "since"  # a local calendar date: entries on or after it
UNTIL = "until"  # a local calendar date: entries on or before it
WITHIN_DAYS = "within_days"  # entries of the last N days
ARCHIVED = "archived"  # False: current rows only (the default); None: current and archived

# A term with at most SEARCH_CAP matching entries pages over the search function's ids; a more
# frequent one (a colleague's name) is first looked for among SEARCH_SCAN entries in list order.
SEARCH_CAP = 2_000
SEARCH_SCAN = 20_000
PAGE_SEARCH_COLUMNS = (
    Client.name,
    Client.email,
    Client.tin,
    Client.nis_number,
    User.name,
    User.email,
)


def entity_label(value: Any) -> str:
    return _entity_label(value)


def _archived_label(value: Any) -> str:
    return "Archived" if value else ""


def _utc(day: date) -> datetime:
    """The start of local calendar day `day` as the database's naive UTC."""
    local = datetime.combine(day, time.min).astimezone()
    return local.astimezone(UTC).replace(tzinfo=None)


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def audit_rows():
    """audit_logs and the archive as one row source, each row saying where it is kept. Under
    `archived = false` the planner drops the archive's branch altogether (a constant-false
    condition on a UNION ALL member), so the current list reads audit_logs' indexes alone."""
    current = select(
        *(AuditLog.__table__.c[name] for name in AUDIT_COLUMN_NAMES), false().label("archived")
    )
    archived = select(*(ARCHIVE.c[name] for name in AUDIT_COLUMN_NAMES), true().label("archived"))
    rows = union_all(current, archived).subquery("audit_rows")
    return aliased(AuditLog, rows), rows


def firm_audit_query(ctx: Context) -> PagedQuery:
    """The firm's audit entries, newest first, keyset-paged on (createdAt, id). Filters:
    `actor_user_id`, `entity_type`, `action`, `client_id`, `since`/`until` (local dates),
    `within_days`, `archived` (False by default: current entries only; None: archived ones too).
    Search: the entries about a client (name, e-mail, TIN, NIS) or by a user (name, e-mail)
    matching the term, through `desktop_audit_search`."""
    require_audit_view(ctx)
    entry, rows = audit_rows()
    tenant = ctx.tenant_id
    base = (
        select(entry)
        .outerjoin(User, User.id == entry.actor_user_id)
        .outerjoin(Client, Client.id == entry.client_id)
        # Explicit, as in every list: what lets the planner pick the (tenantId, …) indexes.
        .where(entry.tenant_id == tenant)
    )
    columns = (
        ColumnSpec("created", "When", entry.created_at),
        ColumnSpec("actor", "User", User.name, sortable=False, nullable=True),
        ColumnSpec("action", "Action", entry.action, sortable=False, formatter=_entity_label),
        ColumnSpec(
            "entity_type", "Record", entry.entity_type, sortable=False, formatter=_entity_label
        ),
        ColumnSpec("entity_id", "Id", entry.entity_id, sortable=False),
        ColumnSpec("client", "Client", Client.name, sortable=False, nullable=True),
        ColumnSpec(
            "changes", "Changes", entry.changes, sortable=False, formatter=summarize_changes
        ),
        ColumnSpec("ip_address", "IP address", entry.ip_address, sortable=False),
        ColumnSpec("archived", "Kept", rows.c.archived, sortable=False, formatter=_archived_label),
        ColumnSpec("client_id", "Client id", entry.client_id, sortable=False),
    )
    query = PagedQuery(
        base,
        columns,
        id_column=entry.id,
        filter_columns={
            ACTOR: entry.actor_user_id,
            ENTITY: entry.entity_type,
            ACTION: entry.action,
            CLIENT: entry.client_id,
            ARCHIVED: rows.c.archived,
        },
        filter_predicates={
            SINCE: lambda day: entry.created_at >= _utc(_as_date(day)),
            UNTIL: lambda day: entry.created_at < _utc(_as_date(day) + timedelta(days=1)),
            WITHIN_DAYS: lambda days: (
                entry.created_at >= _utc(date.today() - timedelta(days=int(days)))
            ),
        },
        search_columns=PAGE_SEARCH_COLUMNS,
        search_ids=search_function("desktop_audit_search", tenant),
        search_cap=SEARCH_CAP,
        search_scan=SEARCH_SCAN,
        sort_key="created",
        descending=True,
    )
    query.set_filter(ARCHIVED, False)
    return query


def entity_choices(ctx: Context) -> list[tuple[str, str]]:
    """(label, entity type) of the records whose entries the user may read, by label: the Audit
    page's record filter. An entry is read with its record's view permission (migration 0023);
    the database says which types are hidden from this user."""
    require_audit_view(ctx)
    hidden = set(ctx.session.scalar(select(func.desktop_audit_hidden_types())) or ())
    return sorted(
        ((entity_label(e), e) for e in ENTITY_TYPES if e not in hidden), key=lambda c: c[0]
    )


def actor_choices(ctx: Context) -> list[tuple[str, str]]:
    """(name, user id) of the firm's members, by name: the Audit page's user filter."""
    from . import tenancy

    require_audit_view(ctx)
    return tenancy.member_choices(ctx.session, ctx.tenant_id)


def client_choices(ctx: Context) -> list[tuple[str, int]]:
    """(name, id) of the firm's clients, by name: the Audit page's client filter (empty
    without clients:view: their names are the clients module's)."""
    require_audit_view(ctx)
    if not ctx.can("clients", "view"):
        return []
    rows = ctx.session.execute(
        select(Client.name, Client.id)
        .where(Client.tenant_id == ctx.tenant_id)
        .order_by(Client.name, Client.id)
    )
    return [(name, client_id) for name, client_id in rows]
