"""The service catalog (`services`, DOMAIN.md §5): what the firm offers — name, category (Tax,
NIS, Registration, Immigration, Paralegal, Training, Advisory, Audit), description, base price in
GYD, estimated days and whether it is still offered. Guarded by the `services` permissions
(FirmAdmin and Admin create, edit and delete; ComplianceManager creates and edits; Viewer
reads). Prices are Decimal at this boundary, rounded to cents, never negative (the column is a
double, as the platform made it). A service still used by service requests cannot be deleted
(the key is RESTRICT) and the message says by how many; its workflow templates go with it."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from ..models import Service, ServiceRequest, ServiceRequestTemplate
from . import crud, records
from .catalog import SERVICE_CATEGORIES
from .context import Context, require
from .errors import InUseError, ValidationError
from .filings import clean_amount, money
from .paging import ColumnSpec, PagedQuery

MODULE = "services"
SERVICE_FIELDS = ("name", "category", "description", "base_price", "estimated_days", "active")
SERVICE_RULES: dict[str, records.FieldRule] = {
    "name": records.TEXT,
    "category": records.FieldRule(max_length=records.CODE_LENGTH),
    "description": records.FieldRule(max_length=records.NOTES_LENGTH),
    "base_price": records.ANY,  # Decimal, number or text like "1,250.50" (clean_amount)
    "estimated_days": records.FieldRule("integer"),
    "active": records.ANY,
}
assert set(SERVICE_RULES) == set(SERVICE_FIELDS)
MAX_ESTIMATED_DAYS = 3_650


def format_price(value: Any) -> str:
    """G$ with thousands separators and cents: "G$ 120,000.00"; empty when not set."""
    amount = money(value) if not isinstance(value, Decimal) else value
    return "" if amount is None else f"G$ {amount:,.2f}"


def validate_service(data: dict[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """Clean and check service fields; raises ValidationError with a message per field. The
    price comes back as a float of whole cents (what the double column stores)."""
    errors: dict[str, str] = {}
    days = data.get("estimated_days")
    if isinstance(days, str) and not days.strip():  # a form's empty field
        data = {**data, "estimated_days": None}
    cleaned = records.clean_fields(data, SERVICE_RULES, "service", errors=errors)
    if (not partial or "name" in cleaned) and not cleaned.get("name") and "name" not in errors:
        errors["name"] = "Enter the service's name."
    if (not partial or "category" in cleaned) and cleaned.get("category") not in (
        SERVICE_CATEGORIES
    ):
        errors.setdefault("category", "Choose one of: " + ", ".join(SERVICE_CATEGORIES) + ".")
    if "base_price" in cleaned:
        price, problem = clean_amount(cleaned["base_price"])
        if problem:
            errors["base_price"] = (
                "A price cannot be negative." if "negative" in problem else problem
            )
        else:
            cleaned["base_price"] = float(price) if price is not None else None
    days = cleaned.get("estimated_days")
    if days is not None and not 0 <= days <= MAX_ESTIMATED_DAYS:
        errors["estimated_days"] = f"Enter a number of days from 0 to {MAX_ESTIMATED_DAYS:,}."
    if "active" in cleaned:
        active = cleaned["active"]
        if active is None and not partial:
            cleaned["active"] = True
        elif active is None:
            cleaned.pop("active")
        elif not isinstance(active, bool):
            errors["active"] = "Say whether the service is offered (yes or no)."
    elif not partial:
        cleaned["active"] = True
    if errors:
        raise ValidationError(field_errors=errors)
    return cleaned


def service_values(row: Service) -> dict[str, Any]:
    """A service as plain data, the price as Decimal cents."""
    values = records.snapshot(row)
    values["base_price"] = money(values["base_price"])
    return values


SERVICES = crud.Entity(Service, MODULE, validate_service)


def get_service(ctx: Context, service_id: int) -> dict[str, Any]:
    require(ctx, MODULE, "view")
    return service_values(records.get(ctx, Service, service_id))


def list_services(ctx: Context, *, active: bool | None = None) -> list[dict[str, Any]]:
    """The firm's services by category and name."""
    require(ctx, MODULE, "view")
    query = select(Service).order_by(Service.category, Service.name, Service.id)
    if active is not None:
        query = query.where(Service.active.is_(active))
    return [service_values(row) for row in ctx.session.scalars(query)]


