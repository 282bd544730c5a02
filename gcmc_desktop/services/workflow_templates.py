"""Workflow templates (`service_request_templates`, DOMAIN.md §5): the standard steps of a
service — each step's title, description, required document types, the earlier step it waits
for, due in N days and an optional filing type. Guarded by the `services` permissions.

`stepsDefinition` is read with `workflow_steps.read_steps` (every form the web platform stores:
a bare array, ``{"steps": [...]}``, a JSON string; missing optional keys) and written with
`workflow_steps.validate_steps` / `steps_json` (the Desktop convention's bare array). A step's
required document types and filing type must be this firm's; the message names the step."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from ..models import DocumentType, FilingType, Service, ServiceRequestTemplate
from . import crud, records
from .context import Context, require
from .errors import ValidationError
from .paging import ColumnSpec, PagedQuery
from .workflow_steps import StepDefinition, read_steps, steps_json, validate_steps

MODULE = "services"
TEMPLATE_FIELDS = ("name", "service_id", "description", "steps_definition")
TEMPLATE_RULES: dict[str, records.FieldRule] = {
    "name": records.TEXT,
    "service_id": records.FieldRule("integer"),
    "description": records.FieldRule(max_length=records.NOTES_LENGTH),
    "steps_definition": records.ANY,  # checked by workflow_steps.validate_steps
}
assert set(TEMPLATE_RULES) == set(TEMPLATE_FIELDS)


def validate_template(data: dict[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """Clean and check template fields (no database): the steps strictly, stored as the bare
    array. Raises ValidationError with a message per field."""
    errors: dict[str, str] = {}
    cleaned = records.clean_fields(
        data, TEMPLATE_RULES, "workflow template", untrimmed=("steps_definition",), errors=errors
    )
    if (not partial or "name" in cleaned) and not cleaned.get("name") and "name" not in errors:
        errors["name"] = "Enter the template's name."
    if (not partial or "service_id" in cleaned) and not cleaned.get("service_id"):
        errors.setdefault("service_id", "Choose the service this template is for.")
    if not partial or "steps_definition" in cleaned:
        raw = cleaned.get("steps_definition")
        if raw is None:
            raw = []
        if isinstance(raw, dict) and "steps" in raw:  # the platform's wrapped form
            raw = raw["steps"]
        if not isinstance(raw, list | tuple):
            errors["steps_definition"] = "The steps must be a list of steps."
        else:
            try:
                cleaned["steps_definition"] = steps_json(validate_steps(raw))
            except ValidationError as exc:
                errors["steps_definition"] = exc.field_errors.get("steps", exc.message)
    if errors:
        raise ValidationError(field_errors=errors)
    return cleaned


def _name(step: StepDefinition) -> str:
    return f'Step {step.order} ("{step.title}")'


def reference_problems(ctx: Context, steps: Iterable[StepDefinition]) -> list[str]:
    """What in `steps` is not this firm's: required document types and filing types that are
    another firm's, or gone. One sentence per step and kind."""
    steps = list(steps)
    doc_ids = {i for s in steps for i in s.required_document_type_ids}
    filing_ids = {s.filing_type_id for s in steps if s.filing_type_id is not None}
    known_docs: set[int] = set()
    known_filings: set[int] = set()
    if doc_ids:
        known_docs = set(
            ctx.session.scalars(
                select(DocumentType.id).where(
                    DocumentType.tenant_id == ctx.tenant_id, DocumentType.id.in_(doc_ids)
                )
            )
        )
    if filing_ids:
        known_filings = set(
            ctx.session.scalars(
                select(FilingType.id).where(
                    FilingType.tenant_id == ctx.tenant_id, FilingType.id.in_(filing_ids)
                )
            )
        )
    problems = []
    for step in steps:
        unknown = [i for i in step.required_document_type_ids if i not in known_docs]
        if unknown:
            which = ", ".join(f"#{i}" for i in unknown)
            problems.append(
                f"{_name(step)}: the required document type {which} is not one of this "
                "firm's document types."
                if len(unknown) == 1
                else f"{_name(step)}: the required document types {which} are not this "
                "firm's document types."
            )
        if step.filing_type_id is not None and step.filing_type_id not in known_filings:
            problems.append(
                f"{_name(step)}: filing type #{step.filing_type_id} is not one of this firm's "
                "filing types."
            )
    return problems


def _check_references(ctx: Context, values: dict[str, Any]) -> None:
    errors: dict[str, str] = {}
    service_id = values.get("service_id")
    if service_id is not None and (
        ctx.session.scalar(
            select(Service.id).where(Service.tenant_id == ctx.tenant_id, Service.id == service_id)
        )
        is None
    ):
        errors["service_id"] = "Choose one of this firm's services."
    if "steps_definition" in values:
        problems = reference_problems(ctx, read_steps(values["steps_definition"]))
        if problems:
            errors["steps_definition"] = " ".join(problems)
    if errors:
        ctx.session.rollback()
        raise ValidationError(field_errors=errors)


