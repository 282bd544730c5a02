"""Filing types (filing_types): the firm's catalogue of returns to the authorities (DOMAIN.md §4:
VAT, PAYE, NIS, corporation and income tax, DCRA annual returns ...). DOMAIN.md guards them with
the `filings` permissions: FirmAdmin and Admin may create, edit and delete; the other filing
roles may read. Codes are unique per firm; a type still used by filings (or by recurring
schedules) cannot be deleted, and the message says by how many."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from ..models import Filing, FilingType, RecurringFiling
from . import filings, records
from .catalog import AUTHORITIES, FILING_FREQUENCIES
from .context import Context, require
from .errors import DuplicateError, InUseError, ValidationError
from .integrity import register_constraint_message
from .paging import ColumnSpec, PagedQuery

FILING_TYPE_FIELDS = (
    "name",
    "code",
    "authority",
    "frequency",
    "default_due_day",
    "default_due_month",
    "description",
)
FILING_TYPE_RULES: dict[str, records.FieldRule] = {
    "name": records.TEXT,
    "code": records.FieldRule(max_length=records.CODE_LENGTH),
    "authority": records.FieldRule(max_length=records.CODE_LENGTH),
    "frequency": records.FieldRule(max_length=records.CODE_LENGTH),
    "default_due_day": records.FieldRule("integer"),
    "default_due_month": records.FieldRule("integer"),
    "description": records.FieldRule(max_length=records.NOTES_LENGTH),
}
assert set(FILING_TYPE_RULES) == set(FILING_TYPE_FIELDS)

UNIQUE_INDEX = "filing_types_tenantId_code_key"
# The fields a filing's due date is computed from.
DUE_RULE_FIELDS = frozenset({"frequency", "default_due_day", "default_due_month", "code"})
# Codes as the catalogue spells them (VAT_MONTHLY, GO-INVEST_PERMIT): letters, digits, _ and -.
CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


def duplicate_message(code: str) -> str:
    return f'A filing type with the code "{code}" already exists in this firm.'


def _duplicate(v: dict[str, str]) -> str:
    return (
        duplicate_message(v["code"])
        if "code" in v
        else ("A filing type with this code already exists in this firm.")
    )


register_constraint_message(UNIQUE_INDEX, _duplicate)


def validate_filing_type(data: dict[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """Clean and check filing type fields; raises ValidationError with a message per field."""
    errors: dict[str, str] = {}
    cleaned = records.clean_fields(data, FILING_TYPE_RULES, "filing type", errors=errors)
    if "code" in cleaned and cleaned["code"] is not None:
        cleaned["code"] = cleaned["code"].upper()
    for name, message in (
        ("name", "Enter the filing type's name."),
        ("code", "Enter a short code, e.g. VAT_MONTHLY."),
    ):
        if (not partial or name in cleaned) and not cleaned.get(name) and name not in errors:
            errors[name] = message
    code = cleaned.get("code")
    if code and not CODE_PATTERN.match(code):
        errors["code"] = "Use letters, digits, _ and - only (e.g. VAT_MONTHLY)."
    if (not partial or "authority" in cleaned) and cleaned.get("authority") not in AUTHORITIES:
        errors.setdefault("authority", "Choose one of: " + ", ".join(AUTHORITIES) + ".")
    if (not partial or "frequency" in cleaned) and cleaned.get("frequency") not in (
        FILING_FREQUENCIES
    ):
        errors.setdefault("frequency", "Choose one of: " + ", ".join(FILING_FREQUENCIES) + ".")
    day = cleaned.get("default_due_day")
    if day is not None and not 1 <= day <= 31:
        errors["default_due_day"] = "Enter a day of the month from 1 to 31, or none."
    month = cleaned.get("default_due_month")
    if month is not None and not 1 <= month <= 12:
        errors["default_due_month"] = "Enter a month from 1 to 12, or none."
    if errors:
        raise ValidationError(field_errors=errors)
    return cleaned


def filing_type_values(filing_type: FilingType) -> dict[str, Any]:
    """A filing type as plain data (records.snapshot: "id", "updated_at" and every column)."""
    return records.snapshot(filing_type)


def _check_unique(ctx: Context, code: str, exclude_id: int | None = None) -> None:
    query = select(FilingType.id).where(FilingType.code == code)
    if exclude_id is not None:
        query = query.where(FilingType.id != exclude_id)
    if ctx.session.scalar(query.limit(1)) is not None:
        raise DuplicateError(
            duplicate_message(code), fields={"code": code}, constraint=UNIQUE_INDEX
        )


def _reworded(exc: DuplicateError, code: str) -> DuplicateError:
    if exc.constraint != UNIQUE_INDEX:
        return exc
    return DuplicateError(duplicate_message(code), fields=exc.fields, constraint=exc.constraint)


def list_filing_types(
    ctx: Context, *, authority: str | None = None, frequency: str | None = None
) -> list[dict[str, Any]]:
    """The firm's filing types by authority and name."""
    require(ctx, "filings", "view")
    query = select(FilingType).order_by(FilingType.authority, FilingType.name, FilingType.id)
    if authority is not None:
        query = query.where(FilingType.authority == authority)
    if frequency is not None:
        query = query.where(FilingType.frequency == frequency)
    return [filing_type_values(t) for t in ctx.session.scalars(query)]


