"""Sync back: replay the offline journal through the normal services.

Each journalled change (an audit row of the replica: entity, id, {field: [before, after]},
time) is replayed in order, online, as the signed-in user, through the service that made it
(clients, tasks, step status, filings, messages) — validation, permissions, row-level security
and the firm's checkout policy all apply as if typed in now. A field someone changed on the
server since the checkout (its value is no longer the journal's "before") is a conflict: the
`resolve` callback gets a Conflict (mine / theirs / base, field by field) and returns the
values to save, or None to keep theirs (the offline value stays in the report: nothing is lost
silently).

Idempotent resume: every replayed change writes (checkout id, journal seq) to
`desktop_offline_applied` in the same transaction as the change itself; a sync interrupted
(killed, connection lost) resumes with the first change not recorded there, so nothing is
applied twice. The audit row of a replayed change carries, as its user agent, the time the
change was really made offline.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text

from .. import clients as clients_service
from .. import conversations, documents, filings, service_steps, tasks
from ..context import Context
from ..errors import ConflictError, ServiceError, ValidationError
from ..outbox import Control
from ..storage import StorageProvider
from . import store as store_mod
from .store import OfflineCopy

SYNCED = "synced.bin"


@dataclass(frozen=True)
class Conflict:
    entity: str
    record_id: Any
    label: str
    fields: list[str]
    mine: dict
    theirs: dict
    base: dict


@dataclass(frozen=True)
class SyncReport:
    applied: int
    skipped: int
    conflicts_resolved: int
    kept_theirs: list[str]
    failed: list[str]


# entity -> (table, label column, noun)
ENTITIES: dict[str, tuple[str, str, str]] = {
    "client": ("clients", "name", "Client"),
    "task": ("tasks", "title", "Task"),
    "filing": ("filings", "id", "Filing"),
    "service_step": ("service_steps", "title", "Step"),
    "message": ("messages", "id", "Message"),
    "document": ("documents", "title", "Document"),
    "document_version": ("document_versions", "id", "Document version"),
}
# Rows the database or the services change as a consequence of another change (a step's
# request, a conversation's activity, scores): replaying the cause reproduces them.
DERIVED = frozenset(
    {"service_request", "conversation", "compliance_score", "notification", "client_task"}
)


# Changes to these fields follow from another change (a new version moves the latest pointer,
# the status follows the expiry): not replayed on their own.
DERIVED_FIELDS = {
    "document": {"latest_version_id", "status"},
    "document_version": {"is_latest"},
}


def _is_derived(entry: dict) -> bool:
    if entry["entity"] in DERIVED:
        return True
    fields = DERIVED_FIELDS.get(entry["entity"])
    if fields is None or entry["action"] != "update":
        return False
    changed = set(entry["changes"]) - {"updated_at", "created_at"}
    return changed <= fields


def _snake(key: str) -> str:
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", key).lower()


def _labels(store: store_mod.Store) -> dict[tuple[str, Any], str]:
    records = store.read_json(store_mod.RECORDS)
    out: dict[tuple[str, Any], str] = {}
    for entity, (table, column, noun) in ENTITIES.items():
        for row in records.get(table, []):
            value = row.get(column)
            out[(entity, row.get("id"))] = (
                f"{noun} '{value}'" if column != "id" else f"{noun} {value}"
            )
    return out


def _label(labels: dict, entry: dict) -> str:
    entity, ident = entry["entity"], entry["entity_id"]
    found = labels.get((entity, ident))
    if found:
        return found
    noun = ENTITIES.get(entity, (None, None, entity.replace("_", " ").capitalize()))[2]
    return f"New {noun.lower()}" if entry["action"] == "create" else f"{noun} {ident}"


def _when(at: str) -> str:
    moment = datetime.fromisoformat(at)
    return f"{moment.day} {moment:%b %H:%M}"


def _show(value: Any) -> str:
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, str):
        shown = value.replace("_", " ")
        shown = shown[:1].upper() + shown[1:]
        return shown if len(shown) <= 60 else shown[:57] + "…"
    return str(value)


def describe(entry: dict, labels: dict) -> str:
    label = _label(labels, entry)
    when = _when(entry["at"])
    changes = {k: v for k, v in entry["changes"].items() if k not in ("updated_at", "created_at")}
    if entry["action"] == "create":
        if entry["entity"] == "message":
            body = (changes.get("body") or [None, ""])[1]
            return f"New message: {_show(body)} ({when})"
        if entry["entity"] == "document_version":
            parent = (changes.get("document_id") or [None, None])[1]
            name = labels.get(("document", parent), f"document {parent}")
            return f"New version of {name} ({when})"
        noun = ENTITIES.get(entry["entity"], (None, None, entry["entity"].replace("_", " ")))[2]
        title = (changes.get("title") or changes.get("name") or [None, ""])[1]
        return f"New {noun.lower()}: {_show(title)} ({when})"
    if entry["action"] == "delete":
        return f"{label}: deleted ({when})"
    parts = [f"{k.replace('_', ' ')} → {_show(v[1])}" for k, v in changes.items()]
    return f"{label}: {', '.join(parts)} ({when})"


def _settled(store: store_mod.Store) -> set[int]:
    return set(store.read_json(SYNCED, default={"seqs": []})["seqs"])


def pending(copy: OfflineCopy) -> list[str]:
    """Human-readable lines: "Task 'Call GRA': status → Done (2 Dec 14:05)"."""
    store = store_mod.open_store(copy)
    labels = _labels(store)
    done = _settled(store)
    journal = store.journal()
    firsts = _first_versions(journal)
    return [
        describe(e, labels)
        for e in journal
        if e["seq"] not in done and not _is_derived(e) and e["seq"] not in firsts
    ]


def count_pending(store: store_mod.Store, journal: list[dict]) -> int:
    """How many of the journal's changes are still to sync (as `pending` lists them)."""
    done = _settled(store) | _first_versions(journal)
    return len([e for e in journal if e["seq"] not in done and not _is_derived(e)])


