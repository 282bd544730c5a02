"""What the list benchmarks share: a list stepped through states (a filter, a sort) on our
`PagedTableModel` over a service's `PagedQuery` and on Qt's QSqlQueryModel with the same SQL,
both as the same staff login with row-level security on, each state timed until its first
rows are painted, and the side-by-side report.

A bench describes its list as data — `ListBench`: the query factory, the filters each named
state sets, the QSqlQueryModel SQL (base, WHERE per state, ORDER BY per sort) — and calls
`run_ours` / `run_qsql` in child processes (`table_model.spawn`), then `report` — or hands
`list_main` its database loader and bench, which does all of that behind the usual command line
(--rows, --pgdata, --only, --repeat). The staff sign-in, the painting stage and the process
helpers are bench/table_model.py's.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from table_model import (
    STAFF_PASSWORD,
    Stage,
    bench_server,
    fmt_ms,
    median,
    peak_mb,
    rss_mb,
    spawn,
    staff_context,
)

SEARCH_KEY = "__search"  # in a state's filters: the search term it types
# A state of the list: (filters name or None, sort column key, descending).
State = tuple[str | None, str, bool]


@dataclass(frozen=True)
class Step:
    key: str
    label: str
    before: State
    after: State


@dataclass(frozen=True)
class ListBench:
    title: str  # "Service requests list of one firm with 1,000,000 requests"
    first_label: str
    initial: State
    steps: tuple[Step, ...]
    # ours
    query: Callable[[Any], Any]  # ctx -> PagedQuery
    filters: Mapping[str | None, Mapping[str, Any]]  # state name -> the query's filters
    # QSqlQueryModel: SELECT … WHERE tenant (format {tenant}), + where[state] + order[(key, desc)]
    qsql_base: str
    qsql_where: Mapping[str | None, str]
    qsql_order: Mapping[tuple[str, bool], str]


def run_ours(bench: ListBench, url: str, tenant_id: int, repeat: int) -> dict[str, Any]:
    from PySide6.QtCore import Qt

    from gcmc_desktop.views.table_model import PagedTableModel, query_pool, survey_pool

    ctx = staff_context(url)
    assert ctx.tenant_id == tenant_id
    stage = Stage()
    query = bench.query(ctx)
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
    out["first_total"] = box["model"].total
    model: PagedTableModel = box["model"]

    def state(which: str | None, key: str, descending: bool) -> Callable[[], None]:
        order = Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder

        def run() -> None:
            filters = dict(bench.filters[which])
            term = filters.pop(SEARCH_KEY, None)
            model.set_filters(filters)  # no reload when unchanged
            stage.wait(lambda: not model.loading)
            if term is not None and term != model.query.search:
                model.set_search(term)
                model.flush_search()
                stage.wait(lambda: not model.loading)
            stage.view.sortByColumn(query.column_index(key), order)  # likewise
            stage.wait(lambda: not model.loading)

        return run

    def repeated(prepare: Callable[[], None], action: Callable[[], None]) -> float:
        times = []
        for _ in range(repeat):
            prepare()
            quiesce()
            times.append(stage.timed(action))
            quiesce()
        return median(times)

    for step in bench.steps:
        out[step.key] = repeated(state(*step.before), state(*step.after))
        out[f"{step.key}_total"] = model.total
    out["rss_growth"] = rss_mb() - rss0
    out["peak_growth"] = peak_mb() - rss0
    ctx.session.close()
    return out


def run_qsql(
    bench: ListBench,
    url: str,
    tenant_id: int,
    repeat: int,
    socket_dir: str,
    port: int,
    database: str,
) -> dict[str, Any]:
    from PySide6.QtSql import QSqlDatabase, QSqlQuery, QSqlQueryModel

    stage = Stage()
    if "QPSQL" not in QSqlDatabase.drivers():
        return {"na": f"no QPSQL driver (have {QSqlDatabase.drivers()})"}
    db = QSqlDatabase.addDatabase("QPSQL", "bench")
    db.setHostName(socket_dir)
    db.setPort(port)
    db.setDatabaseName(database)
    ctx = staff_context(url)
    role = ctx.session.get_bind().url.username
    ctx.session.close()
    db.setUserName(role)
    db.setPassword(STAFF_PASSWORD)
    if not db.open():
        return {"na": f"QPSQL cannot connect: {db.lastError().text()}"}
    QSqlQuery(f"SELECT set_config('gcmc.tenant_id', '{tenant_id}', false)", db)
    base = bench.qsql_base.format(tenant=tenant_id)
    out: dict[str, Any] = {"user": f"{role} (same login), RLS on"}
    rss0 = rss_mb()
    box: dict[str, Any] = {"model": QSqlQueryModel()}
    repeat = min(repeat, 2)  # each run holds the whole result

    def set_query(which: str | None, key: str, descending: bool) -> Callable[[], None]:
        sql = base + bench.qsql_where[which] + bench.qsql_order[(key, descending)]

        def run() -> None:
            box["model"].setQuery(QSqlQuery(sql, db))
            if box["model"].lastError().isValid():
                raise RuntimeError(box["model"].lastError().text())

        return run

    initial = set_query(*bench.initial)

    def first() -> None:
        box["model"] = QSqlQueryModel()
        initial()
        stage.view.setModel(box["model"])

    out["first"] = median([stage.timed(first) for _ in range(repeat)])

    def repeated(prepare: Callable[[], None], action: Callable[[], None]) -> float:
        times = []
        for _ in range(repeat):
            prepare()
            stage.paint()
            times.append(stage.timed(action))
        return median(times)

    for step in bench.steps:
        out[step.key] = repeated(set_query(*step.before), set_query(*step.after))
        model = box["model"]
        while model.canFetchMore():
            model.fetchMore()
        out[f"{step.key}_total"] = model.rowCount()
    out["rss_growth"] = rss_mb() - rss0
    out["peak_growth"] = peak_mb() - rss0
    return out


def report(bench: ListBench, results: dict[str, dict[str, Any]]) -> None:
    names = {"ours": "ours", "qsql": "QSqlQueryModel"}
    lines = [(bench.first_label, "first"), *((s.label, s.key) for s in bench.steps)]
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    ours, qsql = results["ours"], results["qsql"]
    width = 36
    print()
    print(f"{bench.title} (staff user, RLS on)")
    print(f"Machine: {os.cpu_count()} CPU cores, load average {load}; medians of the runs.")
    print("measure".ljust(width) + "ours".rjust(14) + "QSqlQueryModel".rjust(16) + "ratio".rjust(9))

    def cell(result: dict[str, Any], key: str) -> str:
        value = result.get(key)
        return "n/a" if "na" in result or value is None else fmt_ms(value)

    for title, key in lines:
        ratio = ""
        if "na" not in ours and "na" not in qsql and ours.get(key) and qsql.get(key):
            ratio = f"{qsql[key] / ours[key]:.1f}x"
        print(
            title.ljust(width)
            + cell(ours, key).rjust(14)
            + cell(qsql, key).rjust(16)
            + ratio.rjust(9)
        )
    mem = ["n/a" if "na" in results[v] else f"{results[v]['peak_growth']:,.1f} MB" for v in names]
    print("RSS growth at peak".ljust(width) + mem[0].rjust(14) + mem[1].rjust(16))
    print("(ratio = QSqlQueryModel time / ours)")
    for variant in names:
        if "na" in results[variant]:
            print(f"{names[variant]}: n/a — {results[variant]['na']}")
    if "na" not in ours:
        print(
            f"Ours: signed in as {ours['user']}; rows {ours['first_total']:,} in all, "
            + ", ".join(f"{s.label.strip()} {ours[f'{s.key}_total']:,}" for s in bench.steps)
            + "."
        )
    if "na" not in qsql:
        print(
            "QSqlQueryModel rows: "
            + ", ".join(f"{s.label.strip()} {qsql[f'{s.key}_total']:,}" for s in bench.steps)
            + "."
        )


def list_main(
    doc: str,
    script: str,
    prepare: Callable[[Any, int], tuple[Any, int]],  # (admin URL, rows) -> (URL, tenant id)
    make_bench: Callable[[int], ListBench],  # rows -> the bench
    database: str,
    default_rows: int,
) -> None:
    """A list bench's whole command line: start (or reuse, --pgdata) an embedded server, load it
    with `prepare`, run ours and QSqlQueryModel each in its own process as the staff user, print
    the side-by-side report. `script` is the bench's own file (the child processes run it)."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=default_rows)
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
            bench = make_bench(args.rows)
            if args.variant == "ours":
                result = run_ours(bench, args.url, args.tenant, args.repeat)
            else:
                result = run_qsql(
                    bench, args.url, args.tenant, args.repeat, args.socket_dir, args.port, database
                )
        except Exception as exc:  # reported in the table, not as a traceback
            result = {"na": f"failed: {type(exc).__name__}: {exc}"}
        print("RESULT " + json.dumps(result), flush=True)
        return

    from gcmc_desktop.db.embedded import server_url

    with bench_server(args.pgdata) as server:
        info = server.get_postmaster_info()
        url, tenant_id = prepare(server_url(server), args.rows)
        common = [
            "--repeat", str(args.repeat),
            "--url", url.render_as_string(hide_password=False),
            "--tenant", str(tenant_id),
            "--socket-dir", str(info.socket_dir or ""),
            "--port", str(info.port or 5432), "--rows", str(args.rows),
        ]  # fmt: skip
        results = {}
        for variant in ("ours", "qsql"):
            if args.only and variant not in args.only:
                results[variant] = {"na": "not run (--only)"}
                continue
            print(f"Running {variant} …", flush=True)
            results[variant] = spawn(variant, common, script)
        report(make_bench(args.rows), results)
