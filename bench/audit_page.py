"""Benchmark the firm-wide Audit page at 10,000,000 audit rows, signed in as a staff user,
against Qt's QSqlQueryModel on the same login with the same SQL.

    QT_QPA_PLATFORM=offscreen uv run python bench/audit_page.py [--rows 10000000]
        [--pgdata DIR] [--repeat 3] [--qsql-repeat 1]

Starts its own embedded PostgreSQL (in a temporary directory, or in --pgdata, reused by later
runs with the same --rows on the same day), migrates to head, and loads one firm with 10,000
clients, 20 staff members and N audit rows over the last year (three rows share each
timestamp: keyset ties), plus a second firm with 100,000 rows — with generate_series, the
audit_logs indexes dropped during the load and built again afterwards (they are the platform's,
unchanged), then VACUUM ANALYZE. 0.4 % of the rows are about members (`tenant_user`), which a
Viewer may not read (migration 0023): the policy filters them out at scale. A Viewer signs in
through the real sign-in service (own PostgreSQL login, row-level security on); ours lists
through the real `firm_audit_query(ctx)` and `PagedTableModel`, QSqlQueryModel sends plain SQL
with the same joins, filters and order, as that same login in the same firm.

Steps, each until the new first rows are painted on a shown QTableView: the first page (newest
first), each filter (a frequent and a rare user, a frequent and a rare record type, an action,
a client, a week's date range a year ago), a search for a client and for a user, "Include
archived" (the union with the archive table, empty here), and the end of the list (sorted
oldest first); then, for ours only, dragging the scroll bar to the very last row once the total
is known (a backward index read from the end).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import SEARCH_KEY, ListBench, Step, report, run_ours, run_qsql
from table_model import Stage, bench_server, ensure_staff, spawn, staff_context

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

DATABASE = "gcmc_bench"  # the sign-in helpers of bench/table_model.py expect this name
TENANT_CODE = "bench"
OTHER_ROWS = 100_000
CLIENTS = 10_000
MEMBERS = 20
SECONDS_APART = 10  # three rows per timestamp: 10M rows span about 13 months

LOAD_SQL = """
INSERT INTO tenants (name, code, "createdAt", "updatedAt") VALUES
    ('Bench firm', 'bench', now(), now()), ('Other firm', 'other', now(), now());
INSERT INTO clients ("tenantId", name, type, "updatedAt")
SELECT t.id, 'Client ' || g, CASE WHEN g % 2 = 0 THEN 'company' ELSE 'individual' END, now()
FROM tenants t, generate_series(1, :clients) g ORDER BY t.id, g;
INSERT INTO "user" (_id, name, email, "emailVerified", "updatedAt")
SELECT t.code || '-member-' || g, 'Member ' || g || ' ' || t.code,
       'member' || g || '@' || t.code || '.gy', true, now()
FROM tenants t, generate_series(1, :members) g;
INSERT INTO tenant_users ("tenantId", "userId", "roleId", "updatedAt")
SELECT t.id, t.code || '-member-' || g,
       (SELECT min(r.id) FROM roles r WHERE r."tenantId" = t.id), now()
FROM tenants t, generate_series(1, :members) g;
INSERT INTO audit_logs ("tenantId", "actorUserId", "clientId", "entityType", "entityId",
                        action, changes, "createdAt", "ipAddress", "userAgent")
