"""Offline review (issue 18), the server side: migration 0022_offline's checkouts, the firm's
policy and its trigger, attacked as staff users' own connections (RLS on)."""

from __future__ import annotations

from datetime import timedelta

import psycopg
import pytest
from sqlalchemy import text

from gcmc_desktop.models import utcnow
from gcmc_desktop.services import clients
from gcmc_desktop.services.errors import PermissionDenied, ServiceError, ValidationError
from gcmc_desktop.services.offline import status

from .offline_fixtures import close_all, login
from .security_fixtures import Firms, build_firms
from .security_fixtures import raw as connect

ROLES = ("FirmAdmin", "Admin", "DocumentOfficer", "Viewer")


@pytest.fixture(autouse=True)
def _close_contexts():
    yield
    close_all()


@pytest.fixture
def firms(engine, database_url) -> Firms:
    return build_firms(engine, database_url, ROLES)


def ctx_of(firms: Firms, role: str):
    return login(firms, role)


def staff(firms: Firms, role: str, tenant: int | None = None) -> psycopg.Connection:
    conn = connect(firms.user_url(firms.emails[role]))
    conn.execute("SELECT set_config('gcmc.tenant_id', %s, false)", (str(tenant or firms.alpha),))
    conn.execute("SET timezone = 'UTC'")
    return conn


def refused(conn: psycopg.Connection, sql: str, params: tuple = ()) -> None:
    with pytest.raises(psycopg.Error):
        conn.execute(sql, params)


CHECKOUT = (
    'INSERT INTO desktop_checkouts ("tenantId", "clientId", "userId", "expiresAt") '
    "VALUES (%s, %s, %s, now() AT TIME ZONE 'UTC' + interval '14 days') RETURNING id"
)


def test_checkout_rows_attacked_as_staff(firms: Firms) -> None:
    officer = staff(firms, "DocumentOfficer")
    viewer = staff(firms, "Viewer")
    me = officer.execute("SELECT gcmc_current_user_id()").fetchone()[0]
    viewer_id = viewer.execute("SELECT gcmc_current_user_id()").fetchone()[0]
    # Another firm's client, another firm's tenant, someone else as holder, NULLs, quotes.
    refused(officer, CHECKOUT, (firms.alpha, firms.beta_client, me))
    refused(officer, CHECKOUT, (firms.beta, firms.beta_client, me))
    refused(officer, CHECKOUT, (firms.alpha, firms.alpha_client, viewer_id))
    refused(officer, CHECKOUT, (firms.alpha, None, me))
    refused(officer, CHECKOUT, (firms.alpha, firms.alpha_client, None))
    refused(officer, CHECKOUT, (None, firms.alpha_client, me))
    refused(officer, CHECKOUT, (firms.alpha, firms.alpha_client, "x' OR '1'='1"))
    # Too long, released from the start, or wipe requested at once.
    refused(
        officer,
        'INSERT INTO desktop_checkouts ("tenantId", "clientId", "userId", "expiresAt") '
        "VALUES (%s, %s, %s, now() + interval '1 year')",
        (firms.alpha, firms.alpha_client, me),
    )
    refused(
        officer,
        'INSERT INTO desktop_checkouts ("tenantId", "clientId", "userId", "expiresAt", '
        "\"releasedAt\") VALUES (%s, %s, %s, now() + interval '1 day', now())",
        (firms.alpha, firms.alpha_client, me),
    )
    # The real one; a second open checkout of the same client is refused.
    checkout = officer.execute(CHECKOUT, (firms.alpha, firms.alpha_client, me)).fetchone()[0]
    refused(viewer, CHECKOUT, (firms.alpha, firms.alpha_client, viewer_id))
    # Someone else (without users:edit) cannot release or wipe it; rows are not deleted;
    # the holder cannot extend it or hand it to someone else.
    assert (
        viewer.execute(
            'UPDATE desktop_checkouts SET "releasedAt" = now() WHERE id = %s', (checkout,)
        ).rowcount
        == 0
    )
    assert (
        viewer.execute(
            'UPDATE desktop_checkouts SET "wipeRequestedAt" = now() WHERE id = %s', (checkout,)
        ).rowcount
        == 0
    )
    refused(officer, "DELETE FROM desktop_checkouts WHERE id = %s", (checkout,))
    refused(
        officer,
        "UPDATE desktop_checkouts SET \"expiresAt\" = now() + interval '80 days' WHERE id = %s",
        (checkout,),
    )
    refused(
        officer, 'UPDATE desktop_checkouts SET "userId" = %s WHERE id = %s', (viewer_id, checkout)
    )
    # Beta's admin, in Beta, sees nothing of Alpha's checkouts and changes nothing.
    with connect(firms.user_url("boss@beta.gy")) as boss:
        boss.execute("SELECT set_config('gcmc.tenant_id', %s, false)", (str(firms.beta),))
        assert boss.execute("SELECT count(*) FROM desktop_checkouts").fetchone()[0] == 0
        assert (
            boss.execute(
                'UPDATE desktop_checkouts SET "releasedAt" = now() WHERE id = %s', (checkout,)
            ).rowcount
            == 0
        )
        # Pretending to be in Alpha does not help (not a member).
        boss.execute("SELECT set_config('gcmc.tenant_id', %s, false)", (str(firms.alpha),))
        assert boss.execute("SELECT count(*) FROM desktop_checkouts").fetchone()[0] == 0
    # The applied-journal rows: the holder's own only.
    officer.execute(
        'INSERT INTO desktop_offline_applied ("checkoutId", seq) VALUES (%s, 1)', (checkout,)
    )
    refused(
        viewer,
        'INSERT INTO desktop_offline_applied ("checkoutId", seq) VALUES (%s, 2)',
        (checkout,),
    )
    assert viewer.execute("SELECT count(*) FROM desktop_offline_applied").fetchone()[0] == 0
    refused(
        officer,
        'INSERT INTO desktop_offline_applied ("checkoutId", seq) VALUES (%s, 1)',
        (checkout,),
    )  # twice: the primary key
    refused(officer, 'INSERT INTO desktop_offline_applied ("checkoutId", seq) VALUES (NULL, 3)')
    # The holder releases it; a released checkout is not reopened.
    officer.execute('UPDATE desktop_checkouts SET "releasedAt" = now() WHERE id = %s', (checkout,))
    refused(officer, 'UPDATE desktop_checkouts SET "releasedAt" = NULL WHERE id = %s', (checkout,))
    # An administrator (users:edit) may release someone else's or request a wipe.
    second = officer.execute(CHECKOUT, (firms.alpha, firms.alpha_client, me)).fetchone()[0]
    admin = staff(firms, "Admin")
    assert (
        admin.execute(
            'UPDATE desktop_checkouts SET "wipeRequestedAt" = now() WHERE id = %s', (second,)
        ).rowcount
        == 1
    )
    for conn in (officer, viewer, admin):
        conn.close()


