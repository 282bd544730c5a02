"""The one audit hook: every row created, changed or deleted through a service session writes
an `audit_logs` row in the same transaction, with `changes` as {field: [before, after]}.

Services do not write audit rows by hand: they call `enable_audit(session, tenant, actor)`
once (the login service does it) and every flush is recorded.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session, UOWTransaction

from ..models import Account, AuditLog, Base, Client, Verification
from ..models import Session as LoginSession
from .context import Actor

AUDIT_KEY = "gcmc_audit"
SECRET_FIELDS = frozenset({"password", "token", "access_token", "refresh_token", "id_token"})
# Login sessions and credentials are not business entities, and audit rows do not audit themselves.
NOT_AUDITED = (AuditLog, LoginSession, Account, Verification)


def entity_type(obj: Base) -> str:
    """snake_case model name, as the platform writes it (client, document_version, …)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(obj).__name__).lower()


def _json(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    return value


def _columns(obj: Base) -> list[str]:
    return [attr.key for attr in inspect(obj).mapper.column_attrs]


def _changes(obj: Base, action: str) -> dict[str, list[Any]]:
    state = inspect(obj)
    changes: dict[str, list[Any]] = {}
    for key in _columns(obj):
        if key in SECRET_FIELDS:
            continue
        if action == "delete":
            changes[key] = [_json(state.dict.get(key)), None]
        else:
            history = state.attrs[key].history
            if history.has_changes() and key != "updated_at":
                before = history.deleted[0] if history.deleted else None
                after = history.added[0] if history.added else None
                if before != after:
                    changes[key] = [_json(before), _json(after)]
    return changes


def _client_id(obj: Base, action: str) -> int | None:
    if isinstance(obj, Client):
        # A deleted client's id cannot be referenced (the FK would fail); `changes` keeps it.
        return None if action == "delete" else obj.id
    client_id = getattr(obj, "client_id", None)
    if client_id is not None:
        return client_id
    loaded = inspect(obj).dict
    for parent in ("document", "service_request", "filing"):
        related = loaded.get(parent)
        if related is not None and hasattr(related, "client_id"):
            return related.client_id
    return None


def enable_audit(session: Session, tenant_id: int, actor: Actor) -> None:
    session.info[AUDIT_KEY] = (tenant_id, actor)
    if not event.contains(session, "before_flush", _collect):
        event.listen(session, "before_flush", _collect)
        event.listen(session, "after_flush", _write)


def _collect(session: Session, _flush: UOWTransaction, _instances: Any) -> None:
    """Capture what is about to change while the before-values are still known."""
    pending: list[tuple[Base, str, dict[str, list[Any]] | None]] = []
    for obj in session.new:
        if not isinstance(obj, NOT_AUDITED):
            pending.append((obj, "create", None))
    for obj in session.dirty:
        if isinstance(obj, NOT_AUDITED) or not session.is_modified(obj, include_collections=False):
            continue
        changes = _changes(obj, "update")
        if changes:
            pending.append((obj, "update", changes))
    for obj in session.deleted:
        if not isinstance(obj, NOT_AUDITED):
            pending.append((obj, "delete", _changes(obj, "delete")))
    session.info.setdefault("gcmc_audit_pending", []).extend(pending)


def _write(session: Session, _flush: UOWTransaction) -> None:
    pending = session.info.pop("gcmc_audit_pending", [])
    if not pending or AUDIT_KEY not in session.info:
        return
    tenant_id, actor = session.info[AUDIT_KEY]
    rows = []
    for obj, action, changes in pending:
        if changes is None:  # created: values are known only after the insert
            values = {k: getattr(obj, k) for k in _columns(obj) if k not in SECRET_FIELDS}
            changes = {k: [None, _json(v)] for k, v in values.items() if v is not None}
        ident = getattr(obj, "id", None)
        rows.append(
            {
                "tenantId": getattr(obj, "tenant_id", None) or tenant_id,
                "actorUserId": actor.user_id,
                "clientId": _client_id(obj, action),
                "entityType": entity_type(obj),
                "entityId": ident if isinstance(ident, int) else 0,
                "action": action,
                "changes": changes,
                "ipAddress": actor.ip_address,
                "userAgent": actor.user_agent,
            }
        )
    # Core insert on the table: column keys are the platform's camelCase names.
    session.connection().execute(insert(AuditLog.__table__), rows)
