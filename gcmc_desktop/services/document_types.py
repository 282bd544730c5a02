"""Document types (document_types): the firm's catalogue of what a document can be. DOMAIN.md
guards them with the `documents` permissions. Names are unique per (firm, name, category); a
type still used by documents cannot be deleted (the foreign key is RESTRICT), and the message
says which documents hold it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from ..models import Document, DocumentType
from . import crud, records
from .catalog import AUTHORITIES, DOCUMENT_CATEGORIES
from .context import Context, require
from .errors import DuplicateError, InUseError, ValidationError
from .integrity import constraint_message, quoted, register_constraint_message
from .paging import ColumnSpec, PagedQuery
from .records import tags_text

DOCUMENT_TYPE_FIELDS = ("name", "category", "authority", "tags", "description", "meta")
DOCUMENT_TYPE_RULES: dict[str, records.FieldRule] = {
    "name": records.TEXT,
    "category": records.FieldRule(max_length=records.CODE_LENGTH),
    "authority": records.FieldRule(max_length=records.CODE_LENGTH),
    "tags": records.FieldRule("tags"),
    "description": records.FieldRule(max_length=records.NOTES_LENGTH),
    "meta": records.FieldRule("json", records.JSON_LENGTH),
}
UNIQUE_INDEX = "document_types_tenantId_name_category_key"
# How many document titles an in-use message names before "and N more".
NAMED_IN_MESSAGE = 5


def clean_tags(value: str | Iterable[str] | None) -> list[str] | None:
    """Tags from a list or a comma-separated string: trimmed, empty ones dropped, duplicates
    (ignoring case) removed, order kept; None when nothing is left."""
    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else list(value)
    seen: set[str] = set()
    out: list[str] = []
    for item in items:
        tag = str(item).strip()
        if tag and tag.casefold() not in seen:
            seen.add(tag.casefold())
            out.append(tag)
    return out or None


def validate_document_type(data: dict[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """Clean and check document type fields; raises ValidationError with a message per field."""
    errors: dict[str, str] = {}
    cleaned = records.clean_fields(
        data, DOCUMENT_TYPE_RULES, "document type", untrimmed=("tags",), errors=errors
    )
    if "tags" in cleaned:
        cleaned["tags"] = clean_tags(cleaned["tags"])
    if (not partial or "name" in cleaned) and not cleaned.get("name"):
        errors.setdefault("name", "Enter the document type's name.")
    if (not partial or "category" in cleaned) and cleaned.get("category") not in (
        DOCUMENT_CATEGORIES
    ):
        errors.setdefault("category", "Choose one of: " + ", ".join(DOCUMENT_CATEGORIES) + ".")
    if cleaned.get("authority") is not None and cleaned["authority"] not in AUTHORITIES:
        errors["authority"] = "Choose one of: " + ", ".join(AUTHORITIES) + ", or none."
    if errors:
        raise ValidationError(field_errors=errors)
    return cleaned


def _check_unique(ctx: Context, name: str, category: str, exclude_id: int | None = None) -> None:
    query = select(DocumentType.id).where(
        DocumentType.name == name, DocumentType.category == category
    )
    if exclude_id is not None:
        query = query.where(DocumentType.id != exclude_id)
    if ctx.session.scalar(query.limit(1)) is not None:
        raise DuplicateError(
            constraint_message(UNIQUE_INDEX, {"name": name, "category": category}),
            fields={"name": name, "category": category},
            constraint=UNIQUE_INDEX,
        )


def _unique_on_create(ctx: Context, values: dict[str, Any]) -> None:
    _check_unique(ctx, values["name"], values["category"])


def _unique_on_update(ctx: Context, type_id: int, values: dict[str, Any]) -> None:
    if "name" in values or "category" in values:
        current = records.get(ctx, DocumentType, type_id)
        name = values.get("name", current.name)
        category = values.get("category", current.category)
        _check_unique(ctx, name, category, exclude_id=type_id)


# One created by someone else between the check and the write meets the unique index, whose
# violation is worded by the same registered message (below).
DOCUMENT_TYPES = crud.Entity(
    DocumentType,
    "documents",
    validate_document_type,
    check_create=_unique_on_create,
    check_update=_unique_on_update,
)


def list_document_types(ctx: Context, *, category: str | None = None) -> list[crud.Record]:
    require(ctx, "documents", "view")
    query = select(DocumentType).order_by(DocumentType.name, DocumentType.category)
    if category is not None:
        query = query.where(DocumentType.category == category)
    return [records.snapshot(row) for row in ctx.session.scalars(query)]


def get_document_type(ctx: Context, type_id: int) -> crud.Record:
    return DOCUMENT_TYPES.get(ctx, type_id)


def create_document_type(ctx: Context, data: dict[str, Any]) -> crud.Record:
    return DOCUMENT_TYPES.create(ctx, data)


def update_document_type(
    ctx: Context, type_id: int, changes: dict[str, Any], expected_updated_at: datetime | None
) -> crud.Record:
    return DOCUMENT_TYPES.update(ctx, type_id, changes, expected_updated_at)


def in_use_error(ctx: Context, type_id: int) -> InUseError | None:
    """The error to show for deleting document type `type_id`, naming the documents that use
    it; None when no document does (NotFoundError if the type is gone)."""
    require(ctx, "documents", "view")
    doc_type = records.get(ctx, DocumentType, type_id)
    count = ctx.session.scalar(
        select(func.count()).select_from(Document).where(Document.document_type_id == doc_type.id)
    )
    if not count:
        return None
    titles = list(
        ctx.session.scalars(
            select(Document.title)
            .where(Document.document_type_id == doc_type.id)
            .order_by(Document.title, Document.id)
            .limit(NAMED_IN_MESSAGE)
        )
    )
    named = ", ".join(f'"{title}"' for title in titles)
    if count > len(titles):
        named += f" and {count - len(titles)} more"
    noun = "document" if count == 1 else "documents"
    return InUseError(
        f'Cannot delete document type "{doc_type.name}": it is still used by {count} {noun}: '
        f"{named}. Move them to another type or delete them first.",
        entity="document_types",
        users={"documents": int(count)},
        ident=doc_type.id,
        label=doc_type.name,
    )


def delete_document_type(ctx: Context, type_id: int) -> None:
    require(ctx, "documents", "delete")
    blocked = in_use_error(ctx, type_id)
    if blocked is not None:
        ctx.session.rollback()
        raise blocked
    # A document added meanwhile still stops the delete: the database's RESTRICT key, which
    # `records` turns into an InUseError too.
    records.delete(ctx, DocumentType, type_id)


DOCUMENT_TYPE_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("name", "Name", DocumentType.name),
    ColumnSpec("category", "Category", DocumentType.category),
    ColumnSpec("authority", "Authority", DocumentType.authority),
    ColumnSpec("tags", "Tags", DocumentType.tags, sortable=False, formatter=tags_text),
    ColumnSpec("description", "Description", DocumentType.description, sortable=False),
)


def document_type_list_query(ctx: Context) -> PagedQuery:
    """The firm's document types, sorted by name; search over name and description."""
    require(ctx, "documents", "view")
    base = select(DocumentType).where(DocumentType.tenant_id == ctx.tenant_id)
    return PagedQuery(
        base,
        DOCUMENT_TYPE_COLUMNS,
        search_columns=(DocumentType.name, DocumentType.description),
        filter_columns={"category": DocumentType.category, "authority": DocumentType.authority},
        sort_key="name",
    )


def document_type_choices(ctx: Context) -> list[tuple[str, int]]:
    """(name, id) of every document type, for pickers and filters."""
    return [(t["name"], t["id"]) for t in list_document_types(ctx)]


# --------------------------------------------------------------------------------------------
# Constraint messages (registered with the translator in `integrity`)


def _duplicate_document_type(v: dict[str, str]) -> str:
    if "name" in v and "category" in v:
        return (
            f"A document type {quoted(v['name'])} already exists "
            f"in the category {quoted(v['category'])}."
        )
    return "A document type with this name already exists in this category."


register_constraint_message(UNIQUE_INDEX, _duplicate_document_type)