TEMPLATES = crud.Entity(
    ServiceRequestTemplate,
    MODULE,
    validate_template,
    check_create=_check_references,
    check_update=lambda ctx, _ident, values: _check_references(ctx, values),
)


def template_values(ctx: Context, row: ServiceRequestTemplate) -> dict[str, Any]:
    """A template as plain data: its steps read in every stored form and given back as the
    Desktop convention's array; and its service's name."""
    values = records.snapshot(row)
    values["steps_definition"] = steps_json(read_steps(row.steps_definition))
    service = ctx.session.get(Service, row.service_id)
    values["service_name"] = service.name if service is not None else ""
    return values


def get_template(ctx: Context, template_id: int) -> dict[str, Any]:
    require(ctx, MODULE, "view")
    return template_values(ctx, records.get(ctx, ServiceRequestTemplate, template_id))


def list_templates(ctx: Context, service_id: int | None = None) -> list[dict[str, Any]]:
    """The firm's templates (of one service, or all) by name."""
    require(ctx, MODULE, "view")
    query = select(ServiceRequestTemplate).order_by(
        ServiceRequestTemplate.name, ServiceRequestTemplate.id
    )
    if service_id is not None:
        query = query.where(ServiceRequestTemplate.service_id == service_id)
    return [template_values(ctx, row) for row in ctx.session.scalars(query)]


def create_template(ctx: Context, data: dict[str, Any], **scope: Any) -> dict[str, Any]:
    """A new template; a page scoped to one service passes its `service_id`."""
    data = crud.scoped(data, scope, "service_id")
    created = TEMPLATES.create(ctx, data)
    return get_template(ctx, created["id"])


def update_template(
    ctx: Context, template_id: int, changes: dict[str, Any], expected_updated_at: datetime | None
) -> dict[str, Any]:
    TEMPLATES.update(ctx, template_id, changes, expected_updated_at)
    return get_template(ctx, template_id)


def delete_template(ctx: Context, template_id: int) -> None:
    """Delete a template; requests made from it keep their steps (their templateId is cleared
    by the database)."""
    TEMPLATES.delete(ctx, template_id)


def _step_count(value: Any) -> str:
    return str(len(read_steps(value)))


TEMPLATE_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("name", "Name", ServiceRequestTemplate.name),
    ColumnSpec("service", "Service", Service.name),
    ColumnSpec(
        "steps",
        "Steps",
        ServiceRequestTemplate.steps_definition,
        sortable=False,
        formatter=_step_count,
    ),
    ColumnSpec("description", "Description", ServiceRequestTemplate.description, sortable=False),
)


def template_list_query(ctx: Context, service_id: int | None = None) -> PagedQuery:
    """The firm's templates (of one service, or all), by name; filter `service_id`; search
    over the template's and the service's name."""
    require(ctx, MODULE, "view")
    base = (
        select(ServiceRequestTemplate)
        .join(Service, Service.id == ServiceRequestTemplate.service_id)
        .where(ServiceRequestTemplate.tenant_id == ctx.tenant_id)
    )
    if service_id is not None:
        base = base.where(ServiceRequestTemplate.service_id == service_id)
    return PagedQuery(
        base,
        TEMPLATE_COLUMNS,
        search_columns=(ServiceRequestTemplate.name, Service.name),
        filter_columns={"service_id": ServiceRequestTemplate.service_id},
        sort_key="name",
    )


def template_count(ctx: Context, service_id: int) -> int:
    require(ctx, MODULE, "view")
    return int(
        ctx.session.scalar(
            select(func.count())
            .select_from(ServiceRequestTemplate)
            .where(ServiceRequestTemplate.service_id == service_id)
        )
        or 0
    )


def step_choices(ctx: Context, _known: Any = None) -> dict[str, list[tuple[str, int]]]:
    """What a step may refer to, by name: the firm's document types and filing types."""
    require(ctx, MODULE, "view")
    docs = ctx.session.execute(
        select(DocumentType.name, DocumentType.id)
        .where(DocumentType.tenant_id == ctx.tenant_id)
        .order_by(DocumentType.name, DocumentType.id)
    )
    filings = ctx.session.execute(
        select(FilingType.name, FilingType.authority, FilingType.id)
        .where(FilingType.tenant_id == ctx.tenant_id)
        .order_by(FilingType.name, FilingType.id)
    )
    return {
        "document_types": [(name, i) for name, i in docs],
        "filing_types": [
            (f"{name} ({authority})" if authority else name, i) for name, authority, i in filings
        ],
    }
