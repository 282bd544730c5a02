"""A workflow template's steps (`service_request_templates.stepsDefinition`, DOMAIN.md §5).

The Desktop convention is a JSON array of ``{"order", "title", "description"?,
"requiredDocTypeIds": [int], "dependsOnOrder"?, "dueInDays"?, "filingTypeId"?}``. What the web
platform writes opens too: ``{"steps": [...]}`` around the array, a JSON string of either, and
its wizard's steps (no dependency, no ``dueInDays``). `read_steps` is tolerant (for showing and
for creating requests from templates already stored); `validate_steps` is strict (for saving):
orders unique and positive, titles present, dependencies on an earlier step of the same
template (so no cycle and nothing dangling), non-negative due days, ids that are ids.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from .errors import ValidationError

MAX_STEPS = 100
MAX_TITLE = 200
MAX_DESCRIPTION = 2_000
MAX_DUE_IN_DAYS = 3_650


@dataclass(frozen=True)
class StepDefinition:
    order: int
    title: str
    description: str = ""
    required_document_type_ids: tuple[int, ...] = field(default_factory=tuple)
    depends_on_order: int | None = None
    due_in_days: int | None = None
    filing_type_id: int | None = None

    def as_json(self) -> dict[str, Any]:
        """The stored form (the Desktop convention's keys; optional ones only when set)."""
        out: dict[str, Any] = {
            "order": self.order,
            "title": self.title,
            "requiredDocTypeIds": list(self.required_document_type_ids),
        }
        if self.description:
            out["description"] = self.description
        if self.depends_on_order is not None:
            out["dependsOnOrder"] = self.depends_on_order
        if self.due_in_days is not None:
            out["dueInDays"] = self.due_in_days
        if self.filing_type_id is not None:
            out["filingTypeId"] = self.filing_type_id
        return out


def _raw_list(definition: Any) -> list[Any]:
    if isinstance(definition, str | bytes):
        try:
            definition = json.loads(definition)
        except ValueError:
            return []
    if isinstance(definition, Mapping):
        definition = definition.get("steps", [])
    return list(definition) if isinstance(definition, list | tuple) else []


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _ids(value: Any) -> tuple[int, ...]:
    if not isinstance(value, list | tuple):
        return ()
    found = (_int_or_none(v) for v in value)
    return tuple(dict.fromkeys(v for v in found if v is not None and v > 0))


def read_steps(definition: Any) -> list[StepDefinition]:
    """The steps of a stored definition, sorted by order; what cannot be read is left out
    (a step without a usable order or title, a dependency on a step that is not there)."""
    steps: dict[int, StepDefinition] = {}
    for raw in _raw_list(definition):
        if not isinstance(raw, Mapping):
            continue
        order = _int_or_none(raw.get("order"))
        title = raw.get("title")
        if order is None or order in steps or not isinstance(title, str) or not title.strip():
            continue
        description = raw.get("description")
        steps[order] = StepDefinition(
            order=order,
            title=title.strip(),
            description=description.strip() if isinstance(description, str) else "",
            required_document_type_ids=_ids(raw.get("requiredDocTypeIds")),
            depends_on_order=_int_or_none(raw.get("dependsOnOrder")),
            due_in_days=_int_or_none(raw.get("dueInDays")),
            filing_type_id=_int_or_none(raw.get("filingTypeId")),
        )
    ordered = sorted(steps.values(), key=lambda s: s.order)
    # A dependency must be an earlier step: anything else (itself, later, missing) is dropped,
    # which also leaves no cycle.
    return [
        s
        if s.depends_on_order is None
        or (s.depends_on_order in steps and s.depends_on_order < s.order)
        else replace(s, depends_on_order=None)
        for s in ordered
    ]


def _text(value: Any, limit: int, label: str, errors: list[str], *, required: bool) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors.append(f"{label} must be text.")
        return ""
    value = value.strip()
    if "\x00" in value:
        errors.append(f"{label} contains a NUL character.")
    elif required and not value:
        errors.append(f"{label} is required.")
    elif len(value) > limit:
        errors.append(f"{label} is longer than {limit} characters.")
    return value


def validate_steps(steps: Iterable[Mapping[str, Any] | StepDefinition]) -> list[StepDefinition]:
    """Strict check of an edited step list (dicts in the stored form, or StepDefinitions).
    Raises ValidationError(field "steps") listing every problem, each naming its step."""
    items = [s.as_json() if isinstance(s, StepDefinition) else s for s in steps]
    errors: list[str] = []
    if not items:
        errors.append("A template needs at least one step.")
    if len(items) > MAX_STEPS:
        errors.append(f"A template can have at most {MAX_STEPS} steps.")
    out: list[StepDefinition] = []
    seen: set[int] = set()
    for position, raw in enumerate(items, start=1):
        problems: list[str] = []
        if not isinstance(raw, Mapping):
            errors.append(f"Step {position} is not a step.")
            continue
        order = raw.get("order")
        if isinstance(order, bool) or not isinstance(order, int) or order < 1:
            problems.append("its order must be a whole number from 1")
            order = None
        elif order in seen:
            problems.append(f"order {order} is used twice")
        name = f"Step {order if order is not None else position}"
        title = _text(raw.get("title"), MAX_TITLE, f"{name}'s title", errors, required=True)
        description = _text(
            raw.get("description"), MAX_DESCRIPTION, f"{name}'s description", errors,
            required=False,
        )  # fmt: skip
        depends = raw.get("dependsOnOrder")
        if depends is not None:
            if isinstance(depends, bool) or not isinstance(depends, int):
                problems.append("its dependency must be a step's order")
                depends = None
            elif order is not None and depends >= order:
                problems.append(f"it can only wait for an earlier step (not step {depends})")
            elif depends not in seen:
                problems.append(f"it waits for step {depends}, which is not in the template")
        due = raw.get("dueInDays")
        if due is not None and (
            isinstance(due, bool) or not isinstance(due, int) or not 0 <= due <= MAX_DUE_IN_DAYS
        ):
            problems.append(f"its due days must be a whole number from 0 to {MAX_DUE_IN_DAYS}")
            due = None
        filing = raw.get("filingTypeId")
        if filing is not None and (isinstance(filing, bool) or not isinstance(filing, int)):
            problems.append("its filing type is not a filing type")
            filing = None
        ids = raw.get("requiredDocTypeIds") or []
        if not isinstance(ids, list | tuple) or any(
            isinstance(i, bool) or not isinstance(i, int) or i < 1 for i in ids
        ):
            problems.append("its required documents must be document types")
            ids = []
        errors.extend(f"{name}: {p}." for p in problems)
        if order is not None:
            seen.add(order)
            out.append(
                StepDefinition(
                    order=order,
                    title=title,
                    description=description,
                    required_document_type_ids=tuple(dict.fromkeys(ids)),
                    depends_on_order=depends,
                    due_in_days=due,
                    filing_type_id=filing,
                )
            )
    if errors:
        raise ValidationError(" ".join(errors), {"steps": " ".join(errors)})
    return sorted(out, key=lambda s: s.order)


def steps_json(steps: Iterable[StepDefinition]) -> list[dict[str, Any]]:
    """What `stepsDefinition` stores: the Desktop convention's bare array, in order."""
    return [s.as_json() for s in sorted(steps, key=lambda s: s.order)]


def renumbered(steps: list[StepDefinition]) -> list[StepDefinition]:
    """The steps in their list order numbered 1..n, dependencies following their step (an
    editor's reorder by drag). A dependency that would now point forward is dropped."""
    new_order = {s.order: i for i, s in enumerate(steps, start=1)}
    out = []
    for i, s in enumerate(steps, start=1):
        depends = new_order.get(s.depends_on_order) if s.depends_on_order is not None else None
        if depends is not None and depends >= i:
            depends = None
        out.append(replace(s, order=i, depends_on_order=depends))
    return out
