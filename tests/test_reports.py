"""Client reports as PDFs (issue 16, DOMAIN.md §10): each of the five on the demo data, signed
in as a staff user (own login, row-level security on), its text extracted with pypdf and its
figures checked against the database; a client with 500 documents and 300 filings; page 1
rendered to PNG; the batch ZIP (and its cancel); storing a report as a client document; the
CLI; and the preview dialog on real widgets."""

from __future__ import annotations

import io
import os
import re
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.engine import URL

from gcmc_desktop.db import make_engine, session_factory
from gcmc_desktop.models import (
    Client,
    ComplianceScore,
    Document,
    DocumentType,
    DocumentVersion,
    Filing,
    FilingType,
    Tenant,
)
from gcmc_desktop.services import auth
from gcmc_desktop.services.context import Context
from gcmc_desktop.services.demo.seed import demo_credentials, seed_demo
from gcmc_desktop.services.errors import PermissionDenied
from gcmc_desktop.services.reports import (
    KINDS,
    BatchCancelled,
    batch_zip,
    gather,
    render_pdf,
    report_type_id,
)
from gcmc_desktop.services.reports.render import clean
from gcmc_desktop.services.users import ensure_login_roles

GATEWAY_PASSWORD = "gateway-reports-42"
NOW = datetime.now(UTC)


@dataclass
class Demo:
    admin: Engine
    profile: auth.ServerProfile
    tenant_id: int
    passwords: dict[str, tuple[str, str]]  # role -> (e-mail, password)
    big_client: int

    def sign_in(self, role: str = "FirmAdmin") -> Context:
        email, password = self.passwords[role]
        return auth.open_context(auth.sign_in(self.profile, email, password))


