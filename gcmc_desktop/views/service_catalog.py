"""The service catalog admin (Edit → Service catalog…): the firm's services — name, category,
base price in GYD, estimated days, offered or not — on the kit: a list page in a window and the
record form. Deleting a service still used by service requests is refused with the count
(before any question); otherwise the question says its workflow templates go with it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from PySide6.QtWidgets import QWidget

from ..services.catalog import SERVICE_CATEGORIES
from ..services.context import Context
from ..services.service_catalog import (
    create_service,
    delete_impact,
    delete_service,
    get_service,
    service_list_query,
    update_service,
)
from .kit.fields import FieldSpec
from .kit.list_page import ActionSpec, DeleteSpec, FilterSpec, ListPage, ListSpec, ListWindow
from .kit.record_dialog import RecordSpec
from .workflow_templates import templates_window

CATEGORY_CHOICES = tuple((c, c) for c in SERVICE_CATEGORIES)  # the codes are their labels
ACTIVE_CHOICES = (("Yes — offered to clients", True), ("No — no longer offered", False))


def _form(values: dict[str, Any]) -> dict[str, Any]:
    """The price as people type it (120,000.00), the days as text."""
    form = dict(values)
    price = form.get("base_price")
    if isinstance(price, Decimal | int | float):
        form["base_price"] = f"{Decimal(str(price)):,.2f}"
    days = form.get("estimated_days")
    form["estimated_days"] = "" if days is None else str(days)
    return form


SERVICE_RECORD = RecordSpec(
    noun="service",
    entity="service",
    fields=(
        FieldSpec("name", "Name", required=True, placeholder="e.g. Company incorporation"),
        FieldSpec(
            "category",
            "Category",
            "choice",
            required=True,
            blank="Choose…",
            choices=CATEGORY_CHOICES,
            choice_error="Choose a category.",
        ),
        FieldSpec("base_price", "Base price (G$)", placeholder="e.g. 120,000.00", max_length=20),
        FieldSpec("estimated_days", "Estimated days", placeholder="e.g. 21", max_length=5),
        FieldSpec("active", "Offered", "choice", choices=ACTIVE_CHOICES, default=True),
        FieldSpec("description", "Description", "text", height=80),
    ),
    load=get_service,
    create=create_service,
    update=update_service,
    to_form=_form,
)


def open_templates(page: ListPage) -> None:
    """The selected service's workflow templates."""
    service_id = page.selected_id()
    if service_id is None:
        return
    name = str(page.selected_values().get("name") or "")
    window = templates_window(page.ctx, page, service_id=service_id, service_name=name)
    window.open()


SERVICES = ListSpec(
    noun="service",
    plural="services",
    module="services",
    query=lambda ctx, _scope: service_list_query(ctx),
    listens_to=frozenset({"service"}),
    record=SERVICE_RECORD,
    delete=DeleteSpec(delete_service, impact=delete_impact),
    search_hint="Search name or category",
    filters=(
        FilterSpec("category", "All categories", "Category filter", CATEGORY_CHOICES),
        FilterSpec(
            "active",
            "Offered or not",
            "Offered filter",
            (("Offered", True), ("Not offered", False)),
        ),
    ),
    widths={"name": 280, "category": 110, "base_price": 130, "estimated_days": 60, "active": 70},
    sort="name",
    new_label="Add…",
    actions=(
        ActionSpec(
            "Workflow templates…",
            open_templates,
            needs_selection=True,
            tooltip="The selected service's workflow templates",
        ),
    ),
)


def service_catalog_window(ctx: Context, parent: QWidget | None = None) -> ListWindow:
    """The service catalog in a window of its own (Edit → Service catalog…)."""
    return ListWindow(
        ctx,
        SERVICES,
        "Service catalog",
        "What the firm offers its clients: each service's category, base price and how long "
        "it usually takes. Services no longer offered can be marked so instead of deleted.",
        parent,
    )
