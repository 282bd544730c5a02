"""Change sets and live refresh between workstations, on the real server: two signed-in staff
users, one writing through the services, the other listening on its own connection."""

from __future__ import annotations

import queue
import time

import psycopg
import pytest
from sqlalchemy import text

from gcmc_desktop.services import auth, clients
from gcmc_desktop.services.changes import (
    ChangeListener,
    ChangeSet,
    parse_notification,
    take_committed,
    track_changes,
)

from .security_fixtures import PASSWORD, Firms, build_firms, raw

WAIT = 5.0


@pytest.fixture
def firms(engine, database_url) -> Firms:
    return build_firms(engine, database_url, ("FirmAdmin", "Viewer"))


def context(firms: Firms, role: str):
    return auth.open_context(auth.sign_in(firms.profile, firms.emails[role], PASSWORD))


def listen(firms: Firms, role: str, tenant: int | None = None):
    """A listener as `role` of Alpha, and the queue its change sets arrive on."""
    signed = auth.sign_in(firms.profile, firms.emails[role], PASSWORD)
    url = signed.engine.url
    signed.engine.dispose()
    arrived: queue.Queue[ChangeSet] = queue.Queue()
    states: queue.Queue[bool] = queue.Queue()
    listener = ChangeListener(url, tenant or firms.alpha, arrived.put, states.put).start()
    return listener, arrived, states


def next_change(arrived: queue.Queue, entity: str, timeout: float = WAIT) -> ChangeSet:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            changes = arrived.get(timeout=max(0.01, deadline - time.monotonic()))
        except queue.Empty:
            break
        if entity in changes.entities:
            return changes
    raise AssertionError(f"no change of {entity} arrived within {timeout} s")


def test_a_client_created_on_one_workstation_reaches_another(firms) -> None:
    listener, arrived, _states = listen(firms, "Viewer")
    try:
        assert listener.subscribed.wait(WAIT)
        writer = context(firms, "FirmAdmin")
        started = time.monotonic()
        client = clients.create_client(writer, {"name": "Live Refresh Ltd", "type": "company"})
        changes = next_change(arrived, "client")
        assert time.monotonic() - started < 1.0  # "within a second, without F5"
        assert changes.remote and changes.ids("client") == {client["id"]}
        assert client["id"] in changes.entities["client"].created
        clients.update_client(writer, client["id"], {"sector": "Retail"}, client["updated_at"])
        assert client["id"] in next_change(arrived, "client").entities["client"].updated
    finally:
        listener.stop()


def test_nothing_is_announced_for_a_rollback_or_to_another_firm(firms, engine) -> None:
    listener, arrived, _ = listen(firms, "Viewer")
    beta_listener = None
    try:
        assert listener.subscribed.wait(WAIT)
        with engine.connect() as conn:  # rolled back: never announced
            conn.execute(
                text(
                    'INSERT INTO clients ("tenantId", name, type, "updatedAt") '
                    "VALUES (:t, 'Rolled back', 'company', now())"
                ),
                {"t": firms.alpha},
            )
            conn.rollback()
        with engine.begin() as conn:  # Beta's change: not on Alpha's channel
            conn.execute(
                text("UPDATE clients SET sector = 'x' WHERE id = :i"), {"i": firms.beta_client}
            )
        time.sleep(0.5)
        assert arrived.empty()
        with engine.begin() as conn:  # the web platform (the owner) is announced too
            conn.execute(
                text("UPDATE clients SET sector = 'y' WHERE id = :i"), {"i": firms.alpha_client}
            )
        assert next_change(arrived, "client").ids("client") == {firms.alpha_client}
    finally:
        listener.stop()
        if beta_listener:
            beta_listener.stop()


def test_a_non_member_gets_no_channel_and_channels_are_secret(firms, engine) -> None:
    listener, _arrived, _ = listen(firms, "Viewer", tenant=firms.beta)  # not a Beta member
    listener._thread.join(WAIT)
    assert not listener._thread.is_alive() and not listener.subscribed.is_set()
    url = firms.user_url(firms.emails["Viewer"])
    with raw(url) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT channel FROM desktop_change_channels")
        conn.execute("SELECT set_config('gcmc.tenant_id', %s, false)", (str(firms.beta),))
        assert conn.execute("SELECT gcmc_change_channel()").fetchone()[0] is None


def test_a_dropped_connection_resubscribes_and_resyncs(firms, engine) -> None:
    listener, arrived, states = listen(firms, "Viewer")
    try:
        assert listener.subscribed.wait(WAIT)
        assert states.get(timeout=WAIT) is True
        with engine.connect() as conn:  # the server drops the listener's connection
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = 'gcmc-desktop changes'"
                )
            )
        assert states.get(timeout=WAIT) is False
        assert states.get(timeout=WAIT) is True
        everything = arrived.get(timeout=WAIT)  # what was missed meanwhile: refresh all
        assert everything.touches(["anything"]) and everything.ids("client") is None
        writer = context(firms, "FirmAdmin")
        client = clients.create_client(writer, {"name": "After the drop", "type": "company"})
        assert next_change(arrived, "client").ids("client") == {client["id"]}
    finally:
        listener.stop()


def test_an_operation_knows_what_it_committed(firms) -> None:
    ctx = context(firms, "FirmAdmin")
    track_changes(ctx.session)
    client = clients.create_client(ctx, {"name": "Tracked", "type": "company"})
    committed = take_committed(ctx.session)
    assert committed.ids("client") == {client["id"]} and not committed.remote
    assert not take_committed(ctx.session)  # handed out once
    with pytest.raises(Exception):  # noqa: B017 - a refused save changes nothing
        clients.create_client(ctx, {"name": "", "type": "company"})
    assert not take_committed(ctx.session)


@pytest.mark.parametrize(
    "payload",
    ["", "not json", "[]", '{"e": 1, "a": "c"}', '{"e": "client", "a": "x"}', '{"e": "c"}'],
)
def test_forged_or_broken_payloads_are_ignored(payload) -> None:
    assert parse_notification(payload) is None


def test_too_many_ids_mean_refresh_everything_of_that_type() -> None:
    changes = parse_notification('{"e": "document", "a": "u", "ids": null}')
    assert changes is not None and changes.ids("document") is None
    assert changes.ids("client") == set() and changes.touches(["document"])
