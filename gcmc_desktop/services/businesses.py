"""A client's businesses (client_businesses): list, create, update with optimistic concurrency,
delete. DOMAIN.md guards them with the `clients` permissions; tenant scope and audit come from
the Context's session, the write plumbing from `records`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from ..models import Client, ClientBusiness
from . import records
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


def _as_datetime(value: Any) -> datetime | None:
    """The column is a timestamp; the user picks a calendar date (stored at midnight)."""
    if value is None or isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValidationError(
                field_errors={"incorporation_date": "Enter a date like 2021-03-15."}
            ) from None
    raise ValueError(f"not a date: {value!r}")


def validate_business(data: dict[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """Clean and check business fields (status is free text, DOMAIN.md §2); raises
    ValidationError with a message per field."""
    cleaned = records.clean_fields(data, BUSINESS_FIELDS, "business")
    errors: dict[str, str] = {}
    if (not partial or "name" in cleaned) and not cleaned.get("name"):
        errors["name"] = "Enter the business name."
    if "incorporation_date" in cleaned:
        try:
            when = _as_datetime(cleaned["incorporation_date"])
        except ValidationError as exc:
            errors.update(exc.field_errors)
        else:
            cleaned["incorporation_date"] = when
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


def list_businesses(ctx: Context, client_id: int) -> list[ClientBusiness]:
    require(ctx, "clients", "view")
    query = (
        select(ClientBusiness)
        .where(ClientBusiness.client_id == client_id)
        .order_by(ClientBusiness.name, ClientBusiness.id)
    )
    return list(ctx.session.scalars(query))


def get_business(ctx: Context, business_id: int) -> ClientBusiness:
    require(ctx, "clients", "view")
    return records.get(ctx, ClientBusiness, business_id)


def create_business(ctx: Context, client_id: int, data: dict[str, Any]) -> ClientBusiness:
    require(ctx, "clients", "create")
    values = validate_business(data)
    # The client must be visible in this tenant: NotFoundError otherwise, before any insert.
    records.get(ctx, Client, client_id)
    return records.create(
        ctx, ClientBusiness(tenant_id=ctx.tenant_id, client_id=client_id, **values)
    )


def update_business(
    ctx: Context, business_id: int, changes: dict[str, Any], expected_updated_at: datetime | None
) -> ClientBusiness:
    require(ctx, "clients", "edit")
    values = validate_business(changes, partial=True)
    return records.update(ctx, ClientBusiness, business_id, values, expected_updated_at)


def delete_business(ctx: Context, business_id: int) -> None:
    require(ctx, "clients", "delete")
    records.delete(ctx, ClientBusiness, business_id)
