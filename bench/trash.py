"""Benchmark Deleted items (issue 15) as a signed-in FirmAdmin (own PostgreSQL login, row-level
security, the audit and reference triggers on every row): deleting a large client — which now
also captures everything its delete cascades to — and restoring it.

    uv run python bench/trash.py [--documents 2000] [--repeat 3]

Starts its own embedded PostgreSQL in a temporary directory, migrates to head and loads, as the
owner, one firm with 200 small clients and one large client: 5 businesses, N documents with
2 versions each, N/2 filings (every other one with a document attached), N/20 service requests
of 12 steps, N/10 tasks linked to the client (SET NULL links the restore sets back). Then, per
repeat: the capture alone (the delete path up to the trash row, rolled back), the whole delete
(capture + the cascading delete, committed), and the restore; and checks every row came back.
"""

from __future__ import annotations

import argparse
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text

from gcmc_desktop.db import make_engine, migrate, session_factory
from gcmc_desktop.db.embedded import server_url, start_server
from gcmc_desktop.services import auth, clients, trash, users
from gcmc_desktop.services.auth import ServerProfile, set_gateway_password
from gcmc_desktop.services.tenancy import create_tenant

PASSWORD = "Bench-Trash-42"
COUNTED = (
    "clients", "client_businesses", "documents", "document_versions", "filings",
    "filing_documents", "service_requests", "service_steps", "tasks",
)  # fmt: skip

LOAD = """
INSERT INTO clients ("tenantId", name, type, tin, "updatedAt")
SELECT :t, 'Client ' || g, 'company', (100000000 + g)::text, now() FROM generate_series(1, 200) g;
INSERT INTO clients ("tenantId", name, type, tin, "updatedAt")
VALUES (:t, 'Big Client', 'company', '999999999', now());
INSERT INTO client_businesses ("tenantId", "clientId", name, "updatedAt")
SELECT :t, (SELECT max(id) FROM clients), 'Shop ' || g, now() FROM generate_series(1, 5) g;
INSERT INTO document_types ("tenantId", name, category, "updatedAt")
VALUES (:t, 'Certificate', 'tax', now());
INSERT INTO documents ("tenantId", "clientId", "clientBusinessId", "documentTypeId", title, status,
                       "updatedAt")
SELECT :t, (SELECT max(id) FROM clients),
       (SELECT min(id) FROM client_businesses) + g % 5, (SELECT max(id) FROM document_types),
       'Document ' || g, 'valid', now()
FROM generate_series(1, :n) g;
INSERT INTO document_versions ("documentId", "fileUrl", "storageProvider", "isLatest",
                               "uploadedAt")
SELECT d.id, 'tenants/' || :t || '/documents/' || d.id || '/' || md5(d.id || '-' || v),
       'local', v = 2, now() - (3 - v) * interval '1 day'
FROM documents d CROSS JOIN generate_series(1, 2) v;
UPDATE documents d SET "latestVersionId" = v.id FROM document_versions v
WHERE v."documentId" = d.id AND v."isLatest";
INSERT INTO filing_types ("tenantId", name, code, authority, frequency, "updatedAt")
VALUES (:t, 'VAT return', 'VAT', 'GRA', 'monthly', now());
INSERT INTO filings ("tenantId", "clientId", "filingTypeId", "periodLabel", status, "updatedAt")
SELECT :t, (SELECT max(id) FROM clients), (SELECT max(id) FROM filing_types),
       'Period ' || g, 'draft', now()
FROM generate_series(1, :n / 2) g;
INSERT INTO filing_documents ("filingId", "documentId")
SELECT f.id, (SELECT min(id) FROM documents) + (f.id % (:n / 2)) FROM filings f WHERE f.id % 2 = 0;
INSERT INTO services ("tenantId", name, category, "updatedAt")
VALUES (:t, 'Registration', 'dcra', now());
INSERT INTO service_requests ("tenantId", "clientId", "serviceId", status, "updatedAt")
SELECT :t, (SELECT max(id) FROM clients), (SELECT max(id) FROM services), 'in_progress', now()
FROM generate_series(1, :n / 20) g;
INSERT INTO service_steps ("serviceRequestId", title, "order", status, "updatedAt")
SELECT r.id, 'Step ' || s, s, 'pending', now() FROM service_requests r
CROSS JOIN generate_series(1, 12) s;
INSERT INTO tasks ("tenantId", "clientId", title, status, "updatedAt")
SELECT :t, (SELECT max(id) FROM clients), 'Task ' || g, 'open', now()
FROM generate_series(1, :n / 10) g;
"""


