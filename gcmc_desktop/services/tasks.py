"""Staff tasks (tasks): work for the firm's people, optionally about a client, one of its
service requests or one of its filings (DOMAIN.md §1, §2).

Guard: the `tasks` permissions (FirmAdmin vced + assign, Admin vced, Viewer v). Giving a task
to someone else — or taking it away from someone else — needs `tasks:assign`; anyone who may
create or edit tasks may take one themselves or give back their own. The assignee must be a
member of the firm (`tenant_users`): the service says so on the field, and the database's
reference trigger (migration 0006) refuses another firm's user for any writer.

Links: the client, request and filing must be this firm's, and the request and the filing
must be the client's; a task linked to a request or a filing without a client takes that
record's client.

Status: open → in_progress ⇄ blocked → completed (DOMAIN.md §2, Desktop convention), an
illegal move refused on the Status field naming the moves that are allowed. A new task may
start in any status (work recorded after the fact).

Overdue (DOMAIN.md §2): status open or in_progress and `dueDate` < now. A due date given as
a calendar day (the form's date field, ISO text without a time) means the end of that day
where the user is, stored as UTC like every timestamp: a task due today is not overdue
before the day is over.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import and_, or_, select

from ..models import (
    Client,
    Filing,
    FilingType,
    Service,
    ServiceRequest,
    Task,
    TenantUser,
    User,
    utcnow,
)
from . import crud, records, tenancy
from .catalog import PRIORITIES, TASK_STATUSES
from .context import Context, require
from .errors import PermissionDenied, ValidationError
from .paging import ColumnSpec, PagedQuery, format_date
from .transitions import Transitions, status_label

# DOMAIN.md §2, Desktop convention: open → in_progress ⇄ blocked → completed.
STATUS_TRANSITIONS: dict[str, frozenset[str]] = {
    "open": frozenset({"in_progress"}),
    "in_progress": frozenset({"blocked", "completed"}),
    "blocked": frozenset({"in_progress"}),
    "completed": frozenset(),
}
assert set(STATUS_TRANSITIONS) == set(TASK_STATUSES)
TASK_TRANSITIONS = Transitions("task", STATUS_TRANSITIONS, label=status_label)
# What "overdue" looks at (DOMAIN.md §2).
OVERDUE_STATUSES: tuple[str, ...] = ("open", "in_progress")
DEFAULT_STATUS = "open"

TASK_FIELDS = (
    "client_id",
    "service_request_id",
    "filing_id",
    "title",
    "description",
    "status",
    "priority",
    "due_date",
    "assigned_to_id",
)
TASK_RULES: dict[str, records.FieldRule] = {
    "client_id": records.FieldRule("integer"),
    "service_request_id": records.FieldRule("integer"),
    "filing_id": records.FieldRule("integer"),
    "title": records.TEXT,
    "description": records.FieldRule(max_length=records.NOTES_LENGTH),
    "status": records.FieldRule(max_length=records.CODE_LENGTH),
    "priority": records.FieldRule(max_length=records.CODE_LENGTH),
    "due_date": records.FieldRule("date"),
    "assigned_to_id": records.FieldRule(max_length=records.NUMBER_LENGTH),
}
assert set(TASK_RULES) == set(TASK_FIELDS)

_ISO_DAY = re.compile(r"\s*\d{4}-\d{2}-\d{2}\s*")


# --------------------------------------------------------------------------------------------
# Validation


def end_of_day(value: Any) -> Any:
    """A calendar day (a `date`, or ISO text without a time) as the last second of that day in
    the local time zone (aware, so `records.check_date` stores it as UTC); anything else as
    given."""
    day: date | None = None
    if isinstance(value, date) and not isinstance(value, datetime):
        day = value
    elif isinstance(value, str) and _ISO_DAY.fullmatch(value):
        try:
            day = date.fromisoformat(value.strip())
        except ValueError:
            return value  # check_date words the problem
    if day is None:
        return value
    return datetime.combine(day, time(23, 59, 59)).astimezone()


def is_overdue(status: Any, due: Any, now: datetime | None = None) -> bool:
    """Open or in progress, and due before now (DOMAIN.md §2)."""
    if status not in OVERDUE_STATUSES or due is None:
        return False
    if isinstance(due, datetime):
        due = due if due.tzinfo is None else due.astimezone(UTC).replace(tzinfo=None)
    elif isinstance(due, date):
        due = datetime.combine(due, time.min)
    return bool(due < (now or utcnow()))


def _vocabulary_error(values: tuple[str, ...]) -> str:
    return "Choose one of: " + ", ".join(status_label(v) for v in values) + "."


def validate_task(data: dict[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """Clean and check task fields (types, lengths, the vocabularies); raises ValidationError
    with a message per field. Checks that need the database come later (`_check`)."""
    data = dict(data)
    if "due_date" in data:
        data["due_date"] = end_of_day(data["due_date"])
    errors: dict[str, str] = {}
    cleaned = records.clean_fields(data, TASK_RULES, "task", errors=errors)
    if (not partial or "title" in cleaned) and not cleaned.get("title") and "title" not in errors:
        errors["title"] = "Enter what is to be done."
    status = cleaned.get("status")
    if "status" in cleaned and status is None and partial:
        errors["status"] = "Choose the task's status."
    elif status is not None and status not in TASK_STATUSES:
        errors["status"] = _vocabulary_error(TASK_STATUSES)
    priority = cleaned.get("priority")
    if priority is not None and priority not in PRIORITIES:
        errors["priority"] = _vocabulary_error(PRIORITIES)
    if errors:
        raise ValidationError(field_errors=errors)
    return cleaned


# --------------------------------------------------------------------------------------------
# Checks against the database


def is_member(ctx: Context, user_id: str) -> bool:
    """Whether `user_id` belongs to the signed-in firm."""
    found = ctx.session.scalar(
        select(TenantUser.id).where(
            TenantUser.tenant_id == ctx.tenant_id, TenantUser.user_id == user_id
        )
    )
    return found is not None


def check_assignee(ctx: Context, old: str | None, new: str | None) -> None:
    """Giving a task to someone else, or taking it from someone else, needs tasks:assign; the
    assignee must be a member of the firm."""
    if new == old:
        return
    taking_or_returning = new == ctx.user_id or (new is None and old == ctx.user_id)
    if not taking_or_returning and not ctx.can("tasks", "assign"):
        raise PermissionDenied(
            f"Your role ({ctx.role_name}) may assign tasks only to yourself: "
            "assigning them to others needs the permission to assign tasks."
        )
    if new is not None and not is_member(ctx, new):
        raise ValidationError(field_errors={"assigned_to_id": "Choose a member of this firm."})


def check_links(ctx: Context, values: dict[str, Any], current: Mapping[str, Any]) -> None:
    """The client, request and filing (`values` over what is `current`) of this firm and of one
    client; fills in the client from a linked request or filing when none is given."""
    merged = {**current, **values}
    client_id = merged.get("client_id")
    if (
        client_id is not None
        and "client_id" in values
        and ctx.session.scalar(select(Client.id).where(Client.id == client_id)) is None
    ):
        raise ValidationError(field_errors={"client_id": "The selected client does not exist."})
    links = (
        ("service_request_id", ServiceRequest, "service request"),
        ("filing_id", Filing, "filing"),
    )
    for key, model, noun in links:
        ident = merged.get(key)
        if ident is None or not ({key, "client_id"} & set(values)):
            continue
        owner = ctx.session.scalar(select(model.client_id).where(model.id == ident))
        if owner is None:
            raise ValidationError(field_errors={key: f"The selected {noun} does not exist."})
        if client_id is None:
            client_id = values["client_id"] = owner
        elif owner != client_id:
            raise ValidationError(field_errors={key: f"Choose one of this client's {noun}s."})


def _check_create(ctx: Context, values: dict[str, Any]) -> None:
    if values.get("status") is None:
        values["status"] = DEFAULT_STATUS
    check_assignee(ctx, None, values.get("assigned_to_id"))
    check_links(ctx, values, {})


def _check_update(ctx: Context, task_id: Any, values: dict[str, Any]) -> None:
    try:
        task = records.get(ctx, Task, task_id)
        if "status" in values:
            TASK_TRANSITIONS.check(task.status, values["status"])
        if "assigned_to_id" in values:
            check_assignee(ctx, task.assigned_to_id, values["assigned_to_id"])
        check_links(ctx, values, records.snapshot(task))
    except BaseException:
        ctx.session.rollback()
        raise


TASKS = crud.Entity(
    Task, "tasks", validate_task, check_create=_check_create, check_update=_check_update
)


# --------------------------------------------------------------------------------------------
# Reading and writing


def task_values(ctx: Context, task: Task) -> dict[str, Any]:
    """A task as plain data, with the names its pickers show (client, assignee) and whether it
    is overdue."""
    values = records.snapshot(task)
    values["client_name"] = (
        ctx.session.scalar(select(Client.name).where(Client.id == task.client_id))
        if task.client_id is not None
        else None
    )
    values["assignee_name"] = (
        ctx.session.scalar(select(User.name).where(User.id == task.assigned_to_id))
        if task.assigned_to_id is not None
        else None
    )
    values["overdue"] = is_overdue(task.status, task.due_date)
    return values


def get_task(ctx: Context, task_id: int) -> dict[str, Any]:
    require(ctx, "tasks", "view")
    return task_values(ctx, records.get(ctx, Task, task_id))


def create_task(ctx: Context, data: Mapping[str, Any]) -> crud.Record:
    """A new task (status `open` unless given). Assigning it to someone other than yourself
    needs tasks:assign."""
    return TASKS.create(ctx, data)


def update_task(
    ctx: Context, task_id: int, changes: Mapping[str, Any], expected_updated_at: datetime | None
) -> crud.Record:
    """Edit a task; a status change follows STATUS_TRANSITIONS. Someone else's save since
    `expected_updated_at` raises ConflictError with the current values."""
    return TASKS.update(ctx, task_id, changes, expected_updated_at)


def change_status(
    ctx: Context, task_id: int, status: str, expected_updated_at: datetime | None
) -> crud.Record:
    return update_task(ctx, task_id, {"status": status}, expected_updated_at)


def assign_task(
    ctx: Context, task_id: int, user_id: str | None, expected_updated_at: datetime | None
) -> crud.Record:
    return update_task(ctx, task_id, {"assigned_to_id": user_id}, expected_updated_at)


def delete_task(ctx: Context, task_id: int) -> None:
    TASKS.delete(ctx, task_id)


# --------------------------------------------------------------------------------------------
# Choices for pickers and filters


def member_choices(ctx: Context, _known: Any = None) -> list[tuple[str, str]]:
    """(name, user id) of the firm's members, by name: whom a task can be assigned to."""
    require(ctx, "tasks", "view")
    return tenancy.member_choices(ctx.session, ctx.tenant_id)


