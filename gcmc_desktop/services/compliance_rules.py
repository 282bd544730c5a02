"""Compliance rule sets and their rules (`compliance_rule_sets`, `compliance_rules`, DOMAIN.md §3):
what the compliance score checks beyond its base formula.

A rule set has a name, whom it applies to — `appliesTo` = {"clientTypes": [...], "sectors":
[...]} from the vocabularies in `services.catalog`, an absent key meaning "all" (both absent is
stored as null) — and whether it is active. Its rules each have a type:

- `document_required`: the client must hold a document of the target document type;
- `filing_required`: the client must have a filing of the target filing type;
- `document_expiring`: a document (of the target type, or of any type when none is chosen)
  expires within `condition.withinDays` days (1..3,650, 30 when not given);
- `filing_overdue`: a filing (of the target type, or any) is overdue;

a target that must be one of this firm's document types or filing types as the type requires,
and a weight (points, > 0, at most 100).

Permissions (DOMAIN.md §1): guarded by `compliance`; viewing needs `view`, and creating,
editing and deleting rule sets and rules all need `compliance:edit` ("rule sets, rules, bundles
… (= edit)"): the built-in table gives no role `compliance:create` or `delete`. So FirmAdmin,
Admin and ComplianceManager manage them; Viewer reads them; the other roles see nothing. The
database's policies (0006) ask the same `compliance` edit for writes."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select

from ..models import ComplianceRule, ComplianceRuleSet, DocumentType, FilingType
from . import crud, records
from .catalog import CLIENT_TYPES, SECTORS
from .context import Context, require
from .errors import ValidationError
from .paging import ColumnSpec, PagedQuery

MODULE = "compliance"
# DOMAIN.md §1: rule sets, rules, bundles and recalculation are all `compliance:edit`.
EDIT_ACTIONS = {"create": "edit", "edit": "edit", "delete": "edit"}

RULE_TYPES: tuple[str, ...] = (
    "document_required",
    "filing_required",
    "document_expiring",
    "filing_overdue",
)
RULE_TYPE_LABELS: dict[str, str] = {
    "document_required": "Document required",
    "filing_required": "Filing required",
    "document_expiring": "Document expiring",
    "filing_overdue": "Filing overdue",
}
DOCUMENT_RULES = frozenset({"document_required", "document_expiring"})
TARGET_REQUIRED = frozenset({"document_required", "filing_required"})
DEFAULT_WITHIN_DAYS = 30
MAX_WITHIN_DAYS = 3_650
MAX_WEIGHT = 100.0

APPLIES_KEYS = {"clientTypes": CLIENT_TYPES, "sectors": SECTORS}
APPLIES_WORDS = {"clientTypes": "client types", "sectors": "sectors"}


def rule_type_label(rule_type: Any) -> str:
    """ "Document required"; a type only the platform knows in words too ("Bonus points")."""
    code = str(rule_type or "")
    return RULE_TYPE_LABELS.get(code, code.replace("_", " ").strip().capitalize())


# --------------------------------------------------------------------------------------------
# Rule sets

RULE_SET_FIELDS = ("name", "applies_to", "active")
RULE_SET_RULES: dict[str, records.FieldRule] = {
    "name": records.TEXT,
    "applies_to": records.ANY,
    "active": records.ANY,
}


def clean_applies_to(value: Any) -> tuple[dict[str, list[str]] | None, str | None]:
    """`appliesTo` as stored: only the known keys, each a list of known values in vocabulary
    order without repeats; an empty list or absent key = all; nothing left = None (all)."""
    if value is None or value == "":
        return None, None
    if not isinstance(value, Mapping):
        return None, "Say which client types and sectors the rule set applies to."
    unknown_keys = [k for k in value if k not in APPLIES_KEYS]
    if unknown_keys:
        return None, "Only client types and sectors can be chosen."
    out: dict[str, list[str]] = {}
    for key, vocabulary in APPLIES_KEYS.items():
        chosen = value.get(key)
        if chosen is None:
            continue
        if isinstance(chosen, str) or not isinstance(chosen, list | tuple | set | frozenset):
            return None, f"Choose the {APPLIES_WORDS[key]} from the list."
        wrong = [c for c in chosen if c not in vocabulary]
        if wrong:
            return None, f"Not one of the {APPLIES_WORDS[key]}: " + ", ".join(map(str, wrong))
        picked = [v for v in vocabulary if v in set(chosen)]
        if picked:
            out[key] = picked
    return (out or None), None


def read_applies_to(value: Any) -> dict[str, list[str]] | None:
    """A stored `appliesTo` read tolerantly (the web platform's rows): a JSON string, a single
    value instead of a list, other letter case ("Company"), `client_types` for `clientTypes`;
    unknown keys and values dropped. None = all clients."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    if not isinstance(value, Mapping):
        return None
    aliases = {"clientTypes": ("clientTypes", "client_types", "types"), "sectors": ("sectors",)}
    out: dict[str, list[str]] = {}
    for key, vocabulary in APPLIES_KEYS.items():
        raw = next((value[a] for a in aliases[key] if a in value), None)
        if isinstance(raw, str):
            raw = [raw]
        if not isinstance(raw, list | tuple):
            continue
        wanted = {str(v).strip().casefold() for v in raw}
        picked = [v for v in vocabulary if v.casefold() in wanted]
        if picked:
            out[key] = picked
    return out or None


def validate_rule_set(data: dict[str, Any], *, partial: bool = False) -> dict[str, Any]:
    errors: dict[str, str] = {}
    cleaned = records.clean_fields(data, RULE_SET_RULES, "rule set", errors=errors)
    if (not partial or "name" in cleaned) and not cleaned.get("name") and "name" not in errors:
        errors["name"] = "Enter the rule set's name."
    if "applies_to" in cleaned:
        cleaned["applies_to"], problem = clean_applies_to(cleaned["applies_to"])
        if problem:
            errors["applies_to"] = problem
    if "active" in cleaned:
        active = cleaned["active"]
        if active is None:
            if partial:
                cleaned.pop("active")
            else:
                cleaned["active"] = True
        elif not isinstance(active, bool):
            errors["active"] = "Say whether the rule set is active (yes or no)."
    elif not partial:
        cleaned["active"] = True
    if errors:
        raise ValidationError(field_errors=errors)
    return cleaned


RULE_SETS = crud.Entity(ComplianceRuleSet, MODULE, validate_rule_set, actions=EDIT_ACTIONS)


def applies_to_text(value: Any) -> str:
    """ "Companies, partnerships · Mining, Retail"; "All clients" when unrestricted."""
    cleaned = read_applies_to(value)
    if not cleaned:
        return "All clients"
    parts = []
    if "clientTypes" in cleaned:
        parts.append(", ".join(t.capitalize() for t in cleaned["clientTypes"]))
    if "sectors" in cleaned:
        parts.append(", ".join(cleaned["sectors"]))
    return " · ".join(parts)


def rule_set_values(row: ComplianceRuleSet) -> dict[str, Any]:
    values = records.snapshot(row)
    values["applies_to"] = read_applies_to(values["applies_to"])
    return values


def get_rule_set(ctx: Context, rule_set_id: int) -> dict[str, Any]:
    require(ctx, MODULE, "view")
    return rule_set_values(records.get(ctx, ComplianceRuleSet, rule_set_id))


def create_rule_set(ctx: Context, data: dict[str, Any], **_scope: Any) -> dict[str, Any]:
    return rule_set_values_by_id(ctx, RULE_SETS.create(ctx, data)["id"])


def rule_set_values_by_id(ctx: Context, rule_set_id: int) -> dict[str, Any]:
    return rule_set_values(records.get(ctx, ComplianceRuleSet, rule_set_id))


def update_rule_set(
    ctx: Context, rule_set_id: int, changes: dict[str, Any], expected_updated_at: datetime | None
) -> dict[str, Any]:
    RULE_SETS.update(ctx, rule_set_id, changes, expected_updated_at)
    return rule_set_values_by_id(ctx, rule_set_id)


def rule_count(ctx: Context, rule_set_id: int) -> int:
    return records.child_count(ctx, ComplianceRule.rule_set_id, rule_set_id)


def delete_impact(ctx: Context, rule_set_id: int) -> str:
    """Before asking to delete: its rules go with it."""
    require(ctx, MODULE, "view")
    records.get(ctx, ComplianceRuleSet, rule_set_id)
    return records.cascade_note(rule_count(ctx, rule_set_id), "rule")


def delete_rule_set(ctx: Context, rule_set_id: int) -> None:
    """Delete a rule set and (the key cascades) its rules."""
    RULE_SETS.delete(ctx, rule_set_id)


def list_rule_sets(ctx: Context) -> list[dict[str, Any]]:
    require(ctx, MODULE, "view")
    query = select(ComplianceRuleSet).order_by(ComplianceRuleSet.name, ComplianceRuleSet.id)
    return [rule_set_values(row) for row in ctx.session.scalars(query)]


def _rules_in_set() -> Any:
    return (
        select(func.count())
        .where(ComplianceRule.rule_set_id == ComplianceRuleSet.id)
        .correlate(ComplianceRuleSet)
        .scalar_subquery()
    )


RULE_SET_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("name", "Name", ComplianceRuleSet.name),
    ColumnSpec(
        "applies_to",
        "Applies to",
        ComplianceRuleSet.applies_to,
        sortable=False,
        formatter=applies_to_text,
    ),
    ColumnSpec("rules", "Rules", _rules_in_set(), sortable=False, nullable=False),
    ColumnSpec(
        "active",
        "Active",
        ComplianceRuleSet.active,
        sortable=False,
        formatter=lambda v: "Yes" if v else "No",
    ),
)


