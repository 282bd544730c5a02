"""Staff accounts: create, set passwords, disable, list. Creating users and setting passwords
runs in SECURITY DEFINER database functions that check `users:create` / `users:edit` in the
tenant, so staff roles never need CREATEROLE. Passwords are hashed on this side: the server
receives a SCRAM verifier (for the login role) and a Better-Auth hash (for the web platform)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select, text
from sqlalchemy.exc import DBAPIError

from ..models import Role, Tenant, User
from . import passwords
from .errors import NotFoundError, PermissionDenied, ServiceError, ValidationError
from .integrity import quoted, register_constraint_message


@dataclass(frozen=True)
class StaffUser:
    id: str
    name: str
    email: str
    role: str
    can_sign_in: bool


def scram_for(conn: Connection, password: str) -> str:
    pgconn = conn.connection.driver_connection.pgconn  # type: ignore[union-attr]
    return pgconn.encrypt_password(password.encode(), b"", b"scram-sha-256").decode()


def _raise_clean(exc: DBAPIError) -> None:
    code = getattr(exc.orig, "sqlstate", None)
    diag = getattr(exc.orig, "diag", None)
    detail = (diag.message_primary if diag is not None else None) or str(exc.orig)
    if code == "42501":
        raise PermissionDenied(f"You do not have permission to do this ({detail}).") from exc
    if code in ("22023", "02000"):
        raise ServiceError(detail[:1].upper() + detail[1:] + ".") from exc
    raise exc


def _validate_new(email: str, name: str, password: str) -> None:
    errors: dict[str, str] = {}
    if "@" not in email or email.startswith("@") or email.endswith("@") or " " in email.strip():
        errors["email"] = "Enter a valid e-mail address."
    if not name.strip():
        errors["name"] = "Enter the person's name."
    try:
        passwords.validate_password(password, email)
    except ValueError as exc:
        errors["password"] = str(exc)
    if errors:
        raise ValidationError(field_errors=errors)


def tenant_id_by_code(conn: Connection, code: str) -> int:
    found = conn.scalar(select(Tenant.id).where(Tenant.code == code))
    if found is None:
        raise NotFoundError(f'There is no tenant with code "{code}".')
    return found


def role_id(conn: Connection, tenant_id: int, role_name: str) -> int:
    found = conn.scalar(select(Role.id).where(Role.tenant_id == tenant_id, Role.name == role_name))
    if found is None:
        names = ", ".join(conn.scalars(select(Role.name).where(Role.tenant_id == tenant_id)))
        raise NotFoundError(f'There is no role "{role_name}" in this tenant. Roles: {names}.')
    return found


def create_user(
    conn: Connection, tenant_id: int, email: str, name: str, role: str, password: str
) -> str:
    """Create a staff user with their own login role, or invite an existing user to the tenant.

    An existing user (of this or another firm, or of the web platform) only gets the
    membership: their password and login are theirs, and never set or reset here."""
    email = email.strip().lower()
    _validate_new(email, name, password)
    rid = role_id(conn, tenant_id, role)
    try:
        return conn.scalar(
            text("SELECT gcmc_provision_user(:t, :e, :n, :r, :v, :h)"),
            {
                "t": tenant_id,
                "e": email,
                "n": name.strip(),
                "r": rid,
                "v": scram_for(conn, password),
                "h": passwords.hash_password(password),
            },
        )
    except DBAPIError as exc:
        _raise_clean(exc)
        raise


def user_id_by_email(conn: Connection, email: str) -> str:
    found = conn.scalar(select(User.id).where(User.email == email.strip().lower()))
    if found is None:
        raise NotFoundError(f"There is no user with the e-mail {email.strip().lower()}.")
    return found


def set_password(conn: Connection, user_id: str, password: str) -> None:
    """Sets both the login role's SCRAM password and the web platform's credential hash."""
    try:
        passwords.validate_password(password)
    except ValueError as exc:
        raise ValidationError(field_errors={"password": str(exc)}) from exc
    try:
        conn.execute(
            text("SELECT gcmc_set_password(:u, :v, :h)"),
            {"u": user_id, "v": scram_for(conn, password), "h": passwords.hash_password(password)},
        )
    except DBAPIError as exc:
        _raise_clean(exc)


def disable_user(conn: Connection, user_id: str) -> None:
    """The user can no longer sign in (their login role loses LOGIN; sessions are ended)."""
    try:
        conn.execute(text("SELECT gcmc_disable_user(:u)"), {"u": user_id})
    except DBAPIError as exc:
        _raise_clean(exc)


def list_users(conn: Connection, tenant_id: int) -> list[StaffUser]:
    rows = conn.execute(
        text(
            """
            SELECT u._id, u.name, u.email, r.name,
                   coalesce((SELECT rolcanlogin FROM pg_roles
                             WHERE rolname = 'gcmc_u_' || u._id), false)
            FROM tenant_users tu JOIN "user" u ON u._id = tu."userId"
            JOIN roles r ON r.id = tu."roleId"
            WHERE tu."tenantId" = :t ORDER BY u.email
            """
        ),
        {"t": tenant_id},
    )
    return [StaffUser(*row) for row in rows]


def ensure_login_roles(conn: Connection, credentials: list[tuple[str, str, str]]) -> int:
    """Give each (role, e-mail, password) user a login role if they have none yet
    (administrator connection; used for the demo users). Returns how many were created."""
    created = 0
    for _role, email, password in credentials:
        user_id = conn.scalar(select(User.id).where(User.email == email))
        if user_id is None:
            continue
        exists = conn.scalar(
            text("SELECT 1 FROM pg_roles WHERE rolname = gcmc_role_name(:u)"), {"u": user_id}
        )
        if not exists:
            conn.execute(
                text("SELECT gcmc__ensure_login_role(:u, :v)"),
                {"u": user_id, "v": scram_for(conn, password)},
            )
            created += 1
    return created


# --------------------------------------------------------------------------------------------
# Constraint messages (registered with the translator in `integrity`)


def _duplicate_user(v: dict[str, str]) -> str:
    if "email" in v:
        return f"A user with the e-mail {quoted(v['email'])} already exists."
    return "A user with this e-mail address already exists."


register_constraint_message("user_email_key", _duplicate_user)
