"""The deadlines calendar (issue 12): how many open filings fall due on each day, across the
firm, narrowed by authority and assignee; and the agenda list of a day's (or a month's) filings.

"Due" is the filing's real due date (`desktop_filing_due_dates`, see services/filings.py) and
"open" is `OPEN_STATUSES` (draft, prepared, rejected, overdue): what is still to be filed. A day
in the past with open filings is overdue in the desktop's sense (not the platform's periodEnd
test).

Assignee. Filings have no assignee column (platform_schema.json); the platform's only link
between a person and a filing is a staff task on it (`tasks.filingId`, `tasks.assignedToId`).
A filing's assignees here are therefore the people assigned to its tasks that are not
completed. Reading tasks needs `tasks:view` (the database's row-level security says the same):
without it the assignee filter is refused, and the calendar does not offer it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, any_, exists, func, select
from sqlalchemy.orm import Session

from ..models import Client, ClientBusiness, Filing, FilingType, Task, Tenant
from . import tenancy
from .catalog import AUTHORITIES
from .catalog.vocabularies import AUTHORITY_NAMES
from .context import Context, require
from .errors import ValidationError
from .filings import DUE, OPEN_STATUSES, filing_list_query
from .paging import PagedQuery

# A task still being worked on: its assignee is answerable for the filing.
OPEN_TASK_STATUSES: tuple[str, ...] = ("open", "in_progress", "blocked")
# The agenda's filters beyond the filings list's own (`status`, `authority`, `due` = one day).
ASSIGNEE = "assignee_id"
DUE_BETWEEN = "due_between"
# At most this many days in one counts query (a calendar shows six weeks).
MAX_RANGE_DAYS = 400

AUTHORITY_CHOICES: tuple[tuple[str, str], ...] = tuple(
    (f"{AUTHORITY_NAMES.get(code, code)} ({code})", code) for code in AUTHORITIES
)


def authority_label(code: str | None) -> str:
    """An authority as people read it: its name, the code in brackets."""
    if not code:
        return ""
    name = AUTHORITY_NAMES.get(code)
    return f"{name} ({code})" if name else code


def calendar_range(year: int, month: int) -> tuple[date, date]:
    """Every day a month's calendar page can show: the week before the 1st to six weeks
    after it (the grid's leading and trailing days of the neighbouring months included)."""
    first = date(year, month, 1)
    return first - timedelta(days=7), first + timedelta(days=41)


def _assigned_to(user_id: Any) -> Any:
    """Filings with a task not yet completed that is assigned to `user_id`."""
    return exists(
        select(Task.id).where(
            Task.filing_id == Filing.id,
            Task.assigned_to_id == str(user_id),
            Task.status.in_(OPEN_TASK_STATUSES),
        )
    )


def _check_range(first: date, last: date) -> None:
    if last < first:
        raise ValidationError("The last day comes before the first.")
    if (last - first).days > MAX_RANGE_DAYS:
        raise ValidationError(f"Choose at most {MAX_RANGE_DAYS} days at a time.")


def due_counts(
    ctx: Context,
    first: date,
    last: date,
    *,
    authority: str | None = None,
    assignee_id: str | None = None,
) -> dict[date, int]:
    """{due day: number of open filings due that day} for `first`..`last` (both included); days
    without any are left out. One grouped query over the due dates' (tenantId, dueDate) index.
    `authority`: a filing type authority code; `assignee_id`: a user id (needs tasks:view)."""
    require(ctx, "filings", "view")
    if assignee_id is not None:
        require(ctx, "tasks", "view")
    _check_range(first, last)
    day = DUE.c.dueDate
    in_range = and_(DUE.c.tenantId == ctx.tenant_id, day >= first, day <= last)
    # The filings are read by primary key, `id = ANY(ARRAY(due rows in the range))`: a join
    # lets PostgreSQL hash every open filing of the firm (~0.5 s at a million filings), or,
    # as a nested loop, evaluate the row-level security's tenant check once per row; this
    # form reads the range's index entries, then exactly their filings (~75 ms).
    range_ids = func.array(select(DUE.c.filingId).where(in_range).scalar_subquery())
    open_ids = select(Filing.id).where(
        Filing.id == any_(range_ids),
        Filing.tenant_id == ctx.tenant_id,
        Filing.status.in_(OPEN_STATUSES),
    )
    if authority is not None:
        open_ids = open_ids.where(
            Filing.filing_type_id.in_(
                select(FilingType.id).where(
                    FilingType.tenant_id == ctx.tenant_id, FilingType.authority == authority
                )
            )
        )
    if assignee_id is not None:
        open_ids = open_ids.where(_assigned_to(assignee_id))
    stmt = select(day, func.count()).where(in_range, DUE.c.filingId.in_(open_ids)).group_by(day)
    return {row[0]: int(row[1]) for row in ctx.session.execute(stmt)}


def assignee_choices(ctx: Context) -> list[tuple[str, str]]:
    """(name, user id) of the firm's members, by name: whom the agenda can be narrowed to."""
    require(ctx, "tasks", "view")
    return tenancy.member_choices(ctx.session, ctx.tenant_id)


def _due_between(value: Any) -> Any:
    first, last = value
    return and_(DUE.c.dueDate >= first, DUE.c.dueDate <= last)


def agenda_query(ctx: Context, filters: Mapping[str, Any] | None = None) -> PagedQuery:
    """The filings list (services.filings) for the calendar's agenda: open filings by due date,
    with the extra filters `due_between` ((first, last)) and `assignee_id` (a user id, needs
    tasks:view); the list's own `due` (one day) and `authority` narrow it further."""
    require(ctx, "filings", "view")

    def assigned(user_id: Any) -> Any:
        require(ctx, "tasks", "view")
        return _assigned_to(user_id)

    query = filing_list_query(ctx).with_predicates({ASSIGNEE: assigned, DUE_BETWEEN: _due_between})
    query.set_filter("status", list(OPEN_STATUSES))
    for key, value in (filters or {}).items():
        query.set_filter(key, value)
    return query


__all__ = [
    "ASSIGNEE",
    "AUTHORITY_CHOICES",
    "DUE_BETWEEN",
    "OPEN_TASK_STATUSES",
    "agenda_query",
    "assignee_choices",
    "authority_label",
    "calendar_range",
    "due_counts",
]


# The columns of `gcmc filings list` (an administrator's report across firms).
DUE_REPORT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("firm", "Firm"),
    ("client", "Client"),
    ("business", "Business"),
    ("filing_type", "Filing type"),
    ("authority", "Authority"),
    ("period", "Period"),
    ("due_date", "Due date"),
    ("days_left", "Days left"),
    ("status", "Status"),
    ("reference", "Reference"),
)


