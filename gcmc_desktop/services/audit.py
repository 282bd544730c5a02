"""The audit trail is written by the database: every staff write to a business table produces
its `audit_logs` row in the same transaction (triggers of migration 0006, `changes` as
{field: [before, after]}), whoever issued it — the application, the CLI or psql. The actor is
the connected login role, which a client cannot forge.

What only the application knows — the workstation's IP address and user agent — is passed to
those triggers as transaction settings when each transaction begins. Nothing is kept in the
session between flushes, so a rolled-back change leaves no audit row behind.
"""

from __future__ import annotations

import re

from sqlalchemy import event, text
from sqlalchemy.orm import Session

from ..models import Base
from .context import Actor

AUDIT_KEY = "gcmc_audit"
_SET_ACTOR = text(
    "SELECT set_config('gcmc.ip_address', :ip, true), set_config('gcmc.user_agent', :ua, true)"
)


def entity_type(obj: Base) -> str:
    """snake_case model name, as the platform and the audit triggers write it."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(obj).__name__).lower()


def enable_audit(session: Session, tenant_id: int, actor: Actor) -> None:
    """Pass `actor`'s IP address and user agent to the database's audit triggers for every
    transaction of `session` (the tenant comes from the session's scope)."""
    session.info[AUDIT_KEY] = (tenant_id, actor)
    if not event.contains(session, "after_begin", _pass_actor):
        event.listen(session, "after_begin", _pass_actor)
    if session.in_transaction():
        _pass_actor(session, None, session.connection())


def _pass_actor(session: Session, _transaction: object, connection) -> None:
    _tenant_id, actor = session.info[AUDIT_KEY]
    connection.execute(_SET_ACTOR, {"ip": actor.ip_address or "", "ua": actor.user_agent or ""})
