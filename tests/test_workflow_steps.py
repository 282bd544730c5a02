"""A template's steps (DOMAIN.md §5): the platform's stored forms open, an edited list is checked
strictly (cycles, dangling and forward dependencies, duplicate orders, bad types), and a reorder
renumbers the steps with their dependencies."""

from __future__ import annotations

import json

import pytest

from gcmc_desktop.services.errors import ValidationError
from gcmc_desktop.services.workflow_steps import (
    StepDefinition,
    read_steps,
    renumbered,
    steps_json,
    validate_steps,
)

DESKTOP = [
    {"order": 2, "title": "File", "requiredDocTypeIds": [], "dependsOnOrder": 1, "dueInDays": 9},
    {"order": 1, "title": " Collect ", "requiredDocTypeIds": [4, 4, 7], "dueInDays": 3},
]


@pytest.mark.parametrize(
    "stored", [DESKTOP, {"steps": DESKTOP}, json.dumps(DESKTOP), json.dumps({"steps": DESKTOP})]
)
def test_every_stored_form_opens_sorted(stored) -> None:
    steps = read_steps(stored)
    assert [s.order for s in steps] == [1, 2]
    assert steps[0] == StepDefinition(1, "Collect", "", (4, 7), None, 3, None)
    assert steps[1].depends_on_order == 1 and steps[1].due_in_days == 9


def test_reading_is_tolerant_of_what_the_platform_wrote() -> None:
    wizard = [
        {"order": "1", "title": "Intake", "requiredDocTypeIds": ["3", None, True]},
        {"order": 2, "title": "", "requiredDocTypeIds": []},  # no title: left out
        {"order": 3, "title": "Loop", "dependsOnOrder": 3},  # on itself: dropped
        {"order": 4, "title": "Ahead", "dependsOnOrder": 9},  # dangling: dropped
        "not a step",
    ]
    steps = read_steps(wizard)
    assert [(s.order, s.depends_on_order) for s in steps] == [(1, None), (3, None), (4, None)]
    assert steps[0].required_document_type_ids == (3,)
    for broken in (None, "", "{not json", 42, {"steps": "x"}):
        assert read_steps(broken) == []


def test_validation_names_each_problem_with_its_step() -> None:
    with pytest.raises(ValidationError) as caught:
        validate_steps(
            [
                {"order": 1, "title": "A", "dependsOnOrder": 2},  # forward (a cycle with 2)
                {"order": 2, "title": "B", "dependsOnOrder": 1},
                {"order": 2, "title": "C"},
                {"order": 3, "title": "  ", "dueInDays": -1},
                {"order": 4, "title": "x\x00y", "requiredDocTypeIds": ["1"]},
                {"order": 5, "title": "D", "dependsOnOrder": "1", "filingTypeId": 1.5},
            ]
        )
    message = caught.value.field_errors["steps"]
    for part in (
        "Step 1: it can only wait for an earlier step (not step 2).",
        "Step 2: order 2 is used twice.",
        "Step 3's title is required.",
        "Step 3: its due days must be a whole number from 0 to 3650.",
        "Step 4's title contains a NUL character.",
        "Step 4: its required documents must be document types.",
        "Step 5: its dependency must be a step's order.",
        "Step 5: its filing type is not a filing type.",
    ):
        assert part in message
    with pytest.raises(ValidationError, match="at least one step"):
        validate_steps([])
    with pytest.raises(ValidationError, match="waits for step 7, which is not in the template"):
        validate_steps(
            [{"order": 1, "title": "A"}, {"order": 8, "title": "B", "dependsOnOrder": 7}]
        )


def test_a_valid_list_round_trips_through_the_stored_form() -> None:
    steps = validate_steps(DESKTOP[::-1])
    stored = steps_json(steps)
    assert stored == [
        {"order": 1, "title": "Collect", "requiredDocTypeIds": [4, 7], "dueInDays": 3},
        {"order": 2, "title": "File", "requiredDocTypeIds": [], "dependsOnOrder": 1,
         "dueInDays": 9},
    ]  # fmt: skip
    assert read_steps(stored) == steps


def test_reorder_renumbers_and_drops_dependencies_that_would_point_forward() -> None:
    a, b, c = (
        StepDefinition(1, "A"),
        StepDefinition(2, "B", depends_on_order=1),
        StepDefinition(3, "C", depends_on_order=2),
    )
    moved = renumbered([c, a, b])  # C dragged to the top: it cannot wait for B any more
    assert [(s.title, s.order, s.depends_on_order) for s in moved] == [
        ("C", 1, None),
        ("A", 2, None),
        ("B", 3, 2),
    ]
    validate_steps(moved)
