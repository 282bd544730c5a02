"""Test harness: one PostgreSQL server per test session (the embedded one, or the server named
by $GCMC_TEST_DATABASE_URL), a template database migrated once, and a fresh clone of it for
every test that asks for a database, so tests are isolated and may commit freely."""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

# Before anything imports Qt: tests run without a display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from gcmc_desktop.db import make_engine, migrate, session_factory, to_sqlalchemy_url

TEMPLATE = "gcmc_test_template"
_counter = itertools.count()


@pytest.fixture(scope="session", autouse=True)
def _isolated_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Keep tests away from the user's real data dir and database settings."""
    path = tmp_path_factory.mktemp("gcmc-data")
    saved = {k: os.environ.get(k) for k in ("GCMC_DATA_DIR", "DATABASE_URL")}
    os.environ["GCMC_DATA_DIR"] = str(path)
    os.environ.pop("DATABASE_URL", None)
    yield path
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def server_url() -> Iterator[URL]:
    """Admin URL of the test server (a role that may create databases)."""
    external = os.environ.get("GCMC_TEST_DATABASE_URL")
    if external:
        yield to_sqlalchemy_url(external)
        return
    from gcmc_desktop.db.embedded import server_url as embedded_url
    from gcmc_desktop.db.embedded import start_server

    # Not under pytest's basetemp: pytest prunes old basetemps while other sessions still run.
    root = Path(tempfile.mkdtemp(prefix="gcmc-test-pg-"))
    server = start_server(root / "pgdata")
    url = embedded_url(server)
    _no_durability(url)
    yield url
    server.cleanup()
    shutil.rmtree(root, ignore_errors=True)


def _no_durability(url: URL) -> None:
    """A throw-away test server need not survive a power cut: without fsync and with
    asynchronous commits, every test's CREATE DATABASE (a checkpoint) and every commit stop
    waiting for the disk. Nothing the tests check depends on durability."""
    admin = _admin(url)
    with admin.connect() as conn:
        for setting in ("fsync", "synchronous_commit", "full_page_writes"):
            conn.execute(text(f"ALTER SYSTEM SET {setting} = off"))
        conn.execute(text("SELECT pg_reload_conf()"))
    admin.dispose()


def _admin(url: URL) -> Engine:
    return create_engine(url, isolation_level="AUTOCOMMIT")


def create_database(server: URL, name: str, template: str | None = None) -> URL:
    admin = _admin(server)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        clause = f' TEMPLATE "{template}" STRATEGY FILE_COPY' if template else ""
        conn.execute(text(f'CREATE DATABASE "{name}"{clause}'))
    admin.dispose()
    return server.set(database=name)


def drop_database(server: URL, name: str) -> None:
    admin = _admin(server)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def template_url(server_url: URL) -> URL:
    url = create_database(server_url, TEMPLATE)
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture
def empty_database_url(server_url: URL) -> Iterator[URL]:
    """A brand-new database with nothing in it."""
    name = f"gcmc_test_empty_{os.getpid()}_{next(_counter)}"
    yield create_database(server_url, name)
    drop_database(server_url, name)


@pytest.fixture
def database_url(server_url: URL, template_url: URL) -> Iterator[URL]:
    """A fresh database migrated to head (cloned from the template)."""
    name = f"gcmc_test_{os.getpid()}_{next(_counter)}"
    yield create_database(server_url, name, template=TEMPLATE)
    drop_database(server_url, name)


@pytest.fixture
def engine(database_url: URL) -> Iterator[Engine]:
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with session_factory(engine)() as s:
        yield s


@pytest.fixture(scope="session", autouse=True)
def _remembered_password_keys() -> Iterator[None]:
    """scrypt costs ~0.1 s by design, and a test derives the same key twice: when it creates a
    user (hash) and when that user signs in (the same salt). Remember each (password, salt)
    result for the session: the keys are exactly those scrypt gives, only not recomputed."""
    from functools import lru_cache

    from gcmc_desktop.services import passwords

    original_derive, original_hash = passwords._derive, passwords.hash_password
    passwords._derive = lru_cache(maxsize=4096)(original_derive)  # type: ignore[assignment]
    # Every firm user the fixtures create gets a fresh salt, so the cache above never helps
    # `hash_password`: give each password one salted hash for the session instead. Tests of
    # the hash itself import `hash_password` by name at collection and keep the original.
    passwords.hash_password = lru_cache(maxsize=1024)(original_hash)  # type: ignore[assignment]
    yield
    passwords._derive = original_derive  # type: ignore[assignment]
    passwords.hash_password = original_hash  # type: ignore[assignment]


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[dict[tuple[str, str], str]]:
    """An in-memory OS keyring for every test (CI machines have none)."""
    import keyring
    from keyring.backend import KeyringBackend
    from keyring.errors import PasswordDeleteError

    store: dict[tuple[str, str], str] = {}

    class Backend(KeyringBackend):
        priority = 1  # type: ignore[assignment]

        def get_password(self, service: str, username: str) -> str | None:
            return store.get((service, username))

        def set_password(self, service: str, username: str, password: str) -> None:
            store[(service, username)] = password

        def delete_password(self, service: str, username: str) -> None:
            if store.pop((service, username), None) is None:
                raise PasswordDeleteError(username)

    previous = keyring.get_keyring()
    keyring.set_keyring(Backend())
    yield store
    keyring.set_keyring(previous)


@pytest.fixture(autouse=True)
def isolated_qsettings(tmp_path: Path) -> Iterator[None]:
    """QSettings in a temporary folder, so tests never read or write the user's."""
    from PySide6.QtCore import QSettings

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path))
    yield
