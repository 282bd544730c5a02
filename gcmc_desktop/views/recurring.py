"""Recurring filings on the kit: the schedules (a client's Recurring tab, and the firm's list
from the Filings page), their form, and "Generate due filings…": a preview of what a run would
create, then the run. The main window also runs the generator at start and every hour."""

from __future__ import annotations

from typing import Any

from ..services.catalog import FILING_FREQUENCIES
from ..services.context import Context
from ..services.recurring import (
    create_recurring,
    delete_recurring,
    generate_due_filings,
    get_recurring,
    recurring_list_query,
    update_recurring,
)
from .filing_fields import OWNER_FIELDS, client_form
from .kit.fields import FieldSpec
from .kit.list_page import DeleteSpec, FilterSpec, ListPage, ListSpec, ListWindow
from .kit.messages import code_label
from .kit.operations import run_operation
from .kit.record_dialog import RecordSpec

Values = dict[str, Any]
NAMED_SCHEDULES = ("monthly", "quarterly", "annual")
SHOWN_IN_PREVIEW = 12


def _schedule_text(value: Any) -> str:
    """A schedule as people read it: "monthly" -> "Monthly"; a cron expression as written."""
    return code_label(value) if str(value or "") in NAMED_SCHEDULES else str(value or "")


def _stored_schedule(values: Values) -> Values:
    """The form's "Monthly" back to the stored "monthly"; cron text untouched."""
    values = dict(values)
    schedule = values.get("schedule")
    if isinstance(schedule, str) and schedule.strip().lower() in NAMED_SCHEDULES:
        values["schedule"] = schedule.strip().lower()
    return values


def _create(ctx: Context, values: Values, client_id: int | None = None) -> Values:
    data = _stored_schedule(values)
    if client_id is not None:
        data["client_id"] = client_id
    return create_recurring(ctx, data)


def _update(ctx: Context, recurring_id: int, values: Values, expected: Any) -> Values:
    data = _stored_schedule(values)
    data.pop("client_id", None)
    return update_recurring(ctx, recurring_id, data, expected)


RECURRING_RECORD = RecordSpec(
    noun="recurring filing",
    entity="recurring_filing",
    fields=(
        *OWNER_FIELDS,
        FieldSpec(
            "schedule",
            "Schedule",
            "suggest",
            required=True,
            choices=[(code_label(s), s) for s in NAMED_SCHEDULES],
            coded=True,
            placeholder="Monthly, Quarterly, Annual, or cron such as 0 0 1 * *",
            default="monthly",
        ),
        FieldSpec(
            "active",
            "Runs",
            "choice",
            choices=(("Active", True), ("Paused", False)),
            default=True,
        ),
        FieldSpec("next_run_at", "Next run", "date"),
    ),
    load=get_recurring,
    create=_create,
    update=_update,
    to_form=client_form,
    min_width=520,
)

RECURRING = ListSpec(
    noun="recurring filing",
    plural="recurring filings",
    module="filings",
    query=lambda ctx, scope: recurring_list_query(ctx, client_id=scope.get("client_id")),
    listens_to=frozenset({"recurring_filing", "filing_type", "client"}),
    record=RECURRING_RECORD,
    delete=DeleteSpec(delete_recurring),
    search_hint="Search client or filing type",
    filters=(
        FilterSpec(
            "active", "Active and paused", "Active filter", (("Active", True), ("Paused", False))
        ),
    ),
    labels={"schedule": _schedule_text, "active": lambda v: "Active" if v else "Paused"},
    widths={"next_run": 110, "client": 240, "type": 220, "schedule": 120},
    sort="next_run",
    new_label="New schedule…",
    hidden=lambda scope: ("client",) if scope.get("client_id") is not None else (),
    name_key="type",
)

assert set(NAMED_SCHEDULES) <= set(FILING_FREQUENCIES)


def recurring_window(page: ListPage) -> ListWindow:
    """The firm's recurring schedules, opened from the Filings page."""
    window = ListWindow(
        page.ctx,
        RECURRING,
        "Recurring filings",
        "Schedules that create a draft filing for each period that has ended. "
        "“Generate due filings…” on the Filings page runs them now; the application also "
        "runs them at start and every hour.",
        page,
    )
    window.open()
    return window


def preview_text(created: list[dict[str, Any]]) -> str:
    lines = [
        f"• {row.get('client_name') or ''}: {row.get('filing_type_code') or ''} "
        f"{row.get('period_label') or ''}"
        for row in created[:SHOWN_IN_PREVIEW]
    ]
    more = len(created) - SHOWN_IN_PREVIEW
    if more > 0:
        lines.append(f"… and {more:,} more")
    noun = "filing" if len(created) == 1 else "filings"
    return f"This creates {len(created):,} draft {noun}:\n" + "\n".join(lines)


def generate_now(page: ListPage) -> None:
    """Preview (a dry run), ask, then run the schedules that are due."""
    page.show_message("")
    page.status.setText("Looking for filings that are due…")

    def previewed(report: Any) -> None:
        page.status.clear()
        if not report.created:
            page.status.setText("No recurring filing is due: nothing to create.")
            return
        if not page.question(page, "Generate due filings", preview_text(report.created)):
            return
        run_operation(
            page.ctx,
            lambda wctx: generate_due_filings(wctx),
            owner=page,
            on_done=lambda done: page.status.setText(
                f"Created {len(done.created):,} draft filing(s)."
            ),
            on_error=lambda error: page.show_message(error.message),
            description="Generating due filings…",
        )

    run_operation(
        page.ctx,
        lambda wctx: generate_due_filings(wctx, dry_run=True),
        owner=page,
        on_done=previewed,
        on_error=lambda error: page.show_message(error.message),
    )
