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

from sqlalchemy import Engine, event, select, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError

from ..db import make_engine, session_factory
from ..db.compat import check_schema
from ..models import Permission, User, utcnow
from ..models import Session as LoginSession
from . import passwords, users
from .audit import enable_audit
from .catalog import ROLE_PERMISSIONS
from .context import Context
from .errors import SchemaOutdated, ServiceError
from .integrity import install_error_translation, register_constraint_message
from .scoping import scope_session

BAD_CREDENTIALS = "The e-mail address or password is not correct."
DEFAULT_SESSION_HOURS = 12
REMEMBER_DAYS = 7  # as the web platform's "remember me"
REMEMBERED_EXPIRED = "Your remembered sign-in has expired or was ended. Please sign in again."
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
    with engine.connect() as conn:
        return users.scram_for(conn, password)


def _unreachable(exc: OperationalError) -> bool:
    message = str(exc.orig or exc).lower()
    return "password authentication failed" not in message and "role" not in message


def _gateway(profile: ServerProfile) -> Engine:
    return make_engine(profile.gateway_url, pool_size=1, max_overflow=0)


def sign_in(profile: ServerProfile, email: str, password: str) -> SignedIn:
    """Verify the password and connect as the user's own role.

    The gateway's `gcmc_sign_in` compares scrypt(password, salt) with the Better-Auth hash —
    the hash never leaves the server — counts failures itself (five in 15 minutes lock the
    e-mail for 15) and only then names the login role, whose password it keeps equal to the
    web password. Wrong e-mail and wrong password give the same message and the same work."""
    email = normalize_email(email)
    gateway = _gateway(profile)
    try:
        with gateway.begin() as conn:
            salt = conn.scalar(text("SELECT gcmc_credential_salt(:e)"), {"e": email})
            key = passwords.derive_key(password, salt)
            verifier = users.scram_for(conn, password)
            role, locked_until, tries_left = conn.execute(
                text("SELECT * FROM gcmc_sign_in(:e, :k, :v)"),
                {"e": email, "k": key, "v": verifier},
            ).one()
    except OperationalError as exc:
        raise ServerUnreachable() from exc
    finally:
        gateway.dispose()
    if locked_until is not None:
        raise LockedOut(locked_until)
    if role is None:
        raise LoginFailed(_failed_message(tries_left))
    engine = make_engine(profile.user_url(role, password), pool_size=2, max_overflow=2)
    try:
        with engine.connect() as conn:
            user_id = conn.scalar(text("SELECT gcmc_current_user_id()"))
            name = conn.scalar(select(User.name).where(User.id == user_id))
    except OperationalError as exc:
        engine.dispose()
        if _unreachable(exc):
            raise ServerUnreachable() from exc
        raise LoginFailed() from exc
    return SignedIn(profile, engine, user_id, name or email, email, _memberships(engine))


def _failed_message(tries_left: int | None) -> str:
    """Warn before the lockout rather than after (the count is the same for unknown e-mails)."""
    if tries_left is None or tries_left > 2:
        return BAD_CREDENTIALS
    if tries_left == 0:
        return f"{BAD_CREDENTIALS} Sign-in is now locked for 15 minutes."
    tries = "1 more try" if tries_left == 1 else f"{tries_left} more tries"
    return f"{BAD_CREDENTIALS} {tries} before sign-in is locked for 15 minutes."


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


def _memberships(engine: Engine) -> list[Membership]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM gcmc_my_memberships()")).all()
    return [Membership(*row) for row in rows]


def _pick(memberships: list[Membership], membership: Membership | None) -> Membership:
    if not memberships:
        raise NoMembership()
    if membership is None:
        if len(memberships) > 1:
            raise ValueError("choose one of the user's memberships")
        return memberships[0]
    if membership not in memberships:
        raise NoMembership("You are not a member of that firm.")
    return membership


def _context(
    signed_in: SignedIn,
    membership: Membership,
    token: str,
    ip_address: str | None,
    user_agent: str,
    new_row: LoginSession | None,
) -> Context:
    """A scoped, audited ORM session (plus a factory for more, for worker threads)."""
    install_error_translation(signed_in.engine)  # database errors reach services as ServiceErrors
    factory = session_factory(signed_in.engine)

    def make_session():
        session = factory()
        scope_session(session, membership.tenant_id)
        return session

    session = make_session()
    schema = check_schema(session.connection())
    if not schema.usable:
        session.close()
        raise SchemaOutdated(schema.message())
    if new_row is not None:
        session.add(new_row)
    permissions = effective_permissions(session, membership.role_id, membership.role_name)
    session.commit()
    if schema.read_only:
        # Sign-in's own rows are written; from here on every transaction is read-only, so a
        # write this older code does not understand can never reach the newer schema.
        session.close()
        _make_read_only(signed_in.engine)
        session = make_session()
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
        notice=schema.message(),
        read_only=schema.read_only,
    )
    actor = ctx.actor
    enable_audit(session, membership.tenant_id, actor)

    def make_audited_session():
        extra = make_session()
        enable_audit(extra, membership.tenant_id, actor)
        return extra

    ctx.session_maker = make_audited_session
    return ctx


