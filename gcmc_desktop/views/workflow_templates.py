"""Workflow templates admin (Edit → Workflow templates…, or *Workflow templates…* on the service
catalog for the selected service): a list page in a window and the template form — name,
service, description and the steps, edited in the steps editor (views/steps_editor.py)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QWidget

from ..services.context import Context
from ..services.service_catalog import service_choices
from ..services.workflow_steps import read_steps, steps_json
from ..services.workflow_templates import (
    create_template,
    delete_template,
    get_template,
    step_choices,
    template_list_query,
    update_template,
)
from .kit.fields import FieldSpec
from .kit.list_page import DeleteSpec, FilterSpec, ListSpec, ListWindow
from .kit.record_dialog import RecordSpec
from .steps_editor import StepsEditor


def _form(values: dict[str, Any]) -> dict[str, Any]:
    """A stored template in the form's shape: its steps as the editor holds them (also for
    the other version of a conflict, which comes as stored — maybe {"steps": [...]})."""
    form = dict(values)
    if "steps_definition" in form:
        form["steps_definition"] = steps_json(read_steps(form["steps_definition"]))
    return form


TEMPLATE_RECORD = RecordSpec(
    noun="workflow template",
    entity="service_request_template",
    fields=(
        FieldSpec("name", "Name", required=True, placeholder="e.g. Company incorporation"),
        FieldSpec(
            "service_id",
            "Service",
            "choice",
            required=True,
            blank="Choose…",
            load=service_choices,
            scoped=True,
            choice_error="Choose the service this template is for.",
        ),
        FieldSpec("description", "Description", "text", height=48),
        FieldSpec(
            "steps_definition",
            "Steps",
            "custom",
            required=True,
            editor=StepsEditor,
            load=step_choices,
        ),
    ),
    load=get_template,
    create=create_template,
    update=update_template,
    min_width=940,
    to_form=_form,
)


def _service_filter(ctx: Context) -> list[tuple[str, int]]:
    return service_choices(ctx)


TEMPLATES = ListSpec(
    noun="workflow template",
    plural="workflow templates",
    module="services",
    query=lambda ctx, scope: template_list_query(ctx, scope.get("service_id")),
    listens_to=frozenset({"service_request_template", "service"}),
    record=TEMPLATE_RECORD,
    delete=DeleteSpec(delete_template),
    search_hint="Search template or service name",
    filters=(FilterSpec("service_id", "All services", "Service filter", load=_service_filter),),
    hidden=lambda scope: ("service",) if scope.get("service_id") else (),
    widths={"name": 280, "service": 240, "steps": 60},
    sort="name",
    new_label="Add…",
)


def templates_window(
    ctx: Context,
    parent: QWidget | None = None,
    *,
    service_id: int | None = None,
    service_name: str = "",
) -> ListWindow:
    """The templates (of one service, or all) in a window of its own."""
    scope = {"service_id": service_id} if service_id is not None else {}
    title = f"Workflow templates — {service_name}" if service_name else "Workflow templates"
    window = ListWindow(
        ctx,
        TEMPLATES,
        title,
        "The standard steps of a service: a new service request made from a template gets "
        "its steps, each with its required documents, what it waits for and its due date.",
        parent,
        **scope,
    )
    if scope:
        window.page.filter_box("service_id").hide()
    return window
