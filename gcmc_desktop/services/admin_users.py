"""The firm's members for the Admin page: list (role, last sign-in, desktop access), create or
invite, change role and name, disable / enable, reset password (issue 15).

Everything goes through the security functions of `users` (migrations 0003/0006/0020): a new
user gets their own PostgreSQL login role; the database checks `users:create` / `users:edit`
and that nobody grants a role beyond their own. This module adds the application's side of the
same gate (`users` module permissions, DOMAIN.md §1), the plan's user limit, and clear words
for what the database would refuse anyway: nobody changes their own role or disables
themselves (that is how an administrator would lock themselves out).

A member is addressed by its `tenant_users` id (an integer, as every list row is)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import case, column, func, select, table, text
from sqlalchemy.exc import DBAPIError

from ..models import Role, TenantUser, User
from . import passwords, plans, records, users
from .changes import note_changes
from .context import Context, require
from .errors import ConflictError, NotFoundError, PermissionDenied, ValidationError
from .paging import ColumnSpec, PagedQuery, format_value

EMAIL_SHAPE = re.compile(r"^[^@\s]+@[^@\s]+$")  # as gcmc_provision_user checks
ACTIVE, DISABLED, WEB_ONLY = "active", "disabled", "web_only"
ACCESS_LABELS = {ACTIVE: "Yes", DISABLED: "Disabled", WEB_ONLY: "Web only"}

_pg_roles = table("pg_roles", column("rolname"), column("rolcanlogin"))
_can_login = (
    select(_pg_roles.c.rolcanlogin)
    .where(_pg_roles.c.rolname == func.gcmc_role_name(User.id))
    .scalar_subquery()
)
ACCESS = case(
    (_can_login.is_(True), ACTIVE), (_can_login.is_(False), DISABLED), else_=WEB_ONLY
).label("access")
LAST_SIGN_IN = func.desktop_member_last_sign_in(User.id)


def access_label(value: Any) -> str:
    return ACCESS_LABELS.get(value, format_value(value))


MEMBER_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("name", "Name", User.name),
    ColumnSpec("email", "E-mail", User.email),
    ColumnSpec("role", "Role", Role.name),
    ColumnSpec("last_sign_in", "Last sign-in", LAST_SIGN_IN, sortable=False, nullable=True),
    ColumnSpec("access", "Desktop access", ACCESS, sortable=False, formatter=access_label),
)
MEMBER_FILTERS = {"role_id": TenantUser.role_id}


def member_list_query(ctx: Context) -> PagedQuery:
    """The firm's members by name; filter `role_id`, search over name and e-mail."""
    require(ctx, "users", "view")
    base = (
        select(TenantUser)
        .join(User, User.id == TenantUser.user_id)
        .join(Role, Role.id == TenantUser.role_id)
        .where(TenantUser.tenant_id == ctx.tenant_id)
    )
    return PagedQuery(
        base,
        MEMBER_COLUMNS,
        search_columns=(User.name, User.email),
        filter_columns=MEMBER_FILTERS,
        id_column=TenantUser.id,
        sort_key="name",
    )


def _member(ctx: Context, member_id: Any) -> TenantUser:
    ident, problem = records.check_integer(member_id)
    if problem or ident is None:
        raise NotFoundError("That member no longer exists.")
    found = ctx.session.scalars(
        select(TenantUser)
        .where(TenantUser.id == ident, TenantUser.tenant_id == ctx.tenant_id)
        .execution_options(populate_existing=True)
    ).one_or_none()
    if found is None:
        raise NotFoundError("That member is no longer in this firm.")
    return found


