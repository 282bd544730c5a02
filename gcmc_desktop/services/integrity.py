"""How database failures become the service errors of `errors.py`.

PostgreSQL enforces the schema's rules (foreign keys with their on-delete actions, unique indexes,
NOT NULL); services let it, and turn a violation into a message a user can act on. Everything is
derived from the model metadata, so a new table or index gets a sensible message without code
here. A unique index that deserves a hand-written sentence gets it from its own domain module,
which registers it with `register_constraint_message` (one wording per constraint: the module
uses the same builder for its own checks before writing). This module is the mechanism only.
Messages never contain SQL, table or constraint names, or a traceback; secrets (session tokens)
are never echoed.

Under row-level security PostgreSQL omits the key values from its error details, so the
offending ids are also recovered from the failed statement when the details are missing.

Every other database failure (a value the database cannot store, a statement timeout, a server
that went away, a refused privilege) becomes a project error too: `translate_database_error`
makes the message, an engine-level `handle_error` listener (`install_error_translation`) applies
it to every statement on the signed-in user's engine, and a session whose transaction the failure
aborted is rolled back so it stays usable. Integrity errors are left to `translated`, which has
the session their messages need.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Column, Connection, Engine, Table, event, func, inspect, or_, select
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.sql.schema import ForeignKeyConstraint, Index, UniqueConstraint

from gcmc_desktop.models import Base

from .errors import (
    ConflictError,
    DatabaseUnavailable,
    DuplicateError,
    InUseError,
    PermissionDenied,
    ServiceError,
    ValidationError,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

__all__ = [
    "MessageBuilder",
    "constraint_message",
    "display_name",
    "install_error_translation",
    "quoted",
    "register_constraint_message",
    "translate_database_error",
    "translate_integrity_error",
    "translated",
]


# --------------------------------------------------------------------------------------------
# Names users read

_DISPLAY_NAMES: dict[str, tuple[str, str]] = {
    "user": ("user", "users"),
    "session": ("sign-in session", "sign-in sessions"),
    "account": ("login account", "login accounts"),
    "verification": ("verification", "verifications"),
    "tenants": ("firm", "firms"),
    "tenant_users": ("firm member", "firm members"),
    "roles": ("role", "roles"),
    "permissions": ("permission", "permissions"),
    "plans": ("plan", "plans"),
    "subscriptions": ("subscription", "subscriptions"),
    "clients": ("client", "clients"),
    "client_businesses": ("client business", "client businesses"),
    "client_portal_access": ("portal access grant", "portal access grants"),
    "document_types": ("document type", "document types"),
    "documents": ("document", "documents"),
    "document_versions": ("document version", "document versions"),
    "filing_types": ("filing type", "filing types"),
    "filings": ("filing", "filings"),
    "filing_documents": ("filing attachment", "filing attachments"),
    "recurring_filings": ("recurring filing", "recurring filings"),
    "services": ("service", "services"),
    "service_request_templates": ("service request template", "service request templates"),
    "service_requests": ("service request", "service requests"),
    "service_steps": ("service step", "service steps"),
    "tasks": ("task", "tasks"),
    "client_tasks": ("client task", "client tasks"),
    "conversations": ("conversation", "conversations"),
    "messages": ("message", "messages"),
    "notifications": ("notification", "notifications"),
    "audit_logs": ("audit log entry", "audit log entries"),
    "compliance_rule_sets": ("compliance rule set", "compliance rule sets"),
    "compliance_rules": ("compliance rule", "compliance rules"),
    "compliance_scores": ("compliance score", "compliance scores"),
    "requirement_bundles": ("requirement bundle", "requirement bundles"),
    "requirement_bundle_items": ("requirement bundle item", "requirement bundle items"),
}

# The column that names a row, where the first of name/title/code/email/subject is not right.
_LABEL_COLUMNS: dict[str, str] = {"user": "email"}
_LABEL_CANDIDATES = ("name", "title", "code", "email", "subject")


def display_name(table: str, count: int = 1) -> str:
    """What users call a row of `table` ("document type"), plural unless `count` is 1."""
    singular, plural = _DISPLAY_NAMES.get(table) or _guess_names(table)
    return singular if count == 1 else plural


def _guess_names(table: str) -> tuple[str, str]:
    plural = table.replace("_", " ")
    return (plural[:-1] if plural.endswith("s") else plural), plural


def _counted(table: str, count: int) -> str:
    return f"{count} {display_name(table, count)}"


def _and(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def quoted(value: object) -> str:
    """A value as messages show it: in double quotes."""
    return f'"{value}"'


def _field_label(attribute: str) -> str:
    words = attribute.removesuffix("_id").replace("_", " ").strip()
    return words[:1].upper() + words[1:]


# --------------------------------------------------------------------------------------------
# What the database said


@dataclass
class _Violation:
    sqlstate: str | None
    constraint: str | None
    table: str | None
    column: str | None
    primary: str
    detail: str
    statement: str
    params: Any

    @classmethod
    def of(cls, exc: IntegrityError) -> _Violation:
        orig = exc.orig
        diag = getattr(orig, "diag", None)
        return cls(
            sqlstate=getattr(orig, "sqlstate", None) or getattr(diag, "sqlstate", None),
            constraint=getattr(diag, "constraint_name", None),
            table=getattr(diag, "table_name", None),
            column=getattr(diag, "column_name", None),
            primary=getattr(diag, "message_primary", None) or "",
            detail=getattr(diag, "message_detail", None) or "",
            statement=exc.statement or "",
            params=exc.params,
        )

    def verb(self) -> str:
        words = self.statement.split(None, 1)
        return words[0].upper() if words else ""

    def statement_table(self) -> str | None:
        match = _STATEMENT_TABLE.match(self.statement)
        return match.group(1) if match else None

    def param_dicts(self) -> list[dict[str, Any]]:
        if isinstance(self.params, dict):
            return [self.params]
        if isinstance(self.params, list | tuple):
            return [p for p in self.params if isinstance(p, dict)]
        return []


# `Key (id)=(5) is still referenced …`, `Key ("tenantId", name)=(1, Admin) already exists.`
_KEY = re.compile(r"\((?P<cols>[^()]*)\)=\((?P<vals>.*)\)")
_STATEMENT_TABLE = re.compile(r'\s*(?:DELETE\s+FROM|UPDATE|INSERT\s+INTO)\s+"?([\w$]+)"?', re.I)

_FOREIGN_KEY = {"23503", "23001"}  # foreign_key_violation; restrict_violation (RESTRICT, PG ≥ 15)
_UNIQUE = "23505"
_NOT_NULL = "23502"
_CHECK = "23514"


def _key_values(detail: str, table: Table | None) -> dict[str, str]:
    """Column → value text from a key description; {} when PostgreSQL withheld the values."""
    match = _KEY.search(detail)
    if not match:
        return {}
    columns = [c.strip().strip('"') for c in match.group("cols").split(",")]
    tokens = match.group("vals").split(", ")
    extra = len(tokens) - len(columns)
    if extra < 0:
        return {}
    if extra:
        # A value contained ", ": give the surplus to the first text column (a name, not an id).
        wide = next(
            (
                i
                for i, name in enumerate(columns)
                if table is None or name not in table.c or _python_type(table.c[name]) is str
            ),
            0,
        )
        tokens[wide : wide + extra + 1] = [", ".join(tokens[wide : wide + extra + 1])]
    return dict(zip(columns, tokens, strict=True))


def _python_type(column: Column[Any]) -> type | None:
    try:
        return column.type.python_type
    except NotImplementedError:
        return None


def _coerce(column: Column[Any], value: object) -> Any:
    """`value` as the column's Python type, or None if it cannot be one."""
    kind = _python_type(column)
    if value is None or kind is None or isinstance(value, kind):
        return value
    try:
        return kind(value)
    except (TypeError, ValueError):
        return None


