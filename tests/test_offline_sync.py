"""Offline review (issue 18): sync back — the end-to-end flow on a replica (checkout → offline
edits → a concurrent online edit → the conflict → resolution → audit rows → check-in), an
interrupted sync resumed without applying anything twice, and revocations."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import text

from gcmc_desktop.services import clients, conversations, documents, tasks
from gcmc_desktop.services.errors import ValidationError
from gcmc_desktop.services.offline import checkout, session, status, store, sync
from gcmc_desktop.services.storage import LocalFolderStorage, object_key

from .offline_fixtures import close_all, login
from .security_fixtures import PASSWORD, Firms, build_firms

ROLES = ("Admin", "FirmAdmin")


@pytest.fixture(autouse=True)
def _close_contexts():
    yield
    close_all()


@pytest.fixture
def firms(engine, database_url) -> Firms:
    built = build_firms(engine, database_url, ROLES)
    with engine.begin() as conn:
        conn.execute(
            text(
                'INSERT INTO tasks ("tenantId", "clientId", title, status, priority, "updatedAt") '
                "VALUES (:t, :c, 'Call GRA', 'open', 'medium', now())"
            ),
            {"t": built.alpha, "c": built.alpha_client},
        )
        conn.execute(
            text(
                'INSERT INTO conversations ("tenantId", "clientId", subject, "updatedAt") '
                "VALUES (:t, :c, 'Year end', now())"
            ),
            {"t": built.alpha, "c": built.alpha_client},
        )
        conn.execute(
            text(
                'INSERT INTO document_types ("tenantId", name, category, "updatedAt") '
                "VALUES (:t, 'Receipt', 'financial', now())"
            ),
            {"t": built.alpha},
        )
    return built


def task_of(ctx) -> tuple[int, object]:
    return ctx.session.execute(text('SELECT id, "updatedAt" FROM tasks')).one()


def test_offline_edits_sync_with_a_conflict(firms: Firms, engine, tmp_path) -> None:
    me = login(firms, "FirmAdmin")
    checkout.check_out(me, [firms.alpha_client])
    (copy,) = store.copies()
    offline = session.open_offline(copy, firms.emails["FirmAdmin"], PASSWORD)
    try:
        ctx = offline.ctx
        task_id, stamp = task_of(ctx)
        tasks.TASKS.update(ctx, task_id, {"status": "in_progress"}, stamp)
        record = clients.get_client(ctx, firms.alpha_client)
        clients.update_client(
            ctx, firms.alpha_client, {"notes": "Met offline"}, record["updated_at"]
        )
        conversation = ctx.session.execute(text("SELECT id FROM conversations")).scalar()
        conversations.post_message(ctx, conversation, "Bring the VAT receipts")
        # A document scanned on the laptop: its file goes to the replica's folder.
        data = b"VAT receipt scanned offline"
        sha = hashlib.sha256(data).hexdigest()
        key = object_key(firms.alpha, 0, sha)
        scan = tmp_path / "scan.txt"
        scan.write_bytes(data)
        offline.storage.put_file(key, scan, sha256=sha, size=len(data), content_type="text/plain")
        doc_type = ctx.session.execute(text("SELECT id FROM document_types")).scalar()
        documents.create_document(
            ctx,
            client_id=firms.alpha_client,
            document_type_id=doc_type,
            title="VAT receipt",
            first_version=documents.VersionInput(
                file_url=key, storage_provider="local", file_size=len(data),
                mime_type="text/plain", sha256=sha,
            ),
        )  # fmt: skip
    finally:
        offline.close()
    (copy,) = store.copies()
    assert copy.pending_changes == 4
    lines = sync.pending(copy)
    assert "Task 'Call GRA': status → In progress" in lines[0]
    assert lines[1].startswith("Client 'Alpha Client': notes → Met offline")
    assert lines[2].startswith("New message: Bring the VAT receipts")
    assert lines[3].startswith("New document: VAT receipt")
    assert len(lines) == 4, store.open_store(copy).journal()
    blob = b"".join(p.read_bytes() for p in copy.path.rglob("*") if p.is_file())
    assert b"VAT receipt" not in blob and b"Met offline" not in blob

    # Meanwhile, online, a colleague writes other notes (the firm only flags checkouts).
    other = login(firms, "Admin")
    record = clients.get_client(other, firms.alpha_client)
    clients.update_client(other, firms.alpha_client, {"notes": "Phoned"}, record["updated_at"])

    seen = []

    def resolve(conflict: sync.Conflict) -> dict | None:
        seen.append(conflict)
        return {"notes": conflict.theirs["notes"] + " / " + conflict.mine["notes"]}

    # Only the holder, in the copy's firm, may sync it.
    with pytest.raises(ValidationError):
        sync.sync(other, copy, resolve)
    office = tmp_path / "office"
    office.mkdir()
    storage = LocalFolderStorage(office)
    report = sync.sync(me, copy, resolve)  # no storage: the document waits
    assert report.applied == 3 and len(report.failed) == 1
    assert "Connect the document storage" in report.failed[0]
    (copy,) = store.copies()
    assert copy.pending_changes == 1
    with pytest.raises(ValidationError):
        sync.check_in(me, copy)
    report = sync.sync(me, copy, resolve, storage=storage)
    assert (report.applied, report.failed) == (1, [])
    (conflict,) = seen  # asked once, in the first sync
    assert conflict.entity == "client" and conflict.fields == ["notes"]
    assert conflict.mine == {"notes": "Met offline"} and conflict.theirs == {"notes": "Phoned"}
    assert conflict.base == {"notes": None} and conflict.label == "Client 'Alpha Client'"
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT status FROM tasks")) == "in_progress"
        assert (
            conn.scalar(text("SELECT notes FROM clients WHERE id = :c"), {"c": firms.alpha_client})
            == "Phoned / Met offline"
        )
        assert conn.scalar(text("SELECT body FROM messages")) == "Bring the VAT receipts"
        doc_key = conn.scalar(
            text(
                'SELECT v."fileUrl" FROM documents d JOIN document_versions v '
                "ON v.id = d.\"latestVersionId\" WHERE d.title = 'VAT receipt'"
            )
        )
        assert storage.open_read(doc_key).read() == b"VAT receipt scanned offline"
        agents = conn.execute(
            text(
                'SELECT "entityType", "userAgent" FROM audit_logs WHERE "actorUserId" = :u '
                "AND \"entityType\" IN ('task', 'client', 'message') ORDER BY id"
            ),
            {"u": me.user_id},
        ).all()
    assert [a[0] for a in agents] == ["task", "client", "message"]  # (documents: own audit)
    assert all("offline change made" in a[1] for a in agents)
    # Synced: a second sync applies nothing; check-in releases and deletes the copy.
    (copy,) = store.copies()
    assert copy.pending_changes == 0 and sync.pending(copy) == []
    again = sync.sync(me, copy, resolve)
    assert again.applied == 0 and again.failed == []
    sync.check_in(me, copy)
    assert store.copies() == [] and status.checkouts(me) == {}


def _journal(copy, entries: list[dict]) -> None:
    s = store.open_store(copy)
    for seq, e in enumerate(entries, start=1):
        e.setdefault("at", "2026-12-02T14:05:00")
        e.setdefault("client_id", None)
        e["seq"] = seq
    s.write_journal(entries)


def test_interrupted_sync_resumes_without_doubles(firms: Firms, engine, monkeypatch) -> None:
    me = login(firms, "FirmAdmin")
    checkout.check_out(me, [firms.alpha_client])
    (copy,) = store.copies()
    task_id, _ = task_of(me)
    conversation = me.session.execute(text("SELECT id FROM conversations")).scalar()
    me.session.commit()
    _journal(
        copy,
        [
            {
                "entity": "message",
                "entity_id": 1,
                "action": "create",
                "changes": {"body": [None, "first"], "conversation_id": [None, conversation]},
            },
            {
                "entity": "task",
                "entity_id": task_id,
                "action": "update",
                "changes": {"status": ["open", "in_progress"]},
            },
            {
                "entity": "client",
                "entity_id": firms.alpha_client,
                "action": "update",
                "changes": {"notes": [None, "offline"]},
            },
        ],
    )
    real = sync._apply

    def killed(ctx, entry, values, expected):
        if entry["entity"] == "task":
            raise KeyboardInterrupt  # the process dies half-way
        return real(ctx, entry, values, expected)

    monkeypatch.setattr(sync, "_apply", killed)
    with pytest.raises(KeyboardInterrupt):
        sync.sync(me, copy, lambda c: None)
    me.session.rollback()
    monkeypatch.setattr(sync, "_apply", real)
    # A colleague changes the notes meanwhile: kept theirs, reported with my value.
    other = login(firms, "Admin")
    record = clients.get_client(other, firms.alpha_client)
    clients.update_client(other, firms.alpha_client, {"notes": "online"}, record["updated_at"])
    fresh = login(firms, "FirmAdmin")
    report = sync.sync(fresh, copy, lambda c: None)
    assert report.applied == 1  # the task; the message was applied before the kill
    assert report.kept_theirs == [
        "Client 'Alpha Client': notes kept as Online; yours was Offline (2 Dec 14:05)"
    ]
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM messages")) == 1
        assert conn.scalar(text("SELECT status FROM tasks")) == "in_progress"
        assert conn.scalar(text("SELECT count(*) FROM desktop_offline_applied")) == 3
    report = sync.sync(fresh, copy, lambda c: None)
    assert (report.applied, report.skipped) == (0, 0)


def test_revocations_wipe_the_copy(firms: Firms, engine) -> None:
    me = login(firms, "FirmAdmin")
    checkout.check_out(me, [firms.alpha_client])
    assert sync.enforce_revocations(me) == []
    boss = login(firms, "Admin")  # users:edit
    boss.session.execute(text('UPDATE desktop_checkouts SET "wipeRequestedAt" = now()'))
    boss.session.commit()
    (line,) = sync.enforce_revocations(login(firms, "FirmAdmin"))
    assert "a wipe was requested" in line
    assert store.copies() == []


def test_step_status_and_filing_notes_replayed(firms: Firms, engine) -> None:
    with engine.begin() as conn:
        service = conn.scalar(
            text(
                'INSERT INTO services ("tenantId", name, category, "updatedAt") '
                "VALUES (:t, 'Tax return', 'tax', now()) RETURNING id"
            ),
            {"t": firms.alpha},
        )
        request = conn.scalar(
            text(
                'INSERT INTO service_requests ("tenantId", "clientId", "serviceId", status, '
                "\"updatedAt\") VALUES (:t, :c, :s, 'in_progress', now()) RETURNING id"
            ),
            {"t": firms.alpha, "c": firms.alpha_client, "s": service},
        )
        step = conn.scalar(
            text(
                'INSERT INTO service_steps ("serviceRequestId", title, "order", status, '
                "\"updatedAt\") VALUES (:r, 'Collect receipts', 1, 'not_started', now()) "
                "RETURNING id"
            ),
            {"r": request},
        )
        filing_type = conn.scalar(
            text(
                'INSERT INTO filing_types ("tenantId", name, code, authority, frequency, '
                "\"updatedAt\") VALUES (:t, 'VAT return', 'VAT', 'GRA', 'monthly', now()) "
                "RETURNING id"
            ),
            {"t": firms.alpha},
        )
        filing = conn.scalar(
            text(
                'INSERT INTO filings ("tenantId", "clientId", "filingTypeId", status, '
                "\"updatedAt\") VALUES (:t, :c, :f, 'draft', now()) RETURNING id"
            ),
            {"t": firms.alpha, "c": firms.alpha_client, "f": filing_type},
        )
    me = login(firms, "FirmAdmin")
    checkout.check_out(me, [firms.alpha_client])
    (copy,) = store.copies()
    _journal(
        copy,
        [
            {
                "entity": "service_step",
                "entity_id": step,
                "action": "update",
                "changes": {"status": ["not_started", "in_progress"]},
            },
            {
                "entity": "service_request",  # follows from the step: not replayed itself
                "entity_id": request,
                "action": "update",
                "changes": {"current_step_order": [None, 1]},
            },
            {
                "entity": "filing",
                "entity_id": filing,
                "action": "update",
                "changes": {"internal_notes": [None, "Receipts for March missing"]},
            },
        ],
    )
    lines = sync.pending(copy)
    assert lines[0].startswith("Step 'Collect receipts': status → In progress (2 Dec 14:05)")
    assert lines[1].startswith(f"Filing {filing}: internal notes → Receipts for March missing")
    assert len(lines) == 2
    report = sync.sync(me, copy, lambda c: None)
    assert (report.applied, report.failed) == (2, [])
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT status FROM service_steps")) == "in_progress"
        assert conn.scalar(text('SELECT "internalNotes" FROM filings')) == (
            "Receipts for March missing"
        )
    sync.check_in(me, copy)
