"""Client tasks on the kit: what a client must do for the firm (bring documents, sign forms),
listed in the client's workspace beside the staff's tasks, with their form. Overdue rows —
pending or in progress, due date past — are tinted as overdue tasks are."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSplitter, QVBoxLayout, QWidget

from ..services.catalog import CLIENT_TASK_STATUSES
from ..services.client_tasks import (
    client_request_choices,
    client_task_list_query,
    create_client_task,
    delete_client_task,
    get_client_task,
    is_overdue,
    update_client_task,
)
from ..services.context import Context
from .filings import FILING_TINTS
from .kit.fields import FieldSpec, choices
from .kit.list_page import DeleteSpec, FilterSpec, ListPage, ListSpec
from .kit.messages import code_label
from .kit.record_dialog import RecordSpec
from .tasks import CLIENT_STAFF_TASKS, OVERDUE_TINT, DueDateField, local_day

Values = dict[str, Any]


def _form(values: Values) -> Values:
    form = dict(values)
    form["due_date"] = local_day(values.get("due_date"))
    return form


def _create(ctx: Context, values: Values, client_id: int | None = None, **_scope: Any) -> Values:
    data = dict(values)
    if client_id is not None:
        data["client_id"] = client_id
    return create_client_task(ctx, data)


def _update(ctx: Context, task_id: int, values: Values, expected: Any) -> Values:
    return update_client_task(ctx, task_id, values, expected)


CLIENT_TASK_RECORD = RecordSpec(
    noun="client task",
    entity="client_task",
    fields=(
        FieldSpec(
            "title",
            "What the client is to do",
            required=True,
            placeholder="e.g. Bring the signed engagement letter",
        ),
        FieldSpec("due_date", "Due", "custom", editor=DueDateField),
        FieldSpec(
            "status", "Status", "choice", choices=choices(CLIENT_TASK_STATUSES), default="pending"
        ),
        FieldSpec(
            "service_request_id",
            "Service request",
            "choice",
            blank="(none)",
            load=client_request_choices,
        ),
        FieldSpec("description", "Details", "text", height=72),
    ),
    load=get_client_task,
    create=_create,
    update=_update,
    to_form=_form,
    min_width=520,
)


def client_task_state(values: Any) -> str | None:
    return OVERDUE_TINT if is_overdue(values.get("status"), values.get("due")) else None


CLIENT_TASKS = ListSpec(
    noun="client task",
    plural="client tasks",
    module="tasks",
    query=lambda ctx, scope: client_task_list_query(
        ctx,
        client_id=scope.get("client_id"),
        service_request_id=scope.get("service_request_id"),
    ),
    listens_to=frozenset({"client_task", "service_request", "client"}),
    record=CLIENT_TASK_RECORD,
    delete=DeleteSpec(delete_client_task),
    search_hint="Search what the client is to do",
    filters=(FilterSpec("status", "Any status", "Status filter", choices(CLIENT_TASK_STATUSES)),),
    labels={"status": code_label},
    widths={"due": 100, "title": 340, "client": 200, "request": 200, "status": 90},
    sort="due",
    new_label="New client task…",
    hidden=lambda scope: ("client",) if scope.get("client_id") is not None else (),
    tint=client_task_state,
    tints={OVERDUE_TINT: FILING_TINTS["overdue"]},
    tint_labels={OVERDUE_TINT: "Overdue: still to do, and past its due date"},
    name_key="title",
    state_key="client_tasks/header",
)


def _heading(text: str) -> QLabel:
    label = QLabel(text)
    label.setContentsMargins(9, 0, 0, 0)  # in line with the lists' own margins
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    return label


class ClientTasksTab(QWidget):
    """A client's Tasks tab: the staff's tasks about the client above, what the client is to do
    below; each list refreshes itself."""

    def __init__(self, ctx: Context, client_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.staff = ListPage(ctx, CLIENT_STAFF_TASKS, client_id=client_id)
        self.client = ListPage(ctx, CLIENT_TASKS, client_id=client_id)
        splitter = QSplitter(Qt.Orientation.Vertical)
        for title, page in (
            ("Our tasks for this client", self.staff),
            ("What the client is to do", self.client),
        ):
            box = QWidget()
            layout = QVBoxLayout(box)
            layout.setContentsMargins(0, 4, 0, 0)
            layout.addWidget(_heading(title))
            layout.addWidget(page, 1)
            splitter.addWidget(box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

    def refresh(self) -> None:
        self.staff.refresh()
        self.client.refresh()
