"""A `model.Report` as a PDF, with reportlab's platypus: the firm's header on every page, the
client, the title and the generation time; tables that break across pages with their header
row repeated; "Page n of m" at the foot; the compliance score in its level's colour.

Text is drawn in Bitstream Vera (shipped inside reportlab, so every workstation has it);
characters the font lacks are replaced by a close ASCII spelling rather than drawn as boxes."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import reportlab
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as pdf_canvas
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from . import model

FONT, BOLD = "GcmcSans", "GcmcSans-Bold"
_FONTS = Path(reportlab.__file__).parent / "fonts"
_glyphs: set[int] = set()

# Level colours: the same bands the application shows (excellent ≥ 90, good ≥ 70, fair ≥ 50).
LEVEL_COLOURS: dict[str, tuple[str, str]] = {
    "excellent": ("#1b7f3b", "#ffffff"),
    "good": ("#5fae4e", "#ffffff"),
    "fair": ("#f0a830", "#1f1f1f"),
    "poor": ("#c62828", "#ffffff"),
}
NO_SCORE = ("#9e9e9e", "#ffffff")
TONES: dict[str, str] = {
    "danger": "#fde0e0",
    "warning": "#fff1d0",
    "good": "#e3f3e0",
    "muted": "#f2f2f2",
}
TONE_TEXT: dict[str, str] = {
    "danger": "#b71c1c",
    "warning": "#8a5a00",
    "good": "#1b5e20",
    "muted": "#616e7c",
}
INK = colors.HexColor("#1f2933")
CELL_SIZE, CELL_LEADING, CELL_PADDING = 8, 10, 3
ACCENT = colors.HexColor("#16476a")
RULE = colors.HexColor("#c8d1da")
HEADER_FILL = colors.HexColor("#e6edf3")

_REPLACEMENTS = {
    "\u2212": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2026": "...",
    "\u2018": "'",
    "\u2019": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u2022": "*",
    "\u2713": "v",
    "\u2717": "x",
    "\u2192": "->",
    "\u00a0": " ",
}


def _register_fonts() -> None:
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    regular = TTFont(FONT, str(_FONTS / "Vera.ttf"))
    pdfmetrics.registerFont(regular)
    pdfmetrics.registerFont(TTFont(BOLD, str(_FONTS / "VeraBd.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=FONT, boldItalic=BOLD)
    _glyphs.update(regular.face.charToGlyph)


def clean(text: Any) -> str:
    """`text` drawable in the report font: known look-alikes spelled in ASCII, other
    characters the font lacks as "?", control characters dropped."""
    out = []
    for ch in str(text if text is not None else ""):
        if ch in "\n\t":
            out.append(" ")
        elif ord(ch) < 32:
            continue
        elif ord(ch) in _glyphs or ord(ch) < 128:
            out.append(ch)
        elif ch in _REPLACEMENTS:
            out.append(_REPLACEMENTS[ch])
        else:
            out.append("?")
    return "".join(out)


def _p(text: Any, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(clean(text)), style)


class _Styles:
    def __init__(self) -> None:
        base = ParagraphStyle("base", fontName=FONT, fontSize=9, leading=11.5, textColor=INK)
        self.body = base
        self.cell = ParagraphStyle("cell", parent=base, fontSize=CELL_SIZE, leading=CELL_LEADING)
        self.cell_right = ParagraphStyle("cellr", parent=self.cell, alignment=TA_RIGHT)
        self.head = ParagraphStyle("head", parent=self.cell, fontName=BOLD)
        self.head_right = ParagraphStyle("headr", parent=self.head, alignment=TA_RIGHT)
        self.label = ParagraphStyle(
            "label", parent=base, textColor=colors.HexColor("#52606d"), fontSize=8.5
        )
        self.value = ParagraphStyle("value", parent=base, fontName=BOLD, fontSize=9)
        self.title = ParagraphStyle(
            "title", parent=base, fontName=BOLD, fontSize=17, leading=21, textColor=ACCENT
        )
        self.subtitle = ParagraphStyle("subtitle", parent=base, fontSize=10.5, leading=14)
        self.h1 = ParagraphStyle(
            "h1",
            parent=base,
            fontName=BOLD,
            fontSize=12,
            leading=15,
            textColor=ACCENT,
            spaceBefore=10,
            spaceAfter=4,
        )
        self.h2 = ParagraphStyle(
            "h2", parent=base, fontName=BOLD, fontSize=10, leading=13, spaceBefore=7, spaceAfter=3
        )
        self.band_score = ParagraphStyle(
            "band", parent=base, fontName=BOLD, fontSize=22, leading=26
        )
        self.band_text = ParagraphStyle("bandt", parent=base, fontSize=10.5, leading=13.5)

    def toned(self, style: ParagraphStyle, tone: str) -> ParagraphStyle:
        if tone not in TONE_TEXT:
            return style
        return ParagraphStyle(
            f"{style.name}-{tone}", parent=style, textColor=colors.HexColor(TONE_TEXT[tone])
        )


def _numbered_canvas(report: model.Report) -> type[pdf_canvas.Canvas]:
    """A canvas that holds every page until the end, so each can say "Page n of m", and draws
    the running header and footer."""

    class NumberedCanvas(pdf_canvas.Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._decorate(total)
                super().showPage()
            super().save()

        def _decorate(self, total: int) -> None:
            width, height = self._pagesize
            left, right = 18 * mm, width - 18 * mm
            self.saveState()
            self.setFillColor(ACCENT)
            self.setFont(BOLD, 9)
            self.drawString(left, height - 12 * mm, clean(report.firm))
            self.setFont(FONT, 8)
            self.setFillColor(INK)
            self.drawRightString(
                right, height - 12 * mm, clean(f"{report.title} · {report.client}")[:120]
            )
            self.setStrokeColor(RULE)
            self.setLineWidth(0.6)
            self.line(left, height - 14 * mm, right, height - 14 * mm)
            self.line(left, 13 * mm, right, 13 * mm)
            self.setFillColor(colors.HexColor("#52606d"))
            self.drawString(left, 9 * mm, clean(f"Generated {_when(report)} · GCMC Desktop"))
            self.drawRightString(right, 9 * mm, f"Page {self._pageNumber} of {total}")
            self.restoreState()

    return NumberedCanvas


def _when(report: model.Report) -> str:
    moment = report.generated_at
    zone = moment.tzname() or ""
    return f"{moment:%Y-%m-%d %H:%M} {zone}".strip()


def _facts(block: model.Facts, styles: _Styles, width: float) -> Table | None:
    if not block.rows:
        return None
    cells: list[list[Any]] = []
    row: list[Any] = []
    for label, value in block.rows:
        row += [_p(label, styles.label), _p(value, styles.value)]
        if len(row) == 4:
            cells.append(row)
            row = []
    if row:
        cells.append(row + [""] * (4 - len(row)))
    table = Table(cells, colWidths=[width * 0.24, width * 0.26, width * 0.24, width * 0.26])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                ("LEFTPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return table


def _table(block: model.Table, styles: _Styles, width: float) -> Any:
    if not block.rows:
        empty = _p(block.empty, ParagraphStyle("empty", parent=styles.body, textColor=colors.grey))
        return [_p(block.caption, styles.h2), empty] if block.caption else empty
    weights = block.widths or [1.0] * len(block.headers)
    total = sum(weights)
    col_widths = [width * w / total for w in weights]
    head = [
        _p(h, styles.head_right if i in block.numeric else styles.head)
        for i, h in enumerate(block.headers)
    ]
    body = []
    tones = block.tones or [""] * len(block.rows)
    # A cell that fits on one line is drawn as a plain string in the table's own cell font
    # (Paragraphs, which wrap, cost most of the drawing time of a long list).
    room = [w - 2 * CELL_PADDING - 0.5 for w in col_widths]
    for cells, tone in zip(block.rows, tones, strict=True):
        row: list[Any] = []
        for i, value in enumerate(cells):
            text = clean(value)
            if pdfmetrics.stringWidth(text, FONT, CELL_SIZE) <= room[i]:
                row.append(text)
            else:
                style = styles.cell_right if i in block.numeric else styles.cell
                row.append(Paragraph(escape(text), styles.toned(style, tone)))
        body.append(row)
    top = 1 if block.caption else 0  # rows above the column headers
    heads: list[list[Any]] = [head]
    if block.caption:
        heads.insert(0, [_p(block.caption, styles.h2)] + [""] * (len(head) - 1))
    table = Table([*heads, *body], colWidths=col_widths, repeatRows=top + 1, hAlign="LEFT")
    first = top + 1  # the first body row
    commands: list[tuple[Any, ...]] = [
        ("FONTNAME", (0, first), (-1, -1), FONT),
        ("FONTSIZE", (0, first), (-1, -1), CELL_SIZE),
        ("LEADING", (0, first), (-1, -1), CELL_LEADING),
        ("TEXTCOLOR", (0, first), (-1, -1), INK),
        ("BACKGROUND", (0, top), (-1, top), HEADER_FILL),
        ("LINEBELOW", (0, top), (-1, top), 0.8, ACCENT),
        ("LINEBELOW", (0, first), (-1, -1), 0.25, RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
    ]
    if block.caption:
        commands += [("SPAN", (0, 0), (-1, 0)), ("LEFTPADDING", (0, 0), (-1, 0), 0)]
    for column in block.numeric:
        commands.append(("ALIGN", (column, first), (column, -1), "RIGHT"))
    for index, tone in enumerate(tones, start=first):
        if tone in TONES:
            commands.append(("BACKGROUND", (0, index), (-1, index), colors.HexColor(TONES[tone])))
        if tone in TONE_TEXT:
            commands.append(
                ("TEXTCOLOR", (0, index), (-1, index), colors.HexColor(TONE_TEXT[tone]))
            )
    table.setStyle(TableStyle(commands))
    return table


def _band(block: model.Band, styles: _Styles, width: float) -> Table:
    fill, ink = LEVEL_COLOURS.get(block.level or "", NO_SCORE)
    score = "—" if block.score is None else f"{block.score:.0f}"
    ink_colour = colors.HexColor(ink)
    big = ParagraphStyle("bs", parent=styles.band_score, textColor=ink_colour)
    small = ParagraphStyle("bt", parent=styles.band_text, textColor=ink_colour)
    label = ParagraphStyle("bl", parent=small, fontName=BOLD, fontSize=12, leading=15)
    cells = [[_p(score, big), [_p(block.label, label), _p(block.verdict, small)]]]
    table = Table(cells, colWidths=[width * 0.16, width * 0.84], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor(fill)),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 8),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
                ("LEFTPADDING", (0, 0), (-1, -1), 10),
            ]
        )
    )
    return table


def _flowables(report: model.Report, styles: _Styles, width: float) -> list[Any]:
    story: list[Any] = [
        _p(report.title, styles.title),
        _p(report.client, styles.subtitle),
        _p(
            f"{report.firm} · client no. {report.client_id} · generated {_when(report)}",
            styles.label,
        ),
        Spacer(1, 4 * mm),
    ]
    pending_heading: Any = None
    for block in report.blocks:
        flowable: Any = None
        if isinstance(block, model.Heading):
            if pending_heading is not None:
                story.append(pending_heading)
            pending_heading = _p(block.text, styles.h1 if block.level == 1 else styles.h2)
            continue
        if isinstance(block, model.Facts):
            flowable = _facts(block, styles, width)
        elif isinstance(block, model.Table):
            flowable = _table(block, styles, width)
        elif isinstance(block, model.Band):
            flowable = _band(block, styles, width)
        elif isinstance(block, model.Bullets):
            flowable = [
                _p(f"\u2022 {text}", styles.toned(styles.body, tone)) for text, tone in block.items
            ]
        elif isinstance(block, model.Text):
            flowable = _p(block.text, styles.toned(styles.body, block.tone))
        if flowable is None:
            continue
        items = flowable if isinstance(flowable, list) else [flowable]
        if pending_heading is not None:
            # A heading never ends a page alone: kept with the start of what it heads.
            first = items[0]
            if isinstance(first, Table) and len(getattr(first, "_cellvalues", [])) > 6:
                story.append(pending_heading)
                story.extend(items)
            else:
                story.append(KeepTogether([pending_heading, first]))
                story.extend(items[1:])
            pending_heading = None
        else:
            story.extend(items)
        # Space after the block as the flowable's own (a Spacer could start a blank page).
        last = story[-1]
        last.spaceAfter = max(getattr(last, "spaceAfter", 0) or 0, 2.5 * mm)
    if pending_heading is not None:
        story.append(pending_heading)
    return story


def render_pdf(report: model.Report, *, check: Callable[[], None] | None = None) -> bytes:
    """The report as PDF bytes. `check()` is called between steps (a cancel raises there)."""
    _register_fonts()
    styles = _Styles()
    pagesize = landscape(A4) if report.landscape else A4
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=pagesize,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=20 * mm,
        bottomMargin=18 * mm,
        title=clean(f"{report.title} - {report.client}"),
        author=clean(report.firm),
        subject=clean(report.title),
        creator="GCMC Desktop",
    )
    story = _flowables(report, styles, doc.width)
    if check is not None:
        check()
    doc.build(story, canvasmaker=_numbered_canvas(report))
    if check is not None:
        check()
    return buffer.getvalue()
