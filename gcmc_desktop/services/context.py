"""The Context every service function takes: who is acting, in which tenant, with which
permissions, on which database session. Building one is the login service's job."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

from sqlalchemy.orm import Session

from .errors import PermissionDenied

ALL = "*"

OFFLINE_MESSAGE = (
    "Not available while working offline. On an offline copy you can add notes to the client, "
    "write messages, change the status of tasks and steps, add filing notes and add documents; "
    "everything else waits until you are back online."
)
# What may be changed while working on an offline copy (services/offline); everything else
# is read-only there, the way `read_only` works.
OFFLINE_ALLOWED = frozenset(
    {
        ("clients", "edit"),  # notes on the client
        ("messages", "create"),  # new messages
        ("tasks", "edit"),  # task status
        ("services", "edit"),  # step status
        ("filings", "edit"),  # filing notes
        ("documents", "create"),  # new documents / versions
        ("documents", "edit"),
    }
)


@dataclass(frozen=True)
class Actor:
    """What the audit trail records about the person acting."""

    user_id: str | None
    ip_address: str | None = None
    user_agent: str = ""


@dataclass
class Context:
    session: Session
    user_id: str
    user_name: str
    email: str
    tenant_id: int
    tenant_name: str
    tenant_code: str
    role_id: int
    role_name: str
    permissions: frozenset[tuple[str, str]] = field(default_factory=frozenset)
    session_token: str | None = None
    ip_address: str | None = None
    user_agent: str = ""
    # The schema is newer than this code (db/compat.py): what to tell the user, and whether
    # the database is open read-only.
    notice: str = ""
    read_only: bool = False
    # Working on an offline copy (services/offline): only the offline edits are allowed.
    offline: bool = False
    # Makes another session with the same tenant scope and audit (set by the login service).
    session_maker: Callable[[], Session] | None = field(default=None, repr=False)

    def can(self, module: str, action: str) -> bool:
        # Read-only (db/compat.py): the screens offer no changes, background work writes
        # nothing; the database refuses any write that gets past this anyway.
        if self.read_only and action != "view":
            return False
        if self.offline and action != "view" and (module, action) not in OFFLINE_ALLOWED:
            return False
        return allows(self.permissions, module, action)

    @contextmanager
    def worker(self) -> Iterator[Context]:
        """A copy of this context with its own session, for a background thread (a Session must
        not be shared between threads). The session is closed afterwards."""
        if self.session_maker is None:
            raise RuntimeError("this context cannot open further sessions")
        session = self.session_maker()
        try:
            yield replace(self, session=session)
        finally:
            session.close()

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """Just a scoped session, for read-only background queries (the table model)."""
        with self.worker() as ctx:
            yield ctx.session

    @property
    def actor(self) -> Actor:
        return Actor(self.user_id, self.ip_address, self.user_agent)


def allows(permissions: frozenset[tuple[str, str]], module: str, action: str) -> bool:
    """A `*` module or action matches everything (DOMAIN.md §1)."""
    return any((m in (module, ALL)) and (a in (action, ALL)) for m, a in permissions)


def require(ctx: Context, module: str, action: str) -> None:
    """The permission gate every service calls before reading or writing."""
    if not ctx.can(module, action):
        if ctx.offline and allows(ctx.permissions, module, action):
            raise PermissionDenied(OFFLINE_MESSAGE)
        if ctx.read_only:
            from .integrity import READ_ONLY_MESSAGE

            raise PermissionDenied(READ_ONLY_MESSAGE)
        raise PermissionDenied(
            f"Your role ({ctx.role_name}) may not {action} {module.replace('_', ' ')}."
        )
