"""Benchmark the client reports (issue 16): how long each of the five reports takes to gather
(as a signed-in staff FirmAdmin, row-level security on) and to draw, how many pages it has and
how much memory it peaks at, for a client with many documents and filings; and the batch ZIP
of every demo client's compliance report.

    uv run python bench/reports.py [--documents 500] [--filings 300] [--repeat 3]

Starts its own embedded PostgreSQL (temporary directory), migrates to head, loads the demo data
(rows only, no files) and adds one client with --documents documents over five types (a third
expired or expiring) and --filings filings of six statuses. The demo FirmAdmin signs in through
the real sign-in service (own PostgreSQL login)."""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

GATEWAY_PASSWORD = "gateway-bench-reports"


def add_big_client(session, tenant_id: int, documents: int, filings: int) -> int:
    from sqlalchemy import select

    from gcmc_desktop.models import (
        Client,
        Document,
        DocumentType,
        DocumentVersion,
        Filing,
        FilingType,
    )

    client = Client(tenant_id=tenant_id, name="Bulk Trading Ltd", type="company")
    session.add(client)
    session.flush()
    types = session.scalars(
        select(DocumentType).where(DocumentType.tenant_id == tenant_id).order_by(DocumentType.id)
    ).all()[:5]
    filing_type = session.scalars(
        select(FilingType).where(FilingType.tenant_id == tenant_id).order_by(FilingType.id)
    ).first()
    now = datetime.now(UTC).replace(tzinfo=None)
    for i in range(documents):
        expires = now + timedelta(days=(i % 90) - 20)
        document = Document(
            tenant_id=tenant_id,
            client_id=client.id,
            document_type_id=types[i % 5].id,
            title=f"Bulk document {i:05d}",
            status="valid" if expires > now else "expired",
            authority=types[i % 5].authority,
        )
        version = DocumentVersion(
            document=document,
            file_url=f"bulk/{i}",
            storage_provider="local",
            is_latest=True,
            expiry_date=expires,
            meta={"documentNumber": f"BN-{i:05d}"},
        )
        document.latest_version = version
        session.add_all([document, version])
    statuses = ("draft", "prepared", "submitted", "approved", "overdue", "archived")
    for i in range(filings):
        end = datetime(1990 + i // 12, i % 12 + 1, 28)
        session.add(
            Filing(
                tenant_id=tenant_id,
                client_id=client.id,
                filing_type_id=filing_type.id,
                period_start=end.replace(day=1),
                period_end=end,
                period_label=f"Period {i:05d}",
                status=statuses[i % 6],
                reference_number=f"REF-{i:05d}",
                tax_amount=1000.0 + i,
                total=1000.0 + i,
            )
        )
    session.commit()
    return client.id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=500)
    parser.add_argument("--filings", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from io import BytesIO

    from pypdf import PdfReader
    from sqlalchemy import select

    from gcmc_desktop.db import make_engine, migrate, session_factory
    from gcmc_desktop.db.embedded import ensure_database, server_url, start_server
    from gcmc_desktop.models import Client, Tenant
    from gcmc_desktop.services import auth
    from gcmc_desktop.services.demo.seed import demo_credentials, seed_demo
    from gcmc_desktop.services.reports import KINDS, batch_zip, gather, render_pdf
    from gcmc_desktop.services.users import ensure_login_roles

    root = Path(tempfile.mkdtemp(prefix="gcmc-bench-reports-"))
    server = start_server(root / "pgdata")
    try:
        admin = server_url(server)
        ensure_database(admin, "gcmc_bench_reports")
        url = admin.set(database="gcmc_bench_reports")
        engine = make_engine(url, statement_timeout=None)
        migrate.upgrade(engine)
        with session_factory(engine)() as session:
            seed_demo(session, files=False)
            ensure_login_roles(session.connection(), demo_credentials(True))
            session.commit()
            tenant_id = session.scalar(select(Tenant.id).where(Tenant.code == "demo"))
            t0 = time.perf_counter()
            big = add_big_client(session, tenant_id, args.documents, args.filings)
            print(
                f"Loaded a client with {args.documents:,} documents and {args.filings:,} "
                f"filings in {time.perf_counter() - t0:.1f} s."
            )
            demo_clients = session.scalars(
                select(Client.id).where(Client.tenant_id == tenant_id, Client.id != big)
            ).all()
        auth.set_gateway_password(engine, GATEWAY_PASSWORD)
        profile = auth.ServerProfile(
            url.set(username=None, password=None),
            url.set(username="gcmc_login", password=GATEWAY_PASSWORD),
        )
        _role, email, password = demo_credentials()[1]
        ctx = auth.open_context(auth.sign_in(profile, email, password))
        print(f"Signed in as {ctx.email} ({ctx.role_name}), RLS on.\n")
        print(f"{'report':<20}{'gather ms':>11}{'draw ms':>10}{'pages':>7}{'KB':>8}{'peak MB':>9}")
        for kind, title in KINDS.items():
            gathers, draws = [], []
            for _ in range(args.repeat):
                ctx.session.rollback()
                t0 = time.perf_counter()
                report = gather(ctx, kind, big)
                t1 = time.perf_counter()
                pdf = render_pdf(report)
                draws.append(time.perf_counter() - t1)
                gathers.append(t1 - t0)
            ctx.session.rollback()
            tracemalloc.start()
            render_pdf(gather(ctx, kind, big))
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            pages = len(PdfReader(BytesIO(pdf)).pages)
            print(
                f"{title:<20}{statistics.median(gathers) * 1000:>11.0f}"
                f"{statistics.median(draws) * 1000:>10.0f}{pages:>7}{len(pdf) / 1024:>8.0f}"
                f"{peak / 2**20:>9.1f}"
            )
        out = root / "batch.zip"
        t0 = time.perf_counter()
        result = batch_zip(ctx, demo_clients, out)
        elapsed = time.perf_counter() - t0
        print(
            f"\nBatch: {len(result.written)} compliance reports in one ZIP "
            f"({out.stat().st_size / 1024:.0f} KB) in {elapsed:.1f} s "
            f"({elapsed / max(len(result.written), 1) * 1000:.0f} ms per client)."
        )
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"Machine: {os.cpu_count()} CPU cores, load average {load}.")
        ctx.session.close()
        engine.dispose()
    finally:
        with contextlib.suppress(Exception):
            server.cleanup()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
