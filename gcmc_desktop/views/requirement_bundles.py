"""Requirement bundles admin (Edit → Requirement bundles…): per authority, what a client keeps
on file and files. A list page in a window with the bundle form (name, authority by name,
category, description) and, through *Items…*, the selected bundle's items in order — each a
document type or filing type, required or optional — added, edited, moved up or down (numbered
1..n again) and deleted. Everything but viewing needs `compliance:edit` (DOMAIN.md §1)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QWidget

from ..services.catalog import AUTHORITIES, AUTHORITY_NAMES
from ..services.compliance_rules import EDIT_ACTIONS
from ..services.context import Context
from ..services.requirement_bundles import (
    BUNDLE_CATEGORIES,
    bundle_list_query,
    create_bundle,
    create_item,
    delete_bundle,
    delete_impact,
    delete_item,
    get_bundle,
    get_item,
    item_form,
    item_list_query,
    move_item,
    requirement_choices,
    update_bundle,
    update_item,
)
from .kit.fields import FieldSpec
from .kit.list_page import ActionSpec, DeleteSpec, FilterSpec, ListPage, ListSpec, ListWindow
from .kit.operations import run_operation
from .kit.record_dialog import RecordSpec

AUTHORITY_CHOICES = tuple((f"{a} — {AUTHORITY_NAMES.get(a, a)}", a) for a in AUTHORITIES)
REQUIRED_CHOICES = (("Required", True), ("Optional", False))

BUNDLE_RECORD = RecordSpec(
    noun="requirement bundle",
    entity="requirement_bundle",
    fields=(
        FieldSpec("name", "Name", required=True, placeholder="e.g. GRA tax compliance"),
        FieldSpec(
            "authority",
            "Authority",
            "choice",
            required=True,
            blank="Choose…",
            choices=AUTHORITY_CHOICES,
            choice_error="Choose the authority.",
        ),
        FieldSpec(
            "category",
            "Category",
            "suggest",
            required=True,
            coded=True,
            choices=tuple((c.capitalize(), c) for c in BUNDLE_CATEGORIES),
            max_length=50,
            placeholder="e.g. Tax",
        ),
        FieldSpec("description", "Description", "text", height=70),
    ),
    load=get_bundle,
    create=create_bundle,
    update=update_bundle,
)


ITEM_RECORD = RecordSpec(
    noun="bundle item",
    entity="requirement_bundle_item",
    fields=(
        FieldSpec(
            "requirement",
            "Document or filing type",
            "choice",
            required=True,
            blank="Choose…",
            load=requirement_choices,
            choice_error="Choose a document type or a filing type.",
        ),
        FieldSpec("required", "Required", "choice", choices=REQUIRED_CHOICES, default=True),
        FieldSpec("description", "Note", "text", height=60),
    ),
    load=get_item,
    create=create_item,
    update=update_item,
    to_form=item_form,
    min_width=560,
)


def _mover(delta: int) -> Any:
    def run(page: ListPage) -> None:
        item_id = page.selected_id()
        if item_id is None:
            return
        run_operation(
            page.ctx,
            lambda wctx: move_item(wctx, item_id, delta),
            owner=page,
            on_error=lambda error: page.show_message(error.message),
            description="Moving the item…",
        )

    return run


ITEMS = ListSpec(
    noun="item",
    plural="items",
    module="compliance",
    grants=EDIT_ACTIONS,
    query=lambda ctx, scope: item_list_query(ctx, scope.get("bundle_id")),
    listens_to=frozenset({"requirement_bundle_item", "requirement_bundle"}),
    record=ITEM_RECORD,
    delete=DeleteSpec(delete_item),
    search_hint="Search notes",
    widths={"order": 40, "kind": 90, "name": 300, "required": 90},
    sort="order",
    new_label="Add…",
    actions=(
        ActionSpec(
            "Move up",
            _mover(-1),
            permission="edit",
            needs_selection=True,
            tooltip="Move the selected item one place up",
            shortcut="Alt+Up",
        ),
        ActionSpec(
            "Move down",
            _mover(1),
            permission="edit",
            needs_selection=True,
            tooltip="Move the selected item one place down",
            shortcut="Alt+Down",
        ),
    ),
)


def items_window(
    ctx: Context, parent: QWidget | None = None, *, bundle_id: int, bundle_name: str = ""
) -> ListWindow:
    """A bundle's items in order, in a window of their own."""
    window = ListWindow(
        ctx,
        ITEMS,
        f"Items — {bundle_name}" if bundle_name else "Bundle items",
        "What a client covered by this bundle must have, in order: a document type on file or "
        "a filing type filed. Optional items are shown but cost no points.",
        parent,
        bundle_id=bundle_id,
    )
    window.resize(820, 460)
    return window


def open_items(page: ListPage) -> None:
    bundle_id = page.selected_id()
    if bundle_id is None:
        return
    name = str(page.selected_values().get("name") or "")
    items_window(page.ctx, page, bundle_id=bundle_id, bundle_name=name).open()


BUNDLES = ListSpec(
    noun="requirement bundle",
    plural="requirement bundles",
    module="compliance",
    grants=EDIT_ACTIONS,
    query=lambda ctx, _scope: bundle_list_query(ctx),
    listens_to=frozenset({"requirement_bundle", "requirement_bundle_item"}),
    record=BUNDLE_RECORD,
    delete=DeleteSpec(delete_bundle, impact=delete_impact),
    search_hint="Search name or category",
    filters=(FilterSpec("authority", "All authorities", "Authority filter", AUTHORITY_CHOICES),),
    widths={"name": 260, "authority": 330, "category": 110, "items": 50},
    sort="name",
    new_label="Add…",
    actions=(
        ActionSpec(
            "Items…",
            open_items,
            needs_selection=True,
            tooltip="The selected bundle's documents and filings, in order",
        ),
    ),
)


def bundles_window(ctx: Context, parent: QWidget | None = None) -> ListWindow:
    """The requirement bundles in a window of their own (Edit → Requirement bundles…)."""
    return ListWindow(
        ctx,
        BUNDLES,
        "Requirement bundles",
        "Per authority, the documents a client keeps on file and the filings it makes; a "
        "required item the client lacks costs points on its compliance score.",
        parent,
    )
