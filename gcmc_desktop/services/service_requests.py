"""Service requests (DOMAIN.md §2, §5): a client's request for one of the firm's services,
created from one of the service's workflow templates with its steps, moved through the
desktop's status convention, and listed with the client's and the service's names.

Creating. One transaction (Desktop convention, DOMAIN.md §5): the request (status `new`, its
template, `currentStepOrder` = the lowest step order), then its steps by order (`not_started`,
`dueDate` = creation + `dueInDays`, `requiredDocTypeIds`, `dependsOnStepId` from
`dependsOnOrder`). It is set-based: one INSERT for the requests and one for all their steps,
whatever their number. The step ids are drawn from their sequence first, so each step's
dependency is written with the step itself (no second pass of updates, and one audit row per
step instead of two). `create_requests` makes many requests of one template at once (1,000 ×
12 steps in about a second as staff); a failure anywhere rolls everything back.

Assignee. `service_requests` has no assignee column: the desktop keeps the assigned staff
member's user id in `metadata.assignedToId` (Desktop convention), which the list filters on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select, text
from sqlalchemy.orm import Session

from ..models import (
    Client,
    ClientBusiness,
    Service,
    ServiceRequest,
    ServiceRequestTemplate,
    ServiceStep,
    TenantUser,
    utcnow,
)
from . import records, tenancy
from .catalog import PRIORITIES, SERVICE_REQUEST_STATUSES
from .changes import note_changes
from .client_list import client_search_ids
from .context import Context, require
from .errors import ConflictError, NotFoundError, ValidationError
from .paging import ColumnSpec, PagedQuery, escape_like, format_date
from .records import guarded
from .transitions import Transitions, status_label, status_words
from .workflow_steps import MAX_DUE_IN_DAYS, StepDefinition, read_steps

# Desktop convention (DOMAIN.md §2): new → in_progress ⇄ awaiting_client | awaiting_authority
# → completed, any open → cancelled. Completed and cancelled are final.
STATUS_TRANSITIONS: dict[str, frozenset[str]] = {
    "new": frozenset({"in_progress", "cancelled"}),
    "in_progress": frozenset({"awaiting_client", "awaiting_authority", "completed", "cancelled"}),
    "awaiting_client": frozenset({"in_progress", "completed", "cancelled"}),
    "awaiting_authority": frozenset({"in_progress", "completed", "cancelled"}),
    "completed": frozenset(),
    "cancelled": frozenset(),
}
REQUEST_LIFECYCLE = Transitions("service request", STATUS_TRANSITIONS, label=status_words)
assert set(STATUS_TRANSITIONS) == set(SERVICE_REQUEST_STATUSES)
OPEN_STATUSES: tuple[str, ...] = ("new", "in_progress", "awaiting_client", "awaiting_authority")
DEFAULT_PRIORITY = "medium"
ASSIGNEE_KEY = "assignedToId"  # metadata key (Desktop convention)
MAX_BATCH = 10_000

REQUEST_RULES: dict[str, records.FieldRule] = {
    "client_id": records.FieldRule("integer"),
    "client_business_id": records.FieldRule("integer"),
    "service_id": records.FieldRule("integer"),
    "template_id": records.FieldRule("integer"),
    "priority": records.FieldRule(max_length=records.CODE_LENGTH),
    "status": records.FieldRule(max_length=records.CODE_LENGTH),
    "assigned_to_id": records.FieldRule(max_length=records.NAME_LENGTH),
    "notes": records.FieldRule(max_length=records.NOTES_LENGTH),
}
# Chosen when the request is made; the steps come from them.
CREATE_ONLY = frozenset({"client_id", "service_id", "template_id"})


def _clean(data: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    errors: dict[str, str] = {}
    values = records.clean_fields(data, REQUEST_RULES, "service request", errors=errors)
    if not partial:
        if values.get("client_id") is None and "client_id" not in errors:
            errors["client_id"] = "Choose the client."
        if values.get("service_id") is None and "service_id" not in errors:
            errors["service_id"] = "Choose the service."
    if values.get("priority") is not None and values["priority"] not in PRIORITIES:
        errors["priority"] = "Choose one of: " + ", ".join(PRIORITIES) + "."
    if "status" in values and values["status"] not in SERVICE_REQUEST_STATUSES:
        errors["status"] = "Choose one of: " + ", ".join(SERVICE_REQUEST_STATUSES) + "."
    if errors:
        raise ValidationError(field_errors=errors)
    return values


def _check_member(ctx: Context, user_id: str | None) -> None:
    if user_id is None:
        return
    found = ctx.session.scalar(
        select(TenantUser.user_id).where(
            TenantUser.tenant_id == ctx.tenant_id, TenantUser.user_id == user_id
        )
    )
    if found is None:
        raise ValidationError(
            field_errors={"assigned_to_id": "Choose a member of the firm to assign it to."}
        )


def _check_business(ctx: Context, client_id: int, business_id: int | None) -> None:
    if business_id is None:
        return
    owner = ctx.session.scalar(
        select(ClientBusiness.client_id).where(ClientBusiness.id == business_id)
    )
    if owner != client_id:
        raise ValidationError(
            field_errors={"client_business_id": "Choose one of this client's businesses."}
        )


def template_steps(ctx: Context, template_id: int) -> list[StepDefinition]:
    """A template's steps as the request will have them (the tolerant reader, DOMAIN.md §5)."""
    definition = ctx.session.scalar(
        select(ServiceRequestTemplate.steps_definition).where(
            ServiceRequestTemplate.id == template_id
        )
    )
    return read_steps(definition)


