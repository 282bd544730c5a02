"""The clients list as a `PagedQuery`: the columns, filters and search the desktop's clients
page shows. Column keys match the `desktop_clients_tenant_<key>_idx` indexes of migration 0002,
so every sortable column pages by a short index range scan inside the tenant."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..models import Client
from .context import Context, require
from .paging import ColumnSpec, PagedQuery, format_date, page_function, search_function

CLIENT_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("name", "Name", Client.name),
    ColumnSpec("type", "Type", Client.type, formatter=lambda v: (v or "").capitalize()),
    ColumnSpec("email", "E-mail", Client.email),
    # No (tenantId, phone, id) index: sorting on it would scan the tenant.
    ColumnSpec("phone", "Phone", Client.phone, sortable=False),
    ColumnSpec("tin", "TIN", Client.tin),
    ColumnSpec("nis", "NIS number", Client.nis_number),
    ColumnSpec("sector", "Sector", Client.sector),
    ColumnSpec("risk", "Risk level", Client.risk_level, formatter=lambda v: (v or "").capitalize()),
    ColumnSpec("created", "Client since", Client.created_at, formatter=format_date),
)
# The columns of the trigram index (desktop_clients_search_trgm_idx).
SEARCH_COLUMNS = (Client.name, Client.email, Client.tin, Client.nis_number)
# Filter keys by attribute name, as the services and reference data spell them.
# A term with at most SEARCH_CAP matches pages over the search function's ids; a more frequent
# one is first looked for among SEARCH_SCAN rows in list order (see PagedQuery).
SEARCH_CAP = 1_000
SEARCH_SCAN = 20_000
# The sort keys desktop_client_search_page knows (its allow-list; None: by id).
SEARCH_PAGE_KEYS = (None, "name", "type", "email", "tin", "nis", "sector", "risk", "created")
FILTER_COLUMNS = {"type": Client.type, "risk_level": Client.risk_level, "sector": Client.sector}


def client_search_ids(tenant_id: int) -> Any:
    """Search through `desktop_client_search` (migration 0008)."""
    return search_function("desktop_client_search", tenant_id)


def client_list_query(
    ctx: Context, *, search_cap: int = SEARCH_CAP, search_scan: int = SEARCH_SCAN
) -> PagedQuery:
    """The tenant's clients, sorted by name; filters `type`, `risk_level`, `sector`; search over
    name, e-mail, TIN and NIS number."""
    require(ctx, "clients", "view")
    # The explicit tenant condition duplicates the session's automatic criterion on purpose: it
    # is what lets the planner pick the (tenantId, sort column, id) indexes.
    base = select(Client).where(Client.tenant_id == ctx.tenant_id)
    return PagedQuery(
        base,
        CLIENT_COLUMNS,
        search_columns=SEARCH_COLUMNS,
        search_ids=client_search_ids(ctx.tenant_id),
        # What the walk cannot serve (a rare term, or matches further down the order): the
        # page of matches in list order from one call (migration 0022).
        search_page=page_function("desktop_client_search_page", ctx.tenant_id),
        search_page_keys=SEARCH_PAGE_KEYS,
        search_cap=search_cap,
        search_scan=search_scan,
        filter_columns=FILTER_COLUMNS,
        sort_key="name",
    )


def find_clients(ctx: Context, text: str, limit: int = 20) -> list[tuple[str, int]]:
    """(name, id) of up to `limit` clients matching `text` (name, e-mail, TIN, NIS), by name:
    what a client picker offers as the user types. Goes through the search function, so it
    stays an index lookup in a firm of a million clients."""
    require(ctx, "clients", "view")
    term = text.strip()
    if not term:
        return []
    found = client_search_ids(ctx.tenant_id)(term, max(limit * 5, 100)).subquery()
    rows = ctx.session.execute(
        select(Client.name, Client.id)
        .where(Client.tenant_id == ctx.tenant_id, Client.id.in_(select(found.c.id)))
        .order_by(Client.name, Client.id)
        .limit(limit)
    )
    return [(name, client_id) for name, client_id in rows]
