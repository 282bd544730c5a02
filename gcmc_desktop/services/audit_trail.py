"""Reading the audit trail: one client's audit rows, newest first, with the actor's name.

DOMAIN.md §1: the audit log needs only a signed-in tenant member (the platform's `audit`
permission is held by SuperAdmin alone — a gap the desktop does not copy). `require_audit_view`
is the one place that rule lives."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, case, func, literal, select, union_all

from ..models import AuditLog, User
from .context import Context, require
from .errors import PermissionDenied
from .paging import ColumnSpec, PagedQuery


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


# A compliance recalculation that changed many scores writes one summary row (migration 0015):
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
