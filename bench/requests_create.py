"""Benchmark service requests as signed-in staff: creating 1,000 requests from a 12-step
template, and the requests list of a firm with N requests beside Qt's QSqlQueryModel.

    QT_QPA_PLATFORM=offscreen uv run python bench/requests_create.py [--rows 1000000]

Starts its own embedded PostgreSQL (in a temporary directory, or in --pgdata, reused by a later
run with the same --rows), migrates to head and loads, as the owner with generate_series, one
firm with 20,000 clients, 8 services with a 12-step template each (dependencies, due days,
required documents) and N requests over the last three years (statuses, priorities, every
third one assigned), the 12 steps of every tenth request (a firm's step table is never empty:
the planner's view of it decides how the per-row reference checks look steps up), plus a
second firm of 50,000; VACUUM ANALYZE.

Creating: a ComplianceManager signs in through the real sign-in service (own PostgreSQL
login, row-level security, the audit and reference triggers on every row) and makes 1,000
requests of one template in one `create_requests` call (12,000 steps), then 100 one at a time
through `create_request` (the form's path); both are deleted again afterwards.

The list: a Viewer, as bench/filings_list.py does (bench/harness.py): the first page (newest
first), the status filter "in progress", that filter sorted by opening date, a service filter,
and a search for a client's name.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import ListBench, Step, report, run_ours, run_qsql
from table_model import GATEWAY_PASSWORD, STAFF_PASSWORD, bench_server, ensure_staff, spawn

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

DATABASE = "gcmc_bench"  # the sign-in helpers of bench/table_model.py expect this name
TENANT_CODE = "bench"
OTHER_ROWS = 50_000
CLIENTS = 20_000
STEPS = 12
CREATE_MANY = 1_000
CREATE_SINGLE = 100
MANAGER_EMAIL = "manager@bench.gy"
SEARCH = "Client 1234"

LOAD_SQL = """
INSERT INTO tenants (name, code, "createdAt", "updatedAt") VALUES
    ('Bench firm', 'bench', now(), now()), ('Other firm', 'other', now(), now());
INSERT INTO clients ("tenantId", name, type, "updatedAt")
SELECT t.id, 'Client ' || g, CASE WHEN g % 2 = 0 THEN 'company' ELSE 'individual' END, now()
FROM tenants t, generate_series(1, :clients) g ORDER BY t.id, g;
INSERT INTO document_types ("tenantId", name, category, "updatedAt")
SELECT t.id, k.name, 'identification', now()
FROM tenants t, (VALUES ('TIN certificate'), ('NIS card'), ('Passport')) AS k(name);
INSERT INTO services ("tenantId", name, category, "updatedAt")
SELECT t.id, k.name, k.category, now()
FROM tenants t, (VALUES
    ('Income tax return', 'Tax'), ('PAYE returns', 'Tax'), ('NIS registration', 'NIS'),
    ('Company incorporation', 'Registration'), ('Business registration', 'Registration'),
    ('Work permit application', 'Immigration'), ('Compliance certificate', 'Tax'),
    ('Audit of NGO or co-operative', 'Audit')
) AS k(name, category) ORDER BY t.id, k.name;
INSERT INTO service_request_templates ("tenantId", "serviceId", name, "stepsDefinition",
                                       "updatedAt")
SELECT s."tenantId", s.id, 'Standard (12 steps)',
       (SELECT jsonb_agg(jsonb_build_object(
                   'order', g, 'title', 'Step ' || g || ' of ' || s.name, 'dueInDays', 3 * g,
                   'requiredDocTypeIds',
                   CASE WHEN g % 4 = 0 THEN jsonb_build_array(d.first) ELSE '[]'::jsonb END)
               || CASE WHEN g > 1 THEN jsonb_build_object('dependsOnOrder', g - 1)
                       ELSE '{}'::jsonb END
               ORDER BY g)
        FROM generate_series(1, :steps) g,
             LATERAL (SELECT min(id) AS first FROM document_types
                      WHERE "tenantId" = s."tenantId") d),
       now()
FROM services s;
INSERT INTO service_requests ("tenantId", "clientId", "serviceId", "templateId", status,
                              priority, "currentStepOrder", metadata, "createdAt", "updatedAt")