def _attribute(table: Table, column: str) -> str:
    """The ORM attribute mapped onto `column` (snake_case), else the column name."""
    for mapper in Base.registry.mappers:
        if table in mapper.tables:
            for prop in mapper.column_attrs:
                if any(getattr(c, "name", None) == column for c in prop.columns):
                    return prop.key
    return column


def _primary_key(table: Table) -> Column[Any]:
    return next(iter(table.primary_key.columns))


def _constraint(name: str | None) -> tuple[Table, Any] | None:
    """The table and the constraint or index of the model metadata called `name`."""
    if not name:
        return None
    for table in Base.metadata.tables.values():
        for constraint in table.constraints:
            if constraint.name == name:
                return table, constraint
        for index in table.indexes:
            if index.name == name:
                return table, index
    return None


# --------------------------------------------------------------------------------------------
# Looking things up after the failure

_DELETING = "gcmc_desktop.services.errors.deleting"


@event.listens_for(Session, "before_flush")
def _remember_deletes(session: Session, _context: object, _instances: object) -> None:
    """Note which rows a flush deletes: once it fails, only this says which parent it was."""
    deleting: dict[str, list[Any]] = {}
    for instance in session.deleted:
        state = inspect(instance)
        if state.identity is not None and len(state.identity) == 1:
            deleting.setdefault(state.mapper.local_table.name, []).append(state.identity[0])
    session.info[_DELETING] = deleting


