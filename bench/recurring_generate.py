"""Benchmark the recurring-filings generator: 10,000 schedules for 10,000 clients, each due
once, as a signed-in FirmAdmin (issue 12 target: the 10,000 filings in under 5 s).

    uv run python bench/recurring_generate.py [--schedules 10000]

Starts its own embedded PostgreSQL (in a temporary directory, or in --pgdata), migrates to head,
loads one firm with N clients, six filing types (three monthly, one quarterly, two annual) and
one active schedule per client (monthly, quarterly or annual as its type) whose last run was one
period ago: `nextRunAt` is the first day of the current period, so each schedule has exactly one
run due today, for the period that has just ended. The filings of the period before (what the
last run created) are there, so the "already filed?" check reads a table that holds rows; a
second firm has schedules of its own that the run must leave alone. VACUUM ANALYZE.

A FirmAdmin (filings:create and filings:edit) signs in through the real sign-in service (own
PostgreSQL login, row-level security on) and runs the real `generate_due_filings(ctx)`: first
the preview (dry run, writes nothing), then the run (must create N filings), then a second run
(must create 0). Each is timed from the call to its return, commit included; below each, the
statements it spent its time in (wall time between sending and the driver's return: the
server's work plus the round trips).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from table_model import (  # the bench's staff sign-in and server
    GATEWAY_PASSWORD,
    bench_server,
    ensure_staff,
    fmt_ms,
)

DATABASE = "gcmc_bench"
TENANT_CODE = "bench"
OTHER_SCHEDULES = 1_000
ADMIN_EMAIL = "firmadmin@bench.gy"
ADMIN_PASSWORD = "Correct-Horse-43"
TARGET_S = 5.0

LOAD_SQL = """
INSERT INTO tenants (name, code, "createdAt", "updatedAt") VALUES
    ('Bench firm', 'bench', now(), now()), ('Other firm', 'other', now(), now());
INSERT INTO clients ("tenantId", name, type, "updatedAt")
SELECT t.id, 'Client ' || g, CASE WHEN g % 2 = 0 THEN 'company' ELSE 'individual' END, now()
FROM tenants t
JOIN LATERAL generate_series(1, CASE WHEN t.code = 'bench' THEN :n ELSE :other END) g ON true
ORDER BY t.id, g;
INSERT INTO filing_types ("tenantId", name, code, authority, frequency, "defaultDueDay",
                          "defaultDueMonth", "updatedAt")
SELECT t.id, k.name, k.code, k.authority, k.frequency, k.day, k.month, now()
FROM tenants t, (VALUES
    (0, 'VAT return', 'VAT', 'GRA', 'monthly', 21, NULL),
    (1, 'PAYE return', 'PAYE', 'GRA', 'monthly', 14, NULL),
    (2, 'NIS contributions', 'NIS-C', 'NIS', 'monthly', 15, NULL),
    (3, 'Property tax instalment', 'PT-Q', 'GRA', 'quarterly', 15, NULL),
    (4, 'Corporation tax return', 'CT', 'GRA', 'annual', 30, 4),
    (5, 'Income tax return', 'IT', 'GRA', 'annual', 30, 4)
) AS k(n, name, code, authority, frequency, day, month)
ORDER BY t.id, k.n;
CREATE TEMPORARY TABLE planned ON COMMIT DROP AS
SELECT c."tenantId" AS tenant, c.id AS client, k.id AS type, k.frequency,
       CASE k.frequency WHEN 'monthly' THEN interval '1 month'
                        WHEN 'quarterly' THEN interval '3 months'
                        ELSE interval '1 year' END AS step,
       date_trunc(CASE k.frequency WHEN 'monthly' THEN 'month' WHEN 'quarterly' THEN 'quarter'
                                   ELSE 'year' END, CAST(:today AS date)) AS current_start
FROM clients c
JOIN LATERAL (
    SELECT k.id, k.frequency FROM filing_types k
    WHERE k."tenantId" = c."tenantId"
    ORDER BY k.id OFFSET (c.id % 6) LIMIT 1
) k ON true;
INSERT INTO recurring_filings ("tenantId", "clientId", "filingTypeId", schedule, active,
                               "lastRunAt", "nextRunAt", "updatedAt")
