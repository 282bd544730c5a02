"""Audit → Deleted items: what was deleted in the last 30 days (what, who, when, days left), and
Restore… for someone who may delete in its module (services/trash.py).

Built standalone on the kit's list page; the Audit page mounts it as a tab with
`deleted_items_tab(ctx)` (None when the role may restore nothing)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QWidget

from ..services.context import Context
from ..services.trash import (
    ENTITY_NOUNS,
    ENTITY_TYPE,
    KEEP_DAYS,
    DeletedItem,
    deletable_entities,
    restore,
    trash_list_query,
)
from .kit.list_page import ActionSpec, FilterSpec, ListPage, ListSpec
from .kit.operations import run_operation


def restore_question(what: str) -> str:
    return (
        f"Restore the {what}? It comes back with the same records and links it had when it "
        "was deleted."
    )


def _restore_selected(page: ListPage) -> None:
    item_id = page.selected_id()
    if item_id is None:
        return
    values = page.selected_values()
    noun = ENTITY_NOUNS.get(values.get("what"), "item")
    what = f'{noun} "{values.get("label") or ""}"'
    if not page.question(page, "Restore deleted item", restore_question(what)):
        return
    button = page.extra_buttons.get(RESTORE_LABEL)
    if button is not None:
        button.setEnabled(False)
    page.show_message("")

    def done(item: DeletedItem) -> None:
        page.status.setText(f"Restored the {item.describe()}.")

    def failed(error: Any) -> None:
        page._update_actions()
        page.show_message(error.message)

    run_operation(
        page.ctx,
        lambda wctx: restore(wctx, item_id),
        owner=page,
        on_done=done,
        on_error=failed,
        description=f"Restoring the {what}…",
    )


def _kinds(ctx: Context) -> list[tuple[str, Any]]:
    return [(ENTITY_NOUNS[e].capitalize(), e) for e in deletable_entities(ctx)]


RESTORE_LABEL = "Restore…"
DELETED_ITEMS = ListSpec(
    noun="deleted item",
    plural="deleted items",
    module="audit",
    query=lambda ctx, scope: trash_list_query(ctx, client_id=scope.get("client_id")),
    listens_to=frozenset({ENTITY_TYPE, "client", "document", "filing", "service_request"}),
    search_hint="Search name or client  (Ctrl+F)",
    filters=(FilterSpec("entity_type", "Everything", "Kind filter", load=_kinds),),
    labels={"what": lambda v: ENTITY_NOUNS.get(v, str(v)).capitalize()},
    widths={"what": 120, "label": 300, "client": 220, "deleted_by": 160, "deleted_at": 140},
    sort="deleted_at",
    descending=True,
    hidden=lambda scope: ("client",) if scope.get("client_id") is not None else (),
    name_key="label",
    state_key="trash/header",
    actions=(
        ActionSpec(
            RESTORE_LABEL,
            _restore_selected,
            needs_selection=True,
            tooltip=f"Put the selected item back (kept for {KEEP_DAYS} days after deleting)",
        ),
    ),
)


class DeletedItemsPage(ListPage):
    """The firm's deleted items (or one client's, with `client_id`); Enter restores."""

    def __init__(self, ctx: Context, parent: QWidget | None = None, **scope: Any) -> None:
        super().__init__(ctx, DELETED_ITEMS, parent, **scope)
        self.status.setText(
            f"Deleted clients, documents, filings and requests are kept for {KEEP_DAYS} days, "
            "then removed for good."
        )

    def restore_selected(self) -> None:
        _restore_selected(self)

    def _activated(self, _index: Any) -> None:  # Enter or a double click: restore
        self.restore_selected()


def deleted_items_tab(ctx: Context, **scope: Any) -> DeletedItemsPage | None:
    """The Deleted items page for the Audit section's tabs; None when the role may delete (and
    so restore) nothing."""
    if not deletable_entities(ctx):
        return None
    return DeletedItemsPage(ctx, **scope)