def rule_set_list_query(ctx: Context) -> PagedQuery:
    """The firm's rule sets by name; filter `active`; search over the name."""
    require(ctx, MODULE, "view")
    base = select(ComplianceRuleSet).where(ComplianceRuleSet.tenant_id == ctx.tenant_id)
    return PagedQuery(
        base,
        RULE_SET_COLUMNS,
        search_columns=(ComplianceRuleSet.name,),
        filter_columns={"active": ComplianceRuleSet.active},
        sort_key="name",
    )


# --------------------------------------------------------------------------------------------
# Rules

RULE_FIELDS = ("rule_set_id", "rule_type", "target_id", "within_days", "weight", "description")
RULE_RULES: dict[str, records.FieldRule] = {
    "rule_set_id": records.FieldRule("integer"),
    "rule_type": records.FieldRule(max_length=records.CODE_LENGTH),
    "target_id": records.FieldRule("integer"),
    "within_days": records.ANY,  # -> condition {"withinDays": n}
    "condition": records.ANY,
    "weight": records.ANY,
    "description": records.FieldRule(max_length=records.NOTES_LENGTH),
}


def within_days_of(condition: Any) -> int | None:
    """`withinDays` of a stored condition, read tolerantly (a number, digits, a JSON object)."""
    if isinstance(condition, Mapping):
        days = condition.get("withinDays", condition.get("within_days"))
        if isinstance(days, bool):
            return None
        if isinstance(days, int | float) and days == int(days):
            return int(days)
        if isinstance(days, str) and days.strip().isdigit():
            return int(days.strip())
    return None


