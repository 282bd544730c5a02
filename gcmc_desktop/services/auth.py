"""Signing in: e-mail + password → the user's own PostgreSQL login role → tenant membership →
a `session` row → a Context.

Each staff user connects as `gcmc_u_<user id>` with their own password (SCRAM), so the
database enforces tenant isolation even for someone holding psql. Before the user has a
connection of their own, the login gateway (a narrowly privileged role) answers the questions
sign-in needs: is this e-mail locked out, which login role does it have, and — for a user the
web platform created — does their web password prove who they are.
"""

from __future__ import annotations

import secrets
import socket
import string
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine, select, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError

from ..db import make_engine, session_factory
from ..models import Permission, User, utcnow
from ..models import Session as LoginSession
from . import passwords
from .audit import enable_audit
from .context import Context
from .errors import ServiceError
from .reference_data import ROLE_PERMISSIONS
from .scoping import scope_session

BAD_CREDENTIALS = "The e-mail address or password is not correct."
DEFAULT_SESSION_HOURS = 12
USER_AGENT = "GCMC Desktop"
_TOKEN_ALPHABET = string.ascii_letters + string.digits


class LoginFailed(ServiceError):
    default_message = BAD_CREDENTIALS


class LockedOut(ServiceError):
    def __init__(self, until: datetime) -> None:
        minutes = max(1, round((until - utcnow()).total_seconds() / 60))
        super().__init__(
            "Too many failed sign-in attempts for this e-mail address. "
            f"Try again in {minutes} minute{'s' if minutes != 1 else ''}."
        )
        self.until = until


class ServerUnreachable(ServiceError):
    default_message = "The database server cannot be reached. Check the connection and retry."


class NoMembership(ServiceError):
    default_message = (
        "Your account is not a member of any firm yet. Ask your firm's administrator to add you."
    )


class SessionExpired(ServiceError):
    default_message = "Your session has expired. Please sign in again."


@dataclass(frozen=True)
class Membership:
    tenant_id: int
    tenant_name: str
    tenant_code: str
    role_id: int
    role_name: str


@dataclass(frozen=True)
class ServerProfile:
    """Where to sign in: the database URL without a user (host, port, database, socket) and
    the gateway URL used before the user has their own connection."""

    database_url: URL
    gateway_url: URL

    def user_url(self, role: str, password: str) -> URL:
        return self.database_url.set(username=role, password=password)


@dataclass
class SignedIn:
    """A verified user connection; pick a membership with `open_context`."""

    profile: ServerProfile
    engine: Engine
    user_id: str
    user_name: str
    email: str
    memberships: list[Membership] = field(default_factory=list)


def normalize_email(email: str) -> str:
    return email.strip().lower()


def new_token() -> str:
    return "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(32))


def scram_verifier(engine: Engine, password: str) -> str:
    """The SCRAM-SHA-256 verifier of `password`, computed by libpq on this side so the plain
    password never travels to the server in a statement."""
    from .users import scram_for

    with engine.connect() as conn:
        return scram_for(conn, password)


def _unreachable(exc: OperationalError) -> bool:
    message = str(exc.orig or exc).lower()
    return "password authentication failed" not in message and "role" not in message


def _gateway(profile: ServerProfile) -> Engine:
    return make_engine(profile.gateway_url, pool_size=1, max_overflow=0)


def sign_in(profile: ServerProfile, email: str, password: str) -> SignedIn:
    """Verify the password by connecting as the user's own role. Wrong e-mail and wrong
    password give the same message; five failures in 15 minutes lock the e-mail for 15."""
    email = normalize_email(email)
    gateway = _gateway(profile)
    try:
        with gateway.begin() as conn:
            locked_until = conn.scalar(text("SELECT gcmc_login_locked_until(:e)"), {"e": email})
            if locked_until is not None:
                raise LockedOut(locked_until)
            role = conn.scalar(text("SELECT gcmc_login_role(:e)"), {"e": email})
        if role is None:
            role = _enable_web_user(gateway, email, password)
        engine = make_engine(profile.user_url(role, password), pool_size=2, max_overflow=2)
        try:
            with engine.connect() as conn:
                user_id = conn.scalar(text("SELECT gcmc_current_user_id()"))
        except OperationalError as exc:
            engine.dispose()
            if _unreachable(exc):
                raise ServerUnreachable() from exc
            _record(gateway, email, success=False)
            raise LoginFailed() from exc
        _record(gateway, email, success=True)
    except OperationalError as exc:
        raise ServerUnreachable() from exc
    finally:
        gateway.dispose()
    with engine.connect() as conn:
        name = conn.scalar(select(User.name).where(User.id == user_id))
        rows = conn.execute(text("SELECT * FROM gcmc_my_memberships()")).all()
    memberships = [Membership(*row) for row in rows]
    return SignedIn(profile, engine, user_id, name or email, email, memberships)


