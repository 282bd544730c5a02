"""The scanning station end to end, killed half-way (issue 17): three clients' documents behind
their cover sheets, as one scan written slowly into the scan folder, are filed by `gcmc scan
watch` — a real process signed in as a DocumentOfficer — which is killed (SIGKILL) as soon as
the first document is in the database, then started again. In the end: exactly three
documents, each with the right client, type and searchable text, and the scan in processed/."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import img2pdf
import pypdfium2
import pytest
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy import Engine, text

from gcmc_desktop.services import auth, document_types
from gcmc_desktop.services.intake.codes import cover
from gcmc_desktop.services.intake.cover_sheets import Sheet, write_sheets

from .security_fixtures import PASSWORD, Firms, build_firms

NAMES = ("Essequibo Rice Mill", "Berbice Timber", "Demerara Shipping")


@pytest.fixture
def firms(engine: Engine, database_url: Any) -> Firms:
    return build_firms(engine, database_url, ("DocumentOfficer",))


def text_pdf(path: Path, line: str) -> Path:
    """A page as a scanner with built-in OCR writes it: a text layer."""
    canvas = Canvas(str(path), pagesize=A4)
    canvas.setFont("Helvetica", 18)
    canvas.drawString(72, 700, line)
    canvas.save()
    return path


def scanned_sheet(tmp_path: Path, code, name: str) -> Path:
    """A cover sheet printed and scanned: rasterised at 200 dpi into an image-only page."""
    sheet_pdf = tmp_path / f"{name}.pdf"
    write_sheets([Sheet(code, name, "Certificate")], sheet_pdf)
    image = pypdfium2.PdfDocument(str(sheet_pdf))[0].render(scale=200 / 72).to_pil()
    out = tmp_path / f"{name}-scan.pdf"
    out.write_bytes(img2pdf.convert(_png(image)))
    return out


def _png(image) -> bytes:
    import io

    buffer = io.BytesIO()
    image.convert("L").save(buffer, format="PNG")
    return buffer.getvalue()


def one_scan(parts: list[Path], target: Path) -> bytes:
    writer = PdfWriter()
    for part in parts:
        for page in PdfReader(str(part)).pages:
            writer.add_page(page)
    with target.open("wb") as handle:
        writer.write(handle)
    return target.read_bytes()


def documents(engine: Engine, tenant: int, doc_type: int) -> list[tuple]:
    with engine.connect() as c:
        return [
            tuple(r)
            for r in c.execute(
                text(
                    'SELECT d."clientId", d.title, v."ocrText" FROM documents d '
                    'LEFT JOIN document_versions v ON v.id = d."latestVersionId" '
                    'WHERE d."tenantId" = :t AND d."documentTypeId" = :k ORDER BY d."clientId"'
                ),
                {"t": tenant, "k": doc_type},
            )
        ]


def test_a_station_killed_half_way_files_each_document_exactly_once(
    firms: Firms, engine: Engine, database_url, tmp_path: Path
) -> None:
    officer = auth.open_context(
        auth.sign_in(firms.profile, firms.emails["DocumentOfficer"], PASSWORD)
    )
    doc_type = document_types.create_document_type(
        officer, {"name": "Certificate", "category": "identification", "authority": "GRA"}
    )["id"]
    officer.session.close()
    with engine.begin() as c:
        clients = [
            c.execute(
                text(
                    'INSERT INTO clients ("tenantId", name, type, "updatedAt") '
                    "VALUES (:t, :n, 'company', now()) RETURNING id"
                ),
                {"t": firms.alpha, "n": name},
            ).scalar_one()
            for name in NAMES
        ]
    parts = []
    for client, name in zip(clients, NAMES, strict=True):
        parts.append(scanned_sheet(tmp_path, cover(firms.alpha, client, doc_type), name))
        parts.append(text_pdf(tmp_path / f"{name}-page.pdf", f"Certificate of {name} 2026"))
    batch = one_scan(parts, tmp_path / "batch.pdf")

    scans, store, outbox = tmp_path / "scans", tmp_path / "store", tmp_path / "outbox"
    for folder in (scans, store, outbox):
        folder.mkdir()
    command = [
        sys.executable, "-m", "gcmc_desktop.cli",
        "--database-url", database_url.render_as_string(hide_password=False),
        "scan", "watch", "--email", firms.emails["DocumentOfficer"], "--scans", str(scans),
        "--folder", str(store), "--outbox", str(outbox), "--settle", "0.5", "--every", "0.1",
    ]  # fmt: skip
    env = {**os.environ, "GCMC_PASSWORD": PASSWORD}
    station = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        # The scanner writes slowly, in chunks, under its final name.
        with (scans / "batch.pdf").open("wb") as handle:
            for start in range(0, len(batch), len(batch) // 5 + 1):
                handle.write(batch[start : start + len(batch) // 5 + 1])
                handle.flush()
                time.sleep(0.2)
        deadline = time.monotonic() + 120
        while not documents(engine, firms.alpha, doc_type):
            assert station.poll() is None, station.stdout.read().decode()
            assert time.monotonic() < deadline, "nothing filed in 2 minutes"
            time.sleep(0.01)
        station.send_signal(signal.SIGKILL)  # the power cut: no clean-up at all
        station.wait(timeout=30)
        filed_before_the_kill = len(documents(engine, firms.alpha, doc_type))
    finally:
        if station.poll() is None:
            station.kill()
    assert (scans / "batch.pdf").exists()  # not moved yet: it is taken again

    # Started again, it finishes the scan and stops once idle.
    again = subprocess.run(
        [*command, "--exit-when-idle", "1.5"], env=env, capture_output=True, timeout=180
    )
    assert again.returncode == 0, again.stdout.decode() + again.stderr.decode()
    filed = documents(engine, firms.alpha, doc_type)
    # One each: none twice, none lost (whatever the kill interrupted).
    assert [row[0] for row in filed] == sorted(clients), filed_before_the_kill
    by_client = dict(zip(clients, NAMES, strict=True))
    for client, _title, ocr_text in filed:
        assert f"Certificate of {by_client[client]} 2026" in (ocr_text or "")
    assert not (scans / "batch.pdf").exists()
    assert list((scans / "processed").rglob("batch*.pdf"))  # processed/<day>/
