"""Offline review (issue 18): an offline copy opened as a local replica (embedded PostgreSQL
from the template), signed in through the real sign-in service; close writes the journal back.

One replica start per test is expensive: the whole flow runs in one test."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from gcmc_desktop.services import clients, tasks
from gcmc_desktop.services.errors import PermissionDenied
from gcmc_desktop.services.offline import checkout, session, store, sync

from .offline_fixtures import close_all, login
from .security_fixtures import PASSWORD, Firms, build_firms

ROLES = ("Admin",)


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
        # Links out of the copy: a task on another client's filing; a version uploaded by
        # someone of another firm. The copy clears them (the replica's foreign keys hold).
        other = conn.scalar(
            text(
                'INSERT INTO clients ("tenantId", name, type, "updatedAt") '
                "VALUES (:t, 'Other Client', 'company', now()) RETURNING id"
            ),
            {"t": built.alpha},
        )
        filing_type = conn.scalar(
            text(
                'INSERT INTO filing_types ("tenantId", name, code, authority, frequency, '
                "\"updatedAt\") VALUES (:t, 'VAT return', 'VAT', 'GRA', 'monthly', now()) "
                "RETURNING id"
            ),
            {"t": built.alpha},
        )
        filing = conn.scalar(
            text(
                'INSERT INTO filings ("tenantId", "clientId", "filingTypeId", status, '
                "\"updatedAt\") VALUES (:t, :c, :f, 'draft', now()) RETURNING id"
            ),
            {"t": built.alpha, "c": other, "f": filing_type},
        )
        conn.execute(
            text(
                'INSERT INTO tasks ("tenantId", "clientId", "filingId", title, status, priority, '
                "\"updatedAt\") VALUES (:t, :c, :f, 'Linked', 'blocked', 'low', now())"
            ),
            {"t": built.alpha, "c": built.alpha_client, "f": filing},
        )
        doc_type = conn.scalar(
            text(
                'INSERT INTO document_types ("tenantId", name, category, "updatedAt") '
                "VALUES (:t, 'Receipt', 'financial', now()) RETURNING id"
            ),
            {"t": built.alpha},
        )
        doc = conn.scalar(
            text(
                'INSERT INTO documents ("tenantId", "clientId", "documentTypeId", title, status, '
                "\"updatedAt\") VALUES (:t, :c, :d, 'Receipt', 'valid', now()) RETURNING id"
            ),
            {"t": built.alpha, "c": built.alpha_client, "d": doc_type},
        )
        stranger = conn.scalar(text("SELECT _id FROM \"user\" WHERE email = 'boss@beta.gy'"))
        conn.execute(
            text(
                'INSERT INTO document_versions ("documentId", "fileUrl", "storageProvider", '
                "\"isLatest\", \"uploadedById\") VALUES (:d, 'k', 'local', true, :u)"
            ),
            {"d": doc, "u": stranger},
        )
    return built


def test_open_offline_replica(firms: Firms) -> None:
    online = login(firms, "Admin")
    checkout.check_out(online, [firms.alpha_client])
    (copy,) = store.copies()
    with pytest.raises(session.LoginFailed):
        session.open_offline(copy, firms.emails["Admin"], "wrong-password-1")
    with pytest.raises(session.LoginFailed):
        session.open_offline(copy, "nobody@alpha.gy", PASSWORD)
    session.ensure_template()
    started = time.perf_counter()
    opened = session.open_offline(copy, firms.emails["Admin"], PASSWORD)
    print(f"replica start: {time.perf_counter() - started:.2f} s")
    try:
        ctx = opened.ctx
        assert ctx.offline and ctx.user_id == online.user_id and ctx.tenant_id == firms.alpha
        # RLS on: a staff login of the replica, seeing only the copied firm's checked-out client.
        assert ctx.session.execute(text("SELECT current_user")).scalar().startswith("gcmc_u_")
        assert [c["name"] for c in _clients(ctx)] == ["Alpha Client"]
        assert ctx.can("tasks", "edit") and not ctx.can("tasks", "delete")
        assert not ctx.can("clients", "create")
        (task,) = ctx.session.execute(
            text("SELECT id, \"updatedAt\" FROM tasks WHERE title = 'Call GRA'")
        ).all()
        linked = text("SELECT \"filingId\" FROM tasks WHERE title = 'Linked'")
        assert ctx.session.execute(linked).scalar() is None
        versions = text("SELECT count(*) FROM document_versions")
        assert ctx.session.execute(versions).scalar() == 1
        tasks.TASKS.update(ctx, task[0], {"status": "in_progress"}, task[1])
        record = clients.get_client(ctx, firms.alpha_client)
        clients.update_client(
            ctx, firms.alpha_client, {"notes": "Met offline"}, record["updated_at"]
        )
        with pytest.raises(PermissionDenied, match="Not available while working offline"):
            clients.create_client(ctx, {"name": "New", "type": "individual"})
    finally:
        opened.close()
    assert not opened.directory.exists()
    (copy,) = store.copies()
    assert copy.pending_changes == 2
    journal = store.open_store(copy).journal()
    assert [(e["entity"], e["action"]) for e in journal] == [
        ("task", "update"),
        ("client", "update"),
    ]
    assert journal[0]["changes"]["status"] == ["open", "in_progress"]
    # Reopened: the offline changes are in place; the journal is kept, not doubled.
    again = session.open_offline(copy, firms.emails["Admin"], PASSWORD)
    try:
        assert clients.get_client(again.ctx, firms.alpha_client)["notes"] == "Met offline"
    finally:
        again.close()
    (copy,) = store.copies()
    assert copy.pending_changes == 2
    # An expired copy does not open.
    real_now = store.now
    store.now = lambda: real_now().replace(year=real_now().year + 1)
    try:
        with pytest.raises(session.CopyExpired):
            session.open_offline(copy, firms.emails["Admin"], PASSWORD)
    finally:
        store.now = real_now


def _clients(ctx):
    return [
        clients.get_client(ctx, i)
        for i in ctx.session.execute(text("SELECT id FROM clients")).scalars()
    ]


def test_leftover_replicas_are_removed() -> None:
    base = store.root() / "replicas"
    dead = base / "999999-deadbeef"
    (dead / "pgdata").mkdir(parents=True)
    (dead / "pgdata" / "base.txt").write_text("plaintext rows")
    live = base / "1-cafe"  # pid 1 is alive: someone else's running replica stays
    live.mkdir()
    assert session.remove_leftover_replicas() == 1
    assert not dead.exists() and live.exists()
    live.rmdir()


def test_crashed_session_is_recovered(firms: Firms) -> None:
    online = login(firms, "Admin")
    checkout.check_out(online, [firms.alpha_client])
    (copy,) = store.copies()
    opened = session.open_offline(copy, firms.emails["Admin"], PASSWORD)
    record = clients.get_client(opened.ctx, firms.alpha_client)
    clients.update_client(
        opened.ctx, firms.alpha_client, {"notes": "Typed before the crash"}, record["updated_at"]
    )
    # The process "dies": nothing is closed or saved; the replica is left behind.
    opened.ctx.session.close()
    opened.ctx.session.get_bind().dispose()
    opened.owner.dispose()
    session._open_replicas.discard(opened.directory)
    assert session.remove_leftover_replicas() == 1
    assert not opened.directory.exists()
    (copy,) = store.copies()
    assert copy.pending_changes == 1
    (line,) = sync.pending(copy)
    assert line.startswith("Client 'Alpha Client': notes → Typed before the crash")