def counts(engine) -> dict[str, int]:
    with engine.connect() as c:
        return {t: c.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in COUNTED}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="the slowest statements")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="gcmc-bench-trash-"))
    server = start_server(root / "pgdata")
    try:
        admin_url = server_url(server)
        with create_engine(admin_url, isolation_level="AUTOCOMMIT").connect() as c:
            c.execute(text("CREATE DATABASE gcmc_bench_trash"))
        url = admin_url.set(database="gcmc_bench_trash")
        engine = make_engine(url)
        migrate.upgrade(engine)
        gateway = "gw-" + secrets.token_hex(6)
        set_gateway_password(engine, gateway)
        with session_factory(engine)() as s:
            tenant = create_tenant(s, "Bench Trash", "bench-trash").id
            s.commit()
        with engine.begin() as c:
            users.create_user(c, tenant, "admin@bench.gy", "Bench Admin", "FirmAdmin", PASSWORD)
            for statement in LOAD.split(";\n"):
                if statement.strip():
                    c.execute(text(statement), {"t": tenant, "n": args.documents})
            big = c.execute(text("SELECT id FROM clients WHERE name = 'Big Client'")).scalar_one()
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(text("VACUUM ANALYZE"))
        before = counts(engine)
        profile = ServerProfile(
            url.set(username=None, password=None),
            url.set(username="gcmc_login", password=gateway),
        )
        ctx = auth.open_context(auth.sign_in(profile, "admin@bench.gy", PASSWORD))
        captured, deleted, restored, sizes = [], [], [], []
        timings: list[tuple[float, str]] = []
        if args.profile:
            plain = ctx.session.execute

            def timed(statement, *a, **k):
                started = time.perf_counter()
                try:
                    return plain(statement, *a, **k)
                finally:
                    timings.append((time.perf_counter() - started, str(statement)[:110]))

            ctx.session.execute = timed  # type: ignore[method-assign]
        for _ in range(args.repeat):
            started = time.perf_counter()
            trash.keep(ctx, "clients", big)
            captured.append(time.perf_counter() - started)
            ctx.session.rollback()
            started = time.perf_counter()
            clients.delete_client(ctx, big)
            deleted.append(time.perf_counter() - started)
            with engine.connect() as c:
                item, size, rows = c.execute(
                    text(
                        "SELECT t.id, pg_column_size(t.payload), "
                        "(SELECT sum(jsonb_array_length(tb -> 'rows')) "
                        " FROM jsonb_array_elements(t.payload -> 'tables') tb) "
                        'FROM desktop_trash t WHERE t."entityId" = :c AND t."restoredAt" IS NULL'
                    ),
                    {"c": big},
                ).one()
            sizes.append(size)
            started = time.perf_counter()
            trash.restore(ctx, item)
            restored.append(time.perf_counter() - started)
            assert counts(engine) == before, "a row did not come back"
        auth.sign_out(ctx)
        print(
            f"Large client: {args.documents:,} documents ({2 * args.documents:,} versions), "
            f"{args.documents // 2:,} filings, {args.documents // 20:,} requests "
            f"({12 * (args.documents // 20):,} steps), {args.documents // 10:,} tasks — "
            f"{rows:,} rows in the trash; as a signed-in FirmAdmin, median of {args.repeat}:"
        )
        for label, values in (
            ("capture (the trash row alone)", captured),
            ("delete (capture + cascade)", deleted),
            ("restore (re-insert + links + audit)", restored),
        ):
            print(f"  {label:40s} {statistics.median(values) * 1000:8.0f} ms")
        print(
            f"  payload stored (compressed jsonb)        {statistics.median(sizes) / 1e6:8.1f} MB"
        )
        for seconds, statement in sorted(timings, reverse=True)[:12]:
            print(f"  {seconds * 1000:7.0f} ms  {' '.join(statement.split())}")
        engine.dispose()
    finally:
        server.cleanup()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