@event.listens_for(Session, "after_flush_postexec")
def _forget_deletes(session: Session, _context: object) -> None:
    session.info.pop(_DELETING, None)


def _deleting(session: Session | None) -> dict[str, list[Any]]:
    return session.info.get(_DELETING, {}) if session is not None else {}


def _recover(session: Session) -> None:
    """Leave `session` able to run queries: roll back whatever the failure poisoned."""
    transaction = session.get_transaction()
    if transaction is None:
        return
    if not transaction.is_active:  # a failed flush
        session.rollback()
        return
    while _aborted(session):
        nested = session.get_nested_transaction()
        if nested is None:
            session.rollback()
            return
        nested.rollback()


def _aborted(session: Session) -> bool:
    try:
        from psycopg.pq import TransactionStatus

        raw: Any = session.connection().connection.dbapi_connection
        return raw.info.transaction_status == TransactionStatus.INERROR
    except Exception:  # another driver: assume the worst
        return True


def _query(session: Session | None, fn: Callable[[Connection], T]) -> T | None:
    """Run read-only look-ups in a savepoint (or a throw-away transaction); None if they fail."""
    if session is None:
        return None
    try:
        if session.in_transaction():
            connection = session.connection()
            with connection.begin_nested():
                return fn(connection)
        try:
            return fn(session.connection())
        finally:
            session.rollback()
    except (SQLAlchemyError, ServiceError):
        log.warning("Look-up for an error message failed", exc_info=True)
        return None


def _label_column(table: Table) -> Column[Any] | None:
    name = _LABEL_COLUMNS.get(table.name)
    if name is None:
        name = next((c for c in _LABEL_CANDIDATES if c in table.c), None)
    return table.c[name] if name else None


def _label(connection: Connection, table: Table, ident: Any) -> str | None:
    column = _label_column(table)
    if column is None or ident is None:
        return None
    value = connection.scalar(select(column).where(_primary_key(table) == ident))
    return None if value is None else str(value)


# --------------------------------------------------------------------------------------------
# The translator


def translate_integrity_error(exc: IntegrityError, session: Session | None) -> ServiceError:
    """The ServiceError to show for a database integrity error.

    `session` is the one whose statement failed: it is rolled back as far as the failure
    requires (a failed flush or an aborted transaction: entirely; an already rolled-back
    savepoint: not at all) and then used for the look-ups that make the message (names, counts).
    """
    violation = _Violation.of(exc)
    log.debug("Integrity error %s on %s: %s", violation.sqlstate, violation.constraint, exc.orig)
    try:
        if session is not None:
            _recover(session)
        if violation.sqlstate in _FOREIGN_KEY:
            return _foreign_key(violation, session)
        if violation.sqlstate == _UNIQUE:
            return _unique(violation, session)
        if violation.sqlstate == _NOT_NULL:
            return _not_null(violation, session)
        if violation.sqlstate == _CHECK:
            return ValidationError("A value is outside what is allowed; please check the entries.")
    except Exception:  # the message must not cost the user the error
        log.exception("Could not translate %r", exc.orig)
    finally:
        if session is not None:
            session.info.pop(_DELETING, None)
    return ServiceError(
        "The change could not be saved because it conflicts with other data. Reload and try again."
    )