def _template_of(ctx: Context, service_id: int, template_id: int | None) -> list[StepDefinition]:
    """The steps to create: the template's (which must be the service's), or none."""
    service = ctx.session.scalar(select(Service.id).where(Service.id == service_id))
    if service is None:
        raise ValidationError(field_errors={"service_id": "The selected service does not exist."})
    if template_id is None:
        return []
    owner = ctx.session.scalar(
        select(ServiceRequestTemplate.service_id).where(ServiceRequestTemplate.id == template_id)
    )
    if owner != service_id:
        raise ValidationError(
            field_errors={"template_id": "Choose one of this service's templates."}
        )
    steps = template_steps(ctx, template_id)
    if not steps:
        raise ValidationError(
            field_errors={"template_id": "This template has no steps that can be read."}
        )
    late = [
        s for s in steps if s.due_in_days is not None and not 0 <= s.due_in_days <= MAX_DUE_IN_DAYS
    ]
    if late:
        names = ", ".join(f"step {s.order} ({s.title})" for s in late)
        raise ValidationError(
            field_errors={
                "template_id": f"The template's due days must be from 0 to {MAX_DUE_IN_DAYS}: "
                f"{names}."
            }
        )
    return steps


_INSERT_REQUESTS = text(
    """
    INSERT INTO service_requests ("tenantId", "clientId", "clientBusinessId", "serviceId",
        "templateId", status, priority, "currentStepOrder", metadata, "createdAt", "updatedAt")
    SELECT :tenant, r.c, r.b, :service, :template, 'new', r.p, :first, r.m, :now, :now
    FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(n int, c int, b int, p text, m jsonb)
    ORDER BY r.n
    RETURNING id
    """
)
_STEP_IDS = text("SELECT nextval('service_steps_id_seq') FROM generate_series(1, :n)")
# Rows in order of (request, step order): a step's dependency is an earlier step of its own
# request, already inserted when the reference check of the step's own row runs.
_INSERT_STEPS = text(
    """
    INSERT INTO service_steps (id, "serviceRequestId", title, description, "order", status,
        "dueDate", "requiredDocTypeIds", "dependsOnStepId", "createdAt", "updatedAt")
    SELECT s.id, s.r, d.title, d.description, d.ord, 'not_started', d.due,
        ARRAY(SELECT CAST(jsonb_array_elements_text(d.docs) AS int)), s.dep, :now, :now
    FROM jsonb_to_recordset(CAST(:steps AS jsonb)) AS s(n int, id int, r int, k int, dep int)
    JOIN jsonb_to_recordset(CAST(:defs AS jsonb)) AS d(k int, title text, description text,
        ord int, due timestamp, docs jsonb) ON d.k = s.k
    ORDER BY s.n
    """
)


