"""Issue 9 #25: connections have connect, keepalive and statement limits, so a hung server (one
that accepts and never answers) makes calls and sign-in fail within seconds instead of
blocking for ever; the connection monitor says "Not answering" and recovers."""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError

from gcmc_desktop.db import make_engine, session_factory

from .netproxy import HungListener, Proxy


def _within(seconds: float, fn: Callable[[], Any]) -> tuple[float, BaseException | None]:
    """Run `fn` in a thread; (elapsed, what it raised). Fails if it is still blocked after
    `seconds` — without a limit it would block for ever, and so would the test."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            fn()
            outcome.append(None)
        except BaseException as exc:  # handed back to the test
            outcome.append(exc)

    started = time.monotonic()
    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"still blocked after {seconds} s"
    return time.monotonic() - started, outcome[0]


@pytest.fixture
def hung() -> Iterator[HungListener]:
    listener = HungListener()
    yield listener
    listener.close()


def _tcp_url(port: int, database: str = "postgres", user: str = "postgres") -> URL:
    return URL.create("postgresql+psycopg", username=user, host="127.0.0.1", port=port,
                      database=database)  # fmt: skip


def test_connecting_to_a_hung_server_gives_up_within_seconds(hung, monkeypatch):
    monkeypatch.setenv("GCMC_CONNECT_TIMEOUT", "2")
    engine = make_engine(_tcp_url(hung.port))
    try:
        elapsed, error = _within(15, lambda: engine.connect().close())
    finally:
        engine.dispose()
    assert isinstance(error, OperationalError)
    assert "timeout" in str(error.orig).lower()
    assert elapsed < 8


def test_sign_in_against_a_hung_server_says_it_cannot_be_reached(hung):
    from gcmc_desktop.services.auth import ServerProfile, ServerUnreachable, sign_in

    url = _tcp_url(hung.port, "gcmc")
    profile = ServerProfile(database_url=url.set(username=None), gateway_url=url)
    elapsed, error = _within(20, lambda: sign_in(profile, "someone@example.com", "x" * 12))
    assert isinstance(error, ServerUnreachable)
    assert elapsed < 12  # the default connect timeout is 5 s


def test_statement_timeout_cancels_a_long_interactive_statement(server_url, monkeypatch):
    monkeypatch.setenv("GCMC_STATEMENT_TIMEOUT", "1")
    engine = make_engine(server_url)

    def sleep() -> None:
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_sleep(20)"))

    try:
        elapsed, error = _within(15, sleep)
    finally:
        engine.dispose()
    assert isinstance(error, OperationalError)
    assert "statement timeout" in str(error.orig)
    assert elapsed < 8


def test_limits_are_set_and_maintenance_can_lift_the_statement_limit(server_url):
    interactive = make_engine(server_url)
    maintenance = make_engine(server_url, statement_timeout=None)
    try:
        with interactive.connect() as conn:
            assert conn.scalar(text("SHOW statement_timeout")) == "30s"
            assert conn.scalar(text("SHOW timezone")) == "UTC"
            params = conn.connection.dbapi_connection.info.get_parameters()
            assert params.get("connect_timeout") == "5"
            assert params.get("keepalives") == "1"
        with maintenance.connect() as conn:
            assert conn.scalar(text("SHOW statement_timeout")) == "0"
    finally:
        interactive.dispose()
        maintenance.dispose()


def test_cli_engine_has_no_statement_limit(server_url, monkeypatch):
    import argparse

    from gcmc_desktop.cli.common import engine_for

    args = argparse.Namespace(database_url=server_url.render_as_string(hide_password=False))
    with engine_for(args) as engine, engine.connect() as conn:
        assert conn.scalar(text("SHOW statement_timeout")) == "0"


# --------------------------------------------------------------------------------------------
# The connection monitor against a server that stops answering, and a central server that
# goes away and comes back (reached through a TCP proxy the test controls)
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def own_server() -> Iterator[Any]:
    """A separate embedded server: these tests break connections to it."""
    from gcmc_desktop.db.embedded import start_server, stop_server

    root = Path(tempfile.mkdtemp(prefix="gcmc-timeouts-pg-"))
    server = start_server(root / "pgdata")
    yield server
    stop_server(server)
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def proxy(own_server) -> Iterator[Proxy]:
    info = own_server.get_postmaster_info()
    front = Proxy(Path(info.socket_path))
    yield front
    front.close()


def _context(engine) -> Any:
    """The smallest Context the monitor needs: it only opens sessions to ping."""
    from gcmc_desktop.services.context import Context

    factory = session_factory(engine)
    return Context(
        session=factory(), user_id="u", user_name="Tester", email="t@example.com", tenant_id=1,
        tenant_name="Firm", tenant_code="firm", role_id=1, role_name="Viewer",
        session_maker=factory,
    )  # fmt: skip


@pytest.mark.gui
def test_monitor_says_not_answering_and_recovers(qtbot, proxy, monkeypatch):
    from gcmc_desktop.views import connection_monitor as cm

    monkeypatch.setenv("GCMC_CONNECT_TIMEOUT", "2")
    monkeypatch.setattr(cm, "PING_TIMEOUT_MS", 1_500)
    monkeypatch.setattr(cm, "OFFLINE_INTERVAL_MS", 500)
    engine = make_engine(_tcp_url(proxy.port))
    ctx = _context(engine)
    monitor = cm.ConnectionMonitor(ctx)
    seen: list[tuple[bool, str]] = []
    monitor.stateChanged.connect(lambda online, message: seen.append((online, message)))
    try:
        monitor.check_now()
        qtbot.waitUntil(lambda: not monitor._busy, timeout=10_000)
        assert monitor.online

        # Processes stopped (SIGSTOP-like): the open connection carries nothing any more.
        proxy.freeze()
        monitor.check_now()
        qtbot.waitUntil(lambda: bool(seen) and seen[-1][1] == cm.NOT_ANSWERING, timeout=5_000)
        assert not monitor.online and "not answering" in monitor.message.lower()
        proxy.thaw()
        qtbot.waitUntil(lambda: monitor.online, timeout=15_000)
        assert seen[-1] == (True, cm.CONNECTED)

        # New connections accepted but never answered: the connect timeout fires.
        engine.dispose()
        proxy.hang_new = True
        monitor.check_now()
        qtbot.waitUntil(lambda: not monitor._busy, timeout=15_000)
        assert (monitor.online, monitor.message) == (False, cm.NOT_ANSWERING)
        proxy.hang_new = False
        monitor._timer.start(cm.OFFLINE_INTERVAL_MS)  # retries on its own from here
        qtbot.waitUntil(lambda: monitor.online, timeout=20_000)
    finally:
        monitor.stop()
        proxy.thaw()
        ctx.session.close()
        engine.dispose()


@pytest.mark.gui
def test_monitor_keeps_retrying_a_central_server_until_it_is_back(qtbot, proxy, monkeypatch):
    from gcmc_desktop.views import connection_monitor as cm

    monkeypatch.setattr(cm, "OFFLINE_INTERVAL_MS", 500)
    engine = make_engine(_tcp_url(proxy.port))
    ctx = _context(engine)
    monitor = cm.ConnectionMonitor(ctx)
    try:
        monitor.check_now()
        qtbot.waitUntil(lambda: not monitor._busy, timeout=10_000)
        assert monitor.online
        proxy.stop()  # the central server is gone
        monitor.check_now()
        qtbot.waitUntil(lambda: not monitor.online, timeout=15_000)
        assert monitor.message == cm.OFFLINE
        time.sleep(1.0)
        qtbot.wait(1_500)  # a few retries while it is down
        assert not monitor.online
        proxy.start()  # back on the same address
        qtbot.waitUntil(lambda: monitor.online, timeout=15_000)
        assert monitor.message == cm.CONNECTED
    finally:
        monitor.stop()
        ctx.session.close()
        engine.dispose()


def test_limits_can_be_configured_in_the_settings_file(monkeypatch):
    from gcmc_desktop import settings as app_settings
    from gcmc_desktop.db.engine import connect_timeout, statement_timeout

    monkeypatch.delenv("GCMC_STATEMENT_TIMEOUT", raising=False)
    monkeypatch.delenv("GCMC_CONNECT_TIMEOUT", raising=False)
    store = app_settings.settings()
    store.setValue("database/statementTimeoutSeconds", "120")
    store.setValue("database/connectTimeoutSeconds", "oops")
    store.sync()
    assert app_settings.apply_connection_limits() == {"GCMC_STATEMENT_TIMEOUT": "120"}
    assert statement_timeout() == 120 and connect_timeout() == 5  # junk: the default
    monkeypatch.setenv("GCMC_STATEMENT_TIMEOUT", "0")  # the environment wins, 0 = no limit
    assert app_settings.apply_connection_limits() == {}
    assert statement_timeout() is None