@contextmanager
def translated(session: Session) -> Iterator[Session]:
    """Wrap a service's flush/commit: an integrity error rolls the session back and is raised
    as the matching ServiceError (the original stays attached as its cause, for the log); so
    does every other database error, translated by `translate_database_error`."""
    try:
        yield session
    except IntegrityError as exc:
        session.rollback()
        error = translate_integrity_error(exc, session)
        raise error from exc
    except DBAPIError as exc:  # an engine without `install_error_translation`
        _rollback_quietly(session)
        raise translate_database_error(exc) from exc
    except ServiceError as exc:
        if exc.from_database:
            _rollback_quietly(session)
        raise


# --------------------------------------------------------------------------------------------
# Every other database error

_UNREACHABLE_STATES = {"57P01", "57P02", "57P03", "25P03", "57P05"}  # shut down, idle timeouts
_TIMEOUT_STATES = {"57014", "55P03", "53300"}  # statement/lock timeout, too many connections
_RETRY_STATES = {"40001", "40P01"}  # serialization failure, deadlock
_PROJECT_MESSAGE_STATES = {"P0001"}  # RAISE EXCEPTION in the project's own SQL functions
_PROJECT_FUNCTION_STATES = {"22023", "02000"}  # raised by gcmc_* functions with a plain message

_DATA_MESSAGES = {
    "22001": "A text is too long to be stored.",
    "22003": "A number is too large or too small to be stored.",
    "22007": "A date or time is not valid.",
    "22008": "A date or time is out of the range that can be stored.",
    "22021": "A text contains characters the database cannot store.",
    "22P05": "A text contains characters the database cannot store.",
    "22P02": "A value is not in the expected form (for example, text where a number belongs).",
    "22004": "A required value is missing.",
}
_DATA_DEFAULT = "A value could not be stored. Please check the entries."
_NUL_MESSAGE = "A text contains an invisible NUL character, which cannot be stored."
_SURROGATE_MESSAGE = (
    "A text contains a broken character (an unpaired surrogate), which cannot be stored."
)
READ_ONLY_MESSAGE = (
    "Nothing was changed: this workstation has the database open read-only, because its "
    "GCMC Desktop is older than the database's schema. Install the update to make changes."
)
_GENERIC = (
    "The database could not complete this request. Try again; if it keeps happening, tell "
    "your administrator."
)


def _sqlstate(orig: BaseException | None) -> str | None:
    state = getattr(orig, "sqlstate", None)
    if state is None:
        state = getattr(getattr(orig, "diag", None), "sqlstate", None)
    return state


def translate_database_error(
    exc: BaseException, session: Session | None = None, *, disconnect: bool = False
) -> ServiceError:
    """The ServiceError to show for a failed database call: `exc` is SQLAlchemy's wrapper
    (DBAPIError), the driver's own error, or the UnicodeError the driver raises for text it
    cannot encode. Messages are plain sentences: no SQL, host, socket path or parameter values.
    Integrity errors get `translate_integrity_error` (with `session` for names and counts)."""
    if isinstance(exc, IntegrityError):
        return translate_integrity_error(exc, session)
    if isinstance(exc, ServiceError):
        return exc
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    error = _translate(exc, orig, disconnect)
    log.warning(
        "Database error (%s, sqlstate %s) shown as: %s",
        type(orig).__name__,
        _sqlstate(orig),
        error.message,
    )
    log.debug("Original database error", exc_info=exc)
    return error


