"""Benchmark the list export (services/export.py): the clients list of a firm with 1,000,000
clients to CSV and to XLSX, signed in as a staff user (own PostgreSQL login, row-level
security on), through the real `client_list_query(ctx)` and `export_list` — as the clients
page's Export… runs it, with every column the page shows.

    uv run python bench/export.py [--rows 1000000] [--pgdata DIR] [--only csv|xlsx]

Starts its own embedded PostgreSQL (in a temporary directory, or in --pgdata, reused by later
runs with the same --rows) and loads the clients bench's firm (bench/table_model.py: N clients
by COPY plus a 50,000-client second firm, the desktop's indexes, VACUUM ANALYZE). Each run is a
process of its own, so memory figures are not mixed up:

  time        wall time of `export_list` (the count, the cursor, formatting, writing), as the
              list shows it: sorted by name
  RSS peak    the process's resident-set high-water mark during the export, minus its size
              after sign-in — what the export itself needs
  heap peak   tracemalloc's peak of Python allocations during the export (a second run: the
              tracing slows Python down, so its time is not the export's)

Memory must stay bounded: the rows go from a server-side cursor (2,000 at a time) straight to
the file; xlsxwriter's constant-memory mode keeps one row of the sheet in memory.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from table_model import peak_mb, prepare_database, rss_mb, staff_context

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def run_variant(url: str, fmt: str, trace: bool, out_dir: Path) -> dict[str, Any]:
    import tracemalloc

    from gcmc_desktop.services.client_list import client_list_query
    from gcmc_desktop.services.export import ExportColumn, export_list

    ctx = staff_context(url)
    query = client_list_query(ctx)
    # What the clients page exports: its columns in their order, with their titles.
    columns = [ExportColumn(c.key, c.title) for c in query.columns]
    target = out_dir / f"clients.{fmt}"
    rss0 = rss_mb()
    if trace:
        tracemalloc.start()
    t0 = time.perf_counter()
    result = export_list(ctx, query, columns, target, module="clients", sheet="Clients")
    elapsed = time.perf_counter() - t0
    out: dict[str, Any] = {
        "user": f"{ctx.email} ({ctx.role_name}), RLS on",
        "rows": result.rows,
        "seconds": elapsed,
        "rss_peak": peak_mb() - rss0,
        "bytes": target.stat().st_size,
    }
    if trace:
        out["heap_peak"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    target.unlink()
    ctx.session.close()
    return out


def spawn(fmt: str, trace: bool, url: str, out_dir: Path) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--variant", fmt, "--url", url, "--out", str(out_dir)]
    if trace:
        cmd.append("--trace")
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
    return {"na": f"exited with {proc.returncode}: {' / '.join(tail)}"}


def report(rows: int, results: dict[str, dict[str, Any]]) -> None:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print()
    print(f"Export of the clients list of a firm with {rows:,} clients (staff user, RLS on)")
    print(f"Machine: {os.cpu_count()} CPU cores, load average {load}.")
    print(
        "format".ljust(8)
        + "rows".rjust(11)
        + "time".rjust(10)
        + "rows/s".rjust(10)
        + "file".rjust(11)
        + "RSS peak".rjust(11)
        + "heap peak".rjust(11)
    )
    for fmt in ("csv", "xlsx"):
        plain, traced = results.get(fmt, {}), results.get(f"{fmt}+trace", {})
        if not plain:
            continue
        if "na" in plain:
            print(f"{fmt:<8} n/a — {plain['na']}")
            continue
        heap = "n/a" if "heap_peak" not in traced else f"{traced['heap_peak']:.1f} MB"
        print(
            fmt.ljust(8)
            + f"{plain['rows']:,}".rjust(11)
            + f"{plain['seconds']:.1f} s".rjust(10)
            + f"{plain['rows'] / plain['seconds']:,.0f}".rjust(10)
            + f"{plain['bytes'] / 2**20:,.0f} MB".rjust(11)
            + f"{plain['rss_peak']:.1f} MB".rjust(11)
            + heap.rjust(11)
        )
    first = next((r for r in results.values() if "user" in r), None)
    if first:
        print(f"Signed in as {first['user']}. RSS peak: growth of the process's high-water mark")
        print("over its size after sign-in; heap peak: tracemalloc, in a separate traced run.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--pgdata", type=Path, help="keep the server's data here and reuse it")
    parser.add_argument("--only", choices=("csv", "xlsx"), action="append")
    parser.add_argument("--no-trace", action="store_true", help="skip the tracemalloc runs")
    parser.add_argument("--variant", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.variant:
        try:
            result = run_variant(args.url, args.variant, args.trace, args.out)
        except Exception as exc:  # reported in the table, not as a traceback
            result = {"na": f"failed: {type(exc).__name__}: {exc}"}
        print("RESULT " + json.dumps(result), flush=True)
        return

    from gcmc_desktop.db.embedded import server_url, start_server

    temporary = args.pgdata is None
    pgdata = Path(tempfile.mkdtemp(prefix="gcmc-bench-")) / "pgdata" if temporary else args.pgdata
    out_dir = Path(tempfile.mkdtemp(prefix="gcmc-export-"))
    try:
        server = start_server(pgdata)
        url, _tenant_id = prepare_database(server_url(server), args.rows)
        plain_url = url.render_as_string(hide_password=False)
        results: dict[str, dict[str, Any]] = {}
        for fmt in args.only or ("csv", "xlsx"):
            for trace in (False,) if args.no_trace else (False, True):
                name = f"{fmt}+trace" if trace else fmt
                print(f"Running {name} …", flush=True)
                results[name] = spawn(fmt, trace, plain_url, out_dir)
                print(f"  {results[name]}", flush=True)
        report(args.rows, results)
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)
        if temporary:
            with contextlib.suppress(Exception):
                server.cleanup()  # type: ignore[possibly-undefined]
            shutil.rmtree(pgdata.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