CHOICES_LIMIT = 200


def filing_choices(ctx: Context, client_id: int | None) -> list[tuple[str, int]]:
    """("VAT return – January 2024", id) of a client's filings, latest period first; none
    before a client is chosen or without filings:view."""
    if client_id is None or not ctx.can("filings", "view"):
        return []
    rows = ctx.session.execute(
        select(FilingType.name, Filing.period_label, Filing.id)
        .join(FilingType, FilingType.id == Filing.filing_type_id)
        .where(Filing.client_id == client_id)
        .order_by(Filing.period_end.desc(), Filing.id.desc())
        .limit(CHOICES_LIMIT)
    ).all()
    return [(f"{name} – {label}" if label else name, ident) for name, label, ident in rows]


def request_choices(ctx: Context, client_id: int | None) -> list[tuple[str, int]]:
    """("Company incorporation – In progress", id) of a client's service requests, newest
    first; none before a client is chosen or without services:view."""
    if client_id is None or not ctx.can("services", "view"):
        return []
    rows = ctx.session.execute(
        select(Service.name, ServiceRequest.status, ServiceRequest.created_at, ServiceRequest.id)
        .join(Service, Service.id == ServiceRequest.service_id)
        .where(ServiceRequest.client_id == client_id)
        .order_by(ServiceRequest.created_at.desc(), ServiceRequest.id.desc())
        .limit(CHOICES_LIMIT)
    ).all()
    return [
        (f"{name} – {status_label(status)} ({format_date(created)})", ident)
        for name, status, created, ident in rows
    ]


