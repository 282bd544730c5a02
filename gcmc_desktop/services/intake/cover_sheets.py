"""Printable cover sheets: a large QR code (read reliably from 150 dpi scans, rotated or noisy)
and the names in large print for the person feeding the scanner. One page per sheet; many
sheets make one PDF (the batch for many clients at once)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import segno
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import cm
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy import select

from ...models import Client, Document, DocumentType
from ..context import Context, require
from ..errors import NotFoundError
from .codes import SEPARATOR_CODE, SheetCode, cover


@dataclass(frozen=True)
class Sheet:
    code: SheetCode
    firm: str = ""
    client: str = ""
    document_type: str = ""
    document: str = ""  # the document that gets a new version, if any


def _qr_image(text: str) -> ImageReader:
    buffer = io.BytesIO()
    # Error correction H: a quarter of the symbol may be lost to noise, a staple or a fold.
    segno.make_qr(text, error="h").save(buffer, kind="png", scale=20, border=4)
    buffer.seek(0)
    return ImageReader(buffer)


def _lines(canvas: Canvas, text: str, font: str, size: int, y: float, width: float) -> float:
    for line in simpleSplit(text, font, size, width)[:3]:
        canvas.setFont(font, size)
        canvas.drawCentredString(A4[0] / 2, y, line)
        y -= size * 1.25
    return y


def write_sheets(sheets: list[Sheet], target: Path) -> Path:
    """Write `sheets` as one PDF at `target` (written beside it, then renamed)."""
    target = Path(target)
    partial = target.with_name(target.name + ".partial")
    canvas = Canvas(str(partial), pagesize=A4, pageCompression=1)
    canvas.setTitle("GCMC cover sheets")
    width = A4[0] - 4 * cm
    for sheet in sheets:
        separator = not sheet.code.is_cover
        y = A4[1] - 3 * cm
        canvas.setFont("Helvetica-Bold", 28)
        canvas.drawCentredString(
            A4[0] / 2, y, "SEPARATOR SHEET" if separator else "GCMC COVER SHEET"
        )
        y -= 1.2 * cm
        canvas.setFont("Helvetica", 12)
        canvas.drawCentredString(
            A4[0] / 2,
            y,
            "Scan this page in front of the pages it belongs to. It is removed automatically.",
        )
        size = 10 * cm
        canvas.drawImage(
            _qr_image(sheet.code.encode()), (A4[0] - size) / 2, y - 1 * cm - size, size, size
        )
        y = y - 2 * cm - size
        if separator:
            _lines(
                canvas, "Pages after this sheet go to the review queue.", "Helvetica", 16, y, width
            )
        else:
            y = _lines(
                canvas,
                sheet.client or f"Client {sheet.code.client_id}",
                "Helvetica-Bold",
                30,
                y,
                width,
            )
            y = _lines(canvas, sheet.document_type, "Helvetica", 22, y - 0.3 * cm, width)
            if sheet.document:
                y = _lines(canvas, f"New version of: {sheet.document}", "Helvetica", 16, y, width)
            if sheet.firm:
                _lines(canvas, sheet.firm, "Helvetica-Oblique", 14, 2.5 * cm, width)
        canvas.showPage()
    canvas.save()
    partial.replace(target)
    return target


def separator_sheet(target: Path) -> Path:
    return write_sheets([Sheet(SEPARATOR_CODE)], target)


def new_version_sheet(ctx: Context, document_id: int) -> Sheet:
    """The cover sheet for a new version of a document (document detail → "Cover sheet for a
    new version…"): its QR code names the document, so the pages behind it are filed as the
    document's next version. Needs the right to add versions (documents: edit)."""
    require(ctx, "documents", "edit")
    row = ctx.session.execute(
        select(Document.title, Document.client_id, Document.document_type_id, Client.name)
        .join(Client, Client.id == Document.client_id)
        .where(Document.id == document_id)
    ).first()
    type_name = (
        ctx.session.scalar(select(DocumentType.name).where(DocumentType.id == row[2]))
        if row
        else None
    )
    ctx.session.rollback()
    if row is None:
        raise NotFoundError()
    title, client_id, type_id, client = row
    return Sheet(
        cover(ctx.tenant_id, client_id, type_id, document_id),
        firm=ctx.tenant_name,
        client=client,
        document_type=type_name or "",
        document=title,
    )


def label(sheet: Sheet) -> str:
    """How a sheet is listed before printing."""
    if not sheet.code.is_cover:
        return "Separator sheet"
    text = f"{sheet.client} — {sheet.document_type}"
    return f"{text} — new version of “{sheet.document}”" if sheet.document else text
