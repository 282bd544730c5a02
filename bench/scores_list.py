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
     (VALUES ('GRA registration', 'GRA'), ('NIS registration', 'NIS')) AS k(name, authority)
ORDER BY t.id, k.authority;
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


def prepare(admin_url, clients: int) -> tuple[Any, int, list[int]]:
    from sqlalchemy import text
    from table_model import ensure_staff

    from gcmc_desktop.db import make_engine, migrate
    from gcmc_desktop.db.embedded import ensure_database

    ensure_database(admin_url, DATABASE)
    url = admin_url.set(database=DATABASE)
    engine = make_engine(url, connect_args={"options": "-c timezone=UTC"})
    migrate.reset(engine)
    migrate.upgrade(engine)
    t0 = time.perf_counter()
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


def cases(bundles: list[int]) -> list[tuple[str, Any]]:
    def sort(descending=False, **filters):
        def configure(q):
            q.set_sort("score", descending)
            for key, value in filters.items():
                q.set_filter(key, value)

        return configure

    return [
        ("by score, poorest first", sort()),
        ("by score, best first", sort(True)),
        ("level excellent", sort(level="excellent")),
        ("level good", sort(level="good")),
        ("level fair, best first", sort(True, level="fair")),
        ("level poor", sort(level="poor")),
        ("sector Mining", sort(sector="Mining")),
        ("sector Retail + level good", sort(sector="Retail", level="good")),
        ("bundle GRA (1 in 3 clients)", sort(bundle_id=bundles[0])),
        ("bundle NIS (1 in 10 clients)", sort(bundle_id=bundles[1])),
        ("bundle GRA + level excellent", sort(bundle_id=bundles[0], level="excellent")),
        ("bundle NIS + level excellent (none)", sort(bundle_id=bundles[1], level="excellent")),
        ("by last calculated, newest first", lambda q: q.set_sort("calculated", True)),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--pgdata", type=Path)
    args = parser.parse_args()

    from gcmc_desktop.db.embedded import server_url

    results: dict[int, list[tuple[str, float, int]]] = {}
    with bench_server(args.pgdata) as server:
        for n in args.clients:
            url, tenant_id, bundles = prepare(server_url(server), n)
            ctx = staff_context(url)
            assert ctx.tenant_id == tenant_id, "signed in to the wrong firm"
            results[n] = []
            for label, configure in cases(bundles):
                ms, rows = timed_first_page(ctx, configure, args.repeat)
                results[n].append((label, ms, rows))
                print(f"  {n:,} clients, {label}: {ms:.1f} ms ({rows} rows)", flush=True)
            ctx.session.close()

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print()
    print(f"Scores list, first page of {PAGE}, staff Viewer (RLS on); median of {args.repeat}.")
    print(f"Machine: {os.cpu_count()} CPU cores, load average {load}.")
    sizes = list(results)
    print("  " + f"{'list':<38}" + "".join(f"{n:>12,}" for n in sizes))
    for i, (label, _ms, _rows) in enumerate(results[sizes[0]]):
        print("  " + f"{label:<38}" + "".join(f"{results[n][i][1]:>9.1f} ms" for n in sizes))
    worst = max(ms for rows in results.values() for _, ms, _ in rows)
    print(
        f"Target: first page within {TARGET_MS:.0f} ms — "
        f"{'met' if worst <= TARGET_MS else 'NOT met'} (slowest {worst:.1f} ms)."
    )


if __name__ == "__main__":
    main()