def due_filings(
    session: Session,
    *,
    within_days: int = 30,
    overdue: bool = False,
    tenant_id: int | None = None,
    today: date | None = None,
) -> list[dict[str, Any]]:
    """The open filings due from today to today + `within_days` (with `overdue`: also those
    whose due date has passed), soonest first, as plain rows (`DUE_REPORT_COLUMNS`). For an
    administrator's session (`gcmc filings list`): every firm, or `tenant_id`'s."""
    if within_days < 0:
        raise ValidationError("The number of days cannot be negative.", field="within_days")
    today = today or date.today()
    due = DUE.c.dueDate
    window = due <= today + timedelta(days=within_days)
    window = and_(window, due >= today) if not overdue else window
    query = (
        select(
            Tenant.code,
            Client.name,
            ClientBusiness.name,
            FilingType.code,
            FilingType.authority,
            Filing.period_label,
            due,
            Filing.status,
            Filing.reference_number,
        )
        .select_from(Filing)
        .join(DUE, DUE.c.filingId == Filing.id)
        .join(Tenant, Tenant.id == Filing.tenant_id)
        .outerjoin(Client, Client.id == Filing.client_id)
        .outerjoin(ClientBusiness, ClientBusiness.id == Filing.client_business_id)
        .outerjoin(FilingType, FilingType.id == Filing.filing_type_id)
        .where(DUE.c.open, Filing.status.in_(OPEN_STATUSES), window)
        .order_by(due, Tenant.code, Client.name, Filing.id)
    )
    if tenant_id is not None:
        query = query.where(Filing.tenant_id == tenant_id, DUE.c.tenantId == tenant_id)
    return [
        {
            "firm": firm,
            "client": client or "",
            "business": business or "",
            "filing_type": type_code or "",
            "authority": authority or "",
            "period": period or "",
            "due_date": due_on,
            "days_left": (due_on - today).days,
            "status": status,
            "reference": reference or "",
        }
        for firm, client, business, type_code, authority, period, due_on, status, reference in (
            session.execute(query).all()
        )
    ]
