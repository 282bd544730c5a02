"""Benchmark the documents list on a large firm, signed in as a staff user, against Qt's
QSqlQueryModel on the same login with the same rows.

    QT_QPA_PLATFORM=offscreen uv run python bench/documents_list.py [--rows 1000000]

(default 100,000 documents; 1,000,000 loads for a long while on a small machine)

Starts its own embedded PostgreSQL (in a temporary directory, or in --pgdata, reused by later
runs with the same --rows), loads one firm with N documents with 1–3 versions each (about 1.8
per document; some with OCR text, tags and expiry dates) plus a smaller second firm, migrates
to head (which builds the search indexes and the latest-version table), VACUUM ANALYZE. A Viewer
signs in through the real sign-in service (own PostgreSQL login, row-level security on); ours
lists through the real `document_list_query(ctx)` and `PagedTableModel`, QSqlQueryModel sends
plain SQL joining the latest version, as that same login in the same firm.

Steps, each until the new first rows are painted on a shown QTableView: first page (title
order), re-sort by expiry (both directions), upload date, client name (both directions) and
type, searches over the title, a tag,
the latest version's text, and a term without matches (bench/harness.py steps the list and
runs the command line).
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import SEARCH_KEY, ListBench, Step, list_main
from table_model import ensure_staff  # the client bench's staff sign-in

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

DATABASE = "gcmc_bench"  # the sign-in helpers of bench/table_model.py expect this name
TENANT_CODE = "bench"
OTHER_ROWS = 50_000
SEARCHES = (
    ("search_title", "title", "annual return 2019"),
    ("search_tag", "tag", "payroll"),
    ("search_text", "text", "kaieteur"),
    ("search_none", "no match", "qqzzxx"),
)
SORTS = (
    ("sort_expiry", "expiry ascending", "expiry", False, 'v."expiryDate"'),
    ("sort_expiry_desc", "expiry descending", "expiry", True, 'v."expiryDate" DESC'),
    ("sort_uploaded", "upload date", "uploaded", False, 'v."uploadedAt"'),
    ("sort_client", "client name", "client", False, "c.name"),
    ("sort_client_desc", "client name descending", "client", True, "c.name DESC"),
    ("sort_type", "type", "type", False, "t.name"),
)

LOAD_SQL = """
INSERT INTO tenants (name, code, "createdAt", "updatedAt") VALUES
    ('Bench firm', 'bench', now(), now()), ('Other firm', 'other', now(), now());
INSERT INTO clients ("tenantId", name, type, "updatedAt")
SELECT t.id, 'Client ' || g, CASE WHEN g % 2 = 0 THEN 'company' ELSE 'individual' END, now()
FROM tenants t, generate_series(1, 20000) g ORDER BY t.id, g;
INSERT INTO document_types ("tenantId", name, category, "updatedAt")
SELECT t.id, k, 'identification', now()
FROM tenants t, unnest(ARRAY['TIN certificate', 'NIS certificate', 'Business registration',
                             'Annual return', 'Compliance certificate']) k ORDER BY t.id;
INSERT INTO documents ("tenantId", "clientId", "documentTypeId", title, status, authority, tags,
                       "updatedAt")
WITH firm AS (
    SELECT t.id, t.code,
           (SELECT min(c.id) FROM clients c WHERE c."tenantId" = t.id) AS first_client,
           (SELECT min(k.id) FROM document_types k WHERE k."tenantId" = t.id) AS first_type
    FROM tenants t
)
SELECT f.id, f.first_client + (g::bigint * 7919) % 20000, f.first_type + g % 5,
       (ARRAY['TIN certificate', 'NIS compliance', 'Annual return', 'Business name',
              'Tax clearance'])[1 + g % 5] || ' ' || (2015 + g % 11) || ' #' || g,
       (ARRAY['valid', 'valid', 'expired', 'pending_review'])[1 + g % 4],
       (ARRAY['GRA', 'NIS', 'DCRA', NULL])[1 + g % 4],
       CASE WHEN g % 3 = 0 THEN ARRAY['payroll', 'q' || (g % 4 + 1)]
            WHEN g % 3 = 1 THEN ARRAY['scan'] END,
       now()
FROM firm f
JOIN LATERAL generate_series(1, CASE WHEN f.code = 'bench' THEN :rows ELSE :other END) g ON true;
INSERT INTO document_versions ("documentId", "fileUrl", "storageProvider", "fileSize",
                               "mimeType", "expiryDate", "ocrText", "isLatest", "uploadedAt")
SELECT d.id, 'tenants/' || d."tenantId" || '/documents/' || d.id || '/' || n, 'local',
       100000 + d.id % 5000, 'application/pdf',
       CASE WHEN (d.id + n) % 5 <> 0
            THEN timestamp '2020-01-01' + ((d.id * 37 + n * 101) % 4000) * interval '1 day' END,
       CASE WHEN d.id % 4 = 0 THEN 'Certificate issued to client ' || d."clientId"
            || CASE WHEN d.id % 997 = 0 THEN ' of Kaieteur Falls Tours' ELSE '' END END,
       n = 1 + d.id % 3 - (CASE WHEN d.id % 5 = 0 THEN 1 ELSE 0 END) * (d.id % 3),
       timestamp '2019-01-01' + (d.id % 2000) * interval '1 day' + n * interval '30 days'