def _first_versions(journal: list[dict]) -> set[int]:
    """The seqs of the first versions of documents created offline (shown and synced with
    their document)."""
    created = {
        e["entity_id"] for e in journal if e["entity"] == "document" and e["action"] == "create"
    }
    return {
        e["seq"]
        for e in journal
        if e["entity"] == "document_version"
        and e["action"] == "create"
        and (e["changes"].get("document_id") or [None, None])[1] in created
    }


def _journal_key(meta: dict) -> str:
    """The checkout the journal's applied rows hang off (one per copy: its first)."""
    return sorted(meta["checkouts"].values())[0]


def _check_same(ctx: Context, meta: dict) -> None:
    if ctx.offline:
        raise ValidationError("Sync needs a connection to the office database.")
    if ctx.user_id != meta["user"]["id"] or ctx.tenant_id != meta["tenant"]["id"]:
        raise ValidationError(
            f"This offline copy belongs to {meta['user']['name']} in {meta['tenant']['name']}: "
            "sign in as them, in that firm, to sync it."
        )


def _current(ctx: Context, table: str, ident: Any) -> tuple[dict[str, Any], datetime | None]:
    row = ctx.session.execute(
        text(f'SELECT to_jsonb(x) FROM "{table}" x WHERE id = :id'), {"id": ident}
    ).scalar()
    if row is None:
        return {}, None
    updated = ctx.session.execute(
        text(f'SELECT "updatedAt" FROM "{table}" WHERE id = :id'), {"id": ident}
    ).scalar()
    return {_snake(k): v for k, v in row.items()}, updated


def _apply(ctx: Context, entry: dict, values: dict[str, Any], expected: datetime | None) -> None:
    entity, ident = entry["entity"], entry["entity_id"]
    if entity == "client":
        clients_service.update_client(ctx, ident, values, expected)
    elif entity == "task":
        tasks.TASKS.update(ctx, ident, values, expected)
    elif entity == "filing":
        filings.update_filing(ctx, ident, values, expected)
    elif entity == "document":
        documents.update_document(ctx, ident, values, expected)
    elif entity == "service_step":
        if set(values) - {"status"}:
            raise ValidationError("Only a step's status can be changed offline.")
        # No override: a step done offline without its required documents is reported.
        service_steps.set_step_status(ctx, ident, values["status"], expected)
    else:
        raise ValidationError("This kind of change cannot be synced.")


