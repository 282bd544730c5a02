"""Reports for the `gcmc` command line, which connects as the database administrator: a
Context scoped to the client's firm (the ORM tenant criterion and `gcmc.tenant_id` as for
staff) holding every permission, as the administrator already holds every row."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import Client, Tenant
from ..context import ALL, Context
from ..errors import NotFoundError
from ..scoping import scope_session


def administrator_context(session: Session, client_id: int) -> Context:
    row = session.execute(
        select(Tenant.id, Tenant.name, Tenant.code)
        .join(Client, Client.tenant_id == Tenant.id)
        .where(Client.id == client_id)
    ).first()
    if row is None:
        raise NotFoundError(f"There is no client {client_id}.")
    session.rollback()
    scope_session(session, row.id)
    return Context(
        session=session,
        user_id="gcmc-cli",
        user_name="Administrator (gcmc)",
        email="",
        tenant_id=row.id,
        tenant_name=row.name,
        tenant_code=row.code,
        role_id=0,
        role_name="Administrator",
        permissions=frozenset({(ALL, ALL)}),
        user_agent="gcmc reports",
    )
