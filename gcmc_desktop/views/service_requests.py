"""Service requests on the kit: the firm's requests (Services section) and a client's Requests
tab, newest first, with the selected request's checklist beside the list; the request form
(client, that client's business, service, one of that service's templates, priority, assignee,
notes)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QSplitter, QWidget

from ..services.catalog import PRIORITIES, SERVICE_REQUEST_STATUSES
from ..services.context import Context
from ..services.service_requests import (
    CREATE_ONLY,
    assignee_choices,
    create_request,
    delete_request,
    deletion_impact,
    get_request,
    request_list_query,
    service_choices,
    template_choices,
    update_request,
)
from .filing_fields import OWNER_FIELDS, client_form
from .kit.fields import FieldSpec, choices
from .kit.list_page import DeleteSpec, FilterSpec, ListPage, ListSpec
from .kit.messages import code_label
from .kit.record_dialog import RecordSpec
from .request_checklist import RequestChecklist

Values = dict[str, Any]


def _templates(ctx: Context, known: Any) -> list[tuple[str, int]]:
    return template_choices(ctx, known.get("service_id"))


def _create(ctx: Context, values: Values, client_id: int | None = None) -> Values:
    data = dict(values)
    if client_id is not None:
        data["client_id"] = client_id
    return create_request(ctx, data)


def _update(ctx: Context, request_id: int, values: Values, expected: Any) -> Values:
    return update_request(
        ctx, request_id, {k: v for k, v in values.items() if k not in CREATE_ONLY}, expected
    )


REQUEST_RECORD = RecordSpec(
    noun="service request",
    entity="service_request",
    fields=(
        OWNER_FIELDS[0],  # the client, found as you type (given in a client's workspace)
        OWNER_FIELDS[1],  # one of that client's businesses
        FieldSpec(
            "service_id",
            "Service",
            "choice",
            required=True,
            blank="Choose…",
            load=service_choices,
            create_only=True,
        ),
        FieldSpec(
            "template_id",
            "Workflow",
            "choice",
            blank="(no steps)",
            load=_templates,
            depends_on=("service_id",),
            create_only=True,
        ),
        FieldSpec("priority", "Priority", "choice", choices=choices(PRIORITIES), default="medium"),
        FieldSpec(
            "assigned_to_id",
            "Assigned to",
            "choice",
            blank="(nobody)",
            load=assignee_choices,
        ),
        FieldSpec("notes", "Notes", "text", height=64),
    ),
    load=get_request,
    create=_create,
    update=_update,
    to_form=client_form,
    min_width=520,
)

# The status drop-down: each choice sets both the status and the "open" filter.
STATUS_FILTER = (
    ("Open (not completed or cancelled)", {"open": True, "status": None}),
    *((code_label(s), {"status": s, "open": None}) for s in SERVICE_REQUEST_STATUSES),
)

REQUESTS = ListSpec(
    noun="service request",
    plural="service requests",
    module="services",
    query=lambda ctx, scope: request_list_query(ctx, client_id=scope.get("client_id")),
    listens_to=frozenset({"service_request", "service_step", "client", "service"}),
    record=REQUEST_RECORD,
    delete=DeleteSpec(delete_request, impact=deletion_impact, restorable=True),
    search_hint="Search client, service or request number  (Ctrl+F)",
    filters=(
        FilterSpec("status", "Any status", "Status filter", STATUS_FILTER),
        FilterSpec("priority", "Any priority", "Priority filter", choices(PRIORITIES)),
        FilterSpec("service_id", "Any service", "Service filter", load=service_choices),
        FilterSpec("assigned_to_id", "Anyone", "Assignee filter", load=assignee_choices),
    ),
    widths={"number": 60, "client": 170, "service": 190, "status": 120, "priority": 70},
    sort="number",
    descending=True,
    new_label="New request…",
    # Enter (or a double click) goes to the checklist beside the list.
    opens=lambda _ctx, request_id: request_id,
    hidden=lambda scope: ("client",) if scope.get("client_id") is not None else (),
    name_key="number",
    state_key="service_requests/header",
)


def requests_page(
    ctx: Context, parent: QWidget | None = None, *, storage: Any = None, **scope: Any
) -> ListPage:
    """The requests list with the selected request's checklist beside it; Enter on a row puts
    the cursor in its checklist."""
    checklist = RequestChecklist(ctx, storage)
    page = ListPage(ctx, REQUESTS, parent, detail=checklist, **scope)
    page.opened.connect(checklist.focus_steps)
    splitter = page.findChild(QSplitter)
    if splitter is not None:  # the checklist wants about half of the page
        splitter.setSizes([640, 600])
    page.checklist = checklist  # type: ignore[attr-defined]
    return page
