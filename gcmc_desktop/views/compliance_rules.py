"""Compliance rule sets admin (Edit → Compliance rule sets…): the firm's rule sets on the kit — a
list page in a window and the record form (name; whom it applies to, as two lists of client
types and sectors to tick, none ticked = all; active) — and, through *Rules…*, the selected set's
rules in a list scoped to it (type in words, the document or filing type it targets, the
expiry window, points). Create, edit and delete all need `compliance:edit` (DOMAIN.md §1)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ..services.catalog import CLIENT_TYPES, SECTORS
from ..services.compliance_rules import (
    EDIT_ACTIONS,
    RULE_TYPE_LABELS,
    applies_to_text,
    create_rule,
    create_rule_set,
    delete_impact,
    delete_rule,
    delete_rule_set,
    get_rule,
    get_rule_set,
    rule_list_query,
    rule_set_list_query,
    target_choices,
    update_rule,
    update_rule_set,
)
from ..services.context import Context
from .kit.fields import CheckList, FieldSpec
from .kit.list_page import ActionSpec, DeleteSpec, FilterSpec, ListPage, ListSpec, ListWindow
from .kit.record_dialog import RecordSpec

ACTIVE_CHOICES = (("Yes — used in scores", True), ("No — not used", False))
RULE_TYPE_CHOICES = tuple((label, code) for code, label in RULE_TYPE_LABELS.items())


class AppliesToEditor(QWidget):
    """`appliesTo` as two lists to tick: client types and sectors; none ticked in a list means
    all of them. Its value is {"clientTypes": [...], "sectors": [...]} without empty lists, or
    None for all clients."""

    def __init__(self) -> None:
        super().__init__()
        self.client_types = CheckList(
            [(t.capitalize(), t) for t in CLIENT_TYPES], "Applies to client types"
        )
        self.client_types.setObjectName("client_types")
        self.sectors = CheckList([(s, s) for s in SECTORS], "Applies to sectors")
        self.sectors.setObjectName("sectors")
        self.client_types.setFixedHeight(self.client_types.sizeHintForRow(0) * 3 + 6)
        self.sectors.setFixedHeight(self.sectors.sizeHintForRow(0) * 6 + 6)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        for title, widget in (("Client types", self.client_types), ("Sectors", self.sectors)):
            column = QVBoxLayout()
            column.addWidget(QLabel(title))
            column.addWidget(widget)
            column.addStretch(1)
            row.addLayout(column, 1)
        outer.addLayout(row)
        self.hint = QLabel("Tick with Space. None ticked in a list = all of them.")
        self.hint.setEnabled(False)
        outer.addWidget(self.hint)
        self.setFocusProxy(self.client_types)
        QWidget.setTabOrder(self.client_types, self.sectors)

    def value(self) -> dict[str, list[str]] | None:
        out = {}
        if self.client_types.value():
            out["clientTypes"] = self.client_types.value()
        if self.sectors.value():
            out["sectors"] = self.sectors.value()
        return out or None

    def set_value(self, value: Any) -> None:
        value = value if isinstance(value, dict) else {}
        self.client_types.set_value(value.get("clientTypes"))
        self.sectors.set_value(value.get("sectors"))

    def display(self, value: Any) -> str:
        return applies_to_text(value)


RULE_SET_RECORD = RecordSpec(
    noun="rule set",
    entity="compliance_rule_set",
    fields=(
        FieldSpec("name", "Name", required=True, placeholder="e.g. Companies — GRA and NIS"),
        FieldSpec("applies_to", "Applies to", "custom", editor=AppliesToEditor),
        FieldSpec("active", "Active", "choice", choices=ACTIVE_CHOICES, default=True),
    ),
    load=get_rule_set,
    create=create_rule_set,
    update=update_rule_set,
    min_width=620,
)


def _rule_form(values: dict[str, Any]) -> dict[str, Any]:
    """The weight and the expiry window as typed."""
    form = dict(values)
    weight = form.get("weight")
    form["weight"] = "" if weight is None else f"{weight:g}"
    days = form.get("within_days")
    form["within_days"] = "" if days is None else str(days)
    return form


RULE_RECORD = RecordSpec(
    noun="rule",
    entity="compliance_rule",
    fields=(
        FieldSpec(
            "rule_type",
            "Rule",
            "choice",
            required=True,
            blank="Choose…",
            choices=RULE_TYPE_CHOICES,
            choice_error="Choose what the rule checks.",
        ),
        FieldSpec(
            "target_id",
            "Document or filing type",
            "choice",
            blank="Any (for expiring documents and overdue filings)",
            load=target_choices,
            depends_on=("rule_type",),
        ),
        FieldSpec(
            "within_days",
            "Expiring within (days)",
            placeholder="30 — for a document-expiring rule",
            max_length=5,
        ),
        FieldSpec("weight", "Points", required=True, placeholder="e.g. 10", max_length=8),
        FieldSpec("description", "Description", "text", height=60),
    ),
    load=get_rule,
    create=create_rule,
    update=update_rule,
    min_width=560,
    to_form=_rule_form,
)


RULES = ListSpec(
    noun="rule",
    plural="rules",
    module="compliance",
    grants=EDIT_ACTIONS,
    query=lambda ctx, scope: rule_list_query(ctx, scope.get("rule_set_id")),
    listens_to=frozenset({"compliance_rule", "compliance_rule_set"}),
    record=RULE_RECORD,
    delete=DeleteSpec(delete_rule),
    search_hint="Search description or rule set",
    filters=(FilterSpec("rule_type", "All rules", "Rule filter", RULE_TYPE_CHOICES),),
    hidden=lambda scope: ("rule_set",) if scope.get("rule_set_id") else (),
    widths={"rule_type": 160, "target": 260, "condition": 120, "weight": 60},
    sort="rule_type",
    new_label="Add…",
    name_key="rule_type",
)


def rules_window(
    ctx: Context, parent: QWidget | None = None, *, rule_set_id: int, rule_set_name: str = ""
) -> ListWindow:
    """A rule set's rules in a window of their own."""
    title = f"Rules — {rule_set_name}" if rule_set_name else "Rules"
    return ListWindow(
        ctx,
        RULES,
        title,
        "Each rule takes its points off a client's compliance score when it fails: a required "
        "document or filing missing, a document expiring soon, a filing overdue.",
        parent,
        rule_set_id=rule_set_id,
    )