def _add_big_client(session, tenant_id: int) -> int:
    """500 documents over 5 types and 300 filings, for the multi-page reports."""
    client = Client(tenant_id=tenant_id, name="Bulk Trading Ltd", type="company", tin="123456789")
    session.add(client)
    session.flush()
    types = session.scalars(
        select(DocumentType).where(DocumentType.tenant_id == tenant_id).order_by(DocumentType.id)
    ).all()[:5]
    filing_type = session.scalars(
        select(FilingType).where(FilingType.tenant_id == tenant_id).order_by(FilingType.id)
    ).first()
    now = datetime.now(UTC).replace(tzinfo=None)
    for i in range(500):
        expires = now + timedelta(days=(i % 90) - 20)
        document = Document(
            tenant_id=tenant_id,
            client_id=client.id,
            document_type_id=types[i % 5].id,
            title=f"Bulk document {i:03d}",
            status="valid" if expires > now else "expired",
            authority=types[i % 5].authority,
        )
        version = DocumentVersion(
            document=document,
            file_url=f"bulk/{i}",
            storage_provider="local",
            is_latest=True,
            expiry_date=expires,
            meta={"documentNumber": f"BN-{i:04d}"},
        )
        document.latest_version = version
        session.add_all([document, version])
    statuses = ("draft", "prepared", "submitted", "approved", "overdue", "archived")
    for i in range(300):
        end = datetime(2000 + i // 12, i % 12 + 1, 28)
        session.add(
            Filing(
                tenant_id=tenant_id,
                client_id=client.id,
                filing_type_id=filing_type.id,
                period_start=end.replace(day=1),
                period_end=end,
                period_label=f"Bulk period {i:03d}",
                status=statuses[i % 6],
                reference_number=f"REF-{i:04d}",
                tax_amount=1000.0 + i,
                total=1000.0 + i,
            )
        )
    session.commit()
    return client.id


@pytest.fixture(scope="module")
def demo(server_url: URL, template_url: URL, tmp_path_factory) -> Iterator[Demo]:
    name = f"gcmc_test_reports_{os.getpid()}"
    admin_server = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin_server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(
            text(f'CREATE DATABASE "{name}" TEMPLATE "{template_url.database}" STRATEGY FILE_COPY')
        )
    url = server_url.set(database=name)
    engine = make_engine(url)
    from gcmc_desktop.services.storage.folder import LocalFolderStorage

    with session_factory(engine)() as session:
        seed_demo(session, storage=LocalFolderStorage(tmp_path_factory.mktemp("files")))
        ensure_login_roles(session.connection(), demo_credentials(True))
        session.commit()
        tenant_id = session.scalar(select(Tenant.id).where(Tenant.code == "demo"))
        big = _add_big_client(session, tenant_id)
    auth.set_gateway_password(engine, GATEWAY_PASSWORD)
    profile = auth.ServerProfile(
        url.set(username=None, password=None),
        url.set(username="gcmc_login", password=GATEWAY_PASSWORD),
    )
    passwords = {role: (email, pw) for role, email, pw in demo_credentials()}
    yield Demo(engine, profile, tenant_id, passwords, big)
    engine.dispose()
    with admin_server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin_server.dispose()


@pytest.fixture(scope="module")
def firm_admin(demo: Demo) -> Iterator[Context]:
    ctx = demo.sign_in("FirmAdmin")
    yield ctx
    ctx.session.close()


def pdf_text(data: bytes) -> tuple[str, list[str]]:
    reader = PdfReader(io.BytesIO(data))
    pages = [page.extract_text() or "" for page in reader.pages]
    return "\n".join(pages), pages


def flat(value: str) -> str:
    """Text as the PDF's extraction gives it back: the font's spelling, whitespace folded."""
    return " ".join(clean(value).split())


def folded(text_: str) -> str:
    return " ".join(text_.split())


def busiest_client(demo: Demo) -> tuple[int, str]:
    """The demo client with the most documents (not the bulk one)."""
    with demo.admin.connect() as conn:
        row = conn.execute(
            text(
                'SELECT c.id, c.name FROM clients c JOIN documents d ON d."clientId" = c.id '
                'WHERE c."tenantId" = :t AND c.id <> :big GROUP BY c.id, c.name '
                "ORDER BY count(*) DESC, c.id LIMIT 1"
            ),
            {"t": demo.tenant_id, "big": demo.big_client},
        ).one()
    return row.id, row.name


# --------------------------------------------------------------------------------------------


def test_every_report_has_header_title_client_time_and_page_numbers(demo, firm_admin) -> None:
    client_id, name = busiest_client(demo)
    for kind, title in KINDS.items():
        report = gather(firm_admin, kind, client_id, now=NOW)
        data = render_pdf(report)
        assert data.startswith(b"%PDF-")
        whole, pages = pdf_text(data)
        text_ = folded(whole)
        assert title in text_ and flat(name) in text_ and "Demo Company" in text_, kind
        local = NOW.astimezone()
        assert f"Generated {local:%Y-%m-%d %H:%M}" in text_, kind
        for n, page in enumerate(pages, start=1):
            assert f"Page {n} of {len(pages)}" in page, (kind, n)
        meta = PdfReader(io.BytesIO(data)).metadata
        assert meta.title.startswith(title)


def test_compliance_report_figures_match_the_database(demo, firm_admin) -> None:
    client_id, _name = busiest_client(demo)
    with session_factory(demo.admin)() as db:
        score = db.scalars(
            select(ComplianceScore).where(ComplianceScore.client_id == client_id)
        ).one()
        have = set(
            db.scalars(select(Document.document_type_id).where(Document.client_id == client_id))
        )
        missing = sorted(
            t.name
            for t in db.scalars(
                select(DocumentType).where(DocumentType.tenant_id == demo.tenant_id)
            )
            if t.id not in have and t.name != "Report"
        )
        overdue = db.scalars(
            text(
                "SELECT f.id FROM filings f LEFT JOIN desktop_filing_due_dates d "
                'ON d."filingId" = f.id WHERE f."clientId" = :c AND (f.status = \'overdue\' '
                "OR (f.status IN ('draft', 'prepared', 'rejected') AND d.\"dueDate\" < :today))"
            ),
            {"c": client_id, "today": NOW.astimezone().date()},
        ).all()
    report = gather(firm_admin, "compliance", client_id, now=NOW)
    assert report.figures["score"] == score.score_value
    assert sorted(report.figures["missing"]) == missing
    assert sorted(report.figures["overdue"]) == sorted(overdue)
    text_ = folded(pdf_text(render_pdf(report))[0])
    assert f"{score.score_value:.0f}" in text_
    level = report.figures["level"].capitalize()
    assert level in text_
    assert f"Missing documents ({len(missing)})" in text_
    for type_name in missing:
        assert flat(type_name) in text_
    assert f"Overdue filings ({len(overdue)})" in text_
    assert "Recommendations" in text_
    if missing:
        assert f"Upload the {len(missing)} missing document" in text_


def test_client_file_documents_and_filings_figures(demo, firm_admin) -> None:
    client_id, _ = busiest_client(demo)
    with demo.admin.connect() as conn:
        docs = conn.scalar(
            text('SELECT count(*) FROM documents WHERE "clientId" = :c'), {"c": client_id}
        )
        filings = conn.scalar(
            text('SELECT count(*) FROM filings WHERE "clientId" = :c'), {"c": client_id}
        )
        titles = conn.scalars(
            text('SELECT title FROM documents WHERE "clientId" = :c'), {"c": client_id}
        ).all()
        businesses = conn.scalars(
            text('SELECT name FROM client_businesses WHERE "clientId" = :c'), {"c": client_id}
        ).all()
        tax = conn.scalar(
            text('SELECT coalesce(sum("taxAmount"), 0) FROM filings WHERE "clientId" = :c'),
            {"c": client_id},
        )
        requests = conn.scalar(
            text('SELECT count(*) FROM service_requests WHERE "clientId" = :c'), {"c": client_id}
        )
    file_report = gather(firm_admin, "client_file", client_id, now=NOW)
    assert file_report.figures["documents"] == docs
    assert file_report.figures["filings"] == filings
    text_ = folded(pdf_text(render_pdf(file_report))[0])
    assert f"Documents {docs}" in text_ and f"Filings {filings}" in text_
    for name in businesses:
        assert flat(name) in text_

    listing = gather(firm_admin, "documents", client_id, now=NOW)
    assert listing.figures["documents"] == docs
    text_ = folded(pdf_text(render_pdf(listing))[0])
    for title in titles:
        assert flat(title) in text_

    summary = gather(firm_admin, "filings", client_id, now=NOW)
    assert summary.figures["filings"] == filings
    assert float(summary.figures["total_tax"]) == pytest.approx(float(tax), abs=0.01)
    text_ = folded(pdf_text(render_pdf(summary))[0])
    assert f"G$ {summary.figures['total_tax']:,.2f}" in text_

    history = gather(firm_admin, "services", client_id, now=NOW)
    assert history.figures["requests"] == requests
    text_ = folded(pdf_text(render_pdf(history))[0])
    assert f"Service requests {requests}" in text_


def test_500_documents_and_300_filings_make_correct_multipage_reports(demo, firm_admin) -> None:
    big = demo.big_client
    listing = gather(firm_admin, "documents", big, now=NOW)
    data = render_pdf(listing)
    whole, pages = pdf_text(data)
    assert len(pages) > 5
    for n, page in enumerate(pages, start=1):
        assert f"Page {n} of {len(pages)}" in page
        assert "Bulk Trading Ltd" in page  # the running header
    # Every row is there exactly once; the column headers repeat on every page a table spans.
    found = re.findall(r"Bulk document (\d{3})", whole)
    assert sorted(found) == [f"{i:03d}" for i in range(500)]
    assert sum("Document no." in page for page in pages) >= len(pages) - 1
    # Each page says which type's documents it lists (the group's caption repeats).
    type_names = list(listing.figures["types"])
    assert all(any(f"{flat(t)} (100)" in folded(page) for t in type_names) for page in pages)
    assert len(re.findall(r"BN-\d{4}", whole)) == 500
    assert listing.figures["documents"] == 500
    assert whole.count("EXPIRED") == listing.figures["expired"] > 0
    assert listing.figures["expiring"] > 0

    summary = gather(firm_admin, "filings", big, now=NOW)
    pdf = render_pdf(summary)
    if os.environ.get("GCMC_REPORT_PNG_DIR"):
        Path(os.environ["GCMC_REPORT_PNG_DIR"], "bulk_filings.pdf").write_bytes(pdf)
        Path(os.environ["GCMC_REPORT_PNG_DIR"], "bulk_documents.pdf").write_bytes(data)
    whole, pages = pdf_text(pdf)
    assert len(pages) > 5
    assert sorted(re.findall(r"REF-(\d{4})", whole)) == [f"{i:04d}" for i in range(300)]
    assert all("Reference" in page for page in pages[1:])
    assert summary.figures == {
        **summary.figures,
        "filings": 300,
        "filed": 100,
        "pending": 100,
        "overdue": 50,
        "other": 50,
    }
    assert f"{sum(1000 + i for i in range(300)):,}.00" in folded(whole)


def _png_of_page_one(pdf: bytes, out: Path) -> None:
    """Page 1 as a PNG: pdftoppm when installed, else Qt's own PDF renderer."""
    import shutil
    import subprocess

    source = out.with_suffix(".pdf")
    source.write_bytes(pdf)
    if shutil.which("pdftoppm"):
        subprocess.run(
            ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(source),
             str(out.with_suffix(""))],
            check=True,
        )  # fmt: skip
        return
    from PySide6.QtCore import QSize
    from PySide6.QtPdf import QPdfDocument

    document = QPdfDocument()
    document.load(str(source))
    size = document.pagePointSize(0)
    image = document.render(0, QSize(int(size.width() * 1.4), int(size.height() * 1.4)))
    assert image.save(str(out))


