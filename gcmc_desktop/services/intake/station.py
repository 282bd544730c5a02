"""One scan, from the folder to the client's documents.

`process_scan` converts images to PDF, finds the sheet codes, splits the scan at them and
files each part behind a cover sheet through the upload outbox — the same path as any upload:
permission and validation checks, duplicate detection by checksum, audit, and a copy kept if
the server or the storage is unreachable (sent later). Parts without a usable cover sheet go
to the review queue. Image-only parts get OCR text (services/intake/ocr.py: Tesseract where
installed, else the bundled RapidOCR, or as the station's setting says) for search, read in a
process of its own (ocr_worker.py) so the station's window never waits for it. A scan may
be one file or a folder of page files (a scanner's batch folder).
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from ...models import Client, Document, DocumentType
from ..context import Context
from ..documents import save_text_layer
from ..errors import ServiceError
from ..outbox import Outbox, UploadDeferred, UploadRefused, UploadTarget
from ..storage import StorageProvider
from . import pages as scan_pages
from .codes import SheetCode
from .pickup import ScanFolder, sha256_of
from .review import ReviewItem, ReviewQueue

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Filed:
    pages: list[int]  # 1-based
    client: str
    document_type: str
    message: str
    document_id: int | None
    deferred: bool = False


@dataclass
class ScanResult:
    source: str
    pages: int = 0
    filed: list[Filed] = field(default_factory=list)
    review: list[ReviewItem] = field(default_factory=list)

    @property
    def summary(self) -> str:
        bits = [f"{len(self.filed)} filed"] if self.filed else []
        if self.review:
            bits.append(f"{len(self.review)} to review")
        return f"{self.source}: {self.pages} page(s), " + (", ".join(bits) or "nothing to file")


def _names(ctx: Context, sheet: SheetCode) -> tuple[str, str] | None:
    """The client's and document type's names, if both are this firm's (RLS and scoping)."""
    client = ctx.session.scalar(select(Client.name).where(Client.id == sheet.client_id))
    doc_type = ctx.session.scalar(
        select(DocumentType.name).where(DocumentType.id == sheet.document_type_id)
    )
    if sheet.document_id is not None:
        owner = ctx.session.scalar(
            select(Document.client_id).where(Document.id == sheet.document_id)
        )
        if owner != sheet.client_id:
            return None
    ctx.session.rollback()
    return (client, doc_type) if client and doc_type else None


def _target_for(sheet: SheetCode, doc_type: str) -> UploadTarget:
    if sheet.document_id is not None:
        return UploadTarget(document_id=sheet.document_id)
    return UploadTarget(
        client_id=sheet.client_id,
        document_type_id=sheet.document_type_id,
        title=f"{doc_type} (scanned {date.today():%d %b %Y})",
    )


def file_part(
    ctx: Context,
    part_pdf: Path,
    target: UploadTarget,
    *,
    outbox: Outbox,
    storage: StorageProvider,
) -> tuple[str, int | None, int | None, bool]:
    """Enqueue and send one part; (message, document id, version id, deferred)."""
    entry = outbox.enqueue(ctx, part_pdf, target, mime_type="application/pdf")
    try:
        outcome = outbox.process(entry, ctx, storage)
    except UploadDeferred as exc:
        return exc.message, None, None, True
    return outcome.message, outcome.document_id, outcome.version_id, False


def part_text(part_pdf: Path, ocr: bool, engine: str = "auto") -> str:
    """A part's text: its text layer, else (image-only) what OCR reads."""
    text = "\n".join(t for _i, t in scan_pages.text_of(part_pdf) if t)
    if not text and ocr:
        from .ocr_worker import shared

        text = shared().read_pdf(part_pdf, engine)
    return text


def _to_review(
    ctx: Context,
    review: ReviewQueue,
    part_pdf: Path,
    reason: str,
    *,
    source: str,
    pages: list[int],
    ocr: bool,
    engine: str,
) -> ReviewItem:
    """Queue a part with its text and the clients it names (a suggestion for the person who
    files it; a failed lookup only means none)."""
    from .suggest import client_suggestions

    text = part_text(part_pdf, ocr, engine)
    try:
        suggestions = client_suggestions(ctx, text)
    except (ServiceError, SQLAlchemyError) as exc:
        ctx.session.rollback()
        log.warning("No client suggestions for %s: %s", part_pdf.name, exc)
        suggestions = []
    return review.add(
        part_pdf, source=source, pages=pages, reason=reason, text=text, suggestions=suggestions
    )


def _add_text(
    ctx: Context,
    part_pdf: Path,
    version_id: int | None,
    ocr: bool,
    engine: str = "auto",
    known: str | None = None,
) -> None:
    if version_id is None:
        return
    text = known if known else part_text(part_pdf, ocr, engine)
    if text:
        try:
            save_text_layer(ctx, version_id, text)
        except ServiceError as exc:  # searchable text is a bonus: never fail the filing
            log.warning("Text of the scan not saved: %s", exc.message)


