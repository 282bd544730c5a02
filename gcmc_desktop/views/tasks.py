"""Staff tasks on the kit: the Tasks section ("My tasks" and "Team", one tab each), a client's
tasks in its workspace, and the task form (assignee picked by name, the client found as you
type, one of its service requests and filings). Overdue rows — open or in progress, due date
past — are tinted as overdue filings are."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTabWidget, QWidget

from ..services.catalog import PRIORITIES, TASK_STATUSES
from ..services.client_list import find_clients
from ..services.context import Context
from ..services.tasks import (
    OVERDUE,
    create_task,
    delete_task,
    filing_choices,
    get_task,
    is_overdue,
    member_choices,
    request_choices,
    task_client_choices,
    task_list_query,
    update_task,
)
from .date_field import InvalidDate, OptionalDateField
from .filing_fields import client_form
from .filings import FILING_TINTS
from .kit.fields import FieldSpec, choices
from .kit.list_page import DeleteSpec, FilterSpec, ListPage, ListSpec
from .kit.messages import code_label
from .kit.record_dialog import RecordSpec

Values = dict[str, Any]
OVERDUE_TINT = "overdue"
TASK_TINT_LABELS = {OVERDUE_TINT: "Overdue: open or in progress, and past its due date"}


def local_day(value: Any) -> date | None:
    """A stored (naive UTC) timestamp as the calendar day it is where the user is."""
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone().date()
    return value


class DueDateField(OptionalDateField):
    """The typeable date field as a form editor: a date, None when empty, or the text itself
    when it is not a date (the service then says so under the field: never dropped)."""

    def __init__(self) -> None:
        super().__init__()
        # Tab goes from the date to the next field; the calendar stays a click away.
        self.calendar_button.setFocusPolicy(Qt.FocusPolicy.ClickFocus)

    def value(self) -> Any:
        try:
            return self.date()
        except InvalidDate:
            return self.text()

    def set_value(self, value: Any) -> None:
        self.setDate(local_day(value) if isinstance(value, date) else None)

    def focus_order(self) -> list[QWidget]:
        return [self.edit]


def _task_form(values: Values) -> Values:
    form = client_form(values)
    form["due_date"] = local_day(values.get("due_date"))
    return form


def _create(ctx: Context, values: Values, client_id: int | None = None, **_scope: Any) -> Values:
    data = dict(values)
    if client_id is not None:
        data["client_id"] = client_id
    return create_task(ctx, data)


def _update(ctx: Context, task_id: int, values: Values, expected: Any) -> Values:
    return update_task(ctx, task_id, values, expected)


def _requests(ctx: Context, known: Any) -> list[tuple[str, int]]:
    return request_choices(ctx, known.get("client_id"))


def _filings(ctx: Context, known: Any) -> list[tuple[str, int]]:
    return filing_choices(ctx, known.get("client_id"))


def _defaults(ctx: Context, _scope: Any) -> Values:
    """A new task is the signed-in user's until given to someone else."""
    return {"assigned_to_id": ctx.user_id}


TASK_RECORD = RecordSpec(
    noun="task",
    entity="task",
    fields=(
        FieldSpec("title", "Task", required=True, placeholder="What is to be done"),
        FieldSpec(
            "assigned_to_id",
            "Assigned to",
            "choice",
            blank="(nobody yet)",
            load=member_choices,
        ),
        FieldSpec("due_date", "Due", "custom", editor=DueDateField),
        FieldSpec("priority", "Priority", "choice", choices=choices(PRIORITIES), default="medium"),
        FieldSpec("status", "Status", "choice", choices=choices(TASK_STATUSES), default="open"),
        FieldSpec(
            "client_id",
            "Client",
            "lookup",
            lookup=find_clients,
            placeholder="Type a client's name, TIN or NIS number (optional)",
            scoped=True,
        ),
        FieldSpec(
            "service_request_id",
            "Service request",
            "choice",
            blank="(none)",
            load=_requests,
            depends_on=("client_id",),
        ),
        FieldSpec(
            "filing_id",
            "Filing",
            "choice",
            blank="(none)",
            load=_filings,
            depends_on=("client_id",),
        ),
        FieldSpec("description", "Details", "text", height=72),
    ),
    load=get_task,
    create=_create,
    update=_update,
    to_form=_task_form,
    defaults=_defaults,
    min_width=540,
)


