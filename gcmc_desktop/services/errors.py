"""The errors the service layer raises on purpose: each carries a `message` shown to the user
as is (never SQL, table or constraint names, or a traceback).

How database failures become these errors (integrity violations, timeouts, lost connections)
lives in `services/integrity.py`; its public names (`translated`, `translate_integrity_error`,
`translate_database_error`, `install_error_translation`, `register_constraint_message`,
`display_name`) can still be imported from here.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "ConflictError",
    "DatabaseUnavailable",
    "DuplicateError",
    "InUseError",
    "NotFoundError",
    "PermissionDenied",
    "SchemaOutdated",
    "ServiceError",
    "ValidationError",
]

# Names that live in `integrity` (it imports this module, so they are looked up lazily).
_TRANSLATION = frozenset(
    {
        "display_name",
        "install_error_translation",
        "register_constraint_message",
        "translate_database_error",
        "translate_integrity_error",
        "translated",
    }
)


def __getattr__(name: str) -> Any:
    if name in _TRANSLATION:
        return getattr(importlib.import_module(".integrity", __package__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# --------------------------------------------------------------------------------------------
# Error types


class ServiceError(Exception):
    """Base of every error a service raises on purpose; `message` is shown to the user as is."""

    default_message = "The operation could not be completed."
    # Set on errors translated from a database failure (`install_error_translation`): whether
    # it came from the database, and whether it aborted the transaction (a rollback is due).
    from_database: bool = False
    transaction_aborted: bool = False

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class ValidationError(ServiceError):
    """Input that cannot be saved; `field_errors` maps attribute names to what is wrong."""

    default_message = "Please correct the highlighted fields."

    def __init__(
        self, message: str | None = None, field_errors: dict[str, str] | None = None
    ) -> None:
        self.field_errors: dict[str, str] = dict(field_errors or {})
        if message is None and len(self.field_errors) == 1:
            message = next(iter(self.field_errors.values()))
        super().__init__(message)


class MissingDocuments(ValidationError):
    """A step marked done while documents it requires are missing: `missing` names them.
    Given an override reason, the step is done anyway (services/service_steps.py)."""

    def __init__(self, missing: list[str]) -> None:
        self.missing = list(missing)
        text = "Missing required documents: " + ", ".join(self.missing) + "."
        super().__init__(
            text + " Give a reason to mark the step done without them.",
            {"override_reason": text},
        )


class NotFoundError(ServiceError):
    default_message = "The record no longer exists; it may have been deleted."


class PermissionDenied(ServiceError):
    default_message = "You do not have permission to do this."


class ConflictError(ServiceError):
    """Someone else changed the row first; `current` holds its values now, to show or merge."""

    default_message = (
        "Someone else changed this record while you were editing it. "
        "Review the current values and try again."
    )

    def __init__(self, message: str | None = None, current: dict[str, Any] | None = None) -> None:
        self.current: dict[str, Any] = dict(current or {})
        super().__init__(message)


class InUseError(ServiceError):
    """A delete blocked because other rows still refer to the row.

    `entity` is the table of the row being deleted, `ident` its id and `label` its name when
    known; `users` counts the referring rows per table, e.g. {"documents": 3}.
    """

    default_message = "This record cannot be deleted: other records still use it."

    def __init__(
        self,
        message: str | None = None,
        *,
        entity: str,
        users: dict[str, int] | None = None,
        ident: Any = None,
        label: str | None = None,
    ) -> None:
        self.entity = entity
        self.users: dict[str, int] = dict(users or {})
        self.ident = ident
        self.label = label
        super().__init__(message)


class DatabaseUnavailable(ServiceError):
    """The database server cannot be reached, or does not answer in time. Nothing was saved;
    the same action may work once the server is back. The message never names a host, a
    socket path or a statement."""

    UNREACHABLE = (
        "The database server cannot be reached. Check the network connection; if it persists, "
        "ask your administrator whether the server is running."
    )
    NOT_ANSWERING = (
        "The database server is not answering in time. It may be busy or the connection slow; "
        "try again in a moment."
    )
    default_message = UNREACHABLE

    def __init__(self, message: str | None = None, *, timed_out: bool = False) -> None:
        self.timed_out = timed_out
        super().__init__(message or (self.NOT_ANSWERING if timed_out else None))

    @classmethod
    def not_answering(cls) -> DatabaseUnavailable:
        return cls(timed_out=True)


class DuplicateError(ServiceError):
    """A unique index rejected the row; `fields` maps the attributes that clash to their values
    (the tenant column, implicit in every per-firm index, is left out)."""

    default_message = "A record with these values already exists."

    def __init__(
        self,
        message: str | None = None,
        *,
        fields: dict[str, Any] | None = None,
        constraint: str | None = None,
    ) -> None:
        self.fields: dict[str, Any] = dict(fields or {})
        self.constraint = constraint
        super().__init__(message)


class SchemaOutdated(ServiceError):
    """The database's schema is older than this workstation's code needs."""
