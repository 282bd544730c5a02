"""Checks a file before it is uploaded as a document version: readable, not empty, not too
large, and of a type the firm keeps — judged by its content, not its name, because a renamed
program or a scan saved as ".pdf" by mistake must not reach a client's file. PDFs are also
opened, so a password-protected or damaged one is refused here rather than by whoever tries to
read it later. Nothing here writes to the file.
"""

from __future__ import annotations

import logging
import os
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .errors import ServiceError

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 100 * 1024 * 1024
# Enough of the start of a file for every signature below and for the text sniff.
HEAD_BYTES = 8192

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
TIFF = "image/tiff"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
DOC = "application/msword"
XLS = "application/vnd.ms-excel"
PPT = "application/vnd.ms-powerpoint"
TEXT = "text/plain"
CSV = "text/csv"

ALLOWED_TYPES = frozenset({PDF, PNG, JPEG, TIFF, DOCX, XLSX, PPTX, DOC, XLS, PPT, TEXT, CSV})

# What a file's extension promises. A known extension over different content is refused (a
# text file renamed ".pdf"); files without a known extension are judged by content alone.
_EXTENSION_TYPES: dict[str, frozenset[str]] = {
    ".pdf": frozenset({PDF}),
    ".png": frozenset({PNG}),
    ".jpg": frozenset({JPEG}),
    ".jpeg": frozenset({JPEG}),
    ".jpe": frozenset({JPEG}),
    ".tif": frozenset({TIFF}),
    ".tiff": frozenset({TIFF}),
    ".docx": frozenset({DOCX}),
    ".xlsx": frozenset({XLSX}),
    ".pptx": frozenset({PPTX}),
    ".doc": frozenset({DOC}),
    ".xls": frozenset({XLS}),
    ".ppt": frozenset({PPT}),
    ".txt": frozenset({TEXT, CSV}),
    ".csv": frozenset({TEXT, CSV}),
}

