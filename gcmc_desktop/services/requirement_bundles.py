"""Requirement bundles (`requirement_bundles`, `requirement_bundle_items`, DOMAIN.md §3/§4): per
authority (GRA, NIS, DCRA, Deeds, Immigration, GO-Invest, EPA), what a client keeps on file and
files — a name, the authority, a category (tax, registration, property, permit, investment or
the firm's own word) and a description, with ordered items. Each item is exactly one of this
firm's document types or filing types, required or optional, with an optional note; items are
numbered 1..n and stay so when one is added, moved or deleted.

Guarded by `compliance` like the rule sets (services/compliance_rules.py): viewing needs
`view`; creating, editing, reordering and deleting need `compliance:edit` (DOMAIN.md §1)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select

from ..models import DocumentType, FilingType, RequirementBundle, RequirementBundleItem
from . import crud, records
from .catalog import AUTHORITIES, AUTHORITY_NAMES
from .compliance_rules import EDIT_ACTIONS, MODULE
from .context import Context, require
from .errors import ValidationError
from .paging import ColumnSpec, PagedQuery

BUNDLE_CATEGORIES: tuple[str, ...] = ("tax", "registration", "property", "permit", "investment")

BUNDLE_FIELDS = ("name", "authority", "category", "description")
BUNDLE_RULES: dict[str, records.FieldRule] = {
    "name": records.TEXT,
    "authority": records.FieldRule(max_length=records.CODE_LENGTH),
    "category": records.FieldRule(max_length=records.CODE_LENGTH),
    "description": records.FieldRule(max_length=records.NOTES_LENGTH),
}


def validate_bundle(data: dict[str, Any], *, partial: bool = False) -> dict[str, Any]:
    errors: dict[str, str] = {}
    cleaned = records.clean_fields(data, BUNDLE_RULES, "bundle", errors=errors)
    if (not partial or "name" in cleaned) and not cleaned.get("name") and "name" not in errors:
        errors["name"] = "Enter the bundle's name."
    if (not partial or "authority" in cleaned) and cleaned.get("authority") not in AUTHORITIES:
        errors.setdefault("authority", "Choose one of: " + ", ".join(AUTHORITIES) + ".")
    if (not partial or "category" in cleaned) and not cleaned.get("category"):
        errors.setdefault("category", "Enter the bundle's category, e.g. tax or registration.")
    if cleaned.get("category"):
        cleaned["category"] = cleaned["category"].lower()  # "Tax" picked or typed = "tax"
    if errors:
        raise ValidationError(field_errors=errors)
    return cleaned


BUNDLES = crud.Entity(RequirementBundle, MODULE, validate_bundle, actions=EDIT_ACTIONS)


def get_bundle(ctx: Context, bundle_id: int) -> dict[str, Any]:
    return BUNDLES.get(ctx, bundle_id)


def create_bundle(ctx: Context, data: dict[str, Any], **_scope: Any) -> dict[str, Any]:
    return BUNDLES.create(ctx, data)


def update_bundle(
    ctx: Context, bundle_id: int, changes: dict[str, Any], expected_updated_at: datetime | None
) -> dict[str, Any]:
    return BUNDLES.update(ctx, bundle_id, changes, expected_updated_at)


def item_count(ctx: Context, bundle_id: int) -> int:
    return records.child_count(ctx, RequirementBundleItem.bundle_id, bundle_id)


def delete_impact(ctx: Context, bundle_id: int) -> str:
    require(ctx, MODULE, "view")
    records.get(ctx, RequirementBundle, bundle_id)
    return records.cascade_note(item_count(ctx, bundle_id), "item")


def delete_bundle(ctx: Context, bundle_id: int) -> None:
    """Delete a bundle and (the key cascades) its items."""
    BUNDLES.delete(ctx, bundle_id)


def list_bundles(ctx: Context, authority: str | None = None) -> list[dict[str, Any]]:
    require(ctx, MODULE, "view")
    query = select(RequirementBundle).order_by(
        RequirementBundle.authority, RequirementBundle.name, RequirementBundle.id
    )
    if authority is not None:
        query = query.where(RequirementBundle.authority == authority)
    return [records.snapshot(row) for row in ctx.session.scalars(query)]


def bundle_choices(ctx: Context, _known: Any = None) -> list[tuple[str, int]]:
    """("GRA tax compliance (GRA)", id) of every bundle, for pickers and filters."""
    return [(f"{b['name']} ({b['authority']})", b["id"]) for b in list_bundles(ctx)]


def _items_in_bundle() -> Any:
    return (
        select(func.count())
        .where(RequirementBundleItem.bundle_id == RequirementBundle.id)
        .correlate(RequirementBundle)
        .scalar_subquery()
    )


BUNDLE_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("name", "Name", RequirementBundle.name),
    ColumnSpec(
        "authority",
        "Authority",
        RequirementBundle.authority,
        formatter=lambda a: f"{a} — {AUTHORITY_NAMES[a]}" if a in AUTHORITY_NAMES else a,
    ),
    ColumnSpec("category", "Category", RequirementBundle.category, formatter=str.capitalize),
    ColumnSpec("items", "Items", _items_in_bundle(), sortable=False, nullable=False),
    ColumnSpec("description", "Description", RequirementBundle.description, sortable=False),
)


def bundle_list_query(ctx: Context) -> PagedQuery:
    """The firm's bundles by name; filters `authority`, `category`; search name/category."""
    require(ctx, MODULE, "view")
    base = select(RequirementBundle).where(RequirementBundle.tenant_id == ctx.tenant_id)
    return PagedQuery(
        base,
        BUNDLE_COLUMNS,
        search_columns=(RequirementBundle.name, RequirementBundle.category),
        filter_columns={
            "authority": RequirementBundle.authority,
            "category": RequirementBundle.category,
        },
        sort_key="name",
    )


