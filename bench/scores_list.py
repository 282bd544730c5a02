"""Benchmark the Compliance page's scores list at scale (issue 14): the first page of
`compliance_scores.score_list_query` sorted by score, filtered by level, sector and
requirement bundle, for a staff user (own PostgreSQL login, row-level security on).

    uv run python bench/scores_list.py [--clients 10000 100000] [--repeat 5]

Starts its own embedded PostgreSQL (temporary directory, or --pgdata), migrates to head and,
per size, loads one firm with N clients (five sectors) and a score row each, as the engine
writes them: a score spread over 0..100 (about 9 % excellent, 15 % good, 26 % fair, 50 %
poor), counts, and a breakdown of 6-20 items of which a third of the clients have a bundle
item of bundle 1 and a tenth one of bundle 2 (plus a second firm of 5,000 clients the list
must not show). VACUUM ANALYZE. A Viewer (compliance:view) signs in through the real sign-in
service and reads, through the real PagedQuery, the first 50 rows of each list (median of
--repeat reads after one warm-up). Target: first page within 50-100 ms.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from table_model import (  # the bench's staff sign-in (a Viewer of "bench") and server
    bench_server,
    staff_context,
)

DATABASE = "gcmc_bench"  # the sign-in helpers of bench/table_model.py expect this name
OTHER = 5_000
PAGE = 50
TARGET_MS = 100.0

LOAD_SQL = """
INSERT INTO tenants (name, code, "createdAt", "updatedAt") VALUES
    ('Bench firm', 'bench', now(), now()), ('Other firm', 'other', now(), now());
INSERT INTO clients ("tenantId", name, type, sector, "updatedAt")
SELECT t.id, 'Client ' || g, CASE WHEN g % 2 = 0 THEN 'company' ELSE 'individual' END,
       (ARRAY['Mining', 'Tourism', 'Retail', 'Construction', 'Agriculture'])[1 + g % 5], now()
FROM tenants t
JOIN LATERAL generate_series(1, CASE WHEN t.code = 'bench' THEN :n ELSE :other END) g ON true
ORDER BY t.id, g;
INSERT INTO requirement_bundles ("tenantId", name, authority, category, "updatedAt")
SELECT t.id, k.name, k.authority, 'tax', now()
FROM tenants t,
     (VALUES ('GRA registration', 'GRA'), ('NIS registration', 'NIS'),
             ('EPA permit', 'EPA')) AS k(name, authority)
ORDER BY t.id, k.authority = 'EPA', k.authority;
INSERT INTO compliance_scores ("tenantId", "clientId", "scoreValue", level, "missingCount",
                               "expiringCount", "overdueFilingsCount", "lastCalculatedAt",
                               breakdown)
SELECT c."tenantId", c.id, x.score,
       CASE WHEN x.score >= 90 THEN 'excellent' WHEN x.score >= 70 THEN 'good'
            WHEN x.score >= 50 THEN 'fair' ELSE 'poor' END,
       x.h % 7, x.h % 3, x.h % 4, now() - (x.h % 48) * interval '1 hour',
       jsonb_build_object('version', 1, 'base', 100, 'digest', x.h::text, 'rules', '[]'::jsonb,
           'items', (SELECT jsonb_agg(jsonb_build_object(
                        'points', -10, 'kind', CASE WHEN b.bundle IS NULL THEN 'document_missing'
                                                   ELSE 'bundle_item' END,
                        'text', 'Item ' || k || ' of a reasonably long breakdown line',
                        'rule_id', NULL, 'bundle_id', b.bundle, 'document_type_id', k,
                        'filing_type_id', NULL, 'document_id', c.id * 20 + k, 'filing_id', NULL))
                     FROM generate_series(1, 6 + x.h % 15) k,
                     LATERAL (SELECT CASE WHEN k = 1 AND x.h % 3 = 0 THEN bs.ids[1]
                                          WHEN k = 2 AND x.h % 10 = 0 THEN bs.ids[2] END
                                         AS bundle) b))