def _translate(exc: BaseException, orig: BaseException | None, disconnect: bool) -> ServiceError:
    if isinstance(orig, UnicodeError):
        return ValidationError(_SURROGATE_MESSAGE)
    state = _sqlstate(orig)
    invalidated = isinstance(exc, DBAPIError) and exc.connection_invalidated
    kind = type(orig).__name__
    text = str(orig or "")
    if kind == "ConnectionTimeout" or (state is None and "timeout expired" in text):
        return DatabaseUnavailable.not_answering()
    if state in _TIMEOUT_STATES:
        return DatabaseUnavailable.not_answering()
    if disconnect or invalidated or state in _UNREACHABLE_STATES or (state or "").startswith("08"):
        return DatabaseUnavailable()
    if state is None and kind in ("OperationalError", "InterfaceError"):
        return DatabaseUnavailable()  # libpq's connection failures carry no sqlstate
    if state is None and kind == "DataError" and "NUL" in text:
        return ValidationError(_NUL_MESSAGE)
    primary = getattr(getattr(orig, "diag", None), "message_primary", None)
    statement = getattr(exc, "statement", None) or ""
    if primary and state in _PROJECT_FUNCTION_STATES and "gcmc_" in statement:
        # The project's own SQL functions word these for people (users.py shows them too).
        return ServiceError(primary[:1].upper() + primary[1:].rstrip(".") + ".")
    if state == "42501":
        return PermissionDenied("The database refused this change for your account.")
    if state == "25006":  # read_only_sql_transaction: see db/compat.py
        return PermissionDenied(READ_ONLY_MESSAGE)
    if (state or "").startswith("28"):
        return PermissionDenied("The database no longer accepts your sign-in. Sign in again.")
    if state in _RETRY_STATES:
        return ConflictError("Another change to the same records got in the way. Try again.")
    if state == "25P02":
        return ServiceError("An earlier problem interrupted this work. Try again.")
    if (state or "").startswith("22") or kind == "DataError":
        return ValidationError(_DATA_MESSAGES.get(state or "", _DATA_DEFAULT))
    if (state or "").startswith("53"):
        return ServiceError(
            "The database server is short of disk space or memory. Tell your administrator."
        )
    if state in _PROJECT_MESSAGE_STATES and primary:
        return ServiceError(primary[:1].upper() + primary[1:].rstrip(".") + ".")
    return ServiceError(_GENERIC)


def _handle_error(context: ExceptionContext) -> BaseException | None:
    """Engine `handle_error` listener: the error a caller sees instead of the driver's."""
    if context.is_pre_ping:
        return None  # the pool's ping must see the original to reconnect
    wrapped = context.sqlalchemy_exception
    original = context.original_exception
    if isinstance(wrapped, IntegrityError):
        return None  # `translated` names the rows involved; it needs the session for that
    if wrapped is None and not isinstance(original, UnicodeError):
        return None  # not a database error: a bug, or an interrupt
    error = translate_database_error(wrapped or original, disconnect=context.is_disconnect)
    # A failure the server reported (or a lost connection) aborts the transaction; one found
    # before sending (a NUL byte, an unencodable character) leaves it as it was.
    aborted = context.is_disconnect or _sqlstate(original) is not None
    error.from_database = True
    error.transaction_aborted = aborted or isinstance(error, DatabaseUnavailable)
    return error


def install_error_translation(engine: Engine) -> Engine:
    """Make every database error on `engine` a ServiceError (integrity errors excepted: see
    `translated`). Idempotent; returns the engine."""
    if not event.contains(engine, "handle_error", _handle_error):
        event.listen(engine, "handle_error", _handle_error)
    return engine


@event.listens_for(Session, "do_orm_execute")
def _roll_back_aborted(state: ORMExecuteState) -> Any:
    """A statement that failed in a way that aborted the transaction leaves the session needing
    a rollback before it can run anything else: do it here, so a failed read (a view's, outside
    any service wrapper) does not poison every later call. Within a savepoint the savepoint's
    owner rolls back."""
    try:
        return state.invoke_statement()
    except ServiceError as exc:
        session = state.session
        if exc.transaction_aborted and session.get_nested_transaction() is None:
            _rollback_quietly(session)
        raise


def _rollback_quietly(session: Session) -> None:
    try:
        session.rollback()
    except Exception:  # the connection is gone: the pool replaces it on the next use
        log.debug("Rollback after a database error failed", exc_info=True)


# --------------------------------------------------------------------------------------------
# Foreign keys: blocked deletes, dangling references


def _foreign_key(v: _Violation, session: Session | None) -> ServiceError:
    found = _constraint(v.constraint)
    if found is None or not isinstance(found[1], ForeignKeyConstraint):
        return ServiceError(
            "The change could not be saved because related records are missing or still in use."
        )
    child, fk = found[0], found[1]
    parent = fk.referred_table
    if _is_delete_side(v):
        return _in_use(parent, _parent_ids(v, parent, session), session, fk)
    attribute = _attribute(child, fk.elements[0].parent.name)
    what = display_name(parent.name)
    message = f"The selected {what} does not exist any more; it may have been deleted."
    return ValidationError(message, {attribute: message})


def _is_delete_side(v: _Violation) -> bool:
    if v.sqlstate == "23001":
        return True
    if "is not present" in v.detail or v.primary.startswith("insert or update"):
        return False
    if "referenced" in v.detail or v.primary.startswith("update or delete"):
        return True
    return v.verb() == "DELETE"