def task_client_choices(ctx: Context) -> list[tuple[str, int]]:
    """(name, id) of the clients that have tasks, by name: the Team list's client filter."""
    require(ctx, "tasks", "view")
    rows = ctx.session.execute(
        select(Client.name, Client.id)
        .where(Client.id.in_(select(Task.client_id).where(Task.client_id.is_not(None))))
        .order_by(Client.name, Client.id)
        .limit(CHOICES_LIMIT)
    ).all()
    return [(name, ident) for name, ident in rows]


# --------------------------------------------------------------------------------------------
# The tasks list


TASK_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("due", "Due", Task.due_date, formatter=format_date, nullable=True),
    ColumnSpec("title", "Task", Task.title),
    ColumnSpec("client", "Client", Client.name, sortable=False, nullable=True),
    ColumnSpec("assignee", "Assigned to", User.name, sortable=False, nullable=True),
    ColumnSpec("priority", "Priority", Task.priority, sortable=False, formatter=status_label),
    ColumnSpec("status", "Status", Task.status, sortable=False, formatter=status_label),
)
TASK_FILTERS = {
    "status": Task.status,
    "priority": Task.priority,
    "assigned_to_id": Task.assigned_to_id,
    "client_id": Task.client_id,
    "service_request_id": Task.service_request_id,
    "filing_id": Task.filing_id,
}
OVERDUE = "overdue"
SEARCH_COLUMNS = (Task.title, Client.name)