FROM clients c,
     LATERAL (SELECT abs(hashint4(c.id))::bigint AS h) y,
     LATERAL (SELECT y.h,
                     round((CASE WHEN y.h % 100 < 50 THEN (y.h % 5000) / 100.0
                                 WHEN y.h % 100 < 76 THEN 50 + (y.h % 2000) / 100.0
                                 WHEN y.h % 100 < 91 THEN 70 + (y.h % 2000) / 100.0
                                 ELSE 90 + (y.h % 1001) / 100.0 END)::numeric, 2)::float8
                         AS score) x,
     LATERAL (SELECT array_agg(id ORDER BY id) AS ids FROM requirement_bundles
              WHERE "tenantId" = c."tenantId") bs
"""


def prepare(admin_url, clients: int, reuse: bool = False) -> tuple[Any, int, list[int]]:
    from sqlalchemy import text
    from table_model import ensure_staff

    from gcmc_desktop.db import make_engine, migrate
    from gcmc_desktop.db.embedded import ensure_database

    ensure_database(admin_url, DATABASE)
    url = admin_url.set(database=DATABASE)
    engine = make_engine(url, connect_args={"options": "-c timezone=UTC"})
    loaded = None
    if reuse:
        with contextlib.suppress(Exception), engine.connect() as conn:
            loaded = conn.scalar(
                text(
                    "SELECT count(*) FROM compliance_scores s JOIN tenants t"
                    " ON t.id = s.\"tenantId\" WHERE t.code = 'bench'"
                )
            )
    t0 = time.perf_counter()
    if loaded == clients:  # --reuse: the same data, brought to the current schema
        migrate.upgrade(engine)
    else:
        migrate.reset(engine)
        migrate.upgrade(engine)
        with engine.begin() as conn:
            for statement in LOAD_SQL.split(";\n"):
                if statement.strip():
                    conn.execute(text(statement), {"n": clients, "other": OTHER})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in ("clients", "compliance_scores", "requirement_bundles"):
            conn.execute(text(f"VACUUM ANALYZE {table}"))
    with engine.connect() as conn:
        tenant_id = conn.scalar(text("SELECT id FROM tenants WHERE code = 'bench'"))
        bundles = list(
            conn.scalars(
                text('SELECT id FROM requirement_bundles WHERE "tenantId" = :t ORDER BY id'),
                {"t": tenant_id},
            )
        )
    print(f"Loaded {clients:,} clients with scores in {time.perf_counter() - t0:.1f} s.")
    ensure_staff(engine, tenant_id)
    engine.dispose()
    return url, tenant_id, bundles


def timed_first_page(ctx, configure, repeat: int) -> tuple[float, int]:
    from gcmc_desktop.services.compliance_scores import score_list_query

    times = []
    rows = 0
    for i in range(repeat + 1):
        query = score_list_query(ctx)
        configure(query)
        t0 = time.perf_counter()
        page = query.first_page(ctx.session, PAGE)
        elapsed = (time.perf_counter() - t0) * 1000
        ctx.session.rollback()
        rows = len(page)
        if i:  # the first read warms the caches
            times.append(elapsed)
    return statistics.median(times), rows


def cases(bundles: list[int]) -> list[tuple[str, Any, str]]:
    """(label, configure the PagedQuery, the same list as plain SQL for QSqlQueryModel)."""

    def sort(descending=False, **filters):
        def configure(q):
            q.set_sort("score", descending)
            for key, value in filters.items():
                q.set_filter(key, value)

        return configure

    v = 's."scoreValue"'
    bands = {
        "excellent": f"{v} >= 90",
        "good": f"{v} >= 70 AND {v} < 90",
        "fair": f"{v} >= 50 AND {v} < 70",
        "poor": f"{v} < 50",
    }
    asc, desc = 's."scoreValue", s."clientId"', 's."scoreValue" DESC, s."clientId" DESC'

    def bundle(n: int) -> str:
        return "s.breakdown -> 'items' @> '[" + json.dumps({"bundle_id": n}) + "]'"

    return [
        ("by score, poorest first", sort(), f"ORDER BY {asc}"),
        ("by score, best first", sort(True), f"ORDER BY {desc}"),
        ("level excellent", sort(level="excellent"), f"AND {bands['excellent']} ORDER BY {asc}"),
        ("level good", sort(level="good"), f"AND {bands['good']} ORDER BY {asc}"),
        ("level fair, best first", sort(True, level="fair"),
         f"AND {bands['fair']} ORDER BY {desc}"),
        ("level poor", sort(level="poor"), f"AND {bands['poor']} ORDER BY {asc}"),
        ("sector Mining", sort(sector="Mining"), f"AND c.sector = 'Mining' ORDER BY {asc}"),
        ("sector Retail + level good", sort(sector="Retail", level="good"),
         f"AND c.sector = 'Retail' AND {bands['good']} ORDER BY {asc}"),
        ("bundle GRA (1 in 3 clients)", sort(bundle_id=bundles[0]),
         f"AND {bundle(bundles[0])} ORDER BY {asc}"),
        ("bundle NIS (1 in 10 clients)", sort(bundle_id=bundles[1]),
         f"AND {bundle(bundles[1])} ORDER BY {asc}"),
        ("bundle GRA + level excellent", sort(bundle_id=bundles[0], level="excellent"),
         f"AND {bundle(bundles[0])} AND {bands['excellent']} ORDER BY {asc}"),
        ("bundle NIS + level excellent (none)", sort(bundle_id=bundles[1], level="excellent"),
         f"AND {bundle(bundles[1])} AND {bands['excellent']} ORDER BY {asc}"),
        ("bundle no client uses", sort(bundle_id=bundles[2]),
         f"AND {bundle(bundles[2])} ORDER BY {asc}"),
        ("by last calculated, newest first", lambda q: q.set_sort("calculated", True),
         'ORDER BY greatest(s."lastCalculatedAt", r."lastFullRunAt") DESC, s."clientId" DESC'),
    ]  # fmt: skip


QSQL_BASE = (
    'SELECT s."clientId", c.name, s."scoreValue", s.level, c.sector, s."missingCount",'
    ' s."expiringCount", s."overdueFilingsCount",'
    ' greatest(s."lastCalculatedAt", r."lastFullRunAt") AS calculated'
    ' FROM compliance_scores s JOIN clients c ON c.id = s."clientId"'
    ' LEFT JOIN desktop_score_runs r ON r."tenantId" = s."tenantId"'
    ' WHERE s."tenantId" = {t} '
)
QSQL_DISTRIBUTION = (
    'SELECT CASE WHEN "scoreValue" >= 90 THEN \'excellent\' WHEN "scoreValue" >= 70 THEN'
    " 'good' WHEN \"scoreValue\" >= 50 THEN 'fair' ELSE 'poor' END, count(*)"
    ' FROM compliance_scores WHERE "tenantId" = {t} GROUP BY 1'
)


def containment_bundle(tenant_id: int):
    """The bundle filter as it was before migration 0022 (jsonb containment on every row)."""
    from gcmc_desktop.models import ComplianceScore

    def predicate(value):
        return ComplianceScore.breakdown["items"].contains([{"bundle_id": int(value)}])

    return predicate


def timed_distribution(ctx, repeat: int) -> float:
    from gcmc_desktop.services.compliance_scores import distribution

    times = []
    for i in range(repeat + 1):
        t0 = time.perf_counter()
        distribution(ctx)
        elapsed = (time.perf_counter() - t0) * 1000
        ctx.session.rollback()
        if i:
            times.append(elapsed)
    return statistics.median(times)


def run_qsql(server, url, tenant_id: int, sqls: list[tuple[str, str]], repeat: int) -> dict:
    """Each list as QSqlQueryModel shows it (the same staff login, the same firm): setQuery
    runs the statement and holds its whole result; timed until its first rows are there."""
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtSql import QSqlDatabase, QSqlQuery, QSqlQueryModel
    from table_model import STAFF_PASSWORD

    QCoreApplication.instance() or QCoreApplication([])
    if "QPSQL" not in QSqlDatabase.drivers():
        return {"na": "no QPSQL driver"}
    info = server.get_postmaster_info()
    db = QSqlDatabase.addDatabase("QPSQL", "scores-bench")
    db.setHostName(str(info.socket_dir or ""))
    db.setPort(int(info.port or 5432))
    db.setDatabaseName(DATABASE)
    ctx = staff_context(url)
    role = ctx.session.get_bind().url.username
    ctx.session.close()
    db.setUserName(role)
    db.setPassword(STAFF_PASSWORD)
    if not db.open():
        return {"na": f"QPSQL cannot connect: {db.lastError().text()}"}
    QSqlQuery(f"SELECT set_config('gcmc.tenant_id', '{tenant_id}', false)", db)
    out = {}
    for label, sql in sqls:
        times = []
        for i in range(repeat + 1):
            model = QSqlQueryModel()
            t0 = time.perf_counter()
            model.setQuery(QSqlQuery(sql.replace("{t}", str(tenant_id)), db))
            if model.lastError().isValid():
                raise RuntimeError(model.lastError().text())
            model.rowCount()
            elapsed = (time.perf_counter() - t0) * 1000
            if i:
                times.append(elapsed)
        out[label] = statistics.median(times)
    db.close()
    return out


@contextlib.contextmanager
def _patched_bundle(factory):
    from gcmc_desktop.services import compliance_scores

    real = compliance_scores._bundle
    compliance_scores._bundle = factory
    try:
        yield
    finally:
        compliance_scores._bundle = real


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--pgdata", type=Path)
    parser.add_argument("--reuse", action="store_true", help="keep --pgdata's data if it fits")
    parser.add_argument("--no-qsql", action="store_true", help="skip QSqlQueryModel")
    args = parser.parse_args()

    from gcmc_desktop.db.embedded import server_url

    results: dict[int, list[tuple[str, float, int]]] = {}
    qsql: dict[int, dict] = {}
    with bench_server(args.pgdata) as server:
        for n in args.clients:
            url, tenant_id, bundles = prepare(server_url(server), n, args.reuse)
            ctx = staff_context(url)
            assert ctx.tenant_id == tenant_id, "signed in to the wrong firm"
            results[n] = []
            # As the page does when its bundle filter loads its choices (in the background):
            # the bundles' sizes, which choose how the filter reads (compliance_scores).
            from gcmc_desktop.services.compliance_scores import bundle_choices

            t0 = time.perf_counter()
            bundle_choices(ctx)
            ctx.session.rollback()
            choices_ms = (time.perf_counter() - t0) * 1000
            print(f"  {n:,} clients, bundle choices with their sizes: {choices_ms:.1f} ms")
            listed = cases(bundles)
            for label, configure, _sql in listed:
                ms, rows = timed_first_page(ctx, configure, args.repeat)
                results[n].append((label, ms, rows))
                print(f"  {n:,} clients, {label}: {ms:.1f} ms ({rows} rows)", flush=True)
            # The bundle filter as before migration 0022, for comparison.
            with _patched_bundle(containment_bundle):
                for label, configure, _sql in listed:
                    if label.startswith("bundle"):
                        ms, rows = timed_first_page(ctx, configure, args.repeat)
                        results[n].append((f"{label} (before, containment)", ms, rows))
                        print(f"  {n:,} clients, {label} before: {ms:.1f} ms", flush=True)
            ms = timed_distribution(ctx, args.repeat)
            results[n].append(("distribution by level", ms, 4))
            print(f"  {n:,} clients, distribution: {ms:.1f} ms", flush=True)
            ctx.session.close()
            if not args.no_qsql:
                qsql[n] = run_qsql(
                    server,
                    url,
                    tenant_id,
                    [(label, QSQL_BASE + sql) for label, _c, sql in listed]
                    + [("distribution by level", QSQL_DISTRIBUTION)],
                    min(args.repeat, 3),
                )
                print(f"  {n:,} clients, QSqlQueryModel: {qsql[n]}", flush=True)

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print()
    print(f"Scores list, first page of {PAGE}, staff Viewer (RLS on); median of {args.repeat}.")
    print(f"Machine: {os.cpu_count()} CPU cores, load average {load}.")
    sizes = list(results)
    print("  " + f"{'list':<46}" + "".join(f"{n:>12,}" for n in sizes)
          + ("".join(f"{'QSql ' + format(n, ','):>16}" for n in qsql)))  # fmt: skip
    for i, (label, _ms, _rows) in enumerate(results[sizes[0]]):
        line = "  " + f"{label:<46}" + "".join(f"{results[n][i][1]:>9.1f} ms" for n in sizes)
        for n in qsql:
            value = qsql[n].get(label)
            line += f"{value:>13.1f} ms" if isinstance(value, float) else f"{'':>16}"
        print(line)
    worst = max(ms for rows in results.values() for label, ms, _ in rows if "before" not in label)
    print(
        f"Target: first page within {TARGET_MS:.0f} ms — "
        f"{'met' if worst <= TARGET_MS else 'NOT met'} (slowest {worst:.1f} ms)."
    )


if __name__ == "__main__":
    main()