def get_filing_type(ctx: Context, type_id: int) -> dict[str, Any]:
    require(ctx, "filings", "view")
    return filing_type_values(records.get(ctx, FilingType, type_id))


def create_filing_type(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    require(ctx, "filings", "create")
    values = validate_filing_type(data)
    _check_unique(ctx, values["code"])
    try:
        created = records.create(ctx, FilingType(tenant_id=ctx.tenant_id, **values))
    except DuplicateError as exc:  # created by someone else since the check
        raise _reworded(exc, values["code"]) from exc
    return filing_type_values(created)


def update_filing_type(
    ctx: Context, type_id: int, changes: dict[str, Any], expected_updated_at: datetime | None
) -> dict[str, Any]:
    """Edit a type. A change of frequency or default due day/month re-dates the type's open
    filings (draft, prepared, rejected, overdue); filed ones keep the date they were due."""
    require(ctx, "filings", "edit")
    values = validate_filing_type(changes, partial=True)
    code = values.get("code") or ""
    if code:
        _check_unique(ctx, code, exclude_id=type_id)
    try:
        updated = records.update(ctx, FilingType, type_id, values, expected_updated_at)
    except DuplicateError as exc:
        raise _reworded(exc, code) from exc
    result = filing_type_values(updated)
    if DUE_RULE_FIELDS & set(values):
        filings.redate_open_filings(ctx, type_id)
    return result


def usage(ctx: Context, type_id: int) -> dict[str, int]:
    """How many filings and recurring schedules use the type."""
    filings = ctx.session.scalar(
        select(func.count()).select_from(Filing).where(Filing.filing_type_id == type_id)
    )
    schedules = ctx.session.scalar(
        select(func.count())
        .select_from(RecurringFiling)
        .where(RecurringFiling.filing_type_id == type_id)
    )
    return {"filings": int(filings or 0), "recurring_filings": int(schedules or 0)}


def in_use_error(ctx: Context, filing_type: FilingType) -> InUseError | None:
    """The error for deleting `filing_type` while filings or schedules use it; None if none do."""
    used = usage(ctx, filing_type.id)
    parts = []
    if used["filings"]:
        parts.append(f"{used['filings']} filing" + ("" if used["filings"] == 1 else "s"))
    if used["recurring_filings"]:
        n = used["recurring_filings"]
        parts.append(f"{n} recurring schedule" + ("" if n == 1 else "s"))
    if not parts:
        return None
    return InUseError(
        f'Cannot delete filing type "{filing_type.name}" ({filing_type.code}): it is still used '
        f"by {' and '.join(parts)}. Delete or move them first.",
        entity="filing_types",
        users={k: v for k, v in used.items() if v},
        ident=filing_type.id,
        label=filing_type.name,
    )


def delete_filing_type(ctx: Context, type_id: int) -> None:
    require(ctx, "filings", "delete")
    filing_type = records.get(ctx, FilingType, type_id)
    blocked = in_use_error(ctx, filing_type)
    if blocked is not None:
        ctx.session.rollback()
        raise blocked
    # A filing added meanwhile still stops the delete: the RESTRICT keys, which `records` turns
    # into an InUseError.
    records.delete(ctx, FilingType, type_id)


FILING_TYPE_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("name", "Name", FilingType.name),
    ColumnSpec("code", "Code", FilingType.code),
    ColumnSpec("authority", "Authority", FilingType.authority),
    ColumnSpec("frequency", "Frequency", FilingType.frequency),
    ColumnSpec("due_day", "Due day", FilingType.default_due_day, sortable=False),
    ColumnSpec("due_month", "Due month", FilingType.default_due_month, sortable=False),
    ColumnSpec("description", "Description", FilingType.description, sortable=False),
)


def filing_type_list_query(ctx: Context) -> PagedQuery:
    """The firm's filing types, by name; filters `authority`, `frequency`; search over name,
    code and description."""
    require(ctx, "filings", "view")
    base = select(FilingType).where(FilingType.tenant_id == ctx.tenant_id)
    return PagedQuery(
        base,
        FILING_TYPE_COLUMNS,
        search_columns=(FilingType.name, FilingType.code, FilingType.description),
        filter_columns={"authority": FilingType.authority, "frequency": FilingType.frequency},
        sort_key="name",
    )


def filing_type_choices(ctx: Context, _known: Any = None) -> list[tuple[str, int]]:
    """("VAT return (GRA)", id) of every filing type, for pickers and filters."""
    return [
        (f"{t['name']} ({t['authority']})" if t.get("authority") else t["name"], t["id"])
        for t in list_filing_types(ctx)
    ]


def refuse_if_used(ctx: Context, type_id: int) -> str:
    """Before asking to delete: nothing to add — or the in-use error instead of the question."""
    require(ctx, "filings", "view")
    blocked = in_use_error(ctx, records.get(ctx, FilingType, type_id))
    if blocked is not None:
        raise blocked
    return ""