def _insert(
    ctx: Context,
    rows: Sequence[Mapping[str, Any]],
    service_id: int,
    template_id: int | None,
    steps: Sequence[StepDefinition],
) -> list[int]:
    """The set-based inserts (no commit): requests, then their steps."""
    session: Session = ctx.session
    now = utcnow()
    ids = [
        int(i)
        for i in session.scalars(
            _INSERT_REQUESTS,
            {
                "tenant": ctx.tenant_id,
                "service": service_id,
                "template": template_id,
                "first": steps[0].order if steps else None,
                "now": now,
                "rows": json.dumps([{"n": n, **row} for n, row in enumerate(rows)]),
            },
        )
    ]
    note_changes(session, "service_request", "created", ids)
    if not steps:
        return ids
    defs = [
        {
            "k": k,
            "title": s.title,
            "description": s.description or None,
            "ord": s.order,
            "due": None
            if s.due_in_days is None
            else (now + timedelta(days=s.due_in_days)).isoformat(),
            "docs": list(s.required_document_type_ids),
        }
        for k, s in enumerate(steps)
    ]
    position = {s.order: k for k, s in enumerate(steps)}
    step_ids = [int(i) for i in session.scalars(_STEP_IDS, {"n": len(ids) * len(steps)})]
    per = len(steps)
    step_rows = []
    for r, request_id in enumerate(ids):
        base = r * per
        for k, s in enumerate(steps):
            dep = position.get(s.depends_on_order) if s.depends_on_order is not None else None
            step_rows.append(
                {
                    "n": len(step_rows),
                    "id": step_ids[base + k],
                    "r": request_id,
                    "k": k,
                    "dep": None if dep is None else step_ids[base + dep],
                }
            )
    session.execute(
        _INSERT_STEPS, {"now": now, "steps": json.dumps(step_rows), "defs": json.dumps(defs)}
    )
    note_changes(session, "service_step", "created", step_ids)
    return ids


def _metadata(values: Mapping[str, Any]) -> dict[str, Any] | None:
    meta: dict[str, Any] = {}
    if values.get("assigned_to_id"):
        meta[ASSIGNEE_KEY] = values["assigned_to_id"]
    if values.get("notes"):
        meta["notes"] = values["notes"]
    return meta or None


def create_requests(
    ctx: Context,
    service_id: int,
    template_id: int | None,
    requests: Iterable[Mapping[str, Any]],
) -> list[int]:
    """Many requests for one service (and template) in one transaction: each item has
    `client_id` and optionally `client_business_id`, `priority`, `assigned_to_id`, `notes`.
    Returns the new ids in the items' order of insertion."""
    require(ctx, "services", "create")
    items = [_clean(dict(item), partial=True) for item in requests]
    if not items:
        return []
    if len(items) > MAX_BATCH:
        raise ValidationError(f"Create at most {MAX_BATCH:,} requests at a time.")
    try:
        with guarded(ctx.session):
            steps = _template_of(ctx, service_id, template_id)
            clients = {item.get("client_id") for item in items}
            if None in clients:
                raise ValidationError(field_errors={"client_id": "Choose the client."})
            found = set(ctx.session.scalars(select(Client.id).where(Client.id.in_(list(clients)))))
            if found != clients:
                raise NotFoundError("A chosen client does not exist (or is another firm's).")
            businesses = {
                item["client_business_id"]: item["client_id"]
                for item in items
                if item.get("client_business_id") is not None
            }
            if businesses:
                owners = dict(
                    ctx.session.execute(
                        select(ClientBusiness.id, ClientBusiness.client_id).where(
                            ClientBusiness.id.in_(list(businesses))
                        )
                    ).all()
                )
                for item in items:
                    business = item.get("client_business_id")
                    if business is not None and owners.get(business) != item["client_id"]:
                        raise ValidationError(
                            field_errors={
                                "client_business_id": "Choose one of this client's businesses."
                            }
                        )
            for member in {item.get("assigned_to_id") for item in items} - {None}:
                _check_member(ctx, member)
            rows = [
                {
                    "c": item["client_id"],
                    "b": item.get("client_business_id"),
                    "p": item.get("priority") or DEFAULT_PRIORITY,
                    "m": _metadata(item),
                }
                for item in items
            ]
            ids = _insert(ctx, rows, service_id, template_id, steps)
            ctx.session.commit()
    except BaseException:
        ctx.session.rollback()
        raise
    return ids