def _parent_ids(v: _Violation, parent: Table, session: Session | None) -> list[Any]:
    """The ids of the parent rows being deleted: from the error detail, else the statement or
    the failed flush."""
    pk = _primary_key(parent)
    ids: list[Any] = []
    key = _key_values(v.detail, parent)
    if pk.name in key:
        ids.append(_coerce(pk, key[pk.name]))
    if v.verb() == "DELETE" and v.statement_table() == parent.name:
        for params in v.param_dicts():
            for value in params.values():
                for item in value if isinstance(value, list | tuple) else [value]:
                    ids.append(_coerce(pk, item))
    ids.extend(_deleting(session).get(parent.name, []))
    return list(dict.fromkeys(i for i in ids if i is not None))


def _blockers(parent: Table, also: ForeignKeyConstraint | None) -> dict[Table, list[Column[Any]]]:
    """Referring columns per table that stop a delete of `parent` (RESTRICT / NO ACTION), plus
    the constraint that actually fired."""
    found: dict[Table, list[Column[Any]]] = {}
    for table in Base.metadata.tables.values():
        for fk in table.foreign_key_constraints:
            if fk.referred_table is not parent or len(fk.elements) != 1:
                continue
            blocking = (fk.ondelete or "NO ACTION").upper() in {"RESTRICT", "NO ACTION"}
            if blocking or fk is also:
                found.setdefault(table, []).append(fk.elements[0].parent)
    return dict(sorted(found.items(), key=lambda item: item[0].name))


def _in_use(
    parent: Table,
    ids: list[Any],
    session: Session | None,
    fk: ForeignKeyConstraint | None,
) -> InUseError:
    what = display_name(parent.name)
    blockers = _blockers(parent, fk)

    def look(connection: Connection) -> tuple[Any, str | None, dict[str, int]] | None:
        first: tuple[Any, str | None, dict[str, int]] | None = None
        for ident in ids:
            users: dict[str, int] = {}
            for table, columns in blockers.items():
                count = connection.scalar(
                    select(func.count())
                    .select_from(table)
                    .where(or_(*(c == ident for c in columns)))
                )
                if count:
                    users[table.name] = int(count)
            found = (ident, _label(connection, parent, ident), users)
            if users:
                return found
            first = first or found
        return first

    ident, label, users = _query(session, look) or (ids[0] if ids else None, None, {})
    subject = f"{what} {quoted(label)}" if label else f"this {what}"
    if users:
        used_by = _and([_counted(table, n) for table, n in users.items()])
    elif fk is not None:
        used_by = display_name(fk.table.name, 2)
    else:
        used_by = "other records"
    return InUseError(
        f"Cannot delete {subject}: it is still used by {used_by}.",
        entity=parent.name,
        users=users,
        ident=ident,
        label=label,
    )


# --------------------------------------------------------------------------------------------
# NOT NULL


def _not_null(v: _Violation, session: Session | None) -> ServiceError:
    table = Base.metadata.tables.get(v.table or "")
    if table is None or not v.column or v.column not in table.c:
        return ValidationError("A required value is missing.")
    column = table.c[v.column]
    fk = next(
        (
            f
            for f in table.foreign_key_constraints
            if len(f.elements) == 1 and f.elements[0].parent is column
        ),
        None,
    )
    if fk is not None:
        parent = fk.referred_table
        if v.verb() == "DELETE" and v.statement_table() == parent.name:
            # ON DELETE SET NULL onto a NOT NULL column (messages.authorId): the delete is blocked.
            return _in_use(parent, _parent_ids(v, parent, session), session, fk)
        deleting = _deleting(session).get(parent.name)
        nulled = any(p.get(column.key, ...) is None for p in v.param_dicts())
        if deleting and nulled and v.verb() == "UPDATE" and v.statement_table() == table.name:
            # The ORM detaching the children of a parent it deletes (a relationship without
            # passive_deletes="all"): report it as the delete the database would refuse.
            return _in_use(parent, deleting, session, fk)
    attribute = _attribute(table, column.name)
    message = f"{_field_label(attribute)} is required."
    return ValidationError(message, {attribute: "This field is required."})


