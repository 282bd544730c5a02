"""Tiny one-page PDFs for the demo documents, written by hand (no Qt, no third-party writer).

The bytes depend only on the lines passed in, never on the time or a random ID, so the same
demo document always yields the same file and therefore the same content-addressed key: a
re-seed can recreate a deleted file under the key its version row already names.
"""

from __future__ import annotations

from collections.abc import Sequence

_PAGE_WIDTH = 595  # A4 in points
_PAGE_HEIGHT = 842


def _pdf_text(value: str) -> bytes:
    """A PDF literal string in WinAnsi (cp1252) for the standard Helvetica font."""
    raw = value.encode("cp1252", errors="replace")
    escaped = raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    return b"(" + escaped + b")"


def _wrap(line: str, width: int) -> list[str]:
    words, lines, current = line.split(), [], ""
    for word in words:
        candidate = f"{current} {word}".strip()
        if len(candidate) > width and current:
            lines.append(current)
            current = word
        else:
            current = candidate
    return [*lines, current] if current else lines or [""]


def one_page_pdf(title: str, lines: Sequence[str] = ()) -> bytes:
    """A valid single-page A4 PDF showing `title` in large type and `lines` below it."""
    ops = [b"BT", b"/F2 18 Tf", b"22 TL", b"56 780 Td"]
    for part in _wrap(title, 48):
        ops.append(_pdf_text(part) + b" Tj T*")
    ops += [b"/F1 11 Tf", b"16 TL", b"T*"]
    for line in lines:
        for part in _wrap(line, 90):
            ops.append(_pdf_text(part) + b" Tj T*")
    ops.append(b"ET")
    content = b"\n".join(ops) + b"\n"

    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] "
            b"/Resources << /Font << /F1 5 0 R /F2 6 0 R >> >> /Contents 4 0 R >>"
        )
        % (_PAGE_WIDTH, _PAGE_HEIGHT),
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"endstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
    ]
    return assemble(objects)


def assemble(objects: Sequence[bytes]) -> bytes:
    """A PDF file of numbered `objects` (object 1 the catalog) with its cross-reference table."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