def create_request(ctx: Context, data: Mapping[str, Any]) -> dict[str, Any]:
    """A new request (status `new`) with its template's steps, in one transaction."""
    require(ctx, "services", "create")
    values = _clean(dict(data), partial=False)
    if "status" in values:
        raise ValidationError(field_errors={"status": "A new request starts as new."})
    item = {k: v for k, v in values.items() if k not in ("service_id", "template_id")}
    [request_id] = create_requests(ctx, values["service_id"], values.get("template_id"), [item])
    return get_request(ctx, request_id)


def request_values(ctx: Context, request: ServiceRequest) -> dict[str, Any]:
    """A request as plain data, with the names a list or dialog shows and the moves allowed."""
    values = records.snapshot(request)
    meta = request.meta if isinstance(request.meta, dict) else {}
    values["assigned_to_id"] = meta.get(ASSIGNEE_KEY)
    values["notes"] = meta.get("notes")
    values["client_name"] = ctx.session.scalar(
        select(Client.name).where(Client.id == request.client_id)
    )
    values["service_name"] = ctx.session.scalar(
        select(Service.name).where(Service.id == request.service_id)
    )
    values["template_name"] = (
        ctx.session.scalar(
            select(ServiceRequestTemplate.name).where(
                ServiceRequestTemplate.id == request.template_id
            )
        )
        if request.template_id is not None
        else None
    )
    values["business_name"] = (
        ctx.session.scalar(
            select(ClientBusiness.name).where(ClientBusiness.id == request.client_business_id)
        )
        if request.client_business_id is not None
        else None
    )
    values["allowed_statuses"] = REQUEST_LIFECYCLE.choices(request.status)
    return values


def get_request(ctx: Context, request_id: int) -> dict[str, Any]:
    require(ctx, "services", "view")
    return request_values(ctx, records.get(ctx, ServiceRequest, request_id))


def _unfinished_steps(session: Session, request_id: int) -> list[str]:
    return list(
        session.scalars(
            select(ServiceStep.title)
            .where(ServiceStep.service_request_id == request_id, ServiceStep.status != "done")
            .order_by(ServiceStep.order, ServiceStep.id)
        )
    )


def check_status_move(session: Session, request: ServiceRequest, new: str) -> None:
    """A move by hand: the convention's, and `completed` only once every step is done."""
    REQUEST_LIFECYCLE.check(request.status, new)
    if new == "completed" and request.status != "completed":
        left = _unfinished_steps(session, request.id)
        if left:
            raise ValidationError(
                field_errors={
                    "status": "Finish its steps first (or cancel the request): " + ", ".join(left)
                }
            )


