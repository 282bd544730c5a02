"""Roles and their permission matrix (modules × actions) for the Admin page (issue 15).

Built on `rbac` (role rows and permission rows, guarded by `settings`, DOMAIN.md §1: editing
needs `settings:edit`, deleting `settings:delete`). What this adds:

- the matrix: which modules and actions exist (DOMAIN.md §1 plus the Desktop's), a role's
  effective grants (its permission rows, or its name's built-in template while it has none);
- new roles start from a template (DOMAIN.md §1's roles) or a copy of another role;
- rename; delete refused while members hold the role (`rbac.delete_role`);
- nobody edits, renames or deletes the role they hold themselves: that is how an
  administrator would remove their own last admin permission. The database refuses it too
  (migration 0006's `gcmc__guard_own_role` trigger on roles and permissions), and refuses
  a role getting a permission the editor does not hold.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from ..models import Role
from . import rbac, records
from .catalog import ROLE_DESCRIPTIONS, ROLE_PERMISSIONS
from .context import ALL, Context, require
from .errors import NotFoundError, PermissionDenied, ValidationError

Grant = tuple[str, str]

# The matrix's rows and columns. "*" (all actions) is a column of its own: FirmAdmin holds
# messages:* and SuperAdmin *:*.
MODULES: tuple[tuple[str, str], ...] = (
    ("dashboard", "Dashboard"),
    ("clients", "Clients"),
    ("documents", "Documents"),
    ("filings", "Filings"),
    ("services", "Services"),
    ("tasks", "Tasks"),
    ("messages", "Messages"),
    ("compliance", "Compliance"),
    ("notifications", "Notifications"),
    ("reports", "Reports"),
    ("analytics", "Analytics"),
    ("audit", "Audit"),
    ("users", "Users"),
    ("settings", "Settings & roles"),
    ("profile", "Profile"),
    ("system", "System"),
    ("client_portal", "Client portal"),
)
ACTIONS: tuple[tuple[str, str], ...] = (
    ("view", "View"),
    ("create", "Create"),
    ("edit", "Edit"),
    ("delete", "Delete"),
    ("submit", "Submit"),
    ("assign", "Assign"),
    ("manage", "Manage"),
    ("send", "Send"),
    ("upload", "Upload"),
    ("message", "Message"),
    (ALL, "All"),
)


@dataclass(frozen=True)
class RoleMatrix:
    """One role's row of the matrix editor. `grants` are its effective permissions;
    `from_template` says they come from its name's built-in table (no rows yet; saving
    writes them as rows). `locked` explains why the role cannot be edited by the caller
    (empty = editable)."""

    id: int
    name: str
    description: str | None
    members: int
    grants: frozenset[Grant]
    from_template: bool
    locked: str
    updated_at: Any


def templates() -> list[str]:
    """Role names of DOMAIN.md §1 a new role can start from."""
    return list(ROLE_PERMISSIONS)


def template_grants(name: str) -> set[Grant]:
    return {(m, a) for m, actions in ROLE_PERMISSIONS.get(name, {}).items() for a in actions}


def list_roles(ctx: Context) -> list[rbac.RoleSummary]:
    return rbac.list_roles(ctx)


def _locked(ctx: Context, role_id: int) -> str:
    if role_id == ctx.role_id:
        return (
            "This is your own role: nobody can change the role they hold (you could remove "
            "your own administration rights). Ask another administrator."
        )
    if not ctx.can("settings", "edit"):
        return f"Your role ({ctx.role_name}) may view roles but not change them."
    return ""


def role_matrix(ctx: Context, role_id: int) -> RoleMatrix:
    require(ctx, "settings", "view")
    summary = next((r for r in rbac.list_roles(ctx) if r.id == role_id), None)
    if summary is None:
        raise NotFoundError("That role no longer exists.")
    role = records.get(ctx, Role, role_id)
    rows = rbac.role_grants(ctx, role_id)
    from_template = summary.grants == 0
    grants = template_grants(summary.name) if from_template else rows
    return RoleMatrix(
        summary.id,
        summary.name,
        summary.description,
        summary.members,
        frozenset(grants),
        from_template,
        _locked(ctx, role_id),
        role.updated_at,
    )


def _refuse_own(ctx: Context, role_id: int, what: str) -> None:
    if role_id == ctx.role_id:
        raise PermissionDenied(
            f"You cannot {what} your own role ({ctx.role_name}): you could remove your own "
            "administration rights. Ask another administrator."
        )


def _known(grants: Iterable[Grant]) -> list[Grant]:
    modules = {m for m, _ in MODULES} | {ALL}
    actions = {a for a, _ in ACTIONS}
    cleaned = sorted({(str(m).strip(), str(a).strip()) for m, a in grants})
    unknown = [f"{m}:{a}" for m, a in cleaned if m not in modules or a not in actions]
    if unknown:
        raise ValidationError(
            field_errors={"permissions": "Unknown permissions: " + ", ".join(unknown) + "."}
        )
    return cleaned


def save_matrix(ctx: Context, role_id: int, grants: Iterable[Grant]) -> RoleMatrix:
    """The role's permissions become exactly `grants`."""
    require(ctx, "settings", "edit")
    _refuse_own(ctx, role_id, "change the permissions of")
    rbac.set_permissions(ctx, role_id, _known(grants))
    return role_matrix(ctx, role_id)


