"""Client tasks (client_tasks): what a client must do for the firm — bring documents, sign
forms — per client and optionally per one of its service requests (DOMAIN.md §2).

Guard: the `tasks` permissions. DOMAIN.md §1 names no module for client tasks; the database
already guards `client_tasks` with `tasks` (migration 0006), and the people who plan the
firm's work (FirmAdmin, Admin) are the ones who hold it. `clients:edit` would let every
compliance officer write rows the database then refuses.

Status: pending, in_progress, completed, cancelled — any move (the platform and DOMAIN.md set
no lifecycle; a client's portal may complete or reopen one). `completedAt` is set when a task
becomes completed and cleared when it is reopened (DOMAIN.md §2: the portal sets it on
completion). A due date given as a calendar day means the end of that day (as staff tasks).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select

from ..models import Client, ClientTask, Service, ServiceRequest, utcnow
from . import crud, records
from .catalog import CLIENT_TASK_STATUSES
from .context import Context, require
from .errors import ValidationError
from .paging import ColumnSpec, PagedQuery, format_date
from .tasks import end_of_day, request_choices
from .tasks import is_overdue as _task_overdue
from .transitions import status_label

DEFAULT_STATUS = "pending"
COMPLETED = "completed"
OVERDUE_STATUSES: tuple[str, ...] = ("pending", "in_progress")

CLIENT_TASK_FIELDS = (
    "client_id",
    "service_request_id",
    "title",
    "description",
    "status",
    "due_date",
)
CLIENT_TASK_RULES: dict[str, records.FieldRule] = {
    "client_id": records.FieldRule("integer"),
    "service_request_id": records.FieldRule("integer"),
    "title": records.TEXT,
    "description": records.FieldRule(max_length=records.NOTES_LENGTH),
    "status": records.FieldRule(max_length=records.CODE_LENGTH),
    "due_date": records.FieldRule("date"),
}
assert set(CLIENT_TASK_RULES) == set(CLIENT_TASK_FIELDS)


def validate_client_task(data: dict[str, Any], *, partial: bool = False) -> dict[str, Any]:
    data = dict(data)
    if "due_date" in data:
        data["due_date"] = end_of_day(data["due_date"])
    errors: dict[str, str] = {}
    cleaned = records.clean_fields(data, CLIENT_TASK_RULES, "client task", errors=errors)
    if (not partial or "title" in cleaned) and not cleaned.get("title") and "title" not in errors:
        errors["title"] = "Enter what the client is to do."
    if not partial and cleaned.get("client_id") is None and "client_id" not in errors:
        errors["client_id"] = "Choose the client."
    status = cleaned.get("status")
    if "status" in cleaned and status is None and partial:
        errors["status"] = "Choose the task's status."
    elif status is not None and status not in CLIENT_TASK_STATUSES:
        errors["status"] = (
            "Choose one of: " + ", ".join(status_label(s) for s in CLIENT_TASK_STATUSES) + "."
        )
    if errors:
        raise ValidationError(field_errors=errors)
    return cleaned


def _check_links(ctx: Context, values: dict[str, Any], current: Mapping[str, Any]) -> None:
    merged = {**current, **values}
    if "client_id" in values:
        found = ctx.session.scalar(select(Client.id).where(Client.id == merged["client_id"]))
        if found is None:
            raise ValidationError(field_errors={"client_id": "The selected client does not exist."})
    request = merged.get("service_request_id")
    if request is not None and {"client_id", "service_request_id"} & set(values):
        owner = ctx.session.scalar(
            select(ServiceRequest.client_id).where(ServiceRequest.id == request)
        )
        if owner is None:
            raise ValidationError(
                field_errors={"service_request_id": "The selected service request does not exist."}
            )
        if owner != merged.get("client_id"):
            raise ValidationError(
                field_errors={"service_request_id": "Choose one of this client's service requests."}
            )


def _completion(values: dict[str, Any], old_status: str | None) -> None:
    """completedAt follows the status: set on becoming completed, cleared on leaving it."""
    new = values.get("status", old_status)
    if new == COMPLETED and old_status != COMPLETED:
        values["completed_at"] = utcnow()
    elif new != COMPLETED and old_status == COMPLETED:
        values["completed_at"] = None


def _check_create(ctx: Context, values: dict[str, Any]) -> None:
    if values.get("status") is None:
        values["status"] = DEFAULT_STATUS
    _check_links(ctx, values, {})
    _completion(values, None)


def _check_update(ctx: Context, task_id: Any, values: dict[str, Any]) -> None:
    try:
        task = records.get(ctx, ClientTask, task_id)
        _check_links(ctx, values, records.snapshot(task))
        _completion(values, task.status)
    except BaseException:
        ctx.session.rollback()
        raise


CLIENT_TASKS = crud.Entity(
    ClientTask,
    "tasks",
    validate_client_task,
    check_create=_check_create,
    check_update=_check_update,
)


def get_client_task(ctx: Context, task_id: int) -> crud.Record:
    return CLIENT_TASKS.get(ctx, task_id)


def create_client_task(ctx: Context, data: Mapping[str, Any]) -> crud.Record:
    return CLIENT_TASKS.create(ctx, data)


def update_client_task(
    ctx: Context, task_id: int, changes: Mapping[str, Any], expected_updated_at: datetime | None
) -> crud.Record:
    return CLIENT_TASKS.update(ctx, task_id, changes, expected_updated_at)


def delete_client_task(ctx: Context, task_id: int) -> None:
    CLIENT_TASKS.delete(ctx, task_id)


def client_request_choices(ctx: Context, known: Mapping[str, Any]) -> list[tuple[str, int]]:
    """The service requests of the client a form is about (its scope or its client field)."""
    return request_choices(ctx, known.get("client_id"))


CLIENT_TASK_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("due", "Due", ClientTask.due_date, formatter=format_date, nullable=True),
    ColumnSpec("title", "What the client is to do", ClientTask.title),
    ColumnSpec("client", "Client", Client.name, sortable=False, nullable=True),
    ColumnSpec("request", "Service request", Service.name, sortable=False, nullable=True),
    ColumnSpec("status", "Status", ClientTask.status, sortable=False, formatter=status_label),
    ColumnSpec(
        "completed", "Completed", ClientTask.completed_at, sortable=False, formatter=format_date
    ),
)
CLIENT_TASK_FILTERS = {
    "status": ClientTask.status,
    "client_id": ClientTask.client_id,
    "service_request_id": ClientTask.service_request_id,
}


def client_task_list_query(
    ctx: Context, client_id: int | None = None, service_request_id: int | None = None
) -> PagedQuery:
    """The firm's client tasks, or one client's (or one request's), by due date. Filters:
    `status`, `client_id`, `service_request_id`; search over the title."""
    require(ctx, "tasks", "view")
    base = (
        select(ClientTask)
        .outerjoin(Client, Client.id == ClientTask.client_id)
        .outerjoin(ServiceRequest, ServiceRequest.id == ClientTask.service_request_id)
        .outerjoin(Service, Service.id == ServiceRequest.service_id)
        .where(ClientTask.tenant_id == ctx.tenant_id)
    )
    if client_id is not None:
        base = base.where(ClientTask.client_id == client_id)
    if service_request_id is not None:
        base = base.where(ClientTask.service_request_id == service_request_id)
    return PagedQuery(
        base,
        CLIENT_TASK_COLUMNS,
        search_columns=(ClientTask.title, Client.name),
        filter_columns=CLIENT_TASK_FILTERS,
        id_column=ClientTask.id,
        sort_key="due",
    )


def is_overdue(status: Any, due: Any) -> bool:
    """Still to do (pending, in progress) and due before now."""
    return status in OVERDUE_STATUSES and _task_overdue("open", due)


__all__ = [
    "CLIENT_TASK_COLUMNS",
    "client_request_choices",
    "client_task_list_query",
    "create_client_task",
    "delete_client_task",
    "get_client_task",
    "is_overdue",
    "update_client_task",
    "validate_client_task",
]