def update_request(
    ctx: Context,
    request_id: int,
    changes: Mapping[str, Any],
    expected_updated_at: datetime | None,
) -> dict[str, Any]:
    """Edit a request's business, priority, assignee, notes or status (a move of the
    convention). Client, service and template stay what the request was made from."""
    require(ctx, "services", "edit")
    fixed = CREATE_ONLY & set(changes)
    values = _clean(dict(changes), partial=True)
    for key in list(fixed):
        values.pop(key, None)
    try:
        with guarded(ctx.session):
            request = records.get(ctx, ServiceRequest, request_id, for_update=True)
            if expected_updated_at is not None and request.updated_at != expected_updated_at:
                current = request_values(ctx, request)
                ctx.session.rollback()
                raise ConflictError(current=current)
            for key in fixed:
                if changes[key] != getattr(request, key):
                    raise ValidationError(
                        field_errors={key: "This is chosen when the request is made."}
                    )
            if "status" in values and values["status"] is not None:
                check_status_move(ctx.session, request, values["status"])
                request.status = values["status"]
            if "priority" in values:
                request.priority = values["priority"] or DEFAULT_PRIORITY
            if "client_business_id" in values:
                _check_business(ctx, request.client_id, values["client_business_id"])
                request.client_business_id = values["client_business_id"]
            meta = dict(request.meta) if isinstance(request.meta, dict) else {}
            if "assigned_to_id" in values:
                _check_member(ctx, values["assigned_to_id"])
                meta.pop(ASSIGNEE_KEY, None)
                if values["assigned_to_id"]:
                    meta[ASSIGNEE_KEY] = values["assigned_to_id"]
            if "notes" in values:
                meta.pop("notes", None)
                if values["notes"]:
                    meta["notes"] = values["notes"]
            if meta != (request.meta or {}):
                request.meta = meta or None
            ctx.session.commit()
    except BaseException:
        ctx.session.rollback()
        raise
    return get_request(ctx, request_id)


def change_status(
    ctx: Context, request_id: int, status: str, expected_updated_at: datetime | None = None
) -> dict[str, Any]:
    return update_request(ctx, request_id, {"status": status}, expected_updated_at)


def delete_request(ctx: Context, request_id: int) -> None:
    """Delete a request with its steps (filings its steps created stay)."""
    require(ctx, "services", "delete")
    records.delete(ctx, ServiceRequest, request_id)


def deletion_impact(ctx: Context, request_id: int) -> str:
    require(ctx, "services", "delete")
    n = ctx.session.scalar(select(func.count()).where(ServiceStep.service_request_id == request_id))
    return f"This also deletes its {n} step{'' if n == 1 else 's'}." if n else ""


# --------------------------------------------------------------------------------------------
# Choices for the create dialog


def service_choices(ctx: Context, *_: Any) -> list[tuple[str, int]]:
    """(name, id) of the firm's active services, by name."""
    require(ctx, "services", "view")
    rows = ctx.session.execute(
        select(Service.name, Service.id)
        .where(Service.tenant_id == ctx.tenant_id, Service.active.is_(True))
        .order_by(func.lower(Service.name), Service.id)
    )
    return [(name, sid) for name, sid in rows]


def template_choices(ctx: Context, service_id: int | None) -> list[tuple[str, int]]:
    """(name · n steps, id) of a service's templates, by name."""
    require(ctx, "services", "view")
    if service_id is None:
        return []
    rows = ctx.session.execute(
        select(
            ServiceRequestTemplate.name,
            ServiceRequestTemplate.id,
            ServiceRequestTemplate.steps_definition,
        )
        .where(ServiceRequestTemplate.service_id == service_id)
        .order_by(func.lower(ServiceRequestTemplate.name), ServiceRequestTemplate.id)
    )
    out = []
    for name, tid, definition in rows:
        n = len(read_steps(definition))
        out.append((f"{name} ({n} step{'' if n == 1 else 's'})", tid))
    return out


def assignee_choices(ctx: Context, *_: Any) -> list[tuple[str, str]]:
    """(name, user id) of the firm's members, by name."""
    require(ctx, "services", "view")
    return tenancy.member_choices(ctx.session, ctx.tenant_id)


