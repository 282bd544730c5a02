"""Role and permission administration within the signed-in tenant (DOMAIN.md §1: roles and
permissions are guarded by `settings`; deleting a role needs `settings:delete`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import Permission, Role, TenantUser
from . import records
from .context import Context, require
from .errors import InUseError, NotFoundError, ValidationError
from .integrity import quoted, register_constraint_message

Grant = tuple[str, str]


@dataclass(frozen=True)
class RoleSummary:
    id: int
    name: str
    description: str | None
    members: int
    grants: int  # permission rows; 0 = the built-in table for the role's name applies


def role_summaries(session: Session, tenant_id: int) -> list[RoleSummary]:
    """A tenant's roles with member and permission-row counts (for the CLI's administrator
    connection and, gated, for signed-in users)."""
    members = select(func.count()).where(TenantUser.role_id == Role.id).scalar_subquery()
    grants = select(func.count()).where(Permission.role_id == Role.id).scalar_subquery()
    rows = session.execute(
        select(Role.id, Role.name, Role.description, members, grants)
        .where(Role.tenant_id == tenant_id)
        .order_by(Role.name)
    ).all()
    return [RoleSummary(*row) for row in rows]


def role_permissions(session: Session, tenant_id: int, name: str) -> tuple[RoleSummary, set[Grant]]:
    """One role and its allowed permission rows; NotFoundError if the tenant has no such role."""
    summary = next((r for r in role_summaries(session, tenant_id) if r.name == name), None)
    if summary is None:
        raise NotFoundError(f'There is no role "{name}" in this firm.')
    rows = session.execute(
        select(Permission.module, Permission.action).where(
            Permission.role_id == summary.id, Permission.allowed
        )
    )
    return summary, {(m, a) for m, a in rows}


def list_roles(ctx: Context) -> list[RoleSummary]:
    """Roles of the tenant with their member counts."""
    require(ctx, "settings", "view")
    return role_summaries(ctx.session, ctx.tenant_id)


def role_grants(ctx: Context, role_id: int) -> set[Grant]:
    require(ctx, "settings", "view")
    rows = ctx.session.execute(
        select(Permission.module, Permission.action).where(
            Permission.role_id == role_id, Permission.allowed
        )
    )
    return {(m, a) for m, a in rows}


def _check(name: str, grants: Iterable[Grant]) -> list[Grant]:
    cleaned = sorted({(m.strip(), a.strip()) for m, a in grants})
    errors = {}
    if not name.strip():
        errors["name"] = "Enter the role's name."
    if any(not m or not a for m, a in cleaned):
        errors["permissions"] = "Every permission needs a module and an action."
    if errors:
        raise ValidationError(field_errors=errors)
    return cleaned


def create_role(
    ctx: Context, name: str, description: str | None, grants: Iterable[Grant]
) -> dict[str, Any]:
    """A new role with exactly `grants`; returned as plain data."""
    require(ctx, "settings", "edit")
    cleaned = _check(name, grants)
    role = Role(tenant_id=ctx.tenant_id, name=name.strip(), description=description)
    role.permissions = [Permission(module=m, action=a, allowed=True) for m, a in cleaned]
    return records.snapshot(records.create(ctx, role))


def set_permissions(ctx: Context, role_id: int, grants: Iterable[Grant]) -> dict[str, Any]:
    """Replace the role's permission rows with exactly `grants`; the role as plain data."""
    require(ctx, "settings", "edit")
    with records.guarded(ctx.session):
        role = records.get(ctx, Role, role_id, for_update=True)
        cleaned = _check(role.name, grants)
        wanted = set(cleaned)
        for permission in list(role.permissions):
            if (permission.module, permission.action) not in wanted:
                role.permissions.remove(permission)
        have = {(p.module, p.action) for p in role.permissions}
        for module, action in cleaned:
            if (module, action) not in have:
                role.permissions.append(Permission(module=module, action=action, allowed=True))
        ctx.session.commit()
    return records.snapshot(role)


def delete_role(ctx: Context, role_id: int) -> None:
    """Only a role nobody holds can go; otherwise the message says who still holds it."""
    require(ctx, "settings", "delete")
    holders = ctx.session.scalar(
        select(func.count()).select_from(TenantUser).where(TenantUser.role_id == role_id)
    )
    if holders:
        role = records.get(ctx, Role, role_id)
        raise InUseError(
            f'Cannot delete role "{role.name}": '
            + (f"{holders} members still hold it." if holders != 1 else "1 member still holds it."),
            entity="roles",
            users={"tenant_users": holders},
            ident=role_id,
            label=role.name,
        )
    records.delete(ctx, Role, role_id)


# --------------------------------------------------------------------------------------------
# Constraint messages (registered with the translator in `integrity`)


def _duplicate_role(v: dict[str, str]) -> str:
    if "name" in v:
        return f"A role named {quoted(v['name'])} already exists in this firm."
    return "A role with this name already exists in this firm."


register_constraint_message("roles_tenantId_name_key", _duplicate_role)


def _duplicate_permission(v: dict[str, str]) -> str:
    role = f"The role {quoted(v['roleId'])}" if "roleId" in v else "This role"
    if "module" in v and "action" in v:
        return f"{role} already has the permission {quoted(v['module'] + ':' + v['action'])}."
    return f"{role} already has this permission."


register_constraint_message("permissions_roleId_module_action_key", _duplicate_permission)