FROM documents d
JOIN LATERAL generate_series(1, 1 + d.id % 3 - (CASE WHEN d.id % 5 = 0 THEN 1 ELSE 0 END)
                                 * (d.id % 3)) n ON true;
UPDATE documents d SET "latestVersionId" = v.id
FROM document_versions v WHERE v."documentId" = d.id AND v."isLatest";
"""


def prepare_database(admin_url, rows: int) -> tuple[Any, int]:
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
                'SELECT count(*) FROM documents d JOIN tenants t ON t.id = d."tenantId" '
                "WHERE t.code = :code"
            ),
            {"code": TENANT_CODE},
        )
    if have == rows and migrate.current_revision(engine) == migrate.head_revision():
        print(f"Reusing the loaded database ({rows:,} documents).")
    elif have == rows and migrate.current_revision(engine):
        # Loaded before a newer migration: apply it instead of loading everything again.
        migrate.upgrade(engine)
        print(f"Reusing the loaded database ({rows:,} documents), migrated to head.")
    else:
        t0 = time.perf_counter()
        migrate.reset(engine)
        # Loaded at the baseline, the desktop's additions built afterwards (as `gcmc db adopt`).
        migrate.downgrade(engine, migrate.BASELINE)
        with engine.begin() as conn:
            for statement in LOAD_SQL.split(";\n"):
                if statement.strip():
                    conn.execute(text(statement), {"rows": rows, "other": OTHER_ROWS})
            versions = conn.scalar(text("SELECT count(*) FROM document_versions"))
        t1 = time.perf_counter()
        print(
            f"Loaded {rows:,} + {OTHER_ROWS:,} documents, {versions:,} versions in {t1 - t0:.0f} s."
        )
        migrate.upgrade(engine)
        t2 = time.perf_counter()
        print(f"Migrated to head (indexes, latest-version table) in {t2 - t1:.0f} s.")
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in ("documents", "document_versions", "desktop_latest_versions", "clients"):
                conn.execute(text(f"VACUUM ANALYZE {table}"))
        print(f"VACUUM ANALYZE in {time.perf_counter() - t2:.0f} s.")
    with engine.connect() as conn:
        tenant_id = conn.scalar(text("SELECT id FROM tenants WHERE code = :c"), {"c": TENANT_CODE})
    ensure_staff(engine, tenant_id)
    engine.dispose()
    return url, tenant_id


QSQL_BASE = (
    'SELECT d.title, c.name, t.name, d.authority, d.status, v."expiryDate", v."uploadedAt", d.id '
    'FROM documents d JOIN clients c ON c.id = d."clientId" '
    'JOIN document_types t ON t.id = d."documentTypeId" '
    'LEFT JOIN document_versions v ON v.id = d."latestVersionId" '
    'WHERE d."tenantId" = {tenant}'
)


SEARCH_WHERE = (
    "(d.title ILIKE {p} OR array_to_string(d.tags, ' ') ILIKE {p} OR v.\"ocrText\" ILIKE {p})"
)


def list_bench(rows: int) -> ListBench:
    """The documents list as the harness steps it: by title, each re-sort from title order,
    each search from no search; QSqlQueryModel with the same joins and order."""
    from gcmc_desktop.services.documents import document_list_query

    by_title = (None, "title", False)
    return ListBench(
        title=f"Documents list of one firm with {rows:,} documents",
        first_label="first page visible",
        initial=by_title,
        steps=(
            *(
                Step(key, f"re-sort by {label}", by_title, (None, column, descending))
                for key, label, column, descending, _sql in SORTS
            ),
            *(
                Step(key, f"search {term!r} ({label})", by_title, (key, "title", False))
                for key, label, term in SEARCHES
            ),
        ),
        query=document_list_query,
        filters={
            None: {SEARCH_KEY: ""},
            **{key: {SEARCH_KEY: term} for key, _label, term in SEARCHES},
        },
        qsql_base=QSQL_BASE,
        qsql_where={
            None: "",
            **{
                key: " AND " + SEARCH_WHERE.format(p="'%" + term.replace("'", "''") + "%'")
                for key, _label, term in SEARCHES
            },
        },
        qsql_order={
            ("title", False): " ORDER BY d.title, d.id",
            **{(column, desc): f" ORDER BY {sql}, d.id" for _k, _l, column, desc, sql in SORTS},
        },
    )


def main() -> None:
    # 1,000,000 documents (1.8 M versions) take a long while to load on a small machine: the
    # default is 100,000; pass --rows 1000000 for the full size.
    list_main(__doc__, __file__, prepare_database, list_bench, DATABASE, default_rows=100_000)


if __name__ == "__main__":
    main()
