"""Text for image-only scans, so they are searchable like PDFs with a text layer.

The bundled engine is RapidOCR (`rapidocr-onnxruntime`: its wheel ships the detection and
recognition models, so it needs no download and no system binaries on Windows or macOS).
Where it is not installed the scan is filed without text; OCR never stops filing.
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path

log = logging.getLogger(__name__)
OCR_DPI = 200


@cache
def _engine():  # -> RapidOCR | None
    try:
        from rapidocr_onnxruntime import RapidOCR
    except ImportError:
        return None
    return RapidOCR()


def available() -> bool:
    return _engine() is not None


def ocr_image(image) -> str:  # PIL image
    engine = _engine()
    if engine is None:
        return ""
    import numpy

    result, _elapsed = engine(numpy.asarray(image.convert("RGB")))
    if not result:
        return ""
    # Lines in reading order: top to bottom, then left to right.
    lines = sorted(result, key=lambda r: (round(r[0][0][1] / 20), r[0][0][0]))
    return "\n".join(text for _box, text, _score in lines)


def ocr_pdf(pdf_path: Path) -> str:
    if _engine() is None:
        return ""
    import pypdfium2

    texts = []
    try:
        document = pypdfium2.PdfDocument(str(pdf_path))
        try:
            for index in range(len(document)):
                page = document[index]
                try:
                    texts.append(ocr_image(page.render(scale=OCR_DPI / 72).to_pil()))
                finally:
                    page.close()
        finally:
            document.close()
    except Exception as exc:  # OCR is a bonus: a failure only means no search text
        log.warning("OCR of %s failed: %s", pdf_path.name, exc)
    return "\n\n".join(t for t in texts if t)
