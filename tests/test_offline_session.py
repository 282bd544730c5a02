"""Offline review (issue 18): an offline copy opened as a local replica (embedded PostgreSQL
from the template), signed in through the real sign-in service; close writes the journal back.

One replica start per test is expensive: the whole flow runs in one test."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from gcmc_desktop.services import auth, clients, tasks
from gcmc_desktop.services.errors import PermissionDenied
from gcmc_desktop.services.offline import checkout, session, store

from .security_fixtures import PASSWORD, Firms, build_firms

ROLES = ("Admin",)


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
    return built


def test_open_offline_replica(firms: Firms) -> None:
    online = auth.open_context(auth.sign_in(firms.profile, firms.emails["Admin"], PASSWORD))
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
        (task,) = ctx.session.execute(text('SELECT id, "updatedAt" FROM tasks')).all()
        tasks.TASKS.update(ctx, task[0], {"status": "in_progress"}, task[1])
        record = clients.get_client(ctx, firms.alpha_client)
        clients.update_client(
            ctx, firms.alpha_client, {"notes": "Met offline"}, record["updated_at"]
        )
        with pytest.raises(PermissionDenied):
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