def _make_read_only(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _read_only(dbapi_connection, _record) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET default_transaction_read_only = on")
        dbapi_connection.commit()

    engine.dispose()  # pooled connections opened before are not read-only


def open_context(
    signed_in: SignedIn,
    membership: Membership | None = None,
    *,
    session_hours: float = DEFAULT_SESSION_HOURS,
    ip_address: str | None = None,
    user_agent: str = USER_AGENT,
) -> Context:
    """Enter one tenant: a scoped, audited ORM session and a fresh `session` row."""
    membership = _pick(signed_in.memberships, membership)
    ip_address = ip_address or _local_address()
    token = new_token()
    now = utcnow()
    row = LoginSession(
        token=token,
        user_id=signed_in.user_id,
        expires_at=now + timedelta(hours=session_hours),
        ip_address=ip_address,
        user_agent=user_agent,
        created_at=now,
        updated_at=now,
    )
    return _context(signed_in, membership, token, ip_address, user_agent, row)


@dataclass(frozen=True)
class RememberedLogin:
    """What "remember me" keeps in the OS keyring: never the password."""

    email: str
    user_id: str
    tenant_id: int
    token: str
    secret: str

    def to_json(self) -> str:
        import json

        return json.dumps(self.__dict__)

    @classmethod
    def from_json(cls, raw: str) -> RememberedLogin:
        import json

        return cls(**json.loads(raw))


def remember_device(ctx: Context, days: float = REMEMBER_DAYS) -> RememberedLogin:
    """Keep this sign-in for `days`: the session row is extended and a device login role gets a
    random secret that expires with it (replacing any other remembered device)."""
    secret = new_token() + new_token()
    until = utcnow() + timedelta(days=days)
    verifier = scram_verifier(ctx.session.get_bind(), secret)
    ctx.session.execute(text("SELECT gcmc_remember_device(:v, :u)"), {"v": verifier, "u": until})
    ctx.session.execute(
        text('UPDATE session SET "expiresAt" = :u WHERE token = :t'),
        {"u": until, "t": ctx.session_token},
    )
    ctx.session.commit()
    return RememberedLogin(ctx.email, ctx.user_id, ctx.tenant_id, ctx.session_token or "", secret)


def resume(
    profile: ServerProfile, remembered: RememberedLogin, *, user_agent: str = USER_AGENT
) -> Context:
    """Sign in again from a remembered device. SessionExpired if the session ran out, was
    signed out, or another device was remembered since."""
    url = profile.user_url(f"gcmc_r_{remembered.user_id}", remembered.secret)
    engine = make_engine(url, pool_size=2, max_overflow=2)
    try:
        with engine.connect() as conn:
            row = conn.execute(
                select(LoginSession.expires_at, User.name)
                .join(User, User.id == LoginSession.user_id)
                .where(LoginSession.token == remembered.token)
            ).first()
    except OperationalError as exc:
        engine.dispose()
        if _unreachable(exc):
            raise ServerUnreachable() from exc
        raise SessionExpired(REMEMBERED_EXPIRED) from exc
    if row is None or row[0] <= utcnow():
        engine.dispose()
        raise SessionExpired(REMEMBERED_EXPIRED)
    signed_in = SignedIn(profile, engine, remembered.user_id, row[1], remembered.email)
    signed_in.memberships = _memberships(engine)
    chosen = next((m for m in signed_in.memberships if m.tenant_id == remembered.tenant_id), None)
    membership = _pick(signed_in.memberships, chosen or (signed_in.memberships or [None])[0])
    return _context(signed_in, membership, remembered.token, _local_address(), user_agent, None)


def forget_device(ctx: Context) -> None:
    ctx.session.execute(text("SELECT gcmc_forget_device()"))
    ctx.session.commit()


def check_session(ctx: Context) -> None:
    """Raise SessionExpired once the login session has run out (or was deleted)."""
    expires = ctx.session.scalar(
        select(LoginSession.expires_at).where(LoginSession.token == ctx.session_token)
    )
    if expires is None or expires <= utcnow():
        raise SessionExpired()


def sign_out(ctx: Context) -> None:
    """End the session (and a remembered device, if this was one)."""
    if ctx.session_token and not ctx.read_only:  # read-only: the session row expires
        ctx.session.execute(text("SELECT gcmc_forget_device()"))
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


def memberships(ctx: Context) -> list[Membership]:
    """The firms and roles of the signed-in user (for "Switch firm…")."""
    return _memberships(ctx.session.get_bind())


def switch_tenant(ctx: Context, membership: Membership) -> Context:
    """Enter another of the user's firms on the same login; the old session row ends.

    Safe on a worker thread: it never touches `ctx.session` (the GUI thread's); the caller
    closes that on its own thread once it has switched to the returned Context."""
    engine = ctx.session.get_bind()
    signed_in = SignedIn(None, engine, ctx.user_id, ctx.user_name, ctx.email, _memberships(engine))  # type: ignore[arg-type]
    new = open_context(signed_in, membership, ip_address=ctx.ip_address, user_agent=ctx.user_agent)
    if ctx.session_token:
        with ctx.worker() as old:
            old.session.execute(
                text("DELETE FROM session WHERE token = :t"), {"t": ctx.session_token}
            )
            old.session.commit()
    return new


# --------------------------------------------------------------------------------------------
# Constraint messages (registered with the translator in `integrity`)


def _duplicate_session(v: dict[str, str]) -> str:
    return "This sign-in session already exists. Please sign in again."  # never echo a token


register_constraint_message("session_token_key", _duplicate_session)
