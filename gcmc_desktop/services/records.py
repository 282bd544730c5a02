"""Generic create/update/delete plumbing every domain service shares: optimistic concurrency
on `updatedAt`, integrity errors turned into messages, and plain-dict snapshots of rows."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import inspect, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from ..models import Base
from .context import Context
from .errors import ConflictError, NotFoundError, PermissionDenied, translated

M = TypeVar("M", bound=Base)


@contextmanager
def guarded(session: Session) -> Iterator[Session]:
    """Integrity errors become clear messages; a write the database's row-level security or
    privileges refuse becomes PermissionDenied. Either way the session is rolled back."""
    try:
        with translated(session):
            yield session
    except IntegrityError:
        raise
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) != "42501":
            raise
        session.rollback()
        raise PermissionDenied("The database refused this change for your account.") from exc


def clean_fields(
    data: dict[str, Any], allowed: Iterable[str], kind: str, *, untrimmed: Iterable[str] = ()
) -> dict[str, Any]:
    """Form input for a service: only known fields (a programming error otherwise), strings
    trimmed and blank ones made None — except fields listed in `untrimmed` (e.g. tag lists)."""
    allowed, untrimmed = set(allowed), set(untrimmed)
    cleaned: dict[str, Any] = {}
    for key, value in data.items():
        if key not in allowed:
            raise ValueError(f"unknown {kind} field {key!r}")
        if isinstance(value, str) and key not in untrimmed:
            value = value.strip() or None
        cleaned[key] = value
    return cleaned


def snapshot(obj: Base) -> dict[str, Any]:
    """The row's column values by attribute name."""
    return {attr.key: getattr(obj, attr.key) for attr in inspect(obj).mapper.column_attrs}


def get(ctx: Context, model: type[M], ident: Any, *, for_update: bool = False) -> M:
    query = select(model).where(model.id == ident)  # type: ignore[attr-defined]
    if for_update:
        query = query.with_for_update()
    obj = ctx.session.scalars(query.execution_options(populate_existing=True)).one_or_none()
    if obj is None:
        raise NotFoundError()
    return obj


def update(
    ctx: Context,
    model: type[M],
    ident: Any,
    changes: dict[str, Any],
    expected_updated_at: datetime | None,
) -> M:
    """Apply `changes` unless someone saved the row since the caller read it (then
    ConflictError carries the current values; nothing is written)."""
    with guarded(ctx.session):
        obj = get(ctx, model, ident, for_update=True)
        current = getattr(obj, "updated_at", None)
        if expected_updated_at is not None and current != expected_updated_at:
            values = snapshot(obj)
            ctx.session.rollback()
            raise ConflictError(current=values)
        for key, value in changes.items():
            setattr(obj, key, value)
        ctx.session.commit()
    return obj


def create(ctx: Context, obj: M) -> M:
    with guarded(ctx.session):
        ctx.session.add(obj)
        ctx.session.commit()
    return obj


def delete(ctx: Context, model: type[M], ident: Any) -> None:
    with guarded(ctx.session):
        obj = get(ctx, model, ident, for_update=True)
        ctx.session.delete(obj)
        ctx.session.commit()