# --------------------------------------------------------------------------------------------
# The list


def _current_step(value: Any) -> str:
    return "" if value is None else f"Step {value}"


REQUEST_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("number", "No.", ServiceRequest.id),
    ColumnSpec("client", "Client", Client.name, sortable=False, nullable=True),
    ColumnSpec("service", "Service", Service.name, sortable=False, nullable=True),
    ColumnSpec("status", "Status", ServiceRequest.status, sortable=False, formatter=status_label),
    ColumnSpec(
        "priority",
        "Priority",
        ServiceRequest.priority,
        sortable=False,
        formatter=lambda v: (v or "").capitalize(),
    ),
    ColumnSpec(
        "step",
        "Current step",
        ServiceRequest.current_step_order,
        sortable=False,
        formatter=_current_step,
    ),
    ColumnSpec("created", "Opened", ServiceRequest.created_at, formatter=format_date),
    ColumnSpec("updated", "Last change", ServiceRequest.updated_at, formatter=format_date),
)
ASSIGNED_TO = "assigned_to_id"
OPEN = "open"


def _assigned(user_id: Any) -> ColumnElement[bool]:
    return ServiceRequest.meta[ASSIGNEE_KEY].astext == str(user_id)


def _open(value: Any) -> ColumnElement[bool]:
    condition = ServiceRequest.status.in_(OPEN_STATUSES)
    return condition if value else ~condition


REQUEST_FILTERS = {
    "status": ServiceRequest.status,
    "priority": ServiceRequest.priority,
    "service_id": ServiceRequest.service_id,
    "client_id": ServiceRequest.client_id,
    "client_business_id": ServiceRequest.client_business_id,
}


def _search_ids(ctx: Context) -> Any:
    """Requests whose client's name (through the clients' search function and its trigram
    index), service name or number matches."""
    clients = client_search_ids(ctx.tenant_id)

    def ids(term: str, limit: int | None) -> Any:
        pattern = f"%{escape_like(term)}%"
        services = select(Service.id).where(
            Service.tenant_id == ctx.tenant_id, Service.name.ilike(pattern)
        )
        matches = [
            ServiceRequest.client_id.in_(clients(term, None)),
            ServiceRequest.service_id.in_(services),
        ]
        digits = re.fullmatch(r"#?\s*(\d{1,9})", term.strip())
        if digits:
            matches.append(ServiceRequest.id == int(digits.group(1)))
        query = select(ServiceRequest.id).where(
            ServiceRequest.tenant_id == ctx.tenant_id, or_(*matches)
        )
        return query if limit is None else query.limit(limit)

    return ids


def request_list_query(ctx: Context, client_id: int | None = None) -> PagedQuery:
    """The firm's requests (or one client's), newest first. Filters: `status`, `priority`,
    `service_id`, `client_id`, `client_business_id` (equality or any of a list), `open`
    (True: not completed or cancelled), `assigned_to_id` (metadata.assignedToId). Search over
    client name, service name and request number."""
    require(ctx, "services", "view")
    base = (
        select(ServiceRequest)
        .outerjoin(Client, Client.id == ServiceRequest.client_id)
        .outerjoin(Service, Service.id == ServiceRequest.service_id)
        .where(ServiceRequest.tenant_id == ctx.tenant_id)
    )
    if client_id is not None:
        base = base.where(ServiceRequest.client_id == client_id)
    return PagedQuery(
        base,
        REQUEST_COLUMNS,
        filter_columns=REQUEST_FILTERS,
        filter_predicates={ASSIGNED_TO: _assigned, OPEN: _open},
        search_ids=_search_ids(ctx),
        id_column=ServiceRequest.id,
        sort_key="number",
        descending=True,
    )


__all__ = [
    "OPEN_STATUSES",
    "STATUS_TRANSITIONS",
    "change_status",
    "create_request",
    "create_requests",
    "delete_request",
    "get_request",
    "request_list_query",
    "update_request",
]