def _overdue(value: Any) -> Any:
    """True: open or in progress and due before now; False: the others."""
    late = and_(Task.status.in_(OVERDUE_STATUSES), Task.due_date < utcnow())
    if value:
        return late
    return or_(
        ~Task.status.in_(OVERDUE_STATUSES), Task.due_date.is_(None), Task.due_date >= utcnow()
    )


def task_list_query(
    ctx: Context, *, mine: bool = False, client_id: int | None = None
) -> PagedQuery:
    """The firm's tasks ("Team"), or only the signed-in user's (`mine`: "My tasks"), or one
    client's; by due date. Filters: `status`, `priority`, `assigned_to_id`, `client_id`,
    `service_request_id`, `filing_id` (equality, or any of a list), `overdue` (True / False).
    Search over the title and the client's name."""
    require(ctx, "tasks", "view")
    base = (
        select(Task)
        .outerjoin(Client, Client.id == Task.client_id)
        .outerjoin(User, User.id == Task.assigned_to_id)
        .where(Task.tenant_id == ctx.tenant_id)
    )
    if mine:
        base = base.where(Task.assigned_to_id == ctx.user_id)
    if client_id is not None:
        base = base.where(Task.client_id == client_id)
    return PagedQuery(
        base,
        TASK_COLUMNS,
        search_columns=SEARCH_COLUMNS,
        filter_columns=TASK_FILTERS,
        filter_predicates={OVERDUE: _overdue},
        id_column=Task.id,
        sort_key="due",
    )


__all__ = [
    "OVERDUE",
    "STATUS_TRANSITIONS",
    "TASK_COLUMNS",
    "TASK_TRANSITIONS",
    "assign_task",
    "change_status",
    "create_task",
    "delete_task",
    "end_of_day",
    "filing_choices",
    "get_task",
    "is_overdue",
    "member_choices",
    "request_choices",
    "task_client_choices",
    "task_list_query",
    "update_task",
    "validate_task",
]
