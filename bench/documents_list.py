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
the latest version's text, and a term without matches.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from table_model import (  # the client bench's staff sign-in and stage
    Stage,
    ensure_staff,
    fmt_ms,
    median,
    peak_mb,
    rss_mb,
    spawn,
    staff_context,
)

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


def run_ours(url: str, tenant_id: int, repeat: int) -> dict[str, Any]:
    from PySide6.QtCore import Qt

    from gcmc_desktop.services.documents import document_list_query
    from gcmc_desktop.views.table_model import PagedTableModel, query_pool, survey_pool

    ctx = staff_context(url)
    assert ctx.tenant_id == tenant_id
    stage = Stage()
    query = document_list_query(ctx)
    out: dict[str, Any] = {"user": f"{ctx.email} ({ctx.role_name}), RLS on"}
    rss0 = rss_mb()
    box: dict[str, Any] = {}

    def quiesce() -> None:
        model = box["model"]
        stage.wait(lambda: model.total is not None)
        query_pool().waitForDone()
        survey_pool().waitForDone()
        stage.settle()

    def first() -> None:
        model = PagedTableModel(query.clone(), ctx.reading)
        box["model"] = model
        stage.view.setModel(model)
        stage.wait(lambda: model.rowCount() > 0)

    firsts = []
    for _ in range(repeat):
        firsts.append(stage.timed(first))
        quiesce()
    out["first"] = median(firsts)
    out["total"] = box["model"].total
    model: PagedTableModel = box["model"]

    def until_page(action: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            action()
            stage.wait(lambda: not model.loading)

        return run

    def sort(key: str | None, descending: bool = False) -> Callable[[], None]:
        column = -1 if key is None else query.column_index(key)
        order = Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder
        return until_page(lambda: stage.view.sortByColumn(column, order))

    def search(term: str) -> Callable[[], None]:
        def run() -> None:
            model.set_search(term)
            model.flush_search()

        return until_page(run)

    def repeated(prepare: Callable[[], None], action: Callable[[], None]) -> float:
        times = []
        for _ in range(repeat):
            prepare()
            quiesce()
            times.append(stage.timed(action))
            quiesce()
        return median(times)

    title = query.column_index("title")
    for key, _label, column, descending, _sql in SORTS:
        out[key] = repeated(sort("title"), sort(column, descending))
    stage.view.sortByColumn(title, Qt.SortOrder.AscendingOrder)
    stage.wait(lambda: not model.loading)
    for key, _label, term in SEARCHES:
        out[key] = repeated(search(""), search(term))
        out[f"{key}_total"] = model.total
    out["rss_growth"] = rss_mb() - rss0
    out["peak_growth"] = peak_mb() - rss0
    ctx.session.close()
    return out


QSQL_BASE = (
    'SELECT d.title, c.name, t.name, d.authority, d.status, v."expiryDate", v."uploadedAt", d.id '
    'FROM documents d JOIN clients c ON c.id = d."clientId" '
    'JOIN document_types t ON t.id = d."documentTypeId" '
    'LEFT JOIN document_versions v ON v.id = d."latestVersionId" '
    'WHERE d."tenantId" = {tenant}'
)


def run_qsql(url: str, tenant_id: int, repeat: int, socket_dir: str, port: int) -> dict[str, Any]:
    from PySide6.QtSql import QSqlDatabase, QSqlQuery, QSqlQueryModel

    stage = Stage()
    if "QPSQL" not in QSqlDatabase.drivers():
        return {"na": f"no QPSQL driver (have {QSqlDatabase.drivers()})"}
    db = QSqlDatabase.addDatabase("QPSQL", "bench")
    db.setHostName(socket_dir)
    db.setPort(port)
    db.setDatabaseName(DATABASE)
    ctx = staff_context(url)
    role = ctx.session.get_bind().url.username
    ctx.session.close()
    from table_model import STAFF_PASSWORD

    db.setUserName(role)
    db.setPassword(STAFF_PASSWORD)
    if not db.open():
        return {"na": f"QPSQL cannot connect: {db.lastError().text()}"}
    QSqlQuery(f"SELECT set_config('gcmc.tenant_id', '{tenant_id}', false)", db)
    base = QSQL_BASE.format(tenant=tenant_id)
    out: dict[str, Any] = {"user": f"{role} (same login), RLS on"}
    rss0 = rss_mb()
    box: dict[str, Any] = {"model": QSqlQueryModel()}
    repeat = min(repeat, 2)  # each run holds the whole result

    def set_query(sql: str) -> Callable[[], None]:
        def run() -> None:
            box["model"].setQuery(QSqlQuery(sql, db))
            if box["model"].lastError().isValid():
                raise RuntimeError(box["model"].lastError().text())

        return run

    by_title = set_query(f"{base} ORDER BY d.title, d.id")

    def first() -> None:
        box["model"] = QSqlQueryModel()
        by_title()
        stage.view.setModel(box["model"])

    out["first"] = median([stage.timed(first) for _ in range(repeat)])

    def repeated(prepare: Callable[[], None], action: Callable[[], None]) -> float:
        times = []
        for _ in range(repeat):
            prepare()
            stage.paint()
            times.append(stage.timed(action))
        return median(times)

    for key, _label, _column, _descending, sql in SORTS:
        out[key] = repeated(by_title, set_query(f"{base} ORDER BY {sql}, d.id"))
    for key, _label, term in SEARCHES:
        pattern = "'%" + term.replace("'", "''") + "%'"
        where = (
            f"(d.title ILIKE {pattern} OR array_to_string(d.tags, ' ') ILIKE {pattern} "
            f'OR v."ocrText" ILIKE {pattern})'
        )
        out[key] = repeated(by_title, set_query(f"{base} AND {where} ORDER BY d.title, d.id"))
    out["rss_growth"] = rss_mb() - rss0
    out["peak_growth"] = peak_mb() - rss0
    return out


def report(rows: int, results: dict[str, dict[str, Any]]) -> None:
    names = {"ours": "PagedTableModel", "qsql": "QSqlQueryModel (QPSQL)"}
    lines = [
        ("first page visible", "first"),
        *((f"re-sort by {label}", key) for key, label, *_ in SORTS),
        *((f"search {term!r} ({label})", key) for key, label, term in SEARCHES),
    ]
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print()
    print(f"Documents list of one firm with {rows:,} documents (staff user, RLS on)")
    print(f"Machine: {os.cpu_count()} CPU cores, load average {load}; medians of the runs.")
    print("".ljust(30) + "".join(names[k].rjust(26) for k in names))
    for title, key in lines:
        cells = []
        for variant in names:
            result = results[variant]
            value = result.get(key)
            cells.append(("n/a" if "na" in result or value is None else fmt_ms(value)).rjust(26))
        print(title.ljust(30) + "".join(cells))
    for title, key in (("RSS growth at peak", "peak_growth"),):
        cells = [
            ("n/a" if "na" in results[v] else f"{results[v][key]:,.1f} MB").rjust(26) for v in names
        ]
        print(title.ljust(30) + "".join(cells))
    for variant in names:
        if "na" in results[variant]:
            print(f"{names[variant]}: n/a — {results[variant]['na']}")
    ours = results["ours"]
    if "na" not in ours:
        print(
            f"Ours: total {ours['total']:,}; signed in as {ours['user']}; searches matched "
            + ", ".join(f"{term!r} {ours[f'{key}_total']:,}" for key, _l, term in SEARCHES)
            + "."
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    # 1,000,000 documents (1.8 M versions) take a long while to load on a small machine: the
    # default is 100,000; pass --rows 1000000 for the full size.
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--pgdata", type=Path, help="keep the server's data here and reuse it")
    parser.add_argument("--only", choices=("ours", "qsql"), action="append")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--variant", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--tenant", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--socket-dir", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.variant:
        try:
            if args.variant == "ours":
                result = run_ours(args.url, args.tenant, args.repeat)
            else:
                result = run_qsql(args.url, args.tenant, args.repeat, args.socket_dir, args.port)
        except Exception as exc:  # reported in the table, not as a traceback
            result = {"na": f"failed: {type(exc).__name__}: {exc}"}
        print("RESULT " + json.dumps(result), flush=True)
        return

    from gcmc_desktop.db.embedded import server_url, start_server

    temporary = args.pgdata is None
    pgdata = Path(tempfile.mkdtemp(prefix="gcmc-bench-")) / "pgdata" if temporary else args.pgdata
    try:
        server = start_server(pgdata)
        info = server.get_postmaster_info()
        url, tenant_id = prepare_database(server_url(server), args.rows)
        common = [
            "--repeat", str(args.repeat),
            "--url", url.render_as_string(hide_password=False),
            "--tenant", str(tenant_id),
            "--socket-dir", str(info.socket_dir or ""),
            "--port", str(info.port or 5432),
        ]  # fmt: skip
        results = {}
        for variant in ("ours", "qsql"):
            if args.only and variant not in args.only:
                results[variant] = {"na": "not run (--only)"}
                continue
            print(f"Running {variant} …", flush=True)
            results[variant] = spawn(variant, common, __file__)
        report(args.rows, results)
    finally:
        if temporary:
            with contextlib.suppress(Exception):
                server.cleanup()  # type: ignore[possibly-undefined]
            shutil.rmtree(pgdata.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