def test_page_one_renders_to_png(qapp, demo, firm_admin, tmp_path) -> None:
    """Looked at by hand when written (docs/screenshots/report_*.png); here: it renders, and
    is not blank."""
    from PySide6.QtGui import QImage

    client_id, _ = busiest_client(demo)
    keep = os.environ.get("GCMC_REPORT_PNG_DIR")
    for kind in KINDS:
        out = (Path(keep) if keep else tmp_path) / f"report_{kind}.png"
        _png_of_page_one(render_pdf(gather(firm_admin, kind, client_id, now=NOW)), out)
        image = QImage(str(out))
        assert image.width() > 500 and image.height() > 500
        colours = {image.pixel(x, y) for x in range(0, image.width(), 23)
                   for y in range(0, image.height(), 23)}  # fmt: skip
        assert len(colours) > 5, kind


def test_batch_zip_of_poor_clients_and_cancel(demo, firm_admin, tmp_path) -> None:
    from gcmc_desktop.services.compliance_scores import score_list_query
    from gcmc_desktop.services.reports import ids_of

    query = score_list_query(firm_admin)
    query.set_filter("level", "poor")
    ids = ids_of(firm_admin, query)
    with session_factory(demo.admin)() as db:
        poor = db.scalars(
            select(ComplianceScore.client_id).where(
                ComplianceScore.tenant_id == demo.tenant_id, ComplianceScore.score_value < 50
            )
        ).all()
    assert sorted(ids) == sorted(poor) and ids
    seen: list[tuple[int, int]] = []
    out = tmp_path / "poor.zip"
    result = batch_zip(firm_admin, ids, out, progress=lambda d, t, _m: seen.append((d, t)), now=NOW)
    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
        assert len(names) == len(ids) == len(result.written)
        assert all(n.startswith("Compliance report - ") and n.endswith(".pdf") for n in names)
        first = archive.read(names[0])
        assert "Compliance report" in pdf_text(first)[0]
    assert seen[-1] == (len(ids), len(ids))
    # Cancelled part-way: nothing that looks like a finished archive is left.
    calls = iter(range(100))
    cancelled_out = tmp_path / "cancelled.zip"
    with pytest.raises(BatchCancelled):
        batch_zip(firm_admin, ids, cancelled_out, cancelled=lambda: next(calls) >= 2)
    assert list(tmp_path.glob("*cancelled*")) == []