def create_service(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    created = SERVICES.create(ctx, data)
    created["base_price"] = money(created["base_price"])
    return created


def update_service(
    ctx: Context, service_id: int, changes: dict[str, Any], expected_updated_at: datetime | None
) -> dict[str, Any]:
    updated = SERVICES.update(ctx, service_id, changes, expected_updated_at)
    updated["base_price"] = money(updated["base_price"])
    return updated


def usage(ctx: Context, service_id: int) -> dict[str, int]:
    """How many service requests and workflow templates belong to the service."""
    requests = ctx.session.scalar(
        select(func.count())
        .select_from(ServiceRequest)
        .where(ServiceRequest.service_id == service_id)
    )
    templates = ctx.session.scalar(
        select(func.count())
        .select_from(ServiceRequestTemplate)
        .where(ServiceRequestTemplate.service_id == service_id)
    )
    return {"service_requests": int(requests or 0), "templates": int(templates or 0)}


def in_use_error(ctx: Context, service: Service) -> InUseError | None:
    """The error for deleting `service` while service requests use it; None if none do."""
    count = usage(ctx, service.id)["service_requests"]
    if not count:
        return None
    noun = "service request" if count == 1 else "service requests"
    return InUseError(
        f'Still used by {count} {noun}: the service "{service.name}" cannot be deleted. '
        "Mark it inactive instead, so it is no longer offered.",
        entity="services",
        users={"service_requests": count},
        ident=service.id,
        label=service.name,
    )


def delete_impact(ctx: Context, service_id: int) -> str:
    """Before asking to delete: what goes with it (its templates) — or the in-use error."""
    require(ctx, MODULE, "view")
    service = records.get(ctx, Service, service_id)
    blocked = in_use_error(ctx, service)
    if blocked is not None:
        raise blocked
    return records.cascade_note(usage(ctx, service_id)["templates"], "workflow template")


def delete_service(ctx: Context, service_id: int) -> None:
    require(ctx, MODULE, "delete")
    service = records.get(ctx, Service, service_id)
    blocked = in_use_error(ctx, service)
    if blocked is not None:
        ctx.session.rollback()
        raise blocked
    # A request added meanwhile still stops the delete: the RESTRICT key, which `records`
    # turns into an InUseError.
    records.delete(ctx, Service, service_id)


SERVICE_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("name", "Name", Service.name),
    ColumnSpec("category", "Category", Service.category),
    ColumnSpec("base_price", "Base price", Service.base_price, formatter=format_price),
    ColumnSpec("estimated_days", "Days", Service.estimated_days),
    ColumnSpec("active", "Offered", Service.active, sortable=False),
    ColumnSpec("description", "Description", Service.description, sortable=False),
)


def service_list_query(ctx: Context) -> PagedQuery:
    """The firm's services, by name; filters `category`, `active`; search over name and
    category; sortable by name, category, price and days."""
    require(ctx, MODULE, "view")
    base = select(Service).where(Service.tenant_id == ctx.tenant_id)
    return PagedQuery(
        base,
        SERVICE_COLUMNS,
        search_columns=(Service.name, Service.category),
        filter_columns={"category": Service.category, "active": Service.active},
        sort_key="name",
    )


def service_choices(ctx: Context, _known: Any = None) -> list[tuple[str, int]]:
    """("Company incorporation (Registration)", id) of every service, for pickers; inactive
    ones say so."""
    return [
        (
            f"{s['name']} ({s['category']})" + ("" if s["active"] else " — inactive"),
            s["id"],
        )
        for s in list_services(ctx)
    ]
