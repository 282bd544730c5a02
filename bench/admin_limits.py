"""Benchmark the Admin paths as a signed-in FirmAdmin (own PostgreSQL login, row-level security):
the plan-limit checks every create pays (a new member, a new client, an upload), the Plan tab's
summary, and the first page of the Users list.

    uv run python bench/admin_limits.py [--clients 100000] [--documents 300000]

Starts its own embedded PostgreSQL in a temporary directory, migrates to head and loads as the
owner (generate_series): one firm with N clients and M documents of one version each (random
sizes), on a plan with user, client and storage limits; a FirmAdmin signs in through the real
sign-in service. Each figure is the median of `--repeat` runs.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PASSWORD = "Correct-Horse-42"
GATEWAY = "bench-gateway-Secret-1"

LOAD = """
INSERT INTO clients ("tenantId", name, type, "updatedAt")
SELECT :t, 'Client ' || g, 'company', now() FROM generate_series(1, :clients) g;
INSERT INTO document_types ("tenantId", name, category, "updatedAt")
VALUES (:t, 'TIN certificate', 'identification', now());
INSERT INTO documents ("tenantId", "clientId", "documentTypeId", title, status, "updatedAt")
SELECT :t, (SELECT min(id) FROM clients WHERE "tenantId" = :t) + g % :clients,
       (SELECT id FROM document_types WHERE "tenantId" = :t LIMIT 1),
       'Document ' || g, 'valid', now()
FROM generate_series(1, :documents) g;
INSERT INTO document_versions ("documentId", "fileUrl", "storageProvider", "fileSize", "isLatest")
SELECT d.id, 'k/' || d.id, 'local', 10000 + (d.id::bigint * 7919) % 2000000, true
FROM documents d WHERE d."tenantId" = :t;
INSERT INTO plans (name, limits, "updatedAt")
VALUES ('Bench', '{"users": 100, "clients": 10000000, "storageMb": 100000000}', now());
INSERT INTO subscriptions ("tenantId", "planId", status, "startDate", "updatedAt")
SELECT :t, id, 'active', now() - interval '1 day', now() FROM plans WHERE name = 'Bench';
"""


def median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--documents", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    from sqlalchemy import text

    from gcmc_desktop.db import make_engine, migrate, session_factory
    from gcmc_desktop.db.embedded import ensure_database, server_url, start_server
    from gcmc_desktop.services import admin_users, auth, plans, users
    from gcmc_desktop.services.tenancy import create_tenant

    root = Path(tempfile.mkdtemp(prefix="gcmc-bench-admin-"))
    server = start_server(root / "pgdata")
    try:
        admin_url = server_url(server)
        ensure_database(admin_url, "gcmc_bench_admin")
        url = admin_url.set(database="gcmc_bench_admin")
        engine = make_engine(url, statement_timeout=None)
        migrate.upgrade(engine)
        t0 = time.perf_counter()
        with session_factory(engine)() as session:
            tenant = create_tenant(session, "Bench Firm", "bench").id
            session.commit()
        with engine.begin() as conn:
            for statement in LOAD.strip().split(";\n"):
                conn.execute(
                    text(statement),
                    {"t": tenant, "clients": args.clients, "documents": args.documents},
                )
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
        auth.set_gateway_password(engine, GATEWAY)
        with engine.begin() as conn:
            users.create_user(conn, tenant, "boss@bench.gy", "Bench Boss", "FirmAdmin", PASSWORD)
        print(f"Loaded {args.clients:,} clients and {args.documents:,} documents "
              f"in {time.perf_counter() - t0:.1f} s.")  # fmt: skip
        profile = auth.ServerProfile(
            url.set(username=None, password=None), url.set(username="gcmc_login", password=GATEWAY)
        )
        ctx = auth.open_context(auth.sign_in(profile, "boss@bench.gy", PASSWORD))

        def first_page() -> None:
            with ctx.reading() as session:
                admin_users.member_list_query(ctx).first_page(session, 100)

        figures = {
            "limit check, new member (users)": lambda: plans.check_limit(ctx, "users"),
            "limit check, new client (clients)": lambda: plans.check_limit(ctx, "clients"),
            "limit check, upload (storage)": lambda: plans.check_limit(ctx, "storage", 1000),
            "Plan tab summary (all three)": lambda: plans.plan_summary(ctx),
            "Users list, first page": first_page,
        }
        print(f"\nAs the FirmAdmin (RLS on), median of {args.repeat}:")
        for label, fn in figures.items():
            fn()  # warm
            print(f"  {label:36} {median_ms(fn, args.repeat):8.1f} ms")
        auth.sign_out(ctx)
        engine.dispose()
    finally:
        with contextlib.suppress(Exception):
            server.cleanup()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