def test_status_and_policy(firms: Firms) -> None:
    officer = ctx_of(firms, "DocumentOfficer")
    admin = ctx_of(firms, "Admin")
    viewer = ctx_of(firms, "Viewer")
    boss = ctx_of(firms, "FirmAdmin")
    assert status.policy(admin) == status.FLAG
    with pytest.raises(PermissionDenied):
        status.set_policy(viewer, status.READ_ONLY)
    with pytest.raises(ValidationError):
        status.set_policy(boss, "nobody'; DROP TABLE clients; --")
    officer.session.execute(
        text(
            'INSERT INTO desktop_checkouts ("tenantId", "clientId", "userId", "expiresAt") '
            "VALUES (:t, :c, :u, :e)"
        ),
        {
            "t": officer.tenant_id,
            "c": firms.alpha_client,
            "u": officer.user_id,
            "e": utcnow() + timedelta(days=14),
        },
    )
    officer.session.commit()
    held = status.checkouts(admin)
    assert list(held) == [firms.alpha_client]
    info = held[firms.alpha_client]
    assert info.user_name == "DocumentOfficer User" and not info.mine
    assert status.checkouts(officer, [firms.alpha_client])[firms.alpha_client].mine
    assert status.checkouts(officer, []) == {}
    assert status.checkouts(officer, [firms.beta_client]) == {}
    with pytest.raises(ValidationError):
        status.checkouts(officer, ["1' OR '1'='1"])
    with pytest.raises(ValidationError):
        status.checkouts(officer, [None])

    # "flag": others may still change the client.
    record = clients.get_client(admin, firms.alpha_client)
    record = clients.update_client(admin, firms.alpha_client, {"notes": "a"}, record["updated_at"])
    # "read_only": the database refuses others' writes, with a message naming the holder.
    status.set_policy(boss, status.READ_ONLY)
    assert status.policy(viewer) == status.READ_ONLY
    with pytest.raises(ServiceError) as refusal:
        clients.update_client(admin, firms.alpha_client, {"notes": "b"}, record["updated_at"])
    assert "checked out for offline work by DocumentOfficer User" in refusal.value.message
    admin.session.rollback()
    with staff(firms, "Admin") as conn:  # psycopg closes it
        refused(conn, "UPDATE clients SET notes = 'raw' WHERE id = %s", (firms.alpha_client,))
        refused(
            conn,
            'INSERT INTO tasks ("tenantId", "clientId", title, status, priority, "updatedAt") '
            "VALUES (%s, %s, 'x', 'pending', 'medium', now())",
            (firms.alpha, firms.alpha_client),
        )
    # The holder's own writes (the sync) pass; once checked in, others' pass again.
    record = clients.get_client(officer, firms.alpha_client)
    assert record["notes"] == "a"
    officer.session.execute(
        text('UPDATE desktop_checkouts SET "releasedAt" = now() WHERE "clientId" = :c'),
        {"c": firms.alpha_client},
    )
    officer.session.commit()
    record = clients.get_client(admin, firms.alpha_client)
    clients.update_client(admin, firms.alpha_client, {"notes": "c"}, record["updated_at"])
    assert status.checkouts(admin) == {}


def test_migration_downgrade(engine) -> None:
    from gcmc_desktop.db import migrate

    migrate.downgrade(engine, "0021_audit")
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT to_regclass('desktop_checkouts')")) is None
        assert (
            conn.scalar(
                text("SELECT count(*) FROM pg_trigger WHERE tgname = 'desktop_offline_guard'")
            )
            == 0
        )
    migrate.upgrade(engine)
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT to_regclass('desktop_checkouts')")) is not None
