"""Pages of a scan: rendered at a fixed resolution to look for sheet codes, and split into the
parts between cover/separator sheets (the sheets themselves dropped).

Detection renders each page at 150 dpi in grey (enough for a 10 cm QR code, cheap) and asks
zxing-cpp for QR codes with rotation, downscaling and inversion tried; a page without a find
in which zxing-cpp saw something QR-like it could not read is tried once more at 300 dpi with
a global-histogram binariser, which reads the grey, noisy backgrounds of cheap scanners that
the local-average one misses (pages with no QR-like shape at all cost one look).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import img2pdf
import pypdfium2
import zxingcpp
from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader, PdfWriter
from pypdf.errors import PdfReadError

from ..errors import ServiceError
from .codes import SheetCode, decode

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp"}
PDF_SUFFIXES = {".pdf"}
FIRST_DPI = 150
SECOND_DPI = 300


class BrokenScan(ServiceError):
    default_message = "The scan cannot be read."


@dataclass
class Part:
    """Consecutive pages of one scan that belong together, and the sheet before them (None:
    the pages before the first sheet)."""

    sheet: SheetCode | None
    pages: list[int] = field(default_factory=list)  # 0-based page numbers in the scan


def _read(image: Image.Image, binarizer=None) -> tuple[list[str], bool]:
    """The QR texts read, and whether anything QR-like was seen at all (read or not)."""
    options = {"formats": zxingcpp.BarcodeFormat.QRCode, "return_errors": True}
    if binarizer is not None:
        options["binarizer"] = binarizer
    found = zxingcpp.read_barcodes(image, **options)
    return [b.text for b in found if b.valid], bool(found)


def sheet_on(image: Image.Image) -> SheetCode | None:
    for text in _read(image)[0]:
        found = decode(text)
        if found:
            return found
    return None


def _render(page, dpi: int) -> Image.Image:
    return page.render(scale=dpi / 72, grayscale=True).to_pil()


def page_sheets(pdf_path: Path) -> list[SheetCode | None]:
    """The sheet code of each page of the PDF (None where the page is not a sheet)."""
    try:
        document = pypdfium2.PdfDocument(str(pdf_path))
    except pypdfium2.PdfiumError:
        raise BrokenScan(
            f"{Path(pdf_path).name} is not a readable PDF: it is damaged or incomplete."
        ) from None
    try:
        found: list[SheetCode | None] = []
        for index in range(len(document)):
            page = document[index]
            try:
                texts, seen = _read(_render(page, FIRST_DPI))
                code = next(filter(None, map(decode, texts)), None)
                if code is None and seen:
                    # Something QR-like that did not read: look closer before giving up.
                    image = _render(page, SECOND_DPI)
                    texts, _seen = _read(image, zxingcpp.Binarizer.GlobalHistogram)
                    code = next(filter(None, map(decode, texts)), None)
            finally:
                page.close()
            found.append(code)
        return found
    finally:
        document.close()


def split_points(sheets: list[SheetCode | None]) -> list[Part]:
    """Parts of the scan: a new part at each sheet; sheet pages dropped; empty parts
    (two sheets in a row, a sheet at the end) dropped too."""
    parts: list[Part] = [Part(None)]
    for index, sheet in enumerate(sheets):
        if sheet is not None:
            parts.append(Part(sheet))
        else:
            parts[-1].pages.append(index)
    return [p for p in parts if p.pages]


def images_to_pdf(images: list[Path], target: Path) -> Path:
    """Scanner images (one file per page, or a multi-page TIFF) as one PDF, losslessly where
    the format allows (img2pdf embeds JPEGs as they are)."""
    try:
        target.write_bytes(
            img2pdf.convert([str(p) for p in images], rotation=img2pdf.Rotation.ifvalid)
        )
    except (img2pdf.ImageOpenError, UnidentifiedImageError, OSError, ValueError) as exc:
        # Formats img2pdf refuses (alpha channels, odd TIFFs): through Pillow instead.
        try:
            pages = []
            for path in images:
                with Image.open(path) as image:
                    for frame in range(getattr(image, "n_frames", 1)):
                        image.seek(frame)
                        pages.append(image.convert("RGB"))
        except (UnidentifiedImageError, OSError) as again:
            raise BrokenScan(f"The scan image cannot be read ({again or exc}).") from None
        buffer = io.BytesIO()
        pages[0].save(buffer, "PDF", save_all=True, append_images=pages[1:], resolution=200)
        target.write_bytes(buffer.getvalue())
    return target


def natural_key(path: Path) -> list:
    """scan_2.jpg before scan_10.jpg: digits compare as numbers."""
    return [int(bit) if bit.isdigit() else bit.lower() for bit in re.split(r"(\d+)", path.name)]


def batch_pages(folder: Path) -> list[Path]:
    """The page files of a folder batch (a scanner's sub-folder, one image per page, or a few
    PDFs), in page order: names sorted with their numbers as numbers; hidden and temporary
    names left out."""
    return sorted(
        (
            p
            for p in Path(folder).iterdir()
            if p.is_file()
            and not p.name.startswith((".", "~$"))
            and p.suffix.lower() in IMAGE_SUFFIXES | PDF_SUFFIXES
        ),
        key=natural_key,
    )


def folder_to_pdf(folder: Path, target: Path) -> Path:
    """A folder batch as ONE PDF, pages in name order (runs of images through img2pdf, PDFs
    appended as they are), to be split at its sheets like a multi-page scan."""
    files = batch_pages(folder)
    if not files:
        raise BrokenScan(f"The folder {Path(folder).name} has no scanned pages in it.")
    runs: list[list[Path]] = []
    for path in files:
        is_image = path.suffix.lower() in IMAGE_SUFFIXES
        if runs and is_image and runs[-1][0].suffix.lower() in IMAGE_SUFFIXES:
            runs[-1].append(path)
        else:
            runs.append([path])
    if len(runs) == 1 and runs[0][0].suffix.lower() in IMAGE_SUFFIXES:
        return images_to_pdf(runs[0], target)
    writer = PdfWriter()
    for number, run in enumerate(runs):
        if run[0].suffix.lower() in IMAGE_SUFFIXES:
            pdf = images_to_pdf(run, target.with_name(f"{target.stem}-{number}.pdf"))
        else:
            pdf = run[0]
        try:
            writer.append(str(pdf))
        except (PdfReadError, OSError, ValueError) as exc:
            raise BrokenScan(f"{pdf.name} in {Path(folder).name} cannot be read ({exc}).") from None
    with target.open("wb") as out:
        writer.write(out)
    return target


def page_count(pdf_path: Path) -> int:
    try:
        return len(PdfReader(str(pdf_path)).pages)
    except (PdfReadError, OSError, ValueError):
        raise BrokenScan(
            f"{Path(pdf_path).name} is not a readable PDF: it is damaged or incomplete."
        ) from None


def write_part(pdf_path: Path, pages: list[int], target: Path) -> Path:
    """The given pages of the PDF as a PDF of their own (pages copied, not re-rendered)."""
    try:
        reader = PdfReader(str(pdf_path))
        writer = PdfWriter()
        for index in pages:
            writer.add_page(reader.pages[index])
        with target.open("wb") as out:
            writer.write(out)
    except (PdfReadError, OSError, ValueError, IndexError) as exc:
        raise BrokenScan(f"{Path(pdf_path).name} could not be split ({exc}).") from None
    return target


def text_of(pdf_path: Path, pages: list[int] | None = None) -> Iterator[tuple[int, str]]:
    """Each page's own text layer ("" for image-only pages, which need OCR)."""
    reader = PdfReader(str(pdf_path))
    for index in pages if pages is not None else range(len(reader.pages)):
        try:
            yield index, (reader.pages[index].extract_text() or "").strip()
        except Exception:  # a page pypdf cannot parse has no usable text
            yield index, ""
