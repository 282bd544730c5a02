"""Which client a scan in the review queue is probably for, from its text (a text layer or
OCR): a TIN, an NIS number or a client's name found in it.

Identifiers are validated loosely (DOMAIN.md: TIN 9 or 10 digits; NIS 9 digits, or 2 letters
and 8 digits), with or without spaces and dashes. Names are the runs of two to six words on a
line, as written, in capitals and in title case (certificates print names in capitals). Each
kind is one equality lookup among the firm's clients, through row-level security like every
read; a person still confirms the client before anything is filed.
"""

from __future__ import annotations

import re

from sqlalchemy import or_, select

from ...models import Client
from ..context import Context

MAX_CANDIDATES = 300
_DIGITS = re.compile(r"(?<![\w-])(\d[\d -]{7,13}\d)(?![\w-])")
_NIS_LETTERS = re.compile(r"\b([A-Za-z]{2})[ -]?(\d{8})\b")
_WORD = re.compile(r"[A-Za-z][A-Za-z'&.\-]*")


def _identifiers(text: str) -> tuple[set[str], set[str]]:
    tins: set[str] = set()
    nis: set[str] = set()
    for match in _DIGITS.finditer(text):
        digits = re.sub(r"[ -]", "", match.group(1))
        if len(digits) in (9, 10):
            tins.add(digits)
        if len(digits) == 9:
            nis.add(digits)
    for letters, digits in _NIS_LETTERS.findall(text):
        nis.update({letters.upper() + digits, f"{letters.upper()}-{digits}"})
    return tins, nis


def _names(text: str) -> set[str]:
    found: set[str] = set()
    for line in text.splitlines():
        words = _WORD.findall(line)
        for start in range(len(words)):
            for size in range(2, 7):
                if start + size > len(words) or len(found) >= MAX_CANDIDATES:
                    break
                phrase = " ".join(words[start : start + size])
                found.update({phrase, phrase.upper(), phrase.title()})
    return found


def client_suggestions(ctx: Context, text: str, limit: int = 3) -> list[dict]:
    """The firm's clients named in `text`, best first: [{"id", "name", "why"}]."""
    text = (text or "").replace("\x00", " ")[:50_000]
    if not text.strip():
        return []
    tins, nis = _identifiers(text)
    names = _names(text)
    conditions = []
    if tins:
        conditions.append(Client.tin.in_(sorted(tins)))
    if nis:
        conditions.append(Client.nis_number.in_(sorted(nis)))
    if names:
        conditions.append(Client.name.in_(sorted(names)))
    if not conditions:
        return []
    rows = ctx.session.execute(
        select(Client.id, Client.name, Client.tin, Client.nis_number)
        .where(or_(*conditions))
        .order_by(Client.name, Client.id)
        .limit(50)
    ).all()
    ctx.session.rollback()
    ranked = []
    for row in rows:
        why = []
        if row.tin and row.tin in tins:
            why.append(f"TIN {row.tin}")
        if row.nis_number and row.nis_number in nis:
            why.append(f"NIS {row.nis_number}")
        if row.name in names:
            why.append("name")
        ranked.append((-len(why), row.name, {"id": row.id, "name": row.name, "why": why}))
    ranked.sort(key=lambda r: (r[0], r[1]))
    return [
        {**entry, "why": " and ".join(entry["why"]) + " in the text"}
        for _n, _name, entry in ranked[:limit]
    ]