def process_scan(
    ctx: Context,
    path: Path,
    *,
    outbox: Outbox,
    storage: StorageProvider,
    review: ReviewQueue,
    ocr: bool = True,
    ocr_engine: str = "auto",
) -> ScanResult:
    """File one scan; BrokenScan if it cannot be read (the caller moves it to `failed/`)."""
    path = Path(path)
    result = ScanResult(path.name)
    with tempfile.TemporaryDirectory(prefix="gcmc-scan-") as work:
        work_dir = Path(work)
        if path.is_dir():  # a folder batch: its page files in name order are one scan
            pdf = scan_pages.folder_to_pdf(path, work_dir / f"{path.name}.pdf")
        elif path.suffix.lower() in scan_pages.IMAGE_SUFFIXES:
            pdf = scan_pages.images_to_pdf([path], work_dir / f"{path.stem}.pdf")
        else:
            pdf = path
        result.pages = scan_pages.page_count(pdf)
        parts = scan_pages.split_points(scan_pages.page_sheets(pdf))
        for number, part in enumerate(parts, start=1):
            (work_dir / f"{number:02d}").mkdir()
            shown = [p + 1 for p in part.pages]
            span = f"p{shown[0]}" if len(shown) == 1 else f"p{shown[0]}-{shown[-1]}"
            stem = path.name if path.is_dir() else path.stem
            part_pdf = scan_pages.write_part(
                pdf, part.pages, work_dir / f"{number:02d}" / f"{stem} {span}.pdf"
            )
            queue = partial(
                _to_review, ctx, review, part_pdf, source=path.name, pages=part.pages,
                ocr=ocr, engine=ocr_engine,
            )  # fmt: skip
            sheet = part.sheet
            reason = None
            names = None
            if sheet is None:
                reason = "No cover sheet before these pages."
            elif not sheet.is_cover:
                reason = "Pages after a separator sheet."
            elif sheet.tenant_id != ctx.tenant_id:
                reason = "The cover sheet is for another firm."
            else:
                names = _names(ctx, sheet)
                if names is None:
                    reason = "The cover sheet's client, document type or document was not found."
            if reason is not None:
                result.review.append(queue(reason))
                continue
            assert sheet is not None and names is not None
            try:
                message, document_id, version_id, deferred = file_part(
                    ctx, part_pdf, _target_for(sheet, names[1]), outbox=outbox, storage=storage
                )
            except UploadRefused as exc:
                result.review.append(queue(exc.message))
                continue
            if not deferred:
                _add_text(ctx, part_pdf, version_id, ocr, ocr_engine)
            result.filed.append(Filed(shown, names[0], names[1], message, document_id, deferred))
    return result


def take_scan(
    ctx: Context,
    folder: ScanFolder,
    path: Path,
    *,
    outbox: Outbox,
    storage: StorageProvider,
    review: ReviewQueue,
    ocr: bool = True,
    ocr_engine: str = "auto",
) -> ScanResult | scan_pages.BrokenScan | str | None:
    """A ready scan of `folder`, filed and moved out of the way: the ScanResult; the
    BrokenScan it was moved to `failed/` for; a sentence when it was filed before (the same
    file again, moved to `processed/`); None when it is gone (filed meanwhile). A station
    stopped half-way (killed, crashed, the power cut) leaves the scan in the folder: taken
    again at the next start, its parts filed before are recognised by the outbox and not
    filed twice. Any other error leaves it there too, to be tried again."""
    if not path.exists():
        return None
    digest = sha256_of(path)
    if digest in folder.journal:
        folder.processed(path, digest, "duplicate")
        return f"{path.name} was filed before (same file); moved to processed."
    try:
        result = process_scan(
            ctx,
            path,
            outbox=outbox,
            storage=storage,
            review=review,
            ocr=ocr,
            ocr_engine=ocr_engine,
        )
    except scan_pages.BrokenScan as exc:
        folder.failed(path, exc.message)
        return exc
    folder.processed(path, digest)
    return result


def assign(
    ctx: Context,
    review: ReviewQueue,
    item_id: str,
    target: UploadTarget,
    *,
    outbox: Outbox,
    storage: StorageProvider,
    ocr: bool = True,
    ocr_engine: str = "auto",
) -> str:
    """File a review item where a person said it belongs; it leaves the queue once recorded
    (or safely in the outbox)."""
    item = review.get(item_id)
    if item is None:
        raise ServiceError("This scan is no longer in the review queue.")
    pdf = Path(item.pdf)
    message, _doc, version_id, deferred = file_part(
        ctx, pdf, target, outbox=outbox, storage=storage
    )
    if not deferred:  # the text read when it was queued, else read now
        _add_text(ctx, pdf, version_id, ocr, ocr_engine, known=item.text)
    review.remove(item_id)
    return message