SELECT tenant, client, type,
       CASE frequency WHEN 'monthly' THEN 'monthly' WHEN 'quarterly' THEN 'quarterly'
                      ELSE 'annual' END,
       true, current_start - step, current_start, now()
FROM planned ORDER BY tenant, client;
INSERT INTO filings ("tenantId", "clientId", "filingTypeId", "periodStart", "periodEnd",
                     "periodLabel", status, "updatedAt")
SELECT tenant, client, type, current_start - 2 * step, current_start - step - interval '1 day',
       CASE frequency
            WHEN 'monthly' THEN to_char(current_start - 2 * step, 'FMMonth YYYY')
            WHEN 'quarterly' THEN 'Q' || extract(quarter FROM current_start - 2 * step) || ' '
                                  || extract(year FROM current_start - 2 * step)
            ELSE extract(year FROM current_start - 2 * step)::text END,
       'submitted', now()
FROM planned ORDER BY tenant, client
"""


def prepare_database(admin_url, schedules: int, today: date) -> tuple[Any, int]:
    from sqlalchemy import text

    from gcmc_desktop.db import make_engine, migrate
    from gcmc_desktop.db.embedded import ensure_database
    from gcmc_desktop.services import users

    ensure_database(admin_url, DATABASE)
    url = admin_url.set(database=DATABASE)
    engine = make_engine(url, connect_args={"options": "-c timezone=UTC"})
    t0 = time.perf_counter()
    migrate.reset(engine)  # each run starts from no generated filings
    migrate.upgrade(engine)
    t1 = time.perf_counter()
    with engine.begin() as conn:
        for statement in LOAD_SQL.split(";\n"):
            if statement.strip():
                conn.execute(
                    text(statement), {"n": schedules, "other": OTHER_SCHEDULES, "today": today}
                )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in ("clients", "filing_types", "recurring_filings", "filings",
                      "desktop_filing_due_dates"):  # fmt: skip
            conn.execute(text(f"VACUUM ANALYZE {table}"))
    print(
        f"Migrated in {t1 - t0:.0f} s; loaded {schedules:,} + {OTHER_SCHEDULES:,} schedules "
        f"(and the previous period's filings) in {time.perf_counter() - t1:.1f} s."
    )
    with engine.connect() as conn:
        tenant_id = conn.scalar(text("SELECT id FROM tenants WHERE code = :c"), {"c": TENANT_CODE})
    ensure_staff(engine, tenant_id)  # the firm's roles and the sign-in gateway
    with engine.begin() as conn:
        if conn.scalar(text('SELECT 1 FROM "user" WHERE email = :e'), {"e": ADMIN_EMAIL}) is None:
            users.create_user(
                conn, tenant_id, ADMIN_EMAIL, "Bench FirmAdmin", "FirmAdmin", ADMIN_PASSWORD
            )
    engine.dispose()
    return url, tenant_id


def admin_context(url):
    """Sign in as the bench FirmAdmin through the real sign-in service and enter the firm."""
    from gcmc_desktop.services.auth import ServerProfile, open_context, sign_in

    profile = ServerProfile(
        url.set(username=None, password=None),
        url.set(username="gcmc_login", password=GATEWAY_PASSWORD),
    )
    return open_context(sign_in(profile, ADMIN_EMAIL, ADMIN_PASSWORD))


def counts(url, tenant_id: int) -> dict[str, int]:
    from sqlalchemy import text

    from gcmc_desktop.db import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        row = conn.execute(
            text(
                'SELECT (SELECT count(*) FROM filings WHERE "tenantId" = :t), '
                '(SELECT count(*) FROM filings WHERE "tenantId" <> :t), '
                '(SELECT count(*) FROM desktop_filing_due_dates WHERE "tenantId" = :t '
                'AND "exact"), '
                '(SELECT count(*) FROM recurring_filings WHERE "tenantId" = :t '
                'AND "nextRunAt" <= now())'
            ),
            {"t": tenant_id},
        ).one()
    engine.dispose()
    return {"firm": row[0], "other": row[1], "exact": row[2], "still_due": row[3]}


class StatementTimes:
    """Wall time spent in each SQL statement (by its first words), to show where a run goes."""

    def __init__(self, engine) -> None:
        from sqlalchemy import event

        self.times: dict[str, list[float]] = {}
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, _cursor, _statement, _params, _context, _many) -> None:
        conn.info["bench_t0"] = time.perf_counter()

    def _after(self, conn, _cursor, statement, params, _context, many) -> None:
        elapsed = time.perf_counter() - conn.info.pop("bench_t0", time.perf_counter())
        words = " ".join(statement.split()[:3])
        rows = len(params) if many and isinstance(params, (list, tuple)) else 1
        entry = self.times.setdefault(words, [0, 0, 0.0])
        entry[0] += 1
        entry[1] += rows
        entry[2] += elapsed

    def report(self, top: int = 6) -> None:
        for words, (calls, rows, seconds) in sorted(
            self.times.items(), key=lambda item: -item[1][2]
        )[:top]:
            print(f"      {seconds:7.2f} s  {calls:4d} calls {rows:6,d} rows  {words}")
        self.times.clear()


def run(url, tenant_id: int, schedules: int) -> list[tuple[str, float, int, int]]:
    from gcmc_desktop.services.recurring import generate_due_filings

    ctx = admin_context(url)  # the "after login" state: signed in, mappers configured
    assert ctx.tenant_id == tenant_id, "signed in to the wrong firm"
    print(f"Signed in as {ctx.email} ({ctx.role_name}), RLS on.")
    statements = StatementTimes(ctx.session.get_bind())
    results = []
    for label, dry_run in (("preview (dry run)", True), ("run", False), ("second run", False)):
        t0 = time.perf_counter()
        report = generate_due_filings(ctx, dry_run=dry_run)
        elapsed = (time.perf_counter() - t0) * 1000
        results.append((label, elapsed, report.schedules, len(report.created)))
        print(
            f"  {label}: {elapsed / 1000:.2f} s, {report.schedules:,} schedules due, "
            f"{len(report.created):,} filings {'would be ' if dry_run else ''}created, "
            f"{report.already_there:,} already there",
            flush=True,
        )
        statements.report()
    ctx.session.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schedules", type=int, default=10_000)
    parser.add_argument("--pgdata", type=Path, help="the server's data directory (kept)")
    args = parser.parse_args()

    from gcmc_desktop.db.embedded import server_url

    with bench_server(args.pgdata) as server:
        today = date.today()
        url, tenant_id = prepare_database(server_url(server), args.schedules, today)
        before = counts(url, tenant_id)
        results = run(url, tenant_id, args.schedules)
        after = counts(url, tenant_id)

    created = after["firm"] - before["firm"]
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print()
    print(f"Recurring generator, {args.schedules:,} schedules for {args.schedules:,} clients")
    print(f"Machine: {os.cpu_count()} CPU cores, load average {load}.")
    print("step".ljust(22) + "time".rjust(10) + "schedules".rjust(11) + "created".rjust(10))
    for label, elapsed, due, made in results:
        print(
            label.ljust(22)
            + fmt_ms(elapsed).rjust(10)
            + f"{due:,}".rjust(11)
            + f"{made:,}".rjust(10)
        )
    main_run = results[1][1] / 1000
    verdict = "met" if main_run < TARGET_S else "NOT met"
    print(
        f"Target: {args.schedules:,} filings in under {TARGET_S:.0f} s — "
        f"{verdict} ({main_run:.2f} s)."
    )
    print(
        f"Check: {created:,} new filings in the firm (expected {args.schedules:,}), "
        f"{after['exact'] - before['exact']:,} with their exact due date stored, "
        f"other firm {before['other']:,} -> {after['other']:,} filings, "
        f"schedules still due {after['still_due']:,}."
    )
    ok = (
        created == args.schedules
        and results[1][3] == args.schedules
        and results[2][3] == 0
        and after["other"] == before["other"]
    )
    if not ok:
        print("FAILED: the run did not create exactly one filing per schedule, once.")
        sys.exit(1)


if __name__ == "__main__":
    main()
