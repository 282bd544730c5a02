"""Filings and filing types on the kit: the firm's Filings page and a client's Filings tab (due
date first, overdue rows and those due within 7 days highlighted), the filing form (client,
business, type, period picked as a month / quarter / year, amounts, status, dates, notes), and
the filing types admin."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QWidget

from ..services.catalog import AUTHORITIES, AUTHORITY_NAMES, FILING_FREQUENCIES, FILING_STATUSES
from ..services.context import Context
from ..services.filing_types import (
    create_filing_type,
    delete_filing_type,
    filing_type_choices,
    filing_type_list_query,
    get_filing_type,
    refuse_if_used,
    update_filing_type,
)
from ..services.filings import (
    DUE_WITHIN,
    OPEN_STATUSES,
    OVERDUE,
    create_filing,
    delete_filing,
    filing_list_query,
    get_filing,
    period_for,
    update_filing,
)
from .filing_fields import OWNER_FIELDS, client_form
from .filing_period import PeriodField, period_of
from .kit.fields import SHORT_MAX, FieldSpec, choices
from .kit.list_page import ActionSpec, DeleteSpec, FilterSpec, ListSpec, ListWindow
from .kit.messages import code_label
from .kit.record_dialog import RecordSpec
from .recurring import generate_now, recurring_window

Values = dict[str, Any]
SOON_DAYS = 7
# Translucent tints, as the documents' expiry colours: readable on light and dark palettes.
FILING_TINTS = {"overdue": QColor(220, 38, 38, 90), "due_soon": QColor(234, 179, 8, 70)}
FILING_TINT_LABELS = {
    "overdue": "Overdue: still open and past its due date",
    "due_soon": f"Due within {SOON_DAYS} days",
}


# -- the filing form --------------------------------------------------------------------------


def _filing_form(values: Values) -> Values:
    """A stored filing as the form holds it: one picked period, the client as a name, amounts
    as text."""
    form = client_form(values)
    form["period"] = period_of(_day(values.get("period_start")), _day(values.get("period_end")))
    for key in ("tax_amount", "penalties", "interest"):
        amount = values.get(key)
        form[key] = "" if amount is None else f"{Decimal(amount):.2f}"
    return form


def _day(value: Any) -> date | None:
    return value.date() if hasattr(value, "date") and callable(value.date) else value


def _split_period(values: Values) -> tuple[Values, Any]:
    """The form's values without "period", and the period it picks (None: unchanged/none)."""
    values = dict(values)
    picked = values.pop("period", None)
    if picked is None:
        return values, None
    return values, period_for(picked["kind"], picked["year"], picked.get("number"))


def _create_filing(ctx: Context, values: Values, client_id: int | None = None) -> Values:
    data, period = _split_period(values)
    if client_id is not None:
        data["client_id"] = client_id
    return create_filing(ctx, data, period=period)


def _update_filing(ctx: Context, filing_id: int, values: Values, expected: Any) -> Values:
    data, period = _split_period(values)
    data.pop("client_id", None)
    return update_filing(ctx, filing_id, data, expected, period=period)


FILING_RECORD = RecordSpec(
    noun="filing",
    entity="filing",
    fields=(
        *OWNER_FIELDS,
        FieldSpec("period", "Period", "custom", required=True, editor=PeriodField),
        FieldSpec(
            "status",
            "Status",
            "choice",
            choices=choices(FILING_STATUSES),
            default="draft",
        ),
        FieldSpec("tax_amount", "Tax (G$)", placeholder="e.g. 125,000.00", max_length=SHORT_MAX),
        FieldSpec("penalties", "Penalties (G$)", max_length=SHORT_MAX),
        FieldSpec("interest", "Interest (G$)", max_length=SHORT_MAX),
        FieldSpec("reference_number", "Reference no.", max_length=SHORT_MAX),
        FieldSpec("submission_date", "Submitted on", "date"),
        FieldSpec("approval_date", "Approved on", "date"),
        FieldSpec("internal_notes", "Internal notes", "text", height=64),
    ),
    load=get_filing,
    create=_create_filing,
    update=_update_filing,
    to_form=_filing_form,
    min_width=560,
)


# -- the filings list -------------------------------------------------------------------------


def filing_state(values: Any) -> str | None:
    """Which highlight a row of the filings list gets."""
    due = _day(values.get("due"))
    if due is None or values.get("status") not in OPEN_STATUSES:
        return None
    today = date.today()
    if due < today:
        return "overdue"
    if due <= today + timedelta(days=SOON_DAYS):
        return "due_soon"
    return None