def _clean_weight(value: Any) -> tuple[float | None, str | None]:
    if isinstance(value, str):
        text = value.strip().replace(",", "")
        if not text:
            return None, "Enter the rule's weight in points, e.g. 10."
        try:
            value = float(text)
        except ValueError:
            return None, "The weight must be a number of points, e.g. 10."
    number, problem = records.check_number(value)
    if problem or number is None:
        return None, problem or "Enter the rule's weight in points, e.g. 10."
    if not 0 < number <= MAX_WEIGHT:
        return None, f"The weight must be more than 0 and at most {MAX_WEIGHT:g} points."
    return float(number), None


def validate_rule(data: dict[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """Clean and check rule fields (no database). `within_days` (the form's field) becomes the
    condition {"withinDays": n} of a document-expiring rule; other types have no condition."""
    errors: dict[str, str] = {}
    data = dict(data)
    for key in ("target_id", "within_days"):
        if isinstance(data.get(key), str) and not data[key].strip():
            data[key] = None
    cleaned = records.clean_fields(data, RULE_RULES, "rule", errors=errors)
    if (not partial or "rule_set_id" in cleaned) and not cleaned.get("rule_set_id"):
        errors.setdefault("rule_set_id", "Choose the rule set this rule belongs to.")
    rule_type = cleaned.get("rule_type")
    if (not partial or "rule_type" in cleaned) and rule_type not in RULE_TYPES:
        errors.setdefault(
            "rule_type", "Choose one of: " + ", ".join(RULE_TYPE_LABELS.values()) + "."
        )
    if (not partial or "weight" in cleaned) and "weight" not in errors:
        cleaned["weight"], problem = _clean_weight(cleaned.get("weight"))
        if problem:
            errors["weight"] = problem
    days_given = "within_days" in cleaned or "condition" in cleaned
    days: Any = cleaned.pop("within_days", None)
    condition = cleaned.pop("condition", None)
    if days is None and condition is not None:
        days = within_days_of(condition)
    if days is not None:
        days, problem = records.check_integer(days, minimum=1, maximum=MAX_WITHIN_DAYS)
        if problem:
            errors["within_days"] = f"Enter a number of days from 1 to {MAX_WITHIN_DAYS:,}."
    if rule_type == "document_expiring":
        cleaned["condition"] = {"withinDays": days or DEFAULT_WITHIN_DAYS}
    elif rule_type in RULE_TYPES:
        cleaned["condition"] = None
    elif days_given and days is not None:
        cleaned["_within_days"] = days  # a partial change: the stored type decides (check)
    if errors:
        raise ValidationError(field_errors=errors)
    return cleaned


def _target_problem(ctx: Context, rule_type: str, target_id: int | None) -> str | None:
    documents = rule_type in DOCUMENT_RULES
    if target_id is None:
        if rule_type in TARGET_REQUIRED:
            return (
                "Choose the document type the client must have."
                if documents
                else "Choose the filing type the client must have filed."
            )
        return None
    model = DocumentType if documents else FilingType
    found = ctx.session.scalar(
        select(model.id).where(model.tenant_id == ctx.tenant_id, model.id == target_id)
    )
    if found is None:
        return (
            "Choose one of this firm's document types."
            if documents
            else "Choose one of this firm's filing types."
        )
    return None


def _rule_set_problem(ctx: Context, rule_set_id: int | None) -> str | None:
    if rule_set_id is None:
        return None
    found = ctx.session.scalar(
        select(ComplianceRuleSet.id).where(
            ComplianceRuleSet.tenant_id == ctx.tenant_id, ComplianceRuleSet.id == rule_set_id
        )
    )
    return None if found is not None else "Choose one of this firm's rule sets."


def _check_rule(ctx: Context, values: dict[str, Any], stored: ComplianceRule | None) -> None:
    errors: dict[str, str] = {}
    problem = _rule_set_problem(ctx, values.get("rule_set_id"))
    if problem:
        errors["rule_set_id"] = problem
    rule_type = values.get("rule_type", stored.rule_type if stored is not None else None)
    days = values.pop("_within_days", None)
    if "rule_type" not in values and rule_type == "document_expiring" and days is not None:
        values["condition"] = {"withinDays": days}  # only the window changes
    if rule_type in RULE_TYPES and (
        stored is None or "rule_type" in values or "target_id" in values
    ):
        target = values.get("target_id", stored.target_id if stored is not None else None)
        problem = _target_problem(ctx, rule_type, target)
        if problem:
            errors["target_id"] = problem
    if errors:
        ctx.session.rollback()
        raise ValidationError(field_errors=errors)


RULES = crud.Entity(
    ComplianceRule,
    MODULE,
    validate_rule,
    check_create=lambda ctx, values: _check_rule(ctx, values, None),
    check_update=lambda ctx, ident, values: _check_rule(
        ctx, values, records.get(ctx, ComplianceRule, ident)
    ),
    actions=EDIT_ACTIONS,
)


def rule_values(row: ComplianceRule) -> dict[str, Any]:
    """A rule as plain data, with `within_days` read off its condition (document expiring)."""
    values = records.snapshot(row)
    days = within_days_of(row.condition)
    values["within_days"] = (
        (days or DEFAULT_WITHIN_DAYS) if row.rule_type == "document_expiring" else None
    )
    return values


def get_rule(ctx: Context, rule_id: int) -> dict[str, Any]:
    require(ctx, MODULE, "view")
    return rule_values(records.get(ctx, ComplianceRule, rule_id))


def create_rule(ctx: Context, data: dict[str, Any], **scope: Any) -> dict[str, Any]:
    """A new rule; a page scoped to one rule set passes its `rule_set_id`."""
    data = crud.scoped(data, scope, "rule_set_id")
    return get_rule(ctx, RULES.create(ctx, data)["id"])


def update_rule(
    ctx: Context, rule_id: int, changes: dict[str, Any], expected_updated_at: datetime | None
) -> dict[str, Any]:
    RULES.update(ctx, rule_id, changes, expected_updated_at)
    return get_rule(ctx, rule_id)


def delete_rule(ctx: Context, rule_id: int) -> None:
    RULES.delete(ctx, rule_id)


def list_rules(ctx: Context, rule_set_id: int) -> list[dict[str, Any]]:
    require(ctx, MODULE, "view")
    query = (
        select(ComplianceRule)
        .where(ComplianceRule.rule_set_id == rule_set_id)
        .order_by(ComplianceRule.rule_type, ComplianceRule.id)
    )
    return [rule_values(row) for row in ctx.session.scalars(query)]


def target_choices(ctx: Context, known: Mapping[str, Any]) -> list[tuple[str, int]]:
    """What a rule of the form's chosen type may target, by name: the firm's document types
    for document rules, filing types (with their authority) for filing rules."""
    require(ctx, MODULE, "view")
    rule_type = known.get("rule_type")
    if rule_type in DOCUMENT_RULES:
        rows = ctx.session.execute(
            select(DocumentType.name, DocumentType.authority, DocumentType.id)
            .where(DocumentType.tenant_id == ctx.tenant_id)
            .order_by(DocumentType.name, DocumentType.id)
        )
    elif rule_type in RULE_TYPES:
        rows = ctx.session.execute(
            select(FilingType.name, FilingType.authority, FilingType.id)
            .where(FilingType.tenant_id == ctx.tenant_id)
            .order_by(FilingType.name, FilingType.id)
        )
    else:
        return []
    return [(f"{name} ({authority})" if authority else name, i) for name, authority, i in rows]


def _target_name() -> Any:
    docs = (
        select(DocumentType.name)
        .where(
            DocumentType.id == ComplianceRule.target_id,
            ComplianceRule.rule_type.in_(DOCUMENT_RULES),
        )
        .correlate(ComplianceRule)
        .scalar_subquery()
    )
    filings = (
        select(FilingType.name)
        .where(
            FilingType.id == ComplianceRule.target_id,
            ComplianceRule.rule_type.not_in(DOCUMENT_RULES),
        )
        .correlate(ComplianceRule)
        .scalar_subquery()
    )
    # No target: any type; a target gone since (no key guards it): said so, not "Any".
    missing = case((ComplianceRule.target_id.is_(None), "Any"), else_="(type deleted)")
    return func.coalesce(docs, filings, missing)


def _condition_text(condition: Any) -> str:
    days = within_days_of(condition)
    return f"within {days} days" if days else ""


RULE_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("rule_type", "Rule", ComplianceRule.rule_type, formatter=rule_type_label),
    ColumnSpec(
        "target",
        "Document or filing type",
        _target_name(),
        sortable=False,
        nullable=False,
    ),
    ColumnSpec(
        "condition",
        "Condition",
        ComplianceRule.condition,
        sortable=False,
        formatter=_condition_text,
    ),
    ColumnSpec("weight", "Points", ComplianceRule.weight, formatter=lambda v: f"{v:g}"),
    ColumnSpec("rule_set", "Rule set", ComplianceRuleSet.name),
    ColumnSpec("description", "Description", ComplianceRule.description, sortable=False),
)


def rule_list_query(ctx: Context, rule_set_id: int | None = None) -> PagedQuery:
    """The firm's rules (of one rule set, or all), by type; filters `rule_type`,
    `rule_set_id`; search over the description and the rule set's name."""
    require(ctx, MODULE, "view")
    base = (
        select(ComplianceRule)
        .join(ComplianceRuleSet, ComplianceRuleSet.id == ComplianceRule.rule_set_id)
        .where(ComplianceRuleSet.tenant_id == ctx.tenant_id)
    )
    if rule_set_id is not None:
        base = base.where(ComplianceRule.rule_set_id == rule_set_id)
    return PagedQuery(
        base,
        RULE_COLUMNS,
        search_columns=(ComplianceRule.description, ComplianceRuleSet.name),
        filter_columns={
            "rule_type": ComplianceRule.rule_type,
            "rule_set_id": ComplianceRule.rule_set_id,
        },
        sort_key="rule_type",
    )