def task_state(values: Any) -> str | None:
    """Which highlight a row of a tasks list gets."""
    return OVERDUE_TINT if is_overdue(values.get("status"), values.get("due")) else None


def _query(ctx: Context, scope: Any) -> Any:
    return task_list_query(ctx, mine=bool(scope.get("mine")), client_id=scope.get("client_id"))


def _hidden(scope: Any) -> tuple[str, ...]:
    hidden: list[str] = []
    if scope.get("mine"):
        hidden.append("assignee")
    if scope.get("client_id") is not None:
        hidden.append("client")
    return tuple(hidden)


STATUS_FILTER = FilterSpec("status", "Any status", "Status filter", choices(TASK_STATUSES))
PRIORITY_FILTER = FilterSpec("priority", "Any priority", "Priority filter", choices(PRIORITIES))
ASSIGNEE_FILTER = FilterSpec(
    "assigned_to_id", "Anyone", "Assignee filter", load=lambda ctx: member_choices(ctx)
)
CLIENT_FILTER = FilterSpec("client_id", "Any client", "Client filter", load=task_client_choices)
DUE_FILTER = FilterSpec(
    "due",
    "Any due date",
    "Due date filter",
    (("Overdue", {OVERDUE: True}), ("Not overdue", {OVERDUE: False})),
)

TEAM_TASKS = ListSpec(
    noun="task",
    plural="tasks",
    module="tasks",
    query=_query,
    listens_to=frozenset({"task", "client", "filing", "service_request", "tenant_user", "user"}),
    record=TASK_RECORD,
    delete=DeleteSpec(delete_task),
    search_hint="Search task or client  (Ctrl+F)",
    filters=(STATUS_FILTER, PRIORITY_FILTER, ASSIGNEE_FILTER, CLIENT_FILTER, DUE_FILTER),
    labels={"priority": code_label, "status": code_label},
    widths={"due": 100, "title": 320, "client": 200, "assignee": 160, "priority": 80},
    sort="due",
    new_label="New task…",
    hidden=_hidden,
    tint=task_state,
    tints={OVERDUE_TINT: FILING_TINTS["overdue"]},
    tint_labels=TASK_TINT_LABELS,
    name_key="title",
    state_key="tasks/header",
)
MY_TASKS = replace(TEAM_TASKS, filters=(STATUS_FILTER, PRIORITY_FILTER, CLIENT_FILTER, DUE_FILTER))
# A client's tasks (its workspace): the client is given.
CLIENT_STAFF_TASKS = replace(
    TEAM_TASKS, filters=(STATUS_FILTER, PRIORITY_FILTER, ASSIGNEE_FILTER, DUE_FILTER)
)


class TasksPage(QTabWidget):
    """The Tasks section: "My tasks" (assigned to the signed-in user) and "Team" (all the
    firm's). Find and New act on the tab in front."""

    def __init__(self, ctx: Context, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.mine = ListPage(ctx, MY_TASKS, mine=True)
        self.team = ListPage(ctx, TEAM_TASKS)
        self.addTab(self.mine, "My tasks")
        self.addTab(self.team, "Team")
        self.setDocumentMode(True)

    def current(self) -> ListPage:
        page = self.currentWidget()
        assert isinstance(page, ListPage)
        return page

    def focus_search(self) -> None:
        self.current().focus_search()

    def show_filtered(self, filters: Any, label: str = "") -> None:
        """My tasks, narrowed to `filters` (the dashboard's "My open tasks")."""
        self.setCurrentWidget(self.mine)
        self.mine.show_filtered(filters, label)

    def new_record(self) -> Any:
        return self.current().new_record()

    def refresh(self) -> None:
        self.mine.refresh()
        self.team.refresh()