WITH firm AS MATERIALIZED (
    SELECT t.id, t.code,
           (SELECT min(c.id) FROM clients c WHERE c."tenantId" = t.id) AS first_client
    FROM tenants t
), planned AS (
    SELECT f.id AS tenant, f.code, f.first_client, g::bigint AS g,
           g % 1000 AS kind,
           -- a skewed share per member: member 1 makes ~29% of the entries, member 20 ~0.1%
           CASE WHEN g % 997 = 0 THEN NULL
                ELSE 1 + floor(power((g::bigint * 7907 % 1000003) / 1000003.0, 2.2) * :members)::int
           END AS member
    FROM firm f
    JOIN LATERAL generate_series(1, CASE WHEN f.code = 'bench' THEN :rows ELSE :other END) g
        ON true
), typed AS (
    SELECT p.*,
           CASE WHEN kind < 200 THEN 'client' WHEN kind < 500 THEN 'document'
                WHEN kind < 700 THEN 'document_version' WHEN kind < 900 THEN 'filing'
                WHEN kind < 980 THEN 'task' WHEN kind < 995 THEN 'service_request'
                WHEN kind < 999 THEN 'tenant_user' ELSE 'recurring_filing' END AS entity
    FROM planned p
)
SELECT tenant,
       CASE WHEN member IS NULL THEN NULL ELSE code || '-member-' || least(member, :members) END,
       CASE WHEN entity IN ('client', 'document', 'document_version', 'filing', 'task',
                            'service_request')
            THEN first_client + (g * 7919) % :clients END,
       entity, 1 + g % 500000,
       CASE WHEN g % 10 = 0 THEN 'delete' WHEN g % 10 < 5 THEN 'create' ELSE 'update' END,
       CASE WHEN g % 10 = 0 THEN jsonb_build_object('deleted', jsonb_build_object('id', g))
            WHEN g % 10 < 5 THEN jsonb_build_object('name', jsonb_build_array(NULL, 'Item ' || g),
                                                    'status', jsonb_build_array(NULL, 'new'))
            ELSE jsonb_build_object('status', jsonb_build_array('draft', 'prepared')) END,
       (now() AT TIME ZONE 'UTC')::timestamp(3) - ((g / 3) * :apart) * interval '1 second',
       '10.0.0.' || (g % 200), 'GCMC Desktop'