# --------------------------------------------------------------------------------------------
# Unique indexes: the registry of hand-written messages

# Builds the sentence for one unique index from the clashing values, keyed by column name as
# the database spells it ("name", "roleId"); a value may be missing (details withheld).
MessageBuilder = Callable[[dict[str, str]], str]

_CONSTRAINT_MESSAGES: dict[str, MessageBuilder] = {}
_loaded = False
_loading = threading.Lock()


def register_constraint_message(constraint: str, builder: MessageBuilder) -> MessageBuilder:
    """Word the violation of unique index `constraint` with `builder`. Called by the domain
    module that owns the table, at import. One wording per constraint: registering a second,
    different builder, or a name the model metadata does not know, is a programming error."""
    found = _constraint(constraint)
    if found is None or not isinstance(found[1], Index | UniqueConstraint):
        raise ValueError(f"no unique index or constraint named {constraint!r}")
    existing = _CONSTRAINT_MESSAGES.get(constraint)
    if existing is not None and existing is not builder:
        raise ValueError(f"{constraint!r} already has a message ({existing.__qualname__})")
    _CONSTRAINT_MESSAGES[constraint] = builder
    return builder


def constraint_message(constraint: str, values: dict[str, str]) -> str | None:
    """The registered sentence for `constraint` with `values`, or None if it has none (for a
    service that checks a unique rule itself before writing: the same words as the database's
    violation)."""
    _load_domain_messages()
    build = _CONSTRAINT_MESSAGES.get(constraint)
    return None if build is None else build(values)


def _load_domain_messages() -> None:
    """Import the service modules once, so every domain's messages are registered whatever was
    imported before the first violation (a registration is a side effect of importing its
    module). Only the top-level modules of `services` (one per domain): the data and
    infrastructure packages register nothing."""
    global _loaded
    if _loaded:
        return
    with _loading:
        if _loaded:
            return
        name = __package__ or "gcmc_desktop.services"
        for module in pkgutil.iter_modules(importlib.import_module(name).__path__):
            if not module.ispkg:
                importlib.import_module(f"{name}.{module.name}")
        _loaded = True


_SECRET_COLUMNS = {("session", "token")}


def _unique(v: _Violation, session: Session | None) -> ServiceError:
    found = _constraint(v.constraint)
    if found is None or not isinstance(found[1], Index | UniqueConstraint):
        return DuplicateError(constraint=v.constraint)
    table, index = found
    columns: list[Column[Any]] = list(index.columns)  # type: ignore[union-attr]
    values = _key_values(v.detail, table)
    if not values and len(v.param_dicts()) == 1:  # details withheld (row-level security)
        params = v.param_dicts()[0]
        values = {c.name: str(params[c.key]) for c in columns if params.get(c.key) is not None}

    fields = {
        _attribute(table, c.name): (
            None if (table.name, c.name) in _SECRET_COLUMNS else _coerce(c, values.get(c.name))
        )
        for c in columns
        if c.name != "tenantId" or len(columns) == 1
    }
    shown = _with_labels(session, table, columns, values)
    _load_domain_messages()
    build = _CONSTRAINT_MESSAGES.get(index.name or "")
    if build is not None:
        message = build(shown)
    else:
        names = _and([_field_label(_attribute(table, c.name)).lower() for c in columns])
        known = ", ".join(shown[c.name] for c in columns if c.name in shown)
        suffix = f" ({known})" if known else ""
        message = f"A {display_name(table.name)} with the same {names} already exists{suffix}."
    return DuplicateError(message, fields=fields, constraint=index.name)


def _with_labels(
    session: Session | None, table: Table, columns: list[Column[Any]], values: dict[str, str]
) -> dict[str, str]:
    """`values` with each foreign-key id replaced by the referred row's name, where it has one."""
    references = {
        c.name: next(iter(c.foreign_keys)).column.table
        for c in columns
        if c.name in values and c.foreign_keys
    }
    if not references:
        return dict(values)

    def look(connection: Connection) -> dict[str, str]:
        labels: dict[str, str] = {}
        for name, parent in references.items():
            ident = _coerce(_primary_key(parent), values[name])
            label = _label(connection, parent, ident)
            if label is not None:
                labels[name] = label
        return labels

    return {**values, **(_query(session, look) or {})}