def _stamp(ctx: Context, key: str, entry: dict) -> None:
    """Record the change as applied and note its offline time — in the transaction that is
    about to make the change."""
    ctx.session.execute(
        text('INSERT INTO desktop_offline_applied ("checkoutId", seq) VALUES (:k, :s)'),
        {"k": key, "s": entry["seq"]},
    )
    ctx.session.execute(
        text("SELECT set_config('gcmc.user_agent', :ua, true)"),
        {"ua": f"{ctx.user_agent} (offline change made {entry['at'][:16].replace('T', ' ')} UTC)"},
    )


def _replay(
    ctx: Context,
    key: str,
    entry: dict,
    label: str,
    resolve: Callable[[Conflict], dict | None],
    report: dict[str, Any],
) -> None:
    entity, action = entry["entity"], entry["action"]
    changes = {
        k: v for k, v in entry["changes"].items() if k not in ("updated_at", "created_at", "id")
    }
    if action == "create" and entity == "message":
        body = changes.get("body", [None, ""])[1]
        conversation = changes.get("conversation_id", [None, None])[1]
        _stamp(ctx, key, entry)
        conversations.post_message(ctx, conversation, body)
        report["applied"] += 1
        return
    if action != "update" or entity not in ENTITIES:
        raise ValidationError(f"{label}: this kind of offline change cannot be synced yet.")
    table = ENTITIES[entity][0]
    for _attempt in range(3):
        current, updated = _current(ctx, table, entry["entity_id"])
        if not current:
            raise ValidationError(f"{label} was deleted on the server meanwhile.")
        mine = {k: v[1] for k, v in changes.items()}
        base = {k: v[0] for k, v in changes.items()}
        clash = [k for k in changes if current.get(k) != base[k] and current.get(k) != mine[k]]
        values = {k: mine[k] for k in changes if current.get(k) != mine[k]}
        resolved = False
        if clash:
            conflict = Conflict(
                entity=entity,
                record_id=entry["entity_id"],
                label=label,
                fields=clash,
                mine={k: mine[k] for k in clash},
                theirs={k: current.get(k) for k in clash},
                base={k: base[k] for k in clash},
            )
            chosen = resolve(conflict)
            if chosen is None:
                for k in clash:
                    values.pop(k, None)
                    report["kept_theirs"].append(
                        f"{label}: {k.replace('_', ' ')} kept as {_show(current.get(k))}; "
                        f"yours was {_show(mine[k])} ({_when(entry['at'])})"
                    )
            else:
                for k in clash:
                    if k in chosen and chosen[k] != current.get(k):
                        values[k] = chosen[k]
                    else:
                        values.pop(k, None)
                resolved = True
        try:
            _stamp(ctx, key, entry)
            if values:
                _apply(ctx, entry, values, updated)
            else:
                ctx.session.commit()  # nothing left to change: only the applied mark
        except ConflictError:
            ctx.session.rollback()
            continue  # changed between the read and the write: look again
        if resolved:
            report["conflicts_resolved"] += 1
        if values:
            report["applied"] += 1
        else:
            report["skipped"] += 1
        return
    raise ValidationError(f"{label} keeps changing on the server; try the sync again.")


