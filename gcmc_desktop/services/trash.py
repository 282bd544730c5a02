"""Deleted items (issue 15, "Trash"): a deleted client, document, filing or service request can
be restored for 30 days, with its ids and links, by someone who may delete in its module.

Capture: the one generic delete (`records.delete`) calls `keep` after locking the row and before
deleting it, in the same transaction. `keep` walks the database's own foreign keys (read from
pg_catalog, so every table a cascade reaches is found, desktop tables too): the row, every row an
ON DELETE CASCADE reaches from it, recursively, as `to_jsonb` of each row; and the links ON
DELETE SET NULL will clear in rows that stay (a task's filing, a conversation's client). All
of it goes to `desktop_trash.payload`, tables in insertion (foreign-key) order.

Restore re-inserts the rows with their original ids (sequences never hand an id out twice) in
one transaction, through the staff user's own row-level security: columns that point forward
(a document's latest version, a step's dependency) are written after every row is back; a link
to a parent outside the payload that no longer exists is cleared where its key is SET NULL and
refuses the restore otherwise; the cleared links are set again; then `restoredAt` is stamped,
whose trigger writes the audit row "restore" and gives a client back its audit trail. Anything
that conflicts (a TIN now used by another client, a parent gone) refuses with a clear message
and changes nothing.

Purge: `purge` (administrators, `gcmc maintenance purge-trash` and the orphans sweep) deletes
items older than 30 days; until then `trashed_storage_keys` keeps their files from the sweep.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Column,
    Engine,
    Integer,
    MetaData,
    Table,
    Text,
    bindparam,
    delete,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB, TIMESTAMP
from sqlalchemy.orm import Session

from ..db import session_factory
from ..models import Base, utcnow
from .changes import note_changes
from .context import Context, require
from .errors import NotFoundError, PermissionDenied, ServiceError, ValidationError
from .integrity import translated
from .paging import ColumnSpec, PagedQuery, format_value

log = logging.getLogger(__name__)

KEEP_DAYS = 30
RETENTION = timedelta(days=KEEP_DAYS)

# Table of a deletable record -> (entity type, permission module, noun people read).
TRASHABLE: dict[str, tuple[str, str, str]] = {
    "clients": ("client", "clients", "client"),
    "documents": ("document", "documents", "document"),
    "filings": ("filing", "filings", "filing"),
    "service_requests": ("service_request", "services", "service request"),
}
ENTITY_MODULES = {entity: module for entity, module, _noun in TRASHABLE.values()}
ENTITY_NOUNS = {entity: noun for entity, _module, noun in TRASHABLE.values()}
ENTITY_TYPE = "deleted_item"  # on the change bus

# Rows the database keeps itself: triggers rebuild them when their parent is inserted again
# (restoring them too would collide), and audit rows, which staff may not write (the restore
# trigger links a client's audit rows back).
NOT_CAPTURED = frozenset(
    {
        "audit_logs",
        "desktop_trash",
        "desktop_client_names",
        "desktop_latest_versions",
        "desktop_filing_due_dates",
    }
)

TRASH_METADATA = MetaData()
TRASH = Table(
    "desktop_trash",
    TRASH_METADATA,
    Column("id", Integer, primary_key=True),
    Column("tenantId", Integer, key="tenant_id", nullable=False),
    Column("entityType", Text, key="entity_type", nullable=False),
    Column("entityId", Integer, key="entity_id", nullable=False),
    Column("label", Text, nullable=False),
    Column("clientId", Integer, key="client_id"),
    Column("clientName", Text, key="client_name"),
    Column("deletedBy", Text, key="deleted_by"),
    Column("deletedByName", Text, key="deleted_by_name"),
    Column("deletedAt", TIMESTAMP(precision=3), key="deleted_at", nullable=False),
    Column("payload", JSONB, nullable=False),
    Column("restoredAt", TIMESTAMP(precision=3), key="restored_at"),
    Column("restoredBy", Text, key="restored_by"),
)


# --------------------------------------------------------------------------------------------
# The schema's foreign keys, as the database has them


@dataclass(frozen=True)
class ForeignKey:
    child: str
    column: str
    parent: str
    parent_column: str
    action: str  # pg_constraint.confdeltype: c cascade, n set null, r restrict, a no action
    nullable: bool


@dataclass(frozen=True)
class Schema:
    keys: tuple[ForeignKey, ...]
    primary_keys: dict[str, tuple[str, ...]]
    columns: dict[str, tuple[str, ...]]  # insertable columns (not generated)

    def referencing(self, parent: str) -> list[ForeignKey]:
        return [k for k in self.keys if k.parent == parent]

    def references_of(self, child: str) -> list[ForeignKey]:
        return [k for k in self.keys if k.child == child]


_SCHEMA_SQL = text(
    """
    SELECT ch.relname, a.attname, pa.relname, pat.attname, c.confdeltype, a.attnotnull
    FROM pg_constraint c
    JOIN pg_class ch ON ch.oid = c.conrelid
    JOIN pg_class pa ON pa.oid = c.confrelid
    JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
    JOIN pg_attribute pat ON pat.attrelid = c.confrelid AND pat.attnum = c.confkey[1]
    WHERE c.contype = 'f' AND cardinality(c.conkey) = 1
      AND ch.relnamespace = current_schema()::regnamespace
    ORDER BY 1, 2
    """
)
_PK_SQL = text(
    """
    SELECT cl.relname, array_agg(a.attname::text ORDER BY array_position(i.indkey, a.attnum))
    FROM pg_index i
    JOIN pg_class cl ON cl.oid = i.indrelid
    JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
    WHERE i.indisprimary AND cl.relnamespace = current_schema()::regnamespace
    GROUP BY cl.relname
    """
)
_COLUMNS_SQL = text(
    """
    SELECT cl.relname, array_agg(a.attname::text ORDER BY a.attnum)
    FROM pg_attribute a JOIN pg_class cl ON cl.oid = a.attrelid
    WHERE cl.relnamespace = current_schema()::regnamespace AND cl.relkind = 'r'
      AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
    GROUP BY cl.relname
    """
)
_schema: Schema | None = None


def schema(session: Session) -> Schema:
    """The foreign keys, primary keys and columns of the database (read once per process: the
    schema only changes by migration)."""
    global _schema
    if _schema is None:
        keys = tuple(
            ForeignKey(child, column, parent, parent_column, action, not notnull)
            for child, column, parent, parent_column, action, notnull in session.execute(
                _SCHEMA_SQL
            )
        )
        pks = {name: tuple(cols) for name, cols in session.execute(_PK_SQL)}
        columns = {name: tuple(cols) for name, cols in session.execute(_COLUMNS_SQL)}
        _schema = Schema(keys, pks, columns)
    return _schema


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _entity_types() -> dict[str, str]:
    """Table -> the entity type the audit trail and the change bus use."""
    return {
        mapper.local_table.name: re.sub(r"(?<!^)(?=[A-Z])", "_", mapper.class_.__name__).lower()
        for mapper in Base.registry.mappers
    }


# --------------------------------------------------------------------------------------------
# Capture (inside the delete's transaction)


def is_trashable(table: str) -> bool:
    return table in TRASHABLE


def keep(ctx: Context, table: str, ident: int) -> None:
    """Write the trash row for deleting `table`'s row `ident` with all its delete takes along
    (call after locking the row, before deleting it, in the same transaction)."""
    session = ctx.session
    graph = schema(session)
    captured: dict[str, dict[tuple, dict[str, Any]]] = {}

    def add(name: str, rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        pk = graph.primary_keys[name]
        have = captured.setdefault(name, {})
        new = []
        for row in rows:
            key = tuple(row[c] for c in pk)
            if key not in have:
                have[key] = row
                new.append(row)
        return new

    root = session.execute(
        text(f"SELECT to_jsonb(t) FROM {_q(table)} t WHERE t.id = :id"), {"id": ident}
    ).scalar_one_or_none()
    if root is None:
        raise NotFoundError()
    todo = [(table, add(table, [root]))]
    while todo:
        parent, rows = todo.pop(0)
        for fk in graph.referencing(parent):
            if fk.action != "c" or fk.child in NOT_CAPTURED:
                continue
            values = sorted({r[fk.parent_column] for r in rows if r[fk.parent_column] is not None})
            if not values:
                continue
            found = session.execute(
                text(f"SELECT to_jsonb(t) FROM {_q(fk.child)} t WHERE t.{_q(fk.column)} = ANY(:v)"),
                {"v": values},
            ).scalars()
            new = add(fk.child, found)
            if new:
                todo.append((fk.child, new))

    relinks = []
    for name, rows in captured.items():
        for fk in graph.referencing(name):
            if fk.action != "n" or fk.child in NOT_CAPTURED:
                continue
            values = sorted({r[fk.parent_column] for r in rows.values()})
            pk = graph.primary_keys[fk.child]
            select_list = ", ".join(f"t.{_q(c)}" for c in dict.fromkeys((*pk, fk.column)))
            found = session.execute(
                text(
                    f"SELECT jsonb_build_object({_json_pairs((*pk, fk.column))}) "
                    f"FROM (SELECT {select_list} FROM {_q(fk.child)} t "
                    f"WHERE t.{_q(fk.column)} = ANY(:v)) t"
                ),
                {"v": values},
            ).scalars()
            inside = captured.get(fk.child, {})
            kept = [r for r in found if tuple(r[c] for c in pk) not in inside]
            if kept:
                relinks.append({"table": fk.child, "column": fk.column, "rows": kept})

    order = _insert_order(graph, list(captured))
    payload = {
        "version": 1,
        "tables": [{"table": name, "rows": list(captured[name].values())} for name in order],
        "relinks": relinks,
    }
    entity, _module, _noun = TRASHABLE[table]
    label, client_id, client_name = _describe(session, table, root)
    session.execute(
        TRASH.insert().values(
            tenant_id=ctx.tenant_id,
            entity_type=entity,
            entity_id=ident,
            label=label,
            client_id=client_id,
            client_name=client_name,
            deleted_by=ctx.user_id,
            deleted_by_name=ctx.user_name,
            deleted_at=utcnow(),
            payload=payload,
        )
    )
    note_changes(session, ENTITY_TYPE, "created", [ident])


def _json_pairs(columns: Iterable[str]) -> str:
    return ", ".join(f"'{c}', t.{_q(c)}" for c in dict.fromkeys(columns))


def _insert_order(graph: Schema, tables: list[str]) -> list[str]:
    """Parents before children; in a cycle (a document and its latest version) the table whose
    remaining references are all nullable goes first (those columns are written afterwards)."""
    remaining = list(tables)
    order: list[str] = []
    while remaining:
        for strict in (True, False):
            ready = [
                t
                for t in remaining
                if all(
                    fk.parent not in remaining or fk.parent == t or (not strict and fk.nullable)
                    for fk in graph.references_of(t)
                )
            ]
            if ready:
                break
        if not ready:  # cannot happen with a sane schema; keep capture order
            ready = remaining[:1]
        order.extend(ready)
        remaining = [t for t in remaining if t not in ready]
    return order


def _describe(session: Session, table: str, row: dict[str, Any]) -> tuple[str, int | None, str]:
    """(label, client id, client name) of the deleted record, for the list and the trail."""
    client_id = row["id"] if table == "clients" else row.get("clientId")
    client_name = session.scalar(text("SELECT name FROM clients WHERE id = :id"), {"id": client_id})
    if table == "clients":
        label = row.get("name") or ""
    elif table == "documents":
        label = row.get("title") or ""
    elif table == "filings":
        kind = session.scalar(
            text("SELECT name FROM filing_types WHERE id = :id"), {"id": row.get("filingTypeId")}
        )
        label = " — ".join(p for p in (kind, row.get("periodLabel")) if p)
    else:
        label = (
            session.scalar(
                text("SELECT name FROM services WHERE id = :id"), {"id": row.get("serviceId")}
            )
            or ""
        )
    return label or f"#{row['id']}", client_id, client_name or ""


# --------------------------------------------------------------------------------------------
# The list


def _days_left(deleted_at: Any) -> str:
    if not isinstance(deleted_at, datetime):
        return ""
    left = (deleted_at + RETENTION - utcnow()).total_seconds() / 86400
    days = max(0, int(left + 0.999))
    return f"{days} day{'' if days == 1 else 's'}"


def _what(entity: Any) -> str:
    return ENTITY_NOUNS.get(entity, str(entity)).capitalize()


TRASH_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("what", "What", TRASH.c.entity_type, sortable=False, formatter=_what),
    ColumnSpec("label", "Name", TRASH.c.label, sortable=False),
    ColumnSpec("client", "Client", TRASH.c.client_name, sortable=False, nullable=True),
    ColumnSpec("deleted_by", "Deleted by", TRASH.c.deleted_by_name, sortable=False),
    ColumnSpec("deleted_at", "Deleted", TRASH.c.deleted_at, formatter=format_value),
    ColumnSpec(
        "days_left",
        "Days left",
        TRASH.c.deleted_at.label("days_left"),
        sortable=False,
        formatter=_days_left,
    ),
)


def deletable_entities(ctx: Context) -> list[str]:
    """The entity types whose deleted items this role may see and restore."""
    return [e for e, module in ENTITY_MODULES.items() if ctx.can(module, "delete")]


def trash_list_query(ctx: Context, client_id: int | None = None) -> PagedQuery:
    """The firm's deleted items not yet restored nor purged, newest first; one client's with
    `client_id`. Only entity types the role may delete in. Filter: `entity_type`."""
    entities = deletable_entities(ctx)
    if not entities:
        raise PermissionDenied(
            f"Your role ({ctx.role_name}) may not restore deleted items: that takes the "
            "permission to delete clients, documents, filings or services."
        )
    base = select(TRASH).where(
        TRASH.c.tenant_id == ctx.tenant_id,
        TRASH.c.restored_at.is_(None),
        TRASH.c.deleted_at >= utcnow() - RETENTION,
        TRASH.c.entity_type.in_(entities),
    )
    if client_id is not None:
        base = base.where(TRASH.c.client_id == client_id)
    return PagedQuery(
        base,
        TRASH_COLUMNS,
        search_columns=(TRASH.c.label, TRASH.c.client_name),
        filter_columns={"entity_type": TRASH.c.entity_type, "client_id": TRASH.c.client_id},
        id_column=TRASH.c.id,
        sort_key="deleted_at",
        descending=True,
    )


@dataclass(frozen=True)
class DeletedItem:
    id: int
    entity_type: str
    entity_id: int
    label: str
    client_id: int | None
    client_name: str
    deleted_by_name: str
    deleted_at: datetime

    @property
    def noun(self) -> str:
        return ENTITY_NOUNS.get(self.entity_type, self.entity_type)

    def describe(self) -> str:
        return f'{self.noun} "{self.label}"'


def get_item(ctx: Context, item_id: int) -> DeletedItem:
    row = _row(ctx, item_id)
    require(ctx, ENTITY_MODULES[row.entity_type], "delete")
    return _item(row)


def _row(ctx: Context, item_id: int, *, for_update: bool = False) -> Any:
    query = select(TRASH).where(TRASH.c.id == item_id, TRASH.c.tenant_id == ctx.tenant_id)
    if for_update:
        query = query.with_for_update()
    row = ctx.session.execute(query).one_or_none()
    if row is None or row.deleted_at < utcnow() - RETENTION:
        raise NotFoundError("This deleted item is no longer kept (restored, or purged).")
    return row


def _item(row: Any) -> DeletedItem:
    return DeletedItem(
        row.id, row.entity_type, row.entity_id, row.label, row.client_id,
        row.client_name or "", row.deleted_by_name or "", row.deleted_at,
    )  # fmt: skip


def find_item(ctx: Context, entity_type: str, entity_id: int) -> DeletedItem | None:
    """The deleted item of one record (e.g. the one a "delete" row of an audit trail names),
    if it is still kept and not restored; None otherwise."""
    module = ENTITY_MODULES.get(entity_type)
    if module is None:
        return None
    require(ctx, module, "delete")
    row = ctx.session.execute(
        select(TRASH)
        .where(
            TRASH.c.tenant_id == ctx.tenant_id,
            TRASH.c.entity_type == entity_type,
            TRASH.c.entity_id == entity_id,
            TRASH.c.restored_at.is_(None),
            TRASH.c.deleted_at >= utcnow() - RETENTION,
        )
        .order_by(TRASH.c.deleted_at.desc(), TRASH.c.id.desc())
        .limit(1)
    ).one_or_none()
    return None if row is None else _item(row)


# --------------------------------------------------------------------------------------------
# Restore


def restore(ctx: Context, item_id: int) -> DeletedItem:
    """Put a deleted item back with its ids and links, in one transaction, audited. Refuses
    (changing nothing) when something conflicts."""
    session = ctx.session
    item: DeletedItem | None = None
    try:
        with translated(session):
            row = _row(ctx, item_id, for_update=True)
            item = _item(row)
            require(ctx, ENTITY_MODULES[item.entity_type], "delete")
            if row.restored_at is not None:
                raise ValidationError(f"The {item.describe()} has already been restored.")
            _restore_rows(ctx, item, row.payload)
            session.execute(
                update(TRASH)
                .where(TRASH.c.id == item_id)
                .values(restored_at=utcnow(), restored_by=ctx.user_id)
            )
            note_changes(session, ENTITY_TYPE, "updated", [item_id])
            session.commit()
    except ServiceError as exc:
        session.rollback()
        if item is not None and isinstance(exc, PermissionDenied) and exc.from_database:
            # Row-level security refused one of the records it had (a role may delete clients
            # without being allowed to create filings).
            raise PermissionDenied(
                f"The {item.describe()} cannot be restored: your role may not put back "
                f"everything it had. {exc.message}"
            ) from exc
        if item is None or isinstance(exc, PermissionDenied | NotFoundError | ValidationError):
            raise
        raise ServiceError(f"The {item.describe()} cannot be restored: {exc.message}") from exc
    except BaseException:
        session.rollback()
        raise
    return item


def _restore_rows(ctx: Context, item: DeletedItem, payload: dict[str, Any]) -> None:
    session = ctx.session
    graph = schema(session)
    if not _well_formed(graph, payload):
        raise ValidationError(
            f"The {item.describe()} cannot be restored: what was kept of it is damaged."
        )
    tables = payload["tables"]
    names = [t["table"] for t in tables]
    position = {name: i for i, name in enumerate(names)}
    rows_of = {t["table"]: [dict(r) for r in t["rows"]] for t in tables}
    _check_conflicts(ctx, item, rows_of)

    # Links to parents outside the payload: cleared where the key would clear them, else refused.
    for name in names:
        for fk in graph.references_of(name):
            if fk.parent in position:
                continue
            rows = rows_of[name]
            values = sorted({r[fk.column] for r in rows if r.get(fk.column) is not None})
            if not values:
                continue
            present = set(
                session.execute(
                    text(
                        f"SELECT t.{_q(fk.parent_column)} FROM {_q(fk.parent)} t "
                        f"WHERE t.{_q(fk.parent_column)} = ANY(:v)"
                    ),
                    {"v": values},
                ).scalars()
            )
            missing = set(values) - present
            if not missing:
                continue
            if fk.action == "n" and fk.nullable:
                for r in rows:
                    if r.get(fk.column) in missing:
                        r[fk.column] = None
                continue
            raise ValidationError(_missing_parent_message(session, item, fk, missing))

    # Insert in order; references forward (or to the same table) are written afterwards.
    deferred: list[tuple[str, str]] = []
    entity_types = _entity_types()
    for name in names:
        rows = rows_of[name]
        later = [
            fk.column
            for fk in graph.references_of(name)
            if fk.parent in position and position[fk.parent] >= position[name]
        ]
        inserted = []
        for r in rows:
            inserted.append({**r, **dict.fromkeys(later)} if later else r)
        columns = ", ".join(_q(c) for c in graph.columns[name])
        session.execute(
            text(
                f"INSERT INTO {_q(name)} ({columns}) SELECT {columns} "
                f"FROM jsonb_populate_recordset(NULL::{_q(name)}, :rows)"
            ).bindparams(bindparam("rows", type_=JSONB)),
            {"rows": inserted},
        )
        deferred.extend((name, c) for c in later)
        ids = [r["id"] for r in rows if isinstance(r.get("id"), int)]
        note_changes(session, entity_types.get(name, name), "created", ids)
    for name, column in deferred:
        _set_links(session, graph, name, column, rows_of[name])
    for link in payload.get("relinks", []):
        name = link["table"]
        if name in graph.primary_keys:
            _set_links(session, graph, name, link["column"], link["rows"])


def _well_formed(graph: Schema, payload: Any) -> bool:
    """A payload as `keep` writes it: known tables (not the ones the database keeps itself)
    and their columns, each once. Staff can insert trash rows by hand; the restore then
    still inserts only as them, but never names a table or column the schema lacks."""
    try:
        tables = payload["tables"]
        names = [t["table"] for t in tables]
        if len(set(names)) != len(names):
            return False
        for t in tables:
            columns = set(graph.columns.get(t["table"], ()))
            if (
                not columns
                or t["table"] in NOT_CAPTURED
                or t["table"] not in graph.primary_keys
                or not isinstance(t["rows"], list)
            ):
                return False
            if any(not isinstance(r, dict) or not set(r) <= columns for r in t["rows"]):
                return False
        for link in payload.get("relinks", []):
            columns = set(graph.columns.get(link["table"], ()))
            if (
                link["table"] in NOT_CAPTURED
                or link["table"] not in graph.primary_keys
                or link["column"] not in columns
            ):
                return False
            if any(not isinstance(r, dict) or not set(r) <= columns for r in link["rows"]):
                return False
    except (KeyError, TypeError):
        return False
    return True


def _set_links(session: Session, graph: Schema, table: str, column: str, rows: list) -> None:
    """Set `column` back on the rows of `table` (by primary key) where it is empty now (a row
    deleted or re-linked since is left alone)."""
    rows = [r for r in rows if r.get(column) is not None]
    if not rows:
        return
    match = " AND ".join(f"x.{_q(c)} = p.{_q(c)}" for c in graph.primary_keys[table])
    session.execute(
        text(
            f"UPDATE {_q(table)} x SET {_q(column)} = p.{_q(column)} "
            f"FROM jsonb_populate_recordset(NULL::{_q(table)}, :rows) p "
            f"WHERE {match} AND x.{_q(column)} IS NULL"
        ).bindparams(bindparam("rows", type_=JSONB)),
        {"rows": rows},
    )


def _check_conflicts(ctx: Context, item: DeletedItem, rows_of: dict[str, list]) -> None:
    """What would make the restored records wrong rather than fail: a TIN or NIS number now
    used by another client of the firm; and a record that is back already (same id)."""
    session = ctx.session
    for client in rows_of.get("clients", []):
        for column, label in (("tin", "TIN"), ("nisNumber", "NIS number")):
            value = client.get(column)
            if not value:
                continue
            other = session.execute(
                text(
                    f"SELECT id, name FROM clients WHERE {_q(column)} = :v AND id <> :id "
                    'AND "tenantId" = :t LIMIT 1'
                ),
                {"v": value, "id": client["id"], "t": ctx.tenant_id},
            ).one_or_none()
            if other is not None:
                raise ValidationError(
                    f"The {item.describe()} cannot be restored: its {label} {value} is now used "
                    f'by the client "{other.name}". Change that client\'s {label} first.'
                )
    for name, rows in rows_of.items():
        ids = [r["id"] for r in rows if isinstance(r.get("id"), int)]
        if ids and session.scalar(
            text(f"SELECT count(*) FROM {_q(name)} WHERE id = ANY(:v)"), {"v": ids}
        ):
            raise ValidationError(f"The {item.describe()} is back already: it was restored.")


def _missing_parent_message(session: Session, item: DeletedItem, fk: ForeignKey, missing) -> str:
    noun = fk.parent.rstrip("s").replace("_", " ")
    if fk.parent == "clients":
        waiting = session.scalar(
            select(TRASH.c.label).where(
                TRASH.c.entity_type == "client",
                TRASH.c.entity_id.in_(list(missing)),
                TRASH.c.restored_at.is_(None),
            )
        )
        if waiting is not None:
            return (
                f"The {item.describe()} cannot be restored before its client: restore the "
                f'client "{waiting}" first (it is in Deleted items too).'
            )
    return (
        f"The {item.describe()} cannot be restored: the {noun} it belongs to or uses no longer "
        "exists (or your role may not see it)."
    )


# --------------------------------------------------------------------------------------------
# Purge and the files (administrator connection, every firm)


def purge(engine: Engine, *, older_than: timedelta = RETENTION, dry_run: bool = False) -> int:
    """Delete deleted items older than `older_than` in every firm (their files become orphans
    for the sweep); returns how many."""
    cutoff = utcnow() - older_than
    with session_factory(engine)() as session:
        if dry_run:
            n = session.scalar(
                select(func.count()).select_from(TRASH).where(TRASH.c.deleted_at < cutoff)
            )
        else:
            n = session.execute(delete(TRASH).where(TRASH.c.deleted_at < cutoff)).rowcount
            session.commit()
    log.info("Deleted items %s: %d", "to purge" if dry_run else "purged", n or 0)
    return int(n or 0)


_KEYS_SQL = text(
    """
    SELECT t."tenantId", v ->> 'fileUrl', v ->> 'storageProvider'
    FROM desktop_trash t
    CROSS JOIN LATERAL jsonb_array_elements(t.payload -> 'tables') tb
    CROSS JOIN LATERAL jsonb_array_elements(tb -> 'rows') v
    WHERE tb ->> 'table' = 'document_versions'
    """
)


def trashed_storage_keys(session: Session) -> list[tuple[int, str, str]]:
    """(tenant, storage key, provider) of every version kept in the trash: referenced until
    purged."""
    return [(t, k, p) for t, k, p in session.execute(_KEYS_SQL) if k]


__all__ = [
    "KEEP_DAYS",
    "TRASH",
    "DeletedItem",
    "deletable_entities",
    "find_item",
    "get_item",
    "is_trashable",
    "keep",
    "purge",
    "restore",
    "trash_list_query",
    "trashed_storage_keys",
]
