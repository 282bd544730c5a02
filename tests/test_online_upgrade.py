"""`gcmc db upgrade` on a server in use: indexes of busy tables are built without blocking
writers, every step waits for a lock at most the lock timeout, and a table kept busy through
every attempt stops the upgrade with a clear message and nothing half-applied.

The longest blocked write under load is measured and printed (`-s` shows it), not asserted:
timings on a shared machine are noise."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL

from gcmc_desktop.cli import main
from gcmc_desktop.db import make_engine, migrate

BEFORE_FILING_INDEXES = "0012_requests"
INDEXES = ("desktop_filings_reference_trgm", "desktop_filings_period_label_trgm")


def libpq(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def filings_fixture(engine: Engine, rows: int) -> tuple[int, int, int]:
    with engine.begin() as conn:
        tenant = conn.scalar(
            text("""INSERT INTO tenants (name, code, "updatedAt") VALUES ('Busy', 'busy', now())
                 RETURNING id""")
        )
        client = conn.scalar(
            text("""INSERT INTO clients ("tenantId", name, type, "updatedAt")
                 VALUES (:t, 'Busy Client', 'company', now()) RETURNING id"""),
            {"t": tenant},
        )
        filing_type = conn.scalar(
            text("""INSERT INTO filing_types ("tenantId", name, code, authority, frequency,
                 "updatedAt") VALUES (:t, 'VAT return', 'VAT', 'GRA', 'monthly', now())
                 RETURNING id"""),
            {"t": tenant},
        )
        conn.execute(
            text("""INSERT INTO filings ("tenantId", "clientId", "filingTypeId", status,
                 "referenceNumber", "periodLabel", "updatedAt")
                 SELECT :t, :c, :f, 'draft', 'REF-' || g, 'Month ' || g, now()
                 FROM generate_series(1, :n) g"""),
            {"t": tenant, "c": client, "f": filing_type, "n": rows},
        )
    return tenant, client, filing_type


def index_states(engine: Engine) -> dict[str, bool]:
    with engine.connect() as conn:
        return dict(
            conn.execute(
                text(
                    "SELECT c.relname, i.indisvalid FROM pg_index i "
                    "JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = ANY(:names)"
                ),
                {"names": list(INDEXES)},
            ).all()
        )


class Writers:
    """Staff-like load: short transactions inserting and updating filings, each timed."""

    def __init__(self, url: URL, ids: tuple[int, int, int], threads: int = 2) -> None:
        self.url, self.ids = libpq(url), ids
        self.stop = threading.Event()
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def _run(self) -> None:
        tenant, client, filing_type = self.ids
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self.stop.is_set():
                started = time.perf_counter()
                try:
                    with conn.transaction():
                        row = conn.execute(
                            """INSERT INTO filings ("tenantId", "clientId", "filingTypeId",
                            status, "referenceNumber", "updatedAt")
                            VALUES (%s, %s, %s, 'draft', 'LIVE', now()) RETURNING id""",
                            (tenant, client, filing_type),
                        ).fetchone()
                        conn.execute(
                            """UPDATE filings SET "periodLabel" = 'Edited', "updatedAt" = now()
                            WHERE id = %s""",
                            (row[0],),
                        )
                except psycopg.Error as exc:
                    self.errors.append(str(exc))
                self.latencies.append(time.perf_counter() - started)

    def __enter__(self) -> Writers:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=30)


def test_upgrade_under_write_load_keeps_writers_going(
    database_url: URL, engine: Engine, capsys
) -> None:
    migrate.downgrade(engine, BEFORE_FILING_INDEXES)
    ids = filings_fixture(engine, 50_000)
    with Writers(database_url, ids) as writers:
        time.sleep(0.5)
        before = len(writers.latencies)
        started = time.perf_counter()
        code = main(["--database-url", libpq(database_url), "db", "upgrade"])
        upgrade_seconds = time.perf_counter() - started
        during = len(writers.latencies) - before
        time.sleep(0.3)
    assert code == 0
    assert migrate.current_revision(engine) == migrate.head_revision()
    assert index_states(engine) == dict.fromkeys(INDEXES, True)
    assert writers.errors == []
    assert during > 0, "writers kept committing while the upgrade ran"
    longest = max(writers.latencies)
    with capsys.disabled():
        print(
            f"\nupgrade {BEFORE_FILING_INDEXES} → head under load: {upgrade_seconds:.2f} s; "
            f"{len(writers.latencies)} writes, {during} during the upgrade; "
            f"longest write {longest * 1000:.0f} ms "
            f"(lock timeout {migrate.LOCK_TIMEOUT_S:g} s)"
        )


def test_a_table_kept_busy_stops_the_upgrade_clearly(
    database_url: URL, engine: Engine, capsys, monkeypatch
) -> None:
    migrate.downgrade(engine, BEFORE_FILING_INDEXES)
    ids = filings_fixture(engine, 100)
    # Someone's long transaction on filings: CREATE INDEX CONCURRENTLY must wait for it.
    holder = psycopg.connect(libpq(database_url))
    holder.execute("""UPDATE filings SET "internalNotes" = 'open' WHERE id = (SELECT min(id)
                   FROM filings)""")
    try:
        with (
            Writers(database_url, ids, threads=1) as writers,
            pytest.raises(migrate.MigrationBlocked, match="gcmc db upgrade"),
        ):
            migrate.upgrade(engine, lock_timeout=0.3, attempts=2, pause=0.1)
        assert writers.errors == [] and writers.latencies
        # Stopped before 0013: nothing of it applied (an unfinished index at most, which the
        # next attempt rebuilds).
        assert migrate.current_revision(engine) == BEFORE_FILING_INDEXES
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT to_regproc('desktop_filing_search')")) is None
        assert all(not valid for valid in index_states(engine).values())
    finally:
        holder.rollback()
        holder.close()
    # The CLI says the same without a traceback.
    holder = psycopg.connect(libpq(database_url))
    holder.execute("UPDATE filings SET status = status WHERE id = (SELECT min(id) FROM filings)")
    original = migrate.upgrade
    monkeypatch.setattr(
        migrate, "upgrade", lambda e, r="head": original(e, r, lock_timeout=0.2, attempts=1)
    )
    try:
        assert main(["--database-url", libpq(database_url), "db", "upgrade"]) == 4
    finally:
        monkeypatch.undo()
        holder.rollback()
        holder.close()
    err = capsys.readouterr().err
    assert "stopped at" in err and "Traceback" not in err

    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()
    assert index_states(engine) == dict.fromkeys(INDEXES, True)


@pytest.fixture
def engine(database_url: URL):
    eng = make_engine(database_url, statement_timeout=None)
    yield eng
    eng.dispose()