def _version_input(store, files, storage, changes: dict) -> documents.VersionInput:
    new = {k: v[1] for k, v in changes.items()}
    key = new.get("file_url")
    if storage is None:
        raise ValidationError("Connect the document storage to sync documents added offline.")
    blob = files.get(key)
    if blob is None:
        raise ValidationError("The file of this document is missing from the offline copy.")
    data = store.read_blob(blob)
    sha = hashlib.sha256(data).hexdigest()
    if not storage.exists(key):
        with tempfile.TemporaryDirectory(prefix="gcmc-offline-") as tmp:
            path = Path(tmp) / "file"
            path.write_bytes(data)
            storage.put_file(
                key, path, sha256=sha, size=len(data),
                content_type=new.get("mime_type") or "application/octet-stream",
            )  # fmt: skip
    meta = new.get("metadata") or {}
    return documents.VersionInput(
        file_url=key,
        storage_provider=storage.name or new.get("storage_provider") or "local",
        file_size=len(data),
        mime_type=new.get("mime_type"),
        sha256=sha,
        original_name=meta.get("originalName") if isinstance(meta, dict) else None,
        issue_date=_date(new.get("issue_date")),
        expiry_date=_date(new.get("expiry_date")),
        issuing_authority=new.get("issuing_authority"),
        ocr_text=new.get("ocr_text"),
    )