# --------------------------------------------------------------------------------------------
# Items

ITEM_RULES: dict[str, records.FieldRule] = {
    "bundle_id": records.FieldRule("integer"),
    "requirement": records.ANY,  # "document:5" / "filing:2", the form's one picker
    "document_type_id": records.FieldRule("integer"),
    "filing_type_id": records.FieldRule("integer"),
    "required": records.ANY,
    "description": records.FieldRule(max_length=records.NOTES_LENGTH),
}


def requirement_key(document_type_id: int | None, filing_type_id: int | None) -> str | None:
    if document_type_id is not None:
        return f"document:{document_type_id}"
    if filing_type_id is not None:
        return f"filing:{filing_type_id}"
    return None


def validate_item(data: dict[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """Clean and check an item: exactly one of a document type and a filing type (given as the
    two ids or as the form's `requirement`), required yes/no (yes when not given)."""
    errors: dict[str, str] = {}
    cleaned = records.clean_fields(data, ITEM_RULES, "bundle item", errors=errors)
    if (not partial or "bundle_id" in cleaned) and not cleaned.get("bundle_id"):
        errors.setdefault("bundle_id", "Choose the bundle this item belongs to.")
    if "requirement" in cleaned:
        picked = cleaned.pop("requirement")
        kind, _, ident = str(picked or "").partition(":")
        if kind in ("document", "filing") and ident.isdigit():
            cleaned["document_type_id"] = int(ident) if kind == "document" else None
            cleaned["filing_type_id"] = int(ident) if kind == "filing" else None
        elif picked not in (None, ""):
            errors["requirement"] = "Choose a document type or a filing type from the list."
    touched = "document_type_id" in cleaned or "filing_type_id" in cleaned
    if (not partial or touched) and "requirement" not in errors:
        doc, filing = cleaned.get("document_type_id"), cleaned.get("filing_type_id")
        if (doc is None) == (filing is None):
            errors["requirement"] = (
                "Choose either a document type or a filing type, not both."
                if doc is not None
                else "Choose the document type or filing type this item asks for."
            )
        cleaned.setdefault("document_type_id", None)
        cleaned.setdefault("filing_type_id", None)
    if "required" in cleaned:
        if cleaned["required"] is None:
            cleaned["required"] = True
        elif not isinstance(cleaned["required"], bool):
            errors["required"] = "Say whether the item is required (yes or no)."
    elif not partial:
        cleaned["required"] = True
    if errors:
        raise ValidationError(field_errors=errors)
    return cleaned


def _check_item(ctx: Context, values: dict[str, Any]) -> None:
    errors: dict[str, str] = {}
    bundle_id = values.get("bundle_id")
    if bundle_id is not None and (
        ctx.session.scalar(
            select(RequirementBundle.id).where(
                RequirementBundle.tenant_id == ctx.tenant_id, RequirementBundle.id == bundle_id
            )
        )
        is None
    ):
        errors["bundle_id"] = "Choose one of this firm's bundles."
    for key, model, words in (
        ("document_type_id", DocumentType, "document types"),
        ("filing_type_id", FilingType, "filing types"),
    ):
        ident = values.get(key)
        if ident is not None and (
            ctx.session.scalar(
                select(model.id).where(model.tenant_id == ctx.tenant_id, model.id == ident)
            )
            is None
        ):
            errors["requirement"] = f"Choose one of this firm's {words}."
    if errors:
        ctx.session.rollback()
        raise ValidationError(field_errors=errors)


def _lock_bundle(ctx: Context, bundle_id: int) -> None:
    """Hold the bundle while its items are numbered: two people adding or moving items at
    once take turns instead of both writing the same numbers."""
    records.get(ctx, RequirementBundle, bundle_id, for_update=True)


def _check_new_item(ctx: Context, values: dict[str, Any]) -> None:
    _check_item(ctx, values)
    _lock_bundle(ctx, values["bundle_id"])
    last = ctx.session.scalar(
        select(func.max(RequirementBundleItem.order)).where(
            RequirementBundleItem.bundle_id == values["bundle_id"]
        )
    )
    values["order"] = int(last or 0) + 1  # a new item comes last


ITEMS = crud.Entity(
    RequirementBundleItem,
    MODULE,
    validate_item,
    check_create=_check_new_item,
    check_update=lambda ctx, _ident, values: _check_item(ctx, values),
    actions=EDIT_ACTIONS,
)


def item_values(row: RequirementBundleItem) -> dict[str, Any]:
    values = records.snapshot(row)
    values["requirement"] = requirement_key(row.document_type_id, row.filing_type_id)
    return values


def get_item(ctx: Context, item_id: int) -> dict[str, Any]:
    require(ctx, MODULE, "view")
    return item_values(records.get(ctx, RequirementBundleItem, item_id))


def create_item(ctx: Context, data: dict[str, Any], **scope: Any) -> dict[str, Any]:
    """A new item at the end of its bundle; a page scoped to a bundle passes `bundle_id`."""
    data = crud.scoped(data, scope, "bundle_id")
    return get_item(ctx, ITEMS.create(ctx, data)["id"])


def update_item(
    ctx: Context, item_id: int, changes: dict[str, Any], expected_updated_at: datetime | None
) -> dict[str, Any]:
    changes = {k: v for k, v in changes.items() if k != "order"}  # moved with move_item only
    ITEMS.update(ctx, item_id, changes, expected_updated_at)
    return get_item(ctx, item_id)


def _renumber(ctx: Context, bundle_id: int, ordered_ids: list[int]) -> None:
    rows = {
        row.id: row
        for row in ctx.session.scalars(
            select(RequirementBundleItem)
            .where(RequirementBundleItem.bundle_id == bundle_id)
            .with_for_update()
        )
    }
    for position, ident in enumerate(ordered_ids, start=1):
        row = rows.get(ident)
        if row is not None and row.order != position:
            row.order = position


def _ordered_ids(ctx: Context, bundle_id: int) -> list[int]:
    return list(
        ctx.session.scalars(
            select(RequirementBundleItem.id)
            .where(RequirementBundleItem.bundle_id == bundle_id)
            .order_by(RequirementBundleItem.order, RequirementBundleItem.id)
        )
    )


def delete_item(ctx: Context, item_id: int) -> None:
    """Delete an item; the ones after it move up (numbered 1..n again)."""
    require(ctx, MODULE, "edit")
    item = records.get(ctx, RequirementBundleItem, item_id)
    bundle_id = item.bundle_id
    with records.guarded(ctx.session):
        _lock_bundle(ctx, bundle_id)
        ctx.session.delete(item)
        ctx.session.flush()
        _renumber(ctx, bundle_id, _ordered_ids(ctx, bundle_id))
        ctx.session.commit()


def move_item(ctx: Context, item_id: int, delta: int) -> dict[str, Any]:
    """Move an item `delta` places (−1 up, +1 down, clamped to the ends) and number the
    bundle's items 1..n; returns the moved item."""
    require(ctx, MODULE, "edit")
    item = records.get(ctx, RequirementBundleItem, item_id)
    bundle_id = item.bundle_id
    with records.guarded(ctx.session):
        _lock_bundle(ctx, bundle_id)
        ids = _ordered_ids(ctx, bundle_id)
        here = ids.index(item_id)
        there = max(0, min(len(ids) - 1, here + delta))
        ids.insert(there, ids.pop(here))
        _renumber(ctx, bundle_id, ids)
        ctx.session.commit()
    return get_item(ctx, item_id)


def list_items(ctx: Context, bundle_id: int) -> list[dict[str, Any]]:
    require(ctx, MODULE, "view")
    query = (
        select(RequirementBundleItem)
        .where(RequirementBundleItem.bundle_id == bundle_id)
        .order_by(RequirementBundleItem.order, RequirementBundleItem.id)
    )
    return [item_values(row) for row in ctx.session.scalars(query)]


def requirement_choices(ctx: Context, _known: Any = None) -> list[tuple[str, str]]:
    """What an item may ask for: "Document — TIN certificate (GRA)", "Filing — PAYE monthly
    return (GRA)", as (label, "document:5" / "filing:2")."""
    require(ctx, MODULE, "view")
    docs = ctx.session.execute(
        select(DocumentType.name, DocumentType.authority, DocumentType.id)
        .where(DocumentType.tenant_id == ctx.tenant_id)
        .order_by(DocumentType.name, DocumentType.id)
    )
    filings = ctx.session.execute(
        select(FilingType.name, FilingType.authority, FilingType.id)
        .where(FilingType.tenant_id == ctx.tenant_id)
        .order_by(FilingType.name, FilingType.id)
    )

    def label(kind: str, name: str, authority: str | None) -> str:
        return f"{kind} — {name}" + (f" ({authority})" if authority else "")

    return [(label("Document", n, a), f"document:{i}") for n, a, i in docs] + [
        (label("Filing", n, a), f"filing:{i}") for n, a, i in filings
    ]


def _item_name() -> Any:
    doc = (
        select(DocumentType.name)
        .where(DocumentType.id == RequirementBundleItem.document_type_id)
        .correlate(RequirementBundleItem)
        .scalar_subquery()
    )
    filing = (
        select(FilingType.name)
        .where(FilingType.id == RequirementBundleItem.filing_type_id)
        .correlate(RequirementBundleItem)
        .scalar_subquery()
    )
    return func.coalesce(doc, filing)


ITEM_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("order", "#", RequirementBundleItem.order),
    ColumnSpec(
        "kind",
        "Kind",
        case((RequirementBundleItem.document_type_id.is_not(None), "Document"), else_="Filing"),
        sortable=False,
        nullable=False,
    ),
    ColumnSpec("name", "Document or filing type", _item_name(), sortable=False),
    ColumnSpec(
        "required",
        "Required",
        RequirementBundleItem.required,
        sortable=False,
        formatter=lambda v: "Required" if v else "Optional",
    ),
    ColumnSpec("description", "Note", RequirementBundleItem.description, sortable=False),
)


def item_list_query(ctx: Context, bundle_id: int | None = None) -> PagedQuery:
    """A bundle's items (or every bundle's) in their order."""
    require(ctx, MODULE, "view")
    base = select(RequirementBundleItem).join(
        RequirementBundle, RequirementBundle.id == RequirementBundleItem.bundle_id
    )
    base = base.where(RequirementBundle.tenant_id == ctx.tenant_id)
    if bundle_id is not None:
        base = base.where(RequirementBundleItem.bundle_id == bundle_id)
    return PagedQuery(
        base,
        ITEM_COLUMNS,
        search_columns=(RequirementBundleItem.description,),
        filter_columns={"bundle_id": RequirementBundleItem.bundle_id},
        sort_key="order",
    )


def item_form(values: Mapping[str, Any]) -> dict[str, Any]:
    """A stored item (or the other version of a conflict) in the form's shape."""
    form = dict(values)
    if "requirement" not in form:
        form["requirement"] = requirement_key(
            form.get("document_type_id"), form.get("filing_type_id")
        )
    return form