def test_permissions_and_tenancy_as_staff(demo) -> None:
    client_id, _ = busiest_client(demo)
    viewer = demo.sign_in("Viewer")  # no reports permission (DOMAIN.md §1)
    try:
        with pytest.raises(PermissionDenied):
            gather(viewer, "client_file", client_id)
        with pytest.raises(PermissionDenied):
            batch_zip(viewer, [client_id], Path("/nonexistent/never.zip"))
    finally:
        viewer.session.close()
    # The Second Firm's administrator has reports:* in its own firm, not over this one's client
    # (row-level security hides it: "no longer exists, or belongs to another firm").
    from gcmc_desktop.services.catalog import SECOND_FIRM_ADMIN
    from gcmc_desktop.services.errors import NotFoundError

    other = auth.open_context(
        auth.sign_in(demo.profile, SECOND_FIRM_ADMIN["email"], SECOND_FIRM_ADMIN["password"])
    )
    try:
        assert other.tenant_id != demo.tenant_id and other.can("reports", "view")
        for kind in KINDS:
            with pytest.raises(NotFoundError, match="another firm"):
                gather(other, kind, client_id)
        out = Path(tempfile.mkdtemp()) / "other.zip"
        result = batch_zip(other, [client_id], out)
        assert result.written == [] and result.skipped[0][0] == client_id
    finally:
        other.session.close()