_DESCRIPTIONS: dict[str, str] = {
    PDF: "a PDF",
    PNG: "a PNG image",
    JPEG: "a JPEG image",
    TIFF: "a TIFF image",
    DOCX: "a Word document",
    XLSX: "an Excel workbook",
    PPTX: "a PowerPoint presentation",
    DOC: "a Word 97-2003 document",
    XLS: "an Excel 97-2003 workbook",
    PPT: "a PowerPoint 97-2003 presentation",
    TEXT: "plain text",
    CSV: "plain text",
}

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Stream names (UTF-16LE, as in the compound file's directory) that identify legacy Office files.
_OLE2_STREAMS: tuple[tuple[bytes, str], ...] = (
    ("WordDocument".encode("utf-16-le"), DOC),
    ("Workbook".encode("utf-16-le"), XLS),
    ("Book".encode("utf-16-le") + b"\x00\x00", XLS),
    ("PowerPoint Document".encode("utf-16-le"), PPT),
)
_EXECUTABLE_SIGNATURES = (
    b"MZ",  # Windows .exe / .dll
    b"\x7fELF",  # Linux
    b"\xfe\xed\xfa\xce",  # Mach-O (macOS), both widths and byte orders
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",  # Mach-O universal binary (also a Java class file: refused too)
    b"#!",  # a script
)


class BadFile(ServiceError):
    """A file that cannot be accepted; `reason` says why in words a user can act on."""

    default_message = "This file cannot be uploaded."

    def __init__(self, reason: str, path: str | os.PathLike[str] | None = None) -> None:
        self.reason = reason
        self.path = None if path is None else str(path)
        name = Path(path).name if path is not None else None
        super().__init__(f"{name} cannot be uploaded: {reason}" if name else reason)


@dataclass(frozen=True)
class FileCheck:
    """What the check found: the type read off the content, and the size in bytes."""

    mime_type: str
    size: int


def _megabytes(size: int) -> str:
    value = size / (1024 * 1024)
    return f"{value:.0f} MB" if value >= 10 or value == int(value) else f"{value:.1f} MB"


def check_file(path: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES) -> FileCheck:
    """Accept or refuse `path` (BadFile with the reason). Reads only; never changes the file."""
    path = Path(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise BadFile("the file does not exist (or is a broken shortcut).", path) from None
    except PermissionError:
        raise BadFile("you do not have permission to read it.", path) from None
    except OSError as exc:
        raise BadFile(f"it cannot be read ({exc.strerror or exc}).", path) from None
    if stat.S_ISDIR(info.st_mode):
        raise BadFile("it is a folder, not a file.", path)
    if not stat.S_ISREG(info.st_mode):
        # A pipe or device would block or never end when read.
        raise BadFile("it is not a regular file.", path)
    size = info.st_size
    if size == 0:
        raise BadFile("the file is empty.", path)
    if size > max_bytes:
        raise BadFile(
            f"it is {_megabytes(size)}, larger than the limit of {_megabytes(max_bytes)}.", path
        )
    try:
        with path.open("rb") as handle:
            head = handle.read(HEAD_BYTES)
    except PermissionError:
        raise BadFile("you do not have permission to read it.", path) from None
    except OSError as exc:
        raise BadFile(f"it cannot be read ({exc.strerror or exc}).", path) from None

    mime = _detect(path, head)
    expected = _EXTENSION_TYPES.get(path.suffix.lower())
    if expected is not None and mime not in expected:
        raise BadFile(
            f'it is named "{path.suffix.lower()}" but its content is '
            f"{_DESCRIPTIONS.get(mime, 'something else')}.",
            path,
        )
    if mime == PDF:
        _check_pdf(path)
    return FileCheck(mime_type=mime, size=size)


def _detect(path: Path, head: bytes) -> str:
    """The allowed type of the content, or BadFile naming what it is instead."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return TIFF
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _office_zip(path)
    if head.startswith(_OLE2):
        return _office_ole2(path)
    if head.startswith(_EXECUTABLE_SIGNATURES):
        raise BadFile("it is a program or script, not a document.", path)
    if _looks_like_text(head):
        return CSV if path.suffix.lower() == ".csv" else TEXT
    raise BadFile(
        "its type is not accepted. Upload a PDF, an image (PNG, JPEG, TIFF), a Word, Excel or "
        "PowerPoint file, or plain text.",
        path,
    )


def _office_zip(path: Path) -> str:
    """OOXML documents are ZIP packages with a [Content_Types].xml and a word/, xl/ or ppt/
    part; any other archive could carry anything and is refused."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, EOFError, ValueError):
        raise BadFile("it is a damaged ZIP archive.", path) from None
    except OSError as exc:
        raise BadFile(f"it cannot be read ({exc.strerror or exc}).", path) from None
    if "[Content_Types].xml" in names:
        for prefix, mime in (("word/", DOCX), ("xl/", XLSX), ("ppt/", PPTX)):
            if any(name.startswith(prefix) for name in names):
                return mime
    raise BadFile("it is a ZIP archive, not a Word, Excel or PowerPoint document.", path)


def _office_ole2(path: Path) -> str:
    """Legacy Office files are OLE2 compound files, but so are Windows installers (.msi):
    tell them apart by the stream that holds the document."""
    found: str | None = None
    with path.open("rb") as handle:
        tail = b""
        while found is None:
            chunk = handle.read(1024 * 1024)
            if not chunk:
                break
            window = tail + chunk
            for marker, mime in _OLE2_STREAMS:
                if marker in window:
                    found = mime
                    break
            tail = window[-64:]
    if found is None:
        raise BadFile(
            "it is a compound file that is not a Word, Excel or PowerPoint document "
            "(for example an installer).",
            path,
        )
    return found


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    sample = head
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        # The sample may end inside a multi-byte character; anything earlier is not UTF-8.
        if exc.start < len(sample) - 3:
            try:
                sample.decode("cp1252")
            except UnicodeDecodeError:
                return False
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
    return controls <= len(sample) // 100


def _check_pdf(path: Path) -> None:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError

    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except (DependencyError, NotImplementedError):
                opened = 0
            if not opened:
                raise BadFile(
                    "it is a password-protected PDF. Save a copy without the password and "
                    "upload that.",
                    path,
                )
        # Walking the page tree and each page's content reference parses the structure a
        # viewer needs; a damaged file fails here instead of later.
        for page in reader.pages:
            page.get_contents()
    except BadFile:
        raise
    except FileNotDecryptedError:
        raise BadFile("it is a password-protected PDF.", path) from None
    except Exception as exc:  # pypdf raises many kinds of error on damaged input
        log.info("PDF check failed for %s: %s", path, exc)
        raise BadFile("it is a damaged PDF that cannot be opened.", path) from None


def extract_pdf_text(path: str | os.PathLike[str], max_chars: int = 200_000) -> str:
    """The PDF's text layer (for search), at most `max_chars`; empty for image-only scans.
    A page whose text cannot be extracted is skipped rather than losing the rest."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(Path(path), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            return ""
        pages = reader.pages
    except Exception as exc:
        raise BadFile("it is a damaged PDF that cannot be opened.", path) from exc
    parts: list[str] = []
    total = 0
    for number, page in enumerate(pages, 1):
        try:
            text = page.extract_text() or ""
        except Exception as exc:  # one bad page must not lose the others
            log.info("No text from page %d of %s: %s", number, path, exc)
            continue
        text = text.strip()
        if not text:
            continue
        parts.append(text)
        total += len(text) + 1
        if total >= max_chars:
            break
    return "\n".join(parts)[:max_chars]


def sha256_of(path: str | os.PathLike[str], chunk_size: int = 1024 * 1024) -> str:
    """The file's SHA-256 (hex), read in chunks so large scans do not fill memory."""
    import hashlib

    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()
