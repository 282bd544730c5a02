"""`gcmc db …` against real databases: upgrade, current, downgrade, reset, adopt."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL

from gcmc_desktop.cli import main
from gcmc_desktop.db import make_engine, migrate


def platform_form(url: URL) -> str:
    """The web platform's DATABASE_URL form: postgresql://user:password@host/db[?host=/dir]."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def run(url: URL, *args: str) -> int:
    return main(["--database-url", platform_form(url), *args])


def test_upgrade_current_downgrade(empty_database_url: URL, capsys) -> None:
    assert run(empty_database_url, "db", "current") == 0
    assert "not managed by GCMC Desktop" in capsys.readouterr().out

    assert run(empty_database_url, "db", "upgrade") == 0
    assert "→ " + migrate.head_revision() in capsys.readouterr().out
    assert run(empty_database_url, "db", "upgrade") == 0
    assert "Already at" in capsys.readouterr().out

    assert run(empty_database_url, "db", "current") == 0
    assert "(up to date)" in capsys.readouterr().out

    assert run(empty_database_url, "db", "downgrade", "base") == 0
    assert "base (no tables)" in capsys.readouterr().out
    engine = make_engine(empty_database_url)
    with engine.connect() as conn:
        tables = conn.scalar(text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"))
    engine.dispose()
    assert tables == 1  # only alembic's own version table is left


def test_reset_requires_yes_and_then_empties(database_url: URL, capsys) -> None:
    engine = make_engine(database_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                """INSERT INTO tenants (name, code, "updatedAt") """
                "VALUES ('Doomed', 'doomed', now())"
            )
        )
    assert run(database_url, "db", "reset") == 1
    assert "--yes" in capsys.readouterr().err
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM tenants")) == 1
    assert run(database_url, "db", "reset", "--yes") == 0
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM tenants")) == 0
    assert migrate.current_revision(engine) == migrate.head_revision()
    engine.dispose()


def _platform_created(url: URL) -> None:
    """What the web platform leaves: the 35 tables at baseline, no alembic version table."""
    engine = make_engine(url)
    migrate.upgrade(engine, migrate.BASELINE)
    with engine.begin() as conn:
        conn.execute(text(f"DROP TABLE {migrate.VERSION_TABLE}"))
    engine.dispose()


def test_adopt_platform_database(empty_database_url: URL, capsys) -> None:
    _platform_created(empty_database_url)
    assert run(empty_database_url, "db", "adopt") == 0
    out = capsys.readouterr().out
    assert "matches the platform schema contract" in out
    engine = make_engine(empty_database_url)
    assert migrate.current_revision(engine) == migrate.head_revision()
    engine.dispose()
    # A second adopt is refused: it is ours now.
    assert run(empty_database_url, "db", "adopt") == 1
    assert "already managed" in capsys.readouterr().err


def test_adopt_refuses_a_different_schema_and_changes_nothing(
    empty_database_url: URL, capsys
) -> None:
    _platform_created(empty_database_url)
    engine = make_engine(empty_database_url)
    with engine.begin() as conn:
        conn.execute(text('DROP INDEX "clients_tenantId_type_idx"'))
        conn.execute(text("ALTER TABLE clients ALTER COLUMN email SET NOT NULL"))
    assert run(empty_database_url, "db", "adopt") == 1
    err = capsys.readouterr().err
    assert "nothing was changed" in err
    assert 'index "clients_tenantId_type_idx" is missing' in err
    assert 'column "email" nullable is False, expected True' in err
    assert migrate.current_revision(engine) is None
    with engine.connect() as conn:
        assert not conn.scalar(
            text("SELECT to_regclass(:t) IS NOT NULL"), {"t": migrate.VERSION_TABLE}
        )
    engine.dispose()


def test_adopt_refuses_an_empty_database(empty_database_url: URL, capsys) -> None:
    assert run(empty_database_url, "db", "adopt") == 1
    assert "gcmc db upgrade" in capsys.readouterr().err


def test_database_url_environment_with_socket_host(empty_database_url: URL) -> None:
    """DATABASE_URL in the platform's form, including ?host=/socket/dir, drives the CLI."""
    env = dict(os.environ, DATABASE_URL=platform_form(empty_database_url))
    result = subprocess.run(
        [sys.executable, "-m", "gcmc_desktop.cli", "db", "upgrade"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert migrate.head_revision() in result.stdout


def test_unreachable_server_is_a_clear_message(capsys) -> None:
    bad = URL.create("postgresql+psycopg", "nobody", "x", "127.0.0.1", 1, "nowhere")
    assert run(bad, "db", "current") == 3
    err = capsys.readouterr().err
    assert err.startswith("gcmc: cannot reach the database")
    assert "Traceback" not in err


@pytest.mark.parametrize("bad", ["mysql://u@h/db", "not a url"])
def test_non_postgres_url_is_rejected(bad: str, capsys) -> None:
    assert main(["--database-url", bad, "db", "current"]) == 2
    assert "gcmc:" in capsys.readouterr().err