def test_store_report_type_created_once(demo) -> None:
    ctx = demo.sign_in("FirmAdmin")
    try:
        first = report_type_id(ctx)
        assert report_type_id(ctx) == first
        with demo.admin.connect() as conn:
            assert (
                conn.scalar(
                    text('SELECT count(*) FROM document_types WHERE "tenantId" = :t AND name = :n'),
                    {"t": demo.tenant_id, "n": "Report"},
                )
                == 1
            )
        # The report type is never a "missing document".
        client_id, _ = busiest_client(demo)
        assert "Report" not in gather(ctx, "compliance", client_id).figures["missing"]
    finally:
        ctx.session.close()


def test_text_the_font_lacks_is_spelled_not_boxed() -> None:
    from gcmc_desktop.services.reports.render import _register_fonts

    _register_fonts()
    assert clean("\u221210 VAT \u2026 caf\u00e9\x00") == "\u221210 VAT \u2026 café"
    assert clean("\u2713 done\nnext") == "v done next"  # a look-alike where the font has none
    assert clean("名前") == "??"


# -------------------------------------------------------------------------------- the GUI


def _drain() -> None:
    from PySide6.QtCore import QThreadPool

    from gcmc_desktop.views.table_model import query_pool

    QThreadPool.globalInstance().waitForDone()
    query_pool().waitForDone()


class _FakeUploads:
    def __init__(self) -> None:
        self.calls: list[tuple[list[Path], object]] = []

    def add_files(self, paths, target):  # the UploadManager's signature
        self.calls.append(([Path(p) for p in paths], target))
        return [Path(p).name for p in paths]


@pytest.mark.gui
def test_preview_dialog_saves_prints_and_stores(qtbot, demo, tmp_path) -> None:
    from PySide6.QtPrintSupport import QPrinter

    from gcmc_desktop.views.reports import ReportPreviewDialog

    ctx = demo.sign_in("FirmAdmin")
    client_id, name = busiest_client(demo)
    uploads = _FakeUploads()
    dialog = ReportPreviewDialog(ctx, client_id, "compliance", uploads=uploads)
    qtbot.addWidget(dialog)
    dialog.resize(900, 760)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.pdf is not None, timeout=30_000)
    assert dialog.document.pageCount() >= 1
    assert dialog.stack.currentWidget() is dialog.view
    assert dialog.save_button.isEnabled() and dialog.print_button.isEnabled()
    qtbot.wait(200)
    keep = os.environ.get("GCMC_REPORT_PNG_DIR")
    dialog.grab().save(str(Path(keep or tmp_path) / "report_preview_dialog.png"))

    # Save…: the file chosen gets the PDF (".pdf" added when left out).
    dialog.ask_save_path = lambda suggested: str(tmp_path / "saved")
    assert dialog.file_name.startswith("Compliance report - ") and flat(name)[:10] in (
        clean(dialog.file_name)
    )
    assert dialog.save()
    assert (tmp_path / "saved.pdf").read_bytes() == dialog.pdf
    dialog.ask_save_path = lambda suggested: str(tmp_path / "missing-folder" / "x.pdf")
    assert not dialog.save()
    assert "Not saved" in dialog.message.text() and dialog.message.isVisible()

    # Print…: every page through QPdfDocument.render onto the printer (here a PDF file).
    printed = tmp_path / "printed.pdf"

    def to_file(printer: QPrinter) -> bool:
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(printed))
        return True

    dialog.ask_printer = to_file
    assert dialog.print_report()
    assert len(PdfReader(str(printed)).pages) == dialog.document.pageCount()
    dialog.ask_printer = lambda _printer: False  # the print dialog cancelled
    assert not dialog.print_report()

    # Store as client document: the "Report" type, then the upload outbox with the PDF.
    assert dialog.store_button.isVisible()
    dialog.store()
    qtbot.waitUntil(lambda: bool(uploads.calls), timeout=10_000)
    (path,), target = uploads.calls[0]
    assert path.read_bytes() == dialog.pdf
    assert target.client_id == client_id and target.document_type_id == report_type_id(ctx)
    assert target.title.startswith("Compliance report - ")
    dialog.close()
    _drain()
    ctx.session.close()