FROM typed  -- in generate_series order: the firms one after the other, oldest last
"""


def prepare_database(admin_url, rows: int, today: date) -> tuple[Any, int]:
    from sqlalchemy import text

    from gcmc_desktop.db import make_engine, migrate
    from gcmc_desktop.db.embedded import ensure_database

    ensure_database(admin_url, DATABASE)
    url = admin_url.set(database=DATABASE)
    engine = make_engine(
        url,
        statement_timeout=None,
        connect_args={
            "options": "-c timezone=UTC -c maintenance_work_mem=1GB "
            "-c max_parallel_maintenance_workers=2 -c synchronous_commit=off"
        },
    )
    have = None
    with engine.connect() as conn, contextlib.suppress(Exception):
        have = conn.scalar(
            text(
                'SELECT count(*) FROM audit_logs a JOIN tenants t ON t.id = a."tenantId" '
                'WHERE t.code = :code AND t."createdAt"::date = :today'
            ),
            {"code": TENANT_CODE, "today": today},
        )
    if have == rows and migrate.current_revision(engine) == migrate.head_revision():
        print(f"Reusing the loaded database ({rows:,} audit rows).")
    else:
        t0 = time.perf_counter()
        migrate.reset(engine)
        migrate.upgrade(engine)
        with engine.begin() as conn:
            indexes = list(
                conn.execute(
                    text(
                        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'audit_logs' "
                        "AND indexname <> 'audit_logs_pkey'"
                    )
                )
            )
            for name, _definition in indexes:
                conn.execute(text(f'DROP INDEX "{name}"'))
        params = {
            "rows": rows,
            "other": OTHER_ROWS,
            "clients": CLIENTS,
            "members": MEMBERS,
            "apart": SECONDS_APART,
        }
        statements = [st for st in LOAD_SQL.split(";\n") if st.strip()]
        with engine.begin() as conn:
            for statement in statements[:2]:  # firms and clients
                conn.execute(text(statement), params)
            tenants = [t for (t,) in conn.execute(text("SELECT id FROM tenants ORDER BY id"))]
        for tenant in tenants:  # the members need a role
            _roles(engine, tenant)
        with engine.begin() as conn:
            # The rows are consistent by construction: skip the per-row foreign-key checks,
            # which at 10M rows take longer than the insert itself.
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            for statement in statements[2:]:
                conn.execute(text(statement), params)
        t1 = time.perf_counter()
        print(f"Loaded {rows:,} + {OTHER_ROWS:,} audit rows in {t1 - t0:.0f} s.", flush=True)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for _name, definition in indexes:
                conn.execute(text(definition))
        t2 = time.perf_counter()
        print(f"Built the {len(indexes)} audit_logs indexes in {t2 - t1:.0f} s.", flush=True)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in ("audit_logs", "clients", '"user"', "tenant_users"):
                conn.execute(text(f"VACUUM ANALYZE {table}"))
        print(f"VACUUM ANALYZE in {time.perf_counter() - t2:.0f} s.", flush=True)
    with engine.connect() as conn:
        tenant_id = conn.scalar(text("SELECT id FROM tenants WHERE code = :c"), {"c": TENANT_CODE})
    ensure_staff(engine, tenant_id)
    engine.dispose()
    return url, tenant_id


def _roles(engine, tenant_id: int) -> None:
    from gcmc_desktop.db import session_factory
    from gcmc_desktop.services.tenancy import ensure_standard_roles

    with session_factory(engine)() as session:
        ensure_standard_roles(session, tenant_id)
        session.commit()


FREQUENT_USER = "bench-member-1"  # ~29% of the firm's entries
RARE_USER = "bench-member-20"
CLIENT_SEARCH = "Client 1234"  # 2 clients of 10,000 ("Client 1234", "Client 12340"…)
USER_SEARCH = "Member 3 bench"


def list_bench(
    rows: int, today: date, tenant_id: int, first_client: int, *, for_qsql: bool = False
) -> ListBench:
    """The Audit page as the harness steps it, and QSqlQueryModel with the same SQL.

    `for_qsql`: each step starts from a small result (the rare-record filter) instead of the
    whole list — QSqlQueryModel reads every row of a result, so starting each step from the
    10M-row list would read it once more per step (minutes each) without changing what the
    step times: the new query's rows read until painted. "Include archived" is left out there:
    its plain SQL is the first page's."""
    from gcmc_desktop.services import audit_trail as a

    year_ago = today - timedelta(days=365)
    week_end = year_ago + timedelta(days=6)
    client = first_client + 1234
    newest = (None, "created", True)
    start = ("rare_entity", "created", True) if for_qsql else newest
    none = {
        a.ACTOR: None,
        a.ENTITY: None,
        a.ACTION: None,
        a.CLIENT: None,
        a.SINCE: None,
        a.UNTIL: None,
        a.ARCHIVED: False,
        SEARCH_KEY: "",
    }

    def state(**changes: Any) -> dict[str, Any]:
        return {**none, **changes}

    steps = (
        ("frequent_user", "filter: a frequent user (29%)", state(**{a.ACTOR: FREQUENT_USER})),
        ("rare_user", "filter: a rare user (0.1%)", state(**{a.ACTOR: RARE_USER})),
        ("entity", "filter: record = filing (20%)", state(**{a.ENTITY: "filing"})),
        (
            "rare_entity",
            "filter: record = recurring filing (0.1%)",
            state(**{a.ENTITY: "recurring_filing"}),
        ),
        ("action", "filter: action = delete (10%)", state(**{a.ACTION: "delete"})),
        ("client", "filter: one client", state(**{a.CLIENT: client})),
        ("range", "filter: one week a year ago", state(**{a.SINCE: year_ago, a.UNTIL: week_end})),
        ("search", f"search: {CLIENT_SEARCH!r}", state(**{SEARCH_KEY: CLIENT_SEARCH})),
        ("search_user", f"search: {USER_SEARCH!r}", state(**{SEARCH_KEY: USER_SEARCH})),
        ("archived", "Include archived (union)", state(**{a.ARCHIVED: None})),
    )
    base_sql = (
        'SELECT a."createdAt", u.name, a.action, a."entityType", a."entityId", c.name, '
        'a.changes, a."ipAddress", false, a."clientId", a.id '
        'FROM audit_logs a LEFT JOIN "user" u ON u._id = a."actorUserId" '
        'LEFT JOIN clients c ON c.id = a."clientId" '
        'WHERE a."tenantId" = {tenant}'
    )
    like = "'%{}%'"
    where = {
        None: "",
        "frequent_user": f" AND a.\"actorUserId\" = '{FREQUENT_USER}'",
        "rare_user": f" AND a.\"actorUserId\" = '{RARE_USER}'",
        "entity": " AND a.\"entityType\" = 'filing'",
        "rare_entity": " AND a.\"entityType\" = 'recurring_filing'",
        "action": " AND a.action = 'delete'",
        "client": f' AND a."clientId" = {client}',
        "range": f" AND a.\"createdAt\" >= '{year_ago}' "
        f"AND a.\"createdAt\" < '{week_end + timedelta(days=1)}'",
        "search": f" AND (c.name ILIKE {like.format(CLIENT_SEARCH)} OR c.email ILIKE "
        f"{like.format(CLIENT_SEARCH)} OR u.name ILIKE {like.format(CLIENT_SEARCH)})",
        "search_user": f" AND (c.name ILIKE {like.format(USER_SEARCH)} OR "
        f"u.name ILIKE {like.format(USER_SEARCH)} OR u.email ILIKE {like.format(USER_SEARCH)})",
        "archived": "",
    }
    return ListBench(
        title=f"Audit page of one firm with {rows:,} audit rows",
        first_label="first page (newest first)",
        initial=newest,
        steps=tuple(
            Step(key, label, start, after)
            for key, label, after in (
                *((key, label, (key, "created", True)) for key, label, _f in steps),
                ("end", "the end: sort oldest first", (None, "created", False)),
            )
            if not (for_qsql and key == "archived")
        ),
        query=a.firm_audit_query,
        filters={None: none, **{key: f for key, _label, f in steps}},
        qsql_base=base_sql,
        qsql_where=where,
        qsql_order={
            ("created", True): ' ORDER BY a."createdAt" DESC, a.id DESC',
            ("created", False): ' ORDER BY a."createdAt", a.id',
        },
    )