def get_member(ctx: Context, member_id: Any) -> dict[str, Any]:
    """A member as plain data: id (membership), user_id, name, email, role_id, role, access,
    last_sign_in, updated_at (the membership's, for the conflict check)."""
    require(ctx, "users", "view")
    member = _member(ctx, member_id)
    row = ctx.session.execute(
        select(User.name, User.email, Role.name, ACCESS, LAST_SIGN_IN)
        .select_from(TenantUser)
        .join(User, User.id == TenantUser.user_id)
        .join(Role, Role.id == TenantUser.role_id)
        .where(TenantUser.id == member.id)
    ).one()
    return {
        "id": member.id,
        "user_id": member.user_id,
        "name": row[0],
        "email": row[1],
        "role_id": member.role_id,
        "role": row[2],
        "access": row[3],
        "last_sign_in": row[4],
        "updated_at": member.updated_at,
        "password": "",
    }


def role_choices(ctx: Context) -> list[tuple[str, int]]:
    """(name, id) of the firm's roles, for the role field."""
    require(ctx, "users", "view")
    rows = ctx.session.execute(
        select(Role.name, Role.id).where(Role.tenant_id == ctx.tenant_id).order_by(Role.name)
    )
    return [(name, ident) for name, ident in rows]


def _role(ctx: Context, role_id: Any) -> Role:
    ident, problem = records.check_integer(role_id)
    role = None
    if not problem and ident is not None:
        role = ctx.session.scalar(
            select(Role).where(Role.id == ident, Role.tenant_id == ctx.tenant_id)
        )
    if role is None:
        raise ValidationError(field_errors={"role_id": "Choose one of the firm's roles."})
    return role


def _text(value: Any, field: str, message: str, max_length: int = records.NAME_LENGTH) -> str:
    cleaned, problem = records.check_text(value, records.FieldRule("text", max_length))
    if problem:
        raise ValidationError(field_errors={field: problem})
    if not cleaned:
        raise ValidationError(field_errors={field: message})
    return cleaned


