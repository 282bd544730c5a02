"""Benchmark the filings list on a large firm, signed in as a staff user, against Qt's
QSqlQueryModel on the same login with the same rows.

    QT_QPA_PLATFORM=offscreen uv run python bench/filings_list.py [--rows 1000000]

Starts its own embedded PostgreSQL (in a temporary directory, or in --pgdata, reused by later
runs with the same --rows on the same day: the periods are relative to today), loads one firm
with 20,000 clients, six filing types (monthly, quarterly, annual) and N filings over the last
ten years (the latest period open, older ones mostly submitted or approved), plus a smaller
second firm, at the baseline; migrates to head (migration 0010 fills the due-date table in one
INSERT … SELECT and builds its (tenantId, dueDate, filingId) index), VACUUM ANALYZE. A Viewer
signs in through the real sign-in service (own PostgreSQL login, row-level security on); ours
lists through the real `filing_list_query(ctx)` and `PagedTableModel`, QSqlQueryModel sends
plain SQL with the same joins and order, as that same login in the same firm.

Steps, each until the new first rows are painted on a shown QTableView: first page (all
filings, by due date), filter "due within 30 days" (open filings due today to today + 30),
that filter sorted by due date descending, the "overdue" filter (open, due date past), and a
search over client name, reference and period (bench/harness.py steps the list).
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import SEARCH_KEY, ListBench, Step, list_main
from table_model import ensure_staff  # the client bench's staff sign-in

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

DATABASE = "gcmc_bench"  # the sign-in helpers of bench/table_model.py expect this name
TENANT_CODE = "bench"
OTHER_ROWS = 50_000
CLIENTS = 20_000
WITHIN_DAYS = 30
OPEN_STATUSES = ("draft", "prepared", "rejected", "overdue")  # services.filings.OPEN_STATUSES

LOAD_SQL = """
INSERT INTO tenants (name, code, "createdAt", "updatedAt") VALUES
    ('Bench firm', 'bench', now(), now()), ('Other firm', 'other', now(), now());
INSERT INTO clients ("tenantId", name, type, "updatedAt")
SELECT t.id, 'Client ' || g, CASE WHEN g % 2 = 0 THEN 'company' ELSE 'individual' END, now()
FROM tenants t, generate_series(1, :clients) g ORDER BY t.id, g;
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
INSERT INTO filings ("tenantId", "clientId", "filingTypeId", "periodStart", "periodEnd",
                     "periodLabel", status, "referenceNumber", "taxAmount", total,
                     "submissionDate", "updatedAt")
WITH firm AS MATERIALIZED (  -- once, not per row
    SELECT t.id, t.code,
           (SELECT min(c.id) FROM clients c WHERE c."tenantId" = t.id) AS first_client,
           (SELECT min(k.id) FROM filing_types k WHERE k."tenantId" = t.id) AS first_type
    FROM tenants t
), planned AS (
    SELECT f.id AS tenant, f.first_client + (g::bigint * 7919) % :clients AS client,
           f.first_type + g % 6 AS type, g, g % 6 AS kind,
           -- periods back from the last one that ended: 120 months, 40 quarters, 10 years
           CASE WHEN g % 6 < 3 THEN (g / 6) % 120 WHEN g % 6 = 3 THEN (g / 6) % 40
                ELSE (g / 6) % 10 END AS back
    FROM firm f
    JOIN LATERAL generate_series(1, CASE WHEN f.code = 'bench' THEN :rows ELSE :other END) g
        ON true
), period AS (
    SELECT p.*,
           CASE WHEN kind < 3
                THEN date_trunc('month', CAST(:today AS date)) - (back + 1) * interval '1 month'
                WHEN kind = 3
                THEN date_trunc('quarter', CAST(:today AS date)) - (back + 1) * interval '3 months'
                ELSE date_trunc('year', CAST(:today AS date)) - (back + 1) * interval '1 year'
           END AS start
    FROM planned p
)
SELECT tenant, client, type, start,
       CASE WHEN kind < 3 THEN start + interval '1 month' - interval '1 day'
            WHEN kind = 3 THEN start + interval '3 months' - interval '1 day'
            ELSE start + interval '1 year' - interval '1 day' END,
       CASE WHEN kind < 3 THEN to_char(start, 'FMMonth YYYY')
            WHEN kind = 3 THEN 'Q' || extract(quarter FROM start) || ' ' || extract(year FROM start)
            ELSE extract(year FROM start)::text END,
       CASE WHEN back = 0 THEN (ARRAY['draft', 'draft', 'prepared', 'rejected'])[1 + g % 4]
            WHEN back = 1 THEN (ARRAY['submitted', 'overdue', 'approved', 'prepared'])[1 + g % 4]
            ELSE (ARRAY['approved', 'approved', 'approved', 'submitted', 'archived'])[1 + g % 5]
       END,
       CASE WHEN back > 0 THEN 'GRA-' || g END,
       CASE WHEN back > 0 THEN (g % 100000) * 10.0 END,
       CASE WHEN back > 0 THEN (g % 100000) * 10.0 END,
       CASE WHEN back > 0 THEN start + interval '40 days' END,
       now()
