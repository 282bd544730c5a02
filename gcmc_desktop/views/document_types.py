"""Document types admin: the firm's catalogue of document types, on the kit — a list page (in a
dialog opened from Edit → Document types) and the record form. Delete first checks whether
documents still use the type: if they do, the message says by how many (and which) and no
"cannot be undone" question is asked for a delete that would be refused anyway."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from ..services.catalog import AUTHORITIES, AUTHORITY_NAMES, DOCUMENT_CATEGORIES
from ..services.context import Context
from ..services.document_types import (
    create_document_type,
    delete_document_type,
    document_type_list_query,
    get_document_type,
    in_use_error,
    update_document_type,
)
from .kit.fields import FieldSpec, choices
from .kit.list_page import DeleteSpec, FilterSpec, ListSpec, ListWindow
from .kit.messages import code_label
from .kit.record_dialog import RecordSpec


def category_label(category: str | None) -> str:
    """ "compliance_certificate" -> "Compliance certificate"."""
    return code_label(category)


def refuse_if_used(ctx: Context, type_id: int) -> str:
    """Nothing to add to the question — or the in-use message instead of it."""
    blocked = in_use_error(ctx, type_id)
    if blocked is not None:
        raise blocked
    return ""


DOCUMENT_TYPE_RECORD = RecordSpec(
    noun="document type",
    entity="document_type",
    fields=(
        FieldSpec("name", "Name", required=True, placeholder="e.g. TIN certificate"),
        FieldSpec(
            "category",
            "Category",
            "choice",
            required=True,
            blank="Choose…",
            choices=choices(DOCUMENT_CATEGORIES),
            choice_error="Choose a category.",
        ),
        FieldSpec(
            "authority",
            "Authority",
            "choice",
            blank="",
            choices=[(a, a) for a in AUTHORITIES],
            tooltips=AUTHORITY_NAMES,
            choice_error="Choose an authority from the list, or leave it empty.",
        ),
        FieldSpec("tags", "Tags", "tags", placeholder="Comma-separated, e.g. tax, annual"),
        FieldSpec("description", "Description", "text", height=80),
    ),
    load=get_document_type,
    create=create_document_type,
    update=update_document_type,
)


DOCUMENT_TYPES = ListSpec(
    noun="document type",
    plural="document types",
    module="documents",
    query=lambda ctx, _scope: document_type_list_query(ctx),
    listens_to=frozenset({"document_type"}),
    record=DOCUMENT_TYPE_RECORD,
    delete=DeleteSpec(delete_document_type, impact=refuse_if_used),
    search_hint="Search name or description",
    filters=(
        FilterSpec("category", "All categories", "Category filter", choices(DOCUMENT_CATEGORIES)),
        FilterSpec(
            "authority", "All authorities", "Authority filter", [(a, a) for a in AUTHORITIES]
        ),
    ),
    labels={"category": category_label},
    widths={"name": 220, "category": 170, "authority": 90, "tags": 160},
    sort="name",
    new_label="Add…",
)


def document_types_window(ctx: Context, parent: QWidget | None = None) -> ListWindow:
    """The document types list in a window of its own (Edit → Document types)."""
    return ListWindow(
        ctx,
        DOCUMENT_TYPES,
        "Document types",
        "The kinds of document the firm keeps for its clients.",
        parent,
    )