def create_member(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """A new staff user with their own desktop login (e-mail, name, role, password), or an
    existing user (of another firm or the web platform) invited into this one: they keep
    their own password, which is never set or reset here."""
    require(ctx, "users", "create")
    errors: dict[str, str] = {}
    email = str(data.get("email") or "").strip().lower()
    name = str(data.get("name") or "").strip()
    password = data.get("password") or ""
    try:
        role = _role(ctx, data.get("role_id"))
    except ValidationError as exc:
        errors.update(exc.field_errors)
        role = None
    if not EMAIL_SHAPE.match(email):
        errors["email"] = "Enter a valid e-mail address."
    elif ctx.session.scalar(
        select(TenantUser.id)
        .join(User, User.id == TenantUser.user_id)
        .where(TenantUser.tenant_id == ctx.tenant_id, User.email == email)
    ):
        errors["email"] = f"{email} is already a member of this firm."
    if password:  # a new user (an existing one keeps their own password: only invited)
        try:
            users._validate_new(email, name, password)
        except ValidationError as exc:
            errors.update({k: v for k, v in exc.field_errors.items() if k not in errors})
    if errors:
        raise ValidationError(field_errors=errors)
    plans.check_limit(ctx, "users")
    assert role is not None
    conn = ctx.session.connection()
    try:
        if password:
            user_id = users.create_user(conn, ctx.tenant_id, email, name, role.name, password)
        else:  # an invitation: the membership only, never their password or login
            user_id = conn.scalar(
                text("SELECT gcmc_provision_user(:t, :e, :n, :r, NULL, NULL)"),
                {"t": ctx.tenant_id, "e": email, "n": name, "r": role.id},
            )
    except DBAPIError as exc:
        ctx.session.rollback()
        if getattr(exc.orig, "sqlstate", None) == "22023" and "SCRAM" in str(exc.orig):
            raise ValidationError(
                field_errors={
                    "password": "There is no user with this e-mail yet: enter their name and "
                    "a password to create them (an existing user is invited without one)."
                }
            ) from exc
        users._raise_clean(exc)
        raise
    except BaseException:
        ctx.session.rollback()
        raise
    member_id = ctx.session.scalar(
        select(TenantUser.id).where(
            TenantUser.tenant_id == ctx.tenant_id, TenantUser.user_id == user_id
        )
    )
    # Written by the security function, not a flush: told to the change bus by hand.
    note_changes(ctx.session, "tenant_user", "created", [member_id])
    ctx.session.commit()
    return get_member(ctx, member_id)


def _not_me(ctx: Context, member: TenantUser, what: str) -> None:
    if member.user_id == ctx.user_id:
        raise PermissionDenied(
            f"You cannot {what} yourself: you could lock yourself out of administration. "
            "Ask another administrator of the firm."
        )


def update_member(
    ctx: Context, member_id: Any, changes: dict[str, Any], expected: Any = None
) -> dict[str, Any]:
    """Change a member's role (`role_id`) and/or name. Not one's own role; not to or from a
    role with permissions the caller does not hold (the database refuses that too)."""
    require(ctx, "users", "edit")
    member = _member(ctx, member_id)
    if "role_id" in changes and changes["role_id"] != member.role_id:
        _not_me(ctx, member, "change the role of")
        role = _role(ctx, changes["role_id"])
        try:
            records.update(ctx, TenantUser, member.id, {"role_id": role.id}, expected)
        except ConflictError as exc:  # the member as the form shows it, to compare
            raise ConflictError(current=get_member(ctx, member.id)) from exc
    if "name" in changes:
        name = _text(changes["name"], "name", "Enter the person's name.")
        user = ctx.session.get(User, member.user_id)
        if user is not None and user.name != name:
            records.update(ctx, User, member.user_id, {"name": name}, None)
    return get_member(ctx, member.id)


def change_role(ctx: Context, member_id: Any, role_id: Any, expected: Any = None) -> dict:
    return update_member(ctx, member_id, {"role_id": role_id}, expected)


def _call(ctx: Context, member: TenantUser, fn: Any) -> None:
    """Run a security function on the member; the list hears of it through the change bus."""
    try:
        fn(ctx.session.connection())
    except BaseException:
        ctx.session.rollback()
        raise
    note_changes(ctx.session, "tenant_user", "updated", [member.id])
    ctx.session.commit()


def disable_member(ctx: Context, member_id: Any) -> dict[str, Any]:
    """The member can no longer sign in (their login role loses LOGIN; sessions end)."""
    require(ctx, "users", "edit")
    member = _member(ctx, member_id)
    _not_me(ctx, member, "disable")
    _call(ctx, member, lambda conn: users.disable_user(conn, member.user_id))
    return get_member(ctx, member.id)


def enable_member(ctx: Context, member_id: Any) -> dict[str, Any]:
    """A disabled member may sign in again (with the password they had)."""
    require(ctx, "users", "edit")
    member = _member(ctx, member_id)
    _not_me(ctx, member, "enable")

    def enable(conn: Any) -> None:
        try:
            conn.execute(text("SELECT gcmc_enable_user(:u)"), {"u": member.user_id})
        except DBAPIError as exc:
            users._raise_clean(exc)
            raise

    _call(ctx, member, enable)
    return get_member(ctx, member.id)


def reset_password(ctx: Context, member_id: Any, password: Any) -> dict[str, Any]:
    """A new password for a member, for the desktop and the web alike (Better-Auth's format,
    DOMAIN.md §7); it also gives a web-only member a desktop login."""
    require(ctx, "users", "edit")
    member = _member(ctx, member_id)
    if member.user_id == ctx.user_id:
        raise PermissionDenied(
            "Change your own password from your profile, not here (it asks for the current one)."
        )
    if not isinstance(password, str) or not password:
        raise ValidationError(field_errors={"password": "Enter the new password."})
    email = ctx.session.scalar(select(User.email).where(User.id == member.user_id))
    try:
        passwords.validate_password(password, email)
    except ValueError as exc:
        raise ValidationError(field_errors={"password": str(exc)}) from exc
    _call(ctx, member, lambda conn: users.set_password(conn, member.user_id, password))
    return get_member(ctx, member.id)
