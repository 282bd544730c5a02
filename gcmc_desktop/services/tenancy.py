"""Tenants (firms) and their standard roles. Creating a tenant is an administrator's job
(SuperAdmin on the platform; the `gcmc` CLI on an administrator connection here)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import Permission, Role, Tenant, TenantUser, User
from .catalog import ROLE_DESCRIPTIONS, ROLE_PERMISSIONS
from .errors import DuplicateError, ValidationError
from .integrity import constraint_message, quoted, register_constraint_message

CODE_PATTERN = re.compile(r"^[a-z0-9-]{1,50}$")


@dataclass(frozen=True)
class TenantSummary:
    """A firm as plain data, for the CLI."""

    id: int
    code: str
    name: str


def ensure_standard_roles(session: Session, tenant_id: int) -> list[Role]:
    """The nine roles of DOMAIN.md with one permission row per module/action; missing ones
    only (idempotent), existing roles and their edited permissions are left alone."""
    existing = {
        role.name: role for role in session.scalars(select(Role).where(Role.tenant_id == tenant_id))
    }
    created = []
    for name, grants in ROLE_PERMISSIONS.items():
        if name in existing:
            continue
        role = Role(tenant_id=tenant_id, name=name, description=ROLE_DESCRIPTIONS.get(name))
        role.permissions = [
            Permission(module=module, action=action, allowed=True)
            for module, actions in grants.items()
            for action in actions
        ]
        session.add(role)
        created.append(role)
    session.flush()
    return created


def create_tenant(session: Session, name: str, code: str) -> TenantSummary:
    errors = {}
    if not name.strip():
        errors["name"] = "Enter the firm's name."
    if not CODE_PATTERN.match(code or ""):
        errors["code"] = "Use 1–50 lower-case letters, digits or hyphens (e.g. acme-tax)."
    if errors:
        raise ValidationError(field_errors=errors)
    if session.scalar(select(Tenant.id).where(Tenant.code == code)) is not None:
        raise DuplicateError(
            constraint_message(TENANT_CODE_KEY, {"code": code}),
            fields={"code": code},
            constraint=TENANT_CODE_KEY,
        )
    tenant = Tenant(name=name.strip(), code=code, contact_info={}, settings={})
    session.add(tenant)
    session.flush()
    ensure_standard_roles(session, tenant.id)
    return TenantSummary(tenant.id, tenant.code, tenant.name)


def list_tenants(session: Session) -> list[tuple[TenantSummary, int]]:
    """Every firm with its member count, by name."""
    counts = (
        select(TenantUser.tenant_id, func.count().label("members"))
        .group_by(TenantUser.tenant_id)
        .subquery()
    )
    rows = session.execute(
        select(Tenant.id, Tenant.code, Tenant.name, func.coalesce(counts.c.members, 0))
        .outerjoin(counts, counts.c.tenant_id == Tenant.id)
        .order_by(Tenant.name)
    )
    return [(TenantSummary(ident, code, name), members) for ident, code, name, members in rows]


# --------------------------------------------------------------------------------------------
# Constraint messages (registered with the translator in `integrity`)


def _duplicate_tenant(v: dict[str, str]) -> str:
    if "code" in v:
        return f"A firm with the code {quoted(v['code'])} already exists."
    return "A firm with this code already exists."


TENANT_CODE_KEY = "tenants_code_key"
register_constraint_message(TENANT_CODE_KEY, _duplicate_tenant)


def _duplicate_member(v: dict[str, str]) -> str:
    who = quoted(v["userId"]) if "userId" in v else "This user"
    firm = f"the firm {quoted(v['tenantId'])}" if "tenantId" in v else "this firm"
    return f"{who} is already a member of {firm}."


register_constraint_message("tenant_users_tenantId_userId_key", _duplicate_member)


def member_choices(session: Session, tenant_id: int) -> list[tuple[str, str]]:
    """(name, user id) of a firm's members, by name (e-mail for a member without one): whom
    a task, a request or the deadlines agenda can be given to. Callers check their own
    permission first."""
    rows = session.execute(
        select(User.name, User.email, User.id)
        .join(TenantUser, TenantUser.user_id == User.id)
        .where(TenantUser.tenant_id == tenant_id)
        .order_by(func.lower(User.name), User.email)
    ).all()
    return [(name or email, user_id) for name, email, user_id in rows]
