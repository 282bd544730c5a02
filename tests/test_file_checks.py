"""File checks before upload: every refusal names its reason and leaves the file as it was;
accepted types are recognised by content."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfWriter

from gcmc_desktop.services.demo.pdf import assemble
from gcmc_desktop.services.file_checks import (
    DOCX,
    JPEG,
    PDF,
    PNG,
    TEXT,
    TIFF,
    XLSX,
    BadFile,
    check_file,
    extract_pdf_text,
    sha256_of,
)


def text_pdf(text: str) -> bytes:
    """A minimal one-page PDF with a text layer, written by hand (offsets included)."""
    content = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    return assemble(objects)


def blank_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(612, 792)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def encrypted_pdf() -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(text_pdf("Secret")))
    writer.encrypt("open-sesame")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def office_zip(parts: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, body in parts.items():
            archive.writestr(name, body)
    return buffer.getvalue()


MINIMAL_DOCX = {
    "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
    'package/2006/content-types"/>',
    "_rels/.rels": "<Relationships/>",
    "word/document.xml": "<w:document/>",
}


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def refused(path: Path, **kwargs) -> str:
    """Check `path` expecting a refusal; the file must be unchanged. Returns the reason."""
    before = (path.read_bytes(), os.stat(path).st_mtime_ns) if path.is_file() else None
    with pytest.raises(BadFile) as caught:
        check_file(path, **kwargs)
    if before is not None:
        assert (path.read_bytes(), os.stat(path).st_mtime_ns) == before
    assert caught.value.reason in caught.value.message
    return caught.value.reason


# ------------------------------------------------------------------------------------ refusals


def test_empty_file(tmp_path: Path) -> None:
    assert "empty" in refused(write(tmp_path, "scan.pdf", b""))


def test_too_large_for_the_limit(tmp_path: Path) -> None:
    path = write(tmp_path, "big.pdf", text_pdf("x" * 100))
    reason = refused(path, max_bytes=100)
    assert "larger than the limit" in reason
    assert check_file(path).mime_type == PDF  # the default limit takes it


def test_a_folder_is_refused(tmp_path: Path) -> None:
    assert "folder" in refused(tmp_path)


def test_a_broken_link_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "gone.pdf"
    link.symlink_to(tmp_path / "missing.pdf")
    assert "does not exist" in refused(link)


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    assert "does not exist" in refused(tmp_path / "nope.pdf")


@pytest.mark.parametrize(
    "name, data",
    [
        ("setup.exe", b"MZ\x90\x00\x03" + b"\x00" * 200),
        ("tool", b"\x7fELF\x02\x01\x01" + b"\x00" * 200),
        ("run.sh", b"#!/bin/sh\nrm -rf /\n"),
        ("invoice.pdf.exe", b"MZ" + b"\x00" * 100),
    ],
)
def test_programs_are_refused(tmp_path: Path, name: str, data: bytes) -> None:
    assert "program" in refused(write(tmp_path, name, data))


def test_a_zip_that_is_not_office(tmp_path: Path) -> None:
    data = office_zip({"readme.txt": "hello", "payload.exe": "MZ"})
    assert "ZIP archive, not a Word" in refused(write(tmp_path, "files.zip", data))


def test_a_zip_renamed_docx(tmp_path: Path) -> None:
    data = office_zip({"readme.txt": "hello"})
    assert "ZIP archive" in refused(write(tmp_path, "letter.docx", data))


def test_an_ole2_file_that_is_not_office(tmp_path: Path) -> None:
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600
    assert "not a Word, Excel or PowerPoint" in refused(write(tmp_path, "setup.msi", data))


def test_a_text_file_renamed_pdf(tmp_path: Path) -> None:
    path = write(tmp_path, "certificate.pdf", b"This is just a note, not a PDF.\n")
    reason = refused(path)
    assert '".pdf"' in reason and "plain text" in reason


def test_unknown_binary_is_refused(tmp_path: Path) -> None:
    data = bytes(range(256)) * 4
    assert "not accepted" in refused(write(tmp_path, "blob.bin", data))


def test_password_protected_pdf(tmp_path: Path) -> None:
    assert "password-protected PDF" in refused(write(tmp_path, "locked.pdf", encrypted_pdf()))


@pytest.mark.parametrize("cut", [0.5, 0.9])
def test_truncated_pdf(tmp_path: Path, cut: float) -> None:
    data = text_pdf("Truncated certificate")
    path = write(tmp_path, "cut.pdf", data[: int(len(data) * cut)])
    assert "damaged PDF" in refused(path)


def test_pdf_with_garbage_body(tmp_path: Path) -> None:
    path = write(tmp_path, "junk.pdf", b"%PDF-1.7\n" + bytes(range(256)) * 8)
    assert "damaged PDF" in refused(path)


def test_message_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(BadFile) as caught:
        check_file(write(tmp_path, "empty-scan.pdf", b""))
    assert caught.value.message.startswith("empty-scan.pdf cannot be uploaded:")


# ------------------------------------------------------------------------------------ accepted


def test_pdf_with_text(tmp_path: Path) -> None:
    path = write(tmp_path, "tin.pdf", text_pdf("TIN Certificate 123456789"))
    result = check_file(path)
    assert result.mime_type == PDF and result.size == path.stat().st_size
    assert "TIN Certificate 123456789" in extract_pdf_text(path)
    assert extract_pdf_text(path, max_chars=3) == "TIN"


def test_image_only_pdf_has_no_text(tmp_path: Path) -> None:
    path = write(tmp_path, "scan.pdf", blank_pdf())
    assert check_file(path).mime_type == PDF
    assert extract_pdf_text(path) == ""


@pytest.mark.parametrize(
    "name, data, mime",
    [
        ("photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, PNG),
        ("photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64, JPEG),
        ("scan.tif", b"II*\x00\x08\x00\x00\x00" + b"\x00" * 64, TIFF),
        ("scan.tiff", b"MM\x00*\x00\x00\x00\x08" + b"\x00" * 64, TIFF),
        ("notes.txt", "Client notes: Ünïcode is fine.\n".encode(), TEXT),
        ("no-extension", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, PNG),
    ],
)
def test_accepted_by_content(tmp_path: Path, name: str, data: bytes, mime: str) -> None:
    assert check_file(write(tmp_path, name, data)).mime_type == mime


def test_minimal_docx_and_xlsx(tmp_path: Path) -> None:
    assert check_file(write(tmp_path, "letter.docx", office_zip(MINIMAL_DOCX))).mime_type == DOCX
    xlsx = {"[Content_Types].xml": "<Types/>", "xl/workbook.xml": "<workbook/>"}
    assert check_file(write(tmp_path, "book.xlsx", office_zip(xlsx))).mime_type == XLSX


def test_legacy_word_document(tmp_path: Path) -> None:
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1000
    data += "WordDocument".encode("utf-16-le") + b"\x00" * 100
    assert check_file(write(tmp_path, "old.doc", data)).mime_type == "application/msword"


def test_csv(tmp_path: Path) -> None:
    path = write(tmp_path, "ledger.csv", b"date,amount\n2025-01-01,100\n")
    assert check_file(path).mime_type == "text/csv"


def test_sha256_of(tmp_path: Path) -> None:
    import hashlib

    data = os.urandom(3 * 1024 * 1024 + 5)
    path = write(tmp_path, "big.bin", data)
    assert sha256_of(path, chunk_size=1024 * 1024) == hashlib.sha256(data).hexdigest()
