"""Client reports as PDFs (issue 16, DOMAIN.md §10): `data` gathers each report as plain data
through the permission gates, `render` draws it with reportlab, `batch` zips many, `store`
keeps one as a client document."""

from __future__ import annotations

from .batch import BatchCancelled, BatchResult, batch_zip, ids_of
from .data import GATHER, REPORT_TYPE_NAME, available, gather
from .model import KINDS, Report
from .render import render_pdf
from .store import report_type_id

__all__ = [
    "GATHER",
    "KINDS",
    "REPORT_TYPE_NAME",
    "BatchCancelled",
    "BatchResult",
    "Report",
    "available",
    "batch_zip",
    "gather",
    "ids_of",
    "render_pdf",
    "report_type_id",
]
