"""A client's businesses (client_businesses): list, create, update with optimistic concurrency,
delete. DOMAIN.md guards them with the `clients` permissions; tenant scope and audit come from
the Context's session, the write plumbing from `records`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from ..models import Client, ClientBusiness
from . import crud, records
from .context import Context, require
from .errors import ValidationError
from .paging import ColumnSpec, PagedQuery, format_date

BUSINESS_FIELDS = (
    "name",
    "registration_number",
    "registration_type",
    "incorporation_date",
    "country",
    "sector",
    "status",
)

BUSINESS_RULES: dict[str, records.FieldRule] = {
    "name": records.TEXT,
    "registration_number": records.FieldRule(max_length=records.NUMBER_LENGTH),
    "registration_type": records.FieldRule(max_length=records.NUMBER_LENGTH),
    "incorporation_date": records.FieldRule("date"),
    "country": records.FieldRule(max_length=records.NUMBER_LENGTH),
    "sector": records.TEXT,
    "status": records.FieldRule(max_length=records.NUMBER_LENGTH),
}
assert set(BUSINESS_RULES) == set(BUSINESS_FIELDS)

BUSINESS_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("name", "Name", ClientBusiness.name),
    ColumnSpec("registration_number", "Registration no.", ClientBusiness.registration_number),
    ColumnSpec("registration_type", "Registration type", ClientBusiness.registration_type),
    ColumnSpec(
        "incorporation_date",
        "Incorporated",
        ClientBusiness.incorporation_date,
        formatter=format_date,
    ),
    ColumnSpec("country", "Country", ClientBusiness.country),
    ColumnSpec("sector", "Sector", ClientBusiness.sector),
    ColumnSpec("status", "Status", ClientBusiness.status),
)


def validate_business(data: dict[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """Clean and check business fields (status is free text, DOMAIN.md §2); raises
    ValidationError with a message per field. The incorporation date may be a date, a datetime
    or ISO text; the column is a timestamp, so a calendar date is stored at midnight."""
    errors: dict[str, str] = {}
    cleaned = records.clean_fields(data, BUSINESS_RULES, "business", errors=errors)
    if (not partial or "name" in cleaned) and not cleaned.get("name"):
        errors.setdefault("name", "Enter the business name.")
    when = cleaned.get("incorporation_date")
    # Compared as calendar dates: a business incorporated "today" is fine in any zone.
    if when is not None and when.date() > date.today():
        errors["incorporation_date"] = "The incorporation date cannot be in the future."
    if errors:
        raise ValidationError(field_errors=errors)
    return cleaned


def business_list_query(ctx: Context, client_id: int) -> PagedQuery:
    """One client's businesses, sorted by name."""
    require(ctx, "clients", "view")
    base = select(ClientBusiness).where(
        ClientBusiness.tenant_id == ctx.tenant_id, ClientBusiness.client_id == client_id
    )
    return PagedQuery(base, BUSINESS_COLUMNS, sort_key="name")


def _client_exists(ctx: Context, values: dict[str, Any]) -> None:
    # The client must be visible in this tenant: NotFoundError otherwise, before any insert.
    records.get(ctx, Client, values["client_id"])


BUSINESSES = crud.Entity(ClientBusiness, "clients", validate_business, check_create=_client_exists)


def list_businesses(ctx: Context, client_id: int) -> list[crud.Record]:
    require(ctx, "clients", "view")
    query = (
        select(ClientBusiness)
        .where(ClientBusiness.client_id == client_id)
        .order_by(ClientBusiness.name, ClientBusiness.id)
    )
    return [records.snapshot(row) for row in ctx.session.scalars(query)]


def get_business(ctx: Context, business_id: int) -> crud.Record:
    return BUSINESSES.get(ctx, business_id)


def create_business(ctx: Context, client_id: int, data: dict[str, Any]) -> crud.Record:
    return BUSINESSES.create(ctx, data, client_id=client_id)


def update_business(
    ctx: Context, business_id: int, changes: dict[str, Any], expected_updated_at: datetime | None
) -> crud.Record:
    return BUSINESSES.update(ctx, business_id, changes, expected_updated_at)


def delete_business(ctx: Context, business_id: int) -> None:
    BUSINESSES.delete(ctx, business_id)


def business_choices(ctx: Context, client_id: int | None) -> list[tuple[str, int]]:
    """(name, id) of a client's businesses, for pickers; none before a client is chosen."""
    if client_id is None:
        return []
    return [(b["name"], b["id"]) for b in list_businesses(ctx, client_id)]