WITH firm AS MATERIALIZED (
    SELECT t.id, t.code,
           (SELECT min(c.id) FROM clients c WHERE c."tenantId" = t.id) AS first_client,
           (SELECT min(s.id) FROM services s WHERE s."tenantId" = t.id) AS first_service,
           (SELECT min(m.id) FROM service_request_templates m WHERE m."tenantId" = t.id)
               AS first_template,
           (SELECT "userId" FROM tenant_users u WHERE u."tenantId" = t.id LIMIT 1) AS member
    FROM tenants t
)
SELECT f.id, f.first_client + (g::bigint * 7919) % :clients, f.first_service + g % 8,
       f.first_template + g % 8,
       (ARRAY['completed', 'completed', 'completed', 'in_progress', 'in_progress', 'new',
              'awaiting_client', 'awaiting_authority', 'cancelled', 'completed'])[1 + g % 10],
       (ARRAY['low', 'medium', 'medium', 'high', 'urgent'])[1 + g % 5],
       1 + g % :steps,
       CASE WHEN g % 3 = 0 AND f.member IS NOT NULL
            THEN jsonb_build_object('assignedToId', f.member) END,
       now() - (g % 1095) * interval '1 day' - (g % 86400) * interval '1 second', now()
FROM firm f
JOIN LATERAL generate_series(1, CASE WHEN f.code = 'bench' THEN :rows ELSE :other END) g ON true
ORDER BY f.id, g;
INSERT INTO service_steps ("serviceRequestId", title, "order", status, "dueDate", "updatedAt")
SELECT r.id, 'Step ' || g, g,
       CASE WHEN g < r."currentStepOrder" THEN 'done'
            WHEN g = r."currentStepOrder" THEN 'in_progress' ELSE 'not_started' END,
       r."createdAt" + 3 * g * interval '1 day', now()
