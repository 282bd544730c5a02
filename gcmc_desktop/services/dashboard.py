"""The dashboard's figures (issue 14): today's and this week's deadlines, documents expiring in
30 days, overdue filings, the signed-in user's open tasks and the compliance distribution.

Each figure is the count of the very list its dashboard button opens, with the same filters
(`DASHBOARD_LISTS`), so the number on the button is the number of rows the list then shows.
A figure whose module the role may not view is None (its button is not shown)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from . import compliance_scores, documents, filings, tasks
from .context import Context
from .paging import PagedQuery

# Every status but completed: a blocked task is still work to do.
OPEN_TASK_STATUSES: tuple[str, ...] = ("open", "in_progress", "blocked")


@dataclass(frozen=True)
class DashboardList:
    """One figure: the section whose list it counts, the list's query, the filters, and the
    label of that filter when the list shows it."""

    key: str
    title: str
    module: str
    section: str
    query: Callable[[Context], PagedQuery]
    filters: Mapping[str, Any]
    filter_label: str


DASHBOARD_LISTS: tuple[DashboardList, ...] = (
    DashboardList(
        "due_today",
        "Filings due today",
        "filings",
        "filings",
        filings.filing_list_query,
        {filings.DUE_WITHIN: 0},
        "Due today",
    ),
    DashboardList(
        "due_week",
        "Filings due within 7 days",
        "filings",
        "filings",
        filings.filing_list_query,
        {filings.DUE_WITHIN: 7},
        "Due within 7 days",
    ),
    DashboardList(
        "overdue",
        "Overdue filings",
        "filings",
        "filings",
        filings.filing_list_query,
        {filings.OVERDUE: True},
        "Overdue (due date past)",
    ),
    DashboardList(
        "expiring",
        "Documents expiring within 30 days",
        "documents",
        "documents",
        documents.document_list_query,
        {documents.EXPIRING_WITHIN: 30},
        "Expiring within 30 days",
    ),
    DashboardList(
        "my_tasks",
        "My open tasks",
        "tasks",
        "tasks",
        lambda ctx: tasks.task_list_query(ctx, mine=True),
        {"status": list(OPEN_TASK_STATUSES)},
        "Not completed",
    ),
)


def dashboard_counts(ctx: Context) -> dict[str, Any]:
    """{figure key: count or None (not permitted)}, plus "compliance": the distribution by level
    (or None)."""
    counts: dict[str, Any] = {}
    for item in DASHBOARD_LISTS:
        if not ctx.can(item.module, "view"):
            counts[item.key] = None
            continue
        query = item.query(ctx)
        for key, value in item.filters.items():
            query.set_filter(key, value)
        counts[item.key] = query.count(ctx.session, parallel=False)
    counts["compliance"] = (
        compliance_scores.distribution(ctx) if ctx.can("compliance", "view") else None
    )
    return counts
