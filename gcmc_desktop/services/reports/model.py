"""What a report is, independent of how it is drawn: a title, whose it is, when it was made,
the figures it states (for tests and the CLI) and its content as a few kinds of blocks. The
gathering functions (`data`) build these; the renderer (`render`) turns them into a PDF."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Tone = Literal["", "danger", "warning", "good", "muted"]

KINDS: dict[str, str] = {
    "client_file": "Client file",
    "compliance": "Compliance report",
    "documents": "Documents list",
    "filings": "Filings summary",
    "services": "Service history",
}


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 1  # 1 = section, 2 = a group within a section


@dataclass(frozen=True)
class Text:
    text: str
    tone: Tone = ""


@dataclass(frozen=True)
class Facts:
    """Label / value pairs, shown two pairs to a line."""

    rows: list[tuple[str, str]]


@dataclass(frozen=True)
class Bullets:
    items: list[tuple[str, Tone]]


@dataclass(frozen=True)
class Band:
    """The compliance score in its level's colour, with the verdict."""

    score: float | None
    level: str | None  # excellent / good / fair / poor; None = no score yet
    label: str
    verdict: str


@dataclass(frozen=True)
class Table:
    """Rows under repeated headers. `widths` are relative; `tones` colour whole rows."""

    headers: list[str]
    rows: list[list[str]]
    widths: list[float] | None = None
    tones: list[Tone] | None = None
    empty: str = "None."
    numeric: frozenset[int] = frozenset()  # right-aligned columns
    # Repeated above the column headers on every page the table runs over ("Passport (12)").
    caption: str = ""


Block = Heading | Text | Facts | Bullets | Band | Table


@dataclass
class Report:
    kind: str
    title: str
    firm: str
    client_id: int
    client: str
    generated_at: datetime  # aware, local time
    blocks: list[Block] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)
    landscape: bool = False

    def add(self, *blocks: Block) -> None:
        self.blocks.extend(blocks)

    @property
    def file_name(self) -> str:
        """A file name people recognise: "Compliance report - Acme Ltd - 2026-12-03.pdf"."""
        safe = "".join(c if c.isalnum() or c in " .,&()'-_" else "_" for c in self.client)
        safe = " ".join(safe.split())[:80] or f"client {self.client_id}"
        return f"{self.title} - {safe} - {self.generated_at:%Y-%m-%d}.pdf"