def scroll_to_end(url: str, tenant_id: int, repeat: int) -> dict[str, Any]:
    """Ours: the scroll bar dragged to the very bottom once the total is known."""
    from gcmc_desktop.services.audit_trail import firm_audit_query
    from gcmc_desktop.views.table_model import PagedTableModel, query_pool

    ctx = staff_context(url)
    stage = Stage()
    times = []
    total = None
    for _ in range(repeat):
        model = PagedTableModel(firm_audit_query(ctx), ctx.reading)
        stage.view.setModel(model)
        stage.wait(lambda m=model: m.total is not None)
        query_pool().waitForDone()
        stage.settle()
        total = model.total
        last = model.rowCount() - 1

        def jump(m=model, row=last) -> None:
            stage.view.scrollToBottom()
            stage.wait(lambda: m.row_loaded(row))

        times.append(stage.timed(jump))
    ctx.session.close()
    return {"scroll_end": sorted(times)[len(times) // 2], "total": total}


def _first_client(url: str, tenant_id: int) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        found = conn.scalar(
            text('SELECT min(id) FROM clients WHERE "tenantId" = :t'), {"t": tenant_id}
        )
    engine.dispose()
    return int(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--pgdata", type=Path, help="keep the server's data here and reuse it")
    parser.add_argument("--only", choices=("ours", "qsql"), action="append")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--qsql-repeat", type=int, default=1)
    parser.add_argument("--variant", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--tenant", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--first-client", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--socket-dir", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.variant:
        try:
            bench = list_bench(
                args.rows,
                date.today(),
                args.tenant,
                args.first_client,
                for_qsql=args.variant == "qsql",
            )
            if args.variant == "ours":
                result = run_ours(bench, args.url, args.tenant, args.repeat)
                result.update(scroll_to_end(args.url, args.tenant, args.repeat))
            else:
                result = run_qsql(
                    bench, args.url, args.tenant, args.repeat, args.socket_dir, args.port, DATABASE
                )
        except Exception as exc:  # reported in the table, not as a traceback
            result = {"na": f"failed: {type(exc).__name__}: {exc}"}
        print("RESULT " + json.dumps(result, default=str), flush=True)
        return

    from gcmc_desktop.db.embedded import server_url

    with bench_server(args.pgdata) as server:
        info = server.get_postmaster_info()
        url, tenant_id = prepare_database(server_url(server), args.rows, date.today())
        plain = url.render_as_string(hide_password=False)
        first_client = _first_client(plain, tenant_id)
        results = {}
        for variant in ("ours", "qsql"):
            if args.only and variant not in args.only:
                results[variant] = {"na": "not run (--only)"}
                continue
            repeat = args.repeat if variant == "ours" else args.qsql_repeat
            common = [
                "--repeat", str(repeat), "--url", plain, "--tenant", str(tenant_id),
                "--first-client", str(first_client),
                "--socket-dir", str(info.socket_dir or ""),
                "--port", str(info.port or 5432), "--rows", str(args.rows),
            ]  # fmt: skip
            print(f"Running {variant} …", flush=True)
            results[variant] = spawn(variant, common, __file__)
        qsql = results["qsql"]
        if "na" not in qsql:
            # Not run there: its plain SQL is the first page's (whose rows the end step counts).
            qsql.setdefault("archived_total", qsql.get("end_total", 0))
        report(list_bench(args.rows, date.today(), tenant_id, first_client), results)
        ours = results["ours"]
        if "scroll_end" in ours:
            print(
                f"Ours: scroll bar to the last of {ours['total']:,} rows (total known): "
                f"{ours['scroll_end']:.1f} ms."
            )


if __name__ == "__main__":
    main()