FROM period ORDER BY tenant, g
"""


def prepare_database(admin_url, rows: int, today: date) -> tuple[Any, int]:
    from sqlalchemy import text

    from gcmc_desktop.db import make_engine, migrate
    from gcmc_desktop.db.embedded import ensure_database

    ensure_database(admin_url, DATABASE)
    url = admin_url.set(database=DATABASE)
    engine = make_engine(
        url,
        connect_args={
            "options": "-c timezone=UTC -c maintenance_work_mem=512MB "
            "-c max_parallel_maintenance_workers=2"
        },
    )
    have = None
    with engine.connect() as conn, contextlib.suppress(Exception):
        have = conn.scalar(
            text(
                'SELECT count(*) FROM filings f JOIN tenants t ON t.id = f."tenantId" '
                'WHERE t.code = :code AND f."updatedAt"::date = :today'
            ),
            {"code": TENANT_CODE, "today": today},
        )
    if have == rows and migrate.current_revision(engine) == migrate.head_revision():
        print(f"Reusing the loaded database ({rows:,} filings).")
    else:
        t0 = time.perf_counter()
        migrate.reset(engine)
        # Loaded at the baseline, the desktop's additions built afterwards (as `gcmc db adopt`):
        # migration 0010 then fills the due dates in one INSERT … SELECT.
        migrate.downgrade(engine, migrate.BASELINE)
        params = {"rows": rows, "other": OTHER_ROWS, "clients": CLIENTS, "today": today}
        with engine.begin() as conn:
            for statement in LOAD_SQL.split(";\n"):
                if statement.strip():
                    conn.execute(text(statement), params)
        t1 = time.perf_counter()
        print(f"Loaded {rows:,} + {OTHER_ROWS:,} filings in {t1 - t0:.0f} s.")
        migrate.upgrade(engine)
        t2 = time.perf_counter()
        print(f"Migrated to head (due-date table filled and indexed) in {t2 - t1:.0f} s.")
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in ("filings", "desktop_filing_due_dates", "clients", "filing_types"):
                conn.execute(text(f"VACUUM ANALYZE {table}"))
        print(f"VACUUM ANALYZE in {time.perf_counter() - t2:.0f} s.")
    with engine.connect() as conn:
        tenant_id = conn.scalar(text("SELECT id FROM tenants WHERE code = :c"), {"c": TENANT_CODE})
    ensure_staff(engine, tenant_id)
    engine.dispose()
    return url, tenant_id


# (result key, label, from (filter, descending), to (filter, descending)): each step times the
# change from the first state to the second.
SEARCH = "Client 1234"  # 11 clients of 20,000 ("Client 1234", "Client 12340" …)


def list_bench(rows: int, today: date) -> ListBench:
    """The filings list as the harness steps it: by due date, the due-soon and overdue
    filters, a search; QSqlQueryModel with the same joins, filters and order."""
    from gcmc_desktop.services.filings import DUE_WITHIN, OVERDUE, filing_list_query

    open_sql = "f.status IN (" + ", ".join(f"'{s}'" for s in OPEN_STATUSES) + ")"
    end = today + timedelta(days=WITHIN_DAYS)
    by_due = (None, "due", False)
    return ListBench(
        title=f"Filings list of one firm with {rows:,} filings",
        first_label="first page (by due date)",
        initial=by_due,
        steps=(
            Step(
                "within", f"filter: due within {WITHIN_DAYS} days", by_due, ("within", "due", False)
            ),
            Step(
                "within_desc",
                "  then sort by due date desc",
                ("within", "due", False),
                ("within", "due", True),
            ),
            Step("overdue", "filter: overdue", by_due, ("overdue", "due", False)),
            Step("search", f"search: {SEARCH!r}", by_due, ("search", "due", False)),
        ),
        query=filing_list_query,
        filters={
            None: {DUE_WITHIN: None, OVERDUE: None, SEARCH_KEY: ""},
            "within": {DUE_WITHIN: WITHIN_DAYS, OVERDUE: None, SEARCH_KEY: ""},
            "overdue": {DUE_WITHIN: None, OVERDUE: True, SEARCH_KEY: ""},
            "search": {DUE_WITHIN: None, OVERDUE: None, SEARCH_KEY: SEARCH},
        },
        qsql_base=(
            'SELECT d."dueDate", c.name, t.name, t.authority, f."periodLabel", f.status, '
            'f."referenceNumber", f.total, f."submissionDate", f.id '
            'FROM filings f JOIN desktop_filing_due_dates d ON d."filingId" = f.id '
            'LEFT JOIN clients c ON c.id = f."clientId" '
            'LEFT JOIN filing_types t ON t.id = f."filingTypeId" '
            'WHERE f."tenantId" = {tenant} AND d."tenantId" = {tenant}'
        ),
        qsql_where={
            None: "",
            "within": f" AND {open_sql} AND d.\"dueDate\" >= '{today}' "
            f"AND d.\"dueDate\" <= '{end}'",
            "overdue": f" AND {open_sql} AND d.\"dueDate\" < '{today}'",
            "search": f" AND (c.name ILIKE '%{SEARCH}%' OR f.\"referenceNumber\" ILIKE "
            f"'%{SEARCH}%' OR f.\"periodLabel\" ILIKE '%{SEARCH}%')",
        },
        qsql_order={
            ("due", False): ' ORDER BY d."dueDate", d."filingId"',
            ("due", True): ' ORDER BY d."dueDate" DESC, d."filingId" DESC',
        },
    )


def main() -> None:
    today = date.today()  # the load and the bench agree on the day
    list_main(
        __doc__,
        __file__,
        lambda admin_url, rows: prepare_database(admin_url, rows, today),
        lambda rows: list_bench(rows, today),
        DATABASE,
        default_rows=1_000_000,
    )


if __name__ == "__main__":
    main()