def open_rules(page: ListPage) -> None:
    rule_set_id = page.selected_id()
    if rule_set_id is None:
        return
    name = str(page.selected_values().get("name") or "")
    rules_window(page.ctx, page, rule_set_id=rule_set_id, rule_set_name=name).open()


RULE_SETS = ListSpec(
    noun="rule set",
    plural="rule sets",
    module="compliance",
    grants=EDIT_ACTIONS,
    query=lambda ctx, _scope: rule_set_list_query(ctx),
    listens_to=frozenset({"compliance_rule_set", "compliance_rule"}),
    record=RULE_SET_RECORD,
    delete=DeleteSpec(delete_rule_set, impact=delete_impact),
    search_hint="Search name",
    filters=(
        FilterSpec(
            "active", "Active or not", "Active filter", (("Active", True), ("Inactive", False))
        ),
    ),
    widths={"name": 280, "applies_to": 340, "rules": 60, "active": 60},
    sort="name",
    new_label="Add…",
    actions=(
        ActionSpec(
            "Rules…",
            open_rules,
            needs_selection=True,
            tooltip="The selected rule set's rules",
        ),
    ),
)


def rule_sets_window(ctx: Context, parent: QWidget | None = None) -> ListWindow:
    """The rule sets in a window of their own (Edit → Compliance rule sets…)."""
    return ListWindow(
        ctx,
        RULE_SETS,
        "Compliance rule sets",
        "What a client's compliance score checks beyond documents and filings in general: each "
        "active rule set applies to the client types and sectors it names (all when none).",
        parent,
    )