@pytest.mark.gui
def test_preview_generation_cancel_and_errors(qtbot, demo, monkeypatch) -> None:
    from gcmc_desktop.views import reports as views

    ctx = demo.sign_in("FirmAdmin")
    started = []

    def slow_gather(wctx, kind, client_id):
        started.append(kind)
        import time

        time.sleep(0.5)
        return gather(wctx, kind, client_id)

    monkeypatch.setattr(views, "gather", slow_gather)
    dialog = views.ReportPreviewDialog(ctx, demo.big_client, "documents")
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: bool(started), timeout=10_000)
    dialog.cancel()
    qtbot.waitUntil(lambda: "Cancelled" in dialog.status.text(), timeout=30_000)
    assert dialog.pdf is None and not dialog.save_button.isEnabled()
    dialog.close()
    # A client that no longer exists: a plain message, never a traceback.
    monkeypatch.setattr(views, "gather", gather)
    gone = views.ReportPreviewDialog(ctx, 987654, "client_file")
    qtbot.addWidget(gone)
    qtbot.waitUntil(lambda: bool(gone.message.text()), timeout=30_000)
    assert "no longer exists" in gone.message.text() and "Traceback" not in gone.message.text()
    gone.close()
    _drain()
    ctx.session.close()


@pytest.mark.gui
def test_workspace_reports_menu_and_compliance_batch(qtbot, demo, tmp_path) -> None:
    from gcmc_desktop.views.client_workspace import ClientWorkspace
    from gcmc_desktop.views.compliance import CompliancePage

    ctx = demo.sign_in("FirmAdmin")
    client_id, _ = busiest_client(demo)
    workspace = ClientWorkspace(ctx, client_id)
    qtbot.addWidget(workspace)
    workspace.resize(1280, 800)
    workspace.show()
    button = workspace.reports_button
    assert button is not None and button.isVisible()
    titles = [a.text() for a in button.menu().actions()]
    assert titles == [f"{t}…" for t in KINDS.values()]
    qtbot.wait(300)
    keep = os.environ.get("GCMC_REPORT_PNG_DIR")
    workspace.grab().save(str(Path(keep or tmp_path) / "report_workspace.png"))
    button.menu().actions()[0].trigger()
    dialogs = [
        w for w in workspace.findChildren(object) if type(w).__name__ == "ReportPreviewDialog"
    ]
    assert dialogs
    qtbot.waitUntil(lambda: dialogs[0].pdf is not None, timeout=30_000)
    dialogs[0].close()

    page = CompliancePage(ctx)
    qtbot.addWidget(page)
    page.resize(1280, 800)
    page.show()
    page.show_level("poor")
    _drain()
    qtbot.wait(200)
    assert page.batch_button.isVisible()
    page.grab().save(str(Path(keep or tmp_path) / "report_compliance_page.png"))
    out = tmp_path / "poor"
    page.batch.ask_save_path = lambda suggested: (
        str(out) if suggested == "Compliance reports - Poor.zip" else ""
    )
    page.batch_reports()
    assert not page.batch_button.isEnabled()  # one run at a time
    qtbot.waitUntil(lambda: "Saved" in page.run_label.text(), timeout=60_000)
    assert page.batch_button.isEnabled()
    with zipfile.ZipFile(out.with_suffix(".zip")) as archive:
        count = len(archive.namelist())
    with session_factory(demo.admin)() as db:
        poor = db.scalar(
            select(text("count(*)"))
            .select_from(ComplianceScore)
            .where(ComplianceScore.tenant_id == demo.tenant_id, ComplianceScore.score_value < 50)
        )
    assert count == poor
    assert f"Saved {count}" in page.run_label.text()
    _drain()
    ctx.session.close()

    viewer = demo.sign_in("Viewer")
    plain = ClientWorkspace(viewer, client_id)
    qtbot.addWidget(plain)
    assert plain.reports_button is None
    _drain()
    viewer.session.close()


def test_cli_writes_a_pdf_and_a_zip(demo, tmp_path, capsys) -> None:
    from gcmc_desktop.cli import main

    url = demo.admin.url.render_as_string(hide_password=False)
    client_id, name = busiest_client(demo)
    out = tmp_path / "file.pdf"
    assert main(["--database-url", url, "reports", "client-file", "--client", str(client_id),
                 "--out", str(out)]) == 0  # fmt: skip
    assert "Client file" in pdf_text(out.read_bytes())[0]
    assert flat(name) in folded(pdf_text(out.read_bytes())[0])
    archive = tmp_path / "two.zip"
    assert main(["--database-url", url, "reports", "compliance", "--client", str(client_id),
                 "--client", str(demo.big_client), "--out", str(archive)]) == 0  # fmt: skip
    with zipfile.ZipFile(archive) as zipped:
        assert len(zipped.namelist()) == 2
    assert main(["--database-url", url, "reports", "filings", "--client", "987654",
                 "--out", str(tmp_path / "none.pdf")]) == 1  # fmt: skip
    err = capsys.readouterr().err
    assert "There is no client 987654" in err and "Traceback" not in err


