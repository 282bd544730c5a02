"""Generic create/update/delete plumbing every domain service shares: input checking (types,
lengths, what the database cannot store), optimistic concurrency on `updatedAt`, integrity
errors turned into messages, and plain-dict snapshots of rows."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal, TypeVar

from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from ..models import Base
from .context import Context
from .errors import ConflictError, NotFoundError, ValidationError
from .integrity import translated

M = TypeVar("M", bound=Base)


@contextmanager
def guarded(session: Session) -> Iterator[Session]:
    """Integrity errors become clear messages; a write the database's row-level security or
    privileges refuse becomes PermissionDenied; every other database error a plain
    ServiceError (see `integrity.translated`). Either way the session is rolled back."""
    with translated(session):
        yield session


# Longest accepted text per kind of field (the columns are unbounded `text`; these keep a
# pasted document or a runaway import out of names and lists).
NAME_LENGTH = 255
EMAIL_LENGTH = 254  # RFC 5321's limit for a forward path
CODE_LENGTH = 50  # stored codes: type, status, authority, category
NUMBER_LENGTH = 100  # registration and document numbers
ADDRESS_LENGTH = 1000
NOTES_LENGTH = 5000  # notes and descriptions
TAG_LENGTH = 100
MAX_TAGS = 50
JSON_LENGTH = 20_000  # extra metadata, as JSON text
TEXT_LAYER_LENGTH = 5_000_000  # extracted text of a long scanned file
INT32_MAX = 2**31 - 1  # integer columns (ids, file sizes)

FieldType = Literal["text", "integer", "number", "date", "tags", "json", "any"]


@dataclass(frozen=True)
class FieldRule:
    """What a service accepts for one input field: its type and, for text, its longest length
    in characters (after trimming)."""

    type: FieldType = "text"
    max_length: int | None = NAME_LENGTH


TEXT = FieldRule()
ANY = FieldRule("any", None)


def text_problem(value: str, max_length: int | None) -> str | None:
    """Why `value` cannot be stored as text, or None: PostgreSQL text holds no NUL byte and
    only valid UTF-8 (no unpaired surrogate); and the length limit."""
    if "\x00" in value:
        return "Remove the invisible NUL character from this text."
    if _has_surrogate(value):
        return "This text contains a broken character; retype it."
    if max_length is not None and len(value) > max_length:
        return f"Use at most {max_length:,} characters."
    return None


def _has_surrogate(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def storable_text(value: str) -> str:
    """`value` without what PostgreSQL text cannot hold (NUL bytes, unpaired surrogates): for
    text machines extracted from files, which nobody can retype."""
    value = value.replace("\x00", "")
    if _has_surrogate(value):
        value = value.encode("utf-8", "ignore").decode("utf-8")
    return value


def _kind(value: object) -> str:
    return "a number" if isinstance(value, int | float) else f"a {type(value).__name__}"


def check_text(value: Any, rule: FieldRule = TEXT, *, trim: bool = True) -> tuple[Any, str | None]:
    """(cleaned value, problem): None stays None, text is trimmed (blank → None) and checked."""
    if value is None:
        return None, None
    if not isinstance(value, str):
        return None, "Must be text."
    if trim:
        value = value.strip() or None
        if value is None:
            return None, None
    return value, text_problem(value, rule.max_length)


def check_integer(
    value: Any, *, minimum: int = 0, maximum: int = INT32_MAX
) -> tuple[Any, str | None]:
    """Whole numbers (or their digits as text, from the CLI) within the integer columns."""
    if value is None:
        return None, None
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d{1,12}\s*", value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        return None, "Must be a whole number."
    if not minimum <= value <= maximum:
        return None, "The number is out of range."
    return value, None


def check_number(value: Any) -> tuple[Any, str | None]:
    if value is None:
        return None, None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None, "Must be a number."
    if isinstance(value, float) and not math.isfinite(value):
        return None, "Must be a finite number."
    return value, None


def check_date(value: Any) -> tuple[Any, str | None]:
    """A date or datetime, or text in ISO form ("2021-03-15"); returned as a naive datetime
    (the columns are timestamps: a calendar date is stored at midnight, as the platform does)."""
    if value is None:
        return None, None
    if isinstance(value, datetime):
        return _naive_utc(value), None
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day), None
    if isinstance(value, str):
        if not value.strip():
            return None, None
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            return None, "Enter a date like 2021-03-15."
        return _naive_utc(parsed), None
    return None, "Enter a date like 2021-03-15."


def _naive_utc(value: datetime) -> datetime:
    return value if value.tzinfo is None else value.astimezone(UTC).replace(tzinfo=None)


def check_tags(value: Any) -> tuple[Any, str | None]:
    """A list of tags or comma-separated text; each tag text within TAG_LENGTH."""
    if value is None:
        return None, None
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple | set | frozenset):
        return None, "Enter tags as text separated by commas."
    if len(items) > MAX_TAGS:
        return None, f"Use at most {MAX_TAGS} tags."
    for item in items:
        if not isinstance(item, str):
            return None, "Each tag must be text."
        problem = text_problem(item.strip(), TAG_LENGTH)
        if problem:
            return None, problem.replace("characters.", "characters per tag.")
    return value, None


def tags_text(tags: Any) -> str:
    """Tags as people read and type them: comma-separated."""
    if not tags:
        return ""
    if isinstance(tags, str):
        return tags
    return ", ".join(str(tag) for tag in tags)


def check_json(value: Any, max_length: int | None = JSON_LENGTH) -> tuple[Any, str | None]:
    """Values JSON (and PostgreSQL's jsonb) can hold: objects with text keys, lists, text,
    finite numbers, true/false and null. NaN and infinity are not JSON."""
    if value is None:
        return None, None
    problem = _json_problem(value, 0)
    if problem is None:
        try:
            size = len(json.dumps(value, allow_nan=False))
        except (TypeError, ValueError):
            problem = "This value cannot be stored."
        else:
            if max_length is not None and size > max_length:
                problem = f"Use at most {max_length:,} characters."
    return (None, problem) if problem else (value, None)


def _json_problem(value: Any, depth: int) -> str | None:
    if depth > 20:
        return "This value is nested too deeply."
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        return text_problem(value, None)
    if isinstance(value, int):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else "Numbers must be finite (not NaN or infinity)."
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                return "Names in this value must be text."
            problem = text_problem(key, None) or _json_problem(item, depth + 1)
            if problem:
                return problem
        return None
    if isinstance(value, list | tuple):
        for item in value:
            problem = _json_problem(item, depth + 1)
            if problem:
                return problem
        return None
    return "This value cannot be stored."


def check_value(value: Any, rule: FieldRule, *, trim: bool = True) -> tuple[Any, str | None]:
    """One field by its rule: (cleaned value, problem or None)."""
    if rule.type == "text":
        return check_text(value, rule, trim=trim)
    if rule.type == "integer":
        return check_integer(value)
    if rule.type == "number":
        return check_number(value)
    if rule.type == "date":
        return check_date(value)
    if rule.type == "tags":
        return check_tags(value)
    if rule.type == "json":
        return check_json(value, rule.max_length)
    if isinstance(value, str):
        problem = text_problem(value, rule.max_length)
        if trim:
            value = value.strip() or None
        return value, problem
    return value, None


def clean_fields(
    data: Mapping[str, Any],
    allowed: Iterable[str] | Mapping[str, FieldRule],
    kind: str,
    *,
    untrimmed: Iterable[str] = (),
    errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Form (or CLI, or import) input for a service: only known fields (a programming error
    otherwise); each checked by its FieldRule — type, length, characters the database cannot
    store — and strings trimmed with blank ones made None, except fields in `untrimmed` (e.g.
    tag lists). `allowed` as plain names checks only text values' characters.

    Problems are field messages: added to `errors` when given (the field is left out of the
    result, so the caller's own checks never see a wrong type), else raised together as one
    ValidationError."""
    rules: Mapping[str, FieldRule] = (
        allowed if isinstance(allowed, Mapping) else dict.fromkeys(allowed, ANY)
    )
    untrimmed = set(untrimmed)
    if not isinstance(data, Mapping):
        raise TypeError(f"{kind} fields must be a mapping, not {type(data).__name__}")
    problems: dict[str, str] = {}
    cleaned: dict[str, Any] = {}
    for key, value in data.items():
        if key not in rules:
            raise ValueError(f"unknown {kind} field {key!r}")
        value, problem = check_value(value, rules[key], trim=key not in untrimmed)
        if problem:
            problems[key] = problem
        else:
            cleaned[key] = value
    if errors is not None:
        errors.update(problems)
    elif problems:
        raise ValidationError(field_errors=problems)
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
    """Delete the row (and what its foreign keys cascade to); a client, document, filing or
    service request is first kept in Deleted items, in the same transaction (`trash`)."""
    from . import trash

    with guarded(ctx.session):
        obj = get(ctx, model, ident, for_update=True)
        table = model.__table__.name  # type: ignore[attr-defined]
        if trash.is_trashable(table):
            trash.keep(ctx, table, obj.id)  # type: ignore[attr-defined]
        ctx.session.delete(obj)
        ctx.session.commit()


def child_count(ctx: Context, parent_column: Any, parent_id: int) -> int:
    """How many rows point at `parent_id` through `parent_column` (e.g. a rule set's rules)."""
    return int(ctx.session.scalar(select(func.count()).where(parent_column == parent_id)) or 0)


def cascade_note(n: int, noun: str, plural: str | None = None) -> str:
    """What a delete question adds when the key cascades: "Its 3 rules will be deleted with
    it." ("" for none)."""
    if not n:
        return ""
    return f"Its {n} {noun if n == 1 else plural or noun + 's'} will be deleted with it."