def _date(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def _replay_document(ctx, key, entry, journal, files, storage, store, done) -> set[int]:
    """A document created offline (with its first version) or a new version of a document:
    the file goes to the office's storage first (idempotent: content-addressed key), then the
    rows, with the applied marks, in one transaction. The journal seqs it settled."""
    changes = entry["changes"]
    if entry["entity"] == "document":
        local_id = entry["entity_id"]
        first = next(
            (
                e for e in journal
                if e["entity"] == "document_version" and e["action"] == "create"
                and (e["changes"].get("document_id") or [None, None])[1] == local_id
            ),
            None,
        )  # fmt: skip
        if first is None:
            raise ValidationError("A document added offline has no file.")
        version = _version_input(store, files, storage, first["changes"])
        new = {k: v[1] for k, v in changes.items()}
        _stamp(ctx, key, entry)
        _stamp(ctx, key, first)
        documents.create_document(
            ctx,
            client_id=new.get("client_id"),
            document_type_id=new.get("document_type_id"),
            title=new.get("title"),
            first_version=version,
            client_business_id=new.get("client_business_id"),
            description=new.get("description"),
            tags=new.get("tags"),
            authority=new.get("authority"),
        )
        return {entry["seq"], first["seq"]}
    document_id = (changes.get("document_id") or [None, None])[1]
    parent = next(
        (
            e for e in journal
            if e["entity"] == "document" and e["action"] == "create"
            and e["entity_id"] == document_id
        ),
        None,
    )  # fmt: skip
    if parent is not None:  # its first version: settled with the document itself
        if parent["seq"] in done:
            return set()
        raise ValidationError("This file waits for its document, which could not be synced.")
    version = _version_input(store, files, storage, changes)
    _stamp(ctx, key, entry)
    try:
        documents.add_version(ctx, document_id, version)
    except documents.DuplicateFile:
        ctx.session.rollback()
        ctx.session.execute(
            text('INSERT INTO desktop_offline_applied ("checkoutId", seq) VALUES (:k, :s)'),
            {"k": key, "s": entry["seq"]},
        )
        ctx.session.commit()
    return {entry["seq"]}


def sync(
    ctx: Context,
    copy: OfflineCopy,
    resolve: Callable[[Conflict], dict | None],
    control: Control | None = None,
    *,
    storage: StorageProvider | None = None,
) -> SyncReport:
    """`storage`: the office's document store, for files added offline (without it those
    changes fail, are reported and stay pending)."""
    store = store_mod.open_store(copy)
    meta = store.meta()
    _check_same(ctx, meta)
    key = _journal_key(meta)
    labels = _labels(store)
    journal = store.journal()
    files = {k: v for k, v in store.read_json("new.bin", default={"_": ""}).items() if k != "_"}
    done = set(
        ctx.session.execute(
            text('SELECT seq FROM desktop_offline_applied WHERE "checkoutId" = :k'), {"k": key}
        ).scalars()
    )
    ctx.session.commit()
    report: dict[str, Any] = {
        "applied": 0,
        "skipped": 0,
        "conflicts_resolved": 0,
        "kept_theirs": [],
        "failed": [],
    }
    todo = [e for e in journal if e["seq"] not in done]
    firsts = _first_versions(journal)
    for n, entry in enumerate(todo):
        if control is not None:
            control.check()
            control.progress(n, len(todo), "Syncing offline changes…")
        if entry["seq"] in firsts:  # synced with its document
            continue
        if _is_derived(entry) or entry["seq"] in done:
            done.add(entry["seq"])
            continue
        label = _label(labels, entry)
        try:
            if entry["entity"] in ("document", "document_version") and entry["action"] == "create":
                settled = _replay_document(ctx, key, entry, journal, files, storage, store, done)
                if settled:
                    report["applied"] += 1
                done.update(settled)
            else:
                _replay(ctx, key, entry, label, resolve, report)
            done.add(entry["seq"])
        except ServiceError as exc:
            ctx.session.rollback()
            report["failed"].append(f"{describe(entry, labels)}: {exc.message}")
    settled = sorted(done)
    store.write_json(SYNCED, {"seqs": settled})
    manifest = store.manifest()
    manifest["pending"] = len(
        [e for e in journal if e["seq"] not in done | firsts and not _is_derived(e)]
    )
    store.write_manifest(manifest)
    if control is not None:
        control.progress(len(todo), len(todo), "Done")
    return SyncReport(**report)


def check_in(ctx: Context, copy: OfflineCopy) -> None:
    """Releases the checkouts and deletes the local copy (after a complete sync)."""
    store = store_mod.open_store(copy)
    meta = store.meta()
    _check_same(ctx, meta)
    done = _settled(store)
    journal = store.journal()
    firsts = _first_versions(journal)
    left = [e for e in journal if e["seq"] not in done | firsts and not _is_derived(e)]
    if left:
        raise ValidationError(
            f"{len(left)} offline changes are not synced yet. Sync first; nothing is checked "
            "in while changes could be lost."
        )
    ctx.session.execute(
        text(
            "UPDATE desktop_checkouts SET \"releasedAt\" = now() AT TIME ZONE 'UTC' "
            'WHERE id = ANY(CAST(:ids AS uuid[])) AND "releasedAt" IS NULL'
        ),
        {"ids": list(meta["checkouts"].values())},
    )
    ctx.session.commit()
    store.delete()


def enforce_revocations(ctx: Context) -> list[str]:
    """At sign-in online: wipes copies whose access is revoked or a wipe was requested.
    Copies of another firm than the one signed in to are checked when signed in there."""
    wiped: list[str] = []
    for copy in store_mod.copies():
        store = store_mod.open_store(copy)
        try:
            meta = store.meta()
        except store_mod.StoreError:
            continue
        if meta["tenant"]["id"] != ctx.tenant_id:
            continue
        user_id = meta["user"]["id"]
        ids = list(meta["checkouts"].values())
        rows = ctx.session.execute(
            text(
                'SELECT "wipeRequestedAt" IS NOT NULL, "releasedAt" IS NOT NULL '
                "FROM desktop_checkouts WHERE id = ANY(CAST(:ids AS uuid[]))"
            ),
            {"ids": ids},
        ).all()
        member = ctx.session.execute(
            text(
                'SELECT EXISTS (SELECT 1 FROM tenant_users WHERE "tenantId" = :t AND "userId" = :u)'
            ),
            {"t": ctx.tenant_id, "u": user_id},
        ).scalar()
        can_login = ctx.session.execute(
            text("SELECT rolcanlogin FROM pg_roles WHERE rolname = 'gcmc_u_' || :u"),
            {"u": user_id},
        ).scalar()
        ctx.session.commit()
        reason = None
        if any(w for w, _ in rows):
            reason = "a wipe was requested"
        elif not member:
            reason = "access to the firm was removed"
        elif can_login is False:
            reason = "the account was disabled"
        elif rows and all(r for _, r in rows) and user_id != ctx.user_id:
            reason = "it was checked in"
        if reason:
            store.delete()
            wiped.append(
                f"The offline copy of {meta['user']['name']} ({copy.clients} clients) was "
                f"deleted from this computer: {reason}."
            )
    return wiped
