"""Offline review (issue 18): sync back — the end-to-end flow on a replica (checkout → offline
edits → a concurrent online edit → the conflict → resolution → audit rows → check-in), an
interrupted sync resumed without applying anything twice, and revocations."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from gcmc_desktop.services import auth, clients, conversations, tasks
from gcmc_desktop.services.errors import ValidationError
from gcmc_desktop.services.offline import checkout, session, status, store, sync

from .security_fixtures import PASSWORD, Firms, build_firms

ROLES = ("Admin", "FirmAdmin")


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
    return built


def login(firms: Firms, role: str):
    return auth.open_context(auth.sign_in(firms.profile, firms.emails[role], PASSWORD))


def task_of(ctx) -> tuple[int, object]:
    return ctx.session.execute(text('SELECT id, "updatedAt" FROM tasks')).one()


def test_offline_edits_sync_with_a_conflict(firms: Firms, engine) -> None:
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
    finally:
        offline.close()
    (copy,) = store.copies()
    lines = sync.pending(copy)
    assert "Task 'Call GRA': status → In progress" in lines[0]
    assert lines[1].startswith("Client 'Alpha Client': notes → Met offline")
    assert lines[2].startswith("New message: Bring the VAT receipts")

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
    report = sync.sync(me, copy, resolve)
    assert (report.applied, report.conflicts_resolved, report.failed) == (3, 1, [])
    (conflict,) = seen
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
        agents = conn.execute(
            text(
                'SELECT "entityType", "userAgent" FROM audit_logs WHERE "actorUserId" = :u '
                "AND \"entityType\" IN ('task', 'client', 'message') ORDER BY id"
            ),
            {"u": me.user_id},
        ).all()
    assert [a[0] for a in agents] == ["task", "client", "message"]
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
