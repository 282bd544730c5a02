"""The review queue: parts of scans that could not be filed by themselves — pages before the
first cover sheet, pages after a separator, a cover sheet of another firm or of a client that
no longer exists. Each waits as a PDF with a small JSON file beside it until someone assigns
it to a client and document type (then it is filed like any scan) or discards it."""

from __future__ import annotations

import json
import os
import secrets
import shutil
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path


@dataclass(frozen=True)
class ReviewItem:
    id: str
    source: str  # the scan's file name
    pages: list[int]  # 1-based page numbers in the scan, for people
    reason: str
    created_at: str
    pdf: str  # path of the part's PDF
    text: str = ""  # its text (text layer or OCR), for search once filed
    suggestions: list[dict] = field(default_factory=list)  # clients named in it (suggest.py)

    @property
    def suggested(self) -> str:
        """The first suggestion in words, or ""."""
        if not self.suggestions:
            return ""
        first = self.suggestions[0]
        return f"{first['name']} ({first['why']})"

    @property
    def title(self) -> str:
        pages = self.pages
        span = f"page {pages[0]}" if len(pages) == 1 else f"pages {pages[0]}–{pages[-1]}"
        return f"{self.source}, {span}"


class ReviewQueue:
    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def add(
        self,
        part_pdf: Path,
        *,
        source: str,
        pages: list[int],
        reason: str,
        text: str = "",
        suggestions: list[dict] | None = None,
    ) -> ReviewItem:
        item_id = secrets.token_hex(8)
        target = self.root / f"{item_id}.pdf"
        shutil.copyfile(part_pdf, target)
        item = ReviewItem(
            id=item_id,
            source=source,
            pages=[p + 1 for p in pages],
            reason=reason,
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            pdf=str(target),
            text=text,
            suggestions=list(suggestions or []),
        )
        meta = self.root / f"{item_id}.json"
        partial = meta.with_suffix(".json.partial")
        partial.write_text(json.dumps(asdict(item)), encoding="utf-8")
        os.replace(partial, meta)  # the item exists only once both files are whole
        return item

    def items(self) -> list[ReviewItem]:
        found = []
        for meta in self.root.glob("*.json"):
            try:
                item = ReviewItem(**json.loads(meta.read_text(encoding="utf-8")))
            except (OSError, ValueError, TypeError):
                continue
            if Path(item.pdf).exists():
                found.append(item)
        return sorted(found, key=lambda i: i.created_at)

    def get(self, item_id: str) -> ReviewItem | None:
        return next((i for i in self.items() if i.id == item_id), None)

    def remove(self, item_id: str) -> None:
        for suffix in (".json", ".pdf"):
            (self.root / f"{item_id}{suffix}").unlink(missing_ok=True)