def _record(gateway: Engine, email: str, *, success: bool) -> None:
    with gateway.begin() as conn:
        conn.execute(text("SELECT gcmc_record_login(:e, :s)"), {"e": email, "s": success})


def _enable_web_user(gateway: Engine, email: str, password: str) -> str:
    """A user the web platform created has a Better-Auth hash but no login role yet: prove the
    password against the hash (the server compares; it never hands the hash out) and create
    the role. Unknown e-mails take the same path and fail the same way."""
    with gateway.begin() as conn:
        salt = conn.scalar(text("SELECT gcmc_credential_salt(:e)"), {"e": email})
    key = passwords.derive_key(password, salt)
    verifier = scram_verifier(gateway, password)
    with gateway.begin() as conn:
        enabled = conn.scalar(
            text("SELECT gcmc_enable_desktop(:e, :k, :v)"), {"e": email, "k": key, "v": verifier}
        )
        role = conn.scalar(text("SELECT gcmc_login_role(:e)"), {"e": email}) if enabled else None
    if role is None:
        raise LoginFailed()
    return role


def effective_permissions(session, role_id: int, role_name: str) -> frozenset[tuple[str, str]]:
    """The role's permission rows when it has any, else the built-in table by role name."""
    rows = session.execute(
        select(Permission.module, Permission.action, Permission.allowed).where(
            Permission.role_id == role_id
        )
    ).all()
    if rows:
        return frozenset((m, a) for m, a, allowed in rows if allowed)
    builtin = ROLE_PERMISSIONS.get(role_name, {})
    return frozenset((module, action) for module, actions in builtin.items() for action in actions)


def open_context(
    signed_in: SignedIn,
    membership: Membership | None = None,
    *,
    session_hours: float = DEFAULT_SESSION_HOURS,
    ip_address: str | None = None,
    user_agent: str = USER_AGENT,
) -> Context:
    """Enter one tenant: a scoped, audited ORM session and a fresh `session` row."""
    if not signed_in.memberships:
        raise NoMembership()
    if membership is None:
        if len(signed_in.memberships) > 1:
            raise ValueError("choose one of the user's memberships")
        membership = signed_in.memberships[0]
    if membership not in signed_in.memberships:
        raise NoMembership("You are not a member of that firm.")
    session = session_factory(signed_in.engine)()
    scope_session(session, membership.tenant_id)
    ip_address = ip_address or _local_address()
    token = new_token()
    now = utcnow()
    session.add(
        LoginSession(
            token=token,
            user_id=signed_in.user_id,
            expires_at=now + timedelta(hours=session_hours),
            ip_address=ip_address,
            user_agent=user_agent,
            created_at=now,
            updated_at=now,
        )
    )
    permissions = effective_permissions(session, membership.role_id, membership.role_name)
    session.commit()
    ctx = Context(
        session=session,
        user_id=signed_in.user_id,
        user_name=signed_in.user_name,
        email=signed_in.email,
        tenant_id=membership.tenant_id,
        tenant_name=membership.tenant_name,
        tenant_code=membership.tenant_code,
        role_id=membership.role_id,
        role_name=membership.role_name,
        permissions=permissions,
        session_token=token,
        ip_address=ip_address,
        user_agent=user_agent,
    )
    enable_audit(session, membership.tenant_id, ctx.actor)
    return ctx


def check_session(ctx: Context) -> None:
    """Raise SessionExpired once the login session has run out (or was deleted)."""
    expires = ctx.session.scalar(
        select(LoginSession.expires_at).where(LoginSession.token == ctx.session_token)
    )
    if expires is None or expires <= utcnow():
        raise SessionExpired()


def sign_out(ctx: Context) -> None:
    if ctx.session_token:
        ctx.session.query(LoginSession).filter(LoginSession.token == ctx.session_token).delete()
        ctx.session.commit()
    ctx.session.close()


def delete_expired_sessions(engine: Engine) -> int:
    """Maintenance (administrator connection): remove login sessions past their expiry."""
    with engine.begin() as conn:
        result = conn.execute(
            text("DELETE FROM session WHERE \"expiresAt\" < (now() AT TIME ZONE 'UTC')")
        )
        return result.rowcount or 0


def _local_address() -> str | None:
    try:
        return socket.gethostbyname(socket.gethostname())
    except OSError:
        return None


def set_gateway_password(admin: Engine, password: str) -> None:
    """Let the login gateway role (gcmc_login) connect with `password` (administrator only).
    It can call the sign-in support functions and nothing else."""
    verifier = scram_verifier(admin, password)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"ALTER ROLE gcmc_login WITH LOGIN PASSWORD '{verifier}'")
