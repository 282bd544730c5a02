"""Tenant scope on a Session, enforced twice: every ORM query gets the tenant criterion
(so a forgotten filter cannot leak), and every transaction sets `gcmc.tenant_id`, which the
database's row-level security checks against the user's membership."""

from __future__ import annotations

from functools import cache

from sqlalchemy import event, text
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from ..models import Base

TENANT_KEY = "gcmc_tenant_id"


@cache
def tenant_scoped_classes() -> tuple[type, ...]:
    return tuple(mapper.class_ for mapper in Base.registry.mappers if "tenant_id" in mapper.attrs)


def scope_session(session: Session, tenant_id: int) -> None:
    """Bind `session` to one tenant for the rest of its life."""
    session.info[TENANT_KEY] = tenant_id
    if not event.contains(session, "do_orm_execute", _add_tenant_criteria):
        event.listen(session, "do_orm_execute", _add_tenant_criteria)
        event.listen(session, "after_begin", _set_tenant_setting)
    if session.in_transaction():
        _set_tenant_setting(session, None, session.connection())


def _add_tenant_criteria(state: ORMExecuteState) -> None:
    tenant_id = state.session.info.get(TENANT_KEY)
    if tenant_id is None or not (state.is_select or state.is_update or state.is_delete):
        return
    if state.execution_options.get("gcmc_unscoped"):
        return
    for cls in tenant_scoped_classes():
        state.statement = state.statement.options(
            with_loader_criteria(cls, cls.tenant_id == tenant_id, include_aliases=True)
        )


def _set_tenant_setting(session: Session, _transaction, connection) -> None:
    tenant_id = session.info.get(TENANT_KEY)
    if tenant_id is not None:
        connection.execute(
            text("SELECT set_config('gcmc.tenant_id', :t, true)"), {"t": str(tenant_id)}
        )