def create_role(
    ctx: Context,
    name: Any,
    description: Any = None,
    *,
    template: str | None = None,
    copy_of: int | None = None,
) -> RoleMatrix:
    """A new role with a template's permissions (DOMAIN.md §1), a copy of another role's, or
    none."""
    require(ctx, "settings", "edit")
    clean_name = _name(name)
    grants: set[Grant] = set()
    if template:
        if template not in ROLE_PERMISSIONS:
            raise ValidationError(field_errors={"template": "Choose one of the role templates."})
        grants = template_grants(template)
        if description is None:
            description = ROLE_DESCRIPTIONS.get(template)
    elif copy_of is not None:
        grants = set(role_matrix(ctx, copy_of).grants)
    text_description, problem = records.check_text(
        description, records.FieldRule("text", records.NOTES_LENGTH)
    )
    if problem:
        raise ValidationError(field_errors={"description": problem})
    created = rbac.create_role(ctx, clean_name, text_description or None, _known(grants))
    return role_matrix(ctx, created["id"])


def _name(name: Any) -> str:
    cleaned, problem = records.check_text(name, records.FieldRule("text", 100))
    if problem:
        raise ValidationError(field_errors={"name": problem})
    if not cleaned:
        raise ValidationError(field_errors={"name": "Enter the role's name."})
    return cleaned


def rename_role(
    ctx: Context, role_id: int, name: Any, description: Any = None, expected: Any = None
) -> RoleMatrix:
    """A role's new name (and description). Its members keep it."""
    require(ctx, "settings", "edit")
    _refuse_own(ctx, role_id, "rename")
    changes: dict[str, Any] = {"name": _name(name)}
    if description is not None:
        text_description, problem = records.check_text(
            description, records.FieldRule("text", records.NOTES_LENGTH)
        )
        if problem:
            raise ValidationError(field_errors={"description": problem})
        changes["description"] = text_description or None
    records.update(ctx, Role, role_id, changes, expected)
    return role_matrix(ctx, role_id)


def delete_role(ctx: Context, role_id: int) -> None:
    """Refused while a member holds it (InUseError says how many)."""
    require(ctx, "settings", "delete")
    _refuse_own(ctx, role_id, "delete")
    rbac.delete_role(ctx, role_id)


def role_id_by_name(ctx: Context, name: str) -> int | None:
    require(ctx, "settings", "view")
    return ctx.session.scalar(
        select(Role.id).where(Role.tenant_id == ctx.tenant_id, Role.name == name)
    )