def _filing_types_filter(ctx: Context) -> list[tuple[str, int]]:
    return filing_type_choices(ctx)


FILINGS = ListSpec(
    noun="filing",
    plural="filings",
    module="filings",
    query=lambda ctx, scope: filing_list_query(ctx, client_id=scope.get("client_id")),
    listens_to=frozenset({"filing", "filing_type", "client", "client_business"}),
    record=FILING_RECORD,
    delete=DeleteSpec(delete_filing, restorable=True),
    search_hint="Search client, reference number or period  (Ctrl+F)",
    filters=(
        FilterSpec("status", "Any status", "Status filter", choices(FILING_STATUSES)),
        FilterSpec("filing_type_id", "Any type", "Filing type filter", load=_filing_types_filter),
        FilterSpec(
            "authority",
            "Any authority",
            "Authority filter",
            [(a, a) for a in AUTHORITIES],
        ),
        FilterSpec(
            "due",
            "Any due date",
            "Due date filter",
            (
                ("Overdue (due date past)", {OVERDUE: True}),
                (f"Due within {SOON_DAYS} days", {DUE_WITHIN: SOON_DAYS}),
                ("Due within 30 days", {DUE_WITHIN: 30}),
            ),
        ),
    ),
    widths={"due": 100, "client": 220, "type": 200, "period": 110, "status": 90},
    sort="due",
    new_label="New filing…",
    hidden=lambda scope: ("client",) if scope.get("client_id") is not None else (),
    tint=filing_state,
    tints=FILING_TINTS,
    tint_labels=FILING_TINT_LABELS,
    name_key="period",
    fit_columns=True,
    state_key="filings/header",
    actions=(
        ActionSpec("Recurring…", recurring_window, tooltip="The recurring filing schedules"),
        ActionSpec(
            "Generate due filings…",
            generate_now,
            permission="create",
            tooltip="Create the draft filings of every schedule whose period has ended",
        ),
    ),
)


# -- filing types -----------------------------------------------------------------------------


def _month_name(value: Any) -> str:
    return calendar.month_name[int(value)] if value else ""


FILING_TYPE_RECORD = RecordSpec(
    noun="filing type",
    entity="filing_type",
    fields=(
        FieldSpec("name", "Name", required=True, placeholder="e.g. VAT return"),
        FieldSpec("code", "Code", required=True, placeholder="e.g. VAT_MONTHLY", max_length=50),
        FieldSpec(
            "authority",
            "Authority",
            "choice",
            required=True,
            blank="Choose…",
            choices=[(a, a) for a in AUTHORITIES],
            tooltips=AUTHORITY_NAMES,
            choice_error="Choose the authority the filing goes to.",
        ),
        FieldSpec(
            "frequency",
            "Frequency",
            "choice",
            required=True,
            blank="Choose…",
            choices=choices(FILING_FREQUENCIES),
            choice_error="Choose how often it is filed.",
        ),
        FieldSpec(
            "default_due_day",
            "Due day",
            "choice",
            blank="None",
            choices=[(str(day), day) for day in range(1, 32)],
        ),
        FieldSpec(
            "default_due_month",
            "Due month (annual)",
            "choice",
            blank="None",
            choices=[(calendar.month_name[m], m) for m in range(1, 13)],
        ),
        FieldSpec("description", "Description", "text", height=64),
    ),
    load=get_filing_type,
    create=create_filing_type,
    update=update_filing_type,
)

FILING_TYPES = ListSpec(
    noun="filing type",
    plural="filing types",
    module="filings",
    query=lambda ctx, _scope: filing_type_list_query(ctx),
    listens_to=frozenset({"filing_type"}),
    record=FILING_TYPE_RECORD,
    delete=DeleteSpec(delete_filing_type, impact=refuse_if_used),
    search_hint="Search name, code or description",
    filters=(
        FilterSpec(
            "authority", "All authorities", "Authority filter", [(a, a) for a in AUTHORITIES]
        ),
        FilterSpec("frequency", "Any frequency", "Frequency filter", choices(FILING_FREQUENCIES)),
    ),
    labels={"frequency": code_label, "due_month": _month_name},
    widths={"name": 240, "code": 150, "authority": 90, "frequency": 100},
    sort="name",
    new_label="Add…",
)


def filing_types_window(ctx: Context, parent: QWidget | None = None) -> ListWindow:
    """The filing types list in a window of its own (Edit → Filing types)."""
    return ListWindow(
        ctx,
        FILING_TYPES,
        "Filing types",
        "The returns the firm files for its clients, with the default due day each "
        "filing's due date is worked out from.",
        parent,
    )
