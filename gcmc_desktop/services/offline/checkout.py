"""Check clients out for offline work: the server's rows and files → an encrypted local copy.

The rows are read as the signed-in staff user (row-level security on: nothing the user could
not read online is ever copied): the chosen clients and every row hanging off them, the firm's
reference data (types, services, templates, roles, members), and the document files — the
latest version of each document, or all versions. Each client gets a `desktop_checkouts` row,
in the same transaction; a client someone else holds is refused with their name.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from ..context import Context, require
from ..errors import ValidationError
from ..outbox import Control
from ..storage import StorageProvider
from . import store as store_mod
from .status import checkouts as open_checkouts

DEFAULT_DAYS = 14
MAX_DAYS = 90

# Tables never copied: credentials, sessions, the audit trail, notifications.
SKIPPED = frozenset(
    {"account", "session", "verification", "audit_logs", "notifications", "client_portal_access"}
)
# Tables whose rows belong to a copied parent (table -> (column, parent table)).
CHILDREN = {
    "document_versions": ("documentId", "documents"),
    "filing_documents": ("filingId", "filings"),
    "service_steps": ("serviceRequestId", "service_requests"),
    "messages": ("conversationId", "conversations"),
    "compliance_rules": ("ruleSetId", "compliance_rule_sets"),
    "permissions": ("roleId", "roles"),
    "requirement_bundle_items": ("bundleId", "requirement_bundles"),
}


@dataclass(frozen=True)
class CheckoutEstimate:
    clients: int
    documents: int
    files: int
    bytes: int


@dataclass(frozen=True)
class CheckoutResult:
    clients: int
    documents: int
    files: int
    bytes: int
    expires_at: datetime
    path: Path


def _ids(client_ids: list[int]) -> list[int]:
    try:
        ids = sorted({int(i) for i in client_ids})
    except (TypeError, ValueError) as exc:
        raise ValidationError("Choose the clients to take offline.") from exc
    if not ids:
        raise ValidationError("Choose the clients to take offline.")
    return ids


_VERSIONS = """
SELECT v.id, v."fileUrl", coalesce(v."fileSize", 0), d.id
FROM document_versions v JOIN documents d ON d.id = v."documentId"
WHERE d."clientId" = ANY(:ids) AND d."tenantId" = :t {latest}
ORDER BY v.id
"""


def _versions(ctx: Context, ids: list[int], all_versions: bool) -> list[tuple]:
    latest = "" if all_versions else 'AND v.id = d."latestVersionId"'
    return ctx.session.execute(
        text(_VERSIONS.format(latest=latest)), {"ids": ids, "t": ctx.tenant_id}
    ).all()


def _visible_clients(ctx: Context, ids: list[int]) -> list[int]:
    rows = ctx.session.execute(
        text('SELECT id FROM clients WHERE id = ANY(:ids) AND "tenantId" = :t'),
        {"ids": ids, "t": ctx.tenant_id},
    ).scalars()
    return sorted(rows)


def estimate(
    ctx: Context, client_ids: list[int], *, all_versions: bool = False
) -> CheckoutEstimate:
    require(ctx, "clients", "view")
    ids = _visible_clients(ctx, _ids(client_ids))
    documents = ctx.session.execute(
        text('SELECT count(*) FROM documents WHERE "clientId" = ANY(:ids) AND "tenantId" = :t'),
        {"ids": ids, "t": ctx.tenant_id},
    ).scalar_one()
    versions = _versions(ctx, ids, all_versions) if ctx.can("documents", "view") else []
    return CheckoutEstimate(len(ids), documents, len(versions), sum(v[2] for v in versions))


def _table_rows(ctx: Context, ids: list[int]) -> dict[str, list[dict[str, Any]]]:
    """Every row to copy, by table, in the models' foreign-key order."""
    from ...models import Base

    t = ctx.tenant_id
    rows: dict[str, list[dict[str, Any]]] = {}
    picked: dict[str, list[int]] = {}
    for table in Base.metadata.sorted_tables:
        name = table.name
        columns = {c.name for c in table.columns}
        if name in SKIPPED:
            continue
        params: dict[str, Any] = {"t": t, "ids": ids}
        if name == "tenants":
            where = "x.id = :t"
        elif name == "plans":
            where = 'x.id IN (SELECT "planId" FROM subscriptions WHERE "tenantId" = :t)'
        elif name == "user":
            where = 'x._id IN (SELECT "userId" FROM tenant_users WHERE "tenantId" = :t)'
        elif name == "clients":
            where = 'x.id = ANY(:ids) AND x."tenantId" = :t'
        elif name in CHILDREN:
            column, parent = CHILDREN[name]
            params["parents"] = picked.get(parent, [])
            where = f'x."{column}" = ANY(:parents)'
        elif "clientId" in columns:
            where = 'x."clientId" = ANY(:ids) AND x."tenantId" = :t'
        elif "tenantId" in columns:
            where = 'x."tenantId" = :t'
        else:
            continue
        found = ctx.session.execute(
            text(f'SELECT to_jsonb(x) FROM "{name}" x WHERE {where}'), params
        ).scalars()
        rows[name] = list(found)
        if "id" in columns:
            picked[name] = [r["id"] for r in rows[name]]
    # Users the rows name who are no longer members (a former colleague's uploads): their
    # names, where row-level security shows them.
    referenced = (
        {
            row.get(fk.parent.name)
            for table in Base.metadata.sorted_tables
            for fk in table.foreign_keys
            if fk.column.table.name == "user" and table.name in rows
            for row in rows[table.name]
        }
        - {None}
        - {u["_id"] for u in rows.get("user", [])}
    )
    if referenced and "user" in rows:
        rows["user"] += list(
            ctx.session.execute(
                text('SELECT to_jsonb(x) FROM "user" x WHERE x._id = ANY(:ids)'),
                {"ids": sorted(referenced)},
            ).scalars()
        )
    _drop_dangling(rows)
    return rows