@pytest.mark.gui
def test_screenshot_script_renders_the_report_screens(qtbot, demo, tmp_path) -> None:
    import importlib.util

    script = Path(__file__).resolve().parents[1] / "docs" / "screenshots" / "make_screenshots.py"
    spec = importlib.util.spec_from_file_location("make_screenshots_for_reports", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    ctx = demo.sign_in("FirmAdmin")
    keep = Path(os.environ.get("GCMC_REPORT_PNG_DIR") or tmp_path)
    paths = module.render_report_preview(ctx, keep)
    assert all(p.exists() and p.stat().st_size > 10_000 for p in paths)
    _drain()
    ctx.session.close()


@pytest.mark.gui
def test_store_as_client_document_through_the_upload_outbox(qtbot, demo, tmp_path) -> None:
    """The real path: the dialog's PDF → the outbox → the storage → documents.create_document,
    as a document of type "Report" of the client."""
    from gcmc_desktop.services.outbox import Outbox
    from gcmc_desktop.services.storage.folder import LocalFolderStorage
    from gcmc_desktop.views.reports import ReportPreviewDialog
    from gcmc_desktop.views.uploads import UploadManager

    ctx = demo.sign_in("FirmAdmin")
    client_id, _ = busiest_client(demo)
    (tmp_path / "store").mkdir()
    manager = UploadManager(
        ctx, LocalFolderStorage(tmp_path / "store"), outbox=Outbox(tmp_path / "outbox"),
        extract_text=False,
    )  # fmt: skip
    ended: list[tuple[str, str, str]] = []
    manager.fileEnded.connect(lambda *args: ended.append(args))
    dialog = ReportPreviewDialog(ctx, client_id, "client_file", uploads=manager)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.pdf is not None, timeout=30_000)
    dialog.store()
    qtbot.waitUntil(lambda: bool(ended), timeout=30_000)
    assert ended[0][1] == "done", ended
    with demo.admin.connect() as conn:
        row = conn.execute(
            text(
                'SELECT d.title, t.name, v."mimeType", v."fileSize" FROM documents d '
                'JOIN document_types t ON t.id = d."documentTypeId" '
                'JOIN document_versions v ON v.id = d."latestVersionId" '
                "WHERE d.\"clientId\" = :c AND t.name = 'Report' ORDER BY d.id DESC LIMIT 1"
            ),
            {"c": client_id},
        ).one()
    assert row.title.startswith("Client file - ") and row.mimeType == "application/pdf"
    assert row.fileSize == len(dialog.pdf)
    dialog.close()
    manager.shutdown()
    _drain()
    ctx.session.close()


def test_markup_and_odd_text_are_drawn_literally() -> None:
    """Names are data, not markup: angle brackets, ampersands and quotes come out as typed;
    an unbroken 300-character value wraps inside its cell instead of breaking the page."""
    from gcmc_desktop.services.reports import model

    name = '<b>O\'Brien & "Sons"</b> <font size=40>x</font>'
    report = model.Report("client_file", "Client file", "Firm & Co <i>", 7, name, NOW)
    report.add(
        model.Heading("Details & <more>"),
        model.Facts([("Name", name), ("Empty", "")]),
        model.Table(["A", "B"], [[name, "x" * 300], ["", None]], tones=["danger", "muted"]),
        model.Table(["Empty"], [], empty="Nothing <here>."),
        model.Table(["Empty"], [], empty="No rows.", caption="Caption <kept>"),
        model.Bullets([(name, "good")]),
        model.Band(None, None, "Not calculated yet", "No score."),
    )
    text_ = folded(pdf_text(render_pdf(report))[0])
    assert folded(name) in text_ and "Firm & Co <i>" in text_ and "Nothing <here>." in text_
    assert "Details & <more>" in text_ and "Caption <kept>" in text_
    assert "O_Brien" not in report.file_name and report.file_name.endswith(".pdf")
    assert "/" not in report.file_name and "<" not in report.file_name
