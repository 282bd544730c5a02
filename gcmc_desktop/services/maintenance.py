"""Housekeeping an administrator (or a scheduled task) runs over every firm, on an
administrator connection: the CLI's `gcmc maintenance …` verbs call these."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import Engine, select

from ..db import session_factory
from ..models import Document, DocumentVersion, Tenant
from .auth import delete_expired_sessions
from .documents import refresh_document_statuses

log = logging.getLogger(__name__)

__all__ = [
    "delete_expired_sessions",
    "purge_trash",
    "refresh_statuses",
    "remove_orphaned_files",
]


def refresh_statuses(engine: Engine) -> int:
    """Mark `valid` documents whose latest version has expired as `expired`, in every firm, in
    one transaction; returns how many changed. Not audited: no staff member acts here, and the
    administrator role is not a user the audit trail could name."""
    with session_factory(engine)() as session:
        changed = refresh_document_statuses(session)
        session.commit()
    log.info("Document status refresh: %d document(s) marked expired", changed)
    return changed


def remove_orphaned_files(
    engine: Engine,
    provider,
    *,
    older_than: timedelta,
    dry_run: bool = False,
    trash_older_than: timedelta | None = None,
) -> dict[int, list[str]]:
    """Deleted items older than `trash_older_than` (default 30 days) purged first, then:
    objects in the store that no document version refers to — neither a live one nor one kept
    in Deleted items — per firm, older than
    `older_than` (younger ones may be uploads whose row is about to be written), and the temp
    files of writes killed mid-way, older than a day (issue 9 #28). Removes them unless
    `dry_run`; returns what was (or would be) removed by tenant id."""
    from .storage import (
        canonical_provider_name,
        find_orphans,
        find_partial_writes,
        remove_orphans,
        remove_partial_writes,
        tenant_prefix,
    )
    from .trash import RETENTION, purge, trashed_storage_keys

    if not dry_run:
        purge(engine, older_than=trash_older_than or RETENTION)
    with session_factory(engine)() as session:
        tenants = list(session.scalars(select(Tenant.id)))
        rows = session.execute(
            select(
                Document.tenant_id, DocumentVersion.file_url, DocumentVersion.storage_provider
            ).join(Document, Document.id == DocumentVersion.document_id)
        ).all()
        rows = [*rows, *trashed_storage_keys(session)]
    known: dict[int, set[str]] = {t: set() for t in tenants}
    wanted = canonical_provider_name(provider.name)
    for tenant_id, key, provider_name in rows:
        if tenant_id in known and canonical_provider_name(provider_name) == wanted:
            known[tenant_id].add(key)
    act = find_orphans if dry_run else remove_orphans
    partial = find_partial_writes if dry_run else remove_partial_writes
    found = {
        t: act(provider, keys, tenant_prefix(t), older_than)
        + partial(provider, tenant_prefix(t), older_than)
        for t, keys in known.items()
    }
    log.info(
        "Orphaned files %s: %d", "found" if dry_run else "removed", sum(map(len, found.values()))
    )
    return {t: keys for t, keys in found.items() if keys}


def purge_trash(engine: Engine, *, older_than: timedelta, dry_run: bool = False) -> int:
    """Deleted items older than `older_than` are removed for good (their files go with the
    next orphans sweep); returns how many were (or would be) purged."""
    from .trash import purge

    return purge(engine, older_than=older_than, dry_run=dry_run)