def _drop_dangling(rows: dict[str, list[dict[str, Any]]]) -> None:
    """References to rows that are not in the copy (a task linked to another client's filing,
    a version uploaded by a former member): nullable ones are cleared, rows whose required
    reference is missing are left out — the replica's foreign keys must hold."""
    from ...models import Base

    present: dict[tuple[str, str], set] = {}
    for table in Base.metadata.sorted_tables:
        data = rows.get(table.name)
        if data is None:
            continue
        links = [
            (fk.parent.name, fk.column.table.name, fk.column.name, fk.parent.nullable)
            for fk in table.foreign_keys
            if fk.column.table.name in rows and fk.column.table.name != table.name
        ]
        kept = []
        for row in data:
            ok = True
            for column, ref_table, ref_column, nullable in links:
                value = row.get(column)
                if value is None:
                    continue
                keys = present.setdefault(
                    (ref_table, ref_column),
                    {r.get(ref_column) for r in rows.get(ref_table, [])},
                )
                if value not in keys:
                    if nullable:
                        row[column] = None
                    else:
                        ok = False
                        break
            if ok:
                kept.append(row)
        rows[table.name] = kept
        for key in [k for k in present if k[0] == table.name]:
            del present[key]  # recomputed from the kept rows when a child asks


def password_verifier(password: str) -> dict[str, str]:
    salt = secrets.token_hex(16)
    digest = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=2**14, r=8, p=1)
    return {"salt": salt, "scrypt": digest.hex()}


def check_password(verifier: dict[str, str], password: str) -> bool:
    digest = hashlib.scrypt(
        password.encode(), salt=bytes.fromhex(verifier["salt"]), n=2**14, r=8, p=1
    )
    return secrets.compare_digest(digest.hex(), verifier["scrypt"])


def _session_password(ctx: Context) -> str | None:
    """The password of the user's own database login (equal to their web password, set by the
    sign-in service): kept only as a scrypt verifier, for signing in offline."""
    bind = ctx.session.get_bind()
    url = getattr(bind, "url", None)
    return getattr(url, "password", None)


