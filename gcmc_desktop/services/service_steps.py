"""A service request's steps as a checklist (DOMAIN.md §2, §5): not_started → in_progress ⇄
blocked, in_progress → done (Desktop convention), guarded by `services:edit`.

- A step starts only when the step it depends on is done (the message names that step).
- `done` needs every required document present for the client: a document of that type that
  is not rejected and whose latest version has not expired. Without them a step is done only
  with an override reason. The reason is appended to the step's `description` (the only
  free-text column a step has), so the step's own audit row (migration 0006's trigger records
  every changed column with the acting user) shows who completed it without which documents
  and why.
- A step whose template step has a `filingTypeId` creates the client's draft filing when it is
  done (services/filings.py's `insert_filing`, in the same transaction) and links it through
  `service_steps.filingId`. The step row does not store the filing type: it is read from the
  request's template, matched by the step's order.
- After every move, the request's `currentStepOrder` is the lowest order not done; all done →
  the request is `completed`; the first step started moves a `new` request to `in_progress`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func, or_, select

from ..models import (
    Document,
    DocumentType,
    DocumentVersion,
    Filing,
    FilingType,
    ServiceRequest,
    ServiceStep,
    utcnow,
)
from . import records
from .catalog import SERVICE_STEP_STATUSES
from .context import Context, require
from .errors import ConflictError, MissingDocuments, NotFoundError, ValidationError
from .filings import insert_filing, period_containing, period_kind_for
from .records import guarded
from .service_requests import OPEN_STATUSES, get_request, status_label, template_steps
from .transitions import Transitions, status_words

STEP_TRANSITIONS: dict[str, frozenset[str]] = {
    "not_started": frozenset({"in_progress"}),
    "in_progress": frozenset({"blocked", "done"}),
    "blocked": frozenset({"in_progress"}),
    "done": frozenset(),
}
STEP_LIFECYCLE = Transitions("step", STEP_TRANSITIONS, label=status_words)
assert set(STEP_TRANSITIONS) == set(SERVICE_STEP_STATUSES)
MAX_REASON = 1_000


def _name(step: ServiceStep) -> str:
    return f"step {step.order} “{step.title}”"


# --------------------------------------------------------------------------------------------
# Required documents


def present_documents(
    ctx: Context, client_id: int, type_ids: set[int], now: datetime | None = None
) -> dict[int, int]:
    """{document type id: a present document's id} among `type_ids` for the client: not
    rejected (nor expired), and its latest version without an expiry date or one still ahead.
    The newest such document of each type."""
    if not type_ids:
        return {}
    now = now or utcnow()
    rows = ctx.session.execute(
        select(Document.document_type_id, Document.id)
        .outerjoin(DocumentVersion, DocumentVersion.id == Document.latest_version_id)
        .where(
            Document.client_id == client_id,
            Document.document_type_id.in_(sorted(type_ids)),
            Document.status.not_in(("rejected", "expired")),
            or_(DocumentVersion.expiry_date.is_(None), DocumentVersion.expiry_date > now),
        )
        .order_by(Document.document_type_id, Document.updated_at.desc(), Document.id.desc())
    ).all()
    out: dict[int, int] = {}
    for type_id, document_id in rows:
        out.setdefault(type_id, document_id)
    return out


def any_documents(ctx: Context, client_id: int, type_ids: set[int]) -> dict[int, int]:
    """{type id: the client's newest document of that type}, present or not (to open it)."""
    if not type_ids:
        return {}
    rows = ctx.session.execute(
        select(Document.document_type_id, Document.id)
        .where(Document.client_id == client_id, Document.document_type_id.in_(sorted(type_ids)))
        .order_by(Document.document_type_id, Document.updated_at.desc(), Document.id.desc())
    ).all()
    out: dict[int, int] = {}
    for type_id, document_id in rows:
        out.setdefault(type_id, document_id)
    return out


def _type_names(ctx: Context, type_ids: set[int]) -> dict[int, str]:
    if not type_ids:
        return {}
    return dict(
        ctx.session.execute(
            select(DocumentType.id, DocumentType.name).where(DocumentType.id.in_(sorted(type_ids)))
        ).all()
    )


# --------------------------------------------------------------------------------------------
# The checklist


def checklist(ctx: Context, request_id: int) -> dict[str, Any]:
    """The request (as `get_request`) with "steps": each step's id, order, title, description,
    status (+ label), due date, dependency (id, order, title, status), required documents
    [{type_id, name, present, document_id}], filing (id, label) and the moves allowed."""
    require(ctx, "services", "view")
    request = get_request(ctx, request_id)
    steps = list(
        ctx.session.scalars(
            select(ServiceStep)
            .where(ServiceStep.service_request_id == request_id)
            .order_by(ServiceStep.order, ServiceStep.id)
        )
    )
    by_id = {s.id: s for s in steps}
    wanted = {t for s in steps for t in (s.required_doc_type_ids or [])}
    names = _type_names(ctx, wanted)
    present = present_documents(ctx, request["client_id"], wanted)
    existing = any_documents(ctx, request["client_id"], wanted)
    filing_ids = [s.filing_id for s in steps if s.filing_id is not None]
    filings: dict[int, str] = {}
    if filing_ids and ctx.can("filings", "view"):
        for fid, type_name, label in ctx.session.execute(
            select(Filing.id, FilingType.name, Filing.period_label)
            .outerjoin(FilingType, FilingType.id == Filing.filing_type_id)
            .where(Filing.id.in_(filing_ids))
        ):
            filings[fid] = f"{type_name or 'Filing'} {label or ''}".strip()
    filing_types = _filing_types(ctx, request["template_id"])
    out = []
    for s in steps:
        dep = by_id.get(s.depends_on_step_id) if s.depends_on_step_id is not None else None
        docs = [
            {
                "type_id": t,
                "name": names.get(t, f"Document type {t}"),
                "present": t in present,
                "document_id": present.get(t, existing.get(t)),
            }
            for t in (s.required_doc_type_ids or [])
        ]
        out.append(
            {
                "id": s.id,
                "order": s.order,
                "title": s.title,
                "description": s.description,
                "status": s.status,
                "status_label": status_label(s.status),
                "due_date": s.due_date,
                "updated_at": s.updated_at,
                "depends_on": None
                if dep is None
                else {"id": dep.id, "order": dep.order, "title": dep.title, "status": dep.status},
                "documents": docs,
                "missing": [d["name"] for d in docs if not d["present"]],
                "filing_id": s.filing_id,
                "filing_label": filings.get(s.filing_id) if s.filing_id else None,
                "files_filing_type_id": filing_types.get(s.order),
                "allowed_statuses": STEP_LIFECYCLE.choices(s.status),
            }
        )
    request["steps"] = out
    return request


def _filing_types(ctx: Context, template_id: int | None) -> dict[int, int]:
    """{step order: filing type id} of the template's steps that file."""
    if template_id is None:
        return {}
    return {
        s.order: s.filing_type_id
        for s in template_steps(ctx, template_id)
        if s.filing_type_id is not None
    }


# --------------------------------------------------------------------------------------------
# Moves


def _lock(ctx: Context, step_id: int) -> tuple[ServiceStep, ServiceRequest]:
    """The step and its request, the request locked: one request's steps move one at a time."""
    step = ctx.session.scalar(
        select(ServiceStep)
        .where(ServiceStep.id == step_id)
        .execution_options(populate_existing=True)
    )
    if step is None:
        raise NotFoundError()
    request = records.get(ctx, ServiceRequest, step.service_request_id, for_update=True)
    ctx.session.refresh(step)
    return step, request


def _file(ctx: Context, request: ServiceRequest, step: ServiceStep, filing_type_id: int) -> int:
    """The client's draft filing for the period just ended of the type's frequency."""
    frequency = ctx.session.scalar(
        select(FilingType.frequency).where(FilingType.id == filing_type_id)
    )
    if frequency is None:
        raise ValidationError(
            field_errors={
                "status": f"The template's filing type for {_name(step)} no longer exists."
            }
        )
    period = period_containing(period_kind_for(frequency), date.today()).previous()
    filing = insert_filing(
        ctx,
        {
            "client_id": request.client_id,
            "client_business_id": request.client_business_id,
            "filing_type_id": filing_type_id,
            "internal_notes": f"Created by service request #{request.id}, {_name(step)}.",
        },
        period=period,
    )
    return filing.id


def _advance(ctx: Context, request: ServiceRequest) -> None:
    """currentStepOrder = lowest order not done; all done → completed."""
    lowest = ctx.session.scalar(
        select(func.min(ServiceStep.order)).where(
            ServiceStep.service_request_id == request.id, ServiceStep.status != "done"
        )
    )
    if request.current_step_order != lowest and lowest is not None:
        request.current_step_order = lowest
    if lowest is None and request.status in OPEN_STATUSES:
        request.status = "completed"


def set_step_status(
    ctx: Context,
    step_id: int,
    status: str,
    expected_updated_at: datetime | None = None,
    *,
    override_reason: str | None = None,
) -> dict[str, Any]:
    """Move a step (see the module's docstring); returns the request's checklist. Raises
    MissingDocuments (a ValidationError) when `done` lacks required documents and no reason."""
    require(ctx, "services", "edit")
    if status not in SERVICE_STEP_STATUSES:
        raise ValidationError(
            field_errors={"status": "Choose one of: " + ", ".join(SERVICE_STEP_STATUSES) + "."}
        )
    reason, problem = records.check_text(override_reason, records.FieldRule(max_length=MAX_REASON))
    if problem:
        raise ValidationError(field_errors={"override_reason": problem})
    try:
        with guarded(ctx.session):
            step, request = _lock(ctx, step_id)
            if expected_updated_at is not None and step.updated_at != expected_updated_at:
                ctx.session.rollback()
                raise ConflictError(
                    "Someone else moved this step meanwhile; the checklist shows it now."
                )
            if request.status not in OPEN_STATUSES:
                raise ValidationError(
                    field_errors={
                        "status": f"The request is {status_words(request.status)}: its steps "
                        "no longer move."
                    }
                )
            STEP_LIFECYCLE.check(step.status, status)
            if status == "in_progress" and step.depends_on_step_id is not None:
                dep = ctx.session.get(ServiceStep, step.depends_on_step_id)
                if dep is not None and dep.status != "done":
                    raise ValidationError(
                        field_errors={
                            "status": f"S{_name(step)[1:]} waits for {_name(dep)}, "
                            f"which is {status_words(dep.status)}."
                        }
                    )
            finishing = status == "done" and step.status != "done"
            step.status = status
            if finishing:
                # The status and the override's note in one UPDATE: one audit row says both.
                _complete(ctx, request, step, reason)
            if status == "in_progress" and request.status == "new":
                request.status = "in_progress"
            ctx.session.flush()
            _advance(ctx, request)
            ctx.session.commit()
    except BaseException:
        ctx.session.rollback()
        raise
    return checklist(ctx, request.id)


def _complete(ctx: Context, request: ServiceRequest, step: ServiceStep, reason: str | None) -> None:
    required = set(step.required_doc_type_ids or [])
    with ctx.session.no_autoflush:
        present = present_documents(ctx, request.client_id, required)
        filing_type_id = _filing_types(ctx, request.template_id).get(step.order)
    missing_ids = [t for t in (step.required_doc_type_ids or []) if t not in present]
    if missing_ids:
        with ctx.session.no_autoflush:
            names = _type_names(ctx, set(missing_ids))
        missing = [names.get(t, f"Document type {t}") for t in missing_ids]
        if not reason:
            raise MissingDocuments(missing)
        note = (
            f"Done without {', '.join(missing)} — {reason} "
            f"({ctx.user_name}, {utcnow():%Y-%m-%d %H:%M} UTC)"
        )
        step.description = f"{step.description}\n\n{note}" if step.description else note
    if filing_type_id is not None and step.filing_id is None:
        step.filing_id = _file(ctx, request, step, filing_type_id)


def start_step(ctx: Context, step_id: int, expected: datetime | None = None) -> dict[str, Any]:
    return set_step_status(ctx, step_id, "in_progress", expected)


def block_step(ctx: Context, step_id: int, expected: datetime | None = None) -> dict[str, Any]:
    return set_step_status(ctx, step_id, "blocked", expected)


def complete_step(
    ctx: Context,
    step_id: int,
    expected: datetime | None = None,
    *,
    override_reason: str | None = None,
) -> dict[str, Any]:
    return set_step_status(ctx, step_id, "done", expected, override_reason=override_reason)


__all__ = [
    "STEP_TRANSITIONS",
    "block_step",
    "checklist",
    "complete_step",
    "present_documents",
    "set_step_status",
    "start_step",
]