FROM service_requests r, generate_series(1, :steps) g
WHERE r.id % 10 = 0
ORDER BY r.id, g
"""


def prepare_database(admin_url, rows: int) -> tuple[Any, int]:
    from sqlalchemy import text

    from gcmc_desktop.db import make_engine, migrate
    from gcmc_desktop.db.embedded import ensure_database

    ensure_database(admin_url, DATABASE)
    url = admin_url.set(database=DATABASE)
    engine = make_engine(url, connect_args={"options": "-c timezone=UTC"})
    have = None
    with engine.connect() as conn, contextlib.suppress(Exception):
        have = conn.scalar(
            text(
                'SELECT count(*) FROM service_requests r JOIN tenants t ON t.id = r."tenantId" '
                "WHERE t.code = :code"
            ),
            {"code": TENANT_CODE},
        )
    if have == rows and migrate.current_revision(engine) == migrate.head_revision():
        print(f"Reusing the loaded database ({rows:,} requests).")
    else:
        t0 = time.perf_counter()
        migrate.reset(engine)
        params = {"rows": rows, "other": OTHER_ROWS, "clients": CLIENTS, "steps": STEPS}
        with engine.begin() as conn:
            for statement in LOAD_SQL.split(";\n"):
                if statement.strip():
                    conn.execute(text(statement), params)
        spent = time.perf_counter() - t0
        print(f"Loaded {rows:,} + {OTHER_ROWS:,} requests (and steps of a tenth) in {spent:.0f} s.")
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in ("service_requests", "service_steps", "clients", "services"):
                conn.execute(text(f"VACUUM ANALYZE {table}"))
    with engine.connect() as conn:
        tenant_id = conn.scalar(text("SELECT id FROM tenants WHERE code = :c"), {"c": TENANT_CODE})
    ensure_staff(engine, tenant_id)
    with engine.begin() as conn:
        if conn.scalar(text('SELECT 1 FROM "user" WHERE email = :e'), {"e": MANAGER_EMAIL}) is None:
            from gcmc_desktop.services import users

            users.create_user(
                conn, tenant_id, MANAGER_EMAIL, "Bench Manager", "ComplianceManager",
                STAFF_PASSWORD,
            )  # fmt: skip
    engine.dispose()
    return url, tenant_id


def manager_context(url: str):
    from sqlalchemy.engine import make_url

    from gcmc_desktop.services.auth import ServerProfile, open_context, sign_in

    admin = make_url(url)
    profile = ServerProfile(
        admin.set(username=None, password=None),
        admin.set(username="gcmc_login", password=GATEWAY_PASSWORD),
    )
    return open_context(sign_in(profile, MANAGER_EMAIL, STAFF_PASSWORD))


def run_create(url: str, tenant_id: int, repeat: int) -> dict[str, Any]:
    """1,000 requests × 12 steps in one call, and 100 through the one-at-a-time path."""
    from sqlalchemy import func, select, text

    from gcmc_desktop.models import ServiceRequestTemplate
    from gcmc_desktop.services.service_requests import create_request, create_requests

    ctx = manager_context(url)
    assert ctx.tenant_id == tenant_id
    template_id, service_id = ctx.session.execute(
        select(ServiceRequestTemplate.id, ServiceRequestTemplate.service_id)
        .order_by(ServiceRequestTemplate.id)
        .limit(1)
    ).one()
    clients = list(
        ctx.session.scalars(text("SELECT id FROM clients ORDER BY id LIMIT :n"), {"n": 1000})
    )
    ctx.session.rollback()
    out: dict[str, Any] = {"user": f"{ctx.email} ({ctx.role_name}), RLS on"}
    many, made = [], []
    for _ in range(repeat):
        items = [{"client_id": clients[i % len(clients)], "priority": "high"}
                 for i in range(CREATE_MANY)]  # fmt: skip
        t0 = time.perf_counter()
        ids = create_requests(ctx, service_id, template_id, items)
        many.append(time.perf_counter() - t0)
        made.extend(ids)
    steps = ctx.session.scalar(
        text('SELECT count(*) FROM service_steps WHERE "serviceRequestId" = ANY(:ids)'),
        {"ids": made[:CREATE_MANY]},
    )
    audit = ctx.session.scalar(
        select(func.count())
        .select_from(text("audit_logs"))
        .where(text('"entityType" = \'service_step\' AND "actorUserId" = :u')),
        {"u": ctx.user_id},
    )
    ctx.session.rollback()
    t0 = time.perf_counter()
    for i in range(CREATE_SINGLE):
        request = create_request(
            ctx,
            {"client_id": clients[i], "service_id": service_id, "template_id": template_id},
        )
        made.append(request["id"])
    single = (time.perf_counter() - t0) / CREATE_SINGLE
    out.update(
        many=sorted(many)[len(many) // 2],
        many_all=many,
        steps=steps,
        audit_steps=audit,
        single=single,
    )
    ctx.session.close()
    out["made"] = made  # deleted by the parent, as the owner (the manager may not delete)
    return out


def list_bench(rows: int) -> ListBench:
    from gcmc_desktop.services.service_requests import request_list_query

    order = {
        ("number", True): " ORDER BY r.id DESC",
        ("created", False): ' ORDER BY r."createdAt", r.id',
    }
    return ListBench(
        title=f"Service requests list of one firm with {rows:,} requests",
        first_label="first page (newest first)",
        initial=(None, "number", True),
        steps=(
            Step(
                "status",
                "filter: status in progress",
                (None, "number", True),
                ("status", "number", True),
            ),
            Step(
                "created",
                "  then sort by opening date",
                ("status", "number", True),
                ("status", "created", False),
            ),
            Step(
                "service",
                "filter: one service",
                (None, "number", True),
                ("service", "number", True),
            ),
            Step(
                "search", f"search: {SEARCH!r}", (None, "number", True), ("search", "number", True)
            ),
        ),
        query=request_list_query,
        filters={
            None: {"status": None, "service_id": None, "__search": ""},
            "status": {"status": "in_progress", "service_id": None, "__search": ""},
            "service": {"status": None, "service_id": "__first_service", "__search": ""},
            "search": {"status": None, "service_id": None, "__search": SEARCH},
        },
        qsql_base=(
            'SELECT r.id, c.name, s.name, r.status, r.priority, r."currentStepOrder", '
            'r."createdAt", r."updatedAt" FROM service_requests r '
            'LEFT JOIN clients c ON c.id = r."clientId" '
            'LEFT JOIN services s ON s.id = r."serviceId" WHERE r."tenantId" = {tenant}'
        ),
        qsql_where={
            None: "",
            "status": " AND r.status = 'in_progress'",
            "service": ' AND r."serviceId" = __first_service',
            "search": f" AND (c.name ILIKE '%{SEARCH}%' OR s.name ILIKE '%{SEARCH}%')",
        },
        qsql_order=order,
    )


def _resolved(bench: ListBench, url: str, tenant_id: int) -> ListBench:
    """The first service's id put into the filters and the SQL (known only once loaded)."""
    from dataclasses import replace

    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        first = conn.scalar(
            text('SELECT min(id) FROM services WHERE "tenantId" = :t'), {"t": tenant_id}
        )
    engine.dispose()
    filters = {
        k: {key: (first if v == "__first_service" else v) for key, v in f.items()}
        for k, f in bench.filters.items()
    }
    where = {k: v.replace("__first_service", str(first)) for k, v in bench.qsql_where.items()}
    return replace(bench, filters=filters, qsql_where=where)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--pgdata", type=Path, help="keep the server's data here and reuse it")
    parser.add_argument("--only", choices=("create", "ours", "qsql"), action="append")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--variant", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--tenant", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--socket-dir", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--list-rows", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.variant:
        try:
            if args.variant == "create":
                result = run_create(args.url, args.tenant, args.repeat)
            else:
                bench = _resolved(list_bench(args.list_rows), args.url, args.tenant)
                if args.variant == "ours":
                    result = run_ours(bench, args.url, args.tenant, args.repeat)
                else:
                    result = run_qsql(
                        bench, args.url, args.tenant, args.repeat, args.socket_dir, args.port,
                        DATABASE,
                    )  # fmt: skip
        except Exception as exc:  # reported in the table, not as a traceback
            result = {"na": f"failed: {type(exc).__name__}: {exc}"}
        print("RESULT " + json.dumps(result, default=str), flush=True)
        return

    from gcmc_desktop.db.embedded import server_url

    with bench_server(args.pgdata) as server:
        info = server.get_postmaster_info()
        url, tenant_id = prepare_database(server_url(server), args.rows)
        plain = url.render_as_string(hide_password=False)
        common = [
            "--repeat", str(args.repeat), "--url", plain, "--tenant", str(tenant_id),
            "--socket-dir", str(info.socket_dir or ""), "--port", str(info.port or 5432),
            "--list-rows", str(args.rows),
        ]  # fmt: skip
        if not args.only or "create" in args.only:
            print("Running create …", flush=True)
            created = spawn("create", common, __file__)
            _cleanup(plain, created.get("made", []))
            _report_create(created)
        results = {}
        for variant in ("ours", "qsql"):
            if args.only and variant not in args.only:
                results[variant] = {"na": "not run (--only)"}
                continue
            print(f"Running {variant} …", flush=True)
            results[variant] = spawn(variant, common, __file__)
        report(list_bench(args.rows), results)


def _cleanup(url: str, ids: list[int]) -> None:
    """Delete the requests the create run made (as the owner: the manager may not delete)."""
    if not ids:
        return
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM service_requests WHERE id = ANY(:ids)"), {"ids": ids})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE service_requests, service_steps"))
    engine.dispose()


def _report_create(result: dict[str, Any]) -> None:
    print()
    if "na" in result:
        print(f"Creating: n/a — {result['na']}")
        return
    runs = ", ".join(f"{t * 1000:,.0f} ms" for t in result["many_all"])
    print(f"Creating requests as {result['user']}:")
    print(
        f"  {CREATE_MANY:,} requests × {STEPS} steps in one call: {result['many'] * 1000:,.0f} ms "
        f"(median; runs {runs}); {result['steps']:,} steps for the first {CREATE_MANY:,}; "
        f"{result['audit_steps']:,} step audit rows written by the triggers"
    )
    print(
        f"  one at a time (the form's path): {result['single'] * 1000:,.1f} ms per request "
        f"with its {STEPS} steps ({CREATE_SINGLE} requests)"
    )


if __name__ == "__main__":
    main()