def check_out(
    ctx: Context,
    client_ids: list[int],
    *,
    all_versions: bool = False,
    days: int = DEFAULT_DAYS,
    control: Control | None = None,
    storage: StorageProvider | None = None,
) -> CheckoutResult:
    """Copy the clients to this workstation, encrypted; `storage` is where the document files
    are read from (without it only the records are copied)."""
    require(ctx, "clients", "view")
    if ctx.offline:
        raise ValidationError("Clients cannot be checked out from an offline copy.")
    if not 1 <= int(days) <= MAX_DAYS:
        raise ValidationError(f"An offline copy can be kept from 1 to {MAX_DAYS} days.")
    requested = _ids(client_ids)
    ids = _visible_clients(ctx, requested)
    if len(ids) != len(requested):
        raise ValidationError("Some of the chosen clients no longer exist.")
    held = {c: i for c, i in open_checkouts(ctx, ids).items() if not i.mine}
    if held:
        names = sorted({i.user_name for i in held.values()})
        raise ValidationError(
            f"{len(held)} of these clients are already checked out by {', '.join(names)}."
        )
    password = _session_password(ctx)
    if not password:
        raise ValidationError("Sign in again before taking clients offline.")
    checked_out = store_mod.now()
    expires = checked_out + timedelta(days=int(days))
    path = store_mod.root() / store_mod.store_name(ctx.tenant_code, ctx.user_id)
    if path.exists():
        raise ValidationError(
            "This computer already holds an offline copy of yours for this firm. "
            "Sync and check it in first."
        )
    # Release my own old (expired or stale) open checkouts of these clients first.
    ctx.session.execute(
        text(
            'UPDATE desktop_checkouts SET "releasedAt" = :now WHERE "clientId" = ANY(:ids) '
            'AND "userId" = :u AND "releasedAt" IS NULL'
        ),
        {"ids": ids, "u": ctx.user_id, "now": checked_out},
    )
    try:
        checkouts = dict(
            ctx.session.execute(
                text(
                    'INSERT INTO desktop_checkouts ("tenantId", "clientId", "userId", '
                    '"checkedOutAt", "expiresAt") SELECT :t, c, :u, :now, :exp '
                    'FROM unnest(CAST(:ids AS integer[])) c RETURNING "clientId", id::text'
                ),
                {
                    "t": ctx.tenant_id,
                    "u": ctx.user_id,
                    "now": checked_out,
                    "exp": expires,
                    "ids": ids,
                },
            ).all()
        )
    except IntegrityError as exc:
        ctx.session.rollback()
        raise ValidationError("Someone else checked out one of these clients just now.") from exc
    rows = _table_rows(ctx, ids)
    versions = _versions(ctx, ids, all_versions) if storage is not None else []
    store = store_mod.Store(path, create=True)
    try:
        files: dict[str, str] = {}  # storage key -> blob name
        written = 0
        for n, (_vid, key, _size, _doc) in enumerate(versions, start=1):
            if control is not None:
                control.check()
                control.progress(n - 1, len(versions), "Copying documents…")
            if key in files:
                continue
            with storage.open_read(key) as stream:
                data = stream.read()
            blob = f"files/{len(files) + 1}.bin"
            written += store.write_blob(blob, data)
            files[key] = blob
        meta = {
            "tenant": {"id": ctx.tenant_id, "code": ctx.tenant_code, "name": ctx.tenant_name},
            "user": {
                "id": ctx.user_id,
                "name": ctx.user_name,
                "email": ctx.email,
                "role_id": ctx.role_id,
                "role": ctx.role_name,
                "permissions": sorted(ctx.permissions),
                "verifier": password_verifier(password),
            },
            "checkouts": {str(c): i for c, i in checkouts.items()},
            "checked_out_at": checked_out,
            "files": files,
            "all_versions": all_versions,
        }
        store.write_json(store_mod.META, meta)
        written += store.write_json(store_mod.RECORDS, rows)
        store.write_manifest(
            {
                "format": store_mod.FORMAT,
                "checkouts": sorted(checkouts.values()),
                "clients": ids,
                "expires_at": expires,
                "pending": 0,
            }
        )
        ctx.session.commit()
    except BaseException:
        ctx.session.rollback()
        store.delete()
        raise
    if control is not None:
        control.progress(len(versions), len(versions), "Done")
    return CheckoutResult(
        clients=len(ids),
        documents=len(rows.get("documents", [])),
        files=len(files),
        bytes=store.size_on_disk(),
        expires_at=expires,
        path=path,
    )
